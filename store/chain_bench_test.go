package store

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// BenchmarkAuditAppend is a durable audit append as the kiosk makes it:
// encode, seal, chain (hash and MAC), move the head, keep the staff record
// up, in one bbolt Update with its fsync. BenchmarkPlainAppend beside it is
// the floor: the same number of bytes in a plain bbolt append.
func BenchmarkAuditAppend(b *testing.B) {
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

// BenchmarkPlainAppend is one plain bbolt Update putting a value of the
// size BenchmarkAuditAppend stores under the next sequence key: no
// encoding, no sealing, no chain.
func BenchmarkPlainAppend(b *testing.B) {
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
		if err := bdb.Update(func(tx *bbolt.Tx) error {
			bk := tx.Bucket(bucketAudit)
			seq, err := bk.NextSequence()
			if err != nil {
				return err
			}
			return bk.Put(seqKey(seq), val)
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuditVerify walks the whole chain of a log of CPIS_VERIFY_N
// records (1,000,000 unless set), checking every record's MAC, link and
// seal, and reports records a second. The log is built once per run, in
// large transactions, in a temporary folder. Run it alone:
//
//	go test -run '^$' -bench AuditVerify -benchtime 3x ./store/
func BenchmarkAuditVerify(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("CPIS_VERIFY_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("CPIS_VERIFY_N=%q: want a positive count", s)
		}
		n = v
	}
	db := bigLog(b, n)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		rep, err := db.Verify()
		if err != nil {
			b.Fatal(err)
		}
		if rep.Records != n {
			b.Fatalf("verified %d records, want %d", rep.Records, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "records/s")
}

var (
	bigOnce sync.Once
	bigDB   *DB
	bigN    int
	bigErr  error
)

// bigLog builds (once) a log of n typical records. It lives in its own
// temporary folder, removed when the process ends normally.
func bigLog(b *testing.B, n int) *DB {
	bigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cpis-verify-bench-")
		if err != nil {
			bigErr = err
			return
		}
		bigN = n
		bigDB, bigErr = Open(filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key"), nil)
		if bigErr != nil {
			return
		}
		bigDB.bolt.NoSync = true // the build's speed only; Verify reads
		const perTx = 20_000
		e := benchEvent
		e.UserID = "" // no staff record per append: the build is of the log alone
		for done := 0; done < n && bigErr == nil; done += perTx {
			bigErr = bigDB.bolt.Update(func(tx *bbolt.Tx) error {
				for i := done; i < min(n, done+perTx); i++ {
					e.At = benchEvent.At.Add(time.Duration(i) * time.Second)
					if _, err := bigDB.appendTx(tx, e); err != nil {
						return err
					}
				}
				return nil
			})
		}
		bigDB.bolt.NoSync = false
		if bigErr == nil {
			bigErr = bigDB.bolt.Sync()
		}
		fi, _ := os.Stat(filepath.Join(dir, "kiosk.db"))
		if fi != nil {
			b.Logf("built a log of %d records, %d MB, in %s", n, fi.Size()>>20, dir)
		}
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	if bigN != n {
		b.Fatalf("the log was built with %d records", bigN)
	}
	return bigDB
}

// TestMain removes the benchmark's big log, if one was built.
func TestMain(m *testing.M) {
	code := m.Run()
	if bigDB != nil {
		path := bigDB.bolt.Path()
		bigDB.Close()
		os.RemoveAll(filepath.Dir(path))
	}
	os.Exit(code)
}
