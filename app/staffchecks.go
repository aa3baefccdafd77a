package app

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/store"
)

// Staff access checks (guide step 19): who has opened the Child Care
// Alert on both test patients, proving their smartcard carries the right
// codes, and who has been seen at the kiosk but not yet. The store keeps
// the record in the same transaction as the audit (store/staff.go).

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
func openedWords(s store.StaffCheck) string {
	if len(s.Opened) == 0 {
		return "opened neither test patient's alert"
	}
	var done, left []string
	for _, n := range store.TrainingPatients {
		if _, ok := s.Opened[n]; ok {
			done = append(done, n)
		} else {
			left = append(left, n)
		}
	}
	return fmt.Sprintf("opened %s, not yet %s", strings.Join(done, ", "), strings.Join(left, ", "))
}

// missingWords says what a member of staff not yet verified lacks.
func missingWords(s store.StaffCheck) string {
	m := s.Missing()
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
		strings.Join(store.TrainingPatients, ", "), len(verified))
	for _, s := range verified {
		fmt.Fprintf(out, "  %-24s %-13s %s; codes %s; proven %s\n", s.Name, s.UserID, staffRole(s.VerifiedRole),
			codesOrUnknown(s.VerifiedRole.Codes), s.VerifiedAt.In(a.Loc).Format(layout))
	}
	fmt.Fprintf(out, "Not yet proven: %d\n", len(pending))
	for _, s := range pending {
		fmt.Fprintf(out, "  %-24s %-13s %s; codes %s; last seen %s; %s\n", s.Name, s.UserID, staffRole(s.Role),
			codesOrUnknown(s.Role.Codes), s.LastSeen.In(a.Loc).Format(layout), openedWords(s))
		if m := missingWords(s); m != "" {
			fmt.Fprintf(out, "  %-24s %-13s missing: %s\n", "", "", m)
		}
	}
	return nil
}

func codesOrUnknown(c []string) string {
	if len(c) == 0 {
		return "not yet seen"
	}
	return strings.Join(c, ", ")
}

// since30 is the readiness evidence window: a month of routine use.
const since30 = 30 * 24 * time.Hour
