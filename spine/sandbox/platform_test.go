package sandbox

import (
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	jwtv5 "github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/nhs-cpis/kiosk/cpis"
)

// appAssertion is the test application's good client assertion for the
// platform (RS512, kid, iss = sub = the API key, aud the endpoint).
func (p *idp) appAssertion() assertion {
	k := testKey(p.t, 1)
	return assertion{key: k, alg: jose.RS512, kid: rfc7638(&k.PublicKey), iss: testAPIKey, sub: testAPIKey,
		aud: p.s.PlatformTokenURL(), exp: p.clock().Add(5 * time.Minute), jti: uuid.NewString()}
}

// platformTokens is the platform's answer, its lifetimes strings.
type platformTokens struct {
	AccessToken           string `json:"access_token"`
	ExpiresIn             string `json:"expires_in"`
	TokenType             string `json:"token_type"`
	IssuedTokenType       string `json:"issued_token_type"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn string `json:"refresh_token_expires_in"`
}

// exchangeRaw is the token exchange (RFC 8693 §2.1) with an ID token.
func (p *idp) exchangeRaw(idToken string, as assertion) (*http.Response, []byte) {
	p.t.Helper()
	return p.post(PlatformTokenPath, url.Values{
		"grant_type":            {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token_type":    {"urn:ietf:params:oauth:token-type:id_token"},
		"subject_token":         {idToken},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {as.sign(p.t)},
	})
}

func (p *idp) platformFrom(res *http.Response, body []byte) platformTokens {
	p.t.Helper()
	var pt platformTokens
	if res.StatusCode != 200 || json.Unmarshal(body, &pt) != nil || pt.AccessToken == "" || pt.RefreshToken == "" ||
		pt.TokenType != "Bearer" || res.Header.Get("Cache-Control") != "no-store" {
		p.t.Fatalf("platform: %d %s", res.StatusCode, body)
	}
	return pt
}

func (p *idp) exchange(idToken string, as assertion) platformTokens {
	p.t.Helper()
	return p.platformFrom(p.exchangeRaw(idToken, as))
}

func (p *idp) refreshRaw(rt string, as assertion) (*http.Response, []byte) {
	p.t.Helper()
	return p.post(PlatformTokenPath, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {rt},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {as.sign(p.t)},
	})
}

// pdsGet reads a patient from PDS with the access token, as a PDS
// request is made (X-Request-ID, Authorization), and answers the status.
func (p *idp) pdsGet(accessToken, nhs string) int {
	p.t.Helper()
	res, _ := p.send("GET", PDSPath+"/Patient/"+nhs, "", "", map[string]string{
		"X-Request-ID": uuid.NewString(), "Authorization": "Bearer " + accessToken,
	})
	return res.StatusCode
}

// The separate authentication and authorisation pattern end to end: the
// CIS2 ID token exchanged for an access token PDS and CP-IS take, in the
// selected role.
func TestPlatformExchange(t *testing.T) {
	p := newIdP(t, 0)
	tk, _ := p.signIn()
	if p.pdsGet(tk.AccessToken, "9990276579") != 401 {
		t.Fatal("PDS took CIS2's own access token")
	}
	pt := p.exchange(tk.IDToken, p.appAssertion())
	if pt.ExpiresIn != "599" || pt.RefreshTokenExpiresIn != "43199" ||
		pt.IssuedTokenType != "urn:ietf:params:oauth:token-type:access_token" {
		t.Fatalf("%+v", pt)
	}
	if got := p.pdsGet(pt.AccessToken, "9990276579"); got != 200 {
		t.Fatalf("PDS with the exchanged token: %d", got)
	}
	res, body := p.send("GET", CPISPath+"/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990276579", "", "",
		map[string]string{"Authorization": "Bearer " + pt.AccessToken, "TraceID": uuid.NewString()})
	if res.StatusCode != 200 {
		t.Fatalf("CP-IS: %d %s", res.StatusCode, body)
	}
	ns := p.s.NotificationsBy("9990276579", DemoUser.ID)
	if len(ns) != 1 || ns[0].RoleID != DemoUser.Roles[0].ID || ns[0].OrgCode != DemoUser.Roles[0].OrgCode {
		t.Fatalf("notifications %+v", ns)
	}
	// The token lasts 599 seconds.
	p.advance(platformTokenTTL)
	if got := p.pdsGet(pt.AccessToken, "9990276579"); got != 401 {
		t.Fatalf("PDS after expiry: %d", got)
	}
}

// The access token's role is the ID token's selected_roleid, as the
// /identity routes' token was.
func TestPlatformSelectedRole(t *testing.T) {
	p := newIdP(t, 0)
	u := cpis.User{ID: "555000400001", Name: "Two Roles", Roles: []cpis.Role{
		{ID: "555000400001-01", OrgCode: "RXX01", OrgName: "Sandbox General Hospital", JobRole: "Receptionist",
			Activity: []cpis.ActivityCode{cpis.PerformTrace}},
		{ID: "555000400001-02", OrgCode: "RYY02", OrgName: "Sandbox Community Trust", JobRole: "Nurse",
			Activity: []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag}},
	}}
	p.s.dmu.Lock()
	p.s.users[u.ID] = u
	p.s.cis2.sessions["sid-1"] = &signIn{client: testClient, user: u.ID, authTime: p.clock(), expires: p.clock().Add(time.Hour)}
	p.s.dmu.Unlock()
	for role, want := range map[string]int{"555000400001-02": 200, "555000400001-01": 403} {
		idt, err := p.s.idToken(u, signIn{client: testClient, authTime: p.clock()}, "sid-1", "n", p.clock())
		if err != nil {
			t.Fatal(err)
		}
		// Re-sign with the selected role changed, as CIS2 would after
		// the user picked it.
		var std jwt.Claims
		var c cis2Claims
		tok, _ := jwt.ParseSigned(idt, []jose.SignatureAlgorithm{jose.RS256})
		_ = tok.UnsafeClaimsWithoutVerification(&std, &c)
		c.SelectedRoleID = role
		idt = p.signWith(p.s.cis2.key, p.s.cis2.kid, std, c)
		pt := p.exchange(idt, p.appAssertion())
		res, body := p.send("GET", CPISPath+"/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990276579", "", "",
			map[string]string{"Authorization": "Bearer " + pt.AccessToken, "TraceID": uuid.NewString()})
		if res.StatusCode != want {
			t.Fatalf("role %s: CP-IS %d %s, want %d", role, res.StatusCode, body, want)
		}
	}
}

// signWith signs an ID token's claims with any key, as a forger would.
func (p *idp) signWith(key *rsa.PrivateKey, kid string, std jwt.Claims, c any) string {
	p.t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(std).Claims(c).Serialize()
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// The client assertion (RFC 7523 §3) as the platform checks it.
func TestPlatformAssertionRefusals(t *testing.T) {
	p := newIdP(t, 0)
	tk, _ := p.signIn()
	used := p.appAssertion()
	p.exchange(tk.IDToken, used)
	stranger := testKey(t, 2)
	for name, spoil := range map[string]func(a *assertion){
		"reused jti":           func(a *assertion) { *a = used },
		"wrong aud":            func(a *assertion) { a.aud = p.s.Issuer() + "/token" },
		"aud with a slash":     func(a *assertion) { a.aud = p.s.PlatformTokenURL() + "/" },
		"expired":              func(a *assertion) { a.exp = p.clock().Add(-time.Second) },
		"exp too far":          func(a *assertion) { a.exp = p.clock().Add(5*time.Minute + time.Second) },
		"no exp":               func(a *assertion) { a.exp = time.Time{} },
		"no jti":               func(a *assertion) { a.jti = "" },
		"unknown kid":          func(a *assertion) { a.kid = rfc7638(&stranger.PublicKey) },
		"no kid":               func(a *assertion) { a.kid = "" },
		"wrong alg RS256":      func(a *assertion) { a.alg = jose.RS256 },
		"another key":          func(a *assertion) { a.key = stranger },
		"unknown api key":      func(a *assertion) { a.iss, a.sub = "stranger", "stranger" },
		"sub not iss":          func(a *assertion) { a.sub = "someone" },
		"the CIS2 client's":    func(a *assertion) { *a = p.clientAssertion(); a.alg = jose.RS512; a.aud = p.s.PlatformTokenURL() },
		"iss the CIS2 client":  func(a *assertion) { a.iss, a.sub = testClient, testClient },
		"signed by client key": func(a *assertion) { k := testKey(t, 0); a.key, a.kid = k, rfc7638(&k.PublicKey) },
	} {
		t.Run(name, func(t *testing.T) {
			a := p.appAssertion()
			spoil(&a)
			res, body := p.exchangeRaw(tk.IDToken, a)
			oauthErr(t, res, body, 401, "invalid_client")
		})
	}
	// No assertion at all.
	res, body := p.post(PlatformTokenPath, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:id_token"}, "subject_token": {tk.IDToken}})
	oauthErr(t, res, body, 401, "invalid_client")
}

// The subject token must be a current ID token from the issuer the
// platform trusts.
func TestPlatformSubjectRefusals(t *testing.T) {
	p := newIdP(t, 0)
	tk, _ := p.signIn()
	var std jwt.Claims
	var c cis2Claims
	tok, _ := jwt.ParseSigned(tk.IDToken, []jose.SignatureAlgorithm{jose.RS256})
	_ = tok.UnsafeClaimsWithoutVerification(&std, &c)
	wrongIss := std
	wrongIss.Issuer = "https://127.0.0.1:1/cis2"
	wrongAud := std
	wrongAud.Audience = jwt.Audience{"stranger"}
	for name, idt := range map[string]string{
		"wrong issuer":         p.signWith(p.s.cis2.key, p.s.cis2.kid, wrongIss, c),
		"bad signature":        p.signWith(testKey(t, 2), p.s.cis2.kid, std, c),
		"unregistered aud":     p.signWith(p.s.cis2.key, p.s.cis2.kid, wrongAud, c),
		"another kid":          p.signWith(p.s.cis2.key, "other", std, c),
		"not a JWT":            "not.a.jwt",
		"an access token":      tk.AccessToken,
		"the signature spoilt": tk.IDToken[:len(tk.IDToken)-4] + "AAAA",
	} {
		t.Run(name, func(t *testing.T) {
			res, body := p.exchangeRaw(idt, p.appAssertion())
			oauthErr(t, res, body, 400, "invalid_grant")
		})
	}
	for name, tt := range map[string]struct {
		form   url.Values
		status int
		code   string
	}{
		"access token type": {url.Values{"grant_type": {tokenExchange}, "subject_token_type": {accessTokenType}, "subject_token": {tk.IDToken}}, 400, "invalid_request"},
		"no subject token":  {url.Values{"grant_type": {tokenExchange}, "subject_token_type": {idTokenType}}, 400, "invalid_request"},
		"asks for a JWT":    {url.Values{"grant_type": {tokenExchange}, "subject_token_type": {idTokenType}, "subject_token": {tk.IDToken}, "requested_token_type": {"urn:ietf:params:oauth:token-type:jwt"}}, 400, "invalid_request"},
		"code grant":        {url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, 400, "unsupported_grant_type"},
		"no grant type":     {url.Values{"subject_token": {tk.IDToken}}, 400, "invalid_request"},
	} {
		t.Run(name, func(t *testing.T) {
			tt.form.Set("client_assertion_type", jwtBearer)
			tt.form.Set("client_assertion", p.appAssertion().sign(t))
			res, body := p.post(PlatformTokenPath, tt.form)
			oauthErr(t, res, body, tt.status, tt.code)
		})
	}
	// Expired: the ID token lasts five minutes.
	p.advance(idTokenTTL)
	res, body := p.exchangeRaw(tk.IDToken, p.appAssertion())
	oauthErr(t, res, body, 400, "invalid_grant")
}

// Refresh at the platform (rotation), a short TokenTTL, and revocation
// of the platform's refresh token at CIS2's revocation endpoint.
func TestPlatformRefresh(t *testing.T) {
	p := newIdP(t, 30*time.Second)
	tk, _ := p.signIn()
	pt := p.exchange(tk.IDToken, p.appAssertion())
	if pt.ExpiresIn != "30" {
		t.Fatalf("expires_in %q, want the TokenTTL's 30", pt.ExpiresIn)
	}
	p.advance(30 * time.Second)
	if got := p.pdsGet(pt.AccessToken, "9990276579"); got != 401 {
		t.Fatalf("PDS after expiry: %d", got)
	}
	pt2 := p.platformFrom(p.refreshRaw(pt.RefreshToken, p.appAssertion()))
	if pt2.ExpiresIn != "30" || pt2.RefreshTokenExpiresIn != "43169" || pt2.RefreshToken == pt.RefreshToken {
		t.Fatalf("refreshed %+v", pt2)
	}
	if got := p.pdsGet(pt2.AccessToken, "9990276579"); got != 200 {
		t.Fatalf("PDS with the refreshed token: %d", got)
	}
	// Rotated: the old refresh token is spent.
	res, body := p.refreshRaw(pt.RefreshToken, p.appAssertion())
	oauthErr(t, res, body, 400, "invalid_grant")
	// Another application cannot use it.
	p.s.RegisterApplication("other-app", &testKey(t, 2).PublicKey)
	other := p.appAssertion()
	other.key, other.kid, other.iss, other.sub = testKey(t, 2), rfc7638(&testKey(t, 2).PublicKey), "other-app", "other-app"
	res, body = p.refreshRaw(pt2.RefreshToken, other)
	oauthErr(t, res, body, 400, "invalid_grant")
	// The kiosk revokes it at CIS2's revocation endpoint (SIGNIN.md step 10).
	res, body = p.post(CIS2Path+"/revoke", url.Values{"token": {pt2.RefreshToken}, "client_id": {testClient}, "client_secret": {testSecret}})
	if res.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", res.StatusCode, body)
	}
	res, body = p.refreshRaw(pt2.RefreshToken, p.appAssertion())
	oauthErr(t, res, body, 400, "invalid_grant")
	if got := p.pdsGet(pt2.AccessToken, "9990276579"); got != 401 {
		t.Fatalf("PDS after revocation: %d", got)
	}
}

// Logout (RP-Initiated Logout 1.0) ends the sign-in: every refresh token
// and access token from it, and its ID token is no longer exchanged.
func TestCIS2Logout(t *testing.T) {
	p := newIdP(t, 0)
	other, _ := p.signIn() // another sign-in, which goes on
	otherPT := p.exchange(other.IDToken, p.appAssertion())
	tk, _ := p.signIn()
	pt := p.exchange(tk.IDToken, p.appAssertion())

	res, body := p.send("GET", CIS2Path+"/logout?id_token_hint=nope", "", "", nil)
	oauthErr(t, res, body, 400, "invalid_request")
	res, body = p.send("GET", CIS2Path+"/logout", "", "", nil)
	oauthErr(t, res, body, 400, "invalid_request")
	res, body = p.send("GET", CIS2Path+"/logout?"+url.Values{"id_token_hint": {tk.IDToken},
		"post_logout_redirect_uri": {"https://example.com/"}}.Encode(), "", "", nil)
	oauthErr(t, res, body, 400, "invalid_request")
	res, body = p.send("GET", CIS2Path+"/logout?"+url.Values{"id_token_hint": {tk.IDToken}, "client_id": {"other-client"}}.Encode(), "", "", nil)
	oauthErr(t, res, body, 400, "invalid_request")

	// A hint past its exp is still a hint (RP-Initiated Logout §2).
	p.advance(idTokenTTL + time.Minute)
	res, body = p.send("GET", CIS2Path+"/logout?"+url.Values{"id_token_hint": {tk.IDToken}, "state": {"s1"},
		"post_logout_redirect_uri": {"http://127.0.0.1:49152/signed-out"}}.Encode(), "", "", nil)
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "http://127.0.0.1:49152/signed-out?state=s1" {
		t.Fatalf("logout: %d %s %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	res, body = p.post(CIS2Path+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.RefreshToken},
		"client_id": {testClient}, "client_secret": {testSecret}})
	oauthErr(t, res, body, 400, "invalid_grant")
	res, body = p.refreshRaw(pt.RefreshToken, p.appAssertion())
	oauthErr(t, res, body, 400, "invalid_grant")
	if p.pdsGet(pt.AccessToken, "9990276579") != 401 {
		t.Fatal("PDS took the signed-out access token")
	}
	// The other sign-in goes on.
	if got := p.pdsGet(otherPT.AccessToken, "9990276579"); got != 200 {
		t.Fatalf("PDS with another sign-in's token: %d", got)
	}
	p.platformFrom(p.refreshRaw(otherPT.RefreshToken, p.appAssertion()))

	// An ID token from an ended sign-in is not exchanged, even unexpired.
	tk, _ = p.signIn()
	res, body = p.send("POST", CIS2Path+"/logout", "application/x-www-form-urlencoded",
		url.Values{"id_token_hint": {tk.IDToken}}.Encode(), nil)
	if res.StatusCode != 200 {
		t.Fatalf("POST logout: %d %s", res.StatusCode, body)
	}
	res, body = p.exchangeRaw(tk.IDToken, p.appAssertion())
	oauthErr(t, res, body, 400, "invalid_grant")
}

// cis2MockUser is a user of the second provider with CIS2's claims.
type cis2MockUser struct {
	sub    string
	claims cis2Claims
}

func (u cis2MockUser) ID() string { return u.sub }

func (u cis2MockUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": u.sub})
}

func (u cis2MockUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwtv5.Claims, error) {
	return struct {
		*jwtv5.RegisteredClaims
		Nonce          string      `json:"nonce,omitempty"`
		Name           string      `json:"name"`
		SelectedRoleID string      `json:"selected_roleid"`
		Roles          []nrbacRole `json:"nhsid_nrbac_roles"`
		Orgs           []userOrg   `json:"nhsid_user_orgs"`
	}{base.RegisteredClaims, base.Nonce, u.claims.Name, u.claims.SelectedRoleID, u.claims.Roles, u.claims.Orgs}, nil
}

// mockIDToken signs in at an independent OpenID provider, over plain
// HTTP on loopback, and answers its ID token.
func (p *idp) mockIDToken(m *mockoidc.MockOIDC, u mockoidc.User) string {
	p.t.Helper()
	m.QueueUser(u)
	res, body := p.send("GET", m.AuthorizationEndpoint()+"?"+url.Values{"client_id": {m.ClientID}, "redirect_uri": {testRedirect},
		"response_type": {"code"}, "scope": {"openid profile"}, "state": {"st"}, "nonce": {"nn"}}.Encode(), "", "", nil)
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || loc.Query().Get("code") == "" {
		p.t.Fatalf("mock authorize: %d %s", res.StatusCode, body)
	}
	res, body = p.post(m.TokenEndpoint(), url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {testRedirect}, "client_id": {m.ClientID}, "client_secret": {m.ClientSecret}})
	var tk struct {
		IDToken string `json:"id_token"`
	}
	if res.StatusCode != 200 || json.Unmarshal(body, &tk) != nil || tk.IDToken == "" {
		p.t.Fatalf("mock token: %d %s", res.StatusCode, body)
	}
	return tk.IDToken
}

// TrustIssuer puts another provider in the sandbox CIS2's place: its ID
// tokens are verified through its discovery and keys and exchanged, the
// user as its claims say; the sandbox's own, and a third provider's, are
// then refused.
func TestPlatformTrustIssuer(t *testing.T) {
	p := newIdP(t, 0)
	was := mockoidc.NowFunc
	mockoidc.NowFunc = p.clock
	t.Cleanup(func() { mockoidc.NowFunc = was })
	start := func() *mockoidc.MockOIDC {
		m, err := mockoidc.Run()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.Shutdown() })
		return m
	}
	trusted, untrusted := start(), start()
	u := cis2MockUser{sub: "555000500001", claims: claimsOf(cpis.User{ID: "555000500001", Name: "Elsewhere Nurse", Roles: []cpis.Role{{
		ID: "555000500001-01", OrgCode: "RZZ03", OrgName: "Elsewhere Trust", JobRole: "Nurse",
		Activity: []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag},
	}}})}
	ext := p.mockIDToken(trusted, u)
	own, _ := p.signIn()

	// The platform trusts the sandbox's own CIS2 until told otherwise.
	res, body := p.exchangeRaw(ext, p.appAssertion())
	oauthErr(t, res, body, 400, "invalid_grant")

	p.s.TrustIssuer(trusted.Issuer(), trusted.ClientID, &http.Client{Timeout: 5 * time.Second})
	pt := p.exchange(ext, p.appAssertion())
	if got := p.pdsGet(pt.AccessToken, "9990276579"); got != 200 {
		t.Fatalf("PDS with the trusted issuer's user: %d", got)
	}
	res, body = p.send("GET", CPISPath+"/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990276579", "", "",
		map[string]string{"Authorization": "Bearer " + pt.AccessToken, "TraceID": uuid.NewString()})
	ns := p.s.NotificationsBy("9990276579", "555000500001")
	if res.StatusCode != 200 || len(ns) != 1 || ns[0].RoleID != "555000500001-01" || ns[0].OrgCode != "RZZ03" {
		t.Fatalf("CP-IS: %d %s %+v", res.StatusCode, body, ns)
	}
	res, body = p.exchangeRaw(own.IDToken, p.appAssertion())
	oauthErr(t, res, body, 400, "invalid_grant")
	res, body = p.exchangeRaw(p.mockIDToken(untrusted, u), p.appAssertion())
	oauthErr(t, res, body, 400, "invalid_grant")
	// An ID token for another client of the trusted issuer is refused.
	p.s.TrustIssuer(trusted.Issuer(), "another-client", nil)
	res, body = p.exchangeRaw(p.mockIDToken(trusted, u), p.appAssertion())
	oauthErr(t, res, body, 400, "invalid_grant")
}
