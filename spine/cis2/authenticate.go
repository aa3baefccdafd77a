package cis2

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/nhs-cpis/kiosk/cpis"
	"golang.org/x/oauth2"
)

// UserAgent takes the user to the authorization URL: the system browser,
// or an agent that signs in by itself and delivers the redirect to the
// loopback. Open may return before the redirect arrives; it runs beside
// Authenticate, and may still be running when Authenticate returns.
type UserAgent interface {
	Open(ctx context.Context, authURL string) error
}

// AuthOptions shape the authorization request.
type AuthOptions struct {
	// ForceLogin asks the provider to authenticate the user afresh
	// (prompt=login, max_age=0), for the same user unlocking a locked
	// kiosk; the ID token's auth_time must then be no older than the
	// request.
	ForceLogin bool
}

// Identity is who CIS2 says signed in.
type Identity struct {
	User         cpis.User // ID from nhsid_useruid (else sub), Name, Roles from nhsid_nrbac_roles joined with nhsid_user_orgs for OrgName
	SelectedRole string    // selected_roleid, may be empty
	IDToken      string    // raw, for the exchange and id_token_hint
	Expires      time.Time // the ID token's exp

	refresh string // the provider's refresh token, if any, for revocation
}

// scopes are SIGNIN.md step 2's: nationalrbacaccess gives the RBAC claims.
var scopes = []string{oidc.ScopeOpenID, "profile", "nationalrbacaccess"}

// authSkew is how far the provider's clock may be behind ours when a
// forced login's auth_time is checked.
const authSkew = time.Minute

// request is what one authorization request sent and must see again.
type request struct {
	state, nonce, verifier string
	sent                   time.Time
	forceLogin             bool
}

// Authenticate signs a user in: it opens the provider's authorization
// endpoint in the user agent with a loopback redirect (RFC 8252 §7.3) and
// PKCE, takes the one redirect that comes back, exchanges the code and
// verifies the ID token (SIGNIN.md steps 2 to 6). The context carries the
// time allowed and is cancelled when the card is pulled.
func (c *Client) Authenticate(ctx context.Context, ua UserAgent, o AuthOptions) (Identity, error) {
	p, err := c.provider(ctx)
	if err != nil {
		return Identity{}, err
	}
	if c.cfg.ClientSecret == "" && c.cfg.Key == nil {
		return Identity{}, c.fail("exchanging the code", fmt.Errorf("%w: neither a client secret nor a key", ErrConfig))
	}

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.cfg.RedirectPort)))
	if err != nil {
		return Identity{}, c.fail("opening the redirect port", fmt.Errorf("%w: %w", ErrPortBusy, err))
	}
	defer ln.Close()
	oc := c.oauth(p, "http://"+ln.Addr().String()+"/callback")

	rq := request{
		state:      rand.Text(),
		nonce:      rand.Text(),
		verifier:   oauth2.GenerateVerifier(),
		sent:       c.now(),
		forceLogin: o.ForceLogin,
	}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(rq.nonce), oauth2.S256ChallengeOption(rq.verifier)}
	if o.ForceLogin {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"))
	}
	authURL := oc.AuthCodeURL(rq.state, opts...)

	cb := &callback{got: make(chan redirect, 1), done: make(chan struct{})}
	srv := &http.Server{
		Handler:           cb,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go srv.Serve(ln) //nolint:errcheck // ErrServerClosed when done
	defer func() {
		// Let the page go out, then stop; ln.Close above runs after this.
		close(cb.done)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
	}()

	opened := make(chan error, 1)
	go func() { opened <- ua.Open(ctx, authURL) }()
	var r redirect
wait:
	for {
		select {
		case r = <-cb.got:
			break wait
		case err := <-opened:
			if err != nil {
				return Identity{}, c.fail("opening the user agent", fmt.Errorf("%w: %w", ErrUserAgent, err))
			}
			opened = nil // it returned early; keep waiting for the redirect
		case <-ctx.Done():
			return Identity{}, c.fail("waiting for the browser", fmt.Errorf("%w: %w", ErrNoCallback, ctx.Err()))
		}
	}
	id, err := c.complete(ctx, p, oc, r.query, rq)
	r.reply <- err
	return id, err
}

// oauth is x/oauth2's view of the provider for one redirect URL.
func (c *Client) oauth(p *provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   p.meta.AuthorizationEndpoint,
			TokenURL:  p.meta.TokenEndpoint,
			AuthStyle: oauth2.AuthStyleInParams, // client_secret_post, or client_id beside the assertion
		},
		RedirectURL: redirectURL,
		Scopes:      scopes,
	}
}

// complete checks the redirect, exchanges the code and verifies what comes
// back (SIGNIN.md steps 3 to 6).
func (c *Client) complete(ctx context.Context, p *provider, oc *oauth2.Config, q url.Values, rq request) (Identity, error) {
	const checking = "checking the redirect"
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(rq.state)) != 1 {
		return Identity{}, c.fail(checking, ErrState)
	}
	if e := q.Get("error"); e != "" {
		return Identity{}, c.fail(checking, redirectError(e, q.Get("error_description")))
	}
	code := q.Get("code")
	if code == "" {
		return Identity{}, c.fail(checking, fmt.Errorf("%w: no code in the redirect", ErrBadAnswer))
	}

	const exchanging = "exchanging the code"
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(rq.verifier)}
	if c.cfg.ClientSecret == "" {
		// private_key_jwt (RFC 7523 §2.2, OpenID Connect Core §9).
		a, err := c.assertion(c.cfg.ClientID, p.meta.TokenEndpoint)
		if err != nil {
			return Identity{}, c.fail(exchanging, err)
		}
		opts = append(opts,
			oauth2.SetAuthURLParam("client_assertion_type", assertionType),
			oauth2.SetAuthURLParam("client_assertion", a))
	}
	tok, err := oc.Exchange(c.ctx(ctx), code, opts...)
	if err != nil {
		return Identity{}, c.fail(exchanging, exchangeError(err))
	}

	raw, _ := tok.Extra("id_token").(string)
	cl, exp, err := c.checkIDToken(ctx, p, raw, rq)
	if err != nil {
		return Identity{}, c.fail("verifying the ID token", err)
	}
	if cl.Roles == nil && p.meta.UserinfoEndpoint != "" {
		// CIS2 may give the RBAC claims at the UserInfo endpoint only.
		if err := c.userinfo(ctx, p, tok, &cl); err != nil {
			return Identity{}, c.fail("reading the user's roles", err)
		}
	}
	id := cl.identity()
	if id.User.ID == "" {
		return Identity{}, c.fail("reading the claims", fmt.Errorf("%w: no nhsid_useruid or sub", ErrBadAnswer))
	}
	id.IDToken, id.Expires, id.refresh = raw, exp, tok.RefreshToken
	c.log.WithField("user", id.User.ID).WithField("roles", len(id.User.Roles)).Info("signed in with NHS CIS2")
	return id, nil
}

// redirectError classifies an error redirect (RFC 6749 §4.1.2.1, OpenID
// Connect Core §3.1.2.6).
func redirectError(code, description string) error {
	var base error
	switch code {
	case "access_denied", "login_required", "interaction_required",
		"consent_required", "account_selection_required":
		base = ErrDenied
	case "server_error", "temporarily_unavailable":
		base = ErrUnreachable
	default: // invalid_request, unauthorized_client, invalid_scope...
		base = ErrRefused
	}
	if description != "" {
		return fmt.Errorf("%w: %s: %q", base, code, clip(description))
	}
	return fmt.Errorf("%w: %s", base, code)
}

// checkIDToken verifies the ID token as OpenID Connect Core §3.1.3.7 asks:
// go-oidc checks the signature against jwks_uri, iss and aud; azp, exp,
// nonce and, for a forced login, auth_time are checked here.
func (c *Client) checkIDToken(ctx context.Context, p *provider, raw string, rq request) (claims, time.Time, error) {
	var cl claims
	if raw == "" {
		return cl, time.Time{}, fmt.Errorf("%w: no ID token in the answer", ErrUntrusted)
	}
	idt, err := p.verifier.Verify(c.ctx(ctx), raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // the provider's keys could not be fetched
			return cl, time.Time{}, unreachable(err)
		}
		return cl, time.Time{}, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	if err := idt.Claims(&cl); err != nil {
		return cl, time.Time{}, fmt.Errorf("%w: reading the claims: %w", ErrBadAnswer, err)
	}
	if len(idt.Audience) > 1 && cl.AZP != c.cfg.ClientID {
		return cl, time.Time{}, fmt.Errorf("%w: several audiences and azp is not this client", ErrUntrusted)
	}
	if now := c.now(); !now.Before(idt.Expiry) {
		return cl, time.Time{}, fmt.Errorf("%w: ID token expired at %s", ErrExpired, idt.Expiry.UTC().Format(time.RFC3339))
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(rq.nonce)) != 1 {
		return cl, time.Time{}, ErrNonce
	}
	if rq.forceLogin {
		// max_age=0 was sent, so auth_time is required (Core §3.1.2.1).
		at, err := cl.AuthTime.Int64()
		if err != nil {
			return cl, time.Time{}, fmt.Errorf("%w: no auth_time for a forced login", ErrUntrusted)
		}
		if t := time.Unix(at, 0); t.Before(rq.sent.Add(-authSkew)) {
			return cl, time.Time{}, fmt.Errorf("%w: authentication at %s predates the request", ErrExpired, t.UTC().Format(time.RFC3339))
		}
	}
	return cl, idt.Expiry, nil
}

// userinfo fills the claims the ID token lacked from the UserInfo
// endpoint, whose sub must be the ID token's (OpenID Connect Core §5.3.2).
func (c *Client) userinfo(ctx context.Context, p *provider, tok *oauth2.Token, cl *claims) error {
	ui, err := p.oidc.UserInfo(c.ctx(ctx), oauth2.StaticTokenSource(tok))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return unreachable(err)
		}
		return fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	if ui.Subject != cl.Subject {
		return fmt.Errorf("%w: UserInfo names another subject", ErrUntrusted)
	}
	var more claims
	if err := ui.Claims(&more); err != nil {
		return fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	cl.fill(more)
	return nil
}

// claims are the CIS2 claims SIGNIN.md step 6 reads.
type claims struct {
	Subject      string      `json:"sub"`
	AZP          string      `json:"azp"`
	AuthTime     json.Number `json:"auth_time"`
	UserUID      string      `json:"nhsid_useruid"`
	Name         string      `json:"name"`
	SelectedRole string      `json:"selected_roleid"`
	Roles        []roleClaim `json:"nhsid_nrbac_roles"`
	Orgs         []orgClaim  `json:"nhsid_user_orgs"`
}

type roleClaim struct {
	PersonRoleID  string   `json:"person_roleid"`
	OrgCode       string   `json:"org_code"`
	RoleName      string   `json:"role_name"`
	ActivityCodes []string `json:"activity_codes"`
}

type orgClaim struct {
	OrgCode string `json:"org_code"`
	OrgName string `json:"org_name"`
}

// fill takes from more what cl lacks.
func (cl *claims) fill(more claims) {
	if cl.UserUID == "" {
		cl.UserUID = more.UserUID
	}
	if cl.Name == "" {
		cl.Name = more.Name
	}
	if cl.SelectedRole == "" {
		cl.SelectedRole = more.SelectedRole
	}
	if cl.Roles == nil {
		cl.Roles = more.Roles
	}
	if cl.Orgs == nil {
		cl.Orgs = more.Orgs
	}
}

// identity joins each role to its organisation's name.
func (cl claims) identity() Identity {
	orgs := make(map[string]string, len(cl.Orgs))
	for _, o := range cl.Orgs {
		orgs[o.OrgCode] = o.OrgName
	}
	u := cpis.User{ID: cl.UserUID, Name: cl.Name}
	if u.ID == "" {
		u.ID = cl.Subject
	}
	for _, r := range cl.Roles {
		acts := make([]cpis.ActivityCode, len(r.ActivityCodes))
		for i, a := range r.ActivityCodes {
			acts[i] = cpis.ActivityCode(a)
		}
		u.Roles = append(u.Roles, cpis.Role{
			ID:       r.PersonRoleID,
			OrgCode:  r.OrgCode,
			OrgName:  orgs[r.OrgCode],
			JobRole:  r.RoleName,
			Activity: acts,
		})
	}
	return Identity{User: u, SelectedRole: cl.SelectedRole}
}

// redirect is the one callback the loopback takes; reply carries the
// sign-in's outcome back for the page.
type redirect struct {
	query url.Values
	reply chan error
}

// callback serves the loopback: exactly one redirect to /callback.
type callback struct {
	got   chan redirect // buffered 1: only one redirect is ever sent
	done  chan struct{} // closed when Authenticate returns
	taken atomic.Bool
}

func (cb *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/callback" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !cb.taken.CompareAndSwap(false, true) {
		writePage(w, http.StatusGone, "Sign-in over", "This sign-in is over. Return to the kiosk.")
		return
	}
	reply := make(chan error, 1)
	cb.got <- redirect{query: r.URL.Query(), reply: reply}
	var err error
	select {
	case err = <-reply:
	case <-cb.done:
		select {
		case err = <-reply:
		default:
			err = ErrNoCallback // the kiosk stopped waiting first
		}
	case <-r.Context().Done():
		return
	}
	switch {
	case err == nil:
		writePage(w, http.StatusOK, "Signed in", "You are signed in. Return to the kiosk.")
	case errors.Is(err, ErrDenied):
		writePage(w, http.StatusForbidden, "Sign-in cancelled", "Sign-in was cancelled. Return to the kiosk.")
	case errors.Is(err, ErrState):
		writePage(w, http.StatusBadRequest, "Not signed in", "This sign-in did not start at this kiosk. Return to the kiosk and sign in again.")
	case errors.Is(err, ErrNoCallback):
		writePage(w, http.StatusGone, "Sign-in over", "The kiosk stopped waiting for this sign-in. Return to the kiosk and sign in again.")
	default:
		writePage(w, http.StatusBadGateway, "Not signed in", "Sign-in did not complete. Return to the kiosk, which says what went wrong.")
	}
}

// writePage answers the browser with a short plain page.
func writePage(w http.ResponseWriter, status int, title, text string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the URL carried the code
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>NHS CIS2: %s</title></head>\n<body><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}
