package accountability_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// commandLine is who records at the command line.
var commandLine = check.Session{User: cpis.User{Name: "command line"}}

func statuses(items []accountability.ReadinessItem) map[string]string {
	m := map[string]string{}
	for _, it := range items {
		m[it.ID] = it.Status
	}
	return m
}

func TestReadinessFromEvidence(t *testing.T) {
	db := kiosktest.DB(t)
	a := kiosktest.Accountability(t, db)
	now := kiosktest.Day.AddDate(0, 0, 40)
	a.Now = func() time.Time { return now }

	// Nothing yet, on the embedded sandbox.
	items, err := a.Readiness()
	if err != nil {
		t.Fatal(err)
	}
	got := statuses(items)
	for id, want := range map[string]string{"care-setting": accountability.StatusReady, "spine": accountability.StatusNotReady, "fgm": accountability.StatusNotReady, "baseline": accountability.StatusNotChecked,
		"reader": accountability.StatusNotReady, "staff": accountability.StatusNotReady, "drill": accountability.StatusNotReady, "audit": accountability.StatusReady,
		"briefing": accountability.StatusNotReady, "continuity": accountability.StatusNotReady, "ig": accountability.StatusNotReady, "go-no-go": accountability.StatusNotReady} {
		if got[id] != want {
			t.Errorf("empty kiosk: %s is %q, want %q", id, got[id], want)
		}
	}

	// The evidence arrives: a card sign-in and both test patients opened
	// a week ago, a drill passed, two items recorded, a real Spine.
	week := now.AddDate(0, 0, -7)
	at := func(e store.Event, d time.Duration) store.Event { e.At = week.Add(d); return e }
	kiosktest.Append(t, db, []store.Event{
		at(kiosktest.Ev(kiosktest.Alex, 0, 0, 0, "login", "", "signed in"), 0),
		at(kiosktest.Ev(kiosktest.Alex, 0, 0, 0, "trace", "9990276579", "found"), time.Minute),
		at(kiosktest.Ev(kiosktest.Alex, 0, 0, 0, "alert-opened", "9990276579", "opened"), 2*time.Minute),
		at(kiosktest.Ev(kiosktest.Alex, 0, 0, 0, "trace", "9990275831", "found"), 3*time.Minute),
		at(kiosktest.Ev(kiosktest.Alex, 0, 0, 0, "alert-opened", "9990275831", "opened"), 4*time.Minute),
		at(kiosktest.Ev(kiosktest.SamP, 0, 0, 0, "login", "", "signed in"), 5*time.Minute),
		// An old drill that failed, then one that passed: the last counts.
		{At: week.AddDate(0, 0, -20), Kind: cpis.EventDrill, Result: cpis.ResultFailed, Outcome: "failed: presented 10, queued 10, replayed 9, lost 1"},
		{At: week, Kind: cpis.EventDrill, Result: cpis.ResultPassed, Outcome: "passed: presented 100, queued 100, replayed 100, lost 0, duplicate notifications 0, review items 31"},
		// FGM-IS refused for want of B0370, then answered.
		{At: week.Add(6 * time.Minute), Kind: cpis.EventFGMQuery, UserID: "555000000011", Result: cpis.ResultRefused, Missing: []cpis.ActivityCode{cpis.ViewSummary}},
		{At: week.Add(7 * time.Minute), Kind: cpis.EventFGMQuery, UserID: "555000000010", Result: cpis.ResultNoFGMFlag, Outcome: "no flag"},
	})
	if err := a.RecordReadiness("briefing", "Pat Lead, project lead", "webinar with the implementation manager", commandLine); err != nil {
		t.Fatal(err)
	}
	if err := a.RecordReadiness("go-no-go", "Pat Lead", "", commandLine); err != nil {
		t.Fatal(err)
	}
	if err := a.RecordReadiness("lunch", "Pat Lead", "", commandLine); err == nil {
		t.Error("an unknown item was recorded")
	}
	if err := a.RecordReadiness("ig", " ", "", commandLine); err == nil {
		t.Error("an item was recorded by nobody")
	}
	a.Cfg.Spine.PDS, a.Cfg.Spine.CPIS = "https://pds.example", "https://cpis.example"
	a.Baseline = func() (bool, string) { return true, "IT status of today: all 9 baseline items pass." }

	items, err = a.Readiness()
	if err != nil {
		t.Fatal(err)
	}
	got = statuses(items)
	for id, want := range map[string]string{"care-setting": accountability.StatusReady, "spine": accountability.StatusReady, "fgm": accountability.StatusReady, "baseline": accountability.StatusReady,
		"reader": accountability.StatusReady, "staff": accountability.StatusReady, "drill": accountability.StatusReady, "audit": accountability.StatusReady,
		"briefing": accountability.StatusReady, "continuity": accountability.StatusNotReady, "ig": accountability.StatusNotReady, "go-no-go": accountability.StatusReady} {
		if got[id] != want {
			t.Errorf("with evidence: %s is %q, want %q", id, got[id], want)
		}
	}
	for _, it := range items {
		if it.ID == "briefing" && (it.By != "Pat Lead, project lead" || !strings.Contains(it.Evidence, "webinar")) {
			t.Errorf("briefing: %+v", it)
		}
		if it.ID == "staff" && !strings.HasPrefix(it.Evidence, "1 proven, 1 seen") {
			t.Errorf("staff: %s", it.Evidence)
		}
	}

	// Thirty days on, the sign-in and the drill are stale.
	now = now.AddDate(0, 0, 30)
	items, _ = a.Readiness()
	got = statuses(items)
	if got["reader"] != accountability.StatusNotReady || got["drill"] != accountability.StatusNotReady || got["spine"] != accountability.StatusNotReady || got["staff"] != accountability.StatusReady {
		t.Errorf("a month later: %v", got)
	}
}

// The PDF is rendered and its text read back with pdftotext (poppler-utils).
func TestReadinessPDFAndCSV(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is not installed: apt-get install poppler-utils (scripts/setup installs it)")
	}
	items := []accountability.ReadinessItem{
		{ID: "care-setting", Steps: "Step 2", Title: "Care setting configured and in scope", Status: accountability.StatusReady,
			Evidence: "Emergency department at Sandbox General Hospital (RXX01): one of the seven unscheduled care settings."},
		{ID: "baseline", Steps: "Steps 13, 14", Title: "Environment baseline (WES) passed", Status: accountability.StatusNotChecked,
			Evidence: "Not checked: the IT status's baseline check is not wired in to this page."},
		{ID: "go-no-go", Steps: "Step 25", Title: "Go/no go call held with the implementation manager", Status: accountability.StatusReady, Manual: true,
			By: "Pat Lead", At: kiosktest.Day, Evidence: "Recorded by Pat Lead, 20 Jun 2026 00:00. Call with Jo Smith – minutes ref. CPIS/25"},
	}
	for i := 0; i < 12; i++ { // enough to need a second page
		items = append(items, accountability.ReadinessItem{ID: "filler", Steps: "Step 99", Title: "Another item", Status: accountability.StatusNotReady,
			Evidence: strings.Repeat("Evidence that wraps across the width of the page. ", 3)})
	}
	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "readiness.pdf")
	var buf bytes.Buffer
	if err := accountability.WriteReadinessPDF(&buf, items, accountability.ReadinessHeader{Organisation: "Sandbox General Hospital (RXX01)",
		Setting: "Emergency department", At: kiosktest.Day}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", buf.Bytes()[:min(20, buf.Len())])
	}
	if err := os.WriteFile(pdfPath, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", pdfPath, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{
		"CP-IS go-live readiness", "Sandbox General Hospital (RXX01) · Emergency department", "2 of 15 items ready",
		"Step 2 · Care setting configured and in scope READY", "NOT CHECKED", "Step 25 · Go/no go call held",
		"Call with Jo Smith – minutes ref. CPIS/25", "page 1 of 2", "page 2 of 2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}

	var csvOut bytes.Buffer
	if err := accountability.WriteReadinessCSV(&csvOut, items[:3], time.UTC); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("CSV: %v, %d records", err, len(recs))
	}
	if r := recs[3]; r[1] != "go-no-go" || r[3] != accountability.StatusReady || r[5] != "Pat Lead" || r[6] != "2026-06-20T00:00:00Z" {
		t.Errorf("CSV row %q", r)
	}
}

// A tampered audit log is no evidence: every item drawn from it is not
// ready, and the audit item says where it breaks.
func TestReadinessRefusesTamperedEvidence(t *testing.T) {
	dir := t.TempDir()
	dbPath, keyPath := filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key")
	db, err := accountability.OpenStore(dbPath, keyPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	kiosktest.Append(t, db, kiosktest.AuditHistory())
	db.Close()
	kiosktest.FlipAuditByte(t, dbPath, 3)
	db, err = accountability.OpenStore(dbPath, keyPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := accountability.NewAccountability(db, config.Defaults(), cpis.EmergencyDepartment, kiosktest.Quiet())
	items, err := a.Readiness()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		switch it.ID {
		case "care-setting", "staff", "baseline":
		case "audit":
			if it.Status != accountability.StatusNotReady || !strings.Contains(it.Evidence, "record 3 has been altered") {
				t.Errorf("audit item: %+v", it)
			}
		default:
			if it.Status != accountability.StatusNotReady {
				t.Errorf("%s is %q on a tampered log", it.ID, it.Status)
			}
		}
	}
}
