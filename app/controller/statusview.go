package controller

import (
	"context"

	"github.com/nhs-cpis/kiosk/app/itstatus"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/ui"
)

// statusScreens are IT's status screen and its diagnostics bundle.
type statusScreens struct {
	*desk
	it StatusChecker // nil until UseStatus
}

// StatusChecker is what the IT status screen needs: a fresh check, and a
// diagnostics bundle saved in the data folder.
type StatusChecker interface {
	Check(ctx context.Context) itstatus.Status
	SaveBundle(ctx context.Context) (string, error)
}

// statusHelp is the status screen's footer help.
const statusHelp = "Quote the version and commit to the service desk. The diagnostics bundle holds no patient details."

// UseStatus connects the IT status screen.
func (k *statusScreens) UseStatus(s StatusChecker) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.it = s
}

// ShowStatus opens the IT status screen and checks everything afresh; on
// the screen it checks again. It is refused while a card holder is signing
// in: the passcode screen must keep the keyboard.
func (k *statusScreens) ShowStatus() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	switch k.v.Session.Gate {
	case cpis.GatePasscode, cpis.GateSigningIn, cpis.GateChooseRole, cpis.GateLocked:
		return
	}
	if k.v.Busy.Active {
		return
	}
	if k.it == nil {
		k.v.Message = &ui.Message{Title: "The IT status is not available here",
			Body: "This kiosk was started without its status checks.", Next: "Run `cpis-kiosk status` from a terminal.", Warn: true}
		k.publish()
		return
	}
	if k.v.Screen != ui.ScreenStatus {
		// No patient is on screen where the button is offered; should one
		// be, it goes before IT's screen comes up.
		k.dropPatient()
		k.v.Status = nil
	}
	k.v.Message = nil
	k.screen(ui.ScreenStatus)
	k.v.Help = statusHelp
	gen, it := k.gen, k.it
	k.busy("Checking the reader, the Spine link, the queue and this PC…")
	k.run(func(ctx context.Context) func() {
		st := it.Check(ctx)
		return func() {
			if gen != k.gen || k.v.Screen != ui.ScreenStatus {
				return
			}
			k.v.Busy = ui.Busy{}
			k.v.Status = statusView(st)
		}
	})
}

// SaveBundle saves a diagnostics bundle in the data folder's bundles/ and
// says where.
func (k *statusScreens) SaveBundle() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	if k.v.Screen != ui.ScreenStatus || k.it == nil || k.v.Busy.Active {
		return
	}
	gen, it := k.gen, k.it
	k.busy("Saving the diagnostics bundle…")
	k.run(func(ctx context.Context) func() {
		path, err := it.SaveBundle(ctx)
		return func() {
			if gen != k.gen {
				return
			}
			k.v.Busy = ui.Busy{}
			if err != nil {
				k.log.WithError(err).Error("saving a diagnostics bundle")
				k.v.Message = &ui.Message{Title: "The diagnostics bundle was not saved",
					Body: "It could not be written to the data folder.",
					Next: "Look at the disk space line below, or run `cpis-kiosk status --bundle FILE.zip` from a terminal."}
				return
			}
			k.v.Message = &ui.Message{Title: "Diagnostics bundle saved", Good: true,
				Body: "Saved as " + path + ". It holds the status, the recent logs and the configuration: no patient details.",
				Next: "Send it to the IT service desk with the call."}
		}
	})
}

// statusView is the screen's copy of the status.
func statusView(s itstatus.Status) *ui.StatusView {
	v := &ui.StatusView{Overall: levels[s.Overall], Version: s.Version, Commit: s.Commit, Checked: s.Checked}
	for _, l := range s.Lines {
		v.Lines = append(v.Lines, ui.StatusLine{Title: l.Title, Detail: l.Detail, Next: l.Next, Level: levels[l.State]})
	}
	return v
}

// levels are the status states as the screen draws them.
var levels = map[itstatus.StatusState]ui.StatusLevel{itstatus.StateGreen: ui.StatusGreen,
	itstatus.StateAmber: ui.StatusAmber, itstatus.StateRed: ui.StatusRed}
