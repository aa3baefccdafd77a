package accountability

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// Missing is, for someone not yet verified, the activity codes their role
// lacks: those the check needs (B0264, B0107) and FGM-IS's (B0370) that
// the role's codes, as last seen, do not include, and those the latest
// refusal named; before any codes are seen, the refusal's alone.
func Missing(s store.StaffCheck) []string {
	if s.Verified {
		return nil
	}
	var out []string
	if len(s.Role.Codes) > 0 {
		for _, c := range append(slices.Clone(cpis.CheckCodes), cpis.ViewSummary) {
			if !slices.Contains(s.Role.Codes, string(c)) {
				out = append(out, string(c))
			}
		}
	}
	if len(s.Refusals) > 0 {
		for _, c := range s.Refusals[len(s.Refusals)-1].Missing {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
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

// OpenedWords says which test patients' alerts were opened.
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
