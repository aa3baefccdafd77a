package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/nhs-cpis/kiosk/cpis"
)

// Event is one audit record: who did what, where and when (DESIGN.md,
// "Audit": every trace, alert view, notification, replay and login).
type Event struct {
	Seq      uint64         `json:"seq"` // set by Append
	At       time.Time      `json:"at"`  // Append sets it when zero
	Kind     cpis.EventKind `json:"kind"`
	UserID   string         `json:"user_id,omitempty"`
	UserName string         `json:"user_name,omitempty"`
	RoleID   string         `json:"role_id,omitempty"`
	JobRole  string         `json:"job_role,omitempty"`
	OrgCode  string         `json:"org_code,omitempty"`
	Setting  string         `json:"setting,omitempty"`
	NHS      string         `json:"nhs,omitempty"`      // only for events about a patient
	Notified bool           `json:"notified,omitempty"` // the local authority was notified
	Replayed bool           `json:"replayed,omitempty"` // done on replay after downtime
	TraceID  string         `json:"trace_id,omitempty"`
	// Result is how it ended: what decisions read.
	Result cpis.Result `json:"result,omitempty"`
	// Missing is, for a refusal, the activity codes the role lacked.
	Missing []cpis.ActivityCode `json:"missing,omitempty"`
	// Item is the go-live readiness item a KindReadiness record is about.
	Item string `json:"item,omitempty"`
	// Drill is a drill's result, on an EventDrill record.
	Drill *DrillResult `json:"drill,omitempty"`
	// Why is, on a record of a check that waits, why it waits.
	Why cpis.WaitReason `json:"why,omitempty"`
	// Presented and RecordedBy are, on a record of a waiting check made
	// later, when the child presented and the user ID of the member of
	// staff who recorded it; the record's own user is the checker.
	Presented  time.Time `json:"presented,omitzero"`
	RecordedBy string    `json:"recorded_by,omitempty"`
	// Outcome is the same in words, for people reading the audit; no
	// program reads it back.
	Outcome string `json:"outcome,omitempty"`
	// Codes are the role's activity codes at the time (B0264, B0107...),
	// for the staff access checks (guide step 19).
	Codes []string `json:"codes,omitempty"`
}

// DrillResult is what a downtime drill found (the drill's promise: every
// presentation checked, none lost, none notified twice).
type DrillResult struct {
	Patients   int           `json:"patients"`
	Queued     int           `json:"queued"`
	Replayed   int           `json:"replayed"`
	Lost       int           `json:"lost"`
	Duplicates int           `json:"duplicates"`
	Reviews    int           `json:"reviews"`
	Killed     bool          `json:"killed,omitempty"`
	Took       time.Duration `json:"took"`
}

// envelope is what a queue, dead-letter or review record holds in the
// file: the sealed value and the version of the format. Audit records had
// it too in format 1; they are now chained records (chain.go).
type envelope struct {
	V      int    `json:"v"`
	Sealed []byte `json:"sealed"`
}

const envelopeV1 = 1

// eventsPage is how many records Events decrypts per read transaction. The
// caller's function runs between transactions, never inside one: it may
// write a file or append to the log itself, and a read transaction held
// across that would stall the writer when bbolt needs to grow its map.
const eventsPage = 256

// Append writes e to the audit log and returns its sequence number, the
// first being 1. The record is durable when Append returns.
func (db *DB) Append(e Event) (uint64, error) {
	var seq uint64
	err := db.update(func(tx *bbolt.Tx) error {
		var err error
		seq, err = db.appendTx(tx, e)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("appending audit record: %w", err)
	}
	return seq, nil
}

// appendTx adds e to the audit log inside tx, so that a change and the
// record of it commit together or not at all (CONVENTIONS.md, "Storage").
// The record is chained to the one before and the head moves on in the
// same transaction; the staff access checks are kept up in it too.
func (db *DB) appendTx(tx *bbolt.Tx, e Event) (uint64, error) {
	b, meta := tx.Bucket(bucketAudit), tx.Bucket(bucketMeta)
	// Records only ever go on the end: full pages rather than bbolt's
	// half-full default keep the file about half the size.
	b.FillPercent = 0.9
	seq, prev, err := db.chain.linkForAppend(b, meta)
	if err != nil {
		return 0, fmt.Errorf("numbering audit record: %w", err)
	}
	e.Seq = seq
	if e.At.IsZero() {
		e.At = db.now()
	}
	plain, err := json.Marshal(e)
	if err != nil {
		return 0, fmt.Errorf("encoding audit record: %w", err)
	}
	key := seqKey(seq)
	val, h := db.chain.record(seq, prev, db.seal.seal(bucketAudit, key, plain))
	if err := b.Put(key, val); err != nil {
		return 0, fmt.Errorf("storing audit record: %w", err)
	}
	head := anchor{n: seq, hash: h}
	if err := meta.Put(metaAuditHead, db.chain.anchorValue("head", head)); err != nil {
		return 0, fmt.Errorf("storing audit head: %w", err)
	}
	if db.headPath != "" {
		tx.OnCommit(func() { db.noteHead(head) })
	}
	if err := db.noteStaffTx(tx, e); err != nil {
		return 0, err
	}
	return seq, nil
}

// Events calls fn for each audit record, oldest first, and stops at the
// first error, which it returns as fn gave it. The walk follows the chain:
// a record altered, removed or reordered stops it with a *Break (which
// matches ErrTampered) once the intact records before it have been given
// to fn.
func (db *DB) Events(fn func(Event) error) error {
	var page []Event
	brk, err := db.walk(db.newWalker(), eventsPage, func(seq uint64, plain []byte) *Break {
		var e Event
		if err := json.Unmarshal(plain, &e); err != nil || e.Seq != seq {
			// Sealed under this key yet unreadable or claiming another
			// number: only a bug writes that, but the log must not pass
			// it off as intact.
			return &Break{Seq: seq, Kind: BreakAltered}
		}
		page = append(page, e)
		return nil
	}, func() error {
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		page = page[:0]
		return nil
	})
	switch {
	case err != nil:
		return err
	case brk != nil:
		return fmt.Errorf("reading audit log: %w", brk)
	}
	return nil
}

// seqKey is a sequence number as a key that sorts in numeric order.
func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

// openEvent decodes and authenticates one stored record on its own: its
// MAC, its seal and its number, but not its place in the chain (Events
// and Verify check that). Decoding copies, so the event does not point
// into the transaction's pages.
func (db *DB) openEvent(k, v []byte) (Event, error) {
	if len(k) != 8 {
		return Event{}, fmt.Errorf("audit key %x: %w", k, ErrTampered)
	}
	seq := binary.BigEndian.Uint64(k)
	r, ok := parseRecord(v)
	if !ok {
		return Event{}, &Break{Seq: seq, Kind: BreakAltered}
	}
	h := linkHash(sha256.New(), r.n, r.prev, r.sealed)
	if m := mac(db.chain.macer(), "record", h[:]); !hmac.Equal(m[:], r.mac) {
		return Event{}, &Break{Seq: seq, Kind: BreakAltered}
	}
	if r.n != seq {
		return Event{}, &Break{Seq: seq, Kind: BreakReordered, Found: r.n}
	}
	plain, err := db.seal.open(bucketAudit, k, r.sealed)
	if err != nil {
		return Event{}, &Break{Seq: seq, Kind: BreakAltered}
	}
	var e Event
	if err := json.Unmarshal(plain, &e); err != nil || e.Seq != seq {
		return Event{}, &Break{Seq: seq, Kind: BreakAltered}
	}
	return e, nil
}
