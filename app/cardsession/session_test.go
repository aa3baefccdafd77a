package cardsession_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/cardsession"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/device/vcard"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/cis2"
)

// readers are smartcard readers with virtual cards in them, spoken to
// directly rather than through pcscd: the session's rules, not the PC/SC
// path, are under test here (the PC/SC path: device's pcscd tests and
// scripts/e2e).
type readers struct {
	events chan device.Event
	cards  map[string]*device.Card
	used   chan string // the reader each card command went to
}

func newReaders() *readers {
	return &readers{events: make(chan device.Event, 8), cards: map[string]*device.Card{}, used: make(chan string, 64)}
}

// insert puts a user's virtual card in a reader and says so.
func (r *readers) insert(t *testing.T, reader, userID string) {
	t.Helper()
	u, ok := vcard.Find(userID)
	if !ok {
		t.Fatalf("no virtual card %s", userID)
	}
	r.cards[reader] = device.NewCard(vcard.NewCard(u), nil)
	r.events <- device.Event{Kind: device.EventCardInserted, Reader: reader}
}

func (r *readers) pull(reader string) {
	r.events <- device.Event{Kind: device.EventCardRemoved, Reader: reader}
}

func (r *readers) Events() <-chan device.Event { return r.events }

func (r *readers) DoIn(_ context.Context, reader string, fn func(*device.Card) error) error {
	r.used <- reader
	c, ok := r.cards[reader]
	if !ok {
		return device.ErrNoCard
	}
	return fn(c)
}

// flakyIdentity is a sign-in whose renewals fail while down is set.
type flakyIdentity struct {
	cardsession.Identity
	down atomic.Bool
}

func (f *flakyIdentity) Renew(ctx context.Context, a cis2.Access) (cis2.Access, error) {
	if f.down.Load() {
		return cis2.Access{}, &cis2.Error{Step: "renewing", Err: cis2.ErrUnreachable}
	}
	return f.Identity.Renew(ctx, a)
}

// seen is one thing the gatekeeper told the controller about the session.
type seen struct {
	gate    cpis.Gate
	problem error
}

// host hears what the gatekeeper tells the controller.
type host struct {
	sessions chan check.Session // SignIn
	renewed  chan check.Session
	gates    chan seen
	signOuts atomic.Int32
}

func newHost() *host {
	return &host{sessions: make(chan check.Session, 8), renewed: make(chan check.Session, 8), gates: make(chan seen, 64)}
}

func (h *host) SetSession(st cardsession.State, p error) { h.gates <- seen{st.Gate, p} }
func (h *host) SignIn(s check.Session)                   { h.sessions <- s }
func (h *host) Renewed(s check.Session)                  { h.renewed <- s }
func (h *host) Lock(st cardsession.State)                { h.gates <- seen{gate: st.Gate} }
func (h *host) SignOut(st cardsession.State) {
	h.signOuts.Add(1)
	h.gates <- seen{gate: st.Gate}
}

// until waits for the session to reach a gate, and says what it was told
// there.
func (h *host) until(t *testing.T, g cpis.Gate) seen {
	t.Helper()
	for {
		if s := receive(t, h.gates, fmt.Sprintf("gate %d", g)); s.gate == g {
			return s
		}
	}
}

// drain forgets what the gatekeeper has said so far.
func (h *host) drain() {
	for len(h.gates) > 0 {
		<-h.gates
	}
}

// quiet fails when the gatekeeper says anything within a moment.
func (h *host) quiet(t *testing.T, what string) {
	t.Helper()
	select {
	case s := <-h.gates:
		t.Fatalf("%s: the session moved to %v (%v)", what, s.gate, s.problem)
	case s := <-h.sessions:
		t.Fatalf("%s: a session began for %s", what, s.User.ID)
	case <-time.After(300 * time.Millisecond):
	}
}

// timer is one wait the gatekeeper asked its After for.
type timer struct {
	d    time.Duration
	fire chan time.Time
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// start runs a gatekeeper until the test ends.
func start(t *testing.T, g *cardsession.Gatekeeper) {
	t.Helper()
	if g.Audit == nil {
		g.Audit = &kiosktest.MemAudit{}
	}
	g.Setting, g.Log = cpis.EmergencyDepartment, kiosktest.Quiet()
	g.Start(context.Background())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := g.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
}

// sandboxGate is a gatekeeper on the embedded sandbox's CIS2, its
// authenticator the virtual cards in r.
func sandboxGate(t *testing.T, r *readers, h *host) *cardsession.Gatekeeper {
	sb, _, _ := kiosktest.StartSandbox(t)
	vcard.Register(sb)
	id, https := kiosktest.IdentityFor(t, sb)
	return &cardsession.Gatekeeper{Reader: r, Identity: id, Sandbox: https, Host: h}
}

// The token is renewed on the gatekeeper's timer, RenewBefore ahead of its
// expiry, while the card is in; a failed renewal keeps the session and
// tries again in 15 seconds. The timer is driven by the test: nothing
// waits for real time to pass.
func TestGatekeeperRenewsOnItsTimer(t *testing.T) {
	now := time.Now()
	timers := make(chan timer, 8)
	h, r := newHost(), newReaders()
	g := sandboxGate(t, r, h)
	id := &flakyIdentity{Identity: g.Identity}
	g.Identity, g.RenewBefore = id, time.Minute
	g.Now = func() time.Time { return now }
	g.After = func(d time.Duration) <-chan time.Time {
		tm := timer{d: d, fire: make(chan time.Time, 1)}
		timers <- tm
		return tm.fire
	}
	start(t, g)

	r.insert(t, "test", vcard.DemoUserID)
	h.until(t, cpis.GatePasscode)
	g.Passcode("1234")
	first := receive(t, h.sessions, "sign-in")
	tm := receive(t, timers, "renewal timer")
	if want := first.Expires.Sub(now) - time.Minute; tm.d != want {
		t.Errorf("renewal after %v, want %v (a minute before the token expires)", tm.d, want)
	}

	id.down.Store(true)
	tm.fire <- now
	retry := receive(t, timers, "retry timer")
	if retry.d != 15*time.Second {
		t.Errorf("after a failed renewal the retry waits %v, want 15s", retry.d)
	}
	id.down.Store(false)
	retry.fire <- now
	renewed := receive(t, h.renewed, "renewal")
	if renewed.Token == "" || renewed.Token == first.Token || renewed.Role.ID != first.Role.ID {
		t.Errorf("renewed session %+v after %+v: want a new token for the same role", renewed, first)
	}
	receive(t, timers, "next renewal timer")

	r.pull("test")
	h.until(t, cpis.GateInsertCard)
	select {
	case tm := <-timers:
		t.Errorf("a renewal was set (%v) after the card came out", tm.d)
	default:
	}
}

// The session is bound to the reader its card went into: a second card in
// another reader neither ends it nor starts another, and pulling that
// card out ends nothing; the card commands go to the bound reader only.
// With `reader` set, a card in any other reader is ignored from the start
// (the two-reader report: a second card ended the first user's
// session).
func TestSessionBoundToItsReader(t *testing.T) {
	h, r := newHost(), newReaders()
	g := sandboxGate(t, r, h)
	start(t, g)

	r.insert(t, "Reader A", vcard.DemoUserID)
	h.until(t, cpis.GatePasscode)
	g.Passcode("1234")
	s := receive(t, h.sessions, "sign-in")
	h.drain()
	r.insert(t, "Reader B", "555000000011")
	h.quiet(t, "a card in another reader")
	r.pull("Reader B")
	h.quiet(t, "a card pulled from another reader")
	if n := h.signOuts.Load(); n != 0 {
		t.Fatalf("%d sign-outs while the session's card stayed in", n)
	}
	for len(r.used) > 0 {
		if in := <-r.used; in != "Reader A" {
			t.Errorf("a card command went to %q, not the session's reader", in)
		}
	}
	r.pull("Reader A")
	h.until(t, cpis.GateInsertCard)
	if s.User.ID != vcard.DemoUserID {
		t.Errorf("signed in %s, want the card in Reader A's holder", s.User.ID)
	}

	h2, r2 := newHost(), newReaders()
	g2 := sandboxGate(t, r2, h2)
	g2.ReaderName = "Reader B"
	start(t, g2)
	h2.until(t, cpis.GateNoReader)
	r2.insert(t, "Reader A", vcard.DemoUserID)
	h2.quiet(t, "a card in a reader the setting leaves out")
	r2.insert(t, "Reader B", vcard.DemoUserID)
	h2.until(t, cpis.GatePasscode)
}

// A wrong passcode at the sandbox's authenticator says how many tries are
// left, and nothing is signed in; the right one then signs in.
func TestWrongPasscodeKeepsTriesLeft(t *testing.T) {
	h, r := newHost(), newReaders()
	g := sandboxGate(t, r, h)
	start(t, g)
	r.insert(t, "test", vcard.DemoUserID)
	h.until(t, cpis.GatePasscode)
	g.Passcode("0000")
	if s := h.until(t, cpis.GatePasscode); s.problem != nil {
		t.Fatalf("a wrong passcode: %v", s.problem)
	}
	select {
	case s := <-h.sessions:
		t.Fatalf("signed in %s with a wrong passcode", s.User.ID)
	default:
	}
	g.Passcode("1234")
	receive(t, h.sessions, "sign-in with the right passcode")
}

// The gate's use of the sign-in when it goes wrong: whatever the cause,
// the user is told in the session's words and the kiosk goes back to
// "insert your card" with nobody signed in.
func TestSignInThatDoesNotFinish(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(g *cardsession.Gatekeeper, r *readers)
		want error
	}{
		{"the card pulled mid-way", func(_ *cardsession.Gatekeeper, r *readers) { r.pull("test") }, nil},
		{"cancelled", func(g *cardsession.Gatekeeper, _ *readers) { g.Cancel() }, cardsession.ErrCancelled},
		{"the browser never comes back", func(*cardsession.Gatekeeper, *readers) {}, cis2.ErrNoCallback},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, r := newHost(), newReaders()
			g := sandboxGate(t, r, h)
			g.Browser, g.SignInWait = stuckBrowser{}, time.Second
			start(t, g)
			r.insert(t, "test", vcard.DemoUserID)
			h.until(t, cpis.GateSigningIn)
			tc.do(g, r)
			s := h.until(t, cpis.GateInsertCard)
			if tc.want != nil && !errors.Is(s.problem, tc.want) {
				t.Errorf("told %v, want %v", s.problem, tc.want)
			}
			h.quiet(t, "after the sign-in ended")
		})
	}
}

// stuckBrowser is a browser that opens and never comes back: closed by
// the user, say.
type stuckBrowser struct{}

func (stuckBrowser) Open(context.Context, string) error { return nil }

// followingBrowser is a browser in which the user signs in at once: it
// follows the provider's redirects to the kiosk's loopback.
type followingBrowser struct{ http *http.Client }

func (b followingBrowser) Open(ctx context.Context, authURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return err
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// A PDS check needs the API platform's token, not CIS2's: the session's
// token is accepted by the sandbox's PDS.
func TestSessionTokenIsAcceptedByPDS(t *testing.T) {
	h, r := newHost(), newReaders()
	sb, client, _ := kiosktest.StartSandbox(t)
	vcard.Register(sb)
	id, https := kiosktest.IdentityFor(t, sb)
	g := &cardsession.Gatekeeper{Reader: r, Identity: id, Sandbox: https, Host: h}
	start(t, g)
	r.insert(t, "test", vcard.DemoUserID)
	h.until(t, cpis.GatePasscode)
	g.Passcode("1234")
	s := receive(t, h.sessions, "sign-in")
	if _, err := client.Patient(context.Background(), spine.Session{Token: s.Token, RoleID: s.Role.ID, ODS: s.Role.OrgCode}, "9990276579"); err != nil {
		t.Fatalf("PDS with the session's token: %v", err)
	}
}
