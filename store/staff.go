package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Staff access checks. The guide's step 19: "Please ensure each member of
// staff checks and can see the Child Care Alert on these test patients
// when the codes have been added to their NHS Smartcards as this ensures
// they have the correct access." The kiosk keeps, per member of staff,
// which test patients' alerts they have opened, and marks their access
// proven when they have opened both. The record is kept up in the same
// transaction as the audit record that changes it, and the proof itself
// is an audit record ("access-verified"), so it is in the chain.

// TrainingPatients are the guide's two test records (step 19): "Please use
// NHS Numbers 9990276579 and 9990275831 for these purposes."
var TrainingPatients = []string{"9990276579", "9990275831"}

// KindAccessVerified is the audit record of a member of staff's access
// proven on both test patients.
const KindAccessVerified = "access-verified"

// maxRefusals is how many refusals a staff record keeps: the latest say
// which code is missing; older ones add nothing.
const maxRefusals = 10

// StaffRole is a role as the audit saw it.
type StaffRole struct {
	ID      string   `json:"id,omitempty"`
	JobRole string   `json:"job_role,omitempty"`
	OrgCode string   `json:"org_code,omitempty"`
	Codes   []string `json:"codes,omitempty"`
}

// Refusal is an action the kiosk refused a member of staff, with the
// activity codes their role lacked.
type Refusal struct {
	At      time.Time `json:"at"`
	Action  string    `json:"action"` // "trace a patient", "open a Child Care Alert", "sign in"
	Missing []string  `json:"missing,omitempty"`
	Role    StaffRole `json:"role"`
}

// StaffCheck is what the kiosk knows of one member of staff's access.
type StaffCheck struct {
	UserID    string    `json:"user_id"`
	Name      string    `json:"name,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Role      StaffRole `json:"role"` // the role last seen
	// Opened is when each test patient's alert was first opened, by NHS
	// number.
	Opened       map[string]time.Time `json:"opened,omitempty"`
	Verified     bool                 `json:"verified,omitempty"`
	VerifiedAt   time.Time            `json:"verified_at,omitzero"`
	VerifiedRole StaffRole            `json:"verified_role,omitzero"`
	Refusals     []Refusal            `json:"refusals,omitempty"`
}

// neededCodes are the codes the check needs (guide step 12): B0264 to
// trace, B0107 to open the alert.
var neededCodes = []string{"B0264", "B0107"}

// Missing is, for someone not yet verified, the activity codes their role
// lacks: those the latest refusal named, else those the role's codes, as
// last seen, do not include.
func (s StaffCheck) Missing() []string {
	switch {
	case s.Verified:
		return nil
	case len(s.Refusals) > 0:
		return s.Refusals[len(s.Refusals)-1].Missing
	case len(s.Role.Codes) == 0:
		return nil // not yet seen: no sign-in record carries the codes
	}
	var out []string
	for _, c := range neededCodes {
		if !slices.Contains(s.Role.Codes, c) {
			out = append(out, c)
		}
	}
	return out
}

// staffKinds are the audit records that say something about a member of
// staff's access.
var staffKinds = map[string]bool{"login": true, "unlock": true, "trace": true, "search": true,
	"silent-check": true, "alert-opened": true}

// staffKey names a member of staff in the bucket without their user id in
// clear: a MAC of it under the chain's key.
func (db *DB) staffKey(userID string) []byte {
	m := hmac.New(sha256.New, db.chain.key)
	m.Write([]byte("staff\x00"))
	m.Write([]byte(userID))
	return m.Sum(nil)[:16]
}

// noteStaffTx updates the staff record for e inside e's transaction, and
// when e completes the pair of test patients appends the proof.
func (db *DB) noteStaffTx(tx *bbolt.Tx, e Event) error {
	if e.UserID == "" || !staffKinds[e.Kind] {
		return nil
	}
	b := tx.Bucket(bucketStaff)
	key := db.staffKey(e.UserID)
	var s StaffCheck
	if v := b.Get(key); v != nil {
		if err := db.openStaff(key, v, &s); err != nil {
			return err
		}
	} else {
		s = StaffCheck{UserID: e.UserID, FirstSeen: e.At}
	}
	if e.UserName != "" {
		s.Name = e.UserName
	}
	s.LastSeen = e.At
	role := StaffRole{ID: e.RoleID, JobRole: e.JobRole, OrgCode: e.OrgCode, Codes: e.Codes}
	switch {
	case role.ID == "":
	case role.ID != s.Role.ID:
		s.Role = role
	case len(role.Codes) > 0:
		// Sign-in records carry no codes; the check's records do.
		s.Role.Codes = role.Codes
	}
	if strings.HasPrefix(e.Outcome, "refused") {
		s.Refusals = append(s.Refusals, Refusal{At: e.At, Action: refusedAction(e.Kind), Missing: missingCodes(e), Role: role})
		if len(s.Refusals) > maxRefusals {
			s.Refusals = s.Refusals[len(s.Refusals)-maxRefusals:]
		}
	}
	verify := false
	if e.Kind == "alert-opened" && e.Notified && slices.Contains(TrainingPatients, e.NHS) {
		if s.Opened == nil {
			s.Opened = map[string]time.Time{}
		}
		if _, ok := s.Opened[e.NHS]; !ok {
			s.Opened[e.NHS] = e.At
		}
		if !s.Verified && len(s.Opened) == len(TrainingPatients) {
			s.Verified, s.VerifiedAt, s.VerifiedRole = true, e.At, s.Role
			verify = true
		}
	}
	if err := db.putStaff(b, key, s); err != nil {
		return err
	}
	if verify {
		_, err := db.appendTx(tx, Event{At: e.At, Kind: KindAccessVerified, UserID: e.UserID, UserName: e.UserName,
			RoleID: e.RoleID, JobRole: e.JobRole, OrgCode: e.OrgCode, Setting: e.Setting, Codes: e.Codes,
			Outcome: "opened the alerts of both test patients (guide step 19): access proven"})
		return err
	}
	return nil
}

func refusedAction(kind string) string {
	switch kind {
	case "trace", "search", "silent-check":
		return "trace a patient"
	case "alert-opened":
		return "open a Child Care Alert"
	}
	return "sign in"
}

// codeNeeded finds "code B0107" in a refusal's words (cpis.PermissionError).
var codeNeeded = regexp.MustCompile(`\bcode (B\d{4})\b`)

// missingCodes is what a refused role lacked: the code the refusal names,
// or, for a sign-in refused outright, both of the kiosk's codes.
func missingCodes(e Event) []string {
	var out []string
	for _, m := range codeNeeded.FindAllStringSubmatch(e.Outcome, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	if len(out) == 0 {
		switch e.Kind {
		case "trace", "search":
			out = []string{"B0264"}
		case "alert-opened":
			out = []string{"B0107"}
		default:
			out = slices.Clone(neededCodes)
		}
	}
	return out
}

func (db *DB) putStaff(b *bbolt.Bucket, key []byte, s StaffCheck) error {
	plain, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding staff record: %w", err)
	}
	val, err := json.Marshal(envelope{V: envelopeV1, Sealed: db.seal.seal(bucketStaff, key, plain)})
	if err != nil {
		return fmt.Errorf("encoding staff record: %w", err)
	}
	if err := b.Put(key, val); err != nil {
		return fmt.Errorf("storing staff record: %w", err)
	}
	return nil
}

func (db *DB) openStaff(key, v []byte, s *StaffCheck) error {
	var env envelope
	if err := json.Unmarshal(v, &env); err != nil || env.V != envelopeV1 || env.Sealed == nil {
		return fmt.Errorf("staff record: %w", ErrTampered)
	}
	plain, err := db.seal.open(bucketStaff, key, env.Sealed)
	if err != nil {
		return fmt.Errorf("staff record: %w", err)
	}
	if err := json.Unmarshal(plain, s); err != nil {
		return fmt.Errorf("decoding staff record: %w", err)
	}
	return nil
}

// StaffChecks lists every member of staff the kiosk has seen sign in,
// trace or open an alert, by name, with whether their access is proven.
func (db *DB) StaffChecks() ([]StaffCheck, error) {
	var out []StaffCheck
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketStaff).ForEach(func(k, v []byte) error {
			var s StaffCheck
			if err := db.openStaff(k, v, &s); err != nil {
				return err
			}
			out = append(out, s)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading staff checks: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].UserID < out[j].UserID
	})
	return out, nil
}
