package cpis

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ActivityCode is a national RBAC activity code on a smartcard role.
type ActivityCode string

// The codes the kiosk looks at (guide step 12; CP-IS guidance for
// Registration Authority managers).
const (
	// PerformTrace: "Access Clinical Spine Application – Perform Patient Trace".
	PerformTrace ActivityCode = "B0264"
	// ViewFlag: "View Child Protection Plan"; viewing notifies the local authority.
	ViewFlag ActivityCode = "B0107"
	// SilentRead: the view without notification, for scheduled care only.
	SilentRead ActivityCode = "B0170"
	// ViewSummary: "View Summary Health Records", which the FGM-IS query
	// needs (spine-interfaces.md, "FGM Information Sharing").
	ViewSummary ActivityCode = "B0370"
)

// Role is one of a user's role profiles, in the shape of NHS CIS2 claims.
type Role struct {
	ID       string // person_roleid, sent as NHSD-Session-URID
	OrgCode  string // ODS code
	OrgName  string
	JobRole  string
	Activity []ActivityCode
}

// Has reports whether the role carries the code.
func (r Role) Has(c ActivityCode) bool { return slices.Contains(r.Activity, c) }

// User is the member of staff on the card.
type User struct {
	ID    string // nhsid_useruid
	Name  string
	Roles []Role
}

// Action is something the kiosk gates on an activity code.
type Action int

// The gated actions.
const (
	ActTrace     Action = iota // needs B0264
	ActOpenAlert               // needs B0107
	ActFGM                     // needs B0370: the FGM-IS query
)

// ErrNotPermitted means the selected role lacks the code for an action.
var ErrNotPermitted = errors.New("not permitted for this role")

// PermissionError names the missing code and what to do about it.
type PermissionError struct {
	Action  Action
	Missing ActivityCode
}

func (e *PermissionError) Error() string {
	what := "trace a patient"
	switch e.Action {
	case ActOpenAlert:
		what = "open a Child Care Alert"
	case ActFGM:
		what = "check FGM-IS"
	}
	return fmt.Sprintf("your role does not have code %s, needed to %s; your registration authority can add it to your smartcard", e.Missing, what)
}

func (e *PermissionError) Unwrap() error { return ErrNotPermitted }

// ErrSilentReadOnly means the role has only B0170, the scheduled-care silent
// read, which this unscheduled kiosk must not use.
var ErrSilentReadOnly = errors.New("B0170 silent read is for scheduled care only: " + ScheduledCareQuote)

// Permit checks a role against an action.
func Permit(r Role, a Action) error {
	need := PerformTrace
	switch a {
	case ActOpenAlert:
		need = ViewFlag
	case ActFGM:
		need = ViewSummary
	}
	if r.Has(need) {
		return nil
	}
	if a == ActOpenAlert && r.Has(SilentRead) {
		return fmt.Errorf("%w (%w)", &PermissionError{Action: a, Missing: need}, ErrSilentReadOnly)
	}
	return &PermissionError{Action: a, Missing: need}
}

// UsableHere reports whether a role may use the kiosk at all: a role with
// neither B0264 nor B0107 (a B0170-only role, say) is refused.
func UsableHere(r Role) error {
	if r.Has(PerformTrace) || r.Has(ViewFlag) {
		return nil
	}
	if r.Has(SilentRead) {
		return ErrSilentReadOnly
	}
	return &PermissionError{Action: ActTrace, Missing: PerformTrace}
}

// JoinCodes lists codes for people: "B0264, B0107".
func JoinCodes(cs []ActivityCode) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}
