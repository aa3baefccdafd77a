package device

// This is the only file that talks to the hardware: everything PC/SC goes
// through github.com/ebfe/scard here, on the loop goroutine (but for
// SCardCancel, which kick calls from others).

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ebfe/scard"
)

// pnpReader is the pseudo-reader whose state changes when a reader is
// plugged in or out (PC/SC part 5; pcsc-lite and Windows support it).
const pnpReader = `\\?PnP?\Notification`

// session is what the loop holds of one PC/SC context: the context, the
// readers as last seen, and the card handle kept between Do calls. Only
// the loop goroutine touches it.
type session struct {
	ctx        *scard.Context
	pnp        bool
	pnpState   scard.StateFlag
	readers    map[string]*readerState
	order      []string
	card       *scard.Card
	cardReader string
}

type readerState struct {
	state   scard.StateFlag // the last event state, sent back as the current state
	present bool
	atr     []byte
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
		msg := "smartcard service unavailable; retrying every second"
		if err == nil {
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
			r.endSession(err != nil)
			if err == nil {
				continue // stopped
			}
			msg = "smartcard service went away; retrying every second"
		}
		r.setServiceUp(false, err)
		if !down {
			down = true
			r.log.WithError(err).Warn(msg)
			r.emit(Event{Kind: EventServiceDown})
		}
		r.idle(r.retry)
	}
}

// watch runs one PC/SC context: it returns nil when stopped and the error
// when the service went away.
func (r *Reader) watch() error {
	r.pnp = !r.forcePoll && r.pnpSupported()
	r.setHotPlug(r.pnp)
	if err := lost(r.refreshReaders()); err != nil {
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
			if err := lost(r.refreshReaders()); err != nil {
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
			if err := lost(r.apply(states)); err != nil {
				return err
			}
		case errors.Is(err, scard.ErrTimeout), errors.Is(err, scard.ErrCancelled):
			// Nothing changed, or Do or Shutdown woke us: look at the work.
		case serviceLost(err):
			return err
		case errors.Is(err, scard.ErrUnknownReader), errors.Is(err, scard.ErrReaderUnavailable),
			errors.Is(err, scard.ErrNoReadersAvailable):
			// A reader went between listing and watching.
			if err := lost(r.refreshReaders()); err != nil {
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
			r.report(Event{Kind: EventCardInserted, Reader: st.Reader, ATR: slices.Clone(st.Atr)})
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
	if r.cardReader == name {
		r.dropCard(false)
	}
	rs.present, rs.atr = false, nil
	r.report(Event{Kind: EventCardRemoved, Reader: name})
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
	r.report(Event{Kind: EventReaderRemoved, Reader: name})
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
		r.report(Event{Kind: EventReaderAdded, Reader: name})
	}
	return nil
}

// endSession drops the card handle and the context. When the service went
// away (lost), every card and reader it showed is reported gone; when the
// loop is stopping, a card still in is powered off so that its verified
// state ends with the kiosk (ISO/IEC 7816-4 security status does not
// survive deactivation).
func (r *Reader) endSession(lost bool) {
	r.dropCard(!lost)
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

// dropCard disconnects the card handle, if any, powering the card off
// when asked to and the card is still in. A card already out is left
// alone: pcscd fails to power off or reset a card pulled out a moment
// before, and then reports the reader empty even after the next card goes
// in.
func (r *Reader) dropCard(powerOff bool) {
	if r.card == nil {
		return
	}
	disp := scard.LeaveCard
	if powerOff && r.stillIn(r.card) {
		disp = scard.UnpowerCard
	}
	_ = r.card.Disconnect(disp)
	r.card, r.cardReader = nil, ""
}

// serve runs one Do request on the loop's goroutine.
func (r *Reader) serve(in string, fn func(*Card) error) error {
	if r.ctx == nil {
		return fmt.Errorf("using card: %w", ErrServiceDown)
	}
	name, err := r.pick(in)
	if err != nil {
		return fmt.Errorf("using card: %w", err)
	}
	if r.cardReader != name {
		// The chosen reader changed: the card left in the other one is
		// powered off, so that what it verified does not outlive its use.
		r.dropCard(true)
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
	if errors.Is(err, ErrCardRemoved) {
		r.dropCard(false)
	}
	return err
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

// lost passes on err when it means the service went away, and nil
// otherwise: any other failure to list or apply is already in Status, and
// the loop carries on.
func lost(err error) error {
	if err != nil && serviceLost(err) {
		return err
	}
	return nil
}
