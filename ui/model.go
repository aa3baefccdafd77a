// Package ui draws the kiosk's screens with Fyne. It takes a View (what to
// show) and calls Actions (what the user asked for); it never fetches, never
// stores, and starts no goroutines. bind.go is the one place where other
// goroutines hand it a new View.
package ui

import (
	"time"

	"github.com/nhs-cpis/kiosk/app/cpis"
)

// Screen is the step of the check the window is on.
type Screen int

// The screens of the check flow, in the order a nurse meets them.
const (
	ScreenEntry   Screen = iota // NHS number entry (and the way to search by details)
	ScreenSearch                // the demographic search form
	ScreenResults               // the list of search matches
	ScreenPatient               // a traced patient: banner, who-to-check, alert tab
	ScreenConfirm               // "the local authority will be notified" before opening
	ScreenAlert                 // the opened Child Care Alert
)

// AlertState is what the silent check found.
type AlertState int

// The states of the Child Care Alert tab.
const (
	AlertUnknown AlertState = iota // not checked yet, or the check failed
	AlertPresent                   // a visible plan exists: the red tab
	AlertAbsent                    // explicitly no Child Care Alert
)

// Banner is the strip across the top of every screen.
type Banner struct {
	Setting      string // "Emergency department"
	Organisation string // "St Elsewhere's Hospital (RXX01)"
	User         string // "" when nobody is signed in
	Role         string
	Demo         bool // the user is the sandbox's demo identity
	SpineLive    bool
	SpineDown    time.Time // when the Spine went down, if not live
	Queued       int
	Review       int
}

// Message is an error or notice in plain words: what happened and what to
// do next. Never a Go error string.
type Message struct {
	Title string
	Body  string
	Next  string
	Warn  bool // amber rather than red
}

// Busy is a wait longer than a blink.
type Busy struct {
	Active bool
	Label  string // "Tracing patient…"
}

// Match is one row of the search results.
type Match struct {
	NHS       cpis.NHSNumber
	Name      string
	BirthDate time.Time
	Gender    cpis.Gender
	Postcode  string
}

// View is everything the window shows. The app builds a whole new View for
// every change and the window redraws from it; nothing else holds state.
type View struct {
	Now     time.Time // "today" for ages
	Banner  Banner
	Screen  Screen
	Busy    Busy
	Message *Message // shown above the screen's content when set

	EntryText string           // what stays in the NHS number field after an error
	Search    cpis.SearchQuery // the form's last values
	Matches   []Match

	Patient *cpis.Patient
	Check   cpis.CheckAnswer
	Answers cpis.Answers
	Alert   AlertState
	CanOpen bool // the role has B0107

	Opened *cpis.Alert // set on ScreenAlert

	// SafeguardingRoute is the local process for raising a concern, as an
	// instruction ("Tell the nurse in charge and call ext. 4444"): the
	// screens put a label such as "If you have a safeguarding concern:"
	// in front of it.
	SafeguardingRoute string
	Help              string // help for the current screen
}

// Actions are the user's requests. The app implements them; each returns at
// once and answers later with a new View.
type Actions interface {
	TraceNHS(text string)
	ShowSearch()
	Search(q cpis.SearchQuery)
	Choose(nhs cpis.NHSNumber)
	Answer(q cpis.Question, yes bool)
	AskOpenAlert()
	ConfirmOpenAlert()
	Back()
	NewPatient()
	DismissMessage()
}
