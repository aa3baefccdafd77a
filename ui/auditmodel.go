package ui

import (
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The lead's screens' view models: routine audit (guide step 27), the
// staff access checks (step 19) and go-live readiness (steps 8 to 26).

// AuditFilter is the audit screen's filter: whole days, From and To both
// included (zero: open-ended), and a user id or name.
type AuditFilter struct {
	From, To time.Time
	User     string
}

// FlagKind is what routine audit looks for.
type FlagKind int

// The flags, in the order the screen lists them.
const (
	FlagNoPresentation FlagKind = iota // an alert opened with no trace of the patient before it
	FlagManyOpens                      // many alerts opened by one user in a short time
	FlagOutOfHours                     // access while the care setting is closed
)

// AuditFlag is one thing for the lead to look at.
type AuditFlag struct {
	Kind   FlagKind
	At     time.Time
	User   string
	NHS    cpis.NHSNumber // empty when the flag is not about one patient
	Detail string
}

// AuditRow is one audited event on the screen.
type AuditRow struct {
	Seq      uint64
	At       time.Time
	User     string
	Role     string
	Event    string // in words: "Alert opened"
	Outcome  string
	NHS      cpis.NHSNumber // only for events about a patient
	Notified bool           // the local authority was notified
	Replayed bool
}

// AuditView is the routine audit screen.
type AuditView struct {
	Filter AuditFilter
	Hours  string // the care setting's opening hours: "08:00-20:00", "24 hours"
	// Counts in the filtered range.
	Events, Traces, Opened int
	Rows                   []AuditRow // newest first
	More                   int        // rows in the range not listed
	Flags                  []AuditFlag
	// Broken says where the audit chain breaks, when it does: nothing
	// else on the screen can then be trusted.
	Broken string
}

// StaffRow is one member of staff on the staff checks screen.
type StaffRow struct {
	Name     string
	UserID   string
	Role     string // "Staff Nurse, RXX01"
	Codes    string // "B0264, B0107"
	Verified bool
	When     time.Time // proven at, or last seen
	Opened   string    // for those not yet proven: which test patient's alert is still to open
	Missing  string    // the codes a refusal found missing: "B0107"
}

// ReadyState is a readiness item's state.
type ReadyState int

// The readiness states.
const (
	NotReady ReadyState = iota
	Ready
	NotChecked
)

// ReadinessRow is one go-live readiness item.
type ReadinessRow struct {
	ID       string
	Steps    string // "Step 19"
	Title    string
	State    ReadyState
	Evidence string
	// Manual items are recorded by the project lead, with a button.
	Manual bool
}

// AccountView is the content of the three lead screens.
type AccountView struct {
	Audit     AuditView
	Staff     []StaffRow
	Readiness []ReadinessRow
	// Exported is where the last export was written, shown until the
	// screen changes.
	Exported string
}
