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
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
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
	st, err := commandStatus(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "cpis-kiosk: %v\n", err)
		return 1
	}
	code := 0
	if st.Overall == StateRed {
		code = 1
	}
	if *bundle != "" {
		if err := writeBundle(*bundle, st, cfg); err != nil {
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

// readerSettle is how long the command gives a Reader started for it to
// find the readers and cards.
const readerSettle = 2 * time.Second

// commandStatus checks everything from the command line. The database is
// read only if no kiosk holds it; if one does, the kiosk's own snapshot
// stands in for what only it can see (its queue, and its embedded
// sandbox), and nothing waits on the lock.
func commandStatus(ctx context.Context, cfg config.Config, log *logrus.Logger) (Status, error) {
	b, err := LoadBaseline(cfg.BaselineFile)
	if err != nil {
		return Status{}, err
	}
	sf := folderFacts(cfg, log.WithField("component", "store"))
	p := &statusProbe{cfg: cfg, baseline: b, host: realHost(), now: time.Now, log: log,
		readers: briefReader(cfg, log.WithField("component", "device"), readerSettle),
		store:   func() storeFacts { return sf }}
	switch {
	case !cfg.Embedded():
		roots, err := spineRoots(cfg, "")
		if err != nil {
			return Status{}, fmt.Errorf("loading the Spine CA: %w", err)
		}
		p.endpoints = spineEndpoints(cfg.Spine.PDS, cfg.Spine.CPIS, cfg.Spine.Identity)
		p.client = probeClient(roots, cfg.Spine.Timeout.Duration)
	case sf.State == storeLocked:
		// The embedded sandbox lives inside the running kiosk, on a port
		// only it knows: its snapshot says how its Spine link stands.
		p.spineLines = func() []StatusLine { return snapshotSpine(sf.Snapshot, time.Now()) }
	default:
		s, err := sandbox.New(sandbox.Options{StateDir: filepath.Join(cfg.DataDir, "sandbox"),
			Log: log.WithField("component", "sandbox")})
		if err == nil {
			err = s.Start(cfg.Sandbox.Addr)
		}
		if err != nil {
			return Status{}, fmt.Errorf("starting the embedded Spine sandbox: %w", err)
		}
		defer s.Close()
		roots, err := spineRoots(cfg, s.CAFile())
		if err != nil {
			return Status{}, fmt.Errorf("loading the sandbox's CA: %w", err)
		}
		p.endpoints = spineEndpoints(s.Bases())
		p.client = probeClient(roots, cfg.Spine.Timeout.Duration)
	}
	return p.run(ctx, "command"), nil
}

// snapshotSpine is the running kiosk's Spine lines from its snapshot, when
// it is fresh.
func snapshotSpine(snap *Status, now time.Time) []StatusLine {
	if snap == nil || now.Sub(snap.Checked) > snapshotFresh {
		return nil
	}
	age := roundDur(now.Sub(snap.Checked))
	var out []StatusLine
	for _, l := range snap.Lines {
		switch l.ID {
		case "spine.pds", "spine.cpis", "spine.identity", "spine.certificate", "clock":
			l.Detail += " (From the running kiosk, " + age + " ago.)"
			out = append(out, l)
		}
	}
	return out
}

// errNotInteractive is why the kiosk window refuses to run as a Windows
// service: a service runs in session 0 and cannot draw on the desktop.
var errNotInteractive = errors.New("the kiosk window cannot run as a Windows service (session 0 has no desktop): start it at logon instead, see packaging/README.md")
