package store

import (
	"encoding/json"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// benchEvent is a typical record: an alert opened by a named user.
var benchEvent = Event{
	At: time.Date(2026, 6, 20, 9, 17, 0, 0, time.UTC), Kind: "alert-opened",
	UserID: "555021935107", UserName: "Nightingale Florence", RoleID: "555021936108",
	JobRole: "R8000", OrgCode: "RR8", Setting: "emergency-department",
	NHS: "9990275831", Notified: true, TraceID: "7f3c2a4e-9d1b-4c6e-8a2f-1b3d5e7f9a0c",
	Outcome: "opened",
}

// storedSize appends benchEvent once and returns the size of the value it
// stored, so both benchmarks write the same number of bytes.
func storedSize(b *testing.B, db *DB) int {
	b.Helper()
	seq, err := db.Append(benchEvent)
	if err != nil {
		b.Fatal(err)
	}
	var n int
	db.bolt.View(func(tx *bbolt.Tx) error {
		n = len(tx.Bucket(bucketAudit).Get(seqKey(seq)))
		return nil
	})
	return n
}

// BenchmarkSealEvent is Append's work before the disk (encode, seal,
// wrap), to show how small it is beside the fsync both benchmarks above
// wait for.
func BenchmarkSealEvent(b *testing.B) {
	s, err := newSealer(make([]byte, keySize))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		plain, err := json.Marshal(benchEvent)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(envelope{V: envelopeV1, Sealed: s.seal(bucketAudit, seqKey(1), plain)}); err != nil {
			b.Fatal(err)
		}
	}
}
