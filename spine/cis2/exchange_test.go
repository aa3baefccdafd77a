package cis2_test

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/spine/cis2"
)

// The API platform's token endpoint, written from RFC 8693 §2 and the NHS
// API platform's "NHS CIS2 separate authentication and authorisation"
// page, not from the client: the token exchange and the refresh, each
// authenticated by a signed JWT (the "application-restricted, signed JWT"
// page: RS512, kid, iss = sub = the application's key, aud = this URL, exp
// at most 5 minutes on, jti never reused).
type platform struct {
	*httptest.Server
	apiKey  string
	pub     *rsa.PublicKey // the application's registered key
	idToken string         // the subject token it expects

	mu      sync.Mutex
	answer  string // "": the published answer; "refuse", "garbage", "huge", "down", "numeric", "refresh type", "keep refresh"
	calls   int
	jtis    map[string]bool
	refresh map[string]bool // refresh tokens issued and not yet used
	issued  int
}

// The platform's published answer, expires_in and refresh_token_expires_in
// as strings.
const platformAnswer = `{
  "access_token": %q,
  "expires_in": "599",
  "token_type": "Bearer",
  "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
  "refresh_token": %q,
  "refresh_token_expires_in": "43199",
  "refresh_count": "%d"
}`

func newPlatform(t *testing.T) *platform {
	p := &platform{
		apiKey:  "Kp6s7YBnHTtSx0Z0j1mAZUnnPS9dRn2Y",
		pub:     &kioskKey().PublicKey,
		idToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI1NTUyNTQyNDIxMDUifQ.c2lnbmVk",
		jtis:    map[string]bool{},
		refresh: map[string]bool{},
	}
	p.Server = httptest.NewTLSServer(http.HandlerFunc(p.token))
	t.Cleanup(p.Close)
	return p
}

func (p *platform) endpoint() string { return p.URL + "/oauth2/token" }

func (p *platform) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if r.URL.Path != "/oauth2/token" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if p.answer == "down" {
		http.Error(w, "<html>503 Service Unavailable</html>", http.StatusServiceUnavailable)
		return
	}
	if err := r.ParseForm(); err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		oauthErrorAnswer(w, http.StatusBadRequest, "invalid_request", "not a form")
		return
	}
	f := r.PostForm
	if err := checkAssertion(f, p.pub, p.apiKey, p.endpoint(), p.jtis); err != nil {
		oauthErrorAnswer(w, http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	switch f.Get("grant_type") {
	case "urn:ietf:params:oauth:grant-type:token-exchange":
		if f.Get("subject_token_type") != "urn:ietf:params:oauth:token-type:id_token" {
			oauthErrorAnswer(w, http.StatusBadRequest, "invalid_request", "subject_token_type")
			return
		}
		if f.Get("subject_token") != p.idToken || p.answer == "refuse" {
			oauthErrorAnswer(w, http.StatusBadRequest, "invalid_grant", "ID token is not valid")
			return
		}
	case "refresh_token":
		if !p.refresh[f.Get("refresh_token")] {
			oauthErrorAnswer(w, http.StatusBadRequest, "invalid_grant", "refresh token is not valid")
			return
		}
		if p.answer == "keep refresh" { // RFC 6749 §6: a new refresh token is optional
			p.issued++
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token": "access-%d", "expires_in": "599", "token_type": "Bearer"}`, p.issued)
			return
		}
		delete(p.refresh, f.Get("refresh_token"))
	default:
		oauthErrorAnswer(w, http.StatusBadRequest, "unsupported_grant_type", f.Get("grant_type"))
		return
	}
	p.issued++
	access, refresh := fmt.Sprintf("access-%d", p.issued), fmt.Sprintf("refresh-%d", p.issued)
	p.refresh[refresh] = true
	w.Header().Set("Content-Type", "application/json")
	switch p.answer {
	case "garbage":
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>Gateway says hello</body></html>")
	case "huge":
		fmt.Fprintf(w, `{"access_token": %q, "expires_in": "599", "token_type": "Bearer", "pad": %q}`, access, strings.Repeat("x", 1<<20))
	case "refresh type":
		fmt.Fprintf(w, `{"access_token": %q, "expires_in": "599", "token_type": "Bearer", "issued_token_type": "urn:ietf:params:oauth:token-type:refresh_token"}`, access)
	case "numeric":
		fmt.Fprintf(w, `{"access_token": %q, "expires_in": 599, "token_type": "Bearer", "refresh_token": %q, "refresh_token_expires_in": 43199}`, access, refresh)
	default:
		fmt.Fprintf(w, platformAnswer, access, refresh, p.issued-1)
	}
}

func (p *platform) set(answer string) {
	p.mu.Lock()
	p.answer = answer
	p.mu.Unlock()
}

func (p *platform) callCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// platformClient is a client of the fixture, its clock stopped at now.
func platformClient(p *platform, now time.Time, key *rsa.PrivateKey) *cis2.Client {
	return cis2.New(cis2.Config{
		Issuer:        "https://cis2.invalid",
		ClientID:      "kiosk",
		TokenEndpoint: p.endpoint(),
		APIKey:        p.apiKey,
		Key:           key,
		HTTP:          trusting,
		Now:           func() time.Time { return now },
	})
}

// SIGNIN.md steps 8 and 9: the exchange, then a renewal with a fresh
// assertion (the fixture refuses a reused jti).
func TestExchangeAndRenew(t *testing.T) {
	p := newPlatform(t)
	now := time.Now()
	c := platformClient(p, now, kioskKey())
	id := cis2.Identity{IDToken: p.idToken, Expires: now.Add(5 * time.Minute)}

	a, err := c.Exchange(ctxFor(t, 5*time.Second), id)
	if err != nil {
		t.Fatal(err)
	}
	want := cis2.Access{Token: "access-1", Expires: now.Add(599 * time.Second), Refresh: "refresh-1", RefreshExpires: now.Add(43199 * time.Second)}
	if a != want {
		t.Fatalf("Exchange: %+v, want %+v", a, want)
	}

	n, err := c.Renew(ctxFor(t, 5*time.Second), a)
	if err != nil {
		t.Fatal(err)
	}
	want = cis2.Access{Token: "access-2", Expires: now.Add(599 * time.Second), Refresh: "refresh-2", RefreshExpires: now.Add(43199 * time.Second)}
	if n != want {
		t.Fatalf("Renew: %+v, want %+v", n, want)
	}
	// The platform used refresh-1 up: renewing with it again is refused.
	if _, err := c.Renew(ctxFor(t, 5*time.Second), a); !errors.Is(err, cis2.ErrRefused) {
		t.Fatalf("Renew with a used refresh token: %v", err)
	}
}

// A renewal that gives no new refresh token keeps the old one.
func TestRenewKeepsRefresh(t *testing.T) {
	p := newPlatform(t)
	now := time.Now()
	c := platformClient(p, now, kioskKey())
	a, err := c.Exchange(ctxFor(t, 5*time.Second), cis2.Identity{IDToken: p.idToken})
	if err != nil {
		t.Fatal(err)
	}
	p.set("keep refresh")
	n, err := c.Renew(ctxFor(t, 5*time.Second), a)
	if err != nil {
		t.Fatal(err)
	}
	if want := (cis2.Access{Token: "access-2", Expires: now.Add(599 * time.Second), Refresh: a.Refresh, RefreshExpires: a.RefreshExpires}); n != want {
		t.Errorf("Renew: %+v, want %+v", n, want)
	}
}

// expires_in may be a JSON number too (RFC 6749 §5.1 writes it so).
func TestExchangeExpiresInNumber(t *testing.T) {
	p := newPlatform(t)
	p.set("numeric")
	now := time.Now()
	a, err := platformClient(p, now, kioskKey()).Exchange(ctxFor(t, 5*time.Second), cis2.Identity{IDToken: p.idToken})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Expires.Equal(now.Add(599*time.Second)) || !a.RefreshExpires.Equal(now.Add(43199*time.Second)) {
		t.Errorf("Expires %v, RefreshExpires %v", a.Expires, a.RefreshExpires)
	}
}

func TestExchangeFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answer  string
		idToken string
		key     func() *rsa.PrivateKey
		want    error
		inErr   string
	}{
		{name: "refused", answer: "refuse", want: cis2.ErrRefused, inErr: "invalid_grant"},
		{name: "another ID token", idToken: "eyJ.other.token", want: cis2.ErrRefused, inErr: "invalid_grant"},
		{name: "signed by another key", key: otherKey, want: cis2.ErrRefused, inErr: "invalid_client"},
		{name: "garbage", answer: "garbage", want: cis2.ErrBadAnswer},
		{name: "not an access token", answer: "refresh type", want: cis2.ErrBadAnswer, inErr: "issued_token_type"},
		{name: "over 1 MiB", answer: "huge", want: cis2.ErrBadAnswer},
		{name: "503", answer: "down", want: cis2.ErrUnreachable, inErr: "503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlatform(t)
			p.set(tc.answer)
			key := kioskKey()
			if tc.key != nil {
				key = tc.key()
			}
			id := cis2.Identity{IDToken: p.idToken}
			if tc.idToken != "" {
				id.IDToken = tc.idToken
			}
			a, err := platformClient(p, time.Now(), key).Exchange(ctxFor(t, 5*time.Second), id)
			wantErr(t, err, tc.want, "exchanging for an API token")
			if !strings.Contains(err.Error(), tc.inErr) {
				t.Errorf("error %q does not name %q", err, tc.inErr)
			}
			if a != (cis2.Access{}) {
				t.Errorf("an access token came with the error: %+v", a)
			}
			if strings.Contains(err.Error(), id.IDToken) {
				t.Errorf("error %q holds the ID token", err)
			}
		})
	}
}

func TestExchangeUnreachable(t *testing.T) {
	c := cis2.New(cis2.Config{Issuer: "https://cis2.invalid", ClientID: "kiosk", TokenEndpoint: closedURL(t) + "/oauth2/token",
		APIKey: "key", Key: kioskKey(), HTTP: trusting})
	_, err := c.Exchange(ctxFor(t, 5*time.Second), cis2.Identity{IDToken: "a.b.c"})
	wantErr(t, err, cis2.ErrUnreachable, "exchanging for an API token")
}

// An expired ID token is not sent at all.
func TestExchangeExpiredIDToken(t *testing.T) {
	p := newPlatform(t)
	now := time.Now()
	_, err := platformClient(p, now, kioskKey()).Exchange(ctxFor(t, 5*time.Second), cis2.Identity{IDToken: p.idToken, Expires: now.Add(-time.Second)})
	wantErr(t, err, cis2.ErrExpired, "exchanging for an API token")
	if n := p.callCount(); n != 0 {
		t.Errorf("%d calls to the platform", n)
	}
}

func TestRenewWithoutRefresh(t *testing.T) {
	p := newPlatform(t)
	now := time.Now()
	c := platformClient(p, now, kioskKey())
	for name, a := range map[string]cis2.Access{
		"none":    {Token: "access-1", Expires: now.Add(time.Minute)},
		"expired": {Token: "access-1", Expires: now.Add(time.Minute), Refresh: "refresh-1", RefreshExpires: now.Add(-time.Second)},
	} {
		_, err := c.Renew(ctxFor(t, 5*time.Second), a)
		if !errors.Is(err, cis2.ErrNoRenewal) {
			t.Errorf("%s: %v, want ErrNoRenewal", name, err)
		}
	}
	if n := p.callCount(); n != 0 {
		t.Errorf("%d calls to the platform", n)
	}
}
