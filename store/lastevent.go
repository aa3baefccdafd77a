package store

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
)

// LastEvent returns the newest audit record for which match is true, and
// false when there is none. It reads backwards from the end of the log, a
// page of records per read transaction, so that the IT status's "last
// successful check" costs a few records on a busy kiosk rather than the
// whole year's log. match runs between transactions and must not write to
// the database.
func (db *DB) LastEvent(match func(Event) bool) (Event, bool, error) {
	var before []byte // the oldest key read so far; nil before the first page
	for {
		page := make([]Event, 0, eventsPage)
		err := db.view(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucketAudit).Cursor()
			k, v := c.Last()
			if before != nil {
				k, v = c.Seek(before)
				// Seek lands on the key itself (or past it, if it went):
				// step back to the first one older.
				if k == nil {
					k, v = c.Last()
				}
				for k != nil && bytes.Compare(k, before) >= 0 {
					k, v = c.Prev()
				}
			}
			for ; k != nil && len(page) < eventsPage; k, v = c.Prev() {
				e, err := db.openEvent(k, v)
				if err != nil {
					return err
				}
				page = append(page, e)
				before = bytes.Clone(k)
			}
			return nil
		})
		if err != nil {
			return Event{}, false, fmt.Errorf("reading audit log: %w", err)
		}
		for _, e := range page {
			if match(e) {
				return e, true, nil
			}
		}
		if len(page) < eventsPage {
			return Event{}, false, nil
		}
	}
}
