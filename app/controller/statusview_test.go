package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/itstatus"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/ui"
)

// fakeStatus is a StatusChecker for the controller's tests.
type fakeStatus struct {
	st     itstatus.Status
	path   string
	err    error
	checks int
}

func (f *fakeStatus) Check(context.Context) itstatus.Status { f.checks++; return f.st }
func (f *fakeStatus) SaveBundle(context.Context) (string, error) {
	return f.path, f.err
}

// The status screen from the controller: the check runs off the UI
// goroutine, the screen shows its lines with their levels, the bundle's
// path is shown when saved, and Back returns to the entry screen.
func TestKioskStatusScreen(t *testing.T) {
	k, v, _ := newTestKiosk(t, newFakeSpine(), nurse)
	fs := &fakeStatus{st: itstatus.Status{Version: "1.2.3", Commit: "abc", Overall: itstatus.StateRed, Lines: []itstatus.StatusLine{
		{ID: "reader", Title: "Smartcard reader and card", State: itstatus.StateGreen, Detail: "ok"},
		{ID: "spine.pds", Title: "PDS", State: itstatus.StateRed, Detail: "refused", Next: "call"},
	}}, path: "/data/bundles/b.zip"}
	k.UseStatus(fs)
	k.ShowStatus()
	got := waitFor(t, v, "the status", func(v ui.View) bool { return v.Screen == ui.ScreenStatus && v.Status != nil })
	if got.Status.Overall != ui.StatusRed || len(got.Status.Lines) != 2 || got.Status.Lines[1].Level != ui.StatusRed ||
		got.Status.Version != "1.2.3" || got.Busy.Active {
		t.Fatalf("status view: %+v", got.Status)
	}
	k.SaveBundle()
	got = waitFor(t, v, "the bundle's path", func(v ui.View) bool { return v.Message != nil && v.Message.Good })
	if !strings.Contains(got.Message.Body, "/data/bundles/b.zip") || got.Screen != ui.ScreenStatus {
		t.Fatalf("bundle message: %+v", got.Message)
	}
	k.Back()
	waitFor(t, v, "the entry screen", func(v ui.View) bool { return v.Screen == ui.ScreenEntry })
	if fs.checks != 1 {
		t.Errorf("%d checks, want 1", fs.checks)
	}
}

// While a card holder is signing in, the passcode screen keeps the
// keyboard: the status screen does not open over it.
func TestKioskStatusNotOverPasscode(t *testing.T) {
	k, v, _ := newTestKiosk(t, newFakeSpine(), nurse)
	k.UseStatus(&fakeStatus{})
	k.SetSession(ui.SessionView{Gate: cpis.GatePasscode}, nil)
	waitFor(t, v, "the passcode gate", func(v ui.View) bool { return v.Session.Gate == cpis.GatePasscode })
	k.ShowStatus()
	time.Sleep(50 * time.Millisecond)
	if vw := k.View(); vw.Screen == ui.ScreenStatus || vw.Busy.Active {
		t.Fatalf("status opened over the passcode screen: %+v", vw.Screen)
	}
	// Without a reader, it is where IT needs it.
	k.SetSession(ui.SessionView{Gate: cpis.GateNoReader}, nil)
	k.ShowStatus()
	waitFor(t, v, "the status without a reader", func(v ui.View) bool { return v.Screen == ui.ScreenStatus && v.Status != nil })
}
