package store

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"time"

	"go.etcd.io/bbolt"
)

// The audit log as a whole is tamper-evident, not only each record: every
// record carries the hash of the one before it and a MAC under a key of
// its own, and the meta bucket holds the log's head (the last record's
// number and hash) under the same MAC. A record altered, removed,
// reordered, replaced by another's sealed value, or cut off the end shows
// as a break in the chain (DESIGN.md, "Audit": "a local audit log that
// cannot be edited without detection").
//
// A record in the file (format 2; format 1 was sealed JSON without the
// chain):
//
//	[0]      2, the format
//	[1:9]    the record's number, big-endian, as in its key
//	[9:41]   the previous record's hash (zero for the first record ever;
//	         the checkpoint's hash for the first record after a purge)
//	[41:73]  HMAC-SHA256 under the chain key of this record's hash
//	[73:]    the event, sealed as before (AES-256-GCM bound to bucket and key)
//
// The record's hash is SHA-256 over a domain tag, the number, the previous
// hash and the sealed event. Someone with the database file but not the
// key file can compute hashes but not MACs, so cannot mend the chain after
// an edit. What the chain cannot show is the whole file being put back to
// an older copy: that needs a copy of the head kept elsewhere.

const (
	// macInfo derives the chain's MAC key from the key file, apart from the
	// sealing key (crypto.go), so that neither key serves two purposes.
	macInfo = "cpis-kiosk store: audit chain MAC v1"
	// chainTag starts every hashed record, so an audit hash can never be
	// taken for a hash of anything else.
	chainTag = "cpis-kiosk audit chain v2\x00"

	recordV2     = 2
	recordHeader = 1 + 8 + 32 + 32
)

// Meta keys of the chain.
var (
	// metaAuditHead is the last record's number and hash, with their MAC:
	// without it the last records could be cut off unseen.
	metaAuditHead = []byte("audit-head")
	// metaCheckpoint is the last purged record's number and hash, with
	// their MAC: the first record kept after a purge links to it.
	metaCheckpoint = []byte("audit-checkpoint")
)

// unlinked is the previous hash of a record appended when the log's head
// could not be trusted (missing or not authentic): no record hashes to it,
// so the break stays visible instead of the new record mending it.
var unlinked = bytes.Repeat([]byte{0xff}, 32)

// ErrOldFormat means the audit log was written before the chain existed.
// No kiosk in the field has such a log; a developer's old data folder
// may, and must be moved aside rather than silently mixed with the new.
var ErrOldFormat = errors.New("the audit log was written by an earlier kiosk without the tamper-evident chain; " +
	"move the data folder's kiosk.db aside (keep it for the record) and start again")

// chain computes the audit chain's hashes and MACs.
type chain struct{ key []byte }

func newChain(master []byte) (*chain, error) {
	k, err := hkdf.Key(sha256.New, master, nil, macInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving audit MAC key: %w", err)
	}
	return &chain{key: k}, nil
}

// macer is one HMAC state, reused record after record by a walk.
func (c *chain) macer() hash.Hash { return hmac.New(sha256.New, c.key) }

// linkHash is a record's hash.
func linkHash(h hash.Hash, seq uint64, prev, sealed []byte) [32]byte {
	h.Reset()
	h.Write([]byte(chainTag))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], seq)
	h.Write(n[:])
	h.Write(prev)
	h.Write(sealed)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// mac is the MAC of a labelled value: "record" for a record's hash,
// "head" and "checkpoint" for the anchors in the meta bucket.
func mac(m hash.Hash, label string, parts ...[]byte) [32]byte {
	m.Reset()
	m.Write([]byte(label))
	m.Write([]byte{0})
	for _, p := range parts {
		m.Write(p)
	}
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// record builds a stored record and returns it with its hash.
func (c *chain) record(seq uint64, prev, sealed []byte) ([]byte, [32]byte) {
	h := linkHash(sha256.New(), seq, prev, sealed)
	m := mac(c.macer(), "record", h[:])
	v := make([]byte, 0, recordHeader+len(sealed))
	v = append(v, recordV2)
	v = binary.BigEndian.AppendUint64(v, seq)
	v = append(v, prev...)
	v = append(v, m[:]...)
	return append(v, sealed...), h
}

// rawRecord is a stored record taken apart; its slices point into v.
type rawRecord struct {
	n      uint64
	prev   []byte
	mac    []byte
	sealed []byte
}

func parseRecord(v []byte) (rawRecord, bool) {
	if len(v) < recordHeader+1 || v[0] != recordV2 {
		return rawRecord{}, false
	}
	return rawRecord{n: binary.BigEndian.Uint64(v[1:9]), prev: v[9:41], mac: v[41:73], sealed: v[73:]}, true
}

// anchor is a head or checkpoint: a record's number and hash.
type anchor struct {
	n    uint64
	hash [32]byte
}

func (c *chain) anchorValue(label string, a anchor) []byte {
	n := binary.BigEndian.AppendUint64(nil, a.n)
	m := mac(c.macer(), label, n, a.hash[:])
	v := append(n, a.hash[:]...)
	return append(v, m[:]...)
}

// readAnchor reads a head or checkpoint; present is false when there is
// none, ok false when there is one that is not authentic.
func (c *chain) readAnchor(meta *bbolt.Bucket, key []byte, label string) (a anchor, present, ok bool) {
	v := meta.Get(key)
	if v == nil {
		return anchor{}, false, false
	}
	if len(v) != 8+32+32 {
		return anchor{}, true, false
	}
	a.n = binary.BigEndian.Uint64(v[:8])
	copy(a.hash[:], v[8:40])
	want := mac(c.macer(), label, v[:8], v[8:40])
	return a, true, hmac.Equal(want[:], v[40:])
}

// linkForAppend is the number and previous hash for the next record. The
// next number never falls at or below a record that exists or the head,
// whatever the bucket's counter says; the previous hash is the head's
// when the head is authentic and agrees with the last record, and
// unlinked when not, so an append can never make a cut-off tail or a
// forged head look whole.
func (c *chain) linkForAppend(b, meta *bbolt.Bucket) (uint64, []byte, error) {
	seq, err := b.NextSequence()
	if err != nil {
		return 0, nil, err
	}
	lastKey, _ := b.Cursor().Last()
	var last uint64
	if len(lastKey) == 8 {
		last = binary.BigEndian.Uint64(lastKey)
	}
	head, hasHead, headOK := c.readAnchor(meta, metaAuditHead, "head")
	cp, hasCP, cpOK := c.readAnchor(meta, metaCheckpoint, "checkpoint")
	floor := last
	if hasHead && headOK {
		floor = max(floor, head.n)
	}
	if seq <= floor {
		seq = floor + 1
		if err := b.SetSequence(seq); err != nil {
			return 0, nil, err
		}
	}
	// Every record purged: the head and the checkpoint name the same one.
	allPurged := last == 0 && hasCP && cpOK && cp == head
	switch {
	case hasHead && headOK && (head.n == last || allPurged) && seq == head.n+1:
		return seq, head.hash[:], nil
	case !hasHead && last == 0 && !hasCP && seq == 1:
		return seq, make([]byte, 32), nil
	}
	return seq, unlinked, nil
}

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
	var after []byte
	for {
		n := 0
		var brk *Break
		done := false
		err := db.bolt.View(func(tx *bbolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if !w.started {
				if brk = w.start(meta); brk != nil {
					return nil
				}
			}
			c := tx.Bucket(bucketAudit).Cursor()
			k, v := seekAfter(c, after)
			for ; k != nil && n < verifyPage; k, v = c.Next() {
				if _, brk = w.step(c, k, v); brk != nil {
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
			return Report{}, fmt.Errorf("verifying audit log: %w", err)
		}
		if brk != nil || done {
			r := w.report()
			r.Took = time.Since(start)
			if brk != nil {
				return r, brk
			}
			return r, nil
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
