package itstatus

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

// readerSettle is how long the command gives a Reader started for it to
// find the readers and cards.
const readerSettle = 2 * time.Second

// Command checks everything from the command line. The database is read
// only if no kiosk holds it; if one does, the kiosk's own snapshot stands
// in for what only it can see (its queue, and its embedded sandbox), and
// nothing waits on the lock.
func Command(ctx context.Context, cfg config.Config, log *logrus.Logger) (Status, error) {
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
		p.endpoints = spineEndpoints(Endpoints{PDS: cfg.Spine.PDS, CPIS: cfg.Spine.CPIS, FGM: cfg.Spine.FGM, Issuer: cfg.CIS2.Issuer, Token: cfg.CIS2.TokenEndpoint})
		p.client = probeClient(roots, cfg.Spine.Timeout.Duration)
	case sf.State == storeLocked:
		// The embedded sandbox lives inside the running kiosk, on a port
		// only it knows: its snapshot says how its Spine link stands.
		p.spineLines = func() []StatusLine { return fromSnapshot(sf.Snapshot, time.Now(), spineLineIDs) }
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
		p.endpoints = spineEndpoints(SandboxEndpoints(s))
		p.client = probeClient(roots, cfg.Spine.Timeout.Duration)
	}
	return p.run(ctx, "command"), nil
}

// replaceSpine puts the running kiosk's own Spine lines in place of the
// ones that could not be probed from here, and a pointer to its screen for
// each it did not have.
func replaceSpine(s Status, lines func() []StatusLine) Status {
	byID := map[string]StatusLine{}
	if lines != nil {
		for _, l := range lines() {
			byID[l.ID] = l
		}
	}
	var out []StatusLine
	for _, l := range s.Lines {
		switch l.ID {
		case "clock":
		case "spine.certificate":
			for _, id := range spineLineIDs {
				if sl, ok := byID[id]; ok {
					out = append(out, sl)
				} else if id != "spine.identity" && id != "spine.token" && id != "spine.fgm" {
					sl = newLine(id)
					sl.State = StateAmber
					sl.Detail = "The kiosk is running with its embedded Spine sandbox: see its status screen (\"IT status\")."
					sl.Next = "Open the IT status screen on the kiosk."
					out = append(out, sl)
				}
			}
		default:
			out = append(out, l)
		}
	}
	s.Lines, s.Overall = out, overall(out)
	return s
}

// briefReader starts a Reader for a moment, as `cpis-kiosk card readers`
// does, and returns what it saw once the service answered and listed its
// readers (or after settle, when it does not).
func briefReader(cfg config.Config, log logrus.FieldLogger, settle time.Duration) func(ctx context.Context) device.Status {
	return func(ctx context.Context) device.Status {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		r := device.NewReader(device.Options{Reader: cfg.Reader, Log: log})
		if err := r.Start(ctx); err != nil {
			return device.Status{LastError: err}
		}
		defer func() {
			sctx, done := context.WithTimeout(context.Background(), 3*time.Second)
			defer done()
			r.Shutdown(sctx)
		}()
		deadline := time.Now().Add(settle)
		var seen time.Time
		for time.Now().Before(deadline) {
			st := r.Status()
			if st.ServiceUp && len(st.Readers) > 0 {
				// Give a card already in a moment to be reported.
				if seen.IsZero() {
					seen = time.Now()
				} else if time.Since(seen) > 300*time.Millisecond {
					return st
				}
			}
			select {
			case <-ctx.Done():
				return r.Status()
			case <-time.After(50 * time.Millisecond):
			}
		}
		return r.Status()
	}
}
