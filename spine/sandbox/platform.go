package sandbox

import (
	"context"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/nhs-cpis/kiosk/cpis"
)

// PlatformTokenPath is the NHS API platform's token endpoint: the token
// exchange of a CIS2 ID token (RFC 8693) and the refresh of its answer.
const PlatformTokenPath = "/oauth2/token"

// platformTokenTTL is how long the API platform's access token lasts
// unless Options.TokenTTL says otherwise: expires_in "599", as the
// platform answers.
const platformTokenTTL = 599 * time.Second

// Token exchange names (RFC 8693 §3).
const (
	tokenExchange   = "urn:ietf:params:oauth:grant-type:token-exchange"
	idTokenType     = "urn:ietf:params:oauth:token-type:id_token"
	accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
)

// subjectCheckTimeout bounds the discovery and key fetches for an ID
// token from a trusted issuer.
const subjectCheckTimeout = 10 * time.Second

// platformState is the API platform's state, guarded by Server.dmu.
type platformState struct {
	ttl     time.Duration
	apps    map[string]application
	refresh map[string]platformGrant
	trust   *trustedIssuer // nil: the sandbox's own CIS2
}

func newPlatformState(tokenTTL time.Duration) platformState {
	ps := platformState{ttl: platformTokenTTL, apps: map[string]application{}, refresh: map[string]platformGrant{}}
	if tokenTTL > 0 {
		ps.ttl = tokenTTL
	}
	return ps
}

// application is a registered API platform application's signing key.
type application struct {
	pub *rsa.PublicKey
	kid string
}

// platformGrant is the platform's refresh token: who it was issued to,
// for whom, and the CIS2 sign-in it came from (empty for another
// issuer's ID token).
type platformGrant struct {
	app     string
	user    string
	role    string
	sid     string
	expires time.Time
}

// trustedIssuer is another OpenID provider whose ID tokens the platform
// exchanges, verified through its discovery and keys; discovery happens
// at the first exchange, and again after a failure.
type trustedIssuer struct {
	issuer   string
	audience string
	client   *http.Client

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
}

// PlatformTokenURL is the API platform's token endpoint,
// https://127.0.0.1:PORT/oauth2/token once started.
func (s *Server) PlatformTokenURL() string { return s.URL() + PlatformTokenPath }

// RegisterApplication registers an API platform application: its API key
// (the iss and sub of its client assertions) and the public key whose
// kid (RFC 7638 SHA-256 thumbprint, base64url) it signs them with.
// Registering again replaces the key.
func (s *Server) RegisterApplication(apiKey string, key *rsa.PublicKey) {
	kid, _ := thumbprint(key)
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.platform.apps[apiKey] = application{pub: key, kid: kid}
}

// TrustIssuer makes the API platform accept subject ID tokens from
// another OpenID provider (verified through its discovery and keys, with
// the given HTTP client, http.DefaultClient when nil), in place of the
// sandbox's own CIS2. audience is the client id the ID tokens are issued
// to. The user and roles are taken from the token's claims
// (nhsid_useruid, else sub; name; nhsid_nrbac_roles; nhsid_user_orgs) and
// recorded for PDS and CP-IS, replacing any user of the same id.
func (s *Server) TrustIssuer(issuer, audience string, client *http.Client) {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.platform.trust = &trustedIssuer{issuer: issuer, audience: audience, client: client}
}

func (t *trustedIssuer) verify(ctx context.Context, raw string, now func() time.Time) (*oidc.IDToken, error) {
	t.mu.Lock()
	if t.verifier == nil {
		ctx := ctx
		if t.client != nil {
			ctx = oidc.ClientContext(ctx, t.client)
		}
		p, err := oidc.NewProvider(ctx, t.issuer)
		if err != nil {
			t.mu.Unlock()
			return nil, fmt.Errorf("discovering the trusted issuer: %w", err)
		}
		t.verifier = p.Verifier(&oidc.Config{ClientID: t.audience, Now: now})
	}
	v := t.verifier
	t.mu.Unlock()
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verifying the ID token: %w", err)
	}
	return tok, nil
}

// platformToken is the API platform's token endpoint. Every request is
// authenticated by a client assertion (RS512 only).
func (s *Server) platformToken(w http.ResponseWriter, r *http.Request) {
	f, oe := readForm(w, r)
	if oe != nil {
		writeOAuth(w, oe)
		return
	}
	app, oe := s.authenticateApplication(f)
	if oe != nil {
		writeOAuth(w, oe)
		return
	}
	switch f.Get("grant_type") {
	case tokenExchange:
		oe = s.exchange(w, r, f, app)
	case "refresh_token":
		oe = s.platformRefresh(w, f, app)
	case "":
		oe = invalidRequest("No grant_type")
	default:
		oe = &oauthError{http.StatusBadRequest, "unsupported_grant_type", "The grant_type is not supported here"}
	}
	if oe != nil {
		writeOAuth(w, oe)
	}
}

// authenticateApplication checks the client assertion against the
// registered application's key, aud this endpoint's URL. It answers the
// API key.
func (s *Server) authenticateApplication(f url.Values) (string, *oauthError) {
	if f.Get("client_assertion_type") != jwtBearer || f.Get("client_assertion") == "" {
		return "", invalidClient("A client assertion is required")
	}
	app, err := s.verifyAssertion(f.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS512}, s.applicationKey,
		[]string{s.PlatformTokenURL()})
	if err != nil {
		return "", invalidClient("Client authentication failed")
	}
	return app, nil
}

func (s *Server) applicationKey(apiKey string) (*rsa.PublicKey, string, bool) {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	a, ok := s.platform.apps[apiKey]
	return a.pub, a.kid, ok
}

// exchange is the token exchange (RFC 8693 §2.1): an ID token as the
// subject token, for an access token. Other RFC 8693 parameters
// (audience, resource, scope, actor_token) are ignored;
// requested_token_type, if sent, must be an access token.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request, f url.Values, app string) *oauthError {
	switch rt := f.Get("requested_token_type"); {
	case f.Get("subject_token_type") != idTokenType:
		return invalidRequest("The subject_token_type must be " + idTokenType)
	case f.Get("subject_token") == "":
		return invalidRequest("No subject_token")
	case rt != "" && rt != accessTokenType:
		return invalidRequest("Only an access token is issued here")
	}
	u, selected, sid, err := s.subject(r.Context(), f.Get("subject_token"))
	if err != nil {
		return invalidGrant("The subject token is not a current ID token from the trusted issuer")
	}
	role := ""
	if i := slices.IndexFunc(u.Roles, func(ro cpis.Role) bool { return ro.ID == selected }); i >= 0 {
		role = selected
	} else if len(u.Roles) > 0 {
		role = u.Roles[0].ID
	}
	now := s.opts.Now()
	s.issuePlatform(w, platformGrant{app: app, user: u.ID, role: role, sid: sid, expires: now.Add(refreshTTL)}, true)
	return nil
}

// subject verifies the subject ID token against the trusted issuer and
// answers its user, selected_roleid and sign-in. From the sandbox's own
// CIS2 the user is the one it signed in, and the sign-in must not have
// ended; from another issuer the user is as the claims say.
func (s *Server) subject(ctx context.Context, raw string) (cpis.User, string, string, error) {
	s.dmu.Lock()
	trust := s.platform.trust
	s.dmu.Unlock()
	if trust == nil {
		std, c, err := s.verifyIDToken(raw, true)
		if err != nil {
			return cpis.User{}, "", "", err
		}
		s.dmu.Lock()
		defer s.dmu.Unlock()
		si, live := s.cis2.sessions[c.SID]
		u, known := s.users[std.Subject]
		if !live || si.ended || !known {
			return cpis.User{}, "", "", fmt.Errorf("checking the ID token: the sign-in has ended")
		}
		return u, c.SelectedRoleID, c.SID, nil
	}
	ctx, cancel := context.WithTimeout(ctx, subjectCheckTimeout)
	defer cancel()
	tok, err := trust.verify(ctx, raw, s.opts.Now)
	if err != nil {
		s.log.WithError(err).Warn("an ID token from the trusted issuer did not verify")
		return cpis.User{}, "", "", err
	}
	var c cis2Claims
	if err := tok.Claims(&c); err != nil {
		return cpis.User{}, "", "", fmt.Errorf("reading the ID token's claims: %w", err)
	}
	id := c.UserUID
	if id == "" {
		id = tok.Subject
	}
	u := userOf(id, c)
	s.dmu.Lock()
	s.users[id] = u
	s.dmu.Unlock()
	return u, c.SelectedRoleID, "", nil
}

// platformRefresh rotates a refresh token issued to the application. The
// new one keeps the first one's expiry: a sign-in lasts refreshTTL at most.
func (s *Server) platformRefresh(w http.ResponseWriter, f url.Values, app string) *oauthError {
	now := s.opts.Now()
	rt := f.Get("refresh_token")
	s.dmu.Lock()
	g, ok := s.platform.refresh[rt]
	ok = ok && g.app == app && now.Before(g.expires)
	if ok {
		delete(s.platform.refresh, rt)
	}
	s.dmu.Unlock()
	if !ok {
		return invalidGrant("Unknown, revoked or expired refresh token")
	}
	s.issuePlatform(w, g, false)
	return nil
}

// issuePlatform issues an access token, which PDS and CP-IS take as they
// took the /identity routes' (the user and the role), and a refresh
// token for the grant, and answers them as the platform does: expires_in
// and refresh_token_expires_in as strings of seconds.
func (s *Server) issuePlatform(w http.ResponseWriter, g platformGrant, exchanged bool) {
	now := s.opts.Now()
	at, rt := randomToken(32), randomToken(32)
	s.dmu.Lock()
	s.purge(now)
	s.tokens[at] = token{userID: g.user, roleID: g.role, expires: now.Add(s.platform.ttl), sid: g.sid}
	s.platform.refresh[rt] = g
	s.dmu.Unlock()
	body := map[string]any{
		"access_token":             at,
		"expires_in":               strconv.FormatInt(int64(s.platform.ttl/time.Second), 10),
		"token_type":               "Bearer",
		"refresh_token":            rt,
		"refresh_token_expires_in": strconv.FormatInt(int64(g.expires.Sub(now)/time.Second), 10),
	}
	if exchanged {
		body["issued_token_type"] = accessTokenType
	}
	noStore(w)
	writeJSON(w, http.StatusOK, "application/json", body)
}
