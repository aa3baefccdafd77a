package sandbox

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The test's OpenID client, as CIS2 onboarding would register it, and
// its loopback redirect (RFC 8252 §7.3).
const (
	testClient   = "kiosk-test-client"
	testSecret   = "test-client-secret-0123456789"
	testRedirect = "http://127.0.0.1:49152/callback"
	testAPIKey   = "test-api-key"
)

// testKeys are RSA keys made once for the package's tests: the client's,
// the application's and a stranger's.
var (
	keysOnce sync.Once
	keys     [3]*rsa.PrivateKey
)

func testKey(t *testing.T, i int) *rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for i := range keys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keys[i] = k
		}
	})
	return keys[i]
}

// rfc7638 is the key's JWK thumbprint worked by hand (RFC 7638 §3.1):
// SHA-256 of the required members in lexical order, no whitespace.
func rfc7638(pub *rsa.PublicKey) string {
	b64 := base64.RawURLEncoding.EncodeToString
	e := b64(big.NewInt(int64(pub.E)).Bytes())
	sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + b64(pub.N.Bytes()) + `"}`))
	return b64(sum[:])
}

// idp is a sandbox whose clock the test moves, with a client that trusts
// its CA and does not follow redirects, the test client and application
// registered, and its log kept.
type idp struct {
	t   *testing.T
	s   *Server
	hc  *http.Client
	log *bytes.Buffer

	mu  sync.Mutex
	now time.Time
}

func newIdP(t *testing.T, ttl time.Duration) *idp {
	t.Helper()
	p := &idp{t: t, now: day0, log: &bytes.Buffer{}}
	l := logrus.New()
	l.SetLevel(logrus.DebugLevel)
	l.SetOutput(lockedWriter{w: p.log, mu: &p.mu})
	s, pool := startTLS(t, Options{Now: p.clock, TokenTTL: ttl, Log: l})
	p.s = s
	p.hc = &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	s.RegisterClient(testClient, testSecret, &testKey(t, 0).PublicKey)
	s.RegisterApplication(testAPIKey, &testKey(t, 1).PublicKey)
	return p
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *idp) clock() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

func (p *idp) advance(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now = p.now.Add(d)
}

// send makes a request to the sandbox (a path) or elsewhere (a URL).
func (p *idp) send(method, target, contentType, body string, h map[string]string) (*http.Response, []byte) {
	p.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = p.s.URL() + target
	}
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func (p *idp) post(path string, form url.Values) (*http.Response, []byte) {
	p.t.Helper()
	return p.send("POST", path, "application/x-www-form-urlencoded", form.Encode(), nil)
}

// oauthErr checks an OAuth JSON error answer (RFC 6749 §5.2).
func oauthErr(t *testing.T, res *http.Response, body []byte, status int, code string) {
	t.Helper()
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if res.StatusCode != status || json.Unmarshal(body, &e) != nil || e.Error != code ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s, want %d %s", res.StatusCode, body, status, code)
	}
}

// authz is one authorization request's secrets.
type authz struct{ state, nonce, verifier string }

func newAuthz() authz {
	return authz{state: randomToken(16), nonce: randomToken(16), verifier: randomToken(48)}
}

// params are the authorization request's (RFC 6749 §4.1.1, RFC 7636
// §4.3, OpenID Connect Core §3.1.2.1), the challenge worked by hand.
func (a authz) params() url.Values {
	sum := sha256.Sum256([]byte(a.verifier))
	return url.Values{
		"response_type": {"code"}, "client_id": {testClient}, "redirect_uri": {testRedirect},
		"scope": {"openid profile nationalrbacaccess"}, "state": {a.state}, "nonce": {a.nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
}

// authorize sends the request and answers the authenticator's login.
func (p *idp) authorize(q url.Values) (string, []byte) {
	p.t.Helper()
	res, body := p.send("GET", CIS2Path+"/authorize?"+q.Encode(), "", "", map[string]string{"Accept": "application/json"})
	var l struct {
		Login     string `json:"login"`
		Nonce     string `json:"nonce"`
		ExpiresIn int    `json:"expires_in"`
	}
	if res.StatusCode != 200 || json.Unmarshal(body, &l) != nil || l.Login == "" || l.ExpiresIn != 120 {
		p.t.Fatalf("authorize: %d %s", res.StatusCode, body)
	}
	nonce, err := base64.StdEncoding.DecodeString(l.Nonce)
	if err != nil || len(nonce) < 16 {
		p.t.Fatalf("login nonce %q: %v", l.Nonce, err)
	}
	return l.Login, nonce
}

// codeFrom reads the redirect to the loopback: the code, with the state.
func (p *idp) codeFrom(res *http.Response, body []byte, a authz) string {
	p.t.Helper()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil {
		p.t.Fatalf("%d %s, want a redirect", res.StatusCode, body)
	}
	q := loc.Query()
	if loc.Scheme+"://"+loc.Host+loc.Path != testRedirect || q.Get("state") != a.state || q.Get("code") == "" {
		p.t.Fatalf("redirected to %s", loc)
	}
	return q.Get("code")
}

// demoCode signs the demo user in and answers the code.
func (p *idp) demoCode(a authz) string {
	p.t.Helper()
	login, _ := p.authorize(a.params())
	res, body := p.post(CIS2Path+"/authorize/demo", url.Values{"login": {login}})
	return p.codeFrom(res, body, a)
}

// secretAuth is client_secret_post.
func secretAuth() url.Values {
	return url.Values{"client_id": {testClient}, "client_secret": {testSecret}}
}

// assertion is a client assertion's parts (RFC 7523 §3), to be spoiled
// one at a time.
type assertion struct {
	key      *rsa.PrivateKey
	alg      jose.SignatureAlgorithm
	kid      string
	iss, sub string
	aud      string
	exp      time.Time // zero: none
	jti      string
}

func (a assertion) sign(t *testing.T) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: a.alg, Key: jose.JSONWebKey{Key: a.key, KeyID: a.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	c := jwt.Claims{Issuer: a.iss, Subject: a.sub, Audience: jwt.Audience{a.aud}, ID: a.jti}
	if !a.exp.IsZero() {
		c.Expiry = jwt.NewNumericDate(a.exp)
	}
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clientAssertion is the test client's good private_key_jwt assertion
// for the CIS2 token endpoint.
func (p *idp) clientAssertion() assertion {
	k := testKey(p.t, 0)
	return assertion{key: k, alg: jose.RS256, kid: rfc7638(&k.PublicKey), iss: testClient, sub: testClient,
		aud: p.s.Issuer() + "/token", exp: p.clock().Add(5 * time.Minute), jti: uuid.NewString()}
}

func jwtAuth(t *testing.T, a assertion) url.Values {
	return url.Values{"client_assertion_type": {jwtBearer}, "client_assertion": {a.sign(t)}}
}

// tokens is a token endpoint's answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// redeem exchanges a code at the CIS2 token endpoint.
func (p *idp) redeem(code string, a authz, auth url.Values) (*http.Response, []byte) {
	p.t.Helper()
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {a.verifier}}
	for k, v := range auth {
		f[k] = v
	}
	return p.post(CIS2Path+"/token", f)
}

func (p *idp) tokensFrom(res *http.Response, body []byte) tokens {
	p.t.Helper()
	var tk tokens
	if res.StatusCode != 200 || json.Unmarshal(body, &tk) != nil || tk.AccessToken == "" || tk.IDToken == "" ||
		tk.RefreshToken == "" || tk.TokenType != "Bearer" || res.Header.Get("Cache-Control") != "no-store" {
		p.t.Fatalf("token: %d %s", res.StatusCode, body)
	}
	return tk
}

// signIn is the whole code flow for the demo user, by client secret.
func (p *idp) signIn() (tokens, authz) {
	p.t.Helper()
	a := newAuthz()
	res, body := p.redeem(p.demoCode(a), a, secretAuth())
	return p.tokensFrom(res, body), a
}

// idClaims verifies an ID token as a client would (OpenID Connect Core
// §3.1.3.7) with go-jose against the provider's published keys, and
// answers its claims.
func (p *idp) idClaims(idt string) map[string]any {
	p.t.Helper()
	res, body := p.send("GET", CIS2Path+"/jwks", "", "", nil)
	var set jose.JSONWebKeySet
	if res.StatusCode != 200 || json.Unmarshal(body, &set) != nil {
		p.t.Fatalf("jwks: %d %s", res.StatusCode, body)
	}
	tok, err := jwt.ParseSigned(idt, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		p.t.Fatal(err)
	}
	ks := set.Key(tok.Headers[0].KeyID)
	if len(ks) != 1 {
		p.t.Fatalf("kid %q not in the jwks", tok.Headers[0].KeyID)
	}
	var c map[string]any
	if err := tok.Claims(ks[0].Key, &c); err != nil {
		p.t.Fatalf("ID token signature: %v", err)
	}
	return c
}

func TestCIS2Discovery(t *testing.T) {
	p := newIdP(t, 0)
	res, body := p.send("GET", CIS2Path+"/.well-known/openid-configuration", "", "", nil)
	var d map[string]any
	if res.StatusCode != 200 || json.Unmarshal(body, &d) != nil {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	iss := p.s.Issuer()
	if iss != p.s.URL()+"/cis2" || !strings.HasPrefix(iss, "https://127.0.0.1:") {
		t.Fatalf("issuer %q", iss)
	}
	for k, want := range map[string]string{
		"issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
		"jwks_uri": iss + "/jwks", "revocation_endpoint": iss + "/revoke", "end_session_endpoint": iss + "/logout",
	} {
		if d[k] != want {
			t.Errorf("%s = %v, want %s", k, d[k], want)
		}
	}
	list := func(k string) string {
		var out []string
		for _, v := range d[k].([]any) {
			out = append(out, v.(string))
		}
		return strings.Join(out, " ")
	}
	for k, want := range map[string]string{
		"response_types_supported":              "code",
		"grant_types_supported":                 "authorization_code refresh_token",
		"code_challenge_methods_supported":      "S256",
		"id_token_signing_alg_values_supported": "RS256",
		"token_endpoint_auth_methods_supported": "client_secret_post private_key_jwt",
		"subject_types_supported":               "public",
		"scopes_supported":                      "openid profile nationalrbacaccess",
	} {
		if got := list(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, c := range []string{"nhsid_useruid", "selected_roleid", "nhsid_nrbac_roles", "nhsid_user_orgs", "name", "nonce"} {
		if !strings.Contains(" "+list("claims_supported")+" ", " "+c+" ") {
			t.Errorf("claims_supported lacks %s", c)
		}
	}
}

func TestCIS2JWKS(t *testing.T) {
	p := newIdP(t, 0)
	res, body := p.send("GET", CIS2Path+"/jwks", "", "", nil)
	var set struct {
		Keys []struct{ Kty, Use, Alg, Kid, N, E, D string }
	}
	if res.StatusCode != 200 || json.Unmarshal(body, &set) != nil || len(set.Keys) != 1 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	k := set.Keys[0]
	n, errN := base64.RawURLEncoding.DecodeString(k.N)
	e, errE := base64.RawURLEncoding.DecodeString(k.E)
	if k.Kty != "RSA" || k.Use != "sig" || k.Alg != "RS256" || k.D != "" || errN != nil || errE != nil || len(n)*8 != 2048 {
		t.Fatalf("key %+v", k)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if k.Kid != rfc7638(pub) {
		t.Errorf("kid %q, want the RFC 7638 thumbprint %q", k.Kid, rfc7638(pub))
	}
}

// RFC 6749 §4.1.2.1: a bad client or redirect URI is never redirected;
// anything else wrong is, with the state.
func TestCIS2AuthorizeRefusals(t *testing.T) {
	p := newIdP(t, 0)
	for name, mutate := range map[string]func(url.Values){
		"unknown client":     func(q url.Values) { q.Set("client_id", "stranger") },
		"no client":          func(q url.Values) { q.Del("client_id") },
		"no redirect":        func(q url.Values) { q.Del("redirect_uri") },
		"https redirect":     func(q url.Values) { q.Set("redirect_uri", "https://127.0.0.1:49152/callback") },
		"remote redirect":    func(q url.Values) { q.Set("redirect_uri", "http://example.com/callback") },
		"localhost":          func(q url.Values) { q.Set("redirect_uri", "http://localhost:49152/callback") },
		"lookalike host":     func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1.example.com/callback") },
		"userinfo":           func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:80@example.com/callback") },
		"fragment":           func(q url.Values) { q.Set("redirect_uri", testRedirect+"#x") },
		"repeated parameter": func(q url.Values) { q.Add("scope", "openid") },
		"repeated client_id": func(q url.Values) { q.Add("client_id", testClient) },
		"ftp redirect":       func(q url.Values) { q.Set("redirect_uri", "ftp://127.0.0.1/callback") },
		"loopback userinfo":  func(q url.Values) { q.Set("redirect_uri", "http://user@127.0.0.1:49152/callback") },
	} {
		t.Run(name, func(t *testing.T) {
			q := newAuthz().params()
			mutate(q)
			res, body := p.send("GET", CIS2Path+"/authorize?"+q.Encode(), "", "", nil)
			if res.Header.Get("Location") != "" {
				t.Fatalf("redirected to %s", res.Header.Get("Location"))
			}
			oauthErr(t, res, body, 400, "invalid_request")
		})
	}
	for name, tt := range map[string]struct {
		mutate func(url.Values)
		code   string
	}{
		"no openid scope":   {func(q url.Values) { q.Set("scope", "profile nationalrbacaccess") }, "invalid_request"},
		"token response":    {func(q url.Values) { q.Set("response_type", "token") }, "invalid_request"},
		"no state":          {func(q url.Values) { q.Del("state") }, "invalid_request"},
		"no nonce":          {func(q url.Values) { q.Del("nonce") }, "invalid_request"},
		"no challenge":      {func(q url.Values) { q.Del("code_challenge") }, "invalid_request"},
		"no method":         {func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		"plain challenge":   {func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		"short challenge":   {func(q url.Values) { q.Set("code_challenge", "abc") }, "invalid_request"},
		"prompt none":       {func(q url.Values) { q.Set("prompt", "none") }, "login_required"},
		"[::1] is loopback": {func(q url.Values) { q.Set("redirect_uri", "http://[::1]:5000/cb?x=1"); q.Del("nonce") }, "invalid_request"},
	} {
		t.Run(name, func(t *testing.T) {
			q := newAuthz().params()
			tt.mutate(q)
			res, body := p.send("GET", CIS2Path+"/authorize?"+q.Encode(), "", "", nil)
			loc, err := url.Parse(res.Header.Get("Location"))
			if res.StatusCode != http.StatusFound || err != nil {
				t.Fatalf("%d %s, want a redirect", res.StatusCode, body)
			}
			back := loc.Query()
			if loc.Scheme+"://"+loc.Host+loc.Path != strings.Split(q.Get("redirect_uri"), "?")[0] ||
				back.Get("error") != tt.code || back.Get("state") != q.Get("state") || back.Has("code") {
				t.Fatalf("redirected to %s", loc)
			}
			if q.Get("state") == "" && back.Has("state") {
				t.Errorf("a state made up: %s", loc)
			}
			if strings.HasPrefix(q.Get("redirect_uri"), "http://[::1]") && back.Get("x") != "1" {
				t.Errorf("the redirect's own query lost: %s", loc)
			}
		})
	}
}

func TestCIS2AuthorizePage(t *testing.T) {
	p := newIdP(t, 0)
	q := newAuthz().params()
	q.Set("prompt", "login")
	login, nonce := p.authorize(q)
	if login == "" || len(nonce) != 32 {
		t.Fatalf("login %q nonce %d bytes", login, len(nonce))
	}
	res, body := p.send("GET", CIS2Path+"/authorize?"+newAuthz().params().Encode(), "", "", map[string]string{"Accept": "text/html"})
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("demo card")) {
		t.Fatalf("%d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	// OpenID Connect Core §3.1.2.1: POST too.
	res, body = p.send("POST", CIS2Path+"/authorize", "application/x-www-form-urlencoded", newAuthz().params().Encode(),
		map[string]string{"Accept": "application/json"})
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"login"`)) {
		t.Fatalf("POST: %d %s", res.StatusCode, body)
	}
}

// The sandbox authenticator: the card signs the login's nonce (ECDSA
// P-256, SHA-256, ASN.1 as device/card.go) with the key the registration
// authority registered for the user.
func TestCIS2CardAuthenticator(t *testing.T) {
	p := newIdP(t, 0)
	cardKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const userUUID = "555000300001"
	p.s.RegisterCard(userUUID, &cardKey.PublicKey, cpis.User{Name: "Card Nurse", Roles: []cpis.Role{
		{ID: "555000300001-01", OrgCode: "RXX01", OrgName: "Sandbox General Hospital", JobRole: "Staff Nurse",
			Activity: []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag}},
		{ID: "555000300001-02", OrgCode: "RYY02", OrgName: "Sandbox Community Trust", JobRole: "Health Visitor",
			Activity: []cpis.ActivityCode{cpis.PerformTrace}},
	}})
	sign := func(nonce []byte, key *ecdsa.PrivateKey) string {
		digest := sha256.Sum256(nonce)
		sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(sig)
	}
	card := func(login, user, sig string) (*http.Response, []byte) {
		return p.post(CIS2Path+"/authorize/card", url.Values{"login": {login}, "user": {user}, "signature": {sig}})
	}

	a := newAuthz()
	login, nonce := p.authorize(a.params())
	res, body := card(login, userUUID, sign(nonce, cardKey))
	code := p.codeFrom(res, body, a)
	// Good for one attempt.
	res, body = card(login, userUUID, sign(nonce, cardKey))
	oauthErr(t, res, body, 401, "access_denied")

	// The code names the card's user.
	tk := p.tokensFrom(p.redeem(code, a, secretAuth()))
	c := p.idClaims(tk.IDToken)
	if c["sub"] != userUUID || c["nhsid_useruid"] != userUUID || c["name"] != "Card Nurse" || c["selected_roleid"] != "555000300001-01" {
		t.Fatalf("claims %v", c)
	}
	roles, _ := json.Marshal(c["nhsid_nrbac_roles"])
	orgs, _ := json.Marshal(c["nhsid_user_orgs"])
	if string(roles) != `[{"activity_codes":["B0264","B0107"],"org_code":"RXX01","person_roleid":"555000300001-01","role_name":"Staff Nurse"},`+
		`{"activity_codes":["B0264"],"org_code":"RYY02","person_roleid":"555000300001-02","role_name":"Health Visitor"}]` ||
		string(orgs) != `[{"org_code":"RXX01","org_name":"Sandbox General Hospital"},{"org_code":"RYY02","org_name":"Sandbox Community Trust"}]` {
		t.Fatalf("roles %s orgs %s", roles, orgs)
	}

	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, try := range map[string]func(login string, nonce []byte) (*http.Response, []byte){
		"another key": func(l string, n []byte) (*http.Response, []byte) { return card(l, userUUID, sign(n, other)) },
		"another nonce": func(l string, n []byte) (*http.Response, []byte) {
			return card(l, userUUID, sign([]byte("x"), cardKey))
		},
		"unknown login":    func(l string, n []byte) (*http.Response, []byte) { return card("nope", userUUID, sign(n, cardKey)) },
		"no card for user": func(l string, n []byte) (*http.Response, []byte) { return card(l, DemoUser.ID, sign(n, cardKey)) },
		"not base64":       func(l string, n []byte) (*http.Response, []byte) { return card(l, userUUID, "%%%") },
		"expired login": func(l string, n []byte) (*http.Response, []byte) {
			p.advance(loginTTL)
			return card(l, userUUID, sign(n, cardKey))
		},
	} {
		t.Run(name, func(t *testing.T) {
			l, n := p.authorize(newAuthz().params())
			res, body := try(l, n)
			oauthErr(t, res, body, 401, "access_denied")
		})
	}

}

// The ID token as SIGNIN.md lists it, signed by a key in the jwks.
func TestCIS2IDToken(t *testing.T) {
	p := newIdP(t, 0)
	a := newAuthz()
	code := p.demoCode(a)
	authAt := p.clock()
	p.advance(10 * time.Second)
	tk := p.tokensFrom(p.redeem(code, a, secretAuth()))
	if tk.Scope != "openid profile nationalrbacaccess" {
		t.Errorf("scope %q", tk.Scope)
	}
	c := p.idClaims(tk.IDToken)
	now := p.clock().Unix()
	num := func(k string) int64 { f, _ := c[k].(float64); return int64(f) }
	amr, _ := json.Marshal(c["amr"])
	switch {
	case c["iss"] != p.s.Issuer(), c["sub"] != DemoUser.ID, c["nhsid_useruid"] != DemoUser.ID, c["aud"] != testClient:
		t.Fatalf("iss, sub, aud: %v", c)
	case num("iat") != now, num("exp") != now+300, num("auth_time") != authAt.Unix():
		t.Fatalf("times: %v", c)
	case c["nonce"] != a.nonce, c["acr"] != "AAL3_ANY", string(amr) != `["SCA"]`:
		t.Fatalf("nonce, acr, amr: %v", c)
	case c["name"] != DemoUser.Name, c["selected_roleid"] != DemoUser.Roles[0].ID, c["sid"] == nil:
		t.Fatalf("name, role, sid: %v", c)
	}
	tok, _ := jwt.ParseSigned(tk.IDToken, []jose.SignatureAlgorithm{jose.RS256})
	if tok.Headers[0].Algorithm != "RS256" {
		t.Errorf("alg %s", tok.Headers[0].Algorithm)
	}
	// A token signed by another key with the provider's kid fails the check.
	if err := tok.Claims(&testKey(t, 2).PublicKey, &c); err == nil {
		t.Error("the check passes any key")
	}
}

// The token endpoint's refusals of the code grant (RFC 6749 §4.1.3,
// RFC 7636 §4.6).
func TestCIS2TokenCodeRefusals(t *testing.T) {
	p := newIdP(t, 0)
	p.s.RegisterClient("other-client", "other-secret", nil)
	for name, tt := range map[string]func(code string, a authz) (*http.Response, []byte){
		"wrong verifier": func(code string, a authz) (*http.Response, []byte) {
			a.verifier = randomToken(48)
			return p.redeem(code, a, secretAuth())
		},
		"short verifier": func(code string, a authz) (*http.Response, []byte) {
			a.verifier = "abc"
			return p.redeem(code, a, secretAuth())
		},
		"no verifier": func(code string, a authz) (*http.Response, []byte) {
			a.verifier = ""
			return p.redeem(code, a, secretAuth())
		},
		"redirect mismatch": func(code string, a authz) (*http.Response, []byte) {
			return p.post(CIS2Path+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {"http://127.0.0.1:49153/callback"}, "code_verifier": {a.verifier},
				"client_id": {testClient}, "client_secret": {testSecret}})
		},
		"another client": func(code string, a authz) (*http.Response, []byte) {
			return p.redeem(code, a, url.Values{"client_id": {"other-client"}, "client_secret": {"other-secret"}})
		},
		"expired": func(code string, a authz) (*http.Response, []byte) {
			p.advance(codeTTL)
			return p.redeem(code, a, secretAuth())
		},
		"unknown code": func(code string, a authz) (*http.Response, []byte) { return p.redeem("nope", a, secretAuth()) },
	} {
		t.Run(name, func(t *testing.T) {
			a := newAuthz()
			res, body := tt(p.demoCode(a), a)
			oauthErr(t, res, body, 400, "invalid_grant")
		})
	}

	// A code is good once; presented again, it is refused and what it
	// gave stops working (RFC 6749 §4.1.2).
	a := newAuthz()
	code := p.demoCode(a)
	tk := p.tokensFrom(p.redeem(code, a, secretAuth()))
	res, body := p.redeem(code, a, secretAuth())
	oauthErr(t, res, body, 400, "invalid_grant")
	res, body = p.post(CIS2Path+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.RefreshToken},
		"client_id": {testClient}, "client_secret": {testSecret}})
	oauthErr(t, res, body, 400, "invalid_grant")
	// A failed attempt uses the code up too.
	a = newAuthz()
	code = p.demoCode(a)
	good := a
	a.verifier = randomToken(48)
	p.redeem(code, a, secretAuth())
	res, body = p.redeem(code, good, secretAuth())
	oauthErr(t, res, body, 400, "invalid_grant")
}

// client_secret_post and private_key_jwt (RS256 and RS512) are both
// accepted; a bad authentication of either kind is invalid_client.
func TestCIS2ClientAuthentication(t *testing.T) {
	p := newIdP(t, 0)
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.RS512} {
		a := newAuthz()
		as := p.clientAssertion()
		as.alg = alg
		auth := jwtAuth(t, as)
		auth.Set("client_id", testClient)
		p.tokensFrom(p.redeem(p.demoCode(a), a, auth))
	}
	a := newAuthz()
	p.tokensFrom(p.redeem(p.demoCode(a), a, secretAuth()))

	used := p.clientAssertion()
	a = newAuthz()
	p.tokensFrom(p.redeem(p.demoCode(a), a, jwtAuth(t, used)))
	stranger := testKey(t, 2)
	for name, tt := range map[string]func() url.Values{
		"wrong secret": func() url.Values { return url.Values{"client_id": {testClient}, "client_secret": {"guess"}} },
		"no auth":      func() url.Values { return url.Values{"client_id": {testClient}} },
		"secret and assertion": func() url.Values {
			v := jwtAuth(t, p.clientAssertion())
			v.Set("client_secret", testSecret)
			return v
		},
		"wrong assertion type": func() url.Values {
			v := jwtAuth(t, p.clientAssertion())
			v.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
			return v
		},
		"client_id not iss": func() url.Values {
			p.s.RegisterClient("other-client", "", nil)
			v := jwtAuth(t, p.clientAssertion())
			v.Set("client_id", "other-client")
			return v
		},
		"reused jti": func() url.Values { return jwtAuth(t, used) },
		"platform aud": func() url.Values {
			as := p.clientAssertion()
			as.aud = p.s.PlatformTokenURL()
			return jwtAuth(t, as)
		},
		"issuer aud": func() url.Values {
			as := p.clientAssertion()
			as.aud = p.s.Issuer()
			return jwtAuth(t, as)
		},
		"expired": func() url.Values {
			as := p.clientAssertion()
			as.exp = p.clock().Add(-time.Second)
			return jwtAuth(t, as)
		},
		"no exp": func() url.Values {
			as := p.clientAssertion()
			as.exp = time.Time{}
			return jwtAuth(t, as)
		},
		"exp too far": func() url.Values {
			as := p.clientAssertion()
			as.exp = p.clock().Add(5*time.Minute + time.Second)
			return jwtAuth(t, as)
		},
		"no jti": func() url.Values {
			as := p.clientAssertion()
			as.jti = ""
			return jwtAuth(t, as)
		},
		"unknown kid": func() url.Values {
			as := p.clientAssertion()
			as.kid = rfc7638(&stranger.PublicKey)
			return jwtAuth(t, as)
		},
		"another key, right kid": func() url.Values {
			as := p.clientAssertion()
			as.key = stranger
			return jwtAuth(t, as)
		},
		"alg PS256": func() url.Values {
			as := p.clientAssertion()
			as.alg = jose.PS256
			return jwtAuth(t, as)
		},
		"sub not iss": func() url.Values {
			as := p.clientAssertion()
			as.sub = "someone"
			return jwtAuth(t, as)
		},
		"not a JWT": func() url.Values {
			return url.Values{"client_assertion_type": {jwtBearer}, "client_assertion": {"a.b.c"}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := newAuthz()
			code := p.demoCode(a)
			res, body := p.redeem(code, a, tt())
			oauthErr(t, res, body, 401, "invalid_client")
			// The code was not used up by a client that failed to
			// authenticate.
			p.tokensFrom(p.redeem(code, a, secretAuth()))
		})
	}
}

// Bodies: form-encoded only, at most 64 KiB, each parameter once; the
// grant types the endpoint knows.
func TestCIS2MalformedRequests(t *testing.T) {
	p := newIdP(t, 0)
	good := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {testClient}, "client_secret": {testSecret}}
	for name, tt := range map[string]struct {
		path, contentType, body string
		status                  int
		code                    string
	}{
		"oversized":         {"/token", "application/x-www-form-urlencoded", good.Encode() + "&pad=" + strings.Repeat("a", 70<<10), 400, "invalid_request"},
		"JSON body":         {"/token", "application/json", `{"grant_type":"refresh_token"}`, 400, "invalid_request"},
		"no content type":   {"/token", "", good.Encode(), 400, "invalid_request"},
		"bad encoding":      {"/token", "application/x-www-form-urlencoded", good.Encode() + "&x=%zz", 400, "invalid_request"},
		"repeated":          {"/token", "application/x-www-form-urlencoded", good.Encode() + "&grant_type=refresh_token", 400, "invalid_request"},
		"no grant_type":     {"/token", "application/x-www-form-urlencoded", "client_id=" + testClient + "&client_secret=" + testSecret, 400, "invalid_request"},
		"password grant":    {"/token", "application/x-www-form-urlencoded", "grant_type=password&client_id=" + testClient + "&client_secret=" + testSecret, 400, "unsupported_grant_type"},
		"card oversized":    {"/authorize/card", "application/x-www-form-urlencoded", "login=" + strings.Repeat("a", 70<<10), 400, "invalid_request"},
		"revoke oversized":  {"/revoke", "application/x-www-form-urlencoded", "token=" + strings.Repeat("a", 70<<10), 400, "invalid_request"},
		"platform JSON":     {PlatformTokenPath, "application/json", "{}", 400, "invalid_request"},
		"platform oversize": {PlatformTokenPath, "application/x-www-form-urlencoded", "x=" + strings.Repeat("a", 70<<10), 400, "invalid_request"},
	} {
		t.Run(name, func(t *testing.T) {
			path := tt.path
			if path != PlatformTokenPath {
				path = CIS2Path + path
			}
			res, body := p.send("POST", path, tt.contentType, tt.body, nil)
			oauthErr(t, res, body, tt.status, tt.code)
		})
	}
}

// Refresh (RFC 6749 §6, OpenID Connect Core §12) and revocation (RFC 7009).
func TestCIS2RefreshAndRevoke(t *testing.T) {
	p := newIdP(t, 0)
	tk, _ := p.signIn()
	first := p.idClaims(tk.IDToken)
	p.advance(time.Minute)
	refresh := func(rt string) (*http.Response, []byte) {
		return p.post(CIS2Path+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
			"client_id": {testClient}, "client_secret": {testSecret}})
	}
	tk2 := p.tokensFrom(refresh(tk.RefreshToken))
	c := p.idClaims(tk2.IDToken)
	if c["nonce"] != nil || c["auth_time"] != first["auth_time"] || c["iat"] == first["iat"] || c["sub"] != first["sub"] ||
		c["aud"] != first["aud"] || c["iss"] != first["iss"] {
		t.Fatalf("refreshed ID token %v, first %v", c, first)
	}
	if tk2.RefreshToken == tk.RefreshToken {
		t.Fatal("the refresh token was not rotated")
	}
	res, body := refresh(tk.RefreshToken)
	oauthErr(t, res, body, 400, "invalid_grant")

	revoke := func(auth url.Values, token string) (*http.Response, []byte) {
		f := url.Values{"token": {token}, "token_type_hint": {"refresh_token"}}
		for k, v := range auth {
			f[k] = v
		}
		return p.post(CIS2Path+"/revoke", f)
	}
	res, body = revoke(url.Values{"client_id": {testClient}}, tk2.RefreshToken)
	oauthErr(t, res, body, 401, "invalid_client")
	p.s.RegisterClient("other-client", "other-secret", nil)
	res, body = revoke(url.Values{"client_id": {"other-client"}, "client_secret": {"other-secret"}}, tk2.RefreshToken)
	oauthErr(t, res, body, 400, "invalid_grant")
	if res, body := revoke(secretAuth(), "never-issued"); res.StatusCode != 200 {
		t.Fatalf("unknown token: %d %s", res.StatusCode, body)
	}
	as := p.clientAssertion()
	as.aud = p.s.Issuer() + "/revoke"
	if res, body := revoke(jwtAuth(t, as), tk2.RefreshToken); res.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", res.StatusCode, body)
	}
	res, body = refresh(tk2.RefreshToken)
	oauthErr(t, res, body, 400, "invalid_grant")

	// The refresh token lasts as long as the sign-in, and no longer.
	tk, _ = p.signIn()
	p.advance(refreshTTL)
	res, body = refresh(tk.RefreshToken)
	oauthErr(t, res, body, 400, "invalid_grant")
}

// Nothing the sandbox logs carries a name, an NHS number or a token.
func TestCIS2LogsNoSecrets(t *testing.T) {
	p := newIdP(t, 0)
	tk, _ := p.signIn()
	pt := p.exchange(tk.IDToken, p.appAssertion())
	p.pdsGet(pt.AccessToken, "9990276579")
	p.mu.Lock()
	log := p.log.String()
	p.mu.Unlock()
	if !strings.Contains(log, "component=sandbox") || !strings.Contains(log, PlatformTokenPath) {
		t.Fatalf("no request lines: %s", log)
	}
	for _, secret := range []string{tk.IDToken, tk.AccessToken, tk.RefreshToken, pt.AccessToken, pt.RefreshToken,
		DemoUser.Name, "9990276579", testSecret} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}
