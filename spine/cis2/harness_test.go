package cis2_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

func TestMain(m *testing.M) {
	// CIS2 offers the nationalrbacaccess scope; mockoidc refuses any scope
	// it does not list, so it is taught this one.
	mockoidc.ScopesSupported = append(mockoidc.ScopesSupported, "nationalrbacaccess")
	os.Exit(m.Run())
}

// Keys made once: the kiosk's and a stranger's. 2048 bits keeps it quick.
var (
	kioskKey = sync.OnceValue(func() *rsa.PrivateKey { return newKey(2048) })
	otherKey = sync.OnceValue(func() *rsa.PrivateKey { return newKey(2048) })
)

func newKey(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

// Every httptest TLS server presents the same certificate, so one server
// configuration and one trusting client serve the provider, the platform
// fixture and its neighbours.
var serverTLS, trusting = func() (*tls.Config, *http.Client) {
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS()
	defer ts.Close()
	cfg := ts.TLS.Clone()
	cfg.NextProtos = []string{"http/1.1"}
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	return cfg, &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
}()

// op is mockoidc, an OpenID provider this project did not write, over TLS,
// with a small handler in front that can change what passes.
type op struct {
	*mockoidc.MockOIDC

	mu            sync.Mutex
	deny          bool              // authorize answers with the error=access_denied redirect
	jwks          []byte            // served at jwks_uri instead of the provider's keys
	assertionKey  *rsa.PublicKey    // private_key_jwt: check the assertion, then pass on as client_secret_post
	discovery     map[string]string // added to the discovery document
	discoveryDown int               // this many discoveries answer 503
	discoveryN    int               // discoveries asked for
	tokenForms    []url.Values      // what reached the token endpoint
	jtis          map[string]bool
}

func newOP(t *testing.T, setup func(*op)) *op {
	t.Helper()
	m, err := mockoidc.NewServer(nil) // its default key: no key generation
	if err != nil {
		t.Fatal(err)
	}
	o := &op{MockOIDC: m, jtis: map[string]bool{}}
	if setup != nil {
		setup(o)
	}
	if err := m.AddMiddleware(o.front); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(tls.NewListener(ln, serverTLS), serverTLS); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return o
}

func (o *op) front(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		defer o.mu.Unlock()
		switch r.URL.Path {
		case mockoidc.DiscoveryEndpoint:
			o.discoveryN++
			if o.discoveryDown > 0 {
				o.discoveryDown--
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
			if o.discovery != nil {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				doc := map[string]any{}
				if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
					panic(err)
				}
				for k, v := range o.discovery {
					doc[k] = v
				}
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(doc)
				return
			}
		case mockoidc.AuthorizationEndpoint:
			if o.deny { // the provider's answer when the user cancels (RFC 6749 §4.1.2.1)
				r.ParseForm()
				u, _ := url.Parse(r.Form.Get("redirect_uri"))
				u.RawQuery = url.Values{"error": {"access_denied"}, "error_description": {"The user cancelled"}, "state": {r.Form.Get("state")}}.Encode()
				http.Redirect(w, r, u.String(), http.StatusFound)
				return
			}
		case mockoidc.JWKSEndpoint:
			if o.jwks != nil {
				w.Header().Set("Content-Type", "application/json")
				w.Write(o.jwks)
				return
			}
		case mockoidc.TokenEndpoint:
			r.ParseForm()
			o.tokenForms = append(o.tokenForms, cloneValues(r.PostForm))
			if o.assertionKey != nil {
				if err := checkAssertion(r.PostForm, o.assertionKey, o.ClientID, o.TokenEndpoint(), o.jtis); err != nil {
					oauthErrorAnswer(w, http.StatusUnauthorized, "invalid_client", err.Error())
					return
				}
				// Pass on as mockoidc knows: client_secret_post.
				r.PostForm.Set("client_secret", o.ClientSecret)
				r.Form.Set("client_secret", o.ClientSecret)
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (o *op) discoveries() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.discoveryN
}

func (o *op) forms() []url.Values {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]url.Values(nil), o.tokenForms...)
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

func oauthErrorAnswer(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

// thumbprint is RFC 7638's, by go-jose: the kid a verifier expects.
func thumbprint(pub *rsa.PublicKey) string {
	b, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// checkAssertion verifies a client assertion as an authorization server
// does (RFC 7523 §3, and SIGNIN.md steps 4 and 8): the jwt-bearer type,
// an RS512 signature by the registered key named by its kid, iss = sub =
// the client, aud = this endpoint, exp in the future and at most 5
// minutes on, and a jti never seen before.
func checkAssertion(form url.Values, pub *rsa.PublicKey, client, endpoint string, seen map[string]bool) error {
	if got := form.Get("client_assertion_type"); got != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return fmt.Errorf("client_assertion_type %q", got)
	}
	tok, err := josejwt.ParseSigned(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS512})
	if err != nil {
		return fmt.Errorf("parsing the assertion: %w", err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID != thumbprint(pub) {
		return errors.New("assertion kid is not the registered key's")
	}
	var cl josejwt.Claims
	if err := tok.Claims(pub, &cl); err != nil {
		return fmt.Errorf("assertion signature: %w", err)
	}
	now := time.Now()
	if err := cl.ValidateWithLeeway(josejwt.Expected{Issuer: client, Subject: client, AnyAudience: josejwt.Audience{endpoint}, Time: now}, 0); err != nil {
		return fmt.Errorf("assertion claims: %w", err)
	}
	if cl.Expiry == nil || cl.Expiry.Time().After(now.Add(5*time.Minute)) {
		return errors.New("assertion exp missing or more than 5 minutes on")
	}
	if cl.ID == "" || seen[cl.ID] {
		return errors.New("assertion jti missing or reused")
	}
	seen[cl.ID] = true
	return nil
}

// cis2User is a CIS2 user for mockoidc: its ID token carries the claims
// SIGNIN.md step 6 names, in CIS2's shape.
type cis2User struct {
	sub, uid, name, selected string
	roles, orgs              json.RawMessage
	authTime                 int64  // 0: no auth_time
	rolesAtUserinfo          bool   // the RBAC claims only at the UserInfo endpoint
	alsoFor, azp             string // a second audience, and the azp claim
}

type cis2Claims struct {
	*mockoidc.IDTokenClaims
	UserUID  string          `json:"nhsid_useruid,omitempty"`
	Name     string          `json:"name,omitempty"`
	Selected string          `json:"selected_roleid,omitempty"`
	Roles    json.RawMessage `json:"nhsid_nrbac_roles,omitempty"`
	Orgs     json.RawMessage `json:"nhsid_user_orgs,omitempty"`
	AuthTime int64           `json:"auth_time,omitempty"`
	ACR      string          `json:"acr"`
	AZP      string          `json:"azp,omitempty"`
}

func (u *cis2User) ID() string { return u.sub }

func (u *cis2User) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{
		"sub":               u.sub,
		"nhsid_useruid":     u.uid,
		"name":              u.name,
		"selected_roleid":   u.selected,
		"nhsid_nrbac_roles": u.roles,
		"nhsid_user_orgs":   u.orgs,
	})
}

func (u *cis2User) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c := &cis2Claims{IDTokenClaims: base, UserUID: u.uid, Name: u.name, Selected: u.selected, AuthTime: u.authTime, ACR: "AAL3_ANY", AZP: u.azp}
	if u.alsoFor != "" {
		base.Audience = append(base.Audience, u.alsoFor)
	}
	if !u.rolesAtUserinfo {
		c.Roles, c.Orgs = u.roles, u.orgs
	}
	return c, nil
}

// jane has two role profiles, as CIS2 writes them: a nurse at RR8 with
// B0264 and B0107, and a registration authority agent at X26 with only
// B0170. The names and numbers are made up.
func jane() *cis2User {
	return &cis2User{
		sub:      "555254242105",
		uid:      "555254242105",
		name:     "Jane Example-Nurse",
		selected: "555254240100",
		roles: json.RawMessage(`[
			{"person_orgid": "555254239107", "person_roleid": "555254240100", "org_code": "RR8",
			 "role_name": "\"Clinical\":\"Clinical Provision\":\"Nurse Access Role\"", "role_code": "S8000:G8000:R8001",
			 "activities": ["Perform Patient Trace", "View Child Protection Plan"], "activity_codes": ["B0264", "B0107"]},
			{"person_orgid": "555254239108", "person_roleid": "555254242102", "org_code": "X26",
			 "role_name": "\"Admin & Clerical\":\"Management - A & C\":\"Registration Authority Agent\"", "role_code": "S8000:G8001:R8003",
			 "activities": ["Silent Read"], "activity_codes": ["B0170"]}
		]`),
		orgs: json.RawMessage(`[
			{"org_code": "RR8", "org_name": "LEEDS TEACHING HOSPITALS NHS TRUST"},
			{"org_code": "X26", "org_name": "NHS ENGLAND - X26"}
		]`),
	}
}

// agent is a user agent that signs in by itself: it GETs the
// authorization URL, takes the provider's 302 and delivers it to the
// loopback. editAuth and editRedirect alter what passes.
type agent struct {
	editAuth     func(url.Values)
	editRedirect func(url.Values)
	skip         bool // open nothing: the browser was closed

	mu      sync.Mutex
	authURL *url.URL
	status  int
	page    string
	done    chan struct{} // closed when the loopback has answered
}

func newAgent() *agent { return &agent{done: make(chan struct{})} }

func (a *agent) Open(ctx context.Context, authURL string) error {
	u, err := url.Parse(authURL)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.authURL = u
	a.mu.Unlock()
	if a.skip {
		return nil
	}
	if a.editAuth != nil {
		q := u.Query()
		a.editAuth(q)
		u.RawQuery = q.Encode()
	}
	hc := *trusting
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := get(ctx, &hc, u.String())
	if err != nil {
		return err
	}
	if resp.status != http.StatusFound {
		return fmt.Errorf("authorize answered %d: %s", resp.status, resp.body)
	}
	back, err := url.Parse(resp.location)
	if err != nil {
		return err
	}
	if a.editRedirect != nil {
		q := back.Query()
		a.editRedirect(q)
		back.RawQuery = q.Encode()
	}
	page, err := get(ctx, &hc, back.String())
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.status, a.page = page.status, page.body
	a.mu.Unlock()
	close(a.done)
	return nil
}

// seen is the authorization URL as the kiosk made it.
func (a *agent) seen() *url.URL {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.authURL
}

// answer is the loopback's page, once it has come.
func (a *agent) answer(t *testing.T) (int, string) {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the loopback never answered the browser")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status, a.page
}

type answer struct {
	status         int
	location, body string
}

func get(ctx context.Context, hc *http.Client, u string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return answer{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Location"), string(b)}, err
}

// agentFunc is a user agent from a function.
type agentFunc func(ctx context.Context, authURL string) error

func (f agentFunc) Open(ctx context.Context, authURL string) error { return f(ctx, authURL) }

// redirectPort is the loopback port named in an authorization URL.
func redirectPort(t *testing.T, u *url.URL) string {
	t.Helper()
	ru, err := url.Parse(u.Query().Get("redirect_uri"))
	if err != nil || ru.Hostname() != "127.0.0.1" || ru.Path != "/callback" || ru.Scheme != "http" {
		t.Fatalf("redirect_uri %q is not http://127.0.0.1:PORT/callback", u.Query().Get("redirect_uri"))
	}
	return ru.Port()
}

// assertPortFree checks that the loopback listener is closed.
func assertPortFree(t *testing.T, port string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("the redirect port %s is still held: %v", port, err)
	}
	ln.Close()
}

// closedURL is an https URL on a port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "https://" + addr
}

func contains(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }
