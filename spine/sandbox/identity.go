package sandbox

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// DemoUser is who POST /identity/demo/token signs in: clearly a sandbox
// user, with one role that may trace (B0264), view the CP-IS flag
// (B0107) and query FGM-IS (B0370, View Summary Health Records).
var DemoUser = cpis.User{
	ID:   "555000000001",
	Name: "Demo Nurse (sandbox)",
	Roles: []cpis.Role{{
		ID: "555000000001-01", OrgCode: "RXX01", OrgName: "Sandbox General Hospital", JobRole: "Staff Nurse",
		Activity: []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag, cpis.ViewSummary},
	}},
}

// token is an access token: the user and the role it was issued for, as
// a CIS2 token names its selected_roleid. CP-IS takes the user, role and
// organisation from the token alone.
type token struct {
	userID  string
	roleID  string
	expires time.Time
	// sid is the CIS2 sign-in the token came from (cis2.go), so that
	// revocation and logout end it; empty for ID tokens from another
	// issuer.
	sid string
}

type card struct {
	pub    *ecdsa.PublicKey
	userID string
}

// signed reports whether sig is the card's ECDSA P-256 signature (ASN.1)
// over SHA-256(nonce), as the card protocol (device/card.go) makes it.
func (c card) signed(nonce, sig []byte) bool {
	digest := sha256.Sum256(nonce)
	return c.pub != nil && ecdsa.VerifyASN1(c.pub, digest[:], sig)
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
