package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/ui"
)

// StatusChecker is what the IT status screen needs: a fresh check, and a
// diagnostics bundle saved in the data folder.
type StatusChecker interface {
	Check(ctx context.Context) Status
	SaveBundle(ctx context.Context) (string, error)
}

// statusHelp is the status screen's footer help.
const statusHelp = "Quote the version and commit to the service desk. The diagnostics bundle holds no patient details."

// UseStatus connects the IT status screen.
func (k *Kiosk) UseStatus(s StatusChecker) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.it = s
}

// ShowStatus opens the IT status screen and checks everything afresh; on
// the screen it checks again. It is refused while a card holder is signing
// in: the passcode screen must keep the keyboard.
func (k *Kiosk) ShowStatus() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	switch k.v.Session.Gate {
	case ui.GatePasscode, ui.GateChooseRole, ui.GateLocked:
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
func (k *Kiosk) SaveBundle() {
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
func statusView(s Status) *ui.StatusView {
	v := &ui.StatusView{Overall: level(s.Overall), Version: s.Version, Commit: s.Commit, Checked: s.Checked}
	for _, l := range s.Lines {
		v.Lines = append(v.Lines, ui.StatusLine{Title: l.Title, Detail: l.Detail, Next: l.Next, Level: level(l.State)})
	}
	return v
}

func level(s StatusState) ui.StatusLevel {
	switch s {
	case StateRed:
		return ui.StatusRed
	case StateAmber:
		return ui.StatusAmber
	}
	return ui.StatusGreen
}

// kioskStatus is the running kiosk's status: its own Reader, database and
// Spine link, checked on the screen's request and every snapshotEvery, when
// the result is written to status.json for `cpis-kiosk status` to read
// while the kiosk holds the database.
type kioskStatus struct {
	probe *statusProbe
	cfg   config.Config
	log   logrus.FieldLogger
	now   func() time.Time
	every time.Duration

	checking sync.Mutex // one check at a time
	mu       sync.Mutex
	last     Status

	cancel context.CancelFunc
	done   chan struct{}
}

var _ StatusChecker = (*kioskStatus)(nil)

// newKioskStatus prepares the running kiosk's status checks. A baseline
// file that cannot be read is reported, and the built-in one is used: the
// status is most needed when something is wrong.
func (p *Program) newKioskStatus(r *device.Reader) (*kioskStatus, error) {
	log := p.log.WithField("component", "status")
	b, err := LoadBaseline(p.cfg.BaselineFile)
	if err != nil {
		log.WithError(err).Error("reading the environment baseline: using the built-in one")
		b, _ = LoadBaseline("")
		b.From = "built in, as " + p.cfg.BaselineFile + " cannot be read"
	}
	pds, cp, id := p.cfg.Spine.PDS, p.cfg.Spine.CPIS, p.cfg.Spine.Identity
	ca := ""
	if p.sandbox != nil {
		pds, cp, id = p.sandbox.Bases()
		ca = p.sandbox.CAFile()
	}
	roots, err := spineRoots(p.cfg, ca)
	if err != nil {
		return nil, fmt.Errorf("loading the Spine CA for the status: %w", err)
	}
	probe := &statusProbe{cfg: p.cfg, baseline: b, host: realHost(), now: time.Now, log: log,
		readers:   func(context.Context) device.Status { return r.Status() },
		endpoints: spineEndpoints(pds, cp, id),
		client:    probeClient(roots, p.cfg.Spine.Timeout.Duration),
		store:     func() storeFacts { return dbFacts(p.db) },
	}
	return &kioskStatus{probe: probe, cfg: p.cfg, log: log, now: time.Now, every: snapshotEvery}, nil
}

// Check checks everything now, keeps the result for the bundle and writes
// the snapshot.
func (s *kioskStatus) Check(ctx context.Context) Status {
	s.checking.Lock()
	defer s.checking.Unlock()
	st := s.probe.run(ctx, "kiosk")
	s.mu.Lock()
	s.last = st
	s.mu.Unlock()
	if err := writeSnapshot(s.cfg.DataDir, st); err != nil {
		s.log.WithError(err).Warn("writing the status snapshot")
	}
	return st
}

// SaveBundle writes a bundle with the last status (checking first if there
// is none yet) to the data folder's bundles/, and returns its path.
func (s *kioskStatus) SaveBundle(ctx context.Context) (string, error) {
	s.mu.Lock()
	st := s.last
	s.mu.Unlock()
	if st.Checked.IsZero() {
		st = s.Check(ctx)
	}
	dir := bundleDir(s.cfg.DataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("making the bundles folder: %w", err)
	}
	path := filepath.Join(dir, bundleName(s.now()))
	if err := writeBundle(path, st, s.cfg); err != nil {
		return "", err
	}
	s.log.WithField("bundle", path).Info("diagnostics bundle saved")
	return path, nil
}

// Start checks at once and then every s.every, until ctx is done or
// Shutdown.
func (s *kioskStatus) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.every)
		defer t.Stop()
		for {
			s.Check(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Shutdown stops the checks and waits for one in progress (it reads the
// database, which closes after this).
func (s *kioskStatus) Shutdown(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping the status checks: %w", ctx.Err())
	}
}
