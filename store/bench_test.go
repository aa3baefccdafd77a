package store

import (
	"crypto/rand"
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

// BenchmarkAppend is a sealed, durable audit append: encode, seal, one
// bbolt Update with its fsync. Compare with BenchmarkPlainPut for the cost
// of the encryption alone.
func BenchmarkAppend(b *testing.B) {
	dbPath, keyPath := paths(b)
	db := mustOpen(b, dbPath, keyPath)
	defer db.Close()
	b.ReportAllocs()
	b.SetBytes(int64(storedSize(b, db)))
	for b.Loop() {
		if _, err := db.Append(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlainPut is the same write without the store: one plain bbolt
// Update putting a value of the size Append stores, under a sequence key,
// in a database in the same kind of folder.
func BenchmarkPlainPut(b *testing.B) {
	size := func() int {
		dbPath, keyPath := paths(b)
		db := mustOpen(b, dbPath, keyPath)
		defer db.Close()
		return storedSize(b, db)
	}()
	val := make([]byte, size)
	rand.Read(val)

	dbPath, _ := paths(b)
	bdb, err := bbolt.Open(dbPath, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketAudit)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		err := bdb.Update(func(tx *bbolt.Tx) error {
			bk := tx.Bucket(bucketAudit)
			seq, err := bk.NextSequence()
			if err != nil {
				return err
			}
			return bk.Put(seqKey(seq), val)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
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
