package device_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/device/vcard"
)

func startReader(t testing.TB, opts device.Options, setup ...func(*device.Reader)) *device.Reader {
	t.Helper()
	r := device.NewReader(opts)
	for _, f := range setup {
		f(r)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return r
}

// next waits for the next event of a kind for the reader ("" for any),
// skipping others.
func next(t testing.TB, r *device.Reader, kind device.EventKind, reader string) device.Event {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case e, ok := <-r.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %v", kind)
			}
			if e.Kind == kind && (reader == "" || e.Reader == reader) {
				return e
			}
		case <-timeout:
			t.Fatalf("no %v event for %q within %v", kind, reader, wait)
		}
	}
}

// insert puts a card in the vpcd reader until the returned function is
// called; that function returns once the card is out of the socket. The
// test's cleanup also waits until pcscd has seen the reader empty, so that
// the next test starts from a quiet reader.
func insert(t testing.TB, card *vcard.Card) (remove func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- vcard.Insert(ctx, vpcdAddr, card) }()
	var once bool
	remove = func() {
		if once {
			return
		}
		once = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Insert: %v", err)
		}
	}
	t.Cleanup(func() {
		remove()
		waitEmpty(t)
	})
	return remove
}

func do(t *testing.T, r *device.Reader, fn func(c *device.Card) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return r.Do(ctx, fn)
}

// The whole path through real pcscd: events, the protocol through Do, a
// card pulled out mid-operation, and Do without a card.
func TestReaderWithVirtualCard(t *testing.T) {
	needPCSCD(t)
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	r := startReader(t, device.Options{Log: log, Reader: vpcdReader})
	next(t, r, device.EventReaderAdded, vpcdReader)
	if err := do(t, r, func(c *device.Card) error { return c.Select() }); !errors.Is(err, device.ErrNoCard) {
		t.Fatalf("Do with no card = %v, want ErrNoCard", err)
	}

	u, _ := vcard.Find(vcard.DemoUserID)
	card := vcard.NewCard(u)
	remove := insert(t, card)
	e := next(t, r, device.EventCardInserted, vpcdReader)
	if !bytes.Equal(e.ATR, card.ATR()) {
		t.Errorf("inserted ATR % X, want % X", e.ATR, card.ATR())
	}
	if e.At.IsZero() {
		t.Error("event without a time")
	}
	st := r.Status()
	i := slices.IndexFunc(st.Readers, func(ri device.ReaderInfo) bool { return ri.Name == vpcdReader })
	if !st.ServiceUp || !st.HotPlug || i < 0 || !st.Readers[i].CardPresent || !bytes.Equal(st.Readers[i].ATR, card.ATR()) {
		t.Errorf("Status = %+v, want the service up with hot-plug and the card in %s", st, vpcdReader)
	}

	if err := do(t, r, func(c *device.Card) error { return runProtocol(c, u) }); err != nil {
		t.Fatalf("Do: %v", err)
	}
	// The connection, and so the verification, holds from one Do to the next.
	if err := do(t, r, func(c *device.Card) error {
		if err := c.Select(); err != nil {
			return err
		}
		_, err := c.Sign([]byte("a second challenge"))
		return err
	}); err != nil {
		t.Fatalf("Sign in a second Do: %v", err)
	}

	// The card comes out in the middle of an operation.
	err := do(t, r, func(c *device.Card) error {
		if err := c.Select(); err != nil {
			return err
		}
		remove()
		_, err := c.Certificate()
		return err
	})
	if !errors.Is(err, device.ErrCardRemoved) {
		t.Fatalf("Certificate with the card pulled out = %v, want ErrCardRemoved", err)
	}
	next(t, r, device.EventCardRemoved, vpcdReader)
	if err := do(t, r, func(c *device.Card) error { return c.Select() }); !errors.Is(err, device.ErrNoCard) {
		t.Fatalf("Do after removal = %v, want ErrNoCard", err)
	}

	// A card in again is a fresh card: nothing verified.
	insert(t, card)
	next(t, r, device.EventCardInserted, vpcdReader)
	err = do(t, r, func(c *device.Card) error {
		if err := c.Select(); err != nil {
			return err
		}
		_, err := c.Sign([]byte("x"))
		return err
	})
	if !errors.Is(err, device.ErrNotVerified) {
		t.Fatalf("Sign on a reinserted card = %v, want ErrNotVerified", err)
	}
	checkNoSecrets(t, hook.AllEntries(), nil, []string{u.Passcode})
}

// A panic in the function given to Do comes back in the caller's
// goroutine, and the loop carries on.
func TestReaderDoPanics(t *testing.T) {
	needPCSCD(t)
	r := startReader(t, device.Options{Reader: vpcdReader})
	next(t, r, device.EventReaderAdded, vpcdReader)
	insert(t, vcard.NewCard(vcard.Users[0]))
	next(t, r, device.EventCardInserted, vpcdReader)
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want boom", p)
			}
		}()
		_ = do(t, r, func(c *device.Card) error { panic("boom") })
	}()
	if err := do(t, r, func(c *device.Card) error { return c.Select() }); err != nil {
		t.Fatalf("Do after a panic: %v", err)
	}
}

// Do with a reader name that matches nothing is ErrNoReader.
func TestReaderNoSuchReader(t *testing.T) {
	needPCSCD(t)
	r := startReader(t, device.Options{Reader: "No Such Reader"})
	next(t, r, device.EventReaderAdded, vpcdReader)
	if err := do(t, r, func(c *device.Card) error { return nil }); !errors.Is(err, device.ErrNoReader) {
		t.Fatalf("Do = %v, want ErrNoReader", err)
	}
}

// Without the PnP pseudo-reader the loop lists readers every Poll and still
// sees cards come and go.
func TestReaderPollingFallback(t *testing.T) {
	needPCSCD(t)
	r := startReader(t, device.Options{Reader: vpcdReader, Poll: 200 * time.Millisecond}, device.ForcePolling)
	next(t, r, device.EventReaderAdded, vpcdReader)
	if r.Status().HotPlug {
		t.Error("Status says hot-plug while polling")
	}
	u, _ := vcard.Find("555000000011")
	remove := insert(t, vcard.NewCard(u))
	next(t, r, device.EventCardInserted, vpcdReader)
	if err := do(t, r, func(c *device.Card) error {
		if err := c.Select(); err != nil {
			return err
		}
		id, err := c.UserID()
		if err == nil && id != u.ID {
			t.Errorf("UserID = %s, want %s", id, u.ID)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	remove()
	next(t, r, device.EventCardRemoved, vpcdReader)
}

// Shutdown cancels the blocking GetStatusChange rather than wait for it,
// and closes the events.
func TestReaderShutdown(t *testing.T) {
	needPCSCD(t)
	r := device.NewReader(device.Options{Poll: time.Second})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	next(t, r, device.EventReaderAdded, vpcdReader)
	time.Sleep(100 * time.Millisecond) // into GetStatusChange
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	start := time.Now()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	t.Logf("Shutdown took %v with a 1s GetStatusChange timeout", time.Since(start))
	for range r.Events() {
	}
	if err := r.Do(ctx, func(*device.Card) error { return nil }); err == nil {
		t.Error("Do after Shutdown succeeded")
	}
	if err := r.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

// Start's context ends the loop too.
func TestReaderStartContext(t *testing.T) {
	needPCSCD(t)
	r := device.NewReader(device.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err == nil {
		t.Error("second Start succeeded")
	}
	next(t, r, device.EventReaderAdded, vpcdReader)
	cancel()
	timeout := time.After(wait)
	for {
		select {
		case _, ok := <-r.Events():
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the loop did not end with Start's context")
		}
	}
}

// pcscd restarted under a running Reader: the card is reported removed,
// the service down and up again, and the card seen again.
func TestReaderServiceRestart(t *testing.T) {
	needPCSCD(t)
	r := startReader(t, device.Options{Reader: vpcdReader}, func(r *device.Reader) {
		device.SetServiceRetry(r, 200*time.Millisecond)
	})
	next(t, r, device.EventReaderAdded, vpcdReader)

	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- vcard.Run(ctx, vcard.DemoUserID, vpcdAddr, nil) }()
	defer func() {
		cancel()
		if err := <-runDone; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	next(t, r, device.EventCardInserted, vpcdReader)

	restartPCSCD(t)
	next(t, r, device.EventCardRemoved, vpcdReader)
	next(t, r, device.EventServiceDown, "")
	next(t, r, device.EventServiceUp, "")
	next(t, r, device.EventReaderAdded, vpcdReader)
	e := next(t, r, device.EventCardInserted, vpcdReader)
	if len(e.ATR) == 0 {
		t.Error("card seen again without its ATR")
	}
	u, _ := vcard.Find(vcard.DemoUserID)
	if err := do(t, r, func(c *device.Card) error { return runProtocol(c, u) }); err != nil {
		t.Fatalf("Do after the restart: %v", err)
	}
}

// With pcscd stopped the Reader says so, once, answers Do with
// ErrServiceDown, and picks the service up when it starts.
func TestReaderServiceDownAtStart(t *testing.T) {
	needPCSCD(t)
	stopPCSCD(t)
	t.Cleanup(func() {
		if pcscdReady() != nil {
			startPCSCD(t)
		}
	})
	r := startReader(t, device.Options{Reader: vpcdReader}, func(r *device.Reader) {
		device.SetServiceRetry(r, 100*time.Millisecond)
	})
	downs := 0
	if e := <-r.Events(); e.Kind == device.EventServiceDown {
		downs++
	} else {
		t.Fatalf("first event %v, want service down", e.Kind)
	}
	if st := r.Status(); st.ServiceUp || st.LastError == nil || len(st.Readers) != 0 {
		t.Errorf("Status with pcscd stopped = %+v", st)
	}
	if err := do(t, r, func(*device.Card) error { return nil }); !errors.Is(err, device.ErrServiceDown) {
		t.Fatalf("Do with pcscd stopped = %v, want ErrServiceDown", err)
	}
	time.Sleep(300 * time.Millisecond) // a few retries
	startPCSCD(t)
	timeout := time.After(wait)
	for up := false; !up; {
		select {
		case e := <-r.Events():
			switch e.Kind {
			case device.EventServiceDown:
				downs++
			case device.EventServiceUp:
				up = true
			}
		case <-timeout:
			t.Fatal("no service up event")
		}
	}
	if downs != 1 {
		t.Errorf("%d service down events for one outage, want 1", downs)
	}
	next(t, r, device.EventReaderAdded, vpcdReader)
	if st := r.Status(); !st.ServiceUp {
		t.Errorf("Status after pcscd started = %+v", st)
	}
}
