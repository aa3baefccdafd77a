package lifecycle

import (
	"context"
	"errors"
	"testing"
)

// Shutdown cancels the loop's context and returns only once the loop has.
func TestShutdownWaitsForTheLoop(t *testing.T) {
	var l Loop
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown before Start = %v", err)
	}
	started, returned := make(chan struct{}), make(chan struct{})
	release := make(chan struct{})
	l.Start(context.Background(), func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		<-release // the loop finishing its last piece of work
		close(returned)
	})
	<-started
	errc := make(chan error)
	go func() { errc <- l.Shutdown(context.Background()) }()
	close(release)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	select {
	case <-returned:
	default:
		t.Fatal("Shutdown returned before the loop")
	}
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown = %v", err)
	}
}

// A loop that does not stop in time gives the caller's deadline back, and
// the loop may be started again once it has stopped.
func TestShutdownGivesUpWithItsContext(t *testing.T) {
	var l Loop
	release := make(chan struct{})
	l.Start(context.Background(), func(ctx context.Context) {
		<-ctx.Done()
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown with an ended context = %v, want context.Canceled", err)
	}
	close(release)
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	l.Start(context.Background(), func(context.Context) { close(ran) })
	<-ran
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The parent context ending stops the loop too; starting a running loop
// twice is refused.
func TestParentContextAndDoubleStart(t *testing.T) {
	var l Loop
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	l.Start(ctx, func(ctx context.Context) {
		<-ctx.Done()
		close(stopped)
	})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a second Start while running did not panic")
			}
		}()
		l.Start(context.Background(), func(context.Context) {})
	}()
	cancel()
	<-stopped
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
