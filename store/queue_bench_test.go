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
// together), fsynced, with no encoding or sealing. bbolt is opened with
// the kiosk's own options and the bucket filled as the queue is, so the
// difference is only what Enqueue does on top: encoding, sealing, the
// audit record with its chain, and the counts.
func BenchmarkPlainPutSameSize(b *testing.B) {
	put, size, done := plainPut(b)
	defer done()
	d := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		put()
		d = append(d, time.Since(start))
	}
	reportPercentiles(b, d)
}

// BenchmarkEnqueueInterleaved takes the two above in turns, one Enqueue
// then one plain put, so that both meet the same disk at the same moment.
// A shared disk's fsync stalls come in bursts of a second or two; run one
// after the other, a burst lands on one benchmark and not the other, and
// their p99s differ by whatever the disk was doing. p50-ms and p99-ms are
// Enqueue's, plain-p50-ms and plain-p99-ms the plain put's.
func BenchmarkEnqueueInterleaved(b *testing.B) {
	dbPath, keyPath := paths(b)
	db := mustOpen(b, dbPath, keyPath)
	defer db.Close()
	put, _, done := plainPut(b)
	defer done()
	p := presentations[1]
	kiosk, plain := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Key = uuid.NewString()
		start := time.Now()
		if _, err := db.Enqueue(p); err != nil {
			b.Fatal(err)
		}
		kiosk = append(kiosk, time.Since(start))
		start = time.Now()
		put()
		plain = append(plain, time.Since(start))
	}
	reportPercentiles(b, kiosk)
	b.ReportMetric(percentile(plain, 50), "plain-p50-ms")
	b.ReportMetric(percentile(plain, 99), "plain-p99-ms")
}

// plainPut opens a plain bbolt database beside the kiosk's and returns a
// put of the size Enqueue stores, that size, and the closing.
func plainPut(b *testing.B) (put func(), size int, done func()) {
	size = func() int {
		dbPath, keyPath := paths(b)
		db := mustOpen(b, dbPath, keyPath)
		defer db.Close()
		return enqueuedSize(b, db, presentations[1])
	}()
	val := make([]byte, size)
	rand.Read(val)
	dbPath, _ := paths(b)
	bdb, err := bbolt.Open(dbPath, 0o600, boltOptions())
	if err != nil {
		b.Fatal(err)
	}
	if err := bdb.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketQueue)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	put = func() {
		err := bdb.Update(func(tx *bbolt.Tx) error {
			bk := tx.Bucket(bucketQueue)
			bk.FillPercent = queueFill
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
	return put, size, func() { bdb.Close() }
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
	b.ReportMetric(percentile(d, 50), "p50-ms")
	b.ReportMetric(percentile(d, 99), "p99-ms")
}

// percentile is the p-th percentile of d in milliseconds; it sorts d.
func percentile(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := (len(d)*p+99)/100 - 1
	return float64(d[max(i, 0)].Microseconds()) / 1000
}
