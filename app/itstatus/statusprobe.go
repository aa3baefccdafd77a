package itstatus

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/spine"
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
	f := statusFacts{DataDir: p.cfg.DataDir, WantReader: p.cfg.Reader, Baseline: p.baseline, LogDir: logging.Dir(p.cfg.DataDir)}
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
