// Package kiosktest holds what the kiosk's tests share: the real sandbox
// over HTTPS with a signed-in demo session, a real database in a temporary
// folder, a day of audit records, and a logger that writes nowhere. Only
// tests import it.
package kiosktest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"go.etcd.io/bbolt"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/waiting"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/cis2"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
	"github.com/nhs-cpis/kiosk/store"
)

// Quiet is a logger that writes nowhere.
func Quiet() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

// StartSandbox runs the real sandbox over HTTPS on loopback and returns a
// client that trusts its CA and a signed-in demo session.
func StartSandbox(tb testing.TB) (*sandbox.Server, *spine.Client, check.Session) {
	tb.Helper()
	return StartSandboxWith(tb, sandbox.Options{})
}

// StartSandboxWith is StartSandbox with options (a short token life, say).
func StartSandboxWith(tb testing.TB, o sandbox.Options) (*sandbox.Server, *spine.Client, check.Session) {
	tb.Helper()
	o.StateDir, o.Log = tb.TempDir(), Quiet()
	s, err := sandbox.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	c, sess := ClientFor(tb, s)
	return s, c, sess
}

// ClientFor is a Spine client trusting the sandbox's CA, and the demo
// user signed in through the sandbox's CIS2 and token exchange.
func ClientFor(tb testing.TB, s *sandbox.Server) (*spine.Client, check.Session) {
	tb.Helper()
	where, err := waiting.SandboxOf(s, KeyFile(tb))
	if err != nil {
		tb.Fatal(err)
	}
	c, sess, err := where.Connect(context.Background(), Quiet())
	if err != nil {
		tb.Fatal(err)
	}
	return c, sess
}

// IdentityFor is a sign-in client registered with the sandbox, and the
// HTTP client that trusts its CA (for the sandbox's authenticator).
func IdentityFor(tb testing.TB, s *sandbox.Server) (*cis2.Client, *http.Client) {
	tb.Helper()
	where, err := waiting.SandboxOf(s, KeyFile(tb))
	if err != nil {
		tb.Fatal(err)
	}
	id, https, err := where.Identity(Quiet())
	if err != nil {
		tb.Fatal(err)
	}
	return id, https
}

// testKey is one sign-in key for the whole test process: an RSA key takes
// a moment to make, and any size signs (2048 bits here).
var testKey = sync.OnceValues(func() ([]byte, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
})

// KeyFile is a copy of the test process's sign-in key in a new temporary
// folder, mode 0600, as cis2.LoadOrCreateKey would leave it.
func KeyFile(tb testing.TB) string {
	tb.Helper()
	return PlaceKey(tb, filepath.Join(tb.TempDir(), "cis2-client.pem"))
}

// PlaceKey writes the test process's sign-in key at path (its folder
// made), so that the kiosk finds one and makes none.
func PlaceKey(tb testing.TB, path string) string {
	tb.Helper()
	b, err := testKey()
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// ReportLatency adds p50 and p99 in milliseconds to the benchmark's output.
func ReportLatency(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	at := func(p int) float64 {
		if len(d) == 0 {
			return 0
		}
		return float64(d[(len(d)-1)*p/100].Microseconds()) / 1000
	}
	b.ReportMetric(at(50), "p50-ms")
	b.ReportMetric(at(99), "p99-ms")
}

// DB is a real database, with the staff rule, in a temporary folder.
func DB(t testing.TB) *store.DB {
	t.Helper()
	dir := t.TempDir()
	db, err := accountability.OpenStore(filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Accountability reads db with the default configuration, in UTC.
func Accountability(t testing.TB, db *store.DB) *accountability.Accountability {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	a := accountability.NewAccountability(db, cfg, cpis.EmergencyDepartment, Quiet())
	a.Loc = time.UTC
	return a
}

// The audit fixtures' day and people.
var (
	Day   = time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC)
	Alex  = store.Event{UserID: "555000000010", UserName: "Alex Morgan", RoleID: "555000000010-01", JobRole: "Staff Nurse", OrgCode: "RXX01", Setting: "emergency-department", Codes: []string{"B0264", "B0107"}}
	SamP  = store.Event{UserID: "555000000011", UserName: "Sam Patel", RoleID: "555000000011-01", JobRole: "Receptionist", OrgCode: "RXX01", Setting: "emergency-department", Codes: []string{"B0264"}}
	Chris = store.Event{UserID: "555000000013", UserName: "Chris Taylor", RoleID: "555000000013-02", JobRole: "Paramedic", OrgCode: "RX9", Setting: "emergency-department", Codes: []string{"B0264", "B0107"}}
)

// Ev is an audit record by who at hh:mm on Day (plus days), with the
// result its words stand for.
func Ev(who store.Event, days, hh, mm int, kind, nhs, outcome string) store.Event {
	e := who
	e.At = Day.AddDate(0, 0, days).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	e.Kind, e.NHS, e.Outcome = cpis.EventKind(kind), nhs, outcome
	switch {
	case outcome == "found":
		e.Result = cpis.ResultFound
	case outcome == "signed in":
		e.Result = cpis.ResultDone
	case kind == "alert-opened" && outcome == "opened":
		e.Notified, e.Result = true, cpis.ResultNoAlert
	case strings.HasPrefix(outcome, "refused"):
		e.Result = cpis.ResultRefused
	}
	return e
}

// AuditHistory is a day of a kiosk's audit: sign-ins, a check with the
// alert opened, a refusal, downtime with a replay, a review sign-off.
func AuditHistory() []store.Event {
	replay := Ev(Chris, 0, 11, 5, "replay", "9990300011", "alert (presented 2026-06-20T10:40:00Z)")
	replay.Notified, replay.Replayed = true, true
	queued := Ev(Chris, 0, 10, 40, "queued", "9990300011", "queued: nhs-number")
	signed := store.Event{At: Day.Add(12 * time.Hour), Kind: "review-signed-off", UserName: "Sam Lead", JobRole: "Named Nurse (RXX01)",
		OrgCode: "RXX01", Setting: "emergency-department", NHS: "9990300011", Outcome: "alert"}
	login := Ev(Alex, 0, 9, 0, "login", "", "signed in")
	login.NHS = "9990276579" // not a patient event: never exported with a number
	return []store.Event{
		login,
		Ev(Alex, 0, 9, 2, "trace", "9990276579", "found"),
		Ev(Alex, 0, 9, 2, "silent-check", "9990276579", "alert present"),
		Ev(Alex, 0, 9, 3, "alert-opened", "9990276579", "opened"),
		Ev(SamP, 0, 9, 30, "login", "", "signed in"),
		Ev(SamP, 0, 9, 31, "trace", "9990275831", "found"),
		Ev(SamP, 0, 9, 32, "alert-opened", "9990275831", "refused: your role does not have code B0107, needed to open a Child Care Alert; your registration authority can add it to your smartcard"),
		Ev(Chris, 0, 10, 39, "trace", "9990300011", "spine unavailable"),
		queued,
		replay,
		signed,
		Ev(Alex, 1, 8, 0, "card-removed", "", "session ended"),
	}
}

// Append writes events to db.
func Append(t testing.TB, db *store.DB, events []store.Event) {
	t.Helper()
	for _, e := range events {
		if _, err := db.Append(e); err != nil {
			t.Fatal(err)
		}
	}
}

// MemAudit keeps audit events in memory: a fake where the test is about
// what was recorded, not how.
type MemAudit struct {
	mu     sync.Mutex
	events []store.Event
}

func (m *MemAudit) Append(e store.Event) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, e)
	return uint64(len(m.events)), nil
}

// Events are the records appended so far.
func (m *MemAudit) Events() []store.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

func (m *MemAudit) Kinds() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var k []string
	for _, e := range m.events {
		k = append(k, string(e.Kind))
	}
	return k
}

// FlipAuditByte changes one byte of audit record seq in the closed
// database, behind the store's back, as someone with the file could.
func FlipAuditByte(t testing.TB, dbPath string, seq uint64) { FlipByte(t, dbPath, "audit", seq) }

// FlipByte changes one byte of record seq of bucket ("audit", "queue") in
// the closed database, as damage on disk or someone with the file could.
func FlipByte(t testing.TB, dbPath, bucket string, seq uint64) {
	t.Helper()
	bdb, err := bbolt.Open(dbPath, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		k := binary.BigEndian.AppendUint64(nil, seq)
		v := bytes.Clone(b.Get(k))
		v[len(v)-10] ^= 0x20
		return b.Put(k, v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// PlainGet is the benchmarks' baseline: a plain net/http client of the
// sandbox, with the token, that GETs a URL with the given headers and
// decodes the body, and nothing else.
func PlainGet(tb testing.TB, s *sandbox.Server, token string) func(u string, h map[string]string) {
	pool, err := spine.LoadCA(s.CAFile())
	if err != nil {
		tb.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	return func(u string, h map[string]string) {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		var body any
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			tb.Fatalf("%d %v", resp.StatusCode, err)
		}
	}
}
