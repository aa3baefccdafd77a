// Package app wires the kiosk together: configuration, lifecycle, the check
// use case, the window's controller and the command line.
package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/build"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/app/waiting"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device/vcard"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

const usage = `cpis-kiosk: the CP-IS Child Care Alert check for unscheduled care.

Usage:
  cpis-kiosk [--config FILE] [--log-level LEVEL]     open the kiosk window
  cpis-kiosk selftest [--card] [--repeat N]          trace both test patients, open their alerts, check the notifications
                                                     (--card: as the person whose card is in; passcode on stdin)
  cpis-kiosk sandbox [--addr HOST:PORT] [--state DIR] run the Spine sandbox alone
  cpis-kiosk card readers|watch|login                the smartcard reader: list, watch events, sign in (passcode on stdin)
  cpis-kiosk vcard --user ID [--reader N] | --list   a virtual smartcard in vsmartcard's vpcd reader
  cpis-kiosk queue list|replay                       the offline queue: counts, ages, states; replay now
  cpis-kiosk review list | sign-off ID --note TEXT   the retrospective review list
  cpis-kiosk drill downtime [--patients N] [--kill]  a business-continuity drill in an isolated folder; its result is audited
  cpis-kiosk audit verify                            walk the audit chain; name the first record altered, removed or reordered
  cpis-kiosk audit export [--from DATE] [--to DATE] [--user ID] [--format csv|json] [--out FILE]
                                                     one row per audited event, for routine audit
  cpis-kiosk audit purge [--before DATE]             remove records past audit_retention (the purge is audited)
  cpis-kiosk staff checks                            who has proven their access on the two test patients, and who not yet
  cpis-kiosk readiness [show] | record ITEM --by NAME [--note TEXT] | export [--pdf FILE] [--csv FILE]
                                                     go-live readiness from evidence (guide steps 8 to 26)
  cpis-kiosk status [--json] [--bundle FILE.zip]     what the IT status screen shows; exit 1 when anything is red
  cpis-kiosk service install|uninstall|start|stop|status [--name NAME] [--config FILE]
                                                     the kiosk as a managed service (systemd user unit, or System V)
  cpis-kiosk version                                 print the version

Every command takes --config FILE (TOML, see README) and --log-level
(debug, info, warn, error). With no Spine configured the kiosk runs its
embedded sandbox over HTTPS on loopback, with a demo user.
`

// common are the flags every command takes.
type common struct {
	config   string
	logLevel string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", os.Getenv("CPIS_CONFIG"), "TOML configuration `file`")
	fs.StringVar(&c.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
}

// Main runs the command line and returns the exit code.
func Main(args []string) int {
	return run(args, os.Stdout, os.Stderr)
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("cpis-kiosk "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	var c common
	c.register(fs)

	switch cmd {
	case "", "run":
		if err := fs.Parse(args); err != nil {
			return 2
		}
		return withProgram(c, stderr, func(p *Program) error { return p.runManaged() })
	case "selftest":
		repeat := fs.Int("repeat", 0, "after the check, repeat it `N` times and print timings and memory")
		card := fs.Bool("card", false, "sign in with the smartcard in the reader (passcode on standard input)")
		role := fs.String("role", "", "with --card, the role `id` to use (default: the first usable)")
		if err := fs.Parse(args); err != nil {
			return 2
		}
		return withProgram(c, stderr, func(p *Program) error {
			return p.selftest(stdout, selftestOptions{repeat: *repeat, card: *card, role: *role, stdin: os.Stdin})
		})
	case "card":
		if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
			fmt.Fprint(stderr, "cpis-kiosk card: say readers, watch or login\n")
			return 2
		}
		sub := args[0]
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		return withProgram(c, stderr, func(p *Program) error { return runCard(p, sub, os.Stdin, stdout) })
	case "vcard":
		return runVCard(args, stdout, stderr)
	case "queue":
		if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
			fmt.Fprint(stderr, "cpis-kiosk queue: say list or replay\n")
			return 2
		}
		sub := args[0]
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		return withProgram(c, stderr, func(p *Program) error { return runQueue(p, sub, stdout) })
	case "review":
		return withProgram(c, stderr, func(p *Program) error { return runReview(p, args, stdout) })
	case "drill":
		return runDrillRecorded(args, stdout, stderr)
	case "audit":
		return runAudit(args, stdout, stderr)
	case "staff":
		return runStaff(args, stdout, stderr)
	case "readiness":
		return runReadiness(args, stdout, stderr)
	case "drill-replay": // the drill's own child process, not for people
		return waiting.DrillReplayChild(args)
	case "sandbox":
		addr := fs.String("addr", "127.0.0.1:8443", "`host:port` to listen on (loopback only)")
		state := fs.String("state", "", "state `folder` for the CA and certificates (default: <data>/sandbox)")
		if err := fs.Parse(args); err != nil {
			return 2
		}
		return runSandbox(c, *addr, *state, stdout, stderr)
	case "status":
		return runStatus(args, stdout, stderr)
	case "service":
		return runService(args, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "cpis-kiosk %s (commit %s)\n", build.Version, build.Commit)
		return 0
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "cpis-kiosk: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// setup loads the configuration and the logger; a refused care setting
// stops here with the guide's words.
func setup(c common, stderr io.Writer) (config.Config, cpis.Setting, *logrus.Logger, io.Closer, bool) {
	cfg, setting, err := config.Load(c.config)
	if err != nil {
		fmt.Fprintf(stderr, "cpis-kiosk: %v\n", err)
		return cfg, "", nil, nil, false
	}
	level, err := logrus.ParseLevel(c.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "cpis-kiosk: --log-level %q: use debug, info, warn or error\n", c.logLevel)
		return cfg, "", nil, nil, false
	}
	log, closer, err := logging.New(cfg.DataDir, level)
	if err != nil {
		fmt.Fprintf(stderr, "cpis-kiosk: %v\n", err)
		return cfg, "", nil, nil, false
	}
	log.SetOutput(stderr)
	return cfg, setting, log, closer, true
}

func withProgram(c common, stderr io.Writer, fn func(*Program) error) int {
	cfg, setting, log, closer, ok := setup(c, stderr)
	if !ok {
		return 1
	}
	defer closer.Close()
	p, err := openProgram(cfg, setting, log)
	if err != nil {
		fmt.Fprintf(stderr, "cpis-kiosk: %v\n", err)
		return 1
	}
	defer p.Close()
	if err := fn(p); err != nil {
		var fail *selftestFailure
		if !errors.As(err, &fail) {
			fmt.Fprintf(stderr, "cpis-kiosk: %v\n", err)
		}
		return 1
	}
	return 0
}

func runSandbox(c common, addr, state string, stdout, stderr io.Writer) int {
	cfg, _, log, closer, ok := setup(c, stderr)
	if !ok {
		return 1
	}
	defer closer.Close()
	if state == "" {
		state = cfg.DataDir + "/sandbox"
	}
	s, err := sandbox.New(sandbox.Options{StateDir: state, Log: log.WithField("component", "sandbox")})
	if err == nil {
		err = s.Start(addr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cpis-kiosk: starting the sandbox: %v\n", err)
		return 1
	}
	defer s.Close()
	vcard.Register(s)
	pds, cp, id := s.Bases()
	fmt.Fprintf(stdout, "Spine sandbox listening.\n  PDS:      %s\n  CP-IS:    %s\n  Identity: %s\n  CA:       %s\nPress Ctrl-C to stop.\n", pds, cp, id, s.CAFile())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return 0
}
