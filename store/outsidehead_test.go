package store

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

func appendN(t *testing.T, db *DB, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := db.Append(Event{At: time.Now(), Kind: cpis.EventTrace, Result: cpis.ResultFound}); err != nil {
			t.Fatal(err)
		}
	}
}

// Never a silent fresh start: with the key and its head file there, a
// deleted database is refused until IT starts afresh on purpose, and the
// new database's first record says who and why.
func TestMissingDatabaseIsRefusedUntilStartedAfresh(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	appendN(t, db, 5)
	db.Close()
	if err := os.Remove(dbPath); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dbPath, keyPath, nil); !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("a missing database with its key: %v, want ErrNoDatabase", err)
	}
	if _, err := os.Stat(dbPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the refusal made a new database file")
	}
	db, err := OpenAfresh(dbPath, keyPath, nil, "root (IT)", "disk replaced, no backup")
	if err != nil {
		t.Fatal(err)
	}
	var got []Event
	db.Events(func(e Event) error { got = append(got, e); return nil })
	if len(got) != 1 || got[0].Kind != cpis.EventDataAccepted || got[0].UserName != "root (IT)" {
		t.Fatalf("the fresh database's records: %+v", got)
	}
	db.Close()
	db = mustOpen(t, dbPath, keyPath) // and it opens as any other from then on
	db.Close()
}

// A rollback (an older copy of kiosk.db put back) is found at Open:
// Verify says so, the head beside the key keeps its evidence whatever is
// written meanwhile, and Accept records who took the restore, and why.
func TestRollbackIsDetected(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	appendN(t, db, 5)
	db.Close()
	old, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dbPath, keyPath)
	appendN(t, db, 3) // a sign-off, say, after the copy was taken
	db.Close()
	if err := os.WriteFile(dbPath, old, 0o600); err != nil {
		t.Fatal(err)
	}

	db = mustOpen(t, dbPath, keyPath)
	var rb *RollbackError
	if err := db.Rollback(); !errors.As(err, &rb) || rb.Kept != 8 || rb.Found != 5 {
		t.Fatalf("Rollback after an older copy was put back: %v", err)
	}
	if _, err := db.Verify(); !errors.Is(err, ErrRolledBack) {
		t.Fatalf("Verify of a rolled-back database: %v", err)
	}
	appendN(t, db, 4) // writing on does not wash the evidence away
	db.Close()
	db = mustOpen(t, dbPath, keyPath)
	if err := db.Rollback(); err == nil {
		t.Fatal("the rollback was forgotten after more records were written")
	}
	if _, err := db.Accept("root (IT)", "restored after disk failure"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = mustOpen(t, dbPath, keyPath)
	defer db.Close()
	if err := db.Rollback(); err != nil {
		t.Fatalf("after Accept: %v", err)
	}
	if _, err := db.Verify(); err != nil {
		t.Fatalf("Verify after Accept: %v", err)
	}
}

// The same number of records but another database's: also a rollback.
func TestAnotherDatabaseOfTheSameLengthIsDetected(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	appendN(t, db, 3)
	db.Close()
	old, _ := os.ReadFile(dbPath)
	db = mustOpen(t, dbPath, keyPath)
	appendN(t, db, 1)
	db.Close()
	// The old copy gets one record of its own: as long, not the same.
	os.WriteFile(dbPath, old, 0o600)
	head, _ := os.ReadFile(headFile(keyPath))
	db = mustOpen(t, dbPath, keyPath)
	db.Accept("x", "y") // writes record 4 in the old copy and moves the file on
	db.Close()
	os.WriteFile(headFile(keyPath), head, 0o600) // the file as it was: record 4 of the other line
	db = mustOpen(t, dbPath, keyPath)
	defer db.Close()
	if err := db.Rollback(); !errors.Is(err, ErrRolledBack) {
		t.Fatalf("a database whose record 4 is not the kept one: %v", err)
	}
}

// A head file that is not this key's (altered, or left from another key)
// is reported as a rollback for IT to look at, never opened past in
// silence, and Accept settles it.
func TestForeignHeadFile(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	appendN(t, db, 2)
	db.Close()
	head, _ := os.ReadFile(headFile(keyPath))
	head[len(head)-1] ^= 1
	os.WriteFile(headFile(keyPath), head, 0o600)
	db = mustOpen(t, dbPath, keyPath)
	defer db.Close()
	var rb *RollbackError
	if err := db.Rollback(); !errors.As(err, &rb) || !rb.Foreign {
		t.Fatalf("an altered head file: %v", err)
	}
	if _, err := db.Accept("root (IT)", "key restored from escrow"); err != nil || db.Rollback() != nil {
		t.Fatalf("Accept: %v, then %v", err, db.Rollback())
	}
}
