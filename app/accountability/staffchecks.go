package accountability

import (
	"slices"

	"fmt"
	"io"
	"strings"
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
	switch k {
	case cpis.EventTrace, cpis.EventSearch, cpis.EventSilentCheck:
		return "trace a patient"
	case cpis.EventAlertOpened:
		return "open a Child Care Alert"
	}
	return "sign in"
}

// codeStrings is a list of codes (or numbers) as plain strings.
func codeStrings[T ~string](cs []T) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

// Missing is, for someone not yet verified, the activity codes their role
// lacks: those the latest refusal named, else those the role's codes, as
// last seen, do not include.
func Missing(s store.StaffCheck) []string {
	switch {
	case s.Verified:
		return nil
	case len(s.Refusals) > 0:
		return s.Refusals[len(s.Refusals)-1].Missing
	case len(s.Role.Codes) == 0:
		return nil // not yet seen: no sign-in record carries the codes
	}
	var out []string
	for _, c := range cpis.CheckCodes {
		if !slices.Contains(s.Role.Codes, string(c)) {
			out = append(out, string(c))
		}
	}
	return out
}

// StaffLists splits the staff the kiosk has seen into those whose access
// is proven and those not yet, each by name.
func (a *Accountability) StaffLists() (verified, pending []store.StaffCheck, err error) {
	all, err := a.Log.StaffChecks()
	if err != nil {
		return nil, nil, err
	}
	for _, s := range all {
		if s.Verified {
			verified = append(verified, s)
		} else {
			pending = append(pending, s)
		}
	}
	return verified, pending, nil
}

// staffRole is a role in words: "Staff Nurse, RXX01 (555000000010-01)".
func staffRole(r store.StaffRole) string {
	s := r.JobRole
	if r.OrgCode != "" {
		s += ", " + r.OrgCode
	}
	if r.ID != "" {
		s += " (" + r.ID + ")"
	}
	return strings.TrimPrefix(s, ", ")
}

// openedWords says which test patients' alerts were opened.
func OpenedWords(s store.StaffCheck) string {
	if len(s.Opened) == 0 {
		return "opened neither test patient's alert"
	}
	var done, left []string
	for _, n := range cpis.TrainingPatients {
		if _, ok := s.Opened[n.Digits()]; ok {
			done = append(done, n.Digits())
		} else {
			left = append(left, n.Digits())
		}
	}
	return fmt.Sprintf("opened %s, not yet %s", strings.Join(done, ", "), strings.Join(left, ", "))
}

// missingWords says what a member of staff not yet verified lacks.
func missingWords(s store.StaffCheck) string {
	m := Missing(s)
	if len(m) == 0 {
		return ""
	}
	w := "role lacks " + strings.Join(m, " and ") + "; the registration authority adds it to the smartcard"
	if len(s.Refusals) > 0 {
		r := s.Refusals[len(s.Refusals)-1]
		w = fmt.Sprintf("refused to %s on %s: %s", r.Action, r.At.Local().Format("2006-01-02 15:04"), w)
	}
	return w
}

// PrintStaffChecks is `cpis-kiosk staff checks`.
func (a *Accountability) PrintStaffChecks(out io.Writer) error {
	verified, pending, err := a.StaffLists()
	if err != nil {
		return err
	}
	const layout = "2006-01-02 15:04"
	fmt.Fprintf(out, "Access proven on both test patients (%s), guide step 19: %d\n",
		trainingWords(), len(verified))
	for _, s := range verified {
		fmt.Fprintf(out, "  %-24s %-13s %s; codes %s; proven %s\n", s.Name, s.UserID, staffRole(s.VerifiedRole),
			codesOrUnknown(s.VerifiedRole.Codes), s.VerifiedAt.In(a.Loc).Format(layout))
	}
	fmt.Fprintf(out, "Not yet proven: %d\n", len(pending))
	for _, s := range pending {
		fmt.Fprintf(out, "  %-24s %-13s %s; codes %s; last seen %s; %s\n", s.Name, s.UserID, staffRole(s.Role),
			codesOrUnknown(s.Role.Codes), s.LastSeen.In(a.Loc).Format(layout), OpenedWords(s))
		if m := missingWords(s); m != "" {
			fmt.Fprintf(out, "  %-24s %-13s missing: %s\n", "", "", m)
		}
	}
	return nil
}

// trainingWords lists the guide's test patients: "9990276579, 9990275831".
func trainingWords() string {
	return strings.Join(codeStrings(cpis.TrainingPatients), ", ")
}

func codesOrUnknown(c []string) string {
	if len(c) == 0 {
		return "not yet seen"
	}
	return strings.Join(c, ", ")
}

// since30 is the readiness evidence window: a month of routine use.
const EvidenceWindow = 30 * 24 * time.Hour

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
