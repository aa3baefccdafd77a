package cpis

import (
	"fmt"
	"sort"
	"time"
)

// PlanType is the kind of Child Care Alert plan.
type PlanType string

// The three plan types CP-IS carries (guide, "The information CP-IS
// provides").
const (
	// CPP: "are subject to a child protection plan".
	CPP PlanType = "CPP"
	// LAC: "are a looked after child".
	LAC PlanType = "LAC"
	// UCPP: "are pregnant and their unborn child is subject to a child
	// protection plan".
	UCPP PlanType = "UCPP"
)

// ParsePlanType accepts a plan code.
func ParsePlanType(s string) (PlanType, error) {
	switch t := PlanType(s); t {
	case CPP, LAC, UCPP:
		return t, nil
	}
	return "", fmt.Errorf("unknown plan type %q", s)
}

// Words is the plan type as staff read it.
func (t PlanType) Words() string {
	switch t {
	case CPP:
		return "Child protection plan"
	case LAC:
		return "Looked after child"
	case UCPP:
		return "Unborn child protection plan"
	}
	return "Unknown plan type"
}

// Label is the plan type in words with its code: "Child protection plan (CPP)".
func (t PlanType) Label() string { return t.Words() + " (" + string(t) + ")" }

// Plan is one CP-IS plan for a patient.
type Plan struct {
	Type      PlanType
	Start     time.Time
	End       time.Time // zero while the plan is open
	DueDate   time.Time // UCPP only: the mother's expected due date
	Authority LocalAuthority
}

// Visibility windows from the guide, "The information CP-IS provides".
// They count calendar days (see VisibleOn), not 24-hour periods.
const (
	// EndedVisibleFor: "have been one of the above in the previous 365 days".
	EndedVisibleFor = 365 * 24 * time.Hour
	// UnbornVisibleAfterDue: "this alert is visible for 28 days after the
	// mother's due date".
	UnbornVisibleAfterDue = 28 * 24 * time.Hour
)

const day = 24 * time.Hour

// calendarDay is the date of t on its own clock, as UTC midnight. Plan
// dates arrive as dates (UTC midnight) while the kiosk asks with its local
// time: comparing instants would hide a plan in the afternoon that the
// same rule shows in the morning, or a day early after the clock change.
func calendarDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// VisibleOn reports whether the plan shows as a Child Care Alert on the
// given day. Only the calendar day of now counts, not the hour: a plan
// that ended 365 days ago, or an unborn-child plan whose due date was 28
// days ago, is visible for the whole of that day.
func (p Plan) VisibleOn(now time.Time) bool {
	today := calendarDay(now)
	if !p.Start.IsZero() && today.Before(calendarDay(p.Start)) {
		return false // not started yet
	}
	if p.Type == UCPP && !p.DueDate.IsZero() &&
		today.After(calendarDay(p.DueDate).AddDate(0, 0, int(UnbornVisibleAfterDue/day))) {
		return false
	}
	// An unborn-child plan that was ended stays visible no longer than any
	// other plan.
	return p.End.IsZero() || !today.After(calendarDay(p.End).AddDate(0, 0, int(EndedVisibleFor/day)))
}

// Current reports whether the plan is in force on the given day: from its
// start date, and no longer on its end date.
func (p Plan) Current(now time.Time) bool {
	today := calendarDay(now)
	return (p.Start.IsZero() || !today.Before(calendarDay(p.Start))) &&
		(p.End.IsZero() || today.Before(calendarDay(p.End)))
}

// VisiblePlans keeps the plans visible on the day, current ones first, then
// most recent start first.
func VisiblePlans(plans []Plan, now time.Time) []Plan {
	var out []Plan
	for _, p := range plans {
		if p.VisibleOn(now) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		ci, cj := out[i].Current(now), out[j].Current(now)
		if ci != cj {
			return ci
		}
		return out[i].Start.After(out[j].Start)
	})
	return out
}
