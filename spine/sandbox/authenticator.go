package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Authenticator is the sandbox's authenticator, the kiosk's side of it:
// what stands in for the browser and the NHS authenticator (Smartcard
// Connect) when the provider is this sandbox (docs/SIGNIN.md, "The
// sandbox authenticator"). It is a user agent: the kiosk's OpenID Connect
// client hands it the authorization URL and hears the redirect on its
// loopback, as from a browser. With Sign it signs in the card's user (the
// card signs the login's nonce); without, the demo user.
type Authenticator struct {
	HTTP *http.Client // trusts the sandbox's CA
	User string       // the card's user
	// Sign has the card sign the nonce (ECDSA P-256 over SHA-256, ASN.1),
	// its passcode already verified. Nil: the demo user, no card.
	Sign func(ctx context.Context, nonce []byte) ([]byte, error)
}

// ErrAuthenticator means the sandbox's sign-in page did not answer as the
// sandbox serves it.
var ErrAuthenticator = errors.New("the sandbox's sign-in page answered something unexpected")

// loginPage is the sign-in page's answer to Accept: application/json.
type loginPage struct {
	Login string `json:"login"`
	Nonce string `json:"nonce"`
}

// Open reads the sign-in page, proves the card (or asks for the demo
// user) and follows the sandbox's redirect to the kiosk's loopback.
func (a Authenticator) Open(ctx context.Context, authURL string) error {
	p, err := a.page(ctx, authURL)
	if err != nil || p.Login == "" {
		return err // a refusal already delivered to the loopback, or a fault
	}
	if a.Sign == nil {
		return a.submit(ctx, authURL, "/demo", url.Values{"login": {p.Login}})
	}
	nonce, err := base64.StdEncoding.DecodeString(p.Nonce)
	if err != nil {
		return fmt.Errorf("reading the sign-in page: %w", ErrAuthenticator)
	}
	sig, err := a.Sign(ctx, nonce)
	if err != nil {
		return fmt.Errorf("signing with the card: %w", err)
	}
	return a.submit(ctx, authURL, "/card", url.Values{"login": {p.Login}, "user": {a.User},
		"signature": {base64.StdEncoding.EncodeToString(sig)}})
}

// page reads the sign-in page for an authorization request. A refusal
// redirected back is delivered to the loopback, as a browser would, and
// answered with no login.
func (a Authenticator) page(ctx context.Context, authURL string) (loginPage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return loginPage{}, fmt.Errorf("opening the sign-in page: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.client().Do(req)
	if err != nil {
		return loginPage{}, fmt.Errorf("opening the sign-in page: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther {
		return loginPage{}, a.deliver(ctx, resp.Header.Get("Location"))
	}
	var p loginPage
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&p) != nil || p.Login == "" {
		return loginPage{}, fmt.Errorf("opening the sign-in page (HTTP %d): %w", resp.StatusCode, ErrAuthenticator)
	}
	return p, nil
}

// submit posts the authenticator's form beside the authorization endpoint
// and follows its redirect to the kiosk's loopback.
func (a Authenticator) submit(ctx context.Context, authURL, path string, form url.Values) error {
	u, err := url.Parse(authURL)
	if err != nil {
		return fmt.Errorf("posting the sign-in: %w", err)
	}
	u.Path, u.RawQuery = strings.TrimSuffix(u.Path, "/")+path, ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("posting the sign-in: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.client().Do(req)
	if err != nil {
		return fmt.Errorf("posting the sign-in: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("posting the sign-in (HTTP %d): %w", resp.StatusCode, ErrAuthenticator)
	}
	return a.deliver(ctx, resp.Header.Get("Location"))
}

// deliver follows a redirect to the kiosk's own loopback, and nowhere else.
func (a Authenticator) deliver(ctx context.Context, location string) error {
	u, err := url.Parse(location)
	if err != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1") {
		return fmt.Errorf("following the sign-in's redirect: %w", ErrAuthenticator)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("following the sign-in's redirect: %w", err)
	}
	resp, err := a.client().Do(req)
	if err != nil {
		return fmt.Errorf("following the sign-in's redirect: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.Body.Close()
}

// client is the HTTP client with redirects handed back, to be followed
// only to the loopback.
func (a Authenticator) client() *http.Client {
	c := http.Client{Transport: http.DefaultTransport}
	if a.HTTP != nil {
		c = *a.HTTP
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}
