package controller

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/ui"
)

var (
	nurse = check.Session{
		User:  cpis.User{ID: "555000000001", Name: "Demo Nurse"},
		Role:  cpis.Role{ID: "555000000001-01", OrgCode: "RXX01", OrgName: "Sandbox General Hospital", JobRole: "Staff Nurse", Activity: []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag}},
		Token: "t",
	}
	clerk = check.Session{
		User: cpis.User{ID: "555000000002", Name: "Demo Clerk"},
		Role: cpis.Role{ID: "555000000002-01", OrgCode: "RXX01", JobRole: "Receptionist", Activity: []cpis.ActivityCode{cpis.PerformTrace}},
	}
	child = cpis.Patient{NHS: "9990276579", Given: "Amelia", Family: "Test", Gender: cpis.Female,
		BirthDate: time.Date(2016, 3, 2, 0, 0, 0, 0, time.UTC)}
	cpp = cpis.Plan{Type: cpis.CPP, Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		Authority: cpis.LocalAuthority{Name: "Leeds City Council", OfficeHours: "01632 960001", OutOfHours: "01632 960002"}}
)

func newTestKiosk(t *testing.T, f *fakeSpine, s check.Session) (*Kiosk, *views, *kiosktest.MemAudit) {
	t.Helper()
	a := &kiosktest.MemAudit{}
	c := &check.Checker{Spine: f, Audit: a, Setting: cpis.EmergencyDepartment, Now: time.Now, Log: kiosktest.Quiet()}
	v := newViews()
	k := NewKiosk(c, ui.Banner{Setting: "Emergency department"}, config.DefaultRoute, 0, v.show, kiosktest.Quiet())
	k.Start()
	k.SignIn(s)
	t.Cleanup(k.Shutdown)
	return k, v, a
}

// waitFor waits for a published View that satisfies ok. The deadline only
// stops a broken test from hanging; it measures nothing.
func waitFor(t testing.TB, v *views, what string, ok func(ui.View) bool) ui.View {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case view := <-v.ch:
			if ok(view) {
				return view
			}
		case <-deadline:
			t.Fatalf("no View with %s", what)
		}
	}
}

func TestKioskCheckFlow(t *testing.T) {
	f := newFakeSpine()
	f.patients[child.NHS] = child
	f.plans[child.NHS] = []cpis.Plan{cpp}
	k, v, audit := newTestKiosk(t, f, nurse)

	k.TraceNHS("999 027 6579")
	pv := waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	if !pv.CanOpen || pv.Patient.NHS != child.NHS || pv.Opened != nil {
		t.Fatalf("patient view: canOpen %v opened %+v", pv.CanOpen, pv.Opened)
	}
	// Guide, "Who to check": "All children under the age of 18 years".
	if pv.Check.Need != cpis.Required {
		t.Errorf("a child must be checked, got %v", pv.Check.Need)
	}
	if len(f.opened) != 0 {
		t.Fatal("tracing notified the local authority")
	}

	k.AskOpenAlert()
	waitFor(t, v, "the confirmation", func(v ui.View) bool { return v.Screen == ui.ScreenConfirm })
	if len(f.opened) != 0 {
		t.Fatal("asking to open notified before the confirmation")
	}
	k.ConfirmOpenAlert()
	av := waitFor(t, v, "the alert", func(v ui.View) bool { return v.Screen == ui.ScreenAlert })
	if av.Opened == nil || len(av.Opened.Plans) != 1 || av.Opened.Authority().Name != "Leeds City Council" {
		t.Fatalf("opened alert: %+v", av.Opened)
	}
	if len(f.opened) != 1 || f.opened[0] == "" {
		t.Fatalf("want one notifying access with a key, got %+v", f.opened)
	}
	if f.opened[0] != k.present.Key {
		t.Errorf("the CP-IS query's TraceID %q is not the presentation's %q, which the audit carries", f.opened[0], k.present.Key)
	}
	// The kiosk's record of the intent comes before the query it records.
	if got := audit.Kinds(); !slices.Equal(got, []string{"trace", "check-intent", "alert-opened"}) {
		t.Errorf("audit kinds %v", got)
	}

	k.NewPatient()
	ev := waitFor(t, v, "the entry screen", func(v ui.View) bool { return v.Screen == ui.ScreenEntry })
	if ev.Patient != nil || ev.Opened != nil {
		t.Fatal("new patient left the last patient on screen")
	}
}

// The kiosk runs only in unscheduled care, where the one CP-IS query is
// the access that notifies: a trace asks CP-IS nothing, so nothing is
// learned of an alert without the access being recorded (DESIGN.md, step
// 4; spine-interfaces.md: "false means scheduled care").
func TestKioskTraceAsksNothingOfCPIS(t *testing.T) {
	f := newFakeSpine()
	f.patients[child.NHS] = child
	f.plans[child.NHS] = []cpis.Plan{cpp}
	k, v, _ := newTestKiosk(t, f, nurse)
	k.TraceNHS("9990276579")
	pv := waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	if len(f.opened) != 0 || pv.Opened != nil {
		t.Fatalf("the trace queried CP-IS %d times", len(f.opened))
	}
}

// A child without a plan: the check says so explicitly, and no history is
// asked for.
func TestKioskNoAlertIsExplicit(t *testing.T) {
	f := newFakeSpine()
	f.patients[child.NHS] = child
	f.historyFn = func() ([]cpis.Access, error) {
		t.Error("the history was read for a child without an alert")
		return nil, nil
	}
	k, v, audit := newTestKiosk(t, f, nurse)
	k.TraceNHS("9990276579")
	waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	k.AskOpenAlert()
	waitFor(t, v, "the confirmation", func(v ui.View) bool { return v.Screen == ui.ScreenConfirm })
	k.ConfirmOpenAlert()
	av := waitFor(t, v, "the answer", func(v ui.View) bool { return v.Screen == ui.ScreenAlert })
	if av.Opened == nil || len(av.Opened.Plans) != 0 || av.Message != nil || len(f.opened) != 1 {
		t.Fatalf("no alert: opened %+v message %+v queries %d", av.Opened, av.Message, len(f.opened))
	}
	if kinds := audit.Kinds(); kinds[len(kinds)-1] != "alert-opened" {
		t.Errorf("audit %v", kinds)
	}
}

// A superseded NHS number: the current one is shown, said on screen, and
// used for CP-IS (spine-interfaces.md, "A superseded record").
func TestKioskFollowsSupersededNumber(t *testing.T) {
	f := newFakeSpine()
	current := child
	current.Superseded = "9990275831"
	f.patients["9990275831"] = current
	k, v, _ := newTestKiosk(t, f, nurse)
	k.TraceNHS("9990275831")
	pv := waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	if pv.Patient.NHS != child.NHS || pv.Message == nil || !strings.Contains(pv.Message.Body, "999 027 5831") {
		t.Fatalf("superseded: patient %v message %+v", pv.Patient.NHS, pv.Message)
	}
	k.AskOpenAlert()
	k.ConfirmOpenAlert()
	waitFor(t, v, "the answer", func(v ui.View) bool { return v.Screen == ui.ScreenAlert })
	if k.View().Opened.NHS != child.NHS {
		t.Errorf("CP-IS was asked about %v, not the current number", k.View().Opened.NHS)
	}
}

func TestKioskBadNHSNumberKeepsText(t *testing.T) {
	k, v, audit := newTestKiosk(t, newFakeSpine(), nurse)
	k.TraceNHS("999 027 6578")
	view := waitFor(t, v, "a message", func(v ui.View) bool { return v.Message != nil })
	if view.EntryText != "999 027 6578" || !strings.Contains(view.Message.Body, "check digit") {
		t.Fatalf("entry %q message %+v", view.EntryText, view.Message)
	}
	if len(audit.Kinds()) != 0 {
		t.Error("a malformed number reached the audit as a trace")
	}
}

func TestKioskSpineErrorsArePlainWords(t *testing.T) {
	for _, tc := range []struct {
		err   error
		title string
	}{
		{&spine.Error{Status: 404, Err: spine.ErrNotFound}, "Patient not found"},
		{&spine.Error{Status: 503, Err: spine.ErrUnavailable}, "The Spine cannot be reached"},
		{&spine.Error{Err: spine.ErrBadResponse}, "The Spine gave an answer the kiosk cannot read"},
		{&spine.Error{Err: spine.ErrCertificate}, "The Spine's identity could not be verified"},
	} {
		f := newFakeSpine()
		f.patients[child.NHS] = child
		f.err = tc.err
		k, v, _ := newTestKiosk(t, f, nurse)
		k.TraceNHS("9990276579")
		view := waitFor(t, v, tc.title, func(v ui.View) bool { return v.Message != nil && !v.Busy.Active })
		if view.Message.Title != tc.title || view.Message.Next == "" {
			t.Errorf("%v: message %+v, want title %q", tc.err, view.Message, tc.title)
		}
		if view.Screen != ui.ScreenEntry || view.EntryText == "" {
			t.Errorf("%v: the number was lost from the entry", tc.err)
		}
	}
}

func TestKioskRoleWithoutB0107CannotOpen(t *testing.T) {
	f := newFakeSpine()
	f.patients[child.NHS] = child
	f.plans[child.NHS] = []cpis.Plan{cpp}
	k, v, _ := newTestKiosk(t, f, clerk)
	k.TraceNHS("9990276579")
	pv := waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	if pv.CanOpen {
		t.Fatal("a role without B0107 may open the alert")
	}
	k.AskOpenAlert()
	mv := waitFor(t, v, "a refusal", func(v ui.View) bool { return v.Message != nil })
	if !strings.Contains(mv.Message.Body, "B0107") || !strings.Contains(mv.Message.Body, "registration authority") {
		t.Errorf("refusal %+v", mv.Message)
	}
	// Enforced in the use case too, not only by the screen.
	_, err := k.check.Open(k.ctx, clerk, child.NHS, check.NewPresentation(time.Now()))
	if !errors.Is(err, cpis.ErrNotPermitted) || len(f.opened) != 0 {
		t.Fatalf("open without B0107: %v, %d notifications", err, len(f.opened))
	}
}

func TestKioskWipeDropsLateAnswer(t *testing.T) {
	f := newFakeSpine()
	f.patients[child.NHS] = child
	f.gate = make(chan struct{})
	k, v, _ := newTestKiosk(t, f, nurse)
	k.TraceNHS("9990276579")
	waitFor(t, v, "busy", func(v ui.View) bool { return v.Busy.Active })
	k.Wipe()
	close(f.gate) // the trace answers after the wipe
	k.wg.Wait()
	if view := k.View(); view.Patient != nil || view.Screen != ui.ScreenEntry {
		t.Fatal("an answer that arrived after the wipe put the patient back on screen")
	}
}

func TestKioskIdleWipes(t *testing.T) {
	f := newFakeSpine()
	f.patients[child.NHS] = child
	a := &kiosktest.MemAudit{}
	c := &check.Checker{Spine: f, Audit: a, Setting: cpis.EmergencyDepartment, Now: time.Now, Log: kiosktest.Quiet()}
	v := newViews()
	k := NewKiosk(c, ui.Banner{}, config.DefaultRoute, 50*time.Millisecond, v.show, kiosktest.Quiet())
	t.Cleanup(k.Shutdown)
	k.SignIn(nurse)
	k.TraceNHS("9990276579")
	waitFor(t, v, "the patient", func(v ui.View) bool { return v.Patient != nil })
	waitFor(t, v, "the wiped screen", func(v ui.View) bool { return v.Patient == nil && v.Screen == ui.ScreenEntry })
}

func TestAskStaffQuestionsInED(t *testing.T) {
	// Guide: "All girls and women presenting at emergency departments who are
	// both: visibly pregnant; not being admitted for maternity assessment,
	// and a community midwife has not been identified".
	woman := cpis.Patient{NHS: "9990275831", Given: "Jane", Family: "Test", Gender: cpis.Female,
		BirthDate: time.Now().AddDate(-27, 0, 0)}
	f := newFakeSpine()
	f.patients[woman.NHS] = woman
	k, v, _ := newTestKiosk(t, f, nurse)
	k.TraceNHS(string(woman.NHS))
	pv := waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	if pv.Check.Need != cpis.AskStaff {
		t.Fatalf("need %v, want AskStaff", pv.Check.Need)
	}
	k.Answer(cpis.QVisiblyPregnant, true)
	k.Answer(cpis.QNoMaternityRoute, true)
	if got := k.View().Check.Need; got != cpis.Required {
		t.Fatalf("after both answers need %v, want Required", got)
	}
}

// Back (Escape) from a check's answer goes to a new patient, never back
// to the check: checking again would tell the local authority again.
func TestBackFromTheAnswerNeverChecksAgain(t *testing.T) {
	f := newFakeSpine()
	f.patients[child.NHS] = child
	f.plans[child.NHS] = []cpis.Plan{cpp}
	k, v, _ := newTestKiosk(t, f, nurse)
	k.TraceNHS("9990276579")
	waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	k.AskOpenAlert()
	k.ConfirmOpenAlert()
	waitFor(t, v, "the alert", func(v ui.View) bool { return v.Screen == ui.ScreenAlert })
	k.Back()
	if bv := k.View(); bv.Screen != ui.ScreenEntry || bv.Patient != nil || bv.Opened != nil {
		t.Fatalf("back from the alert: screen %v, patient %v", bv.Screen, bv.Patient)
	}
	k.AskOpenAlert()
	k.ConfirmOpenAlert()
	k.wg.Wait()
	if len(f.opened) != 1 {
		t.Fatalf("%d CP-IS queries, want 1", len(f.opened))
	}
}

// No stale state: after a mistyped number, Search by details carries
// neither the number nor its message, and New patient clears both (the
// issue's report: the old number and "not valid" followed the nurse).
func TestNewPatientLeavesNothingBehind(t *testing.T) {
	k, v, _ := newTestKiosk(t, newFakeSpine(), nurse)
	k.TraceNHS("999 027 6578")
	waitFor(t, v, "the error", func(v ui.View) bool { return v.Message != nil && v.EntryText != "" })
	k.ShowSearch()
	sv := waitFor(t, v, "the search form", func(v ui.View) bool { return v.Screen == ui.ScreenSearch })
	if sv.Message != nil || sv.EntryText != "" {
		t.Errorf("the search form shows %q and %+v", sv.EntryText, sv.Message)
	}
	k.TraceNHS("999 027 6578")
	waitFor(t, v, "the error again", func(v ui.View) bool { return v.Message != nil && v.EntryText != "" })
	k.NewPatient()
	nv := waitFor(t, v, "the entry screen", func(v ui.View) bool { return v.Screen == ui.ScreenEntry && v.Message == nil })
	if nv.EntryText != "" {
		t.Errorf("New patient shows %q", nv.EntryText)
	}
}

// Each session screen's footer speaks of that screen: never "type or scan
// the NHS number" before anyone is signed in (the issue's report).
func TestSessionScreensHaveTheirOwnHelp(t *testing.T) {
	k, v, _ := newTestKiosk(t, newFakeSpine(), nurse)
	for _, g := range []cpis.Gate{cpis.GateNoReader, cpis.GateInsertCard, cpis.GatePasscode, cpis.GateSigningIn,
		cpis.GateChooseRole, cpis.GateLocked, cpis.GateRefused} {
		k.SetSession(ui.SessionView{Gate: g}, nil)
		sv := waitFor(t, v, "the session screen", func(v ui.View) bool { return v.Session.Gate == g })
		if sv.Help == "" || strings.Contains(sv.Help, "NHS number") || sv.Help == helpFor(ui.ScreenEntry) {
			t.Errorf("gate %d: help %q", g, sv.Help)
		}
	}
}
