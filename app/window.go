package app

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/nhs-cpis/kiosk/app/controller"
	"github.com/nhs-cpis/kiosk/app/waiting"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/ui"
)

// AppID is the kiosk's Fyne application id (FyneApp.toml).
const AppID = "uk.nhs.cpis.kiosk"

// runWindow opens the kiosk window and runs Fyne's loop on the calling
// (main) goroutine until the window closes or ctx is cancelled (SIGTERM or
// SIGINT, from the command line).
func (p *Program) runWindow(ctx context.Context) error {
	a := fyneapp.NewWithID(AppID)
	a.Settings().SetTheme(ui.Theme())
	w := a.NewWindow("CP-IS Child Care Alert check")
	// Full screen fits whatever screen the kiosk is on; a window is sized
	// for the smallest supported one (1024x768, a panel's height spared).
	w.Resize(fyne.NewSize(1024, 720))
	w.SetFullScreen(p.cfg.Fullscreen)

	var bind *ui.Binding
	k := controller.NewKiosk(p.check, p.banner(), p.cfg.SafeguardingRoute, p.cfg.IdleTimeout.Duration,
		func(v ui.View) { bind.Show(v) }, p.log.WithField("component", "kiosk"))
	bind = ui.NewBinding(ui.New(w, k))
	k.Start()

	// What runs behind the window stops after the window has closed, not
	// with the signal that closes it: see the end.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	reader := device.NewReader(device.Options{Reader: p.cfg.Reader, Log: p.log.WithField("component", "device")})
	if err := reader.Start(work); err != nil {
		return fmt.Errorf("starting the smartcard reader: %w", err)
	}
	gate, err := p.gatekeeper(reader, controller.SessionHost{Kiosk: k})
	if err != nil {
		return err
	}
	k.UseGate(gate)
	gate.Start(work)

	// The Spine link and the replayer: the first failed call puts the kiosk
	// into downtime mode, a probe with backoff notices the return, and the
	// replayer checks what was recorded meanwhile, in the name of a
	// signed-in member of staff who agrees to (controller.CheckWaiting).
	rep := waiting.NewReplayer(p.db, p.client, p.log)
	link := waiting.NewLink(p.client.Reachable, p.log)
	rep.Link = link
	link.OnChange = func(live bool, since time.Time) {
		k.Downtime(!live, since, link.Service())
		if live {
			rep.Kick()
		}
	}
	rep.OnProgress = k.ReplayProgress
	rep.Confirm = k.ConfirmMatch
	rep.OnStopped = k.WaitingStopped
	p.check.Link = link
	k.UseOffline(p.db, p.cfg.FallbackProcess, rep.Kick)
	k.UseReplayer(rep)
	acct := p.StartAccountability()
	// The purge of expired records runs off the window's way: verifying a
	// long log first takes seconds, and the window must open at once.
	go acct.PurgeAtStart()
	k.UseAccountability(acct)
	// The IT status: on its screen, and every 30 seconds into status.json
	// for `cpis-kiosk status`, which cannot open the database meanwhile.
	it, err := p.statusMonitor(reader)
	if err != nil {
		p.log.WithError(err).Error("the IT status screen is not available")
	} else {
		k.UseStatus(it)
		it.Start(work)
	}
	link.Start(work)
	rep.Start(work)
	k.Downtime(false, time.Time{}, "")

	go func() {
		select {
		case <-ctx.Done():
			p.log.WithField("cause", context.Cause(ctx).Error()).Info("shutting down")
			k.Wipe()
			bind.Quit(a)
		case <-work.Done():
		}
	}()

	p.log.WithField("setting", p.setting).Info("kiosk window open")
	w.ShowAndRun()

	// The window has closed: stop what runs behind it, newest first, and
	// give each a moment; the database closes after them (Program.Close).
	stop, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	cancel()
	if it != nil {
		if err := it.Shutdown(stop); err != nil {
			p.log.WithError(err).Warn("stopping")
		}
	}
	if err := rep.Shutdown(stop); err != nil {
		p.log.WithError(err).Warn("stopping")
	}
	if err := link.Shutdown(stop); err != nil {
		p.log.WithError(err).Warn("stopping")
	}
	if err := gate.Shutdown(stop); err != nil {
		p.log.WithError(err).Warn("stopping")
	}
	if err := reader.Shutdown(stop); err != nil {
		p.log.WithError(err).Warn("stopping")
	}
	k.Shutdown()
	p.log.Info("kiosk stopped")
	return nil
}
