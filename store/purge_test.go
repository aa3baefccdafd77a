package store

import (
	"context"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// Purging every record, or most of them, finishes, and the chain still
// verifies afterwards: the purge's work is in proportion to what it
// removes (DESIGN.md, retention).
func TestPurgeOfEverythingFinishes(t *testing.T) {
	for _, n := range []int{1, 18, 88, 1000, 4000} {
		dbPath, keyPath := paths(t)
		db := mustOpen(t, dbPath, keyPath)
		old := time.Now().Add(-200 * 24 * time.Hour)
		for i := 0; i < n; i++ {
			if _, err := db.Append(Event{At: old.Add(time.Duration(i) * time.Second), Kind: cpis.EventTrace, Result: cpis.ResultFound}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		done := make(chan error, 1)
		var res PurgeResult
		start := time.Now()
		go func() {
			var err error
			res, err = db.Purge(time.Now(), "test")
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil || res.Purged != n {
				t.Fatalf("%d records: purged %d, %v", n, res.Purged, err)
			}
			t.Logf("purged %d records in %v", n, time.Since(start).Round(time.Millisecond))
		case <-ctx.Done():
			t.Fatalf("purging %d records did not finish", n)
		}
		cancel()
		if _, err := db.Verify(); err != nil {
			t.Fatalf("after purging %d records the chain does not verify: %v", n, err)
		}
		db.Close()
	}
}
