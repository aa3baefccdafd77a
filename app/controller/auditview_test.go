package controller

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
	"github.com/nhs-cpis/kiosk/ui"
)

// leadKiosk is a kiosk over a real database, with its lead screens.
func leadKiosk(t *testing.T, s check.Session) (*Kiosk, *views, *store.DB, *accountability.Accountability) {
	t.Helper()
	f := newFakeSpine()
	f.patients[child.NHS] = child
	f.plans[child.NHS] = []cpis.Plan{cpp}
	db := kiosktest.DB(t)
	a := kiosktest.Accountability(t, db)
	a.Loc = time.Local
	c := &check.Checker{Spine: f, Audit: db, Setting: cpis.EmergencyDepartment, Now: time.Now, Log: kiosktest.Quiet()}
	v := newViews()
	k := NewKiosk(c, ui.Banner{Setting: "Emergency department"}, config.DefaultRoute, 0, v.show, kiosktest.Quiet())
	k.UseAccountability(a)
	k.Start()
	k.SignIn(s)
	t.Cleanup(k.Shutdown)
	return k, v, db, a
}

func TestLeadScreens(t *testing.T) {
	k, v, db, _ := leadKiosk(t, safeguardingLead)
	if ev := waitFor(t, v, "the entry screen", func(v ui.View) bool { return v.Session.Gate == cpis.GateOpen }); !ev.Lead {
		t.Fatal("a safeguarding lead with B0107 is not offered the lead's screens")
	}
	// A check first, so the audit has something to show.
	k.TraceNHS("9990276579")
	waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	k.AskOpenAlert()
	k.ConfirmOpenAlert()
	waitFor(t, v, "the alert", func(v ui.View) bool { return v.Screen == ui.ScreenAlert })

	k.ShowAudit(ui.AuditFilter{})
	av := waitFor(t, v, "the audit", func(v ui.View) bool { return v.Screen == ui.ScreenAudit && !v.Busy.Active })
	if av.Patient != nil || av.Opened != nil {
		t.Error("the patient stayed in the View behind the audit")
	}
	au := av.Account.Audit
	// The trace, the intent, then the check: no silent query in
	// unscheduled care.
	if au.Events != 3 || au.Traces != 1 || au.Opened != 1 || len(au.Rows) != 3 || au.Rows[0].Event != "Alert opened" ||
		au.Rows[1].Event != "About to check CP-IS" ||
		au.Rows[0].NHS != child.NHS || !au.Rows[0].Notified || len(au.Flags) != 0 || au.Hours != "24 hours" {
		t.Errorf("audit view: %+v", au)
	}
	if d := time.Since(au.Filter.To); au.Filter.From.IsZero() || d < 0 || d > time.Minute {
		t.Errorf("the default filter is not the last seven days: %+v", au.Filter)
	}

	k.ExportAudit(ui.AuditFilter{From: time.Now().AddDate(0, 0, -1), To: time.Now()})
	ex := waitFor(t, v, "the export", func(v ui.View) bool { return v.Account != nil && v.Account.Exported != "" && !v.Busy.Active })
	b, err := os.ReadFile(ex.Account.Exported)
	if err != nil || !strings.Contains(string(b), ",alert-opened,opened,9990276579,yes,live") {
		t.Fatalf("exported %s: %v\n%s", ex.Account.Exported, err, b)
	}
	if fi, _ := os.Stat(ex.Account.Exported); fi.Mode().Perm() != 0o600 {
		t.Errorf("the export has mode %v", fi.Mode().Perm())
	}
	var exported store.Event
	db.Events(func(e store.Event) error {
		if e.Kind == cpis.EventAuditExported {
			exported = e
		}
		return nil
	})
	if exported.UserID != safeguardingLead.User.ID {
		t.Errorf("taking the export was not audited as the lead: %+v", exported)
	}

	k.ShowStaff()
	sv := waitFor(t, v, "the staff checks", func(v ui.View) bool { return v.Screen == ui.ScreenStaff && !v.Busy.Active })
	if len(sv.Account.Staff) != 1 || sv.Account.Staff[0].Verified || !strings.Contains(sv.Account.Staff[0].Opened, "not yet 9990275831") {
		t.Errorf("staff: %+v", sv.Account.Staff)
	}

	k.ShowReadiness()
	rv := waitFor(t, v, "readiness", func(v ui.View) bool { return v.Screen == ui.ScreenGoLive && !v.Busy.Active })
	if len(rv.Account.Readiness) != 12 {
		t.Fatalf("readiness: %+v", rv.Account.Readiness)
	}
	k.RecordReadiness("ig")
	rv = waitFor(t, v, "the item recorded", func(v ui.View) bool {
		for _, r := range v.Account.Readiness {
			if r.ID == "ig" {
				return r.State == ui.Ready
			}
		}
		return false
	})
	for _, r := range rv.Account.Readiness {
		if r.ID == "ig" && !strings.Contains(r.Evidence, "Sam Lead, Named Nurse for Safeguarding") {
			t.Errorf("recorded by %q", r.Evidence)
		}
	}
	k.ExportReadiness()
	xv := waitFor(t, v, "the readiness export", func(v ui.View) bool { return v.Account != nil && v.Account.Exported != "" })
	base := strings.TrimSuffix(xv.Account.Exported, ".pdf and .csv")
	for _, ext := range []string{".pdf", ".csv"} {
		if _, err := os.Stat(base + ext); err != nil {
			t.Errorf("readiness export: %v", err)
		}
	}

	// Leaving drops the audit from the View; so does the card coming out.
	k.Back()
	bv := waitFor(t, v, "the entry screen", func(v ui.View) bool { return v.Screen == ui.ScreenEntry })
	if bv.Account != nil {
		t.Error("the audit stayed in the View after Back")
	}
	k.ShowAudit(ui.AuditFilter{})
	waitFor(t, v, "the audit", func(v ui.View) bool { return v.Screen == ui.ScreenAudit && v.Account != nil })
	k.SignOut(ui.SessionView{Gate: cpis.GateInsertCard})
	ov := waitFor(t, v, "signed out", func(v ui.View) bool { return v.Session.Gate == cpis.GateInsertCard })
	if ov.Account != nil || ov.Lead || k.View().Account != nil {
		t.Error("the audit stayed in the View after the card came out")
	}
}

// safeguardingLead is a lead by the default lead_roles: B0107 and a job
// role that names safeguarding.
var safeguardingLead = check.Session{
	User:  cpis.User{ID: "555000000020", Name: "Sam Lead"},
	Role:  cpis.Role{ID: "555000000020-01", OrgCode: "RXX01", JobRole: "Named Nurse for Safeguarding", Activity: []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag}},
	Token: "t",
}

// The lead's screens are not every B0107 nurse's: a staff nurse with B0107
// is not offered them by default (the issue: every nurse saw the lead's
// button), nor is a role without B0107.
func TestLeadScreensRefusedToOthers(t *testing.T) {
	for _, s := range []check.Session{nurse, clerk} {
		k, v, _, _ := leadKiosk(t, s)
		if ev := waitFor(t, v, "signed in", func(v ui.View) bool { return v.Session.Gate == cpis.GateOpen }); ev.Lead {
			t.Fatalf("%s is offered the lead's screens", s.Role.JobRole)
		}
		testLeadScreensRefused(t, k, v)
	}
}

func testLeadScreensRefused(t *testing.T, k *Kiosk, v *views) {
	t.Helper()
	for _, open := range []func(){func() { k.ShowAudit(ui.AuditFilter{}) }, k.ShowStaff, k.ShowReadiness,
		func() { k.RecordReadiness("ig") }, func() { k.ExportAudit(ui.AuditFilter{}) }} {
		open()
		mv := waitFor(t, v, "a refusal", func(v ui.View) bool { return v.Message != nil })
		if mv.Screen != ui.ScreenEntry || mv.Account != nil || !strings.Contains(mv.Message.Body, "lead_roles") {
			t.Errorf("refused: screen %v message %+v", mv.Screen, mv.Message)
		}
		k.DismissMessage()
	}
}

// The audit screen reports a chain that breaks instead of the rows.
func TestAuditScreenShowsBreak(t *testing.T) {
	k, v, db, a := leadKiosk(t, safeguardingLead)
	kiosktest.Append(t, db, kiosktest.AuditHistory())
	a.Log = brokenLog{db}
	k.ShowAudit(ui.AuditFilter{From: kiosktest.Day, To: kiosktest.Day})
	av := waitFor(t, v, "the audit", func(v ui.View) bool { return v.Screen == ui.ScreenAudit && !v.Busy.Active })
	if !strings.HasPrefix(av.Account.Audit.Broken, "Audit record 4 has been removed") || len(av.Account.Audit.Rows) != 0 {
		t.Errorf("audit of a broken log: %+v", av.Account.Audit)
	}
}

// brokenLog is the log as a tampered file would read.
type brokenLog struct{ *store.DB }

func (b brokenLog) Verify() (store.Report, error) {
	return store.Report{Records: 3}, &store.Break{Seq: 4, Kind: store.BreakMissing}
}
