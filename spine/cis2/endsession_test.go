package cis2_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/spine/cis2"
)

// A discovery that lists neither endpoint: nothing to do, no error.
func TestEndSessionNothingListed(t *testing.T) {
	o := newOP(t, nil)
	c := client(o)
	id, err := c.Authenticate(ctxFor(t, 10*time.Second), newAgent(), cis2.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EndSession(ctxFor(t, 5*time.Second), id); err != nil {
		t.Fatal(err)
	}
}

// Where discovery lists them: the provider's refresh token revoked
// (RFC 7009 §2.1) and the session ended with id_token_hint (RP-Initiated
// Logout 1.0 §2).
func TestEndSession(t *testing.T) {
	var (
		mu      sync.Mutex
		revoked url.Values
		hint    string
		status  = http.StatusOK
	)
	ends := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/revoke":
			r.ParseForm()
			revoked = cloneValues(r.PostForm)
			w.WriteHeader(status)
		case "/logout":
			hint = r.URL.Query().Get("id_token_hint")
			http.Redirect(w, r, "https://cis2.example/signed-out", http.StatusFound)
		}
	}))
	defer ends.Close()
	o := newOP(t, func(o *op) {
		o.discovery = map[string]string{"revocation_endpoint": ends.URL + "/revoke", "end_session_endpoint": ends.URL + "/logout"}
	})
	c := client(o)
	id, err := c.Authenticate(ctxFor(t, 10*time.Second), newAgent(), cis2.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EndSession(ctxFor(t, 5*time.Second), id); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if revoked.Get("token_type_hint") != "refresh_token" || revoked.Get("client_id") != o.ClientID || revoked.Get("client_secret") != o.ClientSecret {
		t.Errorf("revocation request %v", revoked)
	}
	// The token revoked is the refresh token mockoidc issued.
	if _, err := o.Keypair.VerifyJWT(revoked.Get("token"), o.Now); err != nil {
		t.Errorf("revoked token is not the provider's: %v", err)
	}
	if hint != id.IDToken {
		t.Errorf("id_token_hint %q, want the ID token", hint)
	}
	status = http.StatusServiceUnavailable
	mu.Unlock()

	wantErr(t, c.EndSession(ctxFor(t, 5*time.Second), id), cis2.ErrUnreachable, "revoking the refresh token")
}
