package itstatus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine/sandbox"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"

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

// endpoint is one Spine service to probe.
type endpoint struct {
	ID, Title string
	// URL is what the probe asks for: a route that goes through the
	// service's front door without a token and without patient details, so
	// the answer (a 401 or 400) shows the service is there and costs it
	// nothing.
	URL string
}

// spineEndpoints are the probes for the configured (or embedded) bases:
// PDS's and CP-IS's search routes with no parameters and no token, and the
// identity service's base.
func spineEndpoints(pds, cp, id string) []endpoint {
	eps := []endpoint{
		{ID: "spine.pds", Title: "Spine: PDS (patient trace)", URL: strings.TrimRight(pds, "/") + "/Patient"},
		{ID: "spine.cpis", Title: "Spine: CP-IS (Child Care Alerts)", URL: strings.TrimRight(cp, "/") + "/CareTeam"},
	}
	if id != "" {
		eps = append(eps, endpoint{ID: "spine.identity", Title: "Spine: identity (sign-in)", URL: strings.TrimRight(id, "/") + "/"})
	}
	return eps
}

// probeClient is an HTTP client for the probes: a fresh connection every
// time (so the TLS handshake and its certificate are part of what is
// measured), the given roots only, and the Spine's own timeout.
func probeClient(roots *x509.CertPool, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:             http.ProxyFromEnvironment,
		TLSClientConfig:   &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DisableKeepAlives: true,
		ForceAttemptHTTP2: false,
		DialContext:       (&net.Dialer{Timeout: timeout}).DialContext,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// spineRoots is the pool the kiosk's Spine client trusts for this
// configuration: the sandbox's own CA when embedded, spine.ca_file when
// set, else the system's roots.
func spineRoots(cfg config.Config, sandboxCA string) (*x509.CertPool, error) {
	switch {
	case cfg.Embedded() && sandboxCA != "":
		return spine.LoadCA(sandboxCA)
	case cfg.Spine.CAFile != "":
		return spine.LoadCA(cfg.Spine.CAFile)
	}
	return x509.SystemCertPool()
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

// replaceSpine puts the running kiosk's own Spine lines in place of the
// ones that could not be probed from here.
func replaceSpine(s Status, lines func() []StatusLine) Status {
	var from []StatusLine
	if lines != nil {
		from = lines()
	}
	ids := []string{"spine.pds", "spine.cpis", "spine.identity", "spine.certificate", "clock"}
	byID := map[string]StatusLine{}
	for _, l := range from {
		byID[l.ID] = l
	}
	var out []StatusLine
	inserted := false
	for _, l := range s.Lines {
		if l.ID != "spine.certificate" && l.ID != "clock" {
			out = append(out, l)
			continue
		}
		if inserted {
			continue
		}
		inserted = true
		for _, id := range ids {
			if sl, ok := byID[id]; ok {
				out = append(out, sl)
			} else if id != "spine.identity" {
				out = append(out, StatusLine{ID: id, Title: spineTitle(id), State: StateAmber,
					Detail: "The kiosk is running with its embedded Spine sandbox: see its status screen (\"IT status\").",
					Next:   "Open the IT status screen on the kiosk."})
			}
		}
	}
	s.Lines = out
	s.Overall = StateGreen
	for _, l := range s.Lines {
		s.Overall = worst(s.Overall, l.State)
	}
	return s
}

func spineTitle(id string) string {
	switch id {
	case "spine.pds":
		return "Spine: PDS (patient trace)"
	case "spine.cpis":
		return "Spine: CP-IS (Child Care Alerts)"
	case "spine.certificate":
		return "Spine TLS certificates"
	case "clock":
		return "Clock (against the Spine)"
	}
	return id
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

// probeEndpoint makes one request and notes how long it took, the status,
// the server's certificate and its clock.
func probeEndpoint(ctx context.Context, c *http.Client, e endpoint, now func() time.Time) endpointFacts {
	f := endpointFacts{ID: e.ID, Title: e.Title, URL: e.URL}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL, nil)
	if err != nil {
		f.Err = fmt.Errorf("the address %q cannot be used: %w", e.URL, err)
		return f
	}
	// PDS refuses a request without X-Request-ID (a 400 is still an
	// answer, but a correct request is the kinder probe).
	req.Header.Set("X-Request-ID", uuid.NewString())
	req.Header.Set("Accept", "application/fhir+json")
	start := now()
	resp, err := c.Do(req)
	f.Latency = now().Sub(start)
	if err != nil {
		f.Err = err
		return f
	}
	resp.Body.Close()
	f.Status = resp.StatusCode
	f.Mid = start.Add(f.Latency / 2)
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		f.Date = d
	}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		f.Cert = resp.TLS.PeerCertificates[0]
	}
	return f
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	return p.Host
}

// describeNetErr says why a Spine endpoint gave no answer, from the error's
// type, never its text.
func describeNetErr(err error) string {
	var unknown x509.UnknownAuthorityError
	var inv x509.CertificateInvalidError
	var host x509.HostnameError
	var dns *net.DNSError
	var nerr net.Error
	switch {
	case errors.As(err, &unknown):
		return "its certificate is not signed by a CA this kiosk trusts"
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return "its certificate has expired, or this PC's clock is wrong"
	case errors.As(err, &inv):
		return "its certificate is not valid for this use"
	case errors.As(err, &host):
		return "its certificate is for another name"
	case errors.As(err, &dns):
		return "its name cannot be found (DNS)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "it refused the connection"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return "no answer in time"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the connection was cut"
	}
	return "the connection failed"
}

func nextForNetErr(err error) string {
	var unknown x509.UnknownAuthorityError
	var inv x509.CertificateInvalidError
	var host x509.HostnameError
	switch {
	case errors.As(err, &unknown), errors.As(err, &host):
		return "Check spine.ca_file and the endpoint's address in the configuration. Never turn verification off: call IT security if it persists."
	case errors.As(err, &inv):
		return "Check the PC's clock (clock line), then ask for the endpoint's certificate to be renewed."
	}
	return "Check the network cable or Wi-Fi and the HSCN link; if other PCs cannot reach the Spine either, follow the downtime process and call the NHS national service desk."
}

// ---- store facts ----

// dbFacts reads the queue figures and the last successful check from an
// open database.
func dbFacts(db *store.DB) storeFacts {
	c, err := db.Counts()
	if err != nil {
		return storeFacts{State: storeFailed, Err: err}
	}
	f := storeFacts{State: storeOpen, Counts: c}
	e, ok, err := db.LastEvent(func(e store.Event) bool { return cpis.SuccessfulCheck(e.Kind, e.Result) })
	if err != nil {
		return storeFacts{State: storeFailed, Err: err}
	}
	f.LastCheck, f.LastCheckOK = e.At, ok
	return f
}

// folderFacts reads them from the data folder for the command line: the
// database if it is free, the running kiosk's snapshot if the kiosk holds
// it. It never waits longer than the database's lock timeout (a second).
func folderFacts(cfg config.Config, log logrus.FieldLogger) storeFacts {
	path := filepath.Join(cfg.DataDir, "kiosk.db")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return storeFacts{State: storeMissing}
	}
	db, err := store.Open(path, filepath.Join(cfg.KeyDir, "kiosk.key"), log)
	if errors.Is(err, store.ErrLocked) {
		snap, serr := readSnapshot(cfg.DataDir)
		return storeFacts{State: storeLocked, Snapshot: snap, SnapshotErr: serr}
	}
	if err != nil {
		return storeFacts{State: storeFailed, Err: err}
	}
	defer db.Close()
	return dbFacts(db)
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

// readerSettle is how long the command gives a Reader started for it to
// find the readers and cards.
const readerSettle = 2 * time.Second

// commandStatus checks everything from the command line. The database is
// read only if no kiosk holds it; if one does, the kiosk's own snapshot
// stands in for what only it can see (its queue, and its embedded
// sandbox), and nothing waits on the lock.
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
