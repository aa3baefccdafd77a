package ui

import "github.com/nhs-cpis/kiosk/cpis"

// Actions are the user's requests. The app implements them; each returns at
// once and answers later with a new View. Each screen family asks for its
// own small part, so that a screen's builder shows what it can request.
type Actions interface {
	Navigation
	CheckActions
	SessionActions
	ReviewActions
	WaitingActions
	StatusActions
	LeadActions
}

// Navigation is what every screen offers, whatever its family: the window
// itself makes these requests, from its keys and its frame.
type Navigation interface {
	Back()
	DismissMessage()
	// Activity is any touch or key press: it restarts the idle timer.
	Activity()
}

// CheckActions are the check flow's: the entry and search screens, the
// results, the patient, the confirmation and the opened alert.
type CheckActions interface {
	TraceNHS(text string)
	ShowSearch()
	Search(q cpis.SearchQuery)
	Choose(nhs cpis.NHSNumber)
	Answer(q cpis.Question, yes bool)
	AskOpenAlert()
	ConfirmOpenAlert()
	// KeepForCheck keeps the traced child for a colleague's check, when
	// the user's role lacks B0107.
	KeepForCheck()
	NewPatient()
	// RecordPresentation records the patient while the Spine is down (the
	// NHS number as typed, or the search form's details).
	RecordPresentation(nhsText string, q cpis.SearchQuery)
}

// SessionActions are the smartcard sign-in's.
type SessionActions interface {
	// SubmitPasscode hands over the passcode typed on the keypad or the
	// keyboard; the window clears its field at once and keeps no copy.
	SubmitPasscode(passcode string)
	ChooseRole(id string)
	// CancelSignIn stops a sign-in in progress; SignInAgain unlocks the
	// lock screen by signing in again at NHS CIS2.
	CancelSignIn()
	SignInAgain()
}

// ReviewActions are those of the checks that wait for the Spine: the
// offline queue, and the retrospective review of what their checks found.
type ReviewActions interface {
	ShowQueue()
	ShowReview()
	OpenReview(id uint64)
	SignOff(id uint64, note string)
}

// WaitingActions answer the offer to check the children who wait, in the
// signed-in user's name.
type WaitingActions interface {
	CheckWaiting()
	PauseWaiting()
	// ShowMatch opens the child to confirm (View.Match); AnswerMatch
	// says whether PDS's match is the child who presented.
	ShowMatch()
	AnswerMatch(yes bool)
}

// StatusActions are the IT status screen's. ShowStatus opens it, or checks
// again when it is open; SaveBundle saves a diagnostics bundle from it.
type StatusActions interface {
	ShowStatus()
	SaveBundle()
}

// LeadActions are the lead's screens': routine audit with its filter and
// export, the staff access checks, and go-live readiness, where the
// project lead records what the kiosk cannot see.
type LeadActions interface {
	ShowAudit(f AuditFilter)
	ExportAudit(f AuditFilter)
	ShowStaff()
	ShowReadiness()
	RecordReadiness(id string)
	ExportReadiness()
}
