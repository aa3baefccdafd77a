// Package ui draws the kiosk's screens with Fyne. It takes a View (what to
// show) and calls Actions (what the user asked for); it never fetches, never
// stores, and starts no goroutines. bind.go is the one place where other
// goroutines hand it a new View.
package ui

import (
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
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
	ScreenQueue                 // IT: the offline queue (no patient details)
	ScreenReview                // the retrospective review list (B0107 only)
	ScreenStatus                // IT: the kiosk's health (no patient details)
	ScreenAudit                 // a lead's routine audit: filters, flags, export (audit.go)
	ScreenStaff                 // who has proven their access on the test patients
	ScreenGoLive                // go-live readiness from evidence
	ScreenMatch                 // a waiting child recorded by details: is PDS's one match the child?
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
	DownService  string    // "CP-IS" when it alone fails while PDS answers; "" for the Spine
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
	Good  bool // green: done ("Recorded")
}

// Downtime is what the kiosk shows while the Spine cannot be reached: the
// business-continuity plan's local fallback, and that presentations can
// still be recorded for a check when the Spine is back.
type Downtime struct {
	Since    time.Time
	Service  string // as Banner.DownService
	Fallback string // configured: who to phone, where the paper log is
}

// Offer is the offer to a signed-in member of staff with B0264 and B0107
// to check the children who wait, in their name.
type Offer struct {
	Waiting  int  // children waiting for their CP-IS check
	Checking bool // the user agreed, and the checks are being made
	Confirm  bool // a child recorded by details waits for the user to confirm them (View.Match)
}

// MatchCheck is a waiting child recorded by details, whose one match on
// PDS the checking user confirms before the CP-IS check tells anyone.
type MatchCheck struct {
	Recorded   cpis.SearchQuery // the details taken when the child presented
	Presented  time.Time
	RecordedBy string       // "Alex Morgan, Staff Nurse"
	Patient    cpis.Patient // PDS's one match
}

// Replay is the progress of the replay after downtime.
type Replay struct {
	Active      bool
	Done, Total int
}

// QueueRowsShown is the most rows the queue screen lists of the
// presentations waiting, and again of those moved aside: the oldest,
// which are checked first. The rest are counted, not listed.
const QueueRowsShown = 200

// QueueRow is one queued presentation as IT sees it: never a name or a
// number until it is opened.
type QueueRow struct {
	Seq      uint64
	At       time.Time
	Kind     string // "NHS number" or "Details only"
	Why      string // why it waits: "Spine down", "Needs a role with B0107"
	Attempts int
	State    string // "waiting", "retrying: Spine unavailable", "dead letter: …"
}

// ReviewRow is one item on the retrospective review list.
type ReviewRow struct {
	ID        uint64
	Created   time.Time
	Presented time.Time
	Kind      string // "Child Care Alert found", "Needs manual trace", "Could not be replayed"
	// AlertFound marks a Child Care Alert found on replay: the list shows
	// it in red, without reading Kind's words.
	AlertFound bool
	Reason     string
	SignedOff  bool
	SignedBy   string
	SignedAt   time.Time
	Note       string
}

// ReviewDetail is an opened review item: the presentation and, for an
// alert found on replay, the alert as the check flow shows it.
type ReviewDetail struct {
	Row         ReviewRow
	Patient     string // name or the details searched for
	NHS         cpis.NHSNumber
	PresentedBy string // the member of staff on duty, who recorded it
	CheckedBy   string // in whose name the check was made, later
	CheckedAt   time.Time
	Alert       *cpis.Alert
	FGM         *FGMIndicator // the FGM-IS indicator the later check found
	CanSignOff  bool          // the role has B0107
}

// StatusLevel is how one part of the kiosk stands on the IT status screen.
type StatusLevel int

// The levels, best first. Each is drawn with a word as well as a colour.
const (
	StatusGreen StatusLevel = iota // working
	StatusAmber                    // look at it
	StatusRed                      // broken
)

// StatusLine is one line of the IT status screen: what was looked at, what
// was found and, unless it is green, what to do.
type StatusLine struct {
	Title  string
	Detail string
	Next   string
	Level  StatusLevel
}

// StatusView is what the IT status screen shows. It holds no patient
// details.
type StatusView struct {
	Overall StatusLevel
	Lines   []StatusLine
	Version string
	Commit  string
	Checked time.Time
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
	CanOpen bool // the role has B0107: it may check CP-IS

	Opened *cpis.Alert // set on ScreenAlert

	// FGM is the FGM-IS indicator for the patient on screen, when FGM-IS
	// holds one; FGMAsked: FGM-IS is asked about this patient, so the
	// result says that no indicator does not mean no risk.
	FGM      *FGMIndicator
	FGMAsked bool

	Session SessionView

	Downtime *Downtime // set while the Spine is down
	Replay   Replay
	Offer    *Offer      // set on the entry screen when children wait and the user may check them
	Match    *MatchCheck // set while a waiting check waits for the user to confirm the child
	Queue    []QueueRow
	// QueueMore is how many more are waiting or moved aside than Queue
	// lists: the screen lists the oldest QueueRowsShown of each.
	QueueMore int
	Reviews   []ReviewRow
	Review    *ReviewDetail // the opened review item on ScreenReview

	// Status is the IT status screen's content (ScreenStatus); nil while
	// the first check runs.
	Status *StatusView

	// Lead is set when the signed-in role may open the audit, staff and
	// readiness screens; Account is their content.
	Lead    bool
	Account *AccountView

	// SafeguardingRoute is the local process for raising a concern, as an
	// instruction ("Tell the nurse in charge and call ext. 4444"): the
	// screens put a label such as "If you have a safeguarding concern:"
	// in front of it.
	SafeguardingRoute string
	Help              string // help for the current screen
}

// FGMIndicator is an FGM-IS indicator: when the family history was
// assessed (zero: not given) and when the kiosk asked.
type FGMIndicator struct {
	Assessed time.Time
	Queried  time.Time
}

// RoleChoice is one of the card holder's roles on the role picker.
type RoleChoice struct {
	ID      string
	JobRole string
	OrgName string
	OrgCode string
	Codes   string // "B0264, B0107"
	Usable  bool
	Why     string // when !Usable: the reason in plain words
}

// SessionView is what the session screens show.
type SessionView struct {
	Gate     cpis.Gate
	Reader   string // the reader's name, for "Insert your card in …"
	UserName string // known after sign-in; on the lock screen
	// TriesLeft after a wrong passcode (0 = not known or no failure yet).
	TriesLeft int
	Roles     []RoleChoice
	// Browser: the sign-in goes on at NHS CIS2 in the system browser,
	// where the NHS authenticator asks for the passcode.
	Browser bool
}
