package controller

import (
	"strings"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/ui"
)

// SignIn puts a member of staff at the kiosk with the role they chose.
func (k *Kiosk) SignIn(s check.Session) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sess = &s
	k.v.Banner.User, k.v.Banner.Role, k.v.Banner.Demo = s.User.Name, s.Role.JobRole, s.Demo
	if s.Role.OrgName != "" && !strings.HasPrefix(k.v.Banner.Organisation, s.Role.OrgName) {
		// A role at another organisation says which: the kiosk's own is
		// on the line above.
		k.v.Banner.Role += " · " + s.Role.OrgName
	}
	k.v.Session = ui.SessionView{Gate: cpis.GateOpen, UserName: s.User.Name}
	k.v.Message = nil
	if err := cpis.UsableHere(s.Role); err != nil {
		k.v.Message = MessageFor(err)
	}
	k.offerLocked()
	k.touch()
	k.publish()
}

// Renewed swaps in the renewed token without disturbing the screen.
func (k *Kiosk) Renewed(s check.Session) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.sess != nil && k.sess.User.ID == s.User.ID {
		k.sess = &s
		if k.replayer != nil {
			if _, on := k.replayer.Checking(); on {
				k.replayer.Use(&s) // the checks that wait go on, on the new token
			}
		}
	}
}

// SetSession shows a session screen (insert card, passcode, choose role…).
// Whenever the gate is not open, no patient is on screen.
func (k *Kiosk) SetSession(sv ui.SessionView, msg *ui.Message) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if sv.Gate != cpis.GateOpen {
		k.wipeLocked()
		k.stopChecking()
	}
	k.v.Session, k.v.Message = sv, msg
	k.v.Help = sessionHelp(sv)
	k.publish()
}

// Lock wipes the patient and asks for the same card's passcode again.
func (k *Kiosk) Lock(sv ui.SessionView) { k.SetSession(sv, nil) }

// SignOut ends the session at once: the card came out or the reader went.
// The next frame shows the session screen with nothing of the last user.
func (k *Kiosk) SignOut(sv ui.SessionView) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopChecking()
	k.sess = nil
	k.v.Banner.User, k.v.Banner.Role, k.v.Banner.Demo = "", "", false
	k.wipeLocked()
	k.offerLocked()
	k.v.Session, k.v.Message = sv, nil
	k.v.Help = sessionHelp(sv)
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

// CancelSignIn stops the sign-in in progress.
func (k *Kiosk) CancelSignIn() { k.withGate(SessionGate.Cancel) }

// SignInAgain unlocks the lock screen through NHS CIS2.
func (k *Kiosk) SignInAgain() { k.withGate(SessionGate.Unlock) }

func (k *Kiosk) withGate(fn func(SessionGate)) {
	k.mu.Lock()
	g := k.gate
	k.v.Message = nil
	k.mu.Unlock()
	if g != nil {
		fn(g)
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
