package device

// This is the only file that talks to the hardware: everything PC/SC goes
// through github.com/ebfe/scard here, on one goroutine.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ebfe/scard"
	"github.com/sirupsen/logrus"
)

// EventKind says what changed.
type EventKind int

// The events a Reader emits.
const (
	// EventReaderAdded: a reader appeared (plugged in, or found when the
	// service came up).
	EventReaderAdded EventKind = iota + 1
	// EventReaderRemoved: a reader went away. A card that was in it is
	// reported removed first.
	EventReaderRemoved
	// EventCardInserted: a card is in the reader; Event.ATR holds its
	// answer to reset.
	EventCardInserted
	// EventCardRemoved: the card came out, or can no longer be seen
	// because its reader or the PC/SC service went away. The session that
	// relied on it must end.
	EventCardRemoved
	// EventServiceDown: the PC/SC service stopped or cannot be reached.
	// Emitted once per outage, after the removals it implies.
	EventServiceDown
	// EventServiceUp: the PC/SC service is back after EventServiceDown.
	// Not emitted at the first start: Status says whether it is up.
	EventServiceUp
)

func (k EventKind) String() string {
	switch k {
	case EventReaderAdded:
		return "reader added"
	case EventReaderRemoved:
		return "reader removed"
	case EventCardInserted:
		return "card inserted"
	case EventCardRemoved:
		return "card removed"
	case EventServiceDown:
		return "service down"
	case EventServiceUp:
		return "service up"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// removal reports whether an event of this kind tells the consumer that
// something is gone; such events are never dropped.
func (k EventKind) removal() bool {
	return k == EventCardRemoved || k == EventReaderRemoved || k == EventServiceDown
}

// Event is one change seen by the Reader. Reader is empty for service
// events; ATR is set for EventCardInserted.
type Event struct {
	Kind   EventKind
	Reader string
	ATR    []byte
	At     time.Time
}

// ReaderInfo is one reader as the Reader last saw it.
type ReaderInfo struct {
	Name        string
	CardPresent bool
	ATR         []byte
}

// Status is a snapshot of what the Reader sees, for the IT screen.
type Status struct {
	// ServiceUp is whether the PC/SC service can be reached.
	ServiceUp bool
	// HotPlug is whether the service tells of readers being plugged in
	// (the \\?PnP?\Notification pseudo-reader); without it the reader list
	// is polled.
	HotPlug bool
	// Readers are the connected readers, in the service's order.
	Readers []ReaderInfo
	// LastError is the last PC/SC failure, or nil; LastErrorAt its time.
	// It stays after recovery, for IT to see what happened.
	LastError   error
	LastErrorAt time.Time
}

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

// pnpReader is the pseudo-reader whose state changes when a reader is
// plugged in or out (PC/SC part 5; pcsc-lite and Windows support it).
const pnpReader = `\\?PnP?\Notification`

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
	cancelCtx *scard.Context // the loop's context, for kick; nil when none

	// Owned by the loop goroutine.
	ctx        *scard.Context
	pnp        bool
	pnpState   scard.StateFlag
	readers    map[string]*readerState
	order      []string
	card       *scard.Card
	cardReader string
	backlog    []Event // events waiting for room in the channel
}

type readerState struct {
	state   scard.StateFlag // the last event state, sent back as the current state
	present bool
	atr     []byte
}

type request struct {
	fn    func(*Card) error
	done  chan error
	panic any // what fn panicked with, to panic again in Do's goroutine
}

// errPanicked stands for the result of a function given to Do that
// panicked; Do panics again with the original value instead.
var errPanicked = errors.New("the card function panicked")

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
		readers: map[string]*readerState{},
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
	r.mu.Lock()
	started := r.started
	r.mu.Unlock()
	if !started {
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

// Status is a snapshot of the service, the readers and the last error.
func (r *Reader) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Readers = make([]ReaderInfo, len(r.status.Readers))
	for i, ri := range r.status.Readers {
		ri.ATR = slices.Clone(ri.ATR)
		s.Readers[i] = ri
	}
	return s
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
	r.mu.Lock()
	started := r.started
	r.mu.Unlock()
	if !started {
		return errors.New("using card: the card reader has not been started")
	}
	req := &request{fn: fn, done: make(chan error, 1)}
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

// run is the loop: establish a context, watch until the service goes
// away or the loop is stopped, and again.
func (r *Reader) run() {
	defer close(r.done)
	defer func() {
		r.flush()
		if len(r.backlog) > 0 {
			r.log.WithField("events", len(r.backlog)).Warn("shutting down with events the consumer never read")
		}
		close(r.events)
	}()
	down := false
	for !r.stopping() {
		ctx, err := scard.EstablishContext()
		if err != nil {
			r.setServiceUp(false, err)
			if !down {
				down = true
				r.log.WithError(err).Warn("smartcard service unavailable; retrying every second")
				r.emit(Event{Kind: EventServiceDown})
			}
			r.idle(r.retry)
			continue
		}
		r.ctx = ctx
		r.mu.Lock()
		r.cancelCtx = ctx
		r.mu.Unlock()
		r.setServiceUp(true, nil)
		if down {
			down = false
			r.log.Info("smartcard service is back")
			r.emit(Event{Kind: EventServiceUp})
		}
		err = r.watch()
		lost := err != nil
		r.endSession(lost)
		if lost {
			down = true
			r.setServiceUp(false, err)
			r.log.WithError(err).Warn("smartcard service went away; retrying every second")
			r.emit(Event{Kind: EventServiceDown})
			r.idle(r.retry)
		}
	}
}

// watch runs one PC/SC context: it returns nil when stopped and the error
// when the service went away.
func (r *Reader) watch() error {
	r.pnp = !r.forcePoll && r.pnpSupported()
	r.mu.Lock()
	r.status.HotPlug = r.pnp
	r.mu.Unlock()
	if err := r.refreshReaders(); err != nil && serviceLost(err) {
		return err
	}
	listed := time.Now()
	for {
		if r.stopping() {
			return nil
		}
		r.flush()
		r.serveWaiting()
		if !r.pnp && time.Since(listed) >= r.opts.Poll {
			if err := r.refreshReaders(); err != nil && serviceLost(err) {
				return err
			}
			listed = time.Now()
		}
		states := make([]scard.ReaderState, 0, len(r.order)+1)
		if r.pnp {
			states = append(states, scard.ReaderState{Reader: pnpReader, CurrentState: r.pnpState})
		}
		for _, name := range r.order {
			states = append(states, scard.ReaderState{Reader: name, CurrentState: r.readers[name].state})
		}
		if len(states) == 0 {
			// No readers and no hot-plug notification: wait, then list again.
			r.idle(r.opts.Poll)
			continue
		}
		err := r.ctx.GetStatusChange(states, r.opts.Poll)
		switch {
		case err == nil:
			if err := r.apply(states); err != nil && serviceLost(err) {
				return err
			}
		case errors.Is(err, scard.ErrTimeout), errors.Is(err, scard.ErrCancelled):
			// Nothing changed, or Do or Shutdown woke us: look at the work.
		case serviceLost(err):
			return err
		case errors.Is(err, scard.ErrUnknownReader), errors.Is(err, scard.ErrReaderUnavailable),
			errors.Is(err, scard.ErrNoReadersAvailable):
			// A reader went between listing and watching.
			if err := r.refreshReaders(); err != nil && serviceLost(err) {
				return err
			}
		default:
			r.setError(err)
			r.log.WithError(err).Warn("watching readers")
			r.idle(r.opts.Poll)
		}
	}
}

// pnpSupported asks for the PnP pseudo-reader's state, as pcsc_scan does:
// a platform without it answers SCARD_STATE_UNKNOWN.
func (r *Reader) pnpSupported() bool {
	rs := []scard.ReaderState{{Reader: pnpReader, CurrentState: scard.StateUnaware}}
	err := r.ctx.GetStatusChange(rs, 0)
	if err != nil && !errors.Is(err, scard.ErrTimeout) {
		r.log.WithError(err).Info("no reader hot-plug notification; polling the reader list")
		return false
	}
	if rs[0].EventState&scard.StateUnknown != 0 {
		r.log.Info("no reader hot-plug notification; polling the reader list")
		return false
	}
	r.pnpState = rs[0].EventState &^ scard.StateChanged
	return true
}

// apply turns a GetStatusChange answer into events.
func (r *Reader) apply(states []scard.ReaderState) error {
	relist := false
	for _, st := range states {
		if st.EventState&scard.StateChanged == 0 {
			continue
		}
		now := st.EventState &^ scard.StateChanged
		if st.Reader == pnpReader {
			r.pnpState = now
			relist = true
			continue
		}
		rs, ok := r.readers[st.Reader]
		if !ok {
			continue
		}
		if now&(scard.StateUnknown|scard.StateIgnore) != 0 {
			r.removeReader(st.Reader)
			relist = true
			continue
		}
		present := now&scard.StatePresent != 0
		// pcsc-lite counts card insertions and removals in the high 16 bits
		// of the event state: a card out and in again between two looks
		// shows as the same presence with a new count.
		swapped := present && rs.present && rs.state != scard.StateUnaware && now>>16 != rs.state>>16
		rs.state = now
		if swapped || (!present && rs.present) {
			r.cardGone(st.Reader, rs)
		}
		if present && !rs.present {
			rs.present = true
			rs.atr = slices.Clone(st.Atr)
			r.publish()
			r.log.WithField("reader", st.Reader).Info("card inserted")
			r.emit(Event{Kind: EventCardInserted, Reader: st.Reader, ATR: slices.Clone(st.Atr)})
		}
	}
	if relist {
		return r.refreshReaders()
	}
	return nil
}

// cardGone records that the card in a reader has gone and drops the handle
// to it.
func (r *Reader) cardGone(name string, rs *readerState) {
	if r.card != nil && r.cardReader == name {
		_ = r.card.Disconnect(scard.LeaveCard)
		r.card, r.cardReader = nil, ""
	}
	rs.present, rs.atr = false, nil
	r.publish()
	r.log.WithField("reader", name).Info("card removed")
	r.emit(Event{Kind: EventCardRemoved, Reader: name})
}

// removeReader forgets a reader, reporting its card removed first.
func (r *Reader) removeReader(name string) {
	rs, ok := r.readers[name]
	if !ok {
		return
	}
	if rs.present {
		r.cardGone(name, rs)
	}
	delete(r.readers, name)
	r.order = slices.DeleteFunc(r.order, func(n string) bool { return n == name })
	r.publish()
	r.log.WithField("reader", name).Info("reader removed")
	r.emit(Event{Kind: EventReaderRemoved, Reader: name})
}

// refreshReaders lists the readers and reports the differences. A new
// reader starts "unaware", so the next GetStatusChange reports its card.
func (r *Reader) refreshReaders() error {
	names, err := r.ctx.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		names, err = nil, nil
	}
	if err != nil {
		r.setError(err)
		return fmt.Errorf("listing readers: %w", err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == pnpReader })
	for _, name := range slices.Clone(r.order) {
		if !slices.Contains(names, name) {
			r.removeReader(name)
		}
	}
	for _, name := range names {
		if _, ok := r.readers[name]; ok {
			continue
		}
		r.readers[name] = &readerState{state: scard.StateUnaware}
		r.order = append(r.order, name)
		r.publish()
		r.log.WithField("reader", name).Info("reader added")
		r.emit(Event{Kind: EventReaderAdded, Reader: name})
	}
	return nil
}

// endSession drops the card handle and the context. When the service went
// away (lost), every card and reader it showed is reported gone; when the
// loop is stopping, a card still in is powered off so that its verified
// state ends with the kiosk (ISO/IEC 7816-4 security status does not
// survive deactivation). A card already out is left alone: pcscd fails to
// power off or reset a card pulled out a moment before, and then reports
// the reader empty even after the next card goes in.
func (r *Reader) endSession(lost bool) {
	if r.card != nil {
		disp := scard.LeaveCard
		if !lost && r.stillIn(r.card) {
			disp = scard.UnpowerCard
		}
		_ = r.card.Disconnect(disp)
		r.card, r.cardReader = nil, ""
	}
	if lost {
		for _, name := range slices.Clone(r.order) {
			r.removeReader(name)
		}
	}
	r.readers, r.order = map[string]*readerState{}, nil
	r.mu.Lock()
	r.cancelCtx = nil
	r.mu.Unlock()
	_ = r.ctx.Release()
	r.ctx = nil
	r.pnp, r.pnpState = false, scard.StateUnaware
	r.publish()
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
	req.done <- r.serve(req.fn)
}

// serve runs one Do request on the loop's goroutine.
func (r *Reader) serve(fn func(*Card) error) error {
	if r.ctx == nil {
		return fmt.Errorf("using card: %w", ErrServiceDown)
	}
	name, err := r.pick()
	if err != nil {
		return fmt.Errorf("using card: %w", err)
	}
	if r.card != nil && r.cardReader != name {
		disp := scard.LeaveCard
		if r.stillIn(r.card) {
			disp = scard.UnpowerCard
		}
		_ = r.card.Disconnect(disp)
		r.card, r.cardReader = nil, ""
	}
	if r.card == nil {
		h, err := r.ctx.Connect(name, scard.ShareExclusive, scard.ProtocolT1|scard.ProtocolT0)
		if err != nil {
			r.setError(err)
			return fmt.Errorf("connecting to card: %w", r.mapErr(err, nil))
		}
		r.card, r.cardReader = h, name
	}
	err = fn(NewCard(&pcscCard{r: r, h: r.card}, r.log))
	if errors.Is(err, ErrCardRemoved) && r.card != nil {
		_ = r.card.Disconnect(scard.LeaveCard)
		r.card, r.cardReader = nil, ""
	}
	return err
}

// pick chooses the reader for Do.
func (r *Reader) pick() (string, error) {
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

// pcscCard is the transmitter over a PC/SC card handle.
type pcscCard struct {
	r *Reader
	h *scard.Card
}

func (c *pcscCard) Transmit(cmd []byte) ([]byte, error) {
	if c.r.card != c.h {
		// The loop dropped this handle: the card went during fn.
		return nil, ErrCardRemoved
	}
	rsp, err := c.h.Transmit(cmd)
	if err != nil {
		c.r.setError(err)
		return nil, c.r.mapErr(err, c.h)
	}
	return rsp, nil
}

// mapErr turns a PC/SC error into the package's errors, keeping the
// original in the chain. A transmit that failed for a reason PC/SC does
// not name may still be a card pulled out mid-command: with a handle, it
// gives the service a moment to notice before deciding.
func (r *Reader) mapErr(err error, h *scard.Card) error {
	switch {
	case errors.Is(err, scard.ErrRemovedCard), errors.Is(err, scard.ErrResetCard),
		errors.Is(err, scard.ErrNoSmartcard), errors.Is(err, scard.ErrUnpoweredCard):
		return fmt.Errorf("%w: %w", ErrCardRemoved, err)
	case serviceLost(err):
		return fmt.Errorf("%w: %w", ErrServiceDown, err)
	case errors.Is(err, scard.ErrSharingViolation):
		return fmt.Errorf("%w: %w", ErrCardInUse, err)
	case errors.Is(err, scard.ErrUnknownReader), errors.Is(err, scard.ErrReaderUnavailable):
		return fmt.Errorf("%w: %w", ErrNoReader, err)
	}
	if h != nil && r.cardOut(h) {
		return fmt.Errorf("%w: %w", ErrCardRemoved, err)
	}
	return err
}

// stillIn reports whether the card behind h is still in its reader, as far
// as the service knows.
func (r *Reader) stillIn(h *scard.Card) bool {
	st, err := h.Status()
	return err == nil && st.State&scard.Present != 0
}

// cardOut reports whether the card behind h has gone, waiting up to
// removalGrace for the service to notice.
func (r *Reader) cardOut(h *scard.Card) bool {
	deadline := time.Now().Add(removalGrace)
	for {
		st, err := h.Status()
		if err != nil {
			return !serviceLost(err)
		}
		if st.State&scard.Present == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serviceLost reports whether err means the PC/SC service went away (or
// restarted, leaving our context invalid).
func serviceLost(err error) bool {
	return errors.Is(err, scard.ErrNoService) || errors.Is(err, scard.ErrServiceStopped) ||
		errors.Is(err, scard.ErrInvalidHandle)
}

// emit queues an event and delivers what the consumer has room for,
// without ever waiting for it; see Reader for how a long backlog is
// compacted.
func (r *Reader) emit(e Event) {
	e.At = r.opts.Now()
	r.backlog = append(r.backlog, e)
	r.flush()
	if len(r.backlog) > backlogMax {
		n := len(r.backlog)
		r.backlog = compact(r.backlog)
		r.log.WithField("dropped", n-len(r.backlog)).Warn("event consumer is slow; dropping events that later ones supersede")
	}
}

// flush moves backlogged events into the channel while it has room. Only
// the loop sends, and only from the head of the backlog, so the consumer
// reads events in the order they happened.
func (r *Reader) flush() {
	for len(r.backlog) > 0 {
		select {
		case r.events <- r.backlog[0]:
			r.backlog[0] = Event{}
			r.backlog = r.backlog[1:]
		default:
			return
		}
	}
}

// compact drops from a backlog the events a later one supersedes, keeping
// the order of the rest: an arrival (card inserted, reader added, service
// up) followed by the matching removal, and then a removal that repeats
// the one before it for the same card, reader or service. What is left
// tells the consumer everything that went, and the state now; it is at
// most a few events per reader, so it needs no further bound.
func compact(q []Event) []Event {
	type subject struct {
		class  int // 0 card, 1 reader, 2 service
		reader string
	}
	subj := func(e Event) subject {
		switch e.Kind {
		case EventCardInserted, EventCardRemoved:
			return subject{0, e.Reader}
		case EventReaderAdded, EventReaderRemoved:
			return subject{1, e.Reader}
		}
		return subject{class: 2}
	}
	keep := make([]bool, len(q))
	for i, e := range q {
		keep[i] = true
		if e.Kind.removal() {
			continue
		}
		for _, later := range q[i+1:] {
			if later.Kind.removal() && subj(later) == subj(e) {
				keep[i] = false
				break
			}
		}
	}
	last := map[subject]EventKind{}
	out := q[:0:0]
	for i, e := range q {
		if !keep[i] {
			continue
		}
		s := subj(e)
		if e.Kind.removal() && last[s] == e.Kind {
			continue
		}
		last[s] = e.Kind
		out = append(out, e)
	}
	return out
}

// publish copies the loop's view of the readers into the status snapshot.
func (r *Reader) publish() {
	infos := make([]ReaderInfo, 0, len(r.order))
	for _, name := range r.order {
		rs := r.readers[name]
		infos = append(infos, ReaderInfo{Name: name, CardPresent: rs.present, ATR: slices.Clone(rs.atr)})
	}
	r.mu.Lock()
	r.status.Readers = infos
	r.mu.Unlock()
}

func (r *Reader) setServiceUp(up bool, err error) {
	r.mu.Lock()
	r.status.ServiceUp = up
	if !up {
		r.status.HotPlug = false
	}
	r.mu.Unlock()
	if err != nil {
		r.setError(err)
	}
}

func (r *Reader) setError(err error) {
	r.mu.Lock()
	r.status.LastError, r.status.LastErrorAt = err, r.opts.Now()
	r.mu.Unlock()
}
