package device

// Do and the loop's side of it: card work handed to the loop goroutine,
// which alone may use the card handle, and answered from there.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// errPanicked stands for the result of a function given to Do that
// panicked; Do panics again with the original value instead.
var errPanicked = errors.New("the card function panicked")

type request struct {
	in    string // the reader's exact name; empty: as Options.Reader picks
	fn    func(*Card) error
	done  chan error
	panic any // what fn panicked with, to panic again in Do's goroutine
}

// Do runs fn on the loop's goroutine with the card connected (exclusively,
// T=1 or T=0), and returns fn's error. The card is the one in the reader
// chosen by Options.Reader, or in the first reader holding one. Without
// one Do returns ErrServiceDown, ErrNoReader or ErrNoCard; a card taken
// out during fn makes its commands fail with ErrCardRemoved.
//
// The connection is kept between calls, so a passcode verified in one Do
// still holds in the next, until the card is removed. fn must return
// promptly (the loop watches nothing while it runs), must not call Do, and
// must not call runtime.Goexit (so no t.Fatal inside it); a panic in fn is
// raised again in Do's goroutine. Once fn has started, Do waits for it
// whatever ctx says.
func (r *Reader) Do(ctx context.Context, fn func(c *Card) error) error {
	return r.DoIn(ctx, "", fn)
}

// DoIn is Do with the card in the named reader (its exact name, as events
// give it), whatever other readers hold: a session is bound to the reader
// its card went into. An empty name picks as Do does.
func (r *Reader) DoIn(ctx context.Context, reader string, fn func(c *Card) error) error {
	if !r.isStarted() {
		return errors.New("using card: the card reader has not been started")
	}
	req := &request{in: reader, fn: fn, done: make(chan error, 1)}
	r.kick()
	t := time.NewTicker(kickEvery)
	defer t.Stop()
	for {
		select {
		case r.reqs <- req:
			err := <-req.done
			if req.panic != nil {
				panic(req.panic)
			}
			return err
		case <-t.C:
			r.kick()
		case <-ctx.Done():
			return ctx.Err()
		case <-r.done:
			return fmt.Errorf("using card: %w", errShutDown)
		}
	}
}

// idle waits d, running Do requests meanwhile, and returns early when the
// loop is stopped.
func (r *Reader) idle(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		r.flush()
		select {
		case <-r.stop:
			return
		case <-t.C:
			return
		case req := <-r.reqs:
			r.handle(req)
		}
	}
}

// serveWaiting runs the Do requests already waiting.
func (r *Reader) serveWaiting() {
	for {
		select {
		case req := <-r.reqs:
			r.handle(req)
		default:
			return
		}
	}
}

// handle answers one Do request. A panic in the caller's function is
// handed back to Do, so that it neither kills the loop nor leaves Do
// waiting.
func (r *Reader) handle(req *request) {
	defer func() {
		if p := recover(); p != nil {
			req.panic = p
			req.done <- errPanicked
		}
	}()
	req.done <- r.serve(req.in, req.fn)
}

// pick chooses the reader for Do: the one named, or else the first that
// Options.Reader allows with a card in it.
func (r *Reader) pick(in string) (string, error) {
	if in != "" {
		rs, ok := r.readers[in]
		switch {
		case !ok:
			return "", ErrNoReader
		case !rs.present:
			return "", ErrNoCard
		}
		return in, nil
	}
	found := false
	for _, name := range r.order {
		if r.opts.Reader != "" && !strings.Contains(name, r.opts.Reader) {
			continue
		}
		found = true
		if r.readers[name].present {
			return name, nil
		}
	}
	if !found {
		return "", ErrNoReader
	}
	return "", ErrNoCard
}
