package waiting_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/app/waiting"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

func TestBackoffDoublesToItsCapWithJitter(t *testing.T) {
	b := waiting.Backoff{Min: time.Second, Max: 30 * time.Second, Rand: func() float64 { return 0.999999 }}
	top := b.New()
	b.Rand = func() float64 { return 0 }
	bottom := b.New()
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for n, w := range want {
		w *= time.Second
		if d := top.NextBackOff(); d < w-time.Millisecond || d > w {
			t.Errorf("wait %d at the top of the jitter = %v, want about %v", n, d, w)
		}
		if d := bottom.NextBackOff(); d != w/2 {
			t.Errorf("wait %d at the bottom of the jitter = %v, want %v", n, d, w/2)
		}
	}
	if d := (waiting.Backoff{}).New().NextBackOff(); d < 500*time.Millisecond || d > time.Second {
		t.Errorf("zero Backoff's first wait = %v, want DefaultBackoff's", d)
	}
	for range 1000 {
		top.NextBackOff()
	}
	if d := top.NextBackOff(); d > 30*time.Second {
		t.Errorf("wait 1000 = %v: the cap does not hold", d)
	}
	bottom.Reset()
	if d := bottom.NextBackOff(); d != time.Second/2 {
		t.Errorf("first wait after Reset = %v, want %v", d, time.Second/2)
	}
}

// changes records what OnChange hears.
type changes struct {
	mu  sync.Mutex
	got []bool
	ch  chan bool
}

func newChanges() *changes { return &changes{ch: make(chan bool, 16)} }

func (c *changes) on(live bool, _ time.Time) {
	c.mu.Lock()
	c.got = append(c.got, live)
	c.mu.Unlock()
	c.ch <- live
}

func (c *changes) next(t *testing.T, want bool) {
	t.Helper()
	select {
	case live := <-c.ch:
		if live != want {
			t.Fatalf("OnChange(live=%v), want live=%v", live, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no OnChange(live=%v)", want)
	}
}

func (c *changes) all() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bool(nil), c.got...)
}

// Each way the Spine can be down, over real HTTPS: the first failed user
// action puts the link down at once; it stays down while probes fail and
// comes back by itself when the Spine answers.
func TestLinkFollowsTheSandbox(t *testing.T) {
	for _, f := range []sandbox.Fault{
		{Mode: sandbox.FaultRefuse},
		{Mode: sandbox.Fault5xx},
		{Mode: sandbox.FaultHang},
		{Mode: sandbox.FaultMalformed},
	} {
		t.Run(f.Mode.String(), func(t *testing.T) {
			s, _, _ := kiosktest.StartSandbox(t)
			c, sess := shortClient(t, s, 300*time.Millisecond)
			probed := make(chan error, 64)
			link := waiting.NewLink(func(ctx context.Context) error {
				_, err := c.Patient(ctx, sess.Spine(), "9990276579")
				select {
				case probed <- err:
				default:
				}
				return err
			}, kiosktest.Quiet())
			link.Backoff = waiting.Backoff{Min: 10 * time.Millisecond, Max: 40 * time.Millisecond}
			ch := newChanges()
			link.OnChange = ch.on
			link.Start(context.Background())
			defer link.Shutdown(context.Background())

			s.SetFault(f)
			_, err := c.Patient(context.Background(), sess.Spine(), "9990275831") // the nurse's trace
			if !link.Failed(err) {
				t.Fatalf("Failed(%v) did not count as downtime", err)
			}
			if down, since := link.Down(); !down || since.IsZero() {
				t.Fatalf("after one failed action Down() = %v, %v", down, since)
			}
			ch.next(t, false)
			for range 3 { // probes fail while the Spine is down
				select {
				case err := <-probed:
					if err == nil {
						t.Fatal("a probe succeeded with the Spine down")
					}
				case <-time.After(10 * time.Second):
					t.Fatal("the link stopped probing")
				}
			}
			if down, _ := link.Down(); !down {
				t.Fatal("the link went live while the Spine was still down")
			}
			s.SetFault(sandbox.Fault{})
			ch.next(t, true)
			if down, _ := link.Down(); down {
				t.Error("OnChange said live but Down() says down")
			}
		})
	}
}

// A refusal with an OperationOutcome is the Spine working: it neither
// puts the link down nor keeps a probe from bringing it back.
func TestLinkRefusalIsNotDowntime(t *testing.T) {
	_, c, sess := kiosktest.StartSandbox(t)
	_, err := c.Patient(context.Background(), sess.Spine(), "9111231130")
	if !errors.Is(err, spine.ErrNotFound) {
		t.Fatalf("unknown patient: %v", err)
	}
	link := waiting.NewLink(func(ctx context.Context) error {
		_, err := c.Patient(ctx, sess.Spine(), "9111231130") // 404: the Spine answered
		return err
	}, kiosktest.Quiet())
	link.Backoff = waiting.Backoff{Min: time.Millisecond, Max: time.Millisecond}
	if link.Failed(err) || link.Failed(nil) || link.Failed(context.Canceled) {
		t.Fatal("a refusal, nil or a cancellation counted as downtime")
	}
	if down, _ := link.Down(); down {
		t.Fatal("link down after a 404")
	}
	ch := newChanges()
	link.OnChange = ch.on
	link.Start(context.Background())
	defer link.Shutdown(context.Background())
	link.Failed(&spine.Error{Op: "retrieving patient", Status: 503, Err: spine.ErrUnavailable})
	ch.next(t, false)
	ch.next(t, true)
}

// The backoff timer is a field: the probe waits follow the backoff
// schedule, and Shutdown stops the goroutine between probes.
func TestLinkProbesOnTheBackoffSchedule(t *testing.T) {
	waits := make(chan time.Duration)
	fire := make(chan time.Time)
	link := waiting.NewLink(func(context.Context) error {
		return &spine.Error{Op: "probe", Err: spine.ErrUnavailable}
	}, kiosktest.Quiet())
	link.Backoff.Rand = func() float64 { return 0 }
	link.After = func(d time.Duration) <-chan time.Time {
		waits <- d
		return fire
	}
	link.Start(context.Background())
	link.Failed(&spine.Error{Op: "retrieving patient", Err: spine.ErrUnavailable})
	for _, want := range []time.Duration{500, 1000, 2000, 4000, 8000, 15000, 15000} {
		if got := <-waits; got != want*time.Millisecond {
			t.Fatalf("probe wait %v, want %v", got, want*time.Millisecond)
		}
		fire <- time.Now()
	}
	<-waits
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := link.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// A user's success brings it back even with the prober stopped.
	link.Succeeded()
	if down, _ := link.Down(); down {
		t.Error("Succeeded did not put the link live")
	}
	if err := link.WaitLive(ctx); err != nil {
		t.Error(err)
	}
}

// shortClient is a sandbox client with a short timeout, so that a hung
// Spine fails fast.
func shortClient(t *testing.T, s *sandbox.Server, timeout time.Duration) (*spine.Client, check.Session) {
	t.Helper()
	pool, err := spine.LoadCA(s.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pds, cp := s.Bases()
	c, err := spine.New(spine.Config{PDSBase: pds, CPISBase: cp, FGMBase: s.FGMBase(), RootCAs: pool, Timeout: timeout, Log: kiosktest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	_, sess := kiosktest.ClientFor(t, s)
	return c, sess
}

// The link names the service that fails, so that CP-IS down while PDS
// answers is downtime for the check and says so: a user's call to CP-IS
// puts it down as CP-IS, the probe finding PDS gone too renames it without
// moving its since, and the return of both puts it live.
func TestLinkNamesTheFailingService(t *testing.T) {
	probes := make(chan error, 4)
	link := waiting.NewLink(func(context.Context) error { return <-probes }, kiosktest.Quiet())
	link.Backoff = waiting.Backoff{Min: time.Millisecond, Max: time.Millisecond}
	services := make(chan string, 8)
	link.OnChange = func(live bool, _ time.Time) { services <- link.Service() }
	link.Start(context.Background())
	defer link.Shutdown(context.Background())
	next := func(want string) {
		t.Helper()
		select {
		case got := <-services:
			if got != want {
				t.Fatalf("OnChange with service %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no OnChange for %q", want)
		}
	}
	link.Failed(&spine.Error{Op: "checking for a Child Care Alert", Service: "cpis", Status: 503, Err: spine.ErrUnavailable})
	next("cpis")
	_, since := link.Down()
	probes <- &spine.Error{Op: "probing pds", Service: "pds", Err: spine.ErrUnavailable}
	next("pds")
	if down, s := link.Down(); !down || !s.Equal(since) {
		t.Fatalf("after the second service failed: down %v since %v, want since %v", down, s, since)
	}
	probes <- nil
	next("")
	if down, _ := link.Down(); down {
		t.Fatal("the link stayed down after both answered")
	}
}
