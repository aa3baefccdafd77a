package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/device/vcard"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

func TestStatusSpineAgainstSandbox(t *testing.T) {
	s, _, _ := startSandbox(t)
	pool, err := spine.LoadCA(s.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	eps := spineEndpoints(s.Bases())
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
func TestStatusReaderThroughPCSC(t *testing.T) {
	if os.Getenv("CPIS_NO_PCSCD") == "1" {
		t.Skip("CPIS_NO_PCSCD=1: no PC/SC service on this machine")
	}
	u, _ := vcard.Find("555000000010")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		vcard.Insert(ctx, vpcdAddr(testReader), vcard.NewCard(u))
	}()
	defer func() { cancel(); <-done }()
	time.Sleep(600 * time.Millisecond) // pcscd notices an insertion in about 0.4 s

	cfg := config.Config{Reader: readerName(testReader)}
	rs := briefReader(cfg, quiet(), readerSettle)(context.Background())
	b, _ := LoadBaseline("")
	h := realHost()
	running, detail := h.pcscd()
	st := newStatus(statusFacts{Now: time.Now(), Readers: rs, WantReader: cfg.Reader, DaemonRunning: running, DaemonDetail: detail,
		Baseline: b, Store: storeFacts{State: storeMissing}}, "test")
	r, p := line(t, st, "reader"), line(t, st, "pcsc")
	if r.State != StateGreen || !strings.Contains(r.Detail, readerName(testReader)+": card in") {
		t.Errorf("reader: %s %q", r.State, r.Detail)
	}
	if p.State != StateGreen || !running || !strings.Contains(p.Detail, "pcscd is running (pid ") {
		t.Errorf("pcsc: %s %q (running %v)", p.State, p.Detail, running)
	}
}

// The host's facts from a made-up file tree: os-release, the kernel, the
// time zone, a CA bundle and an installed identity agent with its version.
func TestStatusCommandJSON(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CPIS_DATA_DIR", dir)
	var out, errOut bytes.Buffer
	if code := run([]string{"selftest"}, &out, &errOut); code != 0 {
		t.Fatalf("selftest: %d\n%s", code, errOut.String())
	}
	out.Reset()
	start := time.Now()
	code := run([]string{"status", "--json"}, &out, &errOut)
	took := time.Since(start)
	var st Status
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	var ids []string
	for _, l := range st.Lines {
		ids = append(ids, l.ID)
		if l.State != StateGreen && l.State != StateAmber && l.State != StateRed {
			t.Errorf("%s: state %q", l.ID, l.State)
		}
	}
	if !slices.Equal(ids, statusIDs) {
		t.Errorf("ids %v\nwant %v", ids, statusIDs)
	}
	if (st.Overall == StateRed) != (code == 1) || (code != 0 && code != 1) {
		t.Errorf("overall %s, exit %d", st.Overall, code)
	}
	if st.Schema != StatusSchema || st.Source != "command" || st.DataDir != dir {
		t.Errorf("header: %+v", st)
	}
	for _, id := range []string{"spine.pds", "spine.cpis", "spine.identity", "spine.certificate", "clock", "queue", "last_check", "disk", "logs"} {
		if l := line(t, st, id); l.State != StateGreen {
			t.Errorf("%s on a fresh sandbox after a selftest: %s %q", id, l.State, l.Detail)
		}
	}
	t.Logf("status --json took %s, overall %s", took.Round(time.Millisecond), st.Overall)
}

// While the kiosk runs it holds the database: the command does not wait
// for it. With the kiosk's fresh snapshot it shows the kiosk's figures;
// without one it says to look at the kiosk's screen.
func TestStatusCommandWhileKioskRuns(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CPIS_DATA_DIR", dir)
	db, err := openDB(filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key"), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var out, errOut bytes.Buffer
	start := time.Now()
	run([]string{"status", "--json"}, &out, &errOut)
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
	if err := writeSnapshot(dir, newStatus(f, "kiosk")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, snapshotName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("snapshot mode: %v %v", fi.Mode(), err)
	}
	out.Reset()
	run([]string{"status", "--json"}, &out, &errOut)
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
