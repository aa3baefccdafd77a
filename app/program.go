package app

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/cardsession"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/itstatus"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/device/vcard"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/cis2"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
	"github.com/nhs-cpis/kiosk/store"
	"github.com/nhs-cpis/kiosk/ui"
)

// Program is the kiosk's parts, wired from the configuration: the store, the
// Spine client and, when no real Spine is configured, the embedded sandbox.
type Program struct {
	cfg     config.Config
	setting cpis.Setting
	log     *logrus.Logger
	closers []io.Closer

	db      *store.DB
	sandbox *sandbox.Server
	client  *spine.Client
	check   *check.Checker
	// https reaches the national services (and the sandbox) with the
	// Spine's trust; identity is the sign-in client, made at first use
	// (signin.go): the kiosk's key is read, or the first time made, only
	// when someone signs in.
	https    *http.Client
	identity func() (*cis2.Client, error)
}

// env is where every command starts: the configuration in effect, its
// care setting, and the logger (the log file, and standard error).
type env struct {
	cfg     config.Config
	setting cpis.Setting
	log     *logrus.Logger
	logFile io.Closer
}

func (e env) Close() error { return e.logFile.Close() }

// setup loads the configuration named by --config and the logger at
// --log-level; a refused care setting stops here with the guide's words.
func setup(cmd *cobra.Command) (env, error) {
	path, _ := cmd.Flags().GetString("config")
	name, _ := cmd.Flags().GetString("log-level")
	level, err := logrus.ParseLevel(name)
	if err != nil {
		return env{}, usageError{fmt.Errorf("--log-level %q: use debug, info, warn or error", name)}
	}
	cfg, setting, err := config.Load(path)
	if err != nil {
		return env{}, err
	}
	log, logFile, err := logging.New(cfg.DataDir, level)
	if err != nil {
		return env{}, err
	}
	log.SetOutput(cmd.ErrOrStderr())
	return env{cfg: cfg, setting: setting, log: log, logFile: logFile}, nil
}

// openStore opens the kiosk's database in the data folder, with its key
// kept apart.
func openStore(cfg config.Config, log logrus.FieldLogger) (*store.DB, error) {
	return openStoreWith(cfg, log, accountability.OpenStore)
}

// openStoreWith opens the database in the data folder, made private
// first, with open: accountability.OpenStore, or the start afresh.
func openStoreWith(cfg config.Config, log logrus.FieldLogger, open func(path, keyPath string, log logrus.FieldLogger) (*store.DB, error)) (*store.DB, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("making data folder: %w", err)
	}
	if err := privateFolder(cfg.DataDir, log); err != nil {
		return nil, err
	}
	db, err := open(filepath.Join(cfg.DataDir, "kiosk.db"), filepath.Join(cfg.KeyDir, "kiosk.key"), log.WithField("component", "store"))
	if err != nil {
		return nil, fmt.Errorf("opening the kiosk database: %w", err)
	}
	return db, nil
}

// privateFolder makes a data folder that other users may open the kiosk
// user's alone, saying so in the log: it holds the database and the logs.
// When it cannot, the kiosk does not start. (On Windows the folder's ACL
// does this.)
func privateFolder(dir string, log logrus.FieldLogger) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("reading the data folder: %w", err)
	}
	perm := fi.Mode().Perm()
	if runtime.GOOS == "windows" || perm&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("the data folder %s has mode %04o, so other users can open it, and it cannot be made private: "+
			"make it the kiosk user's alone (chmod 700 %s): %w", dir, perm, dir, err)
	}
	log.WithFields(logrus.Fields{"folder": dir, "was": fmt.Sprintf("%04o", perm)}).
		Warn("the data folder could be opened by other users: it is now the kiosk user's alone (mode 0700)")
	return nil
}

// openProgram opens everything the commands share. On error, whatever was
// opened is closed again.
func openProgram(cfg config.Config, setting cpis.Setting, log *logrus.Logger) (*Program, error) {
	p := &Program{cfg: cfg, setting: setting, log: log}
	if err := p.open(); err != nil {
		p.Close() // whatever was opened before the fault
		return nil, err
	}
	return p, nil
}

// open opens the database, the embedded sandbox when nothing real is
// configured, and the Spine client, adding each to the closers.
func (p *Program) open() (err error) {
	cfg, log := p.cfg, p.log
	if p.db, err = openStore(cfg, log); err != nil {
		return err
	}
	p.closers = append(p.closers, p.db)
	// An older copy put back would undo what was recorded since: nothing
	// runs on it until IT has looked (audit verify) and accepted it.
	if err := p.db.Rollback(); err != nil {
		return err
	}

	sc := spine.Config{PDSBase: cfg.Spine.PDS, CPISBase: cfg.Spine.CPIS, FGMBase: cfg.Spine.FGM,
		Timeout: cfg.Spine.Timeout.Duration, Log: log.WithField("component", "spine")}
	caFile := cfg.Spine.CAFile
	if cfg.Embedded() {
		p.sandbox, err = sandbox.New(sandbox.Options{StateDir: filepath.Join(cfg.DataDir, "sandbox"),
			Log: log.WithField("component", "sandbox")})
		if err != nil {
			return fmt.Errorf("preparing the embedded Spine sandbox: %w", err)
		}
		if err := p.sandbox.Start(cfg.Sandbox.Addr); err != nil {
			return fmt.Errorf("starting the embedded Spine sandbox: %w", err)
		}
		p.closers = append(p.closers, p.sandbox)
		vcard.Register(p.sandbox)
		sc.PDSBase, sc.CPISBase = p.sandbox.Bases()
		sc.FGMBase = p.sandbox.FGMBase()
		caFile = p.sandbox.CAFile()
	}
	if caFile != "" {
		if sc.RootCAs, err = spine.LoadCA(caFile); err != nil {
			return fmt.Errorf("loading the Spine CA: %w", err)
		}
	} else if sc.RootCAs, err = x509.SystemCertPool(); err != nil {
		return fmt.Errorf("loading the system's CA certificates: %w", err)
	}
	if p.client, err = spine.New(sc); err != nil {
		return fmt.Errorf("preparing the Spine client: %w", err)
	}
	p.https = &http.Client{Transport: spine.Transport(sc.RootCAs), Timeout: cfg.Spine.Timeout.Duration}
	p.identity = sync.OnceValues(p.newIdentity)
	p.check = &check.Checker{Spine: p.client, Audit: p.db, Setting: p.setting, Now: time.Now, Log: log.WithField("component", "check")}
	return nil
}

// Close closes in reverse order of opening.
func (p *Program) Close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		if err := p.closers[i].Close(); err != nil {
			p.log.WithError(err).Warn("closing")
		}
	}
	p.closers = nil
}

// signIn is the embedded sandbox's clearly labelled test user, for the
// command line (selftest, queue replay); a real Spine refuses it: there,
// staff sign in at the kiosk through NHS CIS2.
func (p *Program) signIn(ctx context.Context) (check.Session, error) {
	if !p.cfg.Embedded() {
		return check.Session{}, cardsession.ErrNoDemoSignIn
	}
	id, err := p.identity()
	if err != nil {
		return check.Session{}, err
	}
	s, err := cardsession.DemoSignIn(ctx, id, p.https)
	if err != nil {
		return check.Session{}, err
	}
	p.check.Record(s, store.Event{Kind: cpis.EventLogin, Result: cpis.ResultDone, Outcome: "demo identity, at the " + commandLine().User.Name})
	return s, nil
}

// banner is the banner before anyone signs in.
func (p *Program) banner() ui.Banner {
	org := p.cfg.Organisation.Name
	if p.cfg.Organisation.ODS != "" {
		org += " (" + p.cfg.Organisation.ODS + ")"
	}
	return ui.Banner{Setting: p.setting.Name(), Organisation: org}
}

// StartAccountability is what the kiosk does for accountability as it
// starts: it audits a configuration that differs from the last start and
// returns the service for
// the lead's screens (Kiosk.UseAccountability). Nothing here stops the
// kiosk: failures are logged.
func (p *Program) StartAccountability() *accountability.Accountability {
	a := newAccountability(p.db, p.cfg, p.setting, p.log)
	if err := accountability.RecordConfig(p.db, p.cfg, p.setting, time.Now()); err != nil {
		p.log.WithError(err).Error("auditing the configuration")
	}
	return a
}

// newAccountability is the lead's service over the store, with the
// environment baseline as evidence for the readiness page.
func newAccountability(db *store.DB, cfg config.Config, setting cpis.Setting, log logrus.FieldLogger) *accountability.Accountability {
	a := accountability.NewAccountability(db, cfg, setting, log.WithField("component", "audit"))
	a.Baseline = itstatus.BaselineEvidence(cfg.DataDir, time.Now)
	return a
}

// statusMonitor prepares the running kiosk's status checks.
func (p *Program) statusMonitor(r *device.Reader) (*itstatus.Monitor, error) {
	return itstatus.NewMonitor(p.cfg, r, p.db, p.endpoints(), p.log.WithField("component", "status"))
}
