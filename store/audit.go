package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Event is one audit record: who did what, where and when (DESIGN.md,
// "Audit": every trace, alert view, notification, replay and login).
type Event struct {
	Seq      uint64    `json:"seq"`  // set by Append
	At       time.Time `json:"at"`   // Append sets it when zero
	Kind     string    `json:"kind"` // "trace", "search", "silent-check", "alert-opened", "login", ...
	UserID   string    `json:"user_id,omitempty"`
	UserName string    `json:"user_name,omitempty"`
	RoleID   string    `json:"role_id,omitempty"`
	JobRole  string    `json:"job_role,omitempty"`
	OrgCode  string    `json:"org_code,omitempty"`
	Setting  string    `json:"setting,omitempty"`
	NHS      string    `json:"nhs,omitempty"`      // only for events about a patient
	Notified bool      `json:"notified,omitempty"` // the local authority was notified
	Replayed bool      `json:"replayed,omitempty"` // done on replay after downtime
	TraceID  string    `json:"trace_id,omitempty"`
	Outcome  string    `json:"outcome,omitempty"`
}

// envelope is what an audit record holds in the file: the sealed event
// and the version of the format. The log is to become tamper-evident as a
// whole, not only record by record: a later version adds the previous
// record's MAC and its own (under a key derived apart from the sealing
// key), so that a deleted or reordered record shows. V is how a reader will
// tell those records from these.
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
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
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
func (db *DB) appendTx(tx *bbolt.Tx, e Event) (uint64, error) {
	b := tx.Bucket(bucketAudit)
	seq, err := b.NextSequence()
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
	val, err := json.Marshal(envelope{V: envelopeV1, Sealed: db.seal.seal(bucketAudit, key, plain)})
	if err != nil {
		return 0, fmt.Errorf("encoding audit record: %w", err)
	}
	if err := b.Put(key, val); err != nil {
		return 0, fmt.Errorf("storing audit record: %w", err)
	}
	return seq, nil
}

// Events calls fn for each audit record, oldest first, and stops at the
// first error, which it returns as fn gave it. A record that does not
// authenticate stops the walk with ErrTampered.
func (db *DB) Events(fn func(Event) error) error {
	var after []byte // the last key read; nil before the first page
	for {
		page := make([]Event, 0, eventsPage)
		err := db.bolt.View(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucketAudit).Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(page) < eventsPage; k, v = c.Next() {
				e, err := db.openEvent(k, v)
				if err != nil {
					return err
				}
				page = append(page, e)
				after = bytes.Clone(k)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading audit log: %w", err)
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < eventsPage {
			return nil
		}
	}
}

// openEvent decodes and authenticates one stored record. Decoding copies,
// so the event does not point into the transaction's pages.
func (db *DB) openEvent(k, v []byte) (Event, error) {
	if len(k) != 8 {
		return Event{}, fmt.Errorf("audit key %x: %w", k, ErrTampered)
	}
	seq := binary.BigEndian.Uint64(k)
	var env envelope
	if err := json.Unmarshal(v, &env); err != nil {
		return Event{}, fmt.Errorf("audit record %d: %w", seq, ErrTampered)
	}
	switch {
	case env.V == 0 || env.Sealed == nil:
		return Event{}, fmt.Errorf("audit record %d is not a sealed record: %w", seq, ErrTampered)
	case env.V > envelopeV1:
		return Event{}, fmt.Errorf("audit record %d has format version %d, written by a newer kiosk", seq, env.V)
	}
	plain, err := db.seal.open(bucketAudit, k, env.Sealed)
	if err != nil {
		return Event{}, fmt.Errorf("audit record %d: %w", seq, err)
	}
	var e Event
	if err := json.Unmarshal(plain, &e); err != nil {
		return Event{}, fmt.Errorf("decoding audit record %d: %w", seq, err)
	}
	if e.Seq != seq {
		// Sealed under this key yet claiming another number: only a bug
		// writes that, but the log must not pass it off as intact.
		return Event{}, fmt.Errorf("audit record %d claims number %d: %w", seq, e.Seq, ErrTampered)
	}
	return e, nil
}

// seqKey is a sequence number as a key that sorts in numeric order.
func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}
