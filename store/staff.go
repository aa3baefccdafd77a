package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"sort"
	"time"

	"go.etcd.io/bbolt"
)

// Staff access checks (guide step 19): a record per member of staff, kept
// up in the same transaction as the audit record that changes it. What a
// record means and when it changes is the owner's rule (StaffRule); the
// store only keeps it, sealed, under a key that does not show the user.

// StaffRule is the owner's rule for the staff records. For an audit
// record that Concerns a member of staff, Apply returns their record as it
// now stands and, when the record proves something worth its own audit
// record (access proven), that record, appended in the same transaction.
type StaffRule interface {
	Concerns(e Event) bool
	Apply(s StaffCheck, e Event) (StaffCheck, *Event)
}

// UseStaffRule sets the rule for the staff records. Until it is set,
// audit records change no staff record.
func (db *DB) UseStaffRule(r StaffRule) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.staff = r
}

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

// staffKey names a member of staff in the bucket without their user id in
// clear: a MAC of it under the chain's key.
func (db *DB) staffKey(userID string) []byte {
	m := hmac.New(sha256.New, db.chain.key)
	m.Write([]byte("staff\x00"))
	m.Write([]byte(userID))
	return m.Sum(nil)[:16]
}

// noteStaffTx applies the staff rule to e inside e's transaction.
func (db *DB) noteStaffTx(tx *bbolt.Tx, e Event) error {
	db.mu.Lock()
	rule := db.staff
	db.mu.Unlock()
	if rule == nil || e.UserID == "" || !rule.Concerns(e) {
		return nil
	}
	b := tx.Bucket(bucketStaff)
	key := db.staffKey(e.UserID)
	s := StaffCheck{UserID: e.UserID, FirstSeen: e.At}
	if v := b.Get(key); v != nil {
		if err := db.openSealed(bucketStaff, key, v, &s); err != nil {
			return err
		}
	}
	s, proof := rule.Apply(s, e)
	if err := db.putSealed(b, bucketStaff, key, s); err != nil {
		return err
	}
	if proof != nil {
		_, err := db.appendTx(tx, *proof)
		return err
	}
	return nil
}

// StaffChecks lists every member of staff the kiosk has seen sign in,
// trace or open an alert, by name, with whether their access is proven.
func (db *DB) StaffChecks() ([]StaffCheck, error) {
	var out []StaffCheck
	err := db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketStaff).ForEach(func(k, v []byte) error {
			var s StaffCheck
			if err := db.openSealed(bucketStaff, k, v, &s); err != nil {
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
