package store

import (
	"crypto/rand"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.etcd.io/bbolt"
)

// BenchmarkEnqueue is what the kiosk waits for when it records a
// presentation in downtime: encode, seal, and one bbolt Update holding the
// entry and its audit record, fsynced. Compare BenchmarkPlainPutSameSize.
// Run with -benchtime 10000x for stable percentiles.
func BenchmarkEnqueue(b *testing.B) {
	dbPath, keyPath := paths(b)
	db := mustOpen(b, dbPath, keyPath)
	defer db.Close()
	p := presentations[1]
	d := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.SetBytes(int64(enqueuedSize(b, db, p)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Key = uuid.NewString()
		start := time.Now()
		if _, err := db.Enqueue(p); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	reportPercentiles(b, d)
}

// BenchmarkPlainPutSameSize is the floor: one plain bbolt Update putting a
// value of the size Enqueue stores (the entry and its audit record
// together), fsynced, with no encoding or sealing.
func BenchmarkPlainPutSameSize(b *testing.B) {
	size := func() int {
		dbPath, keyPath := paths(b)
		db := mustOpen(b, dbPath, keyPath)
		defer db.Close()
		return enqueuedSize(b, db, presentations[1])
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
		_, err := tx.CreateBucketIfNotExists(bucketQueue)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	d := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		err := bdb.Update(func(tx *bbolt.Tx) error {
			bk := tx.Bucket(bucketQueue)
			seq, err := bk.NextSequence()
			if err != nil {
				return err
			}
			return bk.Put(seqKey(seq), val)
		})
		if err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	reportPercentiles(b, d)
}

// enqueuedSize enqueues p once and returns the bytes it stored: the
// sealed entry and the sealed audit record.
func enqueuedSize(b *testing.B, db *DB, p Presentation) int {
	b.Helper()
	p.Key = uuid.NewString()
	seq, err := db.Enqueue(p)
	if err != nil {
		b.Fatal(err)
	}
	var n int
	db.bolt.View(func(tx *bbolt.Tx) error {
		n = len(tx.Bucket(bucketQueue).Get(seqKey(seq)))
		_, v := tx.Bucket(bucketAudit).Cursor().Last()
		n += len(v)
		return nil
	})
	return n
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(p int) float64 {
		i := (len(d)*p+99)/100 - 1
		return float64(d[max(i, 0)].Microseconds()) / 1000
	}
	b.ReportMetric(at(50), "p50-ms")
	b.ReportMetric(at(99), "p99-ms")
}
