package itstatus

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/device/vcard"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
	"github.com/nhs-cpis/kiosk/store"
)

var statusNow = time.Date(2026, 3, 5, 3, 12, 0, 0, time.UTC)

// fixedFacts are made-up facts for each kind of line, some good, some not:
// the golden JSON and the judging tests are made from them.
func fixedFacts(t *testing.T) statusFacts {
	b, err := LoadBaseline("")
	if err != nil {
		t.Fatal(err)
	}
	cert := &x509.Certificate{NotAfter: statusNow.Add(9*24*time.Hour + time.Hour)}
	return statusFacts{
		Now:     statusNow,
		DataDir: "/var/lib/cpis-kiosk",
		Readers: device.Status{ServiceUp: true, HotPlug: true, Readers: []device.ReaderInfo{
			{Name: "Virtual PCD 00 00"}, {Name: "Virtual PCD 00 01", CardPresent: true}}},
		DaemonRunning: true, DaemonDetail: "pcscd is running (pid 812)",
		Baseline: b,
		Host: hostFacts{OSID: "debian", OSVersion: "12", OSPretty: "Debian GNU/Linux 12 (bookworm)", Kernel: "6.1.0-18-amd64",
			Display: ":0", ScreenW: 1280, ScreenH: 800, GL: "llvmpipe (LLVM 15.0.6, 256 bits)",
			TZ: "Europe/London", RootsFile: "/etc/ssl/certs/ca-certificates.crt", Roots: 144},
		Spine: []endpointFacts{
			{ID: "spine.pds", Title: "Spine: PDS (patient trace)", URL: "https://int.api.service.nhs.uk/personal-demographics/FHIR/R4/Patient",
				Status: 401, Latency: 42 * time.Millisecond, Cert: cert, Date: statusNow.Add(47 * time.Second), Mid: statusNow},
			{ID: "spine.cpis", Title: "Spine: CP-IS (Child Care Alerts)", URL: "https://int.api.service.nhs.uk/cpis/FHIR/R4/CareTeam",
				Status: 503, Latency: 38 * time.Millisecond, Cert: cert, Date: statusNow, Mid: statusNow},
			{ID: "spine.fgm", Title: "Spine: FGM-IS (FGM indicator)", URL: "https://int.api.service.nhs.uk/fgm/FHIR/R4/Flag",
				Status: 403, Latency: 40 * time.Millisecond, Cert: cert, Date: statusNow, Mid: statusNow},
			{ID: "spine.identity", Title: "NHS CIS2 sign-in", URL: "https://am.nhsint.auth-ptl.cis2.spineservices.nhs.uk/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare/.well-known/openid-configuration",
				Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}},
			{ID: "spine.token", Title: "API platform: token exchange", URL: "https://int.api.service.nhs.uk/oauth2/token",
				Status: 405, Latency: 51 * time.Millisecond, Cert: cert, Date: statusNow, Mid: statusNow},
		},
		Store: storeFacts{State: storeOpen, Counts: store.Counts{Queued: 3, Dead: 1, OpenReview: 2,
			Oldest: statusNow.Add(-2*time.Hour - 10*time.Minute), LastReplay: statusNow.Add(-26 * time.Hour)},
			LastCheck: statusNow.Add(-35 * time.Minute), LastCheckOK: true},
		DiskFree: 700 << 20,
		LogDir:   "/var/lib/cpis-kiosk/logs", LogBytes: 183_204,
	}
}

// volatile are the values that change from build to build.
func normaliseStatus(b []byte) []byte {
	b = regexp.MustCompile(`"version": "[^"]*"`).ReplaceAll(b, []byte(`"version": "VERSION"`))
	return regexp.MustCompile(`"commit": "[^"]*"`).ReplaceAll(b, []byte(`"commit": "COMMIT"`))
}

// The status JSON is a documented interface: the golden file holds every
// key, and changes to it are reviewed. CPIS_UPDATE_GOLDEN=1 rewrites it.
func TestStatusJSONGolden(t *testing.T) {
	t.Setenv("TZ", "UTC")
	s := newStatus(fixedFacts(t), "command")
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	got := normaliseStatus(buf.Bytes())
	golden := filepath.Join("testdata", "status.golden.json")
	if os.Getenv("CPIS_UPDATE_GOLDEN") == "1" {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (CPIS_UPDATE_GOLDEN=1 writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("status JSON differs from %s (CPIS_UPDATE_GOLDEN=1 rewrites it):\n%s", golden, got)
	}
	var ids []string
	for _, l := range s.Lines {
		ids = append(ids, l.ID)
	}
	if !slices.Equal(ids, LineIDs) {
		t.Errorf("line ids %v\nwant %v", ids, LineIDs)
	}
}

// Each threshold the README documents, judged from made-up facts.
func TestStatusJudging(t *testing.T) {
	f := fixedFacts(t)
	for _, tc := range []struct {
		name  string
		edit  func(*statusFacts)
		id    string
		state StatusState
	}{
		{"reader with a card", func(*statusFacts) {}, "reader", StateGreen},
		{"no reader", func(f *statusFacts) { f.Readers.Readers = nil }, "reader", StateRed},
		{"configured reader missing", func(f *statusFacts) { f.WantReader = "Gemalto" }, "reader", StateRed},
		{"pcscd down", func(f *statusFacts) { f.Readers = device.Status{} }, "pcsc", StateRed},
		{"pcscd down: no reader seen", func(f *statusFacts) { f.Readers = device.Status{} }, "reader", StateRed},
		{"no identity software on the sandbox: amber, not a fault", func(*statusFacts) {}, "identity_software", StateAmber},
		{"no identity software with CIS2: red, nobody can sign in", func(f *statusFacts) { f.CIS2 = true }, "identity_software", StateRed},
		{"identity software found", func(f *statusFacts) {
			f.Identity = []identityFound{{Name: "NHS Identity Agent", Where: "/opt/nhs/identity-agent", Version: "2.4.6.0"}}
		}, "identity_software", StateGreen},
		{"other OS", func(f *statusFacts) { f.Host.OSID, f.Host.OSVersion = "ubuntu", "22.04" }, "baseline.os", StateRed},
		{"OS due for replacement", func(f *statusFacts) { f.Host.OSVersion = "11" }, "baseline.os", StateAmber},
		{"old kernel", func(f *statusFacts) { f.Host.Kernel = "5.10.0-28-amd64" }, "baseline.kernel", StateAmber},
		{"no display in this session", func(f *statusFacts) { f.Host.Display = "" }, "baseline.display", StateAmber},
		{"display does not answer", func(f *statusFacts) { f.Host.ScreenErr = errors.New("exit 1") }, "baseline.display", StateRed},
		{"small screen", func(f *statusFacts) { f.Host.ScreenW, f.Host.ScreenH = 800, 600 }, "baseline.screen", StateRed},
		{"software GL", func(*statusFacts) {}, "baseline.gl_renderer", StateAmber},
		{"no glxinfo: not checked", func(f *statusFacts) { f.Host.GL, f.Host.GLErr = "", errNotChecked }, "baseline.gl_renderer", StateAmber},
		{"hardware GL", func(f *statusFacts) { f.Host.GL = "Mesa Intel(R) UHD Graphics 620" }, "baseline.gl_renderer", StateGreen},
		{"few roots", func(f *statusFacts) { f.Host.Roots = 3 }, "baseline.tls_roots", StateRed},
		{"UTC", func(f *statusFacts) { f.Host.TZ = "Etc/UTC" }, "baseline.timezone", StateAmber},
		{"PDS 401: there", func(*statusFacts) {}, "spine.pds", StateGreen},
		{"CP-IS 503", func(*statusFacts) {}, "spine.cpis", StateAmber},
		{"identity refused", func(*statusFacts) {}, "spine.identity", StateRed},
		{"slow", func(f *statusFacts) { f.Spine[0].Latency = 1500 * time.Millisecond }, "spine.pds", StateAmber},
		{"cert in 9 days", func(*statusFacts) {}, "spine.certificate", StateAmber},
		{"cert in 90 days", func(f *statusFacts) {
			c := &x509.Certificate{NotAfter: statusNow.Add(90 * 24 * time.Hour)}
			for i := range f.Spine {
				f.Spine[i].Cert = c
			}
		}, "spine.certificate", StateGreen},
		{"skew 47 s", func(*statusFacts) {}, "clock", StateAmber},
		{"skew 20 s", func(f *statusFacts) { f.Spine[0].Date = statusNow.Add(-20 * time.Second) }, "clock", StateGreen},
		{"skew 6 min", func(f *statusFacts) { f.Spine[0].Date = statusNow.Add(6 * time.Minute) }, "clock", StateRed},
		{"queue waiting", func(*statusFacts) {}, "queue", StateAmber},
		{"queue over a shift", func(f *statusFacts) { f.Store.Counts.Oldest = statusNow.Add(-13 * time.Hour) }, "queue", StateRed},
		{"queue empty", func(f *statusFacts) { f.Store.Counts.Queued = 0 }, "queue", StateGreen},
		{"dead letters", func(*statusFacts) {}, "dead_letters", StateAmber},
		{"review open", func(*statusFacts) {}, "review", StateAmber},
		{"last check recent", func(*statusFacts) {}, "last_check", StateGreen},
		{"no check ever", func(f *statusFacts) { f.Store.LastCheckOK = false }, "last_check", StateAmber},
		{"FGM-IS answered", func(f *statusFacts) {
			f.Store.LastFGM = store.Event{At: statusNow, Kind: cpis.EventFGMQuery, Result: cpis.ResultNoFGMFlag}
		}, "fgm_last", StateGreen},
		{"FGM-IS failed: staff saw nothing, IT is told", func(f *statusFacts) {
			f.Store.LastFGM = store.Event{At: statusNow, Kind: cpis.EventFGMQuery, Result: cpis.ResultFailed, Outcome: "no answer"}
		}, "fgm_last", StateAmber},
		{"FGM-IS refused for want of B0370", func(f *statusFacts) {
			f.Store.LastFGM = store.Event{At: statusNow, Kind: cpis.EventFGMQuery, Result: cpis.ResultRefused}
		}, "fgm_last", StateAmber},
		{"kiosk holds the database, no snapshot", func(f *statusFacts) { f.Store = storeFacts{State: storeLocked} }, "queue", StateAmber},
		{"key missing", func(f *statusFacts) { f.Store = storeFacts{State: storeFailed, Err: store.ErrKeyMissing} }, "queue", StateRed},
		{"disk 700 MiB", func(*statusFacts) {}, "disk", StateAmber},
		{"disk 50 MiB", func(f *statusFacts) { f.DiskFree = 50 << 20 }, "disk", StateRed},
		{"disk 5 GiB", func(f *statusFacts) { f.DiskFree = 5 << 30 }, "disk", StateGreen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := fixedFacts(t)
			g.Spine = slices.Clone(f.Spine)
			tc.edit(&g)
			l := line(t, newStatus(g, "test"), tc.id)
			if l.State != tc.state {
				t.Errorf("%s: %s (%s), want %s", tc.id, l.State, l.Detail, tc.state)
			}
			if l.State != StateGreen && l.Next == "" {
				t.Errorf("%s is %s with no next step", tc.id, l.State)
			}
			if l.Detail == "" {
				t.Errorf("%s says nothing", tc.id)
			}
		})
	}
}

// newTLSServer serves h over HTTPS with a certificate for 127.0.0.1 valid
// from notBefore to notAfter, signed by a CA of its own; the pool trusts
// that CA only.
func newTLSServer(t *testing.T, notBefore, notAfter time.Time, h http.Handler) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: notBefore.Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: notBefore, NotAfter: notAfter, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return srv, pool
}

// spineOnly is a probe of the Spine alone, as the status makes it.
func spineOnly(t *testing.T, eps []endpoint, pool *x509.CertPool, timeout time.Duration) Status {
	t.Helper()
	b, _ := LoadBaseline("")
	p := &statusProbe{cfg: config.Config{DataDir: t.TempDir()}, baseline: b, host: host{root: t.TempDir(), getenv: func(string) string { return "" },
		run: func(context.Context, string, ...string) (string, error) { return "", errNotChecked }, goos: "linux"},
		endpoints: eps, client: probeClient(pool, timeout)}
	return p.run(context.Background(), "test")
}

func line(t *testing.T, s Status, id string) StatusLine {
	t.Helper()
	l, ok := s.Line(id)
	if !ok {
		t.Fatalf("no line %s", id)
	}
	return l
}

// The real probes against the real sandbox over HTTPS: up, refusing,
// answering 503, slow, and hanging past the timeout.
func TestStatusSpineAgainstSandbox(t *testing.T) {
	s, _, _ := kiosktest.StartSandbox(t)
	pool, err := spine.LoadCA(s.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	eps := spineEndpoints(SandboxEndpoints(s))
	for _, tc := range []struct {
		name   string
		fault  sandbox.Fault
		want   StatusState
		detail string
	}{
		{"up", sandbox.Fault{}, StateGreen, "Answers from 127.0.0.1"},
		{"refused", sandbox.Fault{Mode: sandbox.FaultRefuse}, StateRed, "refused the connection"},
		{"503", sandbox.Fault{Mode: sandbox.Fault5xx}, StateAmber, "HTTP 503"},
		{"slow", sandbox.Fault{Mode: sandbox.FaultSlow, Delay: 1200 * time.Millisecond}, StateAmber, "slowly"},
		{"hang", sandbox.Fault{Mode: sandbox.FaultHang}, StateRed, "no answer in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.SetFault(tc.fault)
			defer s.SetFault(sandbox.Fault{})
			start := time.Now()
			st := spineOnly(t, eps, pool, 2*time.Second)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("the status took %s: it must be bounded by the Spine timeout", d)
			}
			for _, id := range []string{"spine.pds", "spine.cpis"} {
				l := line(t, st, id)
				if l.State != tc.want || !strings.Contains(l.Detail, tc.detail) {
					t.Errorf("%s: %s %q, want %s with %q", id, l.State, l.Detail, tc.want, tc.detail)
				}
				if tc.want == StateGreen && (l.Metrics["latency_ms"] <= 0 || l.Metrics["http_status"] < 400) {
					t.Errorf("%s: metrics %v", id, l.Metrics)
				}
			}
			cert, clock := line(t, st, "spine.certificate"), line(t, st, "clock")
			if tc.want == StateGreen && (cert.State != StateGreen || cert.Metrics["days_left"] < 3000 || clock.State != StateGreen) {
				t.Errorf("sandbox: certificate %v %q, clock %v %q", cert.State, cert.Detail, clock.State, clock.Detail)
			}
			if tc.name == "refused" && (cert.State != StateAmber || !strings.Contains(cert.Detail, "Not checked")) {
				t.Errorf("no endpoint answered, yet the certificate is %s: %q", cert.State, cert.Detail)
			}
		})
	}
}

// A certificate 10 days from expiry is amber with the days left; an
// expired one is red, and the endpoint is red too (the kiosk will not
// connect to it).
func TestStatusCertificateExpiry(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	now := time.Now()
	srv, pool := newTLSServer(t, now.Add(-24*time.Hour), now.Add(10*24*time.Hour), ok)
	st := spineOnly(t, []endpoint{{ID: "spine.pds", Title: "PDS", URL: srv.URL + "/Patient"}}, pool, 2*time.Second)
	c := line(t, st, "spine.certificate")
	if c.State != StateAmber || c.Metrics["days_left"] != 9 && c.Metrics["days_left"] != 10 || !strings.Contains(c.Detail, "expires in") {
		t.Errorf("10 days left: %s %v %q", c.State, c.Metrics, c.Detail)
	}
	if l := line(t, st, "spine.pds"); l.State != StateGreen {
		t.Errorf("the endpoint itself: %s %q", l.State, l.Detail)
	}

	srv, pool = newTLSServer(t, now.Add(-60*24*time.Hour), now.Add(-24*time.Hour), ok)
	st = spineOnly(t, []endpoint{{ID: "spine.pds", Title: "PDS", URL: srv.URL + "/Patient"}}, pool, 2*time.Second)
	c = line(t, st, "spine.certificate")
	if c.State != StateRed || !strings.Contains(c.Detail, "has expired") {
		t.Errorf("expired: %s %q", c.State, c.Detail)
	}
	if l := line(t, st, "spine.pds"); l.State != StateRed || !strings.Contains(l.Detail, "expired") {
		t.Errorf("expired endpoint: %s %q", l.State, l.Detail)
	}

	// A certificate from a CA the kiosk does not trust is never reported
	// as reachable: verification stays on.
	srv, _ = newTLSServer(t, now.Add(-time.Hour), now.Add(100*24*time.Hour), ok)
	_, other := newTLSServer(t, now.Add(-time.Hour), now.Add(100*24*time.Hour), ok)
	st = spineOnly(t, []endpoint{{ID: "spine.pds", Title: "PDS", URL: srv.URL + "/Patient"}}, other, 2*time.Second)
	if l := line(t, st, "spine.pds"); l.State != StateRed || !strings.Contains(l.Detail, "not signed by a CA this kiosk trusts") {
		t.Errorf("untrusted: %s %q", l.State, l.Detail)
	}
}

// The clock line from a server's Date header.
func TestStatusClockSkew(t *testing.T) {
	for _, tc := range []struct {
		skew time.Duration
		want StatusState
	}{
		{0, StateGreen},
		{-45 * time.Second, StateAmber},
		{10 * time.Minute, StateRed},
	} {
		srv, pool := newTLSServer(t, time.Now().Add(-time.Hour), time.Now().Add(365*24*time.Hour),
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Date", time.Now().Add(tc.skew).UTC().Format(http.TimeFormat))
				w.WriteHeader(http.StatusUnauthorized)
			}))
		st := spineOnly(t, []endpoint{{ID: "spine.pds", Title: "PDS", URL: srv.URL}}, pool, 2*time.Second)
		l := line(t, st, "clock")
		got := time.Duration(l.Metrics["skew_seconds"]) * time.Second
		if l.State != tc.want || (got-tc.skew).Abs() > 2*time.Second {
			t.Errorf("skew %s: %s %v %q", tc.skew, l.State, l.Metrics, l.Detail)
		}
	}
}

// The reader line through real pcscd and vpcd: a Reader started briefly,
// as the command does, sees the virtual card in reader 00 01.
func TestStatusReaderThroughPCSC(t *testing.T) {
	if os.Getenv("CPIS_NO_PCSCD") == "1" {
		t.Skip("CPIS_NO_PCSCD=1: no PC/SC service on this machine")
	}
	u, _ := vcard.Find("555000000010")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		vcard.Insert(ctx, statusVPCD, vcard.NewCard(u))
	}()
	defer func() { cancel(); <-done }()
	time.Sleep(600 * time.Millisecond) // pcscd notices an insertion in about 0.4 s

	cfg := config.Config{Reader: statusReader}
	rs := briefReader(cfg, kiosktest.Quiet(), readerSettle)(context.Background())
	b, _ := LoadBaseline("")
	h := realHost()
	running, detail := h.pcscd()
	st := newStatus(statusFacts{Now: time.Now(), Readers: rs, WantReader: cfg.Reader, DaemonRunning: running, DaemonDetail: detail,
		Baseline: b, Store: storeFacts{State: storeMissing}}, "test")
	r, p := line(t, st, "reader"), line(t, st, "pcsc")
	if r.State != StateGreen || !strings.Contains(r.Detail, statusReader+": card in") {
		t.Errorf("reader: %s %q", r.State, r.Detail)
	}
	if p.State != StateGreen || !running || !strings.Contains(p.Detail, "pcscd is running (pid ") {
		t.Errorf("pcsc: %s %q (running %v)", p.State, p.Detail, running)
	}
}

// The host's facts from a made-up file tree: os-release, the kernel, the
// time zone, a CA bundle and an installed identity agent with its version.
func TestHostFacts(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
	write("/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n")
	write("/etc/timezone", "Europe/London\n")
	write("/etc/ssl/certs/ca-certificates.crt", strings.Repeat("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 3))
	write("/opt/nhs/identity-agent/VERSION", "2.4.6.0\n")
	write("/run/pcscd/pcscd.pid", "999999\n\x00")
	env := map[string]string{"DISPLAY": ":5"}
	h := host{root: root, getenv: func(k string) string { return env[k] }, goos: "linux",
		run: func(_ context.Context, name string, args ...string) (string, error) {
			switch name {
			case "xdpyinfo":
				return "screen #0:\n  dimensions:    1366x768 pixels (361x203 millimeters)\n", nil
			case "glxinfo":
				return "OpenGL vendor string: Intel\nOpenGL renderer string: Mesa Intel(R) HD Graphics 520 (SKL GT2)\n", nil
			}
			return "", errNotChecked
		}}
	id, ver, pretty, err := h.osRelease()
	if err != nil || id != "debian" || ver != "12" || !strings.HasPrefix(pretty, "Debian") {
		t.Errorf("os-release: %q %q %q %v", id, ver, pretty, err)
	}
	if k, _ := h.kernel(); k != "6.1.0-18-amd64" {
		t.Errorf("kernel %q", k)
	}
	if tz, _ := h.timeZone(); tz != "Europe/London" {
		t.Errorf("time zone %q", tz)
	}
	if w, ht, err := h.screen(context.Background()); w != 1366 || ht != 768 || err != nil {
		t.Errorf("screen %dx%d %v", w, ht, err)
	}
	if gl, _ := h.glRenderer(context.Background()); !strings.Contains(gl, "Intel") {
		t.Errorf("GL %q", gl)
	}
	if f, n, err := h.tlsRoots([]string{"/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt"}); n != 3 || err != nil || f != "/etc/ssl/certs/ca-certificates.crt" {
		t.Errorf("roots %s %d %v", f, n, err)
	}
	if running, detail := h.pcscd(); running || !strings.Contains(detail, "left from an earlier run") {
		t.Errorf("a stale pid file: running %v, %q", running, detail)
	}
	found := h.identitySoftware(context.Background())
	if len(found) != 1 || found[0].Name != "NHS Identity Agent" || found[0].Version != "2.4.6.0" {
		t.Errorf("identity software %+v", found)
	}
	// None installed, no tools, no display: not found and not checked,
	// never a crash.
	bare := host{root: t.TempDir(), getenv: func(string) string { return "" }, goos: "linux",
		run: func(context.Context, string, ...string) (string, error) { return "", errNotChecked }}
	if got := bare.identitySoftware(context.Background()); len(got) != 0 {
		t.Errorf("bare machine: %+v", got)
	}
	if _, _, err := bare.screen(context.Background()); !errors.Is(err, errNotChecked) {
		t.Errorf("no display: %v", err)
	}
}

func TestBaselineFile(t *testing.T) {
	b, err := LoadBaseline("")
	if err != nil || b.From != builtInBaseline || b.Screen.MinWidth != 1024 || !slices.Contains(b.OS.ID, "debian") || b.TLS.MinRoots == 0 {
		t.Fatalf("built-in baseline: %+v %v", b, err)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "wes.toml")
	os.WriteFile(f, []byte("name = \"Trust WES\"\n[os]\nid = [\"ubuntu\"]\nversion = [\"24.04\"]\n[screen]\nmin_width = 1920\nmin_height = 1080\n"), 0o600)
	b, err = LoadBaseline(f)
	if err != nil || b.From != f || b.Screen.MinWidth != 1920 || b.OS.ID[0] != "ubuntu" {
		t.Fatalf("override: %+v %v", b, err)
	}
	os.WriteFile(f, []byte("[screen]\nmin_widht = 1920\n"), 0o600)
	if _, err := LoadBaseline(f); err == nil || !strings.Contains(err.Error(), "min_widht") {
		t.Errorf("a typo in the baseline: %v", err)
	}
	// The configuration names it.
	cf := filepath.Join(dir, "k.toml")
	os.WriteFile(cf, []byte("care_setting = \"walk-in-centre\"\nbaseline_file = \""+f+"\"\n"), 0o600)
	c, _, err := config.Load(cf)
	if err != nil || c.BaselineFile != f {
		t.Errorf("baseline_file: %q %v", c.BaselineFile, err)
	}
	for _, tc := range []struct {
		have, min string
		ok        bool
	}{{"6.18.44-fc-v782", "6.1", true}, {"6.1.0-18-amd64", "6.1", true}, {"5.10.0", "6.1", false}, {"6.0", "6.1", false}, {"10", "6.1", true}} {
		if versionAtLeast(tc.have, tc.min) != tc.ok {
			t.Errorf("versionAtLeast(%q, %q) != %v", tc.have, tc.min, tc.ok)
		}
	}
}

// While the kiosk runs it holds the database: the command does not wait
// for it. With the kiosk's fresh snapshot it shows the kiosk's figures;
// without one it says to look at the kiosk's screen.
func TestStatusCommandWhileKioskRuns(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CPIS_DATA_DIR", dir)
	db, err := store.Open(filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key"), kiosktest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var out, errOut bytes.Buffer
	start := time.Now()
	statusCommand(t, &out, &errOut)
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("status waited %s beside a running kiosk", d)
	}
	var st Status
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), errOut.String())
	}
	for _, id := range []string{"queue", "dead_letters", "review", "last_check", "spine.pds", "spine.certificate", "clock"} {
		l := line(t, st, id)
		if l.State != StateAmber || !strings.Contains(l.Detail, "status screen") {
			t.Errorf("%s without a snapshot: %s %q", id, l.State, l.Detail)
		}
	}

	// The kiosk's snapshot, as it writes it every 30 seconds.
	f := fixedFacts(t)
	f.Now, f.DataDir = time.Now(), dir
	if err := WriteSnapshot(dir, newStatus(f, "kiosk")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, snapshotName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("snapshot mode: %v %v", fi.Mode(), err)
	}
	out.Reset()
	statusCommand(t, &out, &errOut)
	st = Status{}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	q := line(t, st, "queue")
	if q.Metrics["queued"] != 3 || !strings.Contains(q.Detail, "From the running kiosk") {
		t.Errorf("queue from the snapshot: %v %q", q.Metrics, q.Detail)
	}
	if l := line(t, st, "spine.identity"); l.State != StateRed {
		t.Errorf("the kiosk's own Spine lines: identity %s %q", l.State, l.Detail)
	}
}

// The reader the status tests put a card in: vpcd's second slot.
const statusReader, statusVPCD = "Virtual PCD 00 01", "127.0.0.1:35964"

// statusCommand is what `cpis-kiosk status --json` does, with the
// configuration from the environment.
func statusCommand(t *testing.T, out, errOut io.Writer) {
	t.Helper()
	cfg, _, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	l := logrus.New()
	l.SetOutput(errOut)
	l.SetLevel(logrus.WarnLevel)
	st, err := Command(context.Background(), cfg, l)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.WriteJSON(out); err != nil {
		t.Fatal(err)
	}
}
