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
	for _, bad := range []string{"", "cpp", "CPPI", "CIN", string(cpis.PlanUnknown)} {
		if pt, err := cpis.ParsePlanType(bad); err == nil {
			t.Errorf("ParsePlanType(%q) = %q, want an error\nguide: %s", bad, pt, gPlanType)
		}
	}
	if got := cpis.PlanType("CIN").Words(); got != "Unknown plan type" {
		t.Errorf("unknown type's Words() = %q", got)
	}
	// A plan CP-IS sent with a category the kiosk does not know is still a
	// Child Care Alert, named as such; it has no code of the guide's.
	const unknown = "Child Care Alert of an unrecognised type"
	if got := cpis.PlanUnknown.Words(); got != unknown {
		t.Errorf("PlanUnknown.Words() = %q, want %q\nguide: %s", got, unknown, gPlanType)
	}
	if got := cpis.PlanUnknown.Label(); got != unknown {
		t.Errorf("PlanUnknown.Label() = %q, want %q\nguide: %s", got, unknown, gPlanType)
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
		// The 28 days after the due date are CP-IS's to apply: it holds the
		// due date and stops returning the plan (spine/sandbox does the
		// same). Whatever unborn-child plan CP-IS returns, the kiosk shows
		// by its dates, as any other plan.
		{gUCPP, "UCPP current", cpis.Plan{Type: cpis.UCPP, Start: ago(60)}, true},
		{gUCPP, "UCPP returned long after it started, still open", cpis.Plan{Type: cpis.UCPP, Start: ago(400)}, true},
		{gUCPP, "UCPP with an end date to come", cpis.Plan{Type: cpis.UCPP, Start: ago(200), End: in(20)}, true},
		{gUCPP, "UCPP ended 10 days ago", cpis.Plan{Type: cpis.UCPP, Start: ago(300), End: ago(10)}, true},
		{g365, "UCPP ended 365 days ago", cpis.Plan{Type: cpis.UCPP, Start: ago(600), End: ago(365)}, true},
		{g365, "UCPP ended 366 days ago", cpis.Plan{Type: cpis.UCPP, Start: ago(600), End: ago(366)}, false},
		{gUCPP, "UCPP not yet started", cpis.Plan{Type: cpis.UCPP, Start: in(2)}, false},
		// A plan of a type the kiosk does not know is shown by the same
		// dates: never hidden for being unrecognised.
		{gPlanType, "unrecognised type, current", cpis.Plan{Type: cpis.PlanUnknown, Start: ago(30), Category: "http://snomed.info/sct|1 x"}, true},
		{gPlanType, "unrecognised type, no dates", cpis.Plan{Type: cpis.PlanUnknown}, true},
		{g365, "unrecognised type, ended 365 days ago", cpis.Plan{Type: cpis.PlanUnknown, Start: ago(900), End: ago(365)}, true},
		{g365, "unrecognised type, ended 366 days ago", cpis.Plan{Type: cpis.PlanUnknown, Start: ago(900), End: ago(366)}, false},
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

// The window counts calendar days in the kiosk's zone, whatever the hour
// and whether summer time is in force: late in the evening of the 365th
// day the plan still shows, and just after midnight it is gone.
func TestPlanVisibleOnAcrossClockChange(t *testing.T) {
	loc := london(t)
	p := cpis.Plan{Type: cpis.CPP, Start: date(2024, time.June, 1), End: date(2025, time.March, 10)}
	last := time.Date(2026, time.March, 10, 23, 30, 0, 0, loc) // end + 365 days, late evening
	if !p.VisibleOn(last) {
		t.Errorf("hidden on %s, the 365th day after the end\nguide: %s", last.Format(time.RFC3339), g365)
	}
	next := time.Date(2026, time.March, 11, 0, 30, 0, 0, loc) // the next day
	if p.VisibleOn(next) {
		t.Errorf("visible on %s, the 366th day after the end\nguide: %s", next.Format(time.RFC3339), g365)
	}
	q := cpis.Plan{Type: cpis.LAC, Start: date(2024, time.June, 1), End: date(2025, time.April, 7)}
	summer := time.Date(2026, time.April, 7, 9, 0, 0, 0, loc) // end + 365 days, in BST
	if !q.VisibleOn(summer) || q.VisibleOn(summer.AddDate(0, 0, 1)) {
		t.Errorf("around %s the window is off by a day\nguide: %s", summer.Format(time.RFC3339), g365)
	}
}

func TestVisiblePlansOrder(t *testing.T) {
	now := time.Date(2026, time.June, 20, 10, 0, 0, 0, time.UTC)
	today := date(2026, time.June, 20)
	ago := func(days int) time.Time { return today.AddDate(0, 0, -days) }

	oldCPP := cpis.Plan{Type: cpis.CPP, Start: ago(700)}
	newLAC := cpis.Plan{Type: cpis.LAC, Start: ago(30)}
	unborn := cpis.Plan{Type: cpis.UCPP, Start: ago(90)}
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
