package controller

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
	"github.com/nhs-cpis/kiosk/ui"
)

// storeCardRig is the card session of session_test.go over a real
// database: pcscd with vsmartcard's vpcd, the Go virtual card in reader
// "Virtual PCD 00 01", the sandbox's identity service over HTTPS, and the
// check and the gatekeeper both writing to the store.
func storeCardRig(t *testing.T) (*cardRig, *store.DB) {
	t.Helper()
	db := kiosktest.DB(t)
	return newCardRigWith(t, testReader, 0, 0, db), db
}

// signIn puts the card in and types its passcode.
func (rig *cardRig) signIn(card, passcode string) (pull func()) {
	pull = rig.insert(card)
	rig.gate(cpis.GatePasscode)
	rig.k.SubmitPasscode(passcode)
	return pull
}

// openAlert traces the patient and opens the alert, through the screens.
func (rig *cardRig) openAlert(nhs string) {
	t := rig.t
	rig.k.NewPatient()
	rig.k.TraceNHS(nhs)
	pv := waitFor(t, rig.views, "the patient "+nhs, func(v ui.View) bool {
		return v.Screen == ui.ScreenPatient && v.Patient != nil && v.Patient.NHS.Digits() == nhs
	})
	if pv.Patient == nil || !pv.CanOpen {
		t.Fatalf("%s: patient %v canOpen %v", nhs, pv.Patient, pv.CanOpen)
	}
	rig.k.AskOpenAlert()
	waitFor(t, rig.views, "the confirmation", func(v ui.View) bool { return v.Screen == ui.ScreenConfirm })
	rig.k.ConfirmOpenAlert()
	waitFor(t, rig.views, "the alert "+nhs, func(v ui.View) bool { return v.Screen == ui.ScreenAlert })
}

// Guide step 19, through the real card session: the nurse who opens both
// test patients' alerts has her access proven, with her role and codes; a
// clerk without B0107 and a scheduled-care card are listed as not yet,
// with the codes they lack.
func TestStaffAccessProvenWithCard(t *testing.T) {
	rig, db := storeCardRig(t)
	rig.gate(cpis.GateInsertCard)

	pull := rig.signIn(nurseCard, "1234")
	rig.gate(cpis.GateOpen)
	rig.openAlert("9990276579")
	checks, err := db.StaffChecks()
	if err != nil || len(checks) != 1 || checks[0].Verified {
		t.Fatalf("after one test patient: %+v %v", checks, err)
	}
	rig.openAlert("9990275831")
	rig.pullAndWait(pull)

	pull = rig.signIn(clerkCard, "2345")
	rig.gate(cpis.GateOpen)
	rig.k.TraceNHS("9990276579")
	waitFor(t, rig.views, "the clerk's patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	rig.pullAndWait(pull)

	pull = rig.signIn(silentCard, "3456")
	rig.gate(cpis.GateRefused)
	rig.pullAndWait(pull)

	checks, err = db.StaffChecks()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.StaffCheck{}
	for _, s := range checks {
		byID[s.UserID] = s
	}
	n := byID[nurseCard]
	if !n.Verified || n.Name != "Alex Morgan" || n.VerifiedRole.ID == "" || !strings.Contains(n.VerifiedRole.JobRole, "Staff Nurse") ||
		!slices.Equal(n.VerifiedRole.Codes, []string{"B0264", "B0107", "B0370"}) || time.Since(n.VerifiedAt) > time.Minute {
		t.Errorf("the nurse: %+v", n)
	}
	// The clerk traced: FGM-IS was refused her for want of B0370, and her
	// role lacks B0107 for the check.
	if c := byID[clerkCard]; c.Verified || !slices.Equal(accountability.Missing(c), []string{"B0107", "B0370"}) {
		t.Errorf("the clerk: %+v missing %v", c, accountability.Missing(c))
	}
	if s := byID[silentCard]; s.Verified || !slices.Equal(accountability.Missing(s), []string{"B0264", "B0107"}) || len(s.Refusals) != 1 {
		t.Errorf("the B0170 card: %+v", s)
	}

	// The proof is in the audit chain, right after the second alert.
	var kinds []cpis.EventKind
	if err := db.Events(func(e store.Event) error {
		if e.UserID == nurseCard {
			kinds = append(kinds, e.Kind)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(kinds, "login") || kinds[len(kinds)-1] != "card-removed" ||
		kinds[len(kinds)-2] != cpis.EventAccessVerified || kinds[len(kinds)-3] != "alert-opened" {
		t.Errorf("the nurse's audit: %v", kinds)
	}
	if _, err := db.Verify(); err != nil {
		t.Errorf("the audit does not verify: %v", err)
	}

	a := accountability.NewAccountability(db, config.Defaults(), cpis.EmergencyDepartment, kiosktest.Quiet())
	var out bytes.Buffer
	if err := a.PrintStaffChecks(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"guide step 19: 1\n", "Alex Morgan", "codes B0264, B0107, B0370; proven", "Not yet proven: 2",
		"Sam Patel", "refused to check FGM-IS", "role lacks B0107 and B0370", "Jo Evans", "refused to sign in"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("staff checks lack %q:\n%s", want, out.String())
		}
	}
}
