package accountability

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

func TestStaffAccessProvenInTheSameTransaction(t *testing.T) {
	dir := t.TempDir()
	dbPath, keyPath := filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key")
	db := mustOpenDB(t, dbPath, keyPath)
	t0 := time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC)
	nurse := store.Event{UserID: "555000000010", UserName: "Alex Morgan", RoleID: "555000000010-01",
		JobRole: "Staff Nurse", OrgCode: "RXX01", Setting: "emergency-department", Codes: []string{"B0264", "B0107"}}
	clerk := store.Event{UserID: "555000000011", UserName: "Sam Patel", RoleID: "555000000011-01",
		JobRole: "Receptionist", OrgCode: "RXX01", Setting: "emergency-department", Codes: []string{"B0264"}}
	at := func(e store.Event, min int, kind, nhs, outcome string, notified bool) store.Event {
		e.At, e.Kind, e.NHS, e.Outcome, e.Notified = t0.Add(time.Duration(min)*time.Minute), cpis.EventKind(kind), nhs, outcome, notified
		switch {
		case strings.HasPrefix(outcome, "refused"):
			e.Result = cpis.ResultRefused
		case notified:
			e.Result = cpis.ResultAlert
		}
		return e
	}
	for _, e := range []store.Event{
		at(nurse, 0, "login", "", "signed in", false),
		at(nurse, 1, "trace", "9990276579", "found", false),
		at(nurse, 2, "alert-opened", "9990276579", "opened", true),
		at(clerk, 3, "login", "", "signed in", false),
		at(clerk, 4, "trace", "9990275831", "found", false),
		at(clerk, 5, "alert-opened", "9990275831", "refused: your role does not have code B0107, needed to open a Child Care Alert; your registration authority can add it to your smartcard", false),
		// Opening the same test patient twice proves nothing more.
		at(nurse, 6, "alert-opened", "9990276579", "opened", true),
		// Another patient's alert does not count.
		at(nurse, 7, "alert-opened", "9990300011", "opened", true),
		at(nurse, 8, "alert-opened", "9990275831", "opened", true),
	} {
		if _, err := db.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	var events []store.Event
	if err := db.Events(func(e store.Event) error { events = append(events, e); return nil }); err != nil {
		t.Fatal(err)
	}
	var proofs []store.Event
	for i, e := range events {
		if e.Kind == cpis.EventAccessVerified {
			proofs = append(proofs, e)
			if prev := events[i-1]; prev.Kind != "alert-opened" || prev.NHS != "9990275831" || prev.Seq != e.Seq-1 {
				t.Errorf("the proof does not follow the second test patient's alert: %+v", prev)
			}
		}
	}
	if len(proofs) != 1 || proofs[0].UserID != nurse.UserID || !proofs[0].At.Equal(t0.Add(8*time.Minute)) ||
		!slices.Equal(proofs[0].Codes, nurse.Codes) {
		t.Fatalf("proofs %+v", proofs)
	}
	db.Close()

	raw, _ := os.ReadFile(dbPath)
	for _, secret := range []string{"555000000010", "Alex Morgan", "Sam Patel"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the file holds %q in clear", secret)
		}
	}

	db = mustOpenDB(t, dbPath, keyPath)
	defer db.Close()
	checks, err := db.StaffChecks()
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 2 {
		t.Fatalf("staff checks %+v", checks)
	}
	a, s := checks[0], checks[1] // by name: Alex, Sam
	if !a.Verified || !a.VerifiedAt.Equal(t0.Add(8*time.Minute)) || a.VerifiedRole.ID != nurse.RoleID ||
		!slices.Equal(a.VerifiedRole.Codes, nurse.Codes) || len(a.Opened) != 2 || Missing(a) != nil {
		t.Errorf("the nurse: %+v", a)
	}
	// B0107 for the check, and B0370 for FGM-IS, which her codes lack too.
	if s.Verified || !slices.Equal(Missing(s), []string{"B0107", "B0370"}) || s.Refusals[0].Action != "open a Child Care Alert" {
		t.Errorf("the clerk: %+v", s)
	}
	if _, err := db.Verify(); err != nil {
		t.Errorf("the log with a proof in it does not verify: %v", err)
	}
}

// A refusal's missing codes come from the error's type, never its words;
// a sign-in refused outright lacks both of the check's codes (guide step 12).
func TestRefusalNamesTheMissingCodes(t *testing.T) {
	for _, c := range []struct {
		kind cpis.EventKind
		err  error
		want []string
	}{
		{cpis.EventTrace, &cpis.PermissionError{Action: cpis.ActTrace, Missing: cpis.PerformTrace}, []string{"B0264"}},
		{cpis.EventAlertOpened, &cpis.PermissionError{Action: cpis.ActOpenAlert, Missing: cpis.ViewFlag}, []string{"B0107"}},
		{cpis.EventLogin, cpis.ErrSilentReadOnly, []string{"B0264", "B0107"}},
		{cpis.EventTrace, errors.New("your role does not have code B0107"), []string{"B0264"}},
	} {
		e := check.Refusal(store.Event{Kind: c.kind, UserID: "u", At: time.Now()}, c.err)
		s, _ := StaffRule{}.Apply(store.StaffCheck{}, e)
		if len(s.Refusals) != 1 || !slices.Equal(s.Refusals[0].Missing, c.want) {
			t.Errorf("%s refused with %v: %+v, want missing %v", c.kind, c.err, s.Refusals, c.want)
		}
	}
}

// mustOpenDB opens a real database with the staff rule, as the kiosk does.
func mustOpenDB(t testing.TB, dbPath, keyPath string) *store.DB {
	t.Helper()
	db, err := OpenStore(dbPath, keyPath, nil)
	if err != nil {
		t.Fatalf("opening database: %v", err)
	}
	return db
}
