package store

import (
	"fmt"
	"time"
)

// Break is where the audit chain first fails: the record that was
// altered, removed or reordered, by its number and, where it can still
// be read, its time. It matches ErrTampered.
type Break struct {
	Seq  uint64 // the first record that is not as written
	Kind string // one of the Break kinds below
	// At is the record's own time, when it could still be read.
	At time.Time
	// After and Before are the nearest intact records around it, to place
	// the break in time when the record itself cannot be read.
	After, Before *Neighbour
	// Found is, for BreakReordered, the number of the record that was
	// found in Seq's place.
	Found uint64
}

// Neighbour is a record beside a break.
type Neighbour struct {
	Seq uint64
	At  time.Time
}

// The kinds of Break.
const (
	BreakAltered    = "altered"    // its bytes are not those written: MAC, seal or format fails
	BreakMissing    = "removed"    // its number is absent from the sequence
	BreakReordered  = "reordered"  // another record stands in its place
	BreakLinked     = "relinked"   // authentic, but not linked to the record before: something before it was replaced
	BreakTruncated  = "truncated"  // the head names later records than the log holds
	BreakHead       = "head"       // the head itself is missing or not authentic
	BreakCheckpoint = "checkpoint" // the purge checkpoint is not authentic
	BreakReinstated = "reinstated" // a purged record is back before the checkpoint
)

func (b *Break) Error() string {
	const layout = "2006-01-02 15:04:05"
	var s string
	switch b.Kind {
	case BreakAltered:
		s = fmt.Sprintf("audit record %d has been altered", b.Seq)
	case BreakMissing:
		s = fmt.Sprintf("audit record %d has been removed", b.Seq)
	case BreakReordered:
		s = fmt.Sprintf("audit record %d is out of order: record %d stands in its place", b.Seq, b.Found)
	case BreakLinked:
		s = fmt.Sprintf("audit record %d does not follow the record before it: a record before it was replaced or removed", b.Seq)
	case BreakTruncated:
		s = fmt.Sprintf("audit record %d and any after it have been removed from the end of the log", b.Seq)
	case BreakHead:
		s = fmt.Sprintf("the audit log's head is missing or altered: record %d and any after it may have been removed", b.Seq)
	case BreakReinstated:
		s = fmt.Sprintf("audit record %d was purged but has been put back", b.Seq)
	case BreakCheckpoint:
		s = fmt.Sprintf("the audit log's purge checkpoint is altered, so the records before %d cannot be accounted for", b.Seq)
	default:
		s = fmt.Sprintf("audit record %d: %s", b.Seq, b.Kind)
	}
	if !b.At.IsZero() {
		s += " (written " + b.At.Local().Format(layout) + ")"
	}
	switch {
	case b.After != nil && b.Before != nil:
		s += fmt.Sprintf("; it lies between record %d of %s and record %d of %s", b.After.Seq,
			b.After.At.Local().Format(layout), b.Before.Seq, b.Before.At.Local().Format(layout))
	case b.After != nil:
		s += fmt.Sprintf("; it follows record %d of %s", b.After.Seq, b.After.At.Local().Format(layout))
	case b.Before != nil:
		s += fmt.Sprintf("; it precedes record %d of %s", b.Before.Seq, b.Before.At.Local().Format(layout))
	}
	return s
}

// Unwrap makes a Break match ErrTampered.
func (b *Break) Unwrap() error { return ErrTampered }
