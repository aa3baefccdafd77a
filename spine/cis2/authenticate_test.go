package cis2_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine/cis2"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// client is a cis2.Client for the provider, signing in with the client
// secret (mockoidc knows client_secret_post only).
func client(o *op, edit ...func(*cis2.Config)) *cis2.Client {
	cfg := cis2.Config{
		Issuer:       o.Issuer(),
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		HTTP:         trusting,
	}
	for _, e := range edit {
		e(&cfg)
	}
	return cis2.New(cfg)
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// wantErr checks the sentinel and that the error is a *cis2.Error naming
// the step.
func wantErr(t *testing.T, err, sentinel error, step string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v, want %v", err, sentinel)
	}
	var e *cis2.Error
	if !errors.As(err, &e) || e.Step != step {
		t.Fatalf("error %#v, want a *cis2.Error at step %q", err, step)
	}
}

func TestDiscover(t *testing.T) {
	o := newOP(t, nil)
	c := client(o, func(cfg *cis2.Config) { cfg.TokenEndpoint = o.TokenEndpoint() })
	for range 2 {
		if err := c.Discover(ctxFor(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if n := o.discoveries(); n != 1 {
		t.Errorf("%d discoveries, want 1: the provider is kept", n)
	}
	// mockoidc answers a GET at its token endpoint 400: reachable.
	issuer, token := c.Probe(ctxFor(t, 5*time.Second))
	if issuer != nil || token != nil {
		t.Fatalf("Probe: %v, %v; want both reachable", issuer, token)
	}
}

func TestDiscoverUnreachable(t *testing.T) {
	down := closedURL(t)
	c := cis2.New(cis2.Config{Issuer: down + "/oidc", ClientID: "kiosk", HTTP: trusting, TokenEndpoint: down + "/oauth2/token"})
	wantErr(t, c.Discover(ctxFor(t, 5*time.Second)), cis2.ErrUnreachable, "discovering the provider")
	issuer, token := c.Probe(ctxFor(t, 5*time.Second))
	if !errors.Is(issuer, cis2.ErrUnreachable) || !errors.Is(token, cis2.ErrUnreachable) {
		t.Fatalf("Probe: %v, %v; want both ErrUnreachable", issuer, token)
	}
}

// Discovery answers that are no document are ErrUnreachable; a document
// naming another issuer is ErrUntrusted (Discovery 1.0 §4.3).
func TestDiscoverAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter, issuer string)
		want   error
	}{
		{"503", func(w http.ResponseWriter, _ string) { http.Error(w, "busy", http.StatusServiceUnavailable) }, cis2.ErrUnreachable},
		{"HTML", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><body>Sign in to the Wi-Fi</body></html>")
		}, cis2.ErrUnreachable},
		{"over 1 MiB", func(w http.ResponseWriter, issuer string) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"issuer": %q, "authorization_endpoint": "%[1]s/authorize", "token_endpoint": "%[1]s/token", "jwks_uri": "%[1]s/jwks", "pad": %q}`,
				issuer, strings.Repeat("x", 1<<20))
		}, cis2.ErrUnreachable},
		{"another issuer", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"issuer": "https://impostor.example/cis2", "authorization_endpoint": "https://impostor.example/a", "token_endpoint": "https://impostor.example/t", "jwks_uri": "https://impostor.example/j"}`)
		}, cis2.ErrUntrusted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var issuer string
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/cis2/.well-known/openid-configuration" {
					http.NotFound(w, r)
					return
				}
				tc.answer(w, issuer)
			}))
			defer srv.Close()
			issuer = srv.URL + "/cis2"
			c := cis2.New(cis2.Config{Issuer: issuer, ClientID: "kiosk", HTTP: trusting})
			wantErr(t, c.Discover(ctxFor(t, 5*time.Second)), tc.want, "discovering the provider")
		})
	}
}

func TestDiscoverRetriedAfterFailure(t *testing.T) {
	o := newOP(t, func(o *op) { o.discoveryDown = 1 })
	c := client(o)
	wantErr(t, c.Discover(ctxFor(t, 5*time.Second)), cis2.ErrUnreachable, "discovering the provider")
	if err := c.Discover(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatalf("second discovery: %v", err)
	}
}

// The happy path (SIGNIN.md steps 2 to 7): code with PKCE, client secret,
// the user with roles and organisation names.
func TestAuthenticate(t *testing.T) {
	o := newOP(t, nil)
	o.QueueUser(jane())
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	c := client(o, func(cfg *cis2.Config) { cfg.Log = log })
	a := newAgent()

	before := time.Now()
	id, err := c.Authenticate(ctxFor(t, 10*time.Second), a, cis2.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The authorization request, RFC 6749 §4.1.1, RFC 7636 §4.3.
	q := a.seen().Query()
	for k, want := range map[string]string{
		"response_type":         "code",
		"client_id":             o.ClientID,
		"scope":                 "openid profile nationalrbacaccess",
		"code_challenge_method": "S256",
	} {
		if q.Get(k) != want {
			t.Errorf("authorization request %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("state")) < 16 || len(q.Get("nonce")) < 16 {
		t.Errorf("state %q, nonce %q: want fresh random values", q.Get("state"), q.Get("nonce"))
	}
	if q.Has("prompt") || q.Has("max_age") {
		t.Errorf("prompt or max_age sent without ForceLogin: %v", q)
	}
	port := redirectPort(t, a.seen())

	// The code exchange, RFC 6749 §4.1.3 and RFC 7636 §4.5: the verifier
	// is 43+ characters and hashes to the challenge.
	forms := o.forms()
	if len(forms) != 1 {
		t.Fatalf("%d token requests, want 1", len(forms))
	}
	f := forms[0]
	v := f.Get("code_verifier")
	sum := sha256.Sum256([]byte(v))
	if len(v) < 43 || base64.RawURLEncoding.EncodeToString(sum[:]) != q.Get("code_challenge") {
		t.Errorf("code_verifier %q does not match the challenge %q", v, q.Get("code_challenge"))
	}
	if f.Get("grant_type") != "authorization_code" || f.Get("redirect_uri") != q.Get("redirect_uri") ||
		f.Get("client_id") != o.ClientID || f.Get("client_secret") != o.ClientSecret {
		t.Errorf("token request %v", f)
	}

	// The identity (SIGNIN.md step 6).
	u := id.User
	if u.ID != "555254242105" || u.Name != "Jane Example-Nurse" || id.SelectedRole != "555254240100" {
		t.Errorf("user %q %q, selected %q", u.ID, u.Name, id.SelectedRole)
	}
	want := []cpis.Role{
		{ID: "555254240100", OrgCode: "RR8", OrgName: "LEEDS TEACHING HOSPITALS NHS TRUST",
			JobRole: `"Clinical":"Clinical Provision":"Nurse Access Role"`, Activity: []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag}},
		{ID: "555254242102", OrgCode: "X26", OrgName: "NHS ENGLAND - X26",
			JobRole: `"Admin & Clerical":"Management - A & C":"Registration Authority Agent"`, Activity: []cpis.ActivityCode{cpis.SilentRead}},
	}
	if len(u.Roles) != len(want) {
		t.Fatalf("roles %+v, want %+v", u.Roles, want)
	}
	for i := range want {
		g, w := u.Roles[i], want[i]
		if g.ID != w.ID || g.OrgCode != w.OrgCode || g.OrgName != w.OrgName || g.JobRole != w.JobRole || !slices.Equal(g.Activity, w.Activity) {
			t.Errorf("role %d: %+v, want %+v", i, g, w)
		}
	}
	// SIGNIN.md step 7: the role without B0264 cannot trace.
	if err := cpis.Permit(u.Roles[0], cpis.ActTrace); err != nil {
		t.Errorf("the nurse role may not trace: %v", err)
	}
	if err := cpis.Permit(u.Roles[1], cpis.ActTrace); !errors.Is(err, cpis.ErrNotPermitted) {
		t.Errorf("the B0170-only role may trace: %v", err)
	}

	if id.IDToken == "" || strings.Count(id.IDToken, ".") != 2 {
		t.Errorf("IDToken %q is not a JWT", id.IDToken)
	}
	if lo, hi := before.Add(o.AccessTTL-2*time.Second), time.Now().Add(o.AccessTTL+2*time.Second); id.Expires.Before(lo) || id.Expires.After(hi) {
		t.Errorf("Expires %v, want about now + %v", id.Expires, o.AccessTTL)
	}

	// The browser is told, and the loopback is closed.
	status, page := a.answer(t)
	if status != http.StatusOK || !strings.Contains(page, "signed in") {
		t.Errorf("browser page %d %q", status, page)
	}
	assertPortFree(t, port)

	// The log names the user by id, never by name or token.
	var sawUser bool
	for _, e := range hook.AllEntries() {
		line, _ := e.String()
		for _, secret := range []string{u.Name, id.IDToken, f.Get("code"), v} {
			if contains(line, secret) || contains(fmt.Sprint(e.Data), secret) {
				t.Errorf("log entry %q holds a secret", line)
			}
		}
		sawUser = sawUser || e.Data["user"] == u.ID
	}
	if !sawUser {
		t.Error("no log entry names the user id")
	}
}

// private_key_jwt at the CIS2 token endpoint (SIGNIN.md step 4): the front
// checks the assertion as RFC 7523 §3 asks before mockoidc sees the code.
func TestAuthenticatePrivateKeyJWT(t *testing.T) {
	for _, tc := range []struct {
		name string
		want error
	}{
		{"the registered key", nil},
		{"another key", cis2.ErrRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOP(t, func(o *op) { o.assertionKey = &kioskKey().PublicKey })
			o.QueueUser(jane())
			key := kioskKey()
			if tc.want != nil {
				key = otherKey()
			}
			c := client(o, func(cfg *cis2.Config) { cfg.ClientSecret, cfg.Key = "", key })
			id, err := c.Authenticate(ctxFor(t, 10*time.Second), newAgent(), cis2.AuthOptions{})
			if tc.want == nil {
				if err != nil || id.User.ID != "555254242105" {
					t.Fatalf("Authenticate: %v, %+v", err, id.User)
				}
				if f := o.forms()[0]; f.Has("client_secret") && f.Get("client_secret") != o.ClientSecret {
					t.Errorf("client_secret sent beside the assertion")
				}
				return
			}
			wantErr(t, err, tc.want, "exchanging the code")
			if !strings.Contains(err.Error(), "invalid_client") {
				t.Errorf("error %q does not name invalid_client", err)
			}
		})
	}
}

// Each way the redirect or the ID token can be wrong (SIGNIN.md steps 3
// and 5; OpenID Connect Core §3.1.3.7).
func TestAuthenticateRefusals(t *testing.T) {
	otherJWKS := func(o *op) {
		kid, _ := o.Keypair.KeyID() // the provider's kid, someone else's key
		b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &otherKey().PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}}})
		if err != nil {
			t.Fatal(err)
		}
		o.jwks = b
	}
	for _, tc := range []struct {
		name     string
		setup    func(*op)
		user     func(*cis2User)
		agent    func(*agent)
		want     error
		step     string
		page     int
		inBrowse string
		inErr    string
	}{
		{name: "wrong state", agent: func(a *agent) { a.editRedirect = func(q url.Values) { q.Set("state", "forged") } },
			want: cis2.ErrState, step: "checking the redirect", page: http.StatusBadRequest, inBrowse: "did not start at this kiosk"},
		{name: "no state", agent: func(a *agent) { a.editRedirect = func(q url.Values) { q.Del("state") } },
			want: cis2.ErrState, step: "checking the redirect", page: http.StatusBadRequest},
		{name: "access denied", setup: func(o *op) { o.deny = true },
			want: cis2.ErrDenied, step: "checking the redirect", page: http.StatusForbidden, inBrowse: "cancelled"},
		{name: "wrong nonce", agent: func(a *agent) { a.editAuth = func(q url.Values) { q.Set("nonce", "replayed") } },
			want: cis2.ErrNonce, step: "verifying the ID token", page: http.StatusBadGateway, inBrowse: "did not complete"},
		{name: "expired ID token", setup: func(o *op) { o.FastForward(-(o.AccessTTL + time.Minute)) },
			want: cis2.ErrExpired, step: "verifying the ID token", page: http.StatusBadGateway},
		{name: "bad signature", setup: otherJWKS,
			want: cis2.ErrUntrusted, step: "verifying the ID token", page: http.StatusBadGateway},
		{name: "another audience, no azp", user: func(u *cis2User) { u.alsoFor = "another-client" },
			want: cis2.ErrUntrusted, step: "verifying the ID token", page: http.StatusBadGateway},
		{name: "another audience, azp another client", user: func(u *cis2User) { u.alsoFor, u.azp = "another-client", "another-client" },
			want: cis2.ErrUntrusted, step: "verifying the ID token", page: http.StatusBadGateway},
		{name: "wrong verifier", agent: func(a *agent) {
			a.editAuth = func(q url.Values) { q.Set("code_challenge", strings.Repeat("A", 43)) }
		}, want: cis2.ErrRefused, step: "exchanging the code", page: http.StatusBadGateway, inErr: "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOP(t, tc.setup)
			u := jane()
			if tc.user != nil {
				tc.user(u)
			}
			o.QueueUser(u)
			c := client(o)
			a := newAgent()
			if tc.agent != nil {
				tc.agent(a)
			}
			id, err := c.Authenticate(ctxFor(t, 10*time.Second), a, cis2.AuthOptions{})
			wantErr(t, err, tc.want, tc.step)
			if !strings.Contains(err.Error(), tc.inErr) {
				t.Errorf("error %q does not name %q", err, tc.inErr)
			}
			if id.User.ID != "" || id.IDToken != "" {
				t.Errorf("an identity came with the error: %+v", id)
			}
			status, page := a.answer(t)
			if status != tc.page || !strings.Contains(page, tc.inBrowse) {
				t.Errorf("browser page %d %q, want %d with %q", status, page, tc.page, tc.inBrowse)
			}
			assertPortFree(t, redirectPort(t, a.seen()))
		})
	}
}

// The browser closed or the card pulled: the context ends first, and the
// port is free again.
func TestAuthenticateNoCallback(t *testing.T) {
	o := newOP(t, nil)
	a := newAgent()
	a.skip = true
	start := time.Now()
	_, err := client(o).Authenticate(ctxFor(t, 300*time.Millisecond), a, cis2.AuthOptions{})
	wantErr(t, err, cis2.ErrNoCallback, "waiting for the browser")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not keep the context's", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Authenticate took %v after the context ended", d)
	}
	assertPortFree(t, redirectPort(t, a.seen()))
}

func TestAuthenticatePortBusy(t *testing.T) {
	o := newOP(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	opened := false
	c := client(o, func(cfg *cis2.Config) { cfg.RedirectPort = port })
	_, err = c.Authenticate(ctxFor(t, 5*time.Second), agentFunc(func(context.Context, string) error { opened = true; return nil }), cis2.AuthOptions{})
	wantErr(t, err, cis2.ErrPortBusy, "opening the redirect port")
	if opened {
		t.Error("the user agent was opened without a loopback")
	}
}

// A fixed RedirectPort is the one in redirect_uri.
func TestAuthenticateFixedPort(t *testing.T) {
	o := newOP(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	a := newAgent()
	if _, err := client(o, func(cfg *cis2.Config) { cfg.RedirectPort = port }).Authenticate(ctxFor(t, 10*time.Second), a, cis2.AuthOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := redirectPort(t, a.seen()); got != strconv.Itoa(port) {
		t.Errorf("redirect port %s, want %d", got, port)
	}
}

func TestAuthenticateUserAgentFails(t *testing.T) {
	o := newOP(t, nil)
	noBrowser := errors.New("no browser installed")
	_, err := client(o).Authenticate(ctxFor(t, 5*time.Second), agentFunc(func(context.Context, string) error { return noBrowser }), cis2.AuthOptions{})
	wantErr(t, err, cis2.ErrUserAgent, "opening the user agent")
	if !errors.Is(err, noBrowser) {
		t.Errorf("error %v does not keep the user agent's", err)
	}
}

// ForceLogin sends prompt=login and max_age=0, and then wants an auth_time
// no older than the request (OpenID Connect Core §3.1.2.1, §3.1.3.7).
func TestAuthenticateForceLogin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		authTime func() int64
		want     error
	}{
		{"fresh", func() int64 { return time.Now().Unix() }, nil},
		{"ten minutes old", func() int64 { return time.Now().Add(-10 * time.Minute).Unix() }, cis2.ErrExpired},
		{"no auth_time", func() int64 { return 0 }, cis2.ErrUntrusted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOP(t, nil)
			u := jane()
			u.authTime = tc.authTime()
			o.QueueUser(u)
			a := newAgent()
			_, err := client(o).Authenticate(ctxFor(t, 10*time.Second), a, cis2.AuthOptions{ForceLogin: true})
			if q := a.seen().Query(); q.Get("prompt") != "login" || q.Get("max_age") != "0" {
				t.Errorf("prompt %q, max_age %q", q.Get("prompt"), q.Get("max_age"))
			}
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.want, "verifying the ID token")
		})
	}
}

// Several audiences are fine when azp names this client (Core §3.1.3.7).
func TestAuthenticateAZP(t *testing.T) {
	o := newOP(t, nil)
	u := jane()
	u.alsoFor = "another-client"
	o.QueueUser(u)
	u.azp = o.ClientID
	if _, err := client(o).Authenticate(ctxFor(t, 10*time.Second), newAgent(), cis2.AuthOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A provider that gives the RBAC claims at UserInfo only.
func TestAuthenticateRolesFromUserInfo(t *testing.T) {
	o := newOP(t, nil)
	u := jane()
	u.rolesAtUserinfo = true
	o.QueueUser(u)
	id, err := client(o).Authenticate(ctxFor(t, 10*time.Second), newAgent(), cis2.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(id.User.Roles) != 2 || id.User.Roles[1].OrgName != "NHS ENGLAND - X26" || !id.User.Roles[0].Has(cpis.PerformTrace) {
		t.Errorf("roles %+v", id.User.Roles)
	}
}
