package itstatus

import (
	"strings"
	"testing"
	"time"
)

// The baseline item reads the IT status's snapshot, which the running
// kiosk keeps (snapshot.go).
func TestReadinessBaselineFromStatus(t *testing.T) {
	day := time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	now := day
	check := BaselineEvidence(dir, func() time.Time { return now })
	if ok, why := check(); ok || !strings.Contains(why, "No IT status check found") {
		t.Errorf("no snapshot: %v %q", ok, why)
	}
	st := Status{Checked: day.Add(-time.Hour), Lines: []StatusLine{
		{ID: "reader", Title: "Smartcard reader", State: StateGreen},
		{ID: "baseline.os", Title: "Operating system", Result: ResultPass},
		{ID: "baseline.tz", Title: "Time zone", Result: ResultWarn},
	}}
	if err := WriteSnapshot(dir, st); err != nil {
		t.Fatal(err)
	}
	if ok, why := check(); ok || !strings.Contains(why, "1 of 2 baseline items pass; not passing: Time zone (warn)") {
		t.Errorf("a warning: %v %q", ok, why)
	}
	st.Lines[2].Result = ResultPass
	if err := WriteSnapshot(dir, st); err != nil {
		t.Fatal(err)
	}
	if ok, why := check(); !ok || !strings.Contains(why, "all 2 baseline items pass") {
		t.Errorf("all pass: %v %q", ok, why)
	}
	now = now.AddDate(0, 0, 31)
	if ok, why := check(); ok || !strings.Contains(why, "more than 30 days old") {
		t.Errorf("a stale check: %v %q", ok, why)
	}
}
