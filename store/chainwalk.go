package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"time"

	"go.etcd.io/bbolt"
)

// walker follows the chain record by record across read transactions.
type walker struct {
	db      *DB
	m, h    hash.Hash
	started bool
	next    uint64   // the number the next record must have
	prev    [32]byte // the hash it must link to
	// The last intact record, for placing a break in time.
	lastSeq   uint64
	lastPlain []byte
	spare     []byte
	records   int
	first     uint64
	firstAt   time.Time
	cp        uint64
}

func (db *DB) newWalker() *walker {
	return &walker{db: db, m: db.chain.macer(), h: sha256.New()}
}

// start reads where the chain begins: after the checkpoint, or at 1.
func (w *walker) start(meta *bbolt.Bucket) *Break {
	w.started = true
	w.next = 1
	cp, has, ok := w.db.chain.readAnchor(meta, metaCheckpoint, "checkpoint")
	if has && !ok {
		return &Break{Seq: cp.n + 1, Kind: BreakCheckpoint}
	}
	if has {
		w.next, w.prev, w.cp = cp.n+1, cp.hash, cp.n
	}
	return nil
}

// step checks one stored record and returns its plaintext, valid until the
// next step. A break is returned with the cursor's following record, if
// any, used to place it in time.
func (w *walker) step(c *bbolt.Cursor, k, v []byte) ([]byte, *Break) {
	if len(k) != 8 {
		return nil, w.broken(c, &Break{Seq: w.next, Kind: BreakAltered})
	}
	seq := binary.BigEndian.Uint64(k)
	if seq > w.next {
		return nil, w.broken(c, &Break{Seq: w.next, Kind: BreakMissing, Before: w.neighbour(seq, v)})
	}
	if seq < w.next {
		// Before the checkpoint: a record that was purged is back.
		return nil, w.broken(c, &Break{Seq: seq, Kind: BreakReinstated})
	}
	r, ok := parseRecord(v)
	if !ok {
		return nil, w.broken(c, &Break{Seq: seq, Kind: BreakAltered})
	}
	h := linkHash(w.h, r.n, r.prev, r.sealed)
	m := mac(w.m, "record", h[:])
	if !hmac.Equal(m[:], r.mac) {
		return nil, w.broken(c, &Break{Seq: seq, Kind: BreakAltered})
	}
	if r.n != seq {
		b := &Break{Seq: seq, Kind: BreakReordered, Found: r.n}
		if plain, err := w.db.seal.aead.Open(nil, nil, r.sealed, additionalData(bucketAudit, seqKey(r.n))); err == nil {
			b.At = eventTime(plain)
		}
		return nil, w.broken(c, b)
	}
	plain, err := w.db.seal.aead.Open(w.spare[:0], nil, r.sealed, additionalData(bucketAudit, k))
	if err != nil {
		return nil, w.broken(c, &Break{Seq: seq, Kind: BreakAltered})
	}
	if !bytes.Equal(r.prev, w.prev[:]) {
		return nil, w.broken(c, &Break{Seq: seq, Kind: BreakLinked, At: eventTime(plain)})
	}
	w.prev, w.next = h, seq+1
	w.spare, w.lastPlain, w.lastSeq = w.lastPlain, plain, seq
	if w.records == 0 {
		w.first, w.firstAt = seq, eventTime(plain)
	}
	w.records++
	return plain, nil
}

// finish checks the head against where the walk ended. meta is read in
// the same transaction as the last page, so a record appended meanwhile
// is either in both or in neither.
func (w *walker) finish(c *bbolt.Cursor, meta *bbolt.Bucket) *Break {
	head, has, ok := w.db.chain.readAnchor(meta, metaAuditHead, "head")
	last := w.next - 1
	switch {
	case !has && w.records == 0 && w.cp == 0:
		return nil // an empty log
	case !has || !ok:
		return &Break{Seq: last + 1, Kind: BreakHead, After: w.after()}
	case head.n > last:
		return &Break{Seq: last + 1, Kind: BreakTruncated, After: w.after()}
	case head.n < last || head.hash != w.prev:
		return &Break{Seq: head.n + 1, Kind: BreakHead, After: w.after()}
	}
	return nil
}

// broken fills in the neighbours of a break.
func (w *walker) broken(c *bbolt.Cursor, b *Break) *Break {
	if b.After == nil {
		b.After = w.after()
	}
	if b.Before == nil && c != nil {
		if k, v := c.Next(); k != nil && len(k) == 8 {
			b.Before = w.neighbour(binary.BigEndian.Uint64(k), v)
		}
	}
	return b
}

func (w *walker) after() *Neighbour {
	if w.lastPlain == nil {
		return nil
	}
	return &Neighbour{Seq: w.lastSeq, At: eventTime(w.lastPlain)}
}

// neighbour reads a record's time if it is intact enough to open.
func (w *walker) neighbour(seq uint64, v []byte) *Neighbour {
	r, ok := parseRecord(v)
	if !ok {
		return nil
	}
	plain, err := w.db.seal.aead.Open(nil, nil, r.sealed, additionalData(bucketAudit, seqKey(r.n)))
	if err != nil {
		return nil
	}
	return &Neighbour{Seq: seq, At: eventTime(plain)}
}

// eventTime reads only the time of a sealed event's plaintext.
func eventTime(plain []byte) time.Time {
	var e struct {
		At time.Time `json:"at"`
	}
	if err := json.Unmarshal(plain, &e); err != nil {
		return time.Time{}
	}
	return e.At
}

// Report is what Verify found.
type Report struct {
	Records     int       // records walked and found intact
	First, Last uint64    // their numbers
	FirstAt     time.Time // the first record's time
	LastAt      time.Time
	// Checkpoint is the last purged record's number: records up to it
	// were removed by a purge, which is itself in the log.
	Checkpoint uint64
	Took       time.Duration
}

// verifyPage is how many records Verify checks per read transaction:
// enough to make the transactions' cost vanish, few enough that a kiosk
// writing meanwhile is never held up for long.
const verifyPage = 8192

// Verify walks the whole audit chain and reports the first record that was
// altered, removed or reordered as a *Break (which matches ErrTampered).
// It reads the log in pages, so the kiosk may go on writing meanwhile.
func (db *DB) Verify() (Report, error) {
	start := time.Now()
	w := db.newWalker()
	brk, err := db.walk(w, verifyPage, func(uint64, []byte) *Break { return nil }, nil)
	if err != nil {
		return Report{}, fmt.Errorf("verifying audit log: %w", err)
	}
	r := w.report()
	r.Took = time.Since(start)
	if brk != nil {
		return r, brk
	}
	if err := db.Rollback(); err != nil {
		return r, err
	}
	return r, nil
}

// walk reads the chain in pages of at most size records, one read
// transaction a page, so a writer is never held up for long. each sees
// every intact record's number and plaintext in order, inside the
// transaction, and may stop the walk with a break; after each page's
// transaction has ended, flush (when given) runs, and an error from it
// stops the walk and is returned as it is. At the end, or at the first
// break, walk returns the break (nil when the chain is intact). A read
// error is returned wrapped.
func (db *DB) walk(w *walker, size int, each func(seq uint64, plain []byte) *Break, flush func() error) (*Break, error) {
	var after []byte // the last key read; nil before the first page
	for {
		var brk *Break
		done := false
		err := db.view(func(tx *bbolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if !w.started {
				if brk = w.start(meta); brk != nil {
					return nil
				}
			}
			c := tx.Bucket(bucketAudit).Cursor()
			k, v := seekAfter(c, after)
			for n := 0; k != nil && n < size; k, v = c.Next() {
				plain, b := w.step(c, k, v)
				if b == nil {
					b = each(w.lastSeq, plain)
				}
				if b != nil {
					brk = b
					return nil
				}
				after = append(after[:0], k...)
				n++
			}
			if k == nil {
				done = true
				brk = w.finish(c, meta)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading audit log: %w", err)
		}
		if flush != nil {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		if brk != nil || done {
			return brk, nil
		}
	}
}

func (w *walker) report() Report {
	r := Report{Records: w.records, First: w.first, FirstAt: w.firstAt, Checkpoint: w.cp}
	if w.records > 0 {
		r.Last = w.lastSeq
		r.LastAt = eventTime(w.lastPlain)
	}
	return r
}

// seekAfter positions c on the first key after after (the first key when
// after is nil).
func seekAfter(c *bbolt.Cursor, after []byte) ([]byte, []byte) {
	if after == nil {
		return c.First()
	}
	k, v := c.Seek(after)
	if k != nil && bytes.Equal(k, after) {
		k, v = c.Next()
	}
	return k, v
}
