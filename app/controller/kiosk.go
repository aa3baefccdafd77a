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

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/ui"
)

// Kiosk is the window's controller: it turns the user's actions into
// checks on its own goroutines and answers with a whole new View. It owns
// the View; the window only draws what it is given. The check flow and the
// card session are its own; the checks that wait, IT status and the lead's
// screens are families of their own, each with its own state, sharing the
// one View through the desk.
type Kiosk struct {
	*desk
	*waitingScreens
	*statusScreens
	*leadScreens
	// gate receives the passcode and the chosen role; nil when the session
	// comes from elsewhere (tests, the demo identity).
	gate SessionGate
}

// desk is what every screen family shares: the View behind its lock, the
// member of staff, the patient's generation, and the worker that runs
// each action's I/O off the UI goroutine.
type desk struct {
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
	// onIdle runs when nobody has touched the kiosk for the idle time.
	onIdle func()
}

// SessionGate takes what the user types on the session screens.
type SessionGate interface {
	Passcode(p string)
	ChooseRole(id string)
	Lock()
	Cancel()
	Unlock()
}

var _ ui.Actions = (*Kiosk)(nil)

// NewKiosk builds the controller; show is called with every new View, from
// any goroutine.
func NewKiosk(checker *check.Checker, banner ui.Banner, route string, idle time.Duration, show func(ui.View), log logrus.FieldLogger) *Kiosk {
	ctx, cancel := context.WithCancel(context.Background())
	d := &desk{check: checker, show: show, log: log, idle: idle, ctx: ctx, cancel: cancel}
	k := &Kiosk{desk: d, waitingScreens: &waitingScreens{desk: d}, statusScreens: &statusScreens{desk: d},
		leadScreens: &leadScreens{desk: d}}
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

// Activity restarts the idle timer on any touch or key press.
func (k *Kiosk) Activity() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
}

// Back goes one step back. From a check's answer it goes to a new
// patient, never back to the check: checking again would tell the local
// authority again.
func (k *Kiosk) Back() {
	k.act(func() {
		switch k.v.Screen {
		case ui.ScreenConfirm:
			k.screen(ui.ScreenPatient)
		case ui.ScreenResults:
			k.screen(ui.ScreenSearch)
		case ui.ScreenAlert:
			k.v.Message = nil
			fallthrough
		default:
			k.dropPatient()
			k.screen(ui.ScreenEntry)
		}
	})
}

// NewPatient wipes the patient and returns to NHS number entry.
func (k *Kiosk) NewPatient() {
	k.act(func() {
		k.dropPatient()
		k.v.Message, k.v.EntryText, k.v.Search = nil, "", cpis.SearchQuery{}
		k.screen(ui.ScreenEntry)
	})
}

// DismissMessage clears the message.
func (k *Kiosk) DismissMessage() { k.act(func() { k.v.Message = nil }) }

// Wipe removes every patient detail from the screen at once: the idle
// timeout, shutdown.
func (k *Kiosk) Wipe() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.wipeLocked()
	k.stopChecking()
	k.offerLocked()
	k.publish()
}

// act runs a user's action on the View: under the lock, with the idle
// timer restarted, and the View published after.
func (k *desk) act(change func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	change()
	k.publish()
}

func (k *desk) wipeLocked() {
	k.dropPatient()
	k.v.Message = nil
	k.v.Search = cpis.SearchQuery{}
	k.v.EntryText = ""
	k.screen(ui.ScreenEntry)
}

// dropPatient forgets the patient and anything in flight for them.
func (k *desk) dropPatient() {
	k.gen++
	k.v.Patient, k.v.Opened, k.v.Matches = nil, nil, nil
	k.v.Answers, k.v.Check, k.v.CanOpen = nil, cpis.CheckAnswer{}, false
	k.v.FGM, k.v.FGMAsked = nil, false
	k.v.Busy = ui.Busy{}
	k.present = check.Presentation{}
}

func (k *desk) screen(s ui.Screen) {
	k.v.Screen, k.v.Help = s, helpFor(s)
}

func (k *desk) busy(label string) {
	k.v.Message = nil
	k.v.Busy = ui.Busy{Active: true, Label: label}
	k.publish()
}

// session returns the signed-in session, or shows why there is none.
func (k *desk) session() (check.Session, bool) {
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
func (k *desk) run(work func(ctx context.Context) func()) {
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
func (k *desk) touch() {
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

func (k *desk) publish() {
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
