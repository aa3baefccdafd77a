package controller

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/cardsession"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/device/vcard"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
	"github.com/nhs-cpis/kiosk/ui"
)

// The session tests run the real stack: pcscd with vsmartcard's vpcd, the
// Go virtual card in reader "Virtual PCD 00 01" (the device tests use 00
// 00), and the sandbox's identity service over HTTPS. CI starts pcscd; a
// run without it fails rather than skips.
const testReader = 1

// readerName is vpcd's name for its reader n.
func readerName(n int) string { return fmt.Sprintf("Virtual PCD 00 %02d", n) }

type cardRig struct {
	t      testing.TB
	k      *Kiosk
	views  *views
	audit  *kiosktest.MemAudit
	reader *device.Reader
	n      int // the vpcd reader
	cancel context.CancelFunc
}

func newCardRig(t testing.TB, idle time.Duration) *cardRig {
	return newCardRigOn(t, testReader, idle, 0)
}

// newCardRigOn is newCardRig on vpcd reader n; the benchmarks use reader 0
// so that they can run beside the tests.
func newCardRigOn(t testing.TB, n int, idle, tokenTTL time.Duration) *cardRig {
	a := &kiosktest.MemAudit{}
	rig := newCardRigWith(t, n, idle, tokenTTL, a)
	rig.audit = a
	return rig
}

// newCardRigWith is the card rig writing its audit records to audit.
func newCardRigWith(t testing.TB, n int, idle, tokenTTL time.Duration, audit check.Audit) *cardRig {
	t.Helper()
	if os.Getenv("CPIS_NO_PCSCD") == "1" {
		t.Skip("CPIS_NO_PCSCD=1: no PC/SC service on this machine")
	}
	s, c, _ := kiosktest.StartSandboxWith(t, sandbox.Options{TokenTTL: tokenTTL})
	vcard.Register(s)
	ctx, cancel := context.WithCancel(context.Background())
	r := device.NewReader(device.Options{Reader: readerName(n), Log: testLog(t)})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !r.Status().ServiceUp && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !r.Status().ServiceUp {
		t.Fatal("pcscd is not running: start it (scripts/test does) or set CPIS_NO_PCSCD=1 where it cannot run")
	}
	chk := &check.Checker{Spine: c, Audit: audit, Setting: cpis.EmergencyDepartment, Now: time.Now, Log: kiosktest.Quiet()}
	v := newViews()
	k := NewKiosk(chk, ui.Banner{}, config.DefaultRoute, idle, v.show, kiosktest.Quiet())
	id, https := kiosktest.IdentityFor(t, s)
	g := &cardsession.Gatekeeper{Reader: r, Identity: id, Sandbox: https, ReaderName: readerName(n), Audit: audit,
		Host: SessionHost{k}, Setting: cpis.EmergencyDepartment, Log: testLog(t), Now: time.Now}
	if tokenTTL > 0 {
		g.RenewBefore = tokenTTL / 2
	}
	k.UseGate(g)
	g.Start(ctx)
	t.Cleanup(func() {
		cancel()
		sctx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		g.Shutdown(sctx)
		r.Shutdown(sctx)
		k.Shutdown()
	})
	return &cardRig{t: t, k: k, views: v, reader: r, n: n, cancel: cancel}
}

// insert puts a user's virtual card in the test reader until the returned
// func pulls it out.
func (rig *cardRig) insert(id string) (pull func()) {
	u, ok := vcard.Find(id)
	if !ok {
		rig.t.Fatalf("no virtual card %s", id)
	}
	// The last test's card may not have been seen leaving yet: start from
	// an empty reader, as a person would.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		empty := false
		for _, ri := range rig.reader.Status().Readers {
			if ri.Name == readerName(rig.n) && !ri.CardPresent {
				empty = true
			}
		}
		if empty {
			break
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		vcard.Insert(ctx, vcard.Addr(rig.n), vcard.NewCard(u))
	}()
	pull = sync.OnceFunc(func() { cancel(); <-done })
	// A test that stops early still leaves the reader empty for the next.
	rig.t.Cleanup(pull)
	return pull
}

// pullAndWait pulls the card and waits until the kiosk has seen it go, so
// the next test starts with an empty reader.
func (rig *cardRig) pullAndWait(pull func()) {
	pull()
	rig.gate(cpis.GateInsertCard)
}

func (rig *cardRig) gate(g cpis.Gate) ui.View {
	rig.t.Helper()
	return waitFor(rig.t, rig.views, "gate "+gateName(g), func(v ui.View) bool { return v.Session.Gate == g })
}

// testLog sends log lines to the test's own output, shown on failure.
func testLog(t testing.TB) logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(tWriter{t})
	l.SetLevel(logrus.DebugLevel)
	return l
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func gateName(g cpis.Gate) string {
	return [...]string{"open", "starting", "no reader", "insert card", "passcode", "choose role", "locked", "refused"}[g]
}

const nurseCard, clerkCard, silentCard, twoRoleCard, blockedCard = "555000000010", "555000000011", "555000000012", "555000000013", "555000000014"

func TestSessionCardLifecycle(t *testing.T) {
	rig := newCardRig(t, 0)
	rig.gate(cpis.GateInsertCard)
	pull := rig.insert(nurseCard)
	rig.gate(cpis.GatePasscode)

	rig.k.SubmitPasscode("0000")
	v := waitFor(t, rig.views, "tries left", func(v ui.View) bool { return v.Session.TriesLeft > 0 })
	if v.Session.TriesLeft != 2 {
		t.Errorf("tries left %d, want 2", v.Session.TriesLeft)
	}
	rig.k.SubmitPasscode("1234")
	open := rig.gate(cpis.GateOpen)
	if open.Banner.User == "" || !strings.Contains(open.Banner.Role, "Staff Nurse") {
		t.Fatalf("banner after sign-in: %+v", open.Banner)
	}

	rig.k.TraceNHS("9990276579")
	pv := waitFor(t, rig.views, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	if pv.Patient == nil || !pv.CanOpen {
		t.Fatalf("traced with the card's session: patient %v canOpen %v", pv.Patient, pv.CanOpen)
	}

	pull()
	wiped := rig.gate(cpis.GateInsertCard)
	if wiped.Patient != nil || wiped.Opened != nil || wiped.Banner.User != "" {
		t.Fatal("the card came out but the patient or the user is still in the View")
	}
	// Guide step 27, routine audit: logins, failed passcodes and removals are recorded.
	kinds := strings.Join(rig.audit.Kinds(), ",")
	for _, want := range []string{"passcode-failed", "login", "trace", "card-removed"} {
		if !strings.Contains(kinds, want) {
			t.Errorf("audit %s lacks %s", kinds, want)
		}
	}

	// A colleague's card starts a clean session.
	pull = rig.insert(clerkCard)
	defer rig.pullAndWait(pull)
	rig.gate(cpis.GatePasscode)
	rig.k.SubmitPasscode("2345")
	v = rig.gate(cpis.GateOpen)
	if v.Patient != nil || !strings.Contains(v.Banner.Role, "Receptionist") {
		t.Fatalf("the second user's session: %+v", v.Banner)
	}
	rig.k.TraceNHS("9990276579")
	pv = waitFor(t, rig.views, "the clerk's patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	if pv.CanOpen {
		t.Error("a role without B0107 may open the alert")
	}
}

func TestSessionRolesAndRefusals(t *testing.T) {
	rig := newCardRig(t, 0)
	rig.gate(cpis.GateInsertCard)

	pull := rig.insert(twoRoleCard)
	rig.gate(cpis.GatePasscode)
	rig.k.SubmitPasscode("4567")
	v := rig.gate(cpis.GateChooseRole)
	if len(v.Session.Roles) != 2 {
		t.Fatalf("roles %+v", v.Session.Roles)
	}
	chosen := v.Session.Roles[1]
	rig.k.ChooseRole(chosen.ID)
	v = rig.gate(cpis.GateOpen)
	if !strings.Contains(v.Banner.Role, chosen.OrgName) {
		t.Errorf("chose the second role, banner says %q", v.Banner.Role)
	}
	pull()
	rig.gate(cpis.GateInsertCard)

	// B0170 only: "CP-IS must not be used in scheduled care settings".
	pull = rig.insert(silentCard)
	rig.gate(cpis.GatePasscode)
	rig.k.SubmitPasscode("3456")
	v = rig.gate(cpis.GateRefused)
	if v.Message == nil || !strings.Contains(v.Message.Body, "B0170") {
		t.Errorf("B0170-only refusal: %+v", v.Message)
	}
	pull()
	rig.gate(cpis.GateInsertCard)

	// A blocked card refuses even to be read: the kiosk says so at once.
	pull = rig.insert(blockedCard)
	defer rig.pullAndWait(pull)
	v = rig.gate(cpis.GateRefused)
	if v.Message == nil || !strings.Contains(v.Message.Title, "locked") {
		t.Errorf("blocked card: %+v", v.Message)
	}
}

func TestSessionIdleLocksAndPasscodeUnlocks(t *testing.T) {
	rig := newCardRig(t, 300*time.Millisecond)
	rig.gate(cpis.GateInsertCard)
	pull := rig.insert(nurseCard)
	defer rig.pullAndWait(pull)
	rig.gate(cpis.GatePasscode)
	rig.k.SubmitPasscode("1234")
	rig.gate(cpis.GateOpen)
	rig.k.TraceNHS("9990276579")
	waitFor(t, rig.views, "the patient", func(v ui.View) bool { return v.Patient != nil })
	locked := rig.gate(cpis.GateLocked)
	if locked.Patient != nil {
		t.Fatal("the lock left the patient in the View")
	}
	rig.k.SubmitPasscode("1234")
	rig.gate(cpis.GateOpen)
	if !strings.Contains(strings.Join(rig.audit.Kinds(), ","), "lock,unlock") {
		t.Errorf("audit %v lacks lock then unlock", rig.audit.Kinds())
	}
}

// "Tokens expire; the kiosk renews while the card is in and never after it
// is out."
func TestSessionRenewsTokenWhileCardIn(t *testing.T) {
	const ttl = 3 * time.Second
	rig := newCardRigOn(t, testReader, 0, ttl)
	rig.gate(cpis.GateInsertCard)
	pull := rig.insert(nurseCard)
	rig.gate(cpis.GatePasscode)
	rig.k.SubmitPasscode("1234")
	rig.gate(cpis.GateOpen)
	first, signedIn := rig.token(), time.Now()
	// Renewed, and renewed again: by then the first token has expired, and
	// the session runs on its renewals. The deadline only stops a broken
	// test from hanging.
	seen := map[string]bool{first: true}
	for deadline := time.Now().Add(4 * ttl); len(seen) < 3 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		if tok := rig.token(); tok != "" {
			seen[tok] = true
		}
	}
	if len(seen) < 3 {
		t.Fatalf("the token was renewed %d times while the card was in, want at least 2", len(seen)-1)
	}
	if time.Since(signedIn) < ttl {
		t.Fatalf("the second renewal came %s after sign-in, before the first token expired", time.Since(signedIn))
	}
	rig.k.TraceNHS("9990276579")
	if pv := waitFor(t, rig.views, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient || v.Message != nil }); pv.Screen != ui.ScreenPatient {
		t.Fatalf("trace with the renewed token: %+v", pv.Message)
	}
	rig.pullAndWait(pull)
	if rig.token() != "" {
		t.Fatal("a token outlived the card")
	}
}

func (rig *cardRig) token() string {
	rig.k.mu.Lock()
	defer rig.k.mu.Unlock()
	if rig.k.sess == nil {
		return ""
	}
	return rig.k.sess.Token
}
