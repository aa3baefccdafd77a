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
	// PlanUnknown is a plan CP-IS returned with a category the kiosk does
	// not know (a code added to ValueSet England-ChildProtectionPlan after
	// this kiosk was built, say). It is still a Child Care Alert: it is
	// shown, never dropped, and its coding is kept in Plan.Category so
	// that IT can be told.
	PlanUnknown PlanType = "UNKNOWN"
)

// ParsePlanType accepts one of the three plan codes the guide names;
// PlanUnknown is not a code anyone sends, so it is refused too.
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
	case PlanUnknown:
		return "Child Care Alert of an unrecognised type"
	}
	return "Unknown plan type"
}

// Label is the plan type in words with its code: "Child protection plan
// (CPP)". A plan of an unrecognised type has no code of the guide's to
// show, so its label is the words alone.
func (t PlanType) Label() string {
	if t == PlanUnknown {
		return t.Words()
	}
	return t.Words() + " (" + string(t) + ")"
}

// Plan is one CP-IS plan for a patient. It carries no due date: the
// published CareTeam holds none, and a due date is pregnancy information
// the kiosk must not show. CP-IS itself stops returning an unborn-child
// plan 28 days after the due date.
type Plan struct {
	Type      PlanType
	Start     time.Time // zero when CP-IS gave none
	End       time.Time // zero while the plan is open
	Authority LocalAuthority
	// Category is, for a PlanUnknown only, the coding CP-IS sent as
	// "system|code display", so that IT can be told what the kiosk did
	// not recognise; empty for the three known types.
	Category string
}

// Visibility windows from the guide, "The information CP-IS provides".
// They count calendar days (see VisibleOn), not 24-hour periods.
const (
	// EndedVisibleFor: "have been one of the above in the previous 365
	// days". The kiosk applies it to every plan's end date, whatever the
	// type.
	EndedVisibleFor = 365 * 24 * time.Hour
	// UnbornVisibleAfterDue: "this alert is visible for 28 days after the
	// mother's due date". CP-IS applies it, as only CP-IS holds the due
	// date: the kiosk never sees one (the published CareTeam has none).
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
// given day: from its start, and until 365 days after its end. Only the
// calendar day of now counts, not the hour: a plan that ended 365 days
// ago is visible for the whole of that day. Every type follows the same
// rule, an unrecognised one included; an unborn-child plan past its 28
// days is one CP-IS no longer returns.
func (p Plan) VisibleOn(now time.Time) bool {
	today := calendarDay(now)
	if !p.Start.IsZero() && today.Before(calendarDay(p.Start)) {
		return false // not started yet
	}
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
