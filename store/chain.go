package store

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"

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
	return c.parseAnchor(label, v)
}

// parseAnchor reads an anchorValue: present is always true; ok reports
// whether its MAC is this key's for label.
func (c *chain) parseAnchor(label string, v []byte) (a anchor, present, ok bool) {
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
