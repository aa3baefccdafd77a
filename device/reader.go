package device

// The Reader's life: options, Start and Shutdown, and waking the loop.
// Do is in do.go, and what the loop does with PC/SC in pcsc.go.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// Options configure a Reader.
type Options struct {
	// Log receives the reader's log lines (a "component" field is added).
	// Nil discards them.
	Log logrus.FieldLogger
	// Reader, when set, is a substring of the name of the reader to use for
	// Do (case-sensitive, as PC/SC names are); other readers are still
	// watched and reported. Empty means the first reader holding a card.
	Reader string
	// Poll is the GetStatusChange timeout: how long the loop waits for a
	// change before it looks at its work again (and, without hot-plug
	// notification, lists the readers again). Default 500ms; at most 1s.
	Poll time.Duration
	// Now is the clock for event times. Default time.Now.
	Now func() time.Time
}

// Tuning. Fields on Reader copy them so tests can change them.
const (
	defaultPoll = 500 * time.Millisecond
	maxPoll     = time.Second
	// serviceRetry is how often the loop tries to reach a stopped service.
	serviceRetry = time.Second
	// kickEvery is how often Do and Shutdown cancel a blocking
	// GetStatusChange until the loop has noticed them: SCardCancel is a
	// no-op when the loop is not blocked yet, so one cancel can be lost.
	kickEvery = 20 * time.Millisecond
	// eventBuffer is the capacity of the events channel, and backlogMax
	// the backlog behind it above which superseded events are dropped.
	eventBuffer = 64
	backlogMax  = 64
	// removalGrace is how long a failed transmit waits for the service to
	// notice that the card has gone, to tell a removal from a card fault.
	removalGrace = 500 * time.Millisecond
)

// errShutDown is what Do returns once the Reader has been shut down.
var errShutDown = errors.New("the card reader has been shut down")

// Reader watches the smartcard readers over PC/SC and runs card work. One
// goroutine, started by Start, owns the PC/SC context and the card handle:
// it loops on GetStatusChange with a short timeout, rebuilds the reader
// list on hot-plug, re-establishes the context when the service restarts,
// and runs the functions given to Do.
//
// Events are delivered in order on a buffered channel (Events). The loop
// never waits for a slow consumer: when the channel is full, new events
// wait in a backlog that the loop moves into the channel as room appears
// (at each event, and at least every Poll). When the backlog grows long,
// it is compacted: a card inserted and removed again while the consumer
// was not looking is dropped as a pair down to the removal, and repeated
// removals of the same card to one. A removal is never dropped unless an
// identical one stays in the backlog, and the last event for each reader
// always stays, so the consumer misses no removal and ends up knowing the
// current state. Status is the snapshot to read when in doubt.
type Reader struct {
	opts      Options
	log       logrus.FieldLogger
	retry     time.Duration
	forcePoll bool // tests: act as if the platform had no PnP notifications

	events   chan Event
	reqs     chan *request
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	mu        sync.Mutex
	started   bool
	status    Status
	cancelCtx canceller // the loop's PC/SC context, for kick; nil when none

	// Owned by the loop goroutine.
	session
	backlog []Event // events waiting for room in the channel
}

// canceller is the one part of a PC/SC context that another goroutine may
// use: SCardCancel.
type canceller interface {
	Cancel() error
}

// NewReader makes a Reader; Start runs it.
func NewReader(opts Options) *Reader {
	if opts.Log == nil {
		opts.Log = discard()
	}
	if opts.Poll <= 0 {
		opts.Poll = defaultPoll
	}
	if opts.Poll > maxPoll {
		opts.Poll = maxPoll
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Reader{
		opts:    opts,
		log:     opts.Log.WithField("component", "device"),
		retry:   serviceRetry,
		events:  make(chan Event, eventBuffer),
		reqs:    make(chan *request),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		session: session{readers: map[string]*readerState{}},
	}
}

// Events is the stream of changes. It is closed when the loop ends, after
// Shutdown or when Start's context is done.
func (r *Reader) Events() <-chan Event { return r.events }

// Start starts the loop. The loop runs until Shutdown or until ctx is
// done. A PC/SC service that is not running is not an error here: the loop
// reports EventServiceDown and keeps trying.
func (r *Reader) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return errors.New("starting card reader: already started")
	}
	r.started = true
	context.AfterFunc(ctx, r.signalStop)
	go r.run()
	return nil
}

// Shutdown stops the loop and waits for it. It cancels a GetStatusChange
// in progress (SCardCancel) rather than wait for its timeout, powers the
// card off (so that no verified state outlives the kiosk) and releases the
// PC/SC context.
func (r *Reader) Shutdown(ctx context.Context) error {
	if !r.isStarted() {
		return nil
	}
	r.signalStop()
	t := time.NewTicker(kickEvery)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return nil
		case <-t.C:
			r.kick()
		case <-ctx.Done():
			return fmt.Errorf("shutting down card reader: %w", ctx.Err())
		}
	}
}

func (r *Reader) isStarted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.started
}

func (r *Reader) signalStop() {
	r.stopOnce.Do(func() { close(r.stop) })
	r.kick()
}

// kick cancels a GetStatusChange in progress so that the loop looks at
// its work now. SCardCancel is the one PC/SC call meant to be made from
// another thread.
func (r *Reader) kick() {
	r.mu.Lock()
	ctx := r.cancelCtx
	r.mu.Unlock()
	if ctx != nil {
		// Outside the lock: it is a round trip to the service. A context
		// released meanwhile only answers SCARD_E_INVALID_HANDLE.
		_ = ctx.Cancel()
	}
}

func (r *Reader) stopping() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}
