package store

import (
	"bytes"
	"os"
	"slices"
	"testing"
	"time"
)

func TestStaffAccessProvenInTheSameTransaction(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	t0 := time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC)
	nurse := Event{UserID: "555000000010", UserName: "Alex Morgan", RoleID: "555000000010-01",
		JobRole: "Staff Nurse", OrgCode: "RXX01", Setting: "emergency-department", Codes: []string{"B0264", "B0107"}}
	clerk := Event{UserID: "555000000011", UserName: "Sam Patel", RoleID: "555000000011-01",
		JobRole: "Receptionist", OrgCode: "RXX01", Setting: "emergency-department", Codes: []string{"B0264"}}
	at := func(e Event, min int, kind, nhs, outcome string, notified bool) Event {
		e.At, e.Kind, e.NHS, e.Outcome, e.Notified = t0.Add(time.Duration(min)*time.Minute), kind, nhs, outcome, notified
		return e
	}
	for _, e := range []Event{
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
	events := readAll(t, db)
	var proofs []Event
	for i, e := range events {
		if e.Kind == KindAccessVerified {
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

	db = mustOpen(t, dbPath, keyPath)
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
		!slices.Equal(a.VerifiedRole.Codes, nurse.Codes) || len(a.Opened) != 2 || a.Missing() != nil {
		t.Errorf("the nurse: %+v", a)
	}
	if s.Verified || !slices.Equal(s.Missing(), []string{"B0107"}) || s.Refusals[0].Action != "open a Child Care Alert" {
		t.Errorf("the clerk: %+v", s)
	}
	if _, err := db.Verify(); err != nil {
		t.Errorf("the log with a proof in it does not verify: %v", err)
	}
}

func TestMissingCodes(t *testing.T) {
	for _, c := range []struct {
		e    Event
		want []string
	}{
		{Event{Kind: "trace", Outcome: "refused: your role does not have code B0264, needed to trace a patient"}, []string{"B0264"}},
		{Event{Kind: "alert-opened", Outcome: "refused: your role does not have code B0107, needed to open a Child Care Alert; " +
			"your registration authority can add it to your smartcard (B0170 silent read is for scheduled care only)"}, []string{"B0107"}},
		{Event{Kind: "login", Outcome: "refused: B0170 silent read is for scheduled care only"}, []string{"B0264", "B0107"}},
	} {
		if got := missingCodes(c.e); !slices.Equal(got, c.want) {
			t.Errorf("missingCodes(%q) = %v, want %v", c.e.Outcome, got, c.want)
		}
	}
}
