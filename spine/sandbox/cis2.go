package sandbox

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/nhs-cpis/kiosk/cpis"
)

// CIS2Path is where the sandbox's CIS2-shaped OpenID provider answers:
// its issuer is URL()+CIS2Path (docs/SIGNIN.md, "The sandbox's provider").
const CIS2Path = "/cis2"

// The provider's lifetimes. Where SIGNIN.md is silent: the provider's
// own access token (which no API here accepts: PDS and CP-IS take the
// API platform's) lasts as the platform's does, and a refresh token,
// rotated at each use, keeps the expiry of the sign-in it came from:
// refreshTTL after the user authenticated, as the platform's does.
const (
	idTokenTTL       = 5 * time.Minute
	codeTTL          = 60 * time.Second
	loginTTL         = 2 * time.Minute
	refreshTTL       = 43199 * time.Second
	maxAssertionLife = 5 * time.Minute
	maxForm          = 64 << 10
)

// OAuth and OpenID Connect names.
const (
	jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	acrAAL3   = "AAL3_ANY"
	formType  = "application/x-www-form-urlencoded"
)

// cis2Scopes are the scopes the provider knows; others are ignored
// (OpenID Connect Core §3.1.2.1).
var cis2Scopes = []string{"openid", "profile", "nationalrbacaccess"}

// cis2State is the provider's state, guarded by Server.dmu. It lives in
// memory and starts afresh with each process.
type cis2State struct {
	key      *rsa.PrivateKey
	kid      string
	clients  map[string]oidcClient
	logins   map[string]login
	codes    map[string]*authCode
	refresh  map[string]cis2Grant
	sessions map[string]*signIn
}

func newCIS2State() (cis2State, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return cis2State{}, fmt.Errorf("making the CIS2 signing key: %w", err)
	}
	kid, err := thumbprint(&key.PublicKey)
	if err != nil {
		return cis2State{}, fmt.Errorf("making the CIS2 signing key: %w", err)
	}
	return cis2State{
		key: key, kid: kid,
		clients: map[string]oidcClient{}, logins: map[string]login{}, codes: map[string]*authCode{},
		refresh: map[string]cis2Grant{}, sessions: map[string]*signIn{},
	}, nil
}

// oidcClient is a registered OpenID client: a secret, a key, or both.
type oidcClient struct {
	secret string
	pub    *rsa.PublicKey
	kid    string
}

// login is an authorization request waiting for the authenticator.
type login struct {
	nonce     []byte // for the card to sign
	client    string
	redirect  string
	to        *url.URL // redirect, parsed
	state     string
	oidcNonce string
	challenge string
	scope     string
	expires   time.Time
}

// authCode is an authorization code; used codes are kept until they
// expire, to see them reused.
type authCode struct {
	login
	sid  string
	used bool
}

// signIn is one authentication of a user for a client: everything issued
// from it (codes, refresh tokens, the platform's tokens) carries its sid,
// and ending it (revocation, logout, a reused code) ends them all.
type signIn struct {
	client   string
	user     string
	authTime time.Time
	scope    string
	ended    bool
	expires  time.Time // when the record may go: its last token's expiry
}

// cis2Grant is a provider's refresh token.
type cis2Grant struct {
	client  string
	sid     string
	expires time.Time
}

// Issuer is the sandbox's CIS2 issuer, https://127.0.0.1:PORT/cis2 once
// started.
func (s *Server) Issuer() string { return s.URL() + CIS2Path }

// RegisterClient registers an OpenID client, as CIS2 onboarding would:
// its id, an optional client secret (client_secret_post) and its public
// key (private_key_jwt, its kid the RFC 7638 thumbprint). Either may be
// empty or nil; a client with neither cannot authenticate at the token
// endpoint (the provider has no public clients). Registering again
// replaces the client.
func (s *Server) RegisterClient(id, secret string, key *rsa.PublicKey) {
	c := oidcClient{secret: secret, pub: key}
	if key != nil {
		c.kid, _ = thumbprint(key)
	}
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.cis2.clients[id] = c
}

// thumbprint is the key's RFC 7638 SHA-256 thumbprint, base64url.
func thumbprint(key *rsa.PublicKey) (string, error) {
	b, err := (&jose.JSONWebKey{Key: key}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("computing the key's thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// oauthError is an OAuth error answer (RFC 6749 §5.2).
type oauthError struct {
	status      int
	code        string
	description string
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

func invalidRequest(d string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", d}
}

func invalidClient(d string) *oauthError {
	return &oauthError{http.StatusUnauthorized, "invalid_client", d}
}

func invalidGrant(d string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", d}
}

// writeOAuth answers the error as JSON. Descriptions are the sandbox's
// own text, never the caller's.
func writeOAuth(w http.ResponseWriter, e *oauthError) {
	noStore(w)
	writeJSON(w, e.status, "application/json", map[string]string{"error": e.code, "error_description": e.description})
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// readForm reads a POST body of form parameters: the content type
// application/x-www-form-urlencoded, at most maxForm bytes, each
// parameter at most once (RFC 6749 §3.1, §3.2). Parameters in the query
// are not read.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != formType {
		return nil, invalidRequest("The body must be " + formType)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxForm))
	if err != nil {
		return nil, invalidRequest("The body is too large or unreadable")
	}
	v, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, invalidRequest("The body is not well-formed")
	}
	return v, once(v)
}

// once refuses a parameter sent more than once (RFC 6749 §3.1).
func once(v url.Values) *oauthError {
	for _, vs := range v {
		if len(vs) > 1 {
			return invalidRequest("A parameter is repeated")
		}
	}
	return nil
}

// requestParams are a GET request's query or a POST request's form, as
// the authorization and logout endpoints take either (OpenID Connect
// Core §3.1.2.1, RP-Initiated Logout §2).
func requestParams(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	if r.Method == http.MethodPost {
		return readForm(w, r)
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalidRequest("The query is not well-formed")
	}
	return v, once(v)
}

func (s *Server) cis2Discovery(w http.ResponseWriter, r *http.Request) {
	iss := s.Issuer()
	authMethods := []string{"client_secret_post", "private_key_jwt"}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"issuer":                                           iss,
		"authorization_endpoint":                           iss + "/authorize",
		"token_endpoint":                                   iss + "/token",
		"jwks_uri":                                         iss + "/jwks",
		"revocation_endpoint":                              iss + "/revoke",
		"end_session_endpoint":                             iss + "/logout",
		"response_types_supported":                         []string{"code"},
		"response_modes_supported":                         []string{"query"},
		"grant_types_supported":                            []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":                 []string{"S256"},
		"subject_types_supported":                          []string{"public"},
		"id_token_signing_alg_values_supported":            []string{"RS256"},
		"token_endpoint_auth_methods_supported":            authMethods,
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS256", "RS512"},
		"revocation_endpoint_auth_methods_supported":       authMethods,
		"scopes_supported":                                 cis2Scopes,
		"acr_values_supported":                             []string{acrAAL3},
		"claims_supported": []string{"iss", "sub", "aud", "iat", "exp", "auth_time", "nonce", "acr", "amr", "sid",
			"name", "nhsid_useruid", "selected_roleid", "nhsid_nrbac_roles", "nhsid_user_orgs"},
	})
}

func (s *Server) cis2JWKS(w http.ResponseWriter, r *http.Request) {
	s.dmu.Lock()
	pub, kid := &s.cis2.key.PublicKey, s.cis2.kid
	s.dmu.Unlock()
	writeJSON(w, http.StatusOK, "application/json", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: pub, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"},
	}})
}

// loopback reads a redirect URI that must be a loopback one (RFC 8252
// §7.3): http, the host 127.0.0.1 or [::1], any port and path, no user
// or fragment (RFC 6749 §3.1.2). "localhost" is refused (RFC 8252 §8.3).
func loopback(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Opaque != "" || strings.Contains(raw, "#") {
		return nil, false
	}
	h := u.Host
	if p := u.Port(); p != "" {
		h = strings.TrimSuffix(h, ":"+p)
	}
	if h != "127.0.0.1" && h != "[::1]" {
		return nil, false
	}
	return u, true
}

// redirectTo answers 302 to u with the parameters added to its query,
// which is kept (RFC 6749 §3.1.2).
func redirectTo(w http.ResponseWriter, u *url.URL, params map[string]string) {
	to := *u
	q := to.Query()
	for k, v := range params {
		if v != "" {
			q.Set(k, v)
		}
	}
	to.RawQuery = q.Encode()
	noStore(w)
	w.Header().Set("Location", to.String())
	w.WriteHeader(http.StatusFound)
}

// cis2Authorize checks the authorization request in RFC 6749's order
// (§4.1.2.1): a bad client or redirect URI is answered 400, anything
// else wrong is redirected back. prompt=none is answered login_required,
// as the sandbox keeps no sign-in to reuse; any other prompt is met, as
// every sign-in here authenticates afresh.
func (s *Server) cis2Authorize(w http.ResponseWriter, r *http.Request) {
	q, oe := requestParams(w, r)
	if oe != nil {
		writeOAuth(w, oe)
		return
	}
	s.dmu.Lock()
	_, known := s.cis2.clients[q.Get("client_id")]
	s.dmu.Unlock()
	if !known {
		writeOAuth(w, invalidRequest("Unknown client_id"))
		return
	}
	ru, ok := loopback(q.Get("redirect_uri"))
	if !ok {
		writeOAuth(w, invalidRequest("The redirect_uri must be a loopback http URI"))
		return
	}
	state := q.Get("state")
	fail := func(code, description string) {
		redirectTo(w, ru, map[string]string{"error": code, "error_description": description, "state": state})
	}
	scopes := strings.Fields(q.Get("scope"))
	switch {
	case !slices.Contains(scopes, "openid"):
		fail("invalid_request", "The scope must include openid")
	case q.Get("response_type") != "code":
		fail("invalid_request", "The response_type must be code")
	case state == "":
		fail("invalid_request", "No state")
	case q.Get("nonce") == "":
		fail("invalid_request", "No nonce")
	case q.Get("code_challenge_method") != "S256" || !isChallenge(q.Get("code_challenge")):
		fail("invalid_request", "An S256 code_challenge is required")
	case slices.Contains(strings.Fields(q.Get("prompt")), "none"):
		fail("login_required", "The sandbox signs in afresh each time")
	default:
		s.startLogin(w, r, q, ru, scopes)
	}
}

// isChallenge reports whether c is an S256 code challenge: base64url of
// 32 bytes, no padding (RFC 7636 §4.2).
func isChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// startLogin keeps a good request for the authenticator, for one attempt
// within loginTTL, and answers the authenticator's page.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request, q url.Values, ru *url.URL, scopes []string) {
	var granted []string
	for _, sc := range cis2Scopes {
		if slices.Contains(scopes, sc) {
			granted = append(granted, sc)
		}
	}
	id := randomToken(16)
	nonce := make([]byte, 32)
	_, _ = rand.Read(nonce)
	now := s.opts.Now()
	s.dmu.Lock()
	s.purge(now)
	s.cis2.logins[id] = login{
		nonce: nonce, client: q.Get("client_id"), redirect: q.Get("redirect_uri"), to: ru, state: q.Get("state"),
		oidcNonce: q.Get("nonce"), challenge: q.Get("code_challenge"), scope: strings.Join(granted, " "),
		expires: now.Add(loginTTL),
	}
	s.dmu.Unlock()
	noStore(w)
	if acceptsJSON(r) {
		writeJSON(w, http.StatusOK, "application/json", map[string]any{
			"login": id, "nonce": base64.StdEncoding.EncodeToString(nonce), "expires_in": int64(loginTTL / time.Second),
		})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox CIS2</title></head>`+
		`<body><h1>Spine sandbox: CIS2 sign-in</h1><p>This is the sandbox's stand-in for NHS CIS2. `+
		`It signs in with the demo card at the kiosk: insert the card there and enter its passcode.</p></body></html>`)
}

// acceptsJSON reports whether the Accept header names application/json.
func acceptsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/json" {
			return true
		}
	}
	return false
}

// takeLogin removes the login, good for one attempt, and reports whether
// it was there and unexpired. s.dmu is held.
func (s *Server) takeLogin(id string, now time.Time) (login, bool) {
	l, ok := s.cis2.logins[id]
	delete(s.cis2.logins, id)
	return l, ok && now.Before(l.expires)
}

func accessDenied(w http.ResponseWriter, description string) {
	writeOAuth(w, &oauthError{http.StatusUnauthorized, "access_denied", description})
}

// cis2Card is the sandbox authenticator's answer: the card's signature
// over the login's nonce, checked against the key registered for the
// user's card.
func (s *Server) cis2Card(w http.ResponseWriter, r *http.Request) {
	f, oe := readForm(w, r)
	if oe != nil {
		writeOAuth(w, oe)
		return
	}
	sig, sigErr := base64.StdEncoding.DecodeString(f.Get("signature"))
	s.dmu.Lock()
	l, ok := s.takeLogin(f.Get("login"), s.opts.Now())
	c, known := s.cards[f.Get("user")]
	u := s.users[f.Get("user")]
	s.dmu.Unlock()
	if !ok || !known || sigErr != nil || !c.signed(l.nonce, sig) {
		accessDenied(w, "Unknown or expired login, or the card's signature does not verify")
		return
	}
	s.authenticated(w, l, u)
}

// cis2Demo signs DemoUser in with no card, for the command line and
// drills. Its ID token is as a card sign-in's (acr AAL3_ANY, amr SCA):
// the user's name says it is the sandbox's.
func (s *Server) cis2Demo(w http.ResponseWriter, r *http.Request) {
	f, oe := readForm(w, r)
	if oe != nil {
		writeOAuth(w, oe)
		return
	}
	s.dmu.Lock()
	l, ok := s.takeLogin(f.Get("login"), s.opts.Now())
	s.dmu.Unlock()
	if !ok {
		accessDenied(w, "Unknown or expired login")
		return
	}
	s.authenticated(w, l, DemoUser)
}

// authenticated starts the sign-in and redirects with its code.
func (s *Server) authenticated(w http.ResponseWriter, l login, u cpis.User) {
	now := s.opts.Now()
	code, sid := randomToken(32), randomToken(16)
	s.dmu.Lock()
	s.cis2.sessions[sid] = &signIn{client: l.client, user: u.ID, authTime: now, scope: l.scope,
		expires: now.Add(refreshTTL + idTokenTTL)}
	c := &authCode{login: l, sid: sid}
	c.expires = now.Add(codeTTL)
	s.cis2.codes[code] = c
	s.dmu.Unlock()
	redirectTo(w, l.to, map[string]string{"code": code, "state": l.state})
}

// authenticateClient checks a CIS2 client's authentication at the token
// or revocation endpoint: client_secret_post, or private_key_jwt (RFC 7523
// §2.2, OpenID Connect Core §9: RS256 or RS512) with aud one of auds. One
// method only (RFC 6749 §2.3). It answers the client id.
func (s *Server) authenticateClient(f url.Values, auds ...string) (string, *oauthError) {
	id := f.Get("client_id")
	if f.Has("client_assertion") || f.Has("client_assertion_type") {
		if f.Get("client_assertion_type") != jwtBearer || f.Get("client_assertion") == "" || f.Has("client_secret") {
			return "", invalidClient("Client authentication failed")
		}
		iss, err := s.verifyAssertion(f.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256, jose.RS512}, s.clientKey, auds)
		if err != nil || (id != "" && id != iss) {
			return "", invalidClient("Client authentication failed")
		}
		return iss, nil
	}
	s.dmu.Lock()
	c, ok := s.cis2.clients[id]
	s.dmu.Unlock()
	secret := f.Get("client_secret")
	if !ok || c.secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret)) != 1 {
		return "", invalidClient("Client authentication failed")
	}
	return id, nil
}

func (s *Server) clientKey(id string) (*rsa.PublicKey, string, bool) {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	c, ok := s.cis2.clients[id]
	return c.pub, c.kid, ok && c.pub != nil
}

// verifyAssertion checks a client assertion (RFC 7523 §3): one of algs;
// the header's kid the registered key's thumbprint, the key found by the
// issuer; iss = sub; aud one of auds, exactly; exp present, in the future
// and at most maxAssertionLife on; nbf, if present, past; a jti not seen
// before, remembered until exp. It answers the issuer.
func (s *Server) verifyAssertion(raw string, algs []jose.SignatureAlgorithm,
	keyFor func(string) (*rsa.PublicKey, string, bool), auds []string) (string, error) {
	tok, err := jwt.ParseSigned(raw, algs)
	if err != nil {
		return "", fmt.Errorf("parsing the assertion: %w", err)
	}
	var c jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return "", fmt.Errorf("reading the assertion: %w", err)
	}
	pub, kid, ok := keyFor(c.Issuer)
	if !ok {
		return "", errors.New("checking the assertion: unknown issuer")
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID != kid {
		return "", errors.New("checking the assertion: the kid is not the registered key's")
	}
	if err := tok.Claims(pub, &c); err != nil {
		return "", fmt.Errorf("checking the assertion's signature: %w", err)
	}
	now := s.opts.Now()
	switch {
	case c.Subject != c.Issuer:
		return "", errors.New("checking the assertion: sub is not iss")
	case !slices.ContainsFunc(auds, c.Audience.Contains):
		return "", errors.New("checking the assertion: aud is not this endpoint")
	case c.Expiry == nil || !now.Before(c.Expiry.Time()):
		return "", errors.New("checking the assertion: no exp, or expired")
	case c.Expiry.Time().After(now.Add(maxAssertionLife)):
		return "", errors.New("checking the assertion: exp too far on")
	case c.NotBefore != nil && now.Before(c.NotBefore.Time()):
		return "", errors.New("checking the assertion: not yet valid")
	case c.ID == "":
		return "", errors.New("checking the assertion: no jti")
	}
	key := c.Issuer + "\x00" + c.ID
	s.dmu.Lock()
	defer s.dmu.Unlock()
	for k, exp := range s.jtis {
		if !now.Before(exp) {
			delete(s.jtis, k)
		}
	}
	if _, seen := s.jtis[key]; seen {
		return "", errors.New("checking the assertion: jti used before")
	}
	s.jtis[key] = c.Expiry.Time()
	return c.Issuer, nil
}

// cis2Token is the provider's token endpoint: authorization_code with
// PKCE S256, and refresh_token.
func (s *Server) cis2Token(w http.ResponseWriter, r *http.Request) {
	f, oe := readForm(w, r)
	if oe != nil {
		writeOAuth(w, oe)
		return
	}
	client, oe := s.authenticateClient(f, s.Issuer()+"/token")
	if oe != nil {
		writeOAuth(w, oe)
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		oe = s.redeemCode(w, f, client)
	case "refresh_token":
		oe = s.cis2Refresh(w, f, client)
	case "":
		oe = invalidRequest("No grant_type")
	default:
		oe = &oauthError{http.StatusBadRequest, "unsupported_grant_type", "The grant_type is not supported here"}
	}
	if oe != nil {
		writeOAuth(w, oe)
	}
}

// redeemCode exchanges a code, once: any attempt uses it up, and one
// presented again ends its sign-in, so that tokens issued for it stop
// working (RFC 6749 §4.1.2).
func (s *Server) redeemCode(w http.ResponseWriter, f url.Values, client string) *oauthError {
	now := s.opts.Now()
	s.dmu.Lock()
	c, ok := s.cis2.codes[f.Get("code")]
	var reused bool
	if ok {
		reused = c.used
		c.used = true
		if reused {
			s.endSignIn(c.sid, now)
		}
	}
	s.dmu.Unlock()
	switch {
	case !ok || reused || !now.Before(c.expires):
		return invalidGrant("Unknown, used or expired code")
	case c.client != client:
		return invalidGrant("The code was issued to another client")
	case f.Get("redirect_uri") != c.redirect:
		return invalidGrant("The redirect_uri is not the authorization request's")
	case !verifierMatches(f.Get("code_verifier"), c.challenge):
		return invalidGrant("The code_verifier does not match the code_challenge")
	}
	return s.issueCIS2(w, c.sid, c.oidcNonce)
}

// verifierMatches checks a PKCE verifier against its S256 challenge
// (RFC 7636 §4.1, §4.6).
func verifierMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 || strings.TrimLeft(verifier,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != "" {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// cis2Refresh rotates a refresh token issued to the client. Its new ID
// token keeps auth_time and has no nonce (OpenID Connect Core §12.2).
func (s *Server) cis2Refresh(w http.ResponseWriter, f url.Values, client string) *oauthError {
	now := s.opts.Now()
	rt := f.Get("refresh_token")
	s.dmu.Lock()
	g, ok := s.cis2.refresh[rt]
	ok = ok && g.client == client && now.Before(g.expires)
	if ok {
		delete(s.cis2.refresh, rt)
	}
	s.dmu.Unlock()
	if !ok {
		return invalidGrant("Unknown, revoked or expired refresh token")
	}
	return s.issueCIS2(w, g.sid, "")
}

// issueCIS2 answers the token response for the sign-in: an ID token, an
// access token and a refresh token.
func (s *Server) issueCIS2(w http.ResponseWriter, sid, nonce string) *oauthError {
	now := s.opts.Now()
	var si signIn
	var u cpis.User
	s.dmu.Lock()
	p, ok := s.cis2.sessions[sid]
	if ok {
		si, u = *p, s.users[p.user]
	}
	s.dmu.Unlock()
	if !ok || si.ended {
		return invalidGrant("The sign-in has ended")
	}
	idt, err := s.idToken(u, si, sid, nonce, now)
	if err != nil {
		return &oauthError{http.StatusInternalServerError, "server_error", "Could not sign the ID token"}
	}
	rt := randomToken(32)
	s.dmu.Lock()
	s.purge(now)
	s.cis2.refresh[rt] = cis2Grant{client: si.client, sid: sid, expires: si.authTime.Add(refreshTTL)}
	s.dmu.Unlock()
	noStore(w)
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"access_token":  randomToken(32),
		"token_type":    "Bearer",
		"expires_in":    int64(s.platform.ttl / time.Second),
		"id_token":      idt,
		"refresh_token": rt,
		"scope":         si.scope,
	})
	return nil
}

// cis2Claims are the ID token's claims beyond the registered ones.
type cis2Claims struct {
	AuthTime       int64       `json:"auth_time,omitempty"`
	Nonce          string      `json:"nonce,omitempty"`
	ACR            string      `json:"acr,omitempty"`
	AMR            []string    `json:"amr,omitempty"`
	SID            string      `json:"sid,omitempty"`
	Name           string      `json:"name,omitempty"`
	UserUID        string      `json:"nhsid_useruid,omitempty"`
	SelectedRoleID string      `json:"selected_roleid,omitempty"`
	Roles          []nrbacRole `json:"nhsid_nrbac_roles"`
	Orgs           []userOrg   `json:"nhsid_user_orgs"`
}

type nrbacRole struct {
	PersonRoleID  string   `json:"person_roleid"`
	OrgCode       string   `json:"org_code"`
	RoleName      string   `json:"role_name"`
	ActivityCodes []string `json:"activity_codes"`
}

type userOrg struct {
	OrgCode string `json:"org_code"`
	OrgName string `json:"org_name"`
}

// claimsOf are the user's CIS2 claims; the selected role is the first.
func claimsOf(u cpis.User) cis2Claims {
	c := cis2Claims{Name: u.Name, UserUID: u.ID, Roles: []nrbacRole{}, Orgs: []userOrg{}}
	for i, r := range u.Roles {
		if i == 0 {
			c.SelectedRoleID = r.ID
		}
		codes := make([]string, len(r.Activity))
		for j, a := range r.Activity {
			codes[j] = string(a)
		}
		c.Roles = append(c.Roles, nrbacRole{PersonRoleID: r.ID, OrgCode: r.OrgCode, RoleName: r.JobRole, ActivityCodes: codes})
		if !slices.ContainsFunc(c.Orgs, func(o userOrg) bool { return o.OrgCode == r.OrgCode }) {
			c.Orgs = append(c.Orgs, userOrg{OrgCode: r.OrgCode, OrgName: r.OrgName})
		}
	}
	return c
}

// userOf is the user the claims describe, under id.
func userOf(id string, c cis2Claims) cpis.User {
	u := cpis.User{ID: id, Name: c.Name}
	for _, r := range c.Roles {
		role := cpis.Role{ID: r.PersonRoleID, OrgCode: r.OrgCode, JobRole: r.RoleName}
		if i := slices.IndexFunc(c.Orgs, func(o userOrg) bool { return o.OrgCode == r.OrgCode }); i >= 0 {
			role.OrgName = c.Orgs[i].OrgName
		}
		for _, a := range r.ActivityCodes {
			role.Activity = append(role.Activity, cpis.ActivityCode(a))
		}
		u.Roles = append(u.Roles, role)
	}
	return u
}

// idToken signs the sign-in's ID token (RS256, kid). The sid claim
// (OpenID Connect Front-Channel Logout §3) names the sign-in, which
// logout ends. Every token carries all the claims, whatever the scope.
func (s *Server) idToken(u cpis.User, si signIn, sid, nonce string, now time.Time) (string, error) {
	s.dmu.Lock()
	key, kid := s.cis2.key, s.cis2.kid
	s.dmu.Unlock()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("signing the ID token: %w", err)
	}
	c := claimsOf(u)
	c.AuthTime, c.Nonce, c.ACR, c.AMR, c.SID = si.authTime.Unix(), nonce, acrAAL3, []string{"SCA"}, sid
	std := jwt.Claims{
		Issuer: s.Issuer(), Subject: u.ID, Audience: jwt.Audience{si.client},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(idTokenTTL)),
	}
	t, err := jwt.Signed(signer).Claims(std).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("signing the ID token: %w", err)
	}
	return t, nil
}

// verifyIDToken checks an ID token this provider issued: RS256 with its
// kid and key, iss this issuer, aud a registered client, and, when
// current is set, exp in the future. A hint to logout may have expired
// (RP-Initiated Logout §2).
func (s *Server) verifyIDToken(raw string, current bool) (jwt.Claims, cis2Claims, error) {
	var std jwt.Claims
	var c cis2Claims
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return std, c, fmt.Errorf("parsing the ID token: %w", err)
	}
	s.dmu.Lock()
	pub, kid := &s.cis2.key.PublicKey, s.cis2.kid
	s.dmu.Unlock()
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID != kid {
		return std, c, errors.New("checking the ID token: not this provider's kid")
	}
	if err := tok.Claims(pub, &std, &c); err != nil {
		return std, c, fmt.Errorf("checking the ID token's signature: %w", err)
	}
	now := s.opts.Now()
	if std.Issuer != s.Issuer() {
		return std, c, errors.New("checking the ID token: another issuer")
	}
	if std.Expiry == nil || (current && !now.Before(std.Expiry.Time())) {
		return std, c, errors.New("checking the ID token: no exp, or expired")
	}
	s.dmu.Lock()
	defer s.dmu.Unlock()
	if !slices.ContainsFunc(std.Audience, func(a string) bool { _, ok := s.cis2.clients[a]; return ok }) {
		return std, c, errors.New("checking the ID token: aud is no registered client")
	}
	return std, c, nil
}

// cis2Revoke is RFC 7009's revocation: a refresh token the provider or
// the API platform issued, or the platform's access token, once the
// client is authenticated (its assertion's aud this endpoint or the
// token endpoint). Revoking any of them ends the whole sign-in (§2.1:
// the grant's other tokens may go too): its refresh and access tokens
// stop working. An unknown token is answered 200 (§2.2); one of another
// client's is refused.
func (s *Server) cis2Revoke(w http.ResponseWriter, r *http.Request) {
	f, oe := readForm(w, r)
	if oe != nil {
		writeOAuth(w, oe)
		return
	}
	iss := s.Issuer()
	client, oe := s.authenticateClient(f, iss+"/revoke", iss+"/token")
	if oe != nil {
		writeOAuth(w, oe)
		return
	}
	tok := f.Get("token")
	if tok == "" {
		writeOAuth(w, invalidRequest("No token"))
		return
	}
	s.dmu.Lock()
	sid := ""
	if g, ok := s.cis2.refresh[tok]; ok {
		sid = g.sid
	} else if g, ok := s.platform.refresh[tok]; ok {
		sid = g.sid
	} else if t, ok := s.tokens[tok]; ok {
		sid = t.sid
	}
	si, found := s.cis2.sessions[sid]
	mine := found && si.client == client
	if mine {
		s.endSignIn(sid, s.opts.Now())
	}
	s.dmu.Unlock()
	if found && !mine {
		writeOAuth(w, invalidGrant("The token was issued to another client"))
		return
	}
	noStore(w)
	w.WriteHeader(http.StatusOK)
}

// cis2Logout ends the sign-in the id_token_hint names (RP-Initiated
// Logout 1.0). The hint is required, as the sandbox keeps no browser
// session to ask about. A post_logout_redirect_uri must be a loopback
// one, as a redirect_uri (there is no registration of them here); it is
// redirected to with the state.
func (s *Server) cis2Logout(w http.ResponseWriter, r *http.Request) {
	q, oe := requestParams(w, r)
	if oe != nil {
		writeOAuth(w, oe)
		return
	}
	std, c, err := s.verifyIDToken(q.Get("id_token_hint"), false)
	if err != nil {
		writeOAuth(w, invalidRequest("The id_token_hint is not an ID token this provider issued"))
		return
	}
	if id := q.Get("client_id"); id != "" && !std.Audience.Contains(id) {
		writeOAuth(w, invalidRequest("The client_id is not the ID token's audience"))
		return
	}
	var ru *url.URL
	if p := q.Get("post_logout_redirect_uri"); p != "" {
		var ok bool
		if ru, ok = loopback(p); !ok {
			writeOAuth(w, invalidRequest("The post_logout_redirect_uri must be a loopback http URI"))
			return
		}
	}
	s.dmu.Lock()
	s.endSignIn(c.SID, s.opts.Now())
	s.dmu.Unlock()
	if ru != nil {
		redirectTo(w, ru, map[string]string{"state": q.Get("state")})
		return
	}
	noStore(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox CIS2</title></head>`+
		`<body><p>Signed out of the sandbox's CIS2.</p></body></html>`)
}

// endSignIn ends a sign-in: the provider's and the platform's refresh
// tokens and the platform's access tokens go, and its codes and ID
// tokens are no longer exchanged. The record stays until the last of
// them has expired. s.dmu is held.
func (s *Server) endSignIn(sid string, now time.Time) {
	si, ok := s.cis2.sessions[sid]
	if sid == "" || !ok {
		return
	}
	if !si.ended {
		si.ended, si.expires = true, now.Add(idTokenTTL)
	}
	for k, g := range s.cis2.refresh {
		if g.sid == sid {
			delete(s.cis2.refresh, k)
		}
	}
	for k, g := range s.platform.refresh {
		if g.sid == sid {
			delete(s.platform.refresh, k)
		}
	}
	for k, t := range s.tokens {
		if t.sid == sid {
			delete(s.tokens, k)
		}
	}
}

// purge drops what has expired. s.dmu is held.
func (s *Server) purge(now time.Time) {
	for k, l := range s.cis2.logins {
		if !now.Before(l.expires) {
			delete(s.cis2.logins, k)
		}
	}
	for k, c := range s.cis2.codes {
		if !now.Before(c.expires) {
			delete(s.cis2.codes, k)
		}
	}
	for k, g := range s.cis2.refresh {
		if !now.Before(g.expires) {
			delete(s.cis2.refresh, k)
		}
	}
	for k, si := range s.cis2.sessions {
		if !now.Before(si.expires) {
			delete(s.cis2.sessions, k)
		}
	}
	for k, g := range s.platform.refresh {
		if !now.Before(g.expires) {
			delete(s.platform.refresh, k)
		}
	}
}
