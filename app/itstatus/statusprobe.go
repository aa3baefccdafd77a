package itstatus

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/lifecycle"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/store"
)

// statusProbe gathers the facts for the status. Each source is a field, so
// the running kiosk, the command line and the tests supply their own.
type statusProbe struct {
	cfg      config.Config
	baseline Baseline
	host     host
	now      func() time.Time
	log      logrus.FieldLogger

	// readers is what the smartcard reader sees: the running kiosk's
	// Reader, or one started briefly by the command.
	readers func(ctx context.Context) device.Status

	// endpoints are the Spine's services, probed with client, which trusts
	// what the kiosk's Spine client trusts and nothing else. With no
	// endpoints, spineLines (when set) stands in: the running kiosk's own
	// view of its embedded sandbox, from its snapshot.
	endpoints  []endpoint
	client     *http.Client
	spineLines func() []StatusLine

	// store reads the queue, review and last-check facts.
	store func() storeFacts
}

// run gathers every fact at once, so the status takes as long as its
// slowest probe (a Spine that does not answer: its timeout).
func (p *statusProbe) run(ctx context.Context, source string) Status {
	now := p.now
	if now == nil {
		now = time.Now
	}
	f := statusFacts{DataDir: p.cfg.DataDir, WantReader: p.cfg.Reader, Baseline: p.baseline, LogDir: logging.Dir(p.cfg.DataDir),
		CIS2: !p.cfg.Embedded()}
	var wg sync.WaitGroup
	do := func(fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn()
		}()
	}
	do(func() {
		if p.readers != nil {
			f.Readers = p.readers(ctx)
		}
		f.DaemonRunning, f.DaemonDetail = p.host.pcscd()
	})
	do(func() { f.Identity = p.host.identitySoftware(ctx) })
	do(func() { f.Host = p.hostFacts(ctx) })
	spineFacts := make([]endpointFacts, len(p.endpoints))
	for i, e := range p.endpoints {
		do(func() { spineFacts[i] = probeEndpoint(ctx, p.client, e, time.Now) })
	}
	do(func() {
		if p.store != nil {
			f.Store = p.store()
		} else {
			f.Store = storeFacts{State: storeMissing}
		}
	})
	do(func() {
		dir := p.cfg.DataDir
		if _, err := os.Stat(dir); err != nil {
			dir = filepath.Dir(dir)
		}
		f.DiskFree, f.DiskErr = diskFree(dir)
	})
	do(func() {
		fi, err := os.Stat(filepath.Join(f.LogDir, logging.FileName))
		if err == nil {
			f.LogBytes = fi.Size()
		}
		f.LogErr = err
	})
	wg.Wait()
	f.Spine = spineFacts
	f.Now = now()
	s := newStatus(f, source)
	if len(p.endpoints) == 0 {
		s = replaceSpine(s, p.spineLines)
	}
	return s
}

func (p *statusProbe) hostFacts(ctx context.Context) hostFacts {
	h := p.host
	var f hostFacts
	f.OSID, f.OSVersion, f.OSPretty, f.OSErr = h.osRelease()
	f.Kernel, f.KernelErr = h.kernel()
	f.Display = h.display()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		f.ScreenW, f.ScreenH, f.ScreenErr = h.screen(ctx)
	}()
	go func() {
		defer wg.Done()
		f.GL, f.GLErr = h.glRenderer(ctx)
	}()
	f.TZ, f.TZErr = h.timeZone()
	f.RootsFile, f.Roots, f.RootsErr = h.tlsRoots(p.baseline.TLS.Bundle)
	if ca := p.cfg.Spine.CAFile; ca != "" && !p.cfg.Embedded() {
		f.SpineCA = ca
		if _, err := spine.LoadCA(ca); err != nil {
			f.SpineCAErr = err
		}
	}
	wg.Wait()
	return f
}

// Monitor is the running kiosk's status: its own Reader, database and
// Spine link, checked on the screen's request and every snapshotEvery, when
// the result is written to status.json for `cpis-kiosk status` to read
// while the kiosk holds the database.
type Monitor struct {
	probe *statusProbe
	cfg   config.Config
	log   logrus.FieldLogger
	// now and after are the clock and the timer between checks, fields
	// so that tests can drive them.
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
	every time.Duration

	checking sync.Mutex // one check at a time
	mu       sync.Mutex
	last     Status

	life lifecycle.Loop
}

// Check checks everything now, keeps the result for the bundle and writes
// the snapshot.
func (s *Monitor) Check(ctx context.Context) Status {
	s.checking.Lock()
	defer s.checking.Unlock()
	st := s.probe.run(ctx, "kiosk")
	s.mu.Lock()
	s.last = st
	s.mu.Unlock()
	if err := WriteSnapshot(s.cfg.DataDir, st); err != nil {
		s.log.WithError(err).Warn("writing the status snapshot")
	}
	return st
}

// SaveBundle writes a bundle with the last status (checking first if there
// is none yet) to the data folder's bundles/, and returns its path.
func (s *Monitor) SaveBundle(ctx context.Context) (string, error) {
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
	if err := WriteBundle(path, st, s.cfg); err != nil {
		return "", err
	}
	s.log.WithField("bundle", path).Info("diagnostics bundle saved")
	return path, nil
}

// Start checks at once and then every s.every from the start of the
// last check, until ctx is done or Shutdown.
func (s *Monitor) Start(ctx context.Context) { s.life.Start(ctx, s.run) }

// Shutdown stops the checks and waits for one in progress (it reads the
// database, which closes after this).
func (s *Monitor) Shutdown(ctx context.Context) error {
	if err := s.life.Shutdown(ctx); err != nil {
		return fmt.Errorf("stopping the status checks: %w", err)
	}
	return nil
}

func (s *Monitor) run(ctx context.Context) {
	for {
		start := s.now()
		s.Check(ctx)
		// A check slower than every is followed by the next at once, as
		// a ticker would; it never runs two at a time.
		select {
		case <-ctx.Done():
			return
		case <-s.after(max(0, s.every-s.now().Sub(start))):
		}
	}
}

// NewMonitor prepares the running kiosk's status checks of reader r,
// database db and the Spine at the given bases (with ca, the embedded
// sandbox's CA file, or ""). A baseline file that cannot be read is
// reported, and the built-in one is used: the status is most needed when
// something is wrong.
func NewMonitor(cfg config.Config, r *device.Reader, db *store.DB, e Endpoints, log logrus.FieldLogger) (*Monitor, error) {
	b, err := LoadBaseline(cfg.BaselineFile)
	if err != nil {
		log.WithError(err).Error("reading the environment baseline: using the built-in one")
		b, _ = LoadBaseline("")
		b.From = "built in, as " + cfg.BaselineFile + " cannot be read"
	}
	roots, err := spineRoots(cfg, e.CAFile)
	if err != nil {
		return nil, fmt.Errorf("loading the Spine CA for the status: %w", err)
	}
	probe := &statusProbe{cfg: cfg, baseline: b, host: realHost(), now: time.Now, log: log,
		readers:   func(context.Context) device.Status { return r.Status() },
		endpoints: spineEndpoints(e),
		client:    probeClient(roots, cfg.Spine.Timeout.Duration),
		store:     func() storeFacts { return dbFacts(db) },
	}
	return &Monitor{probe: probe, cfg: cfg, log: log, now: time.Now, after: time.After, every: snapshotEvery}, nil
}
