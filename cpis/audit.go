package cpis

import "slices"

// EventKind names what an audit record is about (DESIGN.md, "Audit":
// every trace, alert view, notification, replay and login). Its values
// are stored, so they never change once written.
type EventKind string

// The kinds of audit record.
const (
	EventLogin          EventKind = "login"
	EventPasscodeFailed EventKind = "passcode-failed"
	EventLock           EventKind = "lock"
	EventUnlock         EventKind = "unlock"
	EventCardRemoved    EventKind = "card-removed"
	EventTrace          EventKind = "trace"
	EventSearch         EventKind = "search"
	EventSilentCheck    EventKind = "silent-check"
	EventAlertOpened    EventKind = "alert-opened"
	EventQueued         EventKind = "queued"
	EventReplay         EventKind = "replay"
	EventCheckIntent    EventKind = "check-intent" // a notifying query is about to be made
	EventDeadLetter     EventKind = "dead-letter"
	EventReviewSignOff  EventKind = "review-signed-off"
	EventAccessVerified EventKind = "access-verified"
	EventAuditExported  EventKind = "audit-exported"
	EventAuditPurged    EventKind = "audit-purged"
	EventConfigChanged  EventKind = "config-changed"
	EventDrill          EventKind = "drill"
	EventReadiness      EventKind = "readiness"
	EventDataAccepted   EventKind = "data-accepted" // IT took a restored or new database on purpose
	EventFGMQuery       EventKind = "fgm-query"     // the FGM-IS Flag search, after a PDS trace
)

// Result is how the event ended. Decisions read it; the record's words
// are for people and are never parsed back.
type Result string

// The results.
const (
	ResultDone        Result = "done"         // it happened (signed in, exported, recorded)
	ResultRefused     Result = "refused"      // the role lacked a code: Event.Missing names it
	ResultFailed      Result = "failed"       // a fault: the Spine, the card, the disk
	ResultFound       Result = "found"        // a trace found the patient; a search found matches
	ResultNotFound    Result = "not-found"    // a trace or search found nobody
	ResultAlert       Result = "alert"        // a Child Care Alert is visible
	ResultNoAlert     Result = "no-alert"     // explicitly no Child Care Alert
	ResultManualTrace Result = "manual-trace" // a replay found nobody, or several: a person must trace
	ResultPassed      Result = "passed"       // a drill kept its promise
	ResultDeadLetter  Result = "dead-letter"  // a waiting check moved aside after a permanent failure
	ResultAnswerLost  Result = "answer-lost"  // CP-IS recorded the check, but its answer never arrived
	ResultFGMFlag     Result = "fgm-flag"     // FGM-IS holds an indicator for the child
	ResultNoFGMFlag   Result = "no-fgm-flag"  // FGM-IS holds none (which does not mean no risk)
)

// Known reports whether r is one of the results above.
func (r Result) Known() bool {
	switch r {
	case ResultDone, ResultRefused, ResultFailed, ResultFound, ResultNotFound, ResultAlert,
		ResultNoAlert, ResultManualTrace, ResultPassed, ResultDeadLetter, ResultAnswerLost, ResultFGMFlag, ResultNoFGMFlag:
		return true
	}
	return false
}

// NeedsReview reports whether a check that waited and was done later goes
// to the safeguarding lead's retrospective review list (DESIGN.md, the
// checks that wait): an alert found, a patient nobody could trace
// automatically, an entry moved aside, or a check whose answer was lost.
func NeedsReview(r Result) bool {
	return r == ResultAlert || r == ResultManualTrace || r == ResultDeadLetter || r == ResultAnswerLost
}

// SuccessfulCheck is the one answer to "did a CP-IS check work": a check
// (live or replayed) that came back with an alert or explicitly none.
func SuccessfulCheck(k EventKind, r Result) bool {
	switch k {
	case EventSilentCheck, EventAlertOpened, EventReplay:
		return r == ResultAlert || r == ResultNoAlert
	}
	return false
}

// StaffEvent reports whether an event says something about a member of
// staff's access (guide step 19).
func StaffEvent(k EventKind) bool {
	switch k {
	case EventLogin, EventUnlock, EventTrace, EventSearch, EventSilentCheck, EventAlertOpened, EventFGMQuery:
		return true
	}
	return false
}

// TrainingPatients are the guide's two test records (step 19): "Please use
// NHS Numbers 9990276579 and 9990275831 for these purposes."
var TrainingPatients = []NHSNumber{"9990276579", "9990275831"}

// IsTrainingPatient reports whether n is one of the guide's test records.
func IsTrainingPatient(n NHSNumber) bool { return slices.Contains(TrainingPatients, n) }

// CheckCodes are the codes the check needs (guide step 12): B0264 to
// trace, B0107 to open the alert.
var CheckCodes = []ActivityCode{PerformTrace, ViewFlag}

// MissingFor is what a role lacked when an event of kind k was refused:
// the code the action needs, or for a refused sign-in both of the check's.
func MissingFor(k EventKind) []ActivityCode {
	switch k {
	case EventTrace, EventSearch, EventSilentCheck:
		return []ActivityCode{PerformTrace}
	case EventAlertOpened:
		return []ActivityCode{ViewFlag}
	case EventFGMQuery:
		return []ActivityCode{ViewSummary}
	}
	return slices.Clone(CheckCodes)
}
