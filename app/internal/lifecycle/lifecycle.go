// Package lifecycle runs the one goroutine of a component that owns one:
// Start begins it with a context of its own, Shutdown cancels that context
// and waits for the goroutine to return (tailscale logtail's
// shutdownStart/shutdownDone), so that nothing the goroutine uses (the
// database, the card reader) is closed under it.
package lifecycle

import (
	"context"
	"sync"
)

// Loop is one goroutine's life. The zero value is ready: embed it, or keep
// it as a field, and call Start from the owner's Start.
type Loop struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs run in a new goroutine with a context that ends with ctx or
// at Shutdown. Starting a loop that is still running is a programming
// error and panics: two goroutines would own the same state.
func (l *Loop) Start(ctx context.Context, run func(ctx context.Context)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done != nil {
		select {
		case <-l.done:
		default:
			panic("lifecycle: Start while running")
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	l.cancel, l.done = cancel, done
	go func() {
		defer close(done)
		defer cancel()
		run(ctx)
	}()
}

// Shutdown cancels the goroutine's context and waits for it to return, or
// returns ctx's error if ctx ends first (the goroutine still stops, later).
// Before Start it returns nil.
func (l *Loop) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
