package controller

import (
	"context"
	"errors"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
	"github.com/nhs-cpis/kiosk/ui"
)

// errStoppedChecking answers a confirmation that nobody will give: the
// user paused the checks, signed out, or the screen was wiped.
var errStoppedChecking = errors.New("the checks that wait were stopped before the child was confirmed")

// pendingMatch is a confirmation the replayer waits for.
type pendingMatch struct {
	answer  chan bool
	stopped chan struct{}
}

// ConfirmMatch is the replayer's question about a waiting child recorded
// by details whom PDS matched to one patient: is that patient the child?
// It shows the question to the signed-in user who is checking and waits
// for their answer; the CP-IS query that would tell the child's local
// authority is made only on a yes. It runs on the replayer's goroutine.
func (k *waitingScreens) ConfirmMatch(ctx context.Context, p store.Presentation, pt cpis.Patient) (bool, error) {
	m := &pendingMatch{answer: make(chan bool, 1), stopped: make(chan struct{})}
	k.mu.Lock()
	if k.replayer == nil || !k.mayCheckWaiting() || !checking(k.replayer) {
		k.mu.Unlock()
		return false, errStoppedChecking
	}
	k.match = m
	k.v.Match = &ui.MatchCheck{Patient: pt, Presented: p.At, RecordedBy: p.UserName + ", " + p.JobRole,
		Recorded: cpis.SearchQuery{Family: p.Family, Given: p.Given, BirthDate: p.BirthDate, Gender: cpis.Gender(p.Gender), Postcode: p.Postcode}}
	k.offerLocked()
	k.publish()
	k.mu.Unlock()

	select {
	case yes := <-m.answer:
		return yes, nil
	case <-m.stopped:
		return false, errStoppedChecking
	case <-ctx.Done():
		k.mu.Lock()
		k.dropMatch()
		k.offerLocked()
		k.publish()
		k.mu.Unlock()
		return false, ctx.Err()
	}
}

func checking(r Replayer) bool {
	_, on := r.Checking()
	return on
}

// ShowMatch opens the child waiting to be confirmed.
func (k *waitingScreens) ShowMatch() {
	k.act(func() {
		if k.v.Match == nil || k.v.Busy.Active {
			return
		}
		k.dropPatient()
		k.v.Message = nil
		k.screen(ui.ScreenMatch)
	})
}

// AnswerMatch gives the user's answer to the replayer: yes, the check
// goes ahead; no, the child goes to the review list for a manual trace.
func (k *waitingScreens) AnswerMatch(yes bool) {
	k.act(func() {
		if k.match == nil || k.v.Screen != ui.ScreenMatch {
			return
		}
		k.match.answer <- yes
		k.match, k.v.Match = nil, nil
		k.screen(ui.ScreenEntry)
		k.offerLocked()
	})
}

// dropMatch withdraws the question, telling the replayer nobody will
// answer it. k.mu is held.
func (k *waitingScreens) dropMatch() {
	if k.match != nil {
		close(k.match.stopped)
	}
	k.match, k.v.Match = nil, nil
	if k.v.Screen == ui.ScreenMatch {
		k.screen(ui.ScreenEntry)
	}
}
