package app

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/nhs-cpis/kiosk/ui"
)

// AppID is the kiosk's Fyne application id (FyneApp.toml).
const AppID = "uk.nhs.cpis.kiosk"

// runWindow opens the kiosk window and runs Fyne's loop on the calling
// (main) goroutine until the window closes or SIGTERM arrives.
func (p *Program) runWindow() error {
	a := fyneapp.NewWithID(AppID)
	a.Settings().SetTheme(ui.Theme())
	w := a.NewWindow("CP-IS Child Care Alert check")
	w.Resize(fyne.NewSize(1280, 800))
	w.SetFullScreen(p.cfg.Fullscreen)

	var bind *ui.Binding
	k := NewKiosk(p.check, p.banner(), p.cfg.SafeguardingRoute, p.cfg.IdleTimeout.Duration,
		func(v ui.View) { bind.Show(v) }, p.log.WithField("component", "kiosk"))
	bind = ui.NewBinding(ui.New(w, k))
	k.Start()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.signInLoop(ctx, k)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sig)
	go func() {
		select {
		case s := <-sig:
			p.log.WithField("signal", s.String()).Info("shutting down")
			k.Wipe()
			bind.Quit(a)
		case <-ctx.Done():
		}
	}()

	p.log.WithField("setting", p.setting).Info("kiosk window open")
	w.ShowAndRun()
	k.Shutdown()
	return nil
}

// signInLoop signs in the session's user, retrying with a pause while the
// Spine cannot be reached.
func (p *Program) signInLoop(ctx context.Context, k *Kiosk) {
	wait := time.Second
	for {
		sess, err := p.signIn(ctx)
		if err == nil {
			p.log.WithField("demo", sess.Demo).Info("signed in")
			k.SignIn(sess)
			k.SpineStatus(true, time.Time{})
			return
		}
		p.log.WithError(err).Warn("signing in")
		k.Fail(err)
		k.SpineStatus(false, time.Now())
		if err == ErrNoCardSignIn {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if wait < 30*time.Second {
			wait *= 2
		}
	}
}
