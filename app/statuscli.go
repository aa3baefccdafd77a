package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/nhs-cpis/kiosk/app/itstatus"
)

// runStatus is `cpis-kiosk status [--json] [--bundle FILE.zip]`: what the
// IT status screen shows. It exits 1 when any line is red, 0 otherwise
// (amber included), and 2 on a usage error.
func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cpis-kiosk status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	asJSON := fs.Bool("json", false, "print the status as JSON (keys documented in packaging/README.md)")
	bundle := fs.String("bundle", "", "also write a diagnostics bundle to `FILE.zip`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cpis-kiosk status: unexpected %q\n", fs.Arg(0))
		return 2
	}
	// The status is the output: the probes' own log lines (a sandbox
	// started, readers found) go to the log file, and to the terminal only
	// when asked for with --log-level.
	levelSet := false
	fs.Visit(func(f *flag.Flag) { levelSet = levelSet || f.Name == "log-level" })
	if !levelSet {
		c.logLevel = "warn"
	}
	cfg, _, log, closer, ok := setup(c, stderr)
	if !ok {
		return 1
	}
	defer closer.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := itstatus.Command(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "cpis-kiosk: %v\n", err)
		return 1
	}
	code := 0
	if st.Overall == itstatus.StateRed {
		code = 1
	}
	if *bundle != "" {
		if err := itstatus.WriteBundle(*bundle, st, cfg); err != nil {
			fmt.Fprintf(stderr, "cpis-kiosk: %v\n", err)
			code = 1
		} else {
			abs, _ := filepath.Abs(*bundle)
			fmt.Fprintf(stderr, "diagnostics bundle written to %s\n", abs)
		}
	}
	if *asJSON {
		if err := st.WriteJSON(stdout); err != nil {
			fmt.Fprintf(stderr, "cpis-kiosk: %v\n", err)
			return 1
		}
		return code
	}
	st.WriteText(stdout)
	return code
}

// errNotInteractive is why the kiosk window refuses to run as a Windows
// service: a service runs in session 0 and cannot draw on the desktop.
var errNotInteractive = errors.New("the kiosk window cannot run as a Windows service (session 0 has no desktop): start it at logon instead, see packaging/README.md")
