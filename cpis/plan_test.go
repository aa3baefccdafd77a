package cpis_test

import (
	"testing"
	"time"
	_ "time/tzdata" // Europe/London on machines without a zone database

	"github.com/nhs-cpis/kiosk/cpis"
)

// date is a calendar date as the Spine sends it: UTC midnight.
func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func london(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestPlanTypeWords(t *testing.T) {
	tests := []struct {
		guide string
		code  string
		words string
		label string
	}{
		{gCPP, "CPP", "Child protection plan", "Child protection plan (CPP)"},
		{gLAC, "LAC", "Looked after child", "Looked after child (LAC)"},
		{gUCPP, "UCPP", "Unborn child protection plan", "Unborn child protection plan (UCPP)"},
	}
	for _, tt := range tests {
		pt, err := cpis.ParsePlanType(tt.code)
		if err != nil {
			t.Fatalf("ParsePlanType(%q): %v\nguide: %s", tt.code, err, tt.guide)
		}
		if got := pt.Words(); got != tt.words {
			t.Errorf("%s.Words() = %q, want %q\nguide: %s", tt.code, got, tt.words, tt.guide)
		}
		if got := pt.Label(); got != tt.label {
			t.Errorf("%s.Label() = %q, want %q\nguide: %s", tt.code, got, tt.label, tt.guide)
		}
	}
	for _, bad := range []string{"", "cpp", "CPPI", "CIN"} {
		if pt, err := cpis.ParsePlanType(bad); err == nil {
			t.Errorf("ParsePlanType(%q) = %q, want an error\nguide: %s", bad, pt, gPlanType)
		}
	}
	if got := cpis.PlanType("CIN").Words(); got != "Unknown plan type" {
		t.Errorf("unknown type's Words() = %q", got)
	}
}

func TestPlanVisibleOn(t *testing.T) {
	loc := london(t)
	// A nurse checks in the afternoon, in summer time: the answer must
	// depend on the day, not on the hour or the clock change.
	now := time.Date(2026, time.June, 20, 14, 30, 0, 0, loc)
	today := date(2026, time.June, 20)
	ago := func(days int) time.Time { return today.AddDate(0, 0, -days) }
	in := func(days int) time.Time { return today.AddDate(0, 0, days) }

	tests := []struct {
		guide string
		name  string
		plan  cpis.Plan
		want  bool
	}{
		{gCPP, "current CPP", cpis.Plan{Type: cpis.CPP, Start: ago(100)}, true},
		{gLAC, "current LAC", cpis.Plan{Type: cpis.LAC, Start: ago(1000)}, true},
		{gCPP, "CPP with an end date still to come", cpis.Plan{Type: cpis.CPP, Start: ago(100), End: in(30)}, true},
		{gCPP, "CPP started today", cpis.Plan{Type: cpis.CPP, Start: today}, true},
		{gCPP, "CPP with no start date", cpis.Plan{Type: cpis.CPP}, true},
		{gStartEnd, "CPP not yet started", cpis.Plan{Type: cpis.CPP, Start: in(1)}, false},
		{g365, "CPP ended today", cpis.Plan{Type: cpis.CPP, Start: ago(500), End: today}, true},
		{g365, "CPP ended 1 day ago", cpis.Plan{Type: cpis.CPP, Start: ago(500), End: ago(1)}, true},
		{g365, "LAC ended 364 days ago", cpis.Plan{Type: cpis.LAC, Start: ago(900), End: ago(364)}, true},
		{g365, "CPP ended 365 days ago", cpis.Plan{Type: cpis.CPP, Start: ago(900), End: ago(365)}, true},
		{g365, "LAC ended 365 days ago", cpis.Plan{Type: cpis.LAC, Start: ago(900), End: ago(365)}, true},
		{g365, "CPP ended 366 days ago", cpis.Plan{Type: cpis.CPP, Start: ago(900), End: ago(366)}, false},
		{g365, "LAC ended 366 days ago", cpis.Plan{Type: cpis.LAC, Start: ago(900), End: ago(366)}, false},
		{gUCPP, "UCPP before the due date", cpis.Plan{Type: cpis.UCPP, Start: ago(60), DueDate: in(90)}, true},
		{gUCPP, "UCPP on the due date", cpis.Plan{Type: cpis.UCPP, Start: ago(200), DueDate: today}, true},
		{gUCPP, "UCPP due+27 days", cpis.Plan{Type: cpis.UCPP, Start: ago(200), DueDate: ago(27)}, true},
		{gUCPP, "UCPP due+28 days", cpis.Plan{Type: cpis.UCPP, Start: ago(200), DueDate: ago(28)}, true},
		{gUCPP, "UCPP due+29 days", cpis.Plan{Type: cpis.UCPP, Start: ago(200), DueDate: ago(29)}, false},
		// The 28 days after the due date are a limit, not an extension of
		// a plan ended long ago.
		{gUCPP, "UCPP ended 400 days ago, due 10 days ago", cpis.Plan{Type: cpis.UCPP, Start: ago(600), End: ago(400), DueDate: ago(10)}, false},
		{gUCPP, "UCPP ended 10 days ago, due 20 days ago", cpis.Plan{Type: cpis.UCPP, Start: ago(300), End: ago(10), DueDate: ago(20)}, true},
		{gUCPP, "UCPP not yet started", cpis.Plan{Type: cpis.UCPP, Start: in(2), DueDate: in(100)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The same day at any hour, in the kiosk's zone or in UTC.
			for _, at := range []time.Time{
				now,
				time.Date(2026, time.June, 20, 0, 0, 0, 0, loc),
				time.Date(2026, time.June, 20, 23, 59, 59, 0, loc),
				time.Date(2026, time.June, 20, 12, 0, 0, 0, time.UTC),
			} {
				if got := tt.plan.VisibleOn(at); got != tt.want {
					t.Errorf("VisibleOn(%s) = %v, want %v\nguide: %s", at.Format(time.RFC3339), got, tt.want, tt.guide)
				}
			}
		})
	}
}

// Across the clock change the windows still count calendar days: 28 days
// after a due date in March land on the same date in April.
func TestPlanVisibleOnAcrossClockChange(t *testing.T) {
	loc := london(t)
	p := cpis.Plan{Type: cpis.UCPP, Start: date(2025, time.December, 1), DueDate: date(2026, time.March, 10)}
	last := time.Date(2026, time.April, 7, 9, 0, 0, 0, loc) // due + 28 days, in BST
	if !p.VisibleOn(last) {
		t.Errorf("hidden on %s, the 28th day after the due date\nguide: %s", last.Format(time.RFC3339), gUCPP)
	}
	if p.VisibleOn(last.AddDate(0, 0, 1)) {
		t.Errorf("visible on %s, the 29th day after the due date\nguide: %s", last.AddDate(0, 0, 1).Format(time.RFC3339), gUCPP)
	}
}

func TestVisiblePlansOrder(t *testing.T) {
	now := time.Date(2026, time.June, 20, 10, 0, 0, 0, time.UTC)
	today := date(2026, time.June, 20)
	ago := func(days int) time.Time { return today.AddDate(0, 0, -days) }

	oldCPP := cpis.Plan{Type: cpis.CPP, Start: ago(700)}
	newLAC := cpis.Plan{Type: cpis.LAC, Start: ago(30)}
	unborn := cpis.Plan{Type: cpis.UCPP, Start: ago(90), DueDate: today.AddDate(0, 0, 40)}
	endedRecent := cpis.Plan{Type: cpis.CPP, Start: ago(400), End: ago(10)}
	endedEarlier := cpis.Plan{Type: cpis.LAC, Start: ago(200), End: ago(100)}
	endedLongAgo := cpis.Plan{Type: cpis.CPP, Start: ago(1200), End: ago(400)}
	notYet := cpis.Plan{Type: cpis.CPP, Start: today.AddDate(0, 0, 3)}

	got := cpis.VisiblePlans([]cpis.Plan{endedLongAgo, oldCPP, endedRecent, notYet, newLAC, endedEarlier, unborn}, now)
	want := []cpis.Plan{newLAC, unborn, oldCPP, endedEarlier, endedRecent}
	if len(got) != len(want) {
		t.Fatalf("VisiblePlans kept %d plans, want %d: %+v\nguide: %s", len(got), len(want), got, g365)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("VisiblePlans[%d] = %s from %s, want %s from %s (current first, then latest start)",
				i, got[i].Type, got[i].Start.Format(time.DateOnly), want[i].Type, want[i].Start.Format(time.DateOnly))
		}
	}
	if got := cpis.VisiblePlans(nil, now); len(got) != 0 {
		t.Errorf("VisiblePlans(nil) = %v", got)
	}

	a := cpis.Alert{NHS: "9990276579", Plans: got}
	if a.Authority() != newLAC.Authority {
		t.Errorf("Alert.Authority() is not the first visible plan's")
	}
	if (cpis.Alert{}).Authority() != (cpis.LocalAuthority{}) {
		t.Errorf("an alert with no plans has an authority")
	}
}

func TestPlanCurrent(t *testing.T) {
	now := time.Date(2026, time.June, 20, 15, 0, 0, 0, time.UTC)
	today := date(2026, time.June, 20)
	tests := []struct {
		guide string
		name  string
		plan  cpis.Plan
		want  bool
	}{
		{gCPP, "open", cpis.Plan{Type: cpis.CPP, Start: today.AddDate(0, -1, 0)}, true},
		{gStartEnd, "ends tomorrow", cpis.Plan{Type: cpis.CPP, Start: today.AddDate(0, -1, 0), End: today.AddDate(0, 0, 1)}, true},
		{gStartEnd, "ended today", cpis.Plan{Type: cpis.CPP, Start: today.AddDate(0, -1, 0), End: today}, false},
		{gStartEnd, "starts tomorrow", cpis.Plan{Type: cpis.CPP, Start: today.AddDate(0, 0, 1)}, false},
	}
	for _, tt := range tests {
		if got := tt.plan.Current(now); got != tt.want {
			t.Errorf("%s: Current = %v, want %v\nguide: %s", tt.name, got, tt.want, tt.guide)
		}
	}
}
