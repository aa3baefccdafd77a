// Package controller maps the kiosk's use cases to its screens: it turns what
// the user asks for into work on the capabilities (the check, the card
// session, the checks that wait, IT status, accountability) off the UI
// goroutine, and answers with a whole new ui.View. It is the one package
// beside the composition root that imports ui.
package controller

import (
	"context"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/ui"
)

// Kiosk is the window's controller: it turns the user's actions into
// checks on its own goroutines and answers with a whole new View. It owns
// the View; the window only draws what it is given.
type Kiosk struct {
	check *check.Checker
	show  func(ui.View)
	log   logrus.FieldLogger
	idle  time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	v       ui.View
	sess    *check.Session
	present check.Presentation
	// gen changes whenever the patient on screen is dropped, so a slow
	// answer for the last patient can never land on the next one's screen.
	gen       uint64
	idleTimer *time.Timer
	// gate receives the passcode and the chosen role; nil when the session
	// comes from elsewhere (tests, the demo identity).
	gate SessionGate
	// onIdle runs when nobody has touched the kiosk for the idle time.
	onIdle func()

	offline  Offline
	fallback string
	kick     func()

	// it feeds the IT status screen (statusview.go); nil until UseStatus.
	it StatusChecker
	// acct feeds the lead's audit, staff and readiness screens
	// (auditview.go); nil until UseAccountability.
	acct *accountability.Accountability
}

// SessionGate takes what the user types on the session screens.
type SessionGate interface {
	Passcode(p string)
	ChooseRole(id string)
	Lock()
}

var _ ui.Actions = (*Kiosk)(nil)

// NewKiosk builds the controller; show is called with every new View, from
// any goroutine.
func NewKiosk(checker *check.Checker, banner ui.Banner, route string, idle time.Duration, show func(ui.View), log logrus.FieldLogger) *Kiosk {
	ctx, cancel := context.WithCancel(context.Background())
	k := &Kiosk{check: checker, show: show, log: log, idle: idle, ctx: ctx, cancel: cancel}
	k.v = ui.View{Banner: banner, Screen: ui.ScreenEntry, SafeguardingRoute: route, Help: helpFor(ui.ScreenEntry),
		Session: ui.SessionView{Gate: cpis.GateStarting}}
	k.onIdle = k.Wipe
	return k
}

// UseGate connects the smartcard session: the passcode and role screens
// feed it, and the idle timeout locks it.
func (k *Kiosk) UseGate(g SessionGate) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gate = g
	k.onIdle = func() {
		k.Wipe()
		g.Lock()
	}
}

// Start shows the first screen.
func (k *Kiosk) Start() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.publish()
}

// Shutdown cancels what is in flight and waits for it.
func (k *Kiosk) Shutdown() {
	k.cancel()
	k.mu.Lock()
	if k.idleTimer != nil {
		k.idleTimer.Stop()
	}
	k.mu.Unlock()
	k.wg.Wait()
}

// SignIn puts a member of staff at the kiosk with the role they chose.
func (k *Kiosk) SignIn(s check.Session) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sess = &s
	k.v.Banner.User, k.v.Banner.Role, k.v.Banner.Demo = s.User.Name, s.Role.JobRole+" · "+s.Role.OrgName, s.Demo
	k.v.Session = ui.SessionView{Gate: cpis.GateOpen, UserName: s.User.Name}
	k.v.Message = nil
	if err := cpis.UsableHere(s.Role); err != nil {
		k.v.Message = MessageFor(err)
	}
	k.touch()
	k.publish()
}

// Renewed swaps in the renewed token without disturbing the screen.
func (k *Kiosk) Renewed(s check.Session) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.sess != nil && k.sess.User.ID == s.User.ID {
		k.sess = &s
	}
}

// SetSession shows a session screen (insert card, passcode, choose role…).
// Whenever the gate is not open, no patient is on screen.
func (k *Kiosk) SetSession(sv ui.SessionView, msg *ui.Message) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if sv.Gate != cpis.GateOpen {
		k.wipeLocked()
	}
	k.v.Session, k.v.Message = sv, msg
	k.publish()
}

// Lock wipes the patient and asks for the same card's passcode again.
func (k *Kiosk) Lock(sv ui.SessionView) { k.SetSession(sv, nil) }

// SignOut ends the session at once: the card came out or the reader went.
// The next frame shows the session screen with nothing of the last user.
func (k *Kiosk) SignOut(sv ui.SessionView) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sess = nil
	k.v.Banner.User, k.v.Banner.Role, k.v.Banner.Demo = "", "", false
	k.wipeLocked()
	k.v.Session, k.v.Message = sv, nil
	if k.idleTimer != nil {
		k.idleTimer.Stop()
	}
	k.publish()
}

// SubmitPasscode passes the passcode to the card session and keeps no copy.
func (k *Kiosk) SubmitPasscode(p string) {
	k.mu.Lock()
	g := k.gate
	k.v.Message = nil
	k.mu.Unlock()
	if g != nil {
		g.Passcode(p)
	}
}

// ChooseRole picks the session's role.
func (k *Kiosk) ChooseRole(id string) {
	k.mu.Lock()
	g := k.gate
	k.mu.Unlock()
	if g != nil {
		g.ChooseRole(id)
	}
}

// Activity restarts the idle timer on any touch or key press.
func (k *Kiosk) Activity() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
}

// TraceNHS traces the NHS number typed or scanned.
func (k *Kiosk) TraceNHS(text string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	nhs, err := cpis.ParseNHSNumber(text)
	if err != nil {
		k.v.EntryText, k.v.Message = text, MessageFor(err)
		k.publish()
		return
	}
	k.v.EntryText = ""
	k.traceLocked(nhs)
}

// traceLocked starts a new presentation for the number. k.mu is held.
func (k *Kiosk) traceLocked(nhs cpis.NHSNumber) {
	sess, ok := k.session()
	if !ok {
		return
	}
	k.dropPatient()
	k.present = check.NewPresentation(k.check.Now()).ForPatient(nhs)
	p, gen := k.present, k.gen
	k.busy("Tracing patient and checking for a Child Care Alert…")
	k.run(func(ctx context.Context) func() {
		t, err := k.check.Trace(ctx, sess, nhs, p)
		return func() {
			if gen != k.gen {
				return
			}
			k.v.Busy = ui.Busy{}
			if err != nil {
				k.v.EntryText = nhs.String()
				k.v.Message = MessageFor(err)
				return
			}
			k.showPatient(t)
		}
	})
}

func (k *Kiosk) showPatient(t check.Traced) {
	pt := t.Patient
	k.v.Screen, k.v.Patient, k.v.Answers = ui.ScreenPatient, &pt, cpis.Answers{}
	k.v.Check = k.whoToCheck()
	k.v.CanOpen = k.sess != nil && k.sess.Role.Has(cpis.ViewFlag)
	switch {
	case t.CheckErr != nil:
		k.v.Alert = ui.AlertUnknown
		k.v.Message = MessageFor(t.CheckErr)
	case t.Present:
		k.v.Alert = ui.AlertPresent
	default:
		k.v.Alert = ui.AlertAbsent
	}
	k.v.Help = helpFor(ui.ScreenPatient)
}

func (k *Kiosk) whoToCheck() cpis.CheckAnswer {
	pt := k.v.Patient
	age := -1
	if !pt.BirthDate.IsZero() {
		age = pt.AgeOn(k.check.Now())
	}
	return cpis.WhoToCheck(k.check.Setting, age, pt.Gender, k.v.Answers)
}

// ShowSearch opens the search-by-details form.
func (k *Kiosk) ShowSearch() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	k.dropPatient()
	k.screen(ui.ScreenSearch)
	k.publish()
}

// Search runs a demographic search.
func (k *Kiosk) Search(q cpis.SearchQuery) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	k.v.Search = q
	if q.Family == "" || q.BirthDate.IsZero() {
		k.v.Message = &ui.Message{Title: "Family name and date of birth are needed",
			Body: "The national search needs at least the family name and the date of birth.",
			Next: "Fill in both, then search again.", Warn: true}
		k.publish()
		return
	}
	sess, ok := k.session()
	if !ok {
		return
	}
	gen := k.gen
	k.busy("Searching the national register…")
	k.run(func(ctx context.Context) func() {
		pts, err := k.check.Search(ctx, sess, q)
		return func() {
			if gen != k.gen {
				return
			}
			k.v.Busy = ui.Busy{}
			switch {
			case err != nil:
				k.v.Message = MessageFor(err)
			case len(pts) == 0:
				k.v.Message = &ui.Message{Title: "No patient found",
					Body: "Nobody on the national register matches these details.",
					Next: "Check the spelling and the date of birth, try without the postcode, or ask for the NHS number.", Warn: true}
			default:
				k.v.Matches = make([]ui.Match, len(pts))
				for i, p := range pts {
					k.v.Matches[i] = ui.Match{NHS: p.NHS, Name: p.Name(), BirthDate: p.BirthDate, Gender: p.Gender, Postcode: p.Postcode}
				}
				k.screen(ui.ScreenResults)
			}
		}
	})
}

// Choose traces the search match the user picked.
func (k *Kiosk) Choose(nhs cpis.NHSNumber) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	k.traceLocked(nhs)
}

// Answer records a who-to-check answer.
func (k *Kiosk) Answer(q cpis.Question, yes bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	if k.v.Patient == nil {
		return
	}
	answers := cpis.Answers{}
	for key, val := range k.v.Answers {
		answers[key] = val
	}
	answers[q] = yes
	k.v.Answers = answers
	k.v.Check = k.whoToCheck()
	k.publish()
}

// AskOpenAlert shows the confirmation before the notifying access.
func (k *Kiosk) AskOpenAlert() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	if k.v.Patient == nil || k.v.Alert != ui.AlertPresent {
		return
	}
	if k.sess != nil {
		if err := cpis.Permit(k.sess.Role, cpis.ActOpenAlert); err != nil {
			k.v.Message = MessageFor(err)
			k.publish()
			return
		}
	}
	k.screen(ui.ScreenConfirm)
	k.publish()
}

// ConfirmOpenAlert opens the alert, which notifies the local authority.
func (k *Kiosk) ConfirmOpenAlert() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	if k.v.Patient == nil || k.v.Screen != ui.ScreenConfirm || k.v.Busy.Active {
		return
	}
	sess, ok := k.session()
	if !ok {
		return
	}
	nhs, p, gen := k.v.Patient.NHS, k.present, k.gen
	k.busy("Opening the Child Care Alert…")
	k.run(func(ctx context.Context) func() {
		alert, err := k.check.Open(ctx, sess, nhs, p)
		return func() {
			if gen != k.gen {
				return
			}
			k.v.Busy = ui.Busy{}
			if err != nil && len(alert.Plans) == 0 {
				k.v.Message = MessageFor(err)
				if spine.Retryable(err) && k.recordLocked(k.presentation(sess, p)) == nil {
					// The query may have reached the Spine before the answer
					// was lost: the replay uses the same key, so the local
					// authority is told once.
					k.v.Message = &ui.Message{Title: "The Spine cannot be reached", Warn: true,
						Body: "The alert could not be opened. The presentation is recorded and the check will be made when the Spine is back; any alert goes to the safeguarding lead's review list.",
						Next: "Follow the downtime process for this child now."}
				}
				return
			}
			if err != nil {
				// The alert opened but its history did not arrive: show what
				// there is and say what is missing.
				k.v.Message = &ui.Message{Title: "Access history not available",
					Body: "The alert opened, but the list of previous accesses could not be read.",
					Next: "Read the alert below. Open it again later to see who else has seen it.", Warn: true}
			}
			k.v.Opened = &alert
			k.screen(ui.ScreenAlert)
		}
	})
}

// Back goes one step back.
func (k *Kiosk) Back() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	switch k.v.Screen {
	case ui.ScreenConfirm, ui.ScreenAlert:
		k.screen(ui.ScreenPatient)
	case ui.ScreenResults:
		k.screen(ui.ScreenSearch)
	default:
		k.dropPatient()
		k.screen(ui.ScreenEntry)
	}
	k.publish()
}

// NewPatient wipes the patient and returns to NHS number entry.
func (k *Kiosk) NewPatient() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	k.dropPatient()
	k.v.Message = nil
	k.screen(ui.ScreenEntry)
	k.publish()
}

// DismissMessage clears the message.
func (k *Kiosk) DismissMessage() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	k.v.Message = nil
	k.publish()
}

// Wipe removes every patient detail from the screen at once: the idle
// timeout, shutdown.
func (k *Kiosk) Wipe() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.wipeLocked()
	k.publish()
}

func (k *Kiosk) wipeLocked() {
	k.dropPatient()
	k.v.Message = nil
	k.v.Search = cpis.SearchQuery{}
	k.v.EntryText = ""
	k.screen(ui.ScreenEntry)
}

// dropPatient forgets the patient and anything in flight for them.
func (k *Kiosk) dropPatient() {
	k.gen++
	k.v.Patient, k.v.Opened, k.v.Matches = nil, nil, nil
	k.v.Alert, k.v.Answers, k.v.Check, k.v.CanOpen = ui.AlertUnknown, nil, cpis.CheckAnswer{}, false
	k.v.Busy = ui.Busy{}
	k.present = check.Presentation{}
}

func (k *Kiosk) screen(s ui.Screen) {
	k.v.Screen, k.v.Help = s, helpFor(s)
}

func (k *Kiosk) busy(label string) {
	k.v.Message = nil
	k.v.Busy = ui.Busy{Active: true, Label: label}
	k.publish()
}

// session returns the signed-in session, or shows why there is none.
func (k *Kiosk) session() (check.Session, bool) {
	if k.sess == nil || k.v.Session.Gate != cpis.GateOpen {
		k.v.Message = &ui.Message{Title: "Nobody is signed in",
			Body: "The kiosk has no member of staff signed in.",
			Next: "Insert your smartcard, or wait for sign-in to finish.", Warn: true}
		k.publish()
		return check.Session{}, false
	}
	return *k.sess, true
}

// run does work off the UI goroutine; the returned func applies the result
// under the lock and the new View is published.
func (k *Kiosk) run(work func(ctx context.Context) func()) {
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		apply := work(k.ctx)
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.ctx.Err() != nil {
			return
		}
		apply()
		k.publish()
	}()
}

// touch restarts the idle timer; when it fires the patient is wiped.
func (k *Kiosk) touch() {
	if k.idle <= 0 {
		return
	}
	if k.idleTimer == nil {
		k.idleTimer = time.AfterFunc(k.idle, func() {
			k.mu.Lock()
			idle := k.onIdle
			open := k.v.Session.Gate == cpis.GateOpen
			k.mu.Unlock()
			if open {
				k.log.Info("idle timeout: screen wiped")
				idle()
			}
		})
		return
	}
	k.idleTimer.Reset(k.idle)
}

func (k *Kiosk) publish() {
	v := k.v
	v.Now = k.check.Now()
	k.show(v)
}

// View returns the current View (for tests and selftest).
func (k *Kiosk) View() ui.View {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.v
}
