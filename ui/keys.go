package ui

import (
	"fyne.io/fyne/v2"

	"github.com/nhs-cpis/kiosk/cpis"
)

// Keys reach the focused control only, so each control offers them to the
// window first (key); with nothing focused they come to the canvas.

// key handles the keys that mean the same whatever has focus. Every key
// passes here, focused or not, so it is where a key press restarts the
// idle timer.
func (w *Window) key(ev *fyne.KeyEvent) bool {
	w.act.Activity()
	if w.scanKey(ev) || w.scrollKey(ev) {
		return true
	}
	if ev.Name != fyne.KeyEscape {
		return false
	}
	w.escape()
	return true
}

// escape closes the topmost thing: the message, else the screen.
func (w *Window) escape() {
	v := w.view
	if v.Busy.Active {
		return
	}
	if messageOnTop(v) {
		w.act.DismissMessage()
		return
	}
	if v.Screen == ScreenStatus {
		w.act.Back()
		return
	}
	if v.Session.Gate != cpis.GateOpen {
		if passcodeGate(v.Session) {
			w.pass.clear()
		}
		return
	}
	switch v.Screen {
	case ScreenSearch, ScreenResults, ScreenConfirm, ScreenQueue, ScreenReview, ScreenMatch, ScreenAudit, ScreenStaff, ScreenGoLive:
		w.act.Back()
	case ScreenPatient, ScreenAlert:
		w.act.NewPatient()
	}
}

// canvasKey gets keys when nothing has focus.
func (w *Window) canvasKey(ev *fyne.KeyEvent) {
	if w.key(ev) {
		return
	}
	enter := ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter
	switch {
	case passcodeGate(w.view.Session):
		w.pass.edit(ev)
	case enter && w.view.Session.Gate == cpis.GateLocked && w.view.Session.Browser:
		w.act.SignInAgain()
	case enter && w.view.Screen == ScreenEntry:
		w.submitNHS(w.act)
	}
}

// canvasRune sends typing into the field of the screen when nothing has
// focus: a scan, or a passcode, typed after a stray tap on the background
// must not be lost.
func (w *Window) canvasRune(r rune) {
	w.act.Activity()
	switch {
	case passcodeGate(w.view.Session):
		w.passcodeRune(r)
	case w.view.Session.Gate == cpis.GateOpen && w.view.Screen == ScreenEntry && !w.nhs.Disabled():
		w.win.Canvas().Focus(w.nhs)
		w.nhs.typeRune(r)
	default:
		// Another screen: digits a scanner types here start a new check
		// when its Enter comes (scan.go); nothing else takes them.
		w.scanRune(nil, r)
	}
}
