// Package cis2 is the kiosk's NHS CIS2 sign-in client, plain OpenID Connect
// as docs/SIGNIN.md lays it out: Authorization Code with PKCE through a
// loopback redirect (RFC 8252, RFC 7636), the ID token verified (OpenID
// Connect Core §3.1.3.7), then the API platform's token exchange for the
// access token PDS and CP-IS accept (RFC 8693), its renewal, and the end of
// the provider's session (RFC 7009, RP-Initiated Logout 1.0).
//
// Discovery and ID-token verification are coreos/go-oidc's, the code
// exchange with PKCE is golang.org/x/oauth2's, and the client assertions
// (RFC 7523) are go-jose's. The package holds no session: the caller keeps
// the Identity and Access it is given.
package cis2

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/sirupsen/logrus"
)

// maxAnswer caps every answer read from the provider or the platform.
const maxAnswer = 1 << 20

// Config is what the client needs to know. Issuer, ClientID and either
// ClientSecret or Key are needed to sign in; TokenEndpoint, APIKey and Key
// to exchange and renew.
type Config struct {
	Issuer        string // the CIS2 issuer
	ClientID      string
	ClientSecret  string // optional: client_secret_post at the CIS2 token endpoint; empty: private_key_jwt with Key
	TokenEndpoint string // the API platform's token endpoint (token exchange and refresh); not discovered
	APIKey        string // the API platform application's key: iss and sub of its client assertion
	RedirectPort  int    // loopback port for the redirect; 0: any free port
	Key           *rsa.PrivateKey
	HTTP          *http.Client       // trusts the right CAs and has the timeout; http.DefaultClient when nil
	Now           func() time.Time   // time.Now when nil
	Log           logrus.FieldLogger // nil: discard
}

// Client signs users in with NHS CIS2 and gets the API platform's tokens.
// It is safe for concurrent use; the discovered provider is cached.
type Client struct {
	cfg  Config
	http *http.Client // cfg.HTTP with every answer capped at maxAnswer
	now  func() time.Time
	log  logrus.FieldLogger
	kid  string // of cfg.Key, RFC 7638

	mu sync.Mutex
	p  *provider // nil until a discovery succeeds
}

// provider is what discovery gave.
type provider struct {
	oidc     *oidc.Provider
	verifier *oidc.IDTokenVerifier
	meta     metadata
}

// metadata is the part of the discovery document (OpenID Connect Discovery
// 1.0 §3, RFC 8414 §2) that go-oidc does not expose.
type metadata struct {
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	UserinfoEndpoint      string `json:"userinfo_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
	EndSessionEndpoint    string `json:"end_session_endpoint"`
}

// New makes a client; it does no I/O.
func New(cfg Config) *Client {
	c := &Client{cfg: cfg, now: cfg.Now, log: cfg.Log}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		c.log = l
	}
	c.log = c.log.WithField("component", "cis2")
	base := cfg.HTTP
	if base == nil {
		base = http.DefaultClient
	}
	hc := *base
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc.Transport = capTransport{rt}
	c.http = &hc
	if cfg.Key != nil {
		c.kid = KeyID(&cfg.Key.PublicKey)
	}
	return c
}

// Discover fetches the provider's discovery document and keeps it. A
// failure is not kept: the next call tries again.
func (c *Client) Discover(ctx context.Context) error {
	_, err := c.provider(ctx)
	return err
}

// provider gives the cached provider, discovering it when there is none.
func (c *Client) provider(ctx context.Context) (*provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p != nil {
		return c.p, nil
	}
	p, err := c.discover(ctx)
	if err != nil {
		return nil, c.fail("discovering the provider", err)
	}
	c.p = p
	return p, nil
}

// discover reads the issuer's discovery document (OpenID Connect Discovery
// 1.0 §4) through go-oidc, which also checks that it names our issuer.
func (c *Client) discover(ctx context.Context) (*provider, error) {
	op, err := oidc.NewProvider(c.ctx(ctx), c.cfg.Issuer)
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return nil, fmt.Errorf("%w: %w", ErrUntrusted, err)
		}
		// Network, timeout, a non-200 or a body that is not the JSON
		// document: go-oidc does not tell them apart by type, and none of
		// them is an answer.
		return nil, unreachable(err)
	}
	var m metadata
	if err := op.Claims(&m); err != nil {
		return nil, unreachable(err)
	}
	if m.AuthorizationEndpoint == "" || m.TokenEndpoint == "" {
		return nil, fmt.Errorf("%w: discovery lists no authorization or token endpoint", ErrUnreachable)
	}
	return &provider{
		oidc: op,
		meta: m,
		verifier: op.Verifier(&oidc.Config{
			ClientID: c.cfg.ClientID,
			// Checked by checkIDToken with c.now, so that it is typed.
			SkipExpiryCheck: true,
			Now:             c.now,
		}),
	}, nil
}

// ctx carries the client's HTTP client for go-oidc and x/oauth2.
func (c *Client) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, c.http)
}

// Probe tells the IT status screen whether the issuer's discovery answers
// with a usable document, and whether the API platform's token endpoint
// answers at all (any HTTP status counts). It keeps nothing.
func (c *Client) Probe(ctx context.Context) (issuer, tokenEndpoint error) {
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := c.discover(ctx); err != nil {
			issuer = &Error{Step: "probing the issuer", Err: err}
		}
	})
	wg.Go(func() {
		if err := c.probeToken(ctx); err != nil {
			tokenEndpoint = &Error{Step: "probing the token endpoint", Err: err}
		}
	})
	wg.Wait()
	return issuer, tokenEndpoint
}

func (c *Client) probeToken(ctx context.Context) error {
	if c.cfg.TokenEndpoint == "" {
		return fmt.Errorf("%w: no token endpoint", ErrConfig)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.TokenEndpoint, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return unreachable(err)
	}
	resp.Body.Close()
	return nil
}

// capTransport caps every answer body at maxAnswer: go-oidc reads its
// answers whole.
type capTransport struct{ base http.RoundTripper }

func (t capTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body}
	return resp, nil
}

type cappedBody struct {
	io.ReadCloser
	n int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if b.n > maxAnswer {
		return n, errTooLarge
	}
	return n, err
}
