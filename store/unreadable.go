package store

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/nhs-cpis/kiosk/cpis"
)

// bucketUnreadable holds queue entries that could not be opened (damaged
// on disk, or sealed under another key), exactly as they were found: kept,
// never decoded, for IT to recover from a backup. They are counted with
// the dead letters (metaDead).
var bucketUnreadable = []byte("unreadable")

// UnreadableError is an entry of the queue that cannot be opened. The
// entries behind it are readable, and go on once it is set aside.
type UnreadableError struct {
	Seq uint64
	Err error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("queue entry %d cannot be read: %v", e.Seq, e.Err)
}

func (e *UnreadableError) Unwrap() error { return e.Err }

// SetAside moves unreadable entry seq out of the queue, its bytes as they
// are, with an audit record, in one transaction: one damaged entry never
// blocks the children behind it.
func (db *DB) SetAside(seq uint64) error {
	err := db.update(func(tx *bbolt.Tx) error {
		q := tx.Bucket(bucketQueue)
		k := seqKey(seq)
		v := q.Get(k)
		if v == nil {
			return ErrNotQueued
		}
		b, err := tx.CreateBucketIfNotExists(bucketUnreadable)
		if err != nil {
			return err
		}
		if err := b.Put(k, append([]byte(nil), v...)); err != nil {
			return err
		}
		if err := q.Delete(k); err != nil {
			return err
		}
		// Counted with the dead letters.
		if err := errors.Join(addCount(tx, metaQueued, -1), addCount(tx, metaDead, 1)); err != nil {
			return err
		}
		_, err = db.appendTx(tx, Event{At: db.now(), Kind: cpis.EventDeadLetter, Replayed: true, Result: cpis.ResultDeadLetter,
			Outcome: fmt.Sprintf("waiting check %d could not be read and was set aside: restore it from a backup", seq)})
		return err
	})
	if err != nil {
		return fmt.Errorf("setting aside unreadable entry %d: %w", seq, err)
	}
	return nil
}
