package sandbox

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// DemoUser is who POST /identity/demo/token signs in: clearly a sandbox
// user, with one role that may trace (B0264) and view the CP-IS flag
// (B0107).
var DemoUser = cpis.User{
	ID:   "555000000001",
	Name: "Demo Nurse (sandbox)",
	Roles: []cpis.Role{{
		ID: "555000000001-01", OrgCode: "RXX01", OrgName: "Sandbox General Hospital", JobRole: "Staff Nurse",
		Activity: []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag},
	}},
}

// ChallengeTTL is how long a card has to sign a challenge.
const ChallengeTTL = 2 * time.Minute

// token is an access token: the user and the role it was issued for, as
// a CIS2 token names its selected_roleid. CP-IS takes the user, role and
// organisation from the token alone.
type token struct {
	userID  string
	roleID  string
	expires time.Time
}

type challenge struct {
	nonce   []byte
	expires time.Time
}

type card struct {
	pub    *ecdsa.PublicKey
	userID string
}

// RegisterCard registers a smartcard's public key for a user, as the
// registration authority would, and the user it signs in. The user's ID
// must be the userUUID the card presents.
func (s *Server) RegisterCard(userUUID string, pub *ecdsa.PublicKey, user cpis.User) {
	user.ID = userUUID
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.cards[userUUID] = card{pub: pub, userID: userUUID}
	s.users[userUUID] = user
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// issue makes a token for the user and answers it in the CIS2 shape the
// client reads (spine.tokenResponse).
func (s *Server) issue(w http.ResponseWriter, u cpis.User, demo bool) {
	t := randomToken(32)
	tk := token{userID: u.ID, expires: s.opts.Now().Add(s.opts.TokenTTL)}
	if len(u.Roles) > 0 {
		// The selected role: the first. The sign-in here has no role
		// picker; a user with several roles picks one in the kiosk,
		// which PDS hears in NHSD-Session-URID and CP-IS does not.
		tk.roleID = u.Roles[0].ID
	}
	s.dmu.Lock()
	s.tokens[t] = tk
	s.dmu.Unlock()
	roles := make([]map[string]any, 0, len(u.Roles))
	for _, r := range u.Roles {
		codes := make([]string, len(r.Activity))
		for i, c := range r.Activity {
			codes[i] = string(c)
		}
		roles = append(roles, map[string]any{
			"person_roleid": r.ID, "org_code": r.OrgCode, "org_name": r.OrgName,
			"role_name": r.JobRole, "activity_codes": codes,
		})
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"access_token": t,
		"expires_in":   int64(s.opts.TokenTTL / time.Second),
		"token_type":   "Bearer",
		"id_token_claims": map[string]any{
			"nhsid_useruid":     u.ID,
			"name":              u.Name,
			"nhsid_nrbac_roles": roles,
		},
		"demo": demo,
	})
}

func (s *Server) demoToken(w http.ResponseWriter, r *http.Request) {
	s.issue(w, DemoUser, true)
}

func (s *Server) newChallenge(w http.ResponseWriter, r *http.Request) {
	id := randomToken(16)
	nonce := make([]byte, 32)
	_, _ = rand.Read(nonce)
	s.dmu.Lock()
	now := s.opts.Now()
	for k, c := range s.challenges {
		if now.After(c.expires) {
			delete(s.challenges, k)
		}
	}
	s.challenges[id] = challenge{nonce: nonce, expires: now.Add(ChallengeTTL)}
	s.dmu.Unlock()
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"challenge": id, "nonce": base64.StdEncoding.EncodeToString(nonce),
		"expires_in": int64(ChallengeTTL / time.Second),
	})
}

// cardToken checks the card's ECDSA P-256 signature (ASN.1) over
// SHA-256(nonce) against the key registered for the user. A challenge is
// good for one attempt.
func (s *Server) cardToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User      string `json:"user"`
		Challenge string `json:"challenge"`
		Signature string `json:"signature"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 8192)).Decode(&req); err != nil {
		writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "The body must be JSON with user, challenge and signature")
		return
	}
	sig, err := base64.StdEncoding.DecodeString(req.Signature)
	if err != nil {
		writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "The signature must be base64")
		return
	}
	s.dmu.Lock()
	ch, okCh := s.challenges[req.Challenge]
	delete(s.challenges, req.Challenge)
	c, okCard := s.cards[req.User]
	u := s.users[req.User]
	now := s.opts.Now()
	s.dmu.Unlock()
	digest := sha256.Sum256(ch.nonce)
	switch {
	case !okCh || now.After(ch.expires):
		writeOutcome(w, http.StatusUnauthorized, "ACCESS_DENIED", "Unknown or expired challenge")
	case !okCard:
		writeOutcome(w, http.StatusUnauthorized, "ACCESS_DENIED", "No card is registered for this user")
	case !ecdsa.VerifyASN1(c.pub, digest[:], sig):
		writeOutcome(w, http.StatusUnauthorized, "ACCESS_DENIED", "The card's signature does not verify")
	default:
		s.issue(w, u, false)
	}
}

// session is who is calling, and in which role.
type session struct {
	user cpis.User
	role cpis.Role
}

// tokenSession reads the bearer token: the user and the role it names.
// false when there is no token, or it is unknown or expired.
func (s *Server) tokenSession(r *http.Request) (session, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return session{}, false
	}
	s.dmu.Lock()
	defer s.dmu.Unlock()
	t, known := s.tokens[tok]
	if known && !s.opts.Now().Before(t.expires) {
		delete(s.tokens, tok)
		known = false
	}
	if !known {
		return session{}, false
	}
	u := s.users[t.userID]
	sess := session{user: u}
	if i := slices.IndexFunc(u.Roles, func(ro cpis.Role) bool { return ro.ID == t.roleID }); i >= 0 {
		sess.role = u.Roles[i]
	}
	return sess, true
}

// authorise checks a PDS request's bearer token and the role: the one
// NHSD-Session-URID names, which must be one of the user's
// (personal-demographics.yaml: optional, and if sent it must be the
// user's), or else the token's. The role must hold one of the activity
// codes. false means it has answered.
func (s *Server) authorise(w http.ResponseWriter, r *http.Request, anyOf ...cpis.ActivityCode) (session, bool) {
	if _, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); !ok {
		writeOutcome(w, http.StatusUnauthorized, "ACCESS_DENIED", "Missing Authorization header")
		return session{}, false
	}
	sess, ok := s.tokenSession(r)
	if !ok {
		writeOutcome(w, http.StatusUnauthorized, "ACCESS_DENIED", "Invalid or expired access token")
		return session{}, false
	}
	if urid := r.Header.Get("NHSD-Session-URID"); urid != "" {
		i := slices.IndexFunc(sess.user.Roles, func(ro cpis.Role) bool { return ro.ID == urid })
		if i < 0 {
			writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Invalid value in header 'NHSD-Session-URID'")
			return session{}, false
		}
		sess.role = sess.user.Roles[i]
	}
	if !slices.ContainsFunc(anyOf, sess.role.Has) {
		writeOutcome(w, http.StatusForbidden, "ACCESS_DENIED", "The selected role lacks the activity code for this")
		return session{}, false
	}
	return sess, true
}
