package cpis_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/nhs-cpis/kiosk/cpis"
)

var (
	maternityQs = []cpis.Question{cpis.QNotKnownToMaternity, cpis.QOutOfArea, cpis.QRecentlyMoved}
	edQs        = []cpis.Question{cpis.QVisiblyPregnant, cpis.QNoMaternityRoute}
)

func yes(qs ...cpis.Question) cpis.Answers {
	a := cpis.Answers{}
	for _, q := range qs {
		a[q] = true
	}
	return a
}

func TestWhoToCheckEverySetting(t *testing.T) {
	type row struct {
		guide   string
		age     int
		gender  cpis.Gender
		answers cpis.Answers
		want    cpis.Need
	}
	common := []row{
		{gUnder18, 0, cpis.Female, nil, cpis.Required},
		{gUnder18, 0, cpis.Male, nil, cpis.Required},
		{gUnder18, 9, cpis.Male, nil, cpis.Required},
		{gUnder18, 12, cpis.Unknown, nil, cpis.Required},
		{gUnder18, 15, cpis.Other, nil, cpis.Required},
		{gUnder18, 16, cpis.Female, nil, cpis.Required},
		{gUnder18, 17, cpis.Male, nil, cpis.Required},
		{gUnder18, 17, cpis.Female, nil, cpis.Required},
		{gUnder18, 18, cpis.Male, nil, cpis.NotRequired},
		{gUnder18, 40, cpis.Male, yes(cpis.QVisiblyPregnant, cpis.QNoMaternityRoute, cpis.QOutOfArea), cpis.NotRequired},
		// An unknown date of birth may hide a child.
		{gUnder18, -1, cpis.Male, nil, cpis.Required},
		{gUnder18, -1, cpis.Female, nil, cpis.Required},
		{gUnder18, -1, cpis.Unknown, nil, cpis.Required},
	}
	for _, s := range cpis.Settings {
		for _, tt := range common {
			t.Run(fmt.Sprintf("%s/%d/%s", s, tt.age, tt.gender), func(t *testing.T) {
				got := cpis.WhoToCheck(s, tt.age, tt.gender, tt.answers)
				if got.Need != tt.want {
					t.Errorf("WhoToCheck(%s, %d, %s) = %v (%s), want %v\nguide: %s", s, tt.age, tt.gender, got.Need, got.Reason, tt.want, tt.guide)
				}
				if got.Reason == "" {
					t.Errorf("no reason given to show staff")
				}
			})
		}
	}
}

func TestWhoToCheckMaternity(t *testing.T) {
	tests := []struct {
		guide   string
		age     int
		gender  cpis.Gender
		answers cpis.Answers
		want    cpis.Need
	}{
		{gMaternity, 18, cpis.Female, nil, cpis.AskStaff},
		{gMaternity, 30, cpis.Female, cpis.Answers{}, cpis.AskStaff},
		{gMaternity, 55, cpis.Female, nil, cpis.AskStaff},
		{gMaternity, 30, cpis.Female, cpis.Answers{cpis.QNotKnownToMaternity: false, cpis.QOutOfArea: false, cpis.QRecentlyMoved: false}, cpis.AskStaff},
		{gMatNotKnown, 30, cpis.Female, yes(cpis.QNotKnownToMaternity), cpis.Required},
		{gMatOutOfArea, 30, cpis.Female, yes(cpis.QOutOfArea), cpis.Required},
		{gMatMoved, 30, cpis.Female, yes(cpis.QRecentlyMoved), cpis.Required},
		{gMatMoved, 55, cpis.Female, yes(cpis.QRecentlyMoved), cpis.Required},
		{gMaternity, 30, cpis.Female, yes(cpis.QNotKnownToMaternity, cpis.QOutOfArea, cpis.QRecentlyMoved), cpis.Required},
		// The emergency department's questions do not decide here.
		{gMaternity, 30, cpis.Female, yes(cpis.QVisiblyPregnant, cpis.QNoMaternityRoute), cpis.AskStaff},
		{gMaternity, 56, cpis.Female, nil, cpis.NotRequired},
		{gMaternity, 56, cpis.Female, yes(cpis.QOutOfArea), cpis.NotRequired},
		{gMaternity, 30, cpis.Male, nil, cpis.NotRequired},
		// "All girls and women": a gender PDS holds as unknown or other is
		// not ruled out, since a missed check is worse than an extra one.
		{gMaternity, 30, cpis.Unknown, nil, cpis.AskStaff},
		{gMaternity, 30, cpis.Other, yes(cpis.QOutOfArea), cpis.Required},
		{gMaternity, 30, cpis.Male, yes(cpis.QOutOfArea), cpis.NotRequired},
		{gUnder18, 16, cpis.Female, nil, cpis.Required},
	}
	for _, tt := range tests {
		got := cpis.WhoToCheck(cpis.MaternityUnit, tt.age, tt.gender, tt.answers)
		if got.Need != tt.want {
			t.Errorf("maternity, %d, %s, %v: %v (%s), want %v\nguide: %s", tt.age, tt.gender, tt.answers, got.Need, got.Reason, tt.want, tt.guide)
			continue
		}
		if tt.age >= 18 && tt.age <= cpis.MaternityMaxAge && tt.gender != cpis.Male {
			// "either": any one question decides, so staff see all three.
			if !slices.Equal(got.Questions, maternityQs) || got.AllOf {
				t.Errorf("maternity questions = %v, AllOf %v; want %v, any of them\nguide: %s", got.Questions, got.AllOf, maternityQs, gMaternity)
			}
		}
	}
}

func TestWhoToCheckEmergencyDepartment(t *testing.T) {
	tests := []struct {
		guide   string
		age     int
		gender  cpis.Gender
		answers cpis.Answers
		want    cpis.Need
	}{
		{gED, 18, cpis.Female, nil, cpis.AskStaff},
		{gED, 30, cpis.Female, cpis.Answers{}, cpis.AskStaff},
		{gEDPregnant, 30, cpis.Female, yes(cpis.QVisiblyPregnant), cpis.AskStaff},
		{gEDNoMaternity, 30, cpis.Female, yes(cpis.QNoMaternityRoute), cpis.AskStaff},
		{gED, 30, cpis.Female, yes(cpis.QVisiblyPregnant, cpis.QNoMaternityRoute), cpis.Required},
		// The guide sets no upper age in the emergency department.
		{gED, 60, cpis.Female, yes(cpis.QVisiblyPregnant, cpis.QNoMaternityRoute), cpis.Required},
		// The maternity unit's questions do not decide here.
		{gED, 30, cpis.Female, yes(cpis.QOutOfArea, cpis.QRecentlyMoved, cpis.QNotKnownToMaternity), cpis.AskStaff},
		{gED, 30, cpis.Male, yes(cpis.QVisiblyPregnant, cpis.QNoMaternityRoute), cpis.NotRequired},
		{gED, 30, cpis.Unknown, nil, cpis.AskStaff},
		{gUnder18, 15, cpis.Female, nil, cpis.Required},
	}
	for _, tt := range tests {
		got := cpis.WhoToCheck(cpis.EmergencyDepartment, tt.age, tt.gender, tt.answers)
		if got.Need != tt.want {
			t.Errorf("ED, %d, %s, %v: %v (%s), want %v\nguide: %s", tt.age, tt.gender, tt.answers, got.Need, got.Reason, tt.want, tt.guide)
			continue
		}
		if tt.age >= 18 && tt.gender == cpis.Female {
			// "both": staff must see that the two questions go together.
			if !slices.Equal(got.Questions, edQs) || !got.AllOf {
				t.Errorf("ED questions = %v, AllOf %v; want %v, all of them\nguide: %s", got.Questions, got.AllOf, edQs, gED)
			}
		}
	}
}

// Outside maternity units and emergency departments the guide asks only
// for children: an adult woman, pregnant or not, need not be checked.
func TestWhoToCheckOtherSettings(t *testing.T) {
	all := yes(cpis.QVisiblyPregnant, cpis.QNoMaternityRoute, cpis.QNotKnownToMaternity, cpis.QOutOfArea, cpis.QRecentlyMoved)
	for _, s := range []cpis.Setting{cpis.AmbulanceService, cpis.MinorInjuryUnit, cpis.WalkInCentre, cpis.GPOutOfHours, cpis.PaediatricWard} {
		for _, tt := range []struct {
			guide   string
			age     int
			gender  cpis.Gender
			answers cpis.Answers
			want    cpis.Need
		}{
			{gMustCheck, 18, cpis.Female, nil, cpis.NotRequired},
			{gMustCheck, 30, cpis.Female, all, cpis.NotRequired},
			{gMustCheck, 30, cpis.Male, nil, cpis.NotRequired},
			{gUnder18, 17, cpis.Female, nil, cpis.Required},
			{gUnder18, -1, cpis.Female, nil, cpis.Required},
		} {
			got := cpis.WhoToCheck(s, tt.age, tt.gender, tt.answers)
			if got.Need != tt.want {
				t.Errorf("%s, %d, %s: %v (%s), want %v\nguide: %s", s, tt.age, tt.gender, got.Need, got.Reason, tt.want, tt.guide)
			}
			if got.Need != cpis.AskStaff && len(got.Questions) != 0 {
				t.Errorf("%s, %d, %s: questions %v with nothing to ask", s, tt.age, tt.gender, got.Questions)
			}
		}
	}
}

func TestWhoToCheckReasonNamesTheAnswer(t *testing.T) {
	got := cpis.WhoToCheck(cpis.MaternityUnit, 30, cpis.Female, yes(cpis.QOutOfArea))
	want := "Maternity unit, aged 55 or under, and from out of area and not booked into local maternity services: must be checked."
	if got.Reason != want {
		t.Errorf("reason = %q, want %q\nguide: %s", got.Reason, want, gMatOutOfArea)
	}
}
