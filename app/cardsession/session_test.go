package cardsession_test

import (
	"context"
	"errors"
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
)

// cardInHand is a reader with the demo user's virtual card in it, spoken
// to directly rather than through pcscd: the session's rules, not the
// PC/SC path, are under test here.
type cardInHand struct {
	events chan device.Event
	card   *device.Card
}

func newCardInHand(t *testing.T, userID string) *cardInHand {
	u, ok := vcard.Find(userID)
	if !ok {
		t.Fatalf("no virtual card %s", userID)
	}
	return &cardInHand{events: make(chan device.Event, 8), card: device.NewCard(vcard.NewCard(u), nil)}
}

func (r *cardInHand) Events() <-chan device.Event { return r.events }

func (r *cardInHand) Do(_ context.Context, fn func(*device.Card) error) error { return fn(r.card) }

// flakyIdentity is the sandbox's identity service, refusing card sign-ins
// while down is set.
type flakyIdentity struct {
	cardsession.Identity
	down atomic.Bool
}

func (f *flakyIdentity) CardLogin(ctx context.Context, user, challengeID string, sig []byte) (spine.Login, error) {
	if f.down.Load() {
		return spine.Login{}, &spine.Error{Op: "signing in", Status: 503, Err: spine.ErrUnavailable}
	}
	return f.Identity.CardLogin(ctx, user, challengeID, sig)
}

// host hears what the gatekeeper tells the controller.
type host struct {
	sessions chan check.Session // SignIn
	renewed  chan check.Session
	gates    chan cpis.Gate
}

func newHost() *host {
	return &host{sessions: make(chan check.Session, 8), renewed: make(chan check.Session, 8), gates: make(chan cpis.Gate, 32)}
}

func (h *host) SetSession(st cardsession.State, _ error) { h.gates <- st.Gate }
func (h *host) SignIn(s check.Session)                   { h.sessions <- s }
func (h *host) Renewed(s check.Session)                  { h.renewed <- s }
func (h *host) Lock(st cardsession.State)                { h.gates <- st.Gate }
func (h *host) SignOut(st cardsession.State)             { h.gates <- st.Gate }

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

// The token is renewed on the gatekeeper's timer, RenewBefore ahead of its
// expiry, while the card is in; a failed renewal keeps the session and
// tries again in 15 seconds. The timer is driven by the test: nothing
// waits for real time to pass.
func TestGatekeeperRenewsOnItsTimer(t *testing.T) {
	sb, client, _ := kiosktest.StartSandbox(t)
	vcard.Register(sb)
	now := time.Now()
	timers := make(chan timer, 8)
	id := &flakyIdentity{Identity: client}
	h := newHost()
	r := newCardInHand(t, vcard.DemoUserID)
	g := &cardsession.Gatekeeper{Reader: r, Identity: id, Audit: &kiosktest.MemAudit{}, Host: h,
		Setting: cpis.EmergencyDepartment, Log: kiosktest.Quiet(), RenewBefore: time.Minute,
		Now: func() time.Time { return now },
		After: func(d time.Duration) <-chan time.Time {
			tm := timer{d: d, fire: make(chan time.Time, 1)}
			timers <- tm
			return tm.fire
		}}
	g.Start(context.Background())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := g.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})

	r.events <- device.Event{Kind: device.EventCardInserted, Reader: "test"}
	for receive(t, h.gates, "passcode screen") != cpis.GatePasscode {
	}
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

	r.events <- device.Event{Kind: device.EventCardRemoved, Reader: "test"}
	for receive(t, h.gates, "insert-card screen") != cpis.GateInsertCard {
	}
	select {
	case tm := <-timers:
		t.Errorf("a renewal was set (%v) after the card came out", tm.d)
	default:
	}
}

// Shutdown before Start does nothing; after it, the loop is gone.
func TestGatekeeperShutdown(t *testing.T) {
	g := &cardsession.Gatekeeper{Reader: newCardInHand(t, vcard.DemoUserID), Host: newHost(), Log: kiosktest.Quiet()}
	if err := g.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown before Start = %v", err)
	}
	g.Start(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown with an ended context = %v", err)
	}
	if err := g.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
