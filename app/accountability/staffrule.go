package accountability

import (
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// Staff access checks (guide step 19): who has opened the Child Care
// Alert on both test patients, proving their smartcard carries the right
// codes, and who has been seen at the kiosk but not yet. The store keeps
// the record in the same transaction as the audit (store/staff.go).

// maxRefusals is how many refusals a staff record keeps: the latest say
// which code is missing; older ones add nothing.
const maxRefusals = 10

// StaffRule is the rule for the staff records, applied by the store in the
// same transaction as each audit record.
type StaffRule struct{}

var _ store.StaffRule = StaffRule{}

// Concerns reports whether e says something about a member of staff.
func (StaffRule) Concerns(e store.Event) bool { return cpis.StaffEvent(e.Kind) }

// Apply brings s up to date with e: the role last seen, a refusal with the
// codes the role lacked, and a test patient's alert opened. When that
// completes the pair of test patients, it returns the proof to append.
func (StaffRule) Apply(s store.StaffCheck, e store.Event) (store.StaffCheck, *store.Event) {
	if e.UserName != "" {
		s.Name = e.UserName
	}
	s.LastSeen = e.At
	role := store.StaffRole{ID: e.RoleID, JobRole: e.JobRole, OrgCode: e.OrgCode, Codes: e.Codes}
	switch {
	case role.ID == "":
	case role.ID != s.Role.ID:
		s.Role = role
	case len(role.Codes) > 0:
		// Sign-in records carry no codes; the check's records do.
		s.Role.Codes = role.Codes
	}
	if e.Result == cpis.ResultRefused {
		missing := e.Missing
		if len(missing) == 0 {
			missing = cpis.MissingFor(e.Kind)
		}
		s.Refusals = append(s.Refusals, store.Refusal{At: e.At, Action: refusedAction(e.Kind), Missing: codeStrings(missing), Role: role})
		if len(s.Refusals) > maxRefusals {
			s.Refusals = s.Refusals[len(s.Refusals)-maxRefusals:]
		}
	}
	if e.Kind != cpis.EventAlertOpened || !e.Notified || !cpis.IsTrainingPatient(cpis.NHSNumber(e.NHS)) {
		return s, nil
	}
	if s.Opened == nil {
		s.Opened = map[string]time.Time{}
	}
	if _, ok := s.Opened[e.NHS]; !ok {
		s.Opened[e.NHS] = e.At
	}
	if s.Verified || len(s.Opened) != len(cpis.TrainingPatients) {
		return s, nil
	}
	s.Verified, s.VerifiedAt, s.VerifiedRole = true, e.At, s.Role
	return s, &store.Event{At: e.At, Kind: cpis.EventAccessVerified, UserID: e.UserID, UserName: e.UserName,
		RoleID: e.RoleID, JobRole: e.JobRole, OrgCode: e.OrgCode, Setting: e.Setting, Codes: e.Codes,
		Result: cpis.ResultDone, Outcome: "opened the alerts of both test patients (guide step 19): access proven"}
}

func refusedAction(k cpis.EventKind) string {
	if a, ok := refusedActions[k]; ok {
		return a
	}
	return "sign in"
}

// refusedActions say what a refused event was for, in words.
var refusedActions = map[cpis.EventKind]string{cpis.EventTrace: "trace a patient", cpis.EventSearch: "trace a patient",
	cpis.EventSilentCheck: "trace a patient", cpis.EventAlertOpened: "open a Child Care Alert",
	cpis.EventFGMQuery: "check FGM-IS"}

// codeStrings is a list of codes (or numbers) as plain strings.
func codeStrings[T ~string](cs []T) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

// OpenStore opens the kiosk's database with the rule for the staff records:
// every opener that may append to the audit uses it.
func OpenStore(path, keyPath string, log logrus.FieldLogger) (*store.DB, error) {
	db, err := store.Open(path, keyPath, log)
	if err != nil {
		return nil, err
	}
	db.UseStaffRule(StaffRule{})
	return db, nil
}
