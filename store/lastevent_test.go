package store

import (
	"path/filepath"
	"testing"

	"github.com/nhs-cpis/kiosk/cpis"
)

// LastEvent reads backwards across pages and finds the newest match,
// whether it is the last record, deep in the log, or absent.
func TestLastEvent(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "k.db"), filepath.Join(dir, "keys", "k.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok, err := db.LastEvent(func(Event) bool { return true }); ok || err != nil {
		t.Fatalf("empty log: %v %v", ok, err)
	}
	const n = 3*eventsPage + 17
	for i := 1; i <= n; i++ {
		kind := cpis.EventTrace
		if i == 5 || i == eventsPage+1 || i == 2*eventsPage {
			kind = "alert-opened"
		}
		if _, err := db.Append(Event{Kind: kind}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		kind cpis.EventKind
		seq  uint64
		ok   bool
	}{{"trace", n, true}, {"alert-opened", 2 * eventsPage, true}, {"login", 0, false}} {
		e, ok, err := db.LastEvent(func(e Event) bool { return e.Kind == tc.kind })
		if err != nil || ok != tc.ok || e.Seq != tc.seq {
			t.Errorf("%s: seq %d ok %v err %v, want %d %v", tc.kind, e.Seq, ok, err, tc.seq, tc.ok)
		}
	}
	// The oldest match, pages back.
	e, ok, err := db.LastEvent(func(e Event) bool { return e.Kind == "alert-opened" && e.Seq < eventsPage })
	if err != nil || !ok || e.Seq != 5 {
		t.Errorf("deep match: %d %v %v", e.Seq, ok, err)
	}
}
