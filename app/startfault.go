package app

import (
	"context"
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"github.com/spf13/cobra"

	"github.com/nhs-cpis/kiosk/ui"
)

// StartFaultTitle is the title of the window that says why the kiosk
// cannot start.
const StartFaultTitle = "CP-IS kiosk cannot start"

// runKiosk opens the kiosk window, inside the service's run-wait. When the
// kiosk cannot start (the configuration, the database, the key), a window
// says why in the same words as the log: on a ward PC the kiosk runs as a
// service, and nobody reads its error output.
func runKiosk(cmd *cobra.Command, _ []string) error {
	e, err := setup(cmd)
	if err != nil {
		return showStartFault(cmd.Context(), err)
	}
	defer e.Close()
	p, err := openProgram(e.cfg, e.setting, e.log)
	if err == nil {
		// The window signs people in: its key must be there (or be made).
		if _, err = p.identity(); err != nil {
			p.Close()
		}
	}
	if err != nil {
		e.log.WithError(err).Error("the kiosk cannot start")
		return showStartFault(cmd.Context(), err)
	}
	defer p.Close()
	return p.runManaged(cmd.Context())
}

// showStartFault shows err in a window until it is closed or ctx ends,
// where there is a display, and returns err.
func showStartFault(ctx context.Context, err error) error {
	if runtime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return err
	}
	a := fyneapp.NewWithID(AppID)
	a.Settings().SetTheme(ui.Theme())
	w := a.NewWindow(StartFaultTitle)
	w.SetContent(ui.StartFault(err.Error(), a.Quit))
	w.Resize(fyne.NewSize(900, 500))
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return err
}
