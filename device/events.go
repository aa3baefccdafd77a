package device

// The events a Reader emits, and how they reach a consumer that may be
// slow: a backlog behind the channel, compacted when it grows long.

import (
	"fmt"
	"time"
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

// report tells of a change to one reader or its card: the status snapshot
// first, so that a consumer reading Status on the event sees the change,
// then the log line and the event.
func (r *Reader) report(e Event) {
	r.publish()
	r.log.WithField("reader", e.Reader).Info(e.Kind.String())
	r.emit(e)
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
