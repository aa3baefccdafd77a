package controller

import (
	"slices"
	"strings"
	"testing"
	"time"

	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/ui"
)

// fgmKiosk is the kiosk on the real sandbox over HTTPS, signed in as its
// demo user (B0264, B0107, B0370), its audit in memory and its log heard.
func fgmKiosk(t *testing.T, codes ...cpis.ActivityCode) (*Kiosk, *views, *kiosktest.MemAudit, *logtest.Hook, func() []cpis.NHSNumber) {
	t.Helper()
	sb, client, sess := kiosktest.StartSandbox(t)
	if codes != nil {
		sess.Role.Activity = codes
	}
	log, hook := logtest.NewNullLogger()
	a := &kiosktest.MemAudit{}
	c := &check.Checker{Spine: client, Audit: a, Setting: cpis.EmergencyDepartment, Now: time.Now, Log: log}
	v := newViews()
	k := NewKiosk(c, ui.Banner{}, config.DefaultRoute, 0, v.show, kiosktest.Quiet())
	k.Start()
	k.SignIn(sess)
	t.Cleanup(k.Shutdown)
	asked := func() []cpis.NHSNumber {
		var out []cpis.NHSNumber
		for _, q := range sb.FGMQueries() {
			out = append(out, q.NHS)
		}
		return out
	}
	return k, v, a, hook, asked
}

// waitAudited waits for the FGM-IS query's audit record: the query runs
// beside the screen. The deadline only stops a broken test from hanging.
func waitAudited(t *testing.T, a *kiosktest.MemAudit) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(fgmEvents(a)) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("FGM-IS was not audited")
		}
	}
}

// fgmEvents are the audit's FGM-IS records.
func fgmEvents(a *kiosktest.MemAudit) []string {
	var out []string
	for _, e := range a.Events() {
		if e.Kind == cpis.EventFGMQuery {
			out = append(out, string(e.Result))
		}
	}
	return out
}

// The FGM-IS query runs by itself right after the PDS trace, "only for a
// verified NHS number of someone under 18 whose PDS gender is female,
// unknown or indeterminate", notifies nobody and needs no confirmation;
// the indicator is shown in the patient's context with the assessment's
// date and the query's time; with no flag, or a failed query, nothing is
// shown but the reminder that no flag is not no risk; every query is
// audited (spine-interfaces.md, "FGM Information Sharing").
func TestFGMAfterTrace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		nhs     cpis.NHSNumber
		asked   bool   // FGM-IS was queried
		flag    bool   // the indicator is shown
		audited string // the FGM-IS audit record's result
		warned  bool   // IT hears of it in the log
	}{
		{"a girl with a flag", "9990310017", true, true, string(cpis.ResultFGMFlag), false},
		{"a girl without", "9990300011", true, false, string(cpis.ResultNoFGMFlag), false},
		{"a boy", "9990275831", false, false, "", false},
		{"a girl of 18", "9990310025", false, false, "", false},
		{"a query that fails", "9990310033", true, false, string(cpis.ResultFailed), true},
		{"a Flag with another code only", "9990310041", true, false, string(cpis.ResultNoFGMFlag), true},
		{"her flag beside another child's", "9990310068", true, true, string(cpis.ResultFGMFlag), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, v, audit, hook, asked := fgmKiosk(t)
			before := time.Now()
			k.TraceNHS(string(tc.nhs))
			pv := waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
			if pv.FGMAsked != tc.asked {
				t.Errorf("FGMAsked %v, want %v", pv.FGMAsked, tc.asked)
			}
			if tc.flag {
				pv = waitFor(t, v, "the FGM-IS indicator", func(v ui.View) bool { return v.FGM != nil })
				if pv.FGM.Assessed.IsZero() || pv.FGM.Queried.Before(before) || pv.Patient.NHS != tc.nhs {
					t.Errorf("indicator %+v for %s", pv.FGM, pv.Patient.NHS)
				}
			}
			if tc.asked {
				waitAudited(t, audit)
			}
			k.NewPatient()
			waitFor(t, v, "the entry screen", func(v ui.View) bool { return v.Screen == ui.ScreenEntry })
			if got := asked(); slices.Contains(got, tc.nhs) != tc.asked || len(got) > 1 {
				t.Errorf("FGM-IS asked about %v, want %s asked: %v", got, tc.nhs, tc.asked)
			}
			if !tc.flag && v.last().FGM != nil {
				t.Error("an indicator was shown")
			}
			got := fgmEvents(audit)
			if tc.audited == "" && len(got) != 0 || tc.audited != "" && !slices.Equal(got, []string{tc.audited}) {
				t.Errorf("audited %v, want %q", got, tc.audited)
			}
			warned := false
			for _, e := range hook.AllEntries() {
				if e.Level <= 3 { // warning or worse
					warned = true
				}
				if s, _ := e.String(); slices.ContainsFunc([]string{string(tc.nhs), tc.nhs.String()}, func(n string) bool { return strings.Contains(s, n) }) {
					t.Errorf("the log names the patient: %s", s)
				}
			}
			if warned != tc.warned {
				t.Errorf("IT warned: %v, want %v", warned, tc.warned)
			}
		})
	}
}

// B0370 is enforced in the kiosk: a role without it is refused FGM-IS,
// audited with the code named, and the Spine is not asked.
func TestFGMRefusedWithoutB0370(t *testing.T) {
	k, v, audit, _, asked := fgmKiosk(t, cpis.PerformTrace, cpis.ViewFlag)
	k.TraceNHS("9990310017")
	waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	waitAudited(t, audit)
	var refused []cpis.ActivityCode
	for _, e := range audit.Events() {
		if e.Kind == cpis.EventFGMQuery && e.Result == cpis.ResultRefused {
			refused = e.Missing
		}
	}
	if !slices.Equal(refused, []cpis.ActivityCode{cpis.ViewSummary}) {
		t.Fatalf("refusal audited with %v missing, want B0370", refused)
	}
	if len(asked()) != 0 {
		t.Fatal("FGM-IS was asked without B0370")
	}
	if v.last().FGM != nil {
		t.Fatal("an indicator was shown")
	}
}
