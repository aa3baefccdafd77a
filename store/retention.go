package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/nhs-cpis/kiosk/cpis"
)

// Retention: audit records older than the configured period are removed
// from the front of the log. The purge is itself audited, and the chain
// still verifies: the meta bucket keeps a checkpoint (the last purged
// record's number and hash, under the chain's MAC), the first record kept
// links to it, and the purge record names it too.

// PurgeResult is what Purge removed.
type PurgeResult struct {
	Purged      int
	First, Last uint64    // the numbers removed, when Purged > 0
	LastAt      time.Time // the time of the last record removed
	Checkpoint  string    // the last removed record's hash, in hex
	Seq         uint64    // the purge's own audit record
}

// Purge removes the audit records written before cutoff, oldest first,
// stopping at the first record that is to be kept, so the log stays one
// unbroken run. It refuses a log that does not verify: a purge must never
// carry away the evidence of tampering. The removal, the checkpoint and
// the purge's own record commit together. by names who asked ("kiosk
// start", "IT at the command line").
func (db *DB) Purge(cutoff time.Time, by string) (PurgeResult, error) {
	if _, err := db.Verify(); err != nil {
		return PurgeResult{}, fmt.Errorf("purging audit log: not purging a log that does not verify: %w", err)
	}
	var res PurgeResult
	err := db.update(func(tx *bbolt.Tx) error {
		res = PurgeResult{}
		meta, audit := tx.Bucket(bucketMeta), tx.Bucket(bucketAudit)
		c := audit.Cursor()
		h := sha256.New()
		var last anchor
		// The keys are collected as the cursor walks forward, and deleted
		// after: a bbolt cursor that deletes as it goes and starts again at
		// First can meet the same emptied page for ever.
		var gone [][]byte
		all := true // every record is older than the cutoff
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, ok := parseRecord(v)
			if !ok {
				return ErrTampered
			}
			plain, err := db.seal.open(bucketAudit, k, r.sealed)
			if err != nil {
				return err
			}
			var e Event
			if err := json.Unmarshal(plain, &e); err != nil {
				return fmt.Errorf("decoding audit record %d: %w", r.n, err)
			}
			if !e.At.Before(cutoff) {
				all = false
				break
			}
			last = anchor{n: binary.BigEndian.Uint64(k), hash: linkHash(h, r.n, r.prev, r.sealed)}
			if res.Purged == 0 {
				res.First = last.n
			}
			res.Purged++
			res.Last, res.LastAt = last.n, e.At
			gone = append(gone, k)
		}
		if res.Purged == 0 {
			return nil
		}
		if err := removeRecords(tx, audit, gone, all); err != nil {
			return err
		}
		if err := meta.Put(metaCheckpoint, db.chain.anchorValue("checkpoint", last)); err != nil {
			return fmt.Errorf("storing checkpoint: %w", err)
		}
		res.Checkpoint = hex.EncodeToString(last.hash[:])
		var err error
		res.Seq, err = db.appendTx(tx, Event{Kind: cpis.EventAuditPurged, UserName: by, Result: cpis.ResultDone,
			Outcome: fmt.Sprintf("purged %d records (%d to %d) written before %s; checkpoint: record %d, hash %s",
				res.Purged, res.First, res.Last, cutoff.UTC().Format(time.RFC3339), res.Last, res.Checkpoint)})
		return err
	})
	if err != nil {
		return PurgeResult{}, fmt.Errorf("purging audit log: %w", err)
	}
	return res, nil
}

// removeRecords deletes the keys from the audit bucket. When they are all
// of its records, the bucket is made anew with its counter kept instead: a
// bbolt cursor in the same transaction walks back through a bucket whose
// every page was emptied for ever (seen with 88 records), and the append
// of the purge's own record looks for the last record that way.
func removeRecords(tx *bbolt.Tx, audit *bbolt.Bucket, keys [][]byte, all bool) error {
	if !all {
		for _, k := range keys {
			if err := audit.Delete(k); err != nil {
				return fmt.Errorf("removing audit record %d: %w", binary.BigEndian.Uint64(k), err)
			}
		}
		return nil
	}
	seq := audit.Sequence()
	if err := tx.DeleteBucket(bucketAudit); err != nil {
		return fmt.Errorf("removing the audit records: %w", err)
	}
	b, err := tx.CreateBucket(bucketAudit)
	if err != nil {
		return fmt.Errorf("removing the audit records: %w", err)
	}
	return b.SetSequence(seq)
}
