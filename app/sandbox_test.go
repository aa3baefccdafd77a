package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/controller"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
	"github.com/nhs-cpis/kiosk/store"
)

// The check against the real sandbox over real HTTPS, one row per seed
// patient kind.
func TestCheckerAgainstSandbox(t *testing.T) {
	s, c, sess := kiosktest.StartSandbox(t)
	audit := &kiosktest.MemAudit{}
	chk := &check.Checker{Spine: c, Audit: audit, Setting: cpis.PaediatricWard, Now: time.Now, Log: kiosktest.Quiet()}
	ctx := context.Background()
	for _, tc := range []struct {
		nhs        cpis.NHSNumber
		why        string
		present    bool
		restricted bool
	}{
		{"9990276579", "guide step 19 test patient", true, false},
		{"9990275831", "guide step 19 test patient", true, false},
		{"9990300054", "guide: \"have been one of the above in the previous 365 days\" (ended 200 days ago)", true, false},
		{"9990300062", "guide: the previous 365 days (ended 400 days ago: not shown)", false, false},
		{"9990300070", "guide: UCPP \"visible for 28 days after the mother's due date\" (due 10 days ago)", true, false},
		{"9990300089", "guide: UCPP past due date + 28 days (due 40 days ago: not shown)", false, false},
		{"9990300097", "restricted record with a plan", true, true},
		{"9990300100", "no CP-IS record: an empty searchset, not an error", false, false},
	} {
		p := check.NewPresentation(time.Now())
		pt, err := chk.Trace(ctx, sess, tc.nhs, p)
		if err != nil {
			t.Fatalf("%s (%s): %v", tc.nhs, tc.why, err)
		}
		if pt.Restricted != tc.restricted {
			t.Errorf("%s (%s): restricted %v", tc.nhs, tc.why, pt.Restricted)
		}
		if tc.restricted && pt.Postcode != "" {
			t.Errorf("%s: a restricted patient's postcode reached the kiosk", tc.nhs)
		}
		// The trace asks CP-IS nothing: no access is recorded before the
		// user confirms the check.
		if n := s.NotificationsForTrace(p.Key); n != 0 {
			t.Errorf("%s: the trace notified %d times", tc.nhs, n)
		}
		alert, err := chk.Open(ctx, sess, tc.nhs, p)
		if err != nil {
			t.Fatalf("%s: check: %v", tc.nhs, err)
		}
		if got := len(alert.Plans) > 0; got != tc.present {
			t.Errorf("%s (%s): alert %v, want %v", tc.nhs, tc.why, got, tc.present)
		}
		// One check, one query: its local authority is told once; a child
		// without a visible plan tells nobody.
		want := 0
		if tc.present {
			want = 1
		}
		if n := s.NotificationsForTrace(p.Key); n != want {
			t.Errorf("%s: %d notifications for one check, want %d", tc.nhs, n, want)
		}
		if !tc.present {
			continue
		}
		la := alert.Authority()
		if la.Name == "" || la.OfficeHours == "" || la.OutOfHours == "" {
			t.Errorf("%s: alert lacks what the guide lists: %+v", tc.nhs, alert)
		}
		if len(alert.History) == 0 || alert.History[0].Who == "" {
			t.Errorf("%s: the access history does not list the current requester", tc.nhs)
		}
	}

	// Every visible plan with its own local authority and both its numbers.
	alert, err := chk.Open(ctx, sess, "9990300143", check.NewPresentation(time.Now()))
	if err != nil || len(alert.Plans) != 2 || alert.Plans[0].Authority.Name == alert.Plans[1].Authority.Name {
		t.Fatalf("two authorities: %+v %v", alert.Plans, err)
	}
	for _, p := range alert.Plans {
		if p.Authority.OfficeHours == "" || p.Authority.OutOfHours == "" {
			t.Errorf("%s lacks a number: %+v", p.Authority.Name, p.Authority)
		}
	}
	// A plan of a category the kiosk does not know hides nothing and is
	// never "no alert".
	alert, err = chk.Open(ctx, sess, "9990300151", check.NewPresentation(time.Now()))
	if err != nil || len(alert.Plans) != 2 || !slices.ContainsFunc(alert.Plans, func(p cpis.Plan) bool { return p.Type == cpis.PlanUnknown }) {
		t.Fatalf("unknown category: %+v %v", alert.Plans, err)
	}
	// A superseded number is followed to the current record.
	if pt, err := chk.Trace(ctx, sess, "9990300178", check.NewPresentation(time.Now())); err != nil || pt.NHS != "9990300186" || pt.Superseded != "9990300178" {
		t.Errorf("superseded: %v %v", pt, err)
	}

	// Guide: "the previous 25 occasions".
	alert, err = chk.Open(ctx, sess, "9990300119", check.NewPresentation(time.Now()))
	if err != nil || len(alert.History) != cpis.MaxHistory {
		t.Fatalf("30 past accesses: %d rows, %v; want 25", len(alert.History), err)
	}

	if _, err := chk.Trace(ctx, sess, "9111231130", check.NewPresentation(time.Now())); !errors.Is(err, spine.ErrNotFound) {
		t.Errorf("not found: %v", err)
	}
	if _, err := chk.Search(ctx, sess, cpis.SearchQuery{Family: "Smith", BirthDate: s.Patients()[len(s.Patients())-1].BirthDate}); !errors.Is(err, spine.ErrTooManyMatches) {
		t.Errorf("60 Smiths: %v, want too many matches", err)
	}
}

// A full disk, on a real file system that fills: the check's record
// cannot be written, so CP-IS is not asked and nobody is told; the nurse
// is told to call IT. The kiosk never notifies without its own record.
func TestCheckerFailsClosedOnAFullDisk(t *testing.T) {
	s, c, sess := kiosktest.StartSandbox(t)
	dir := kiosktest.SmallDisk(t, 1<<20)
	db, err := accountability.OpenStore(filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key"), kiosktest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chk := &check.Checker{Spine: c, Audit: db, Setting: cpis.EmergencyDepartment, Now: time.Now, Log: kiosktest.Quiet()}
	ctx := context.Background()
	p := check.NewPresentation(time.Now())
	pt, err := chk.Trace(ctx, sess, "9990276579", p)
	if err != nil {
		t.Fatal(err)
	}
	kiosktest.FillDisk(t, dir)
	for { // use up the pages the file already holds
		if _, err := db.Append(store.Event{Kind: cpis.EventConfigChanged, Result: cpis.ResultDone}); err != nil {
			break
		}
	}
	_, err = chk.Open(ctx, sess, pt.NHS, p.ForPatient(pt.NHS))
	if !errors.Is(err, check.ErrNotRecorded) {
		t.Fatalf("open on a full disk: %v, want ErrNotRecorded", err)
	}
	if n := s.NotificationsForTrace(p.Key); n != 0 {
		t.Fatalf("CP-IS was asked and notified %d times with no record", n)
	}
	if m := controller.MessageFor(err); m == nil || !strings.Contains(m.Next, "IT service desk") {
		t.Errorf("the nurse is told %+v", m)
	}
}

// Each way the Spine can fail reaches the nurse as plain words with a next
// step, and nothing is left half-done.
func TestCheckerSpineFaults(t *testing.T) {
	s, c, sess := kiosktest.StartSandbox(t)
	chk := &check.Checker{Spine: c, Audit: &kiosktest.MemAudit{}, Setting: cpis.PaediatricWard, Now: time.Now, Log: kiosktest.Quiet()}
	for _, tc := range []struct {
		fault sandbox.Fault
		title string
	}{
		{sandbox.Fault{Mode: sandbox.Fault5xx}, "The Spine cannot be reached"},
		{sandbox.Fault{Mode: sandbox.Fault429, RetryAfter: time.Second}, "The Spine cannot be reached"},
		{sandbox.Fault{Mode: sandbox.FaultMalformed}, "The Spine gave an answer the kiosk cannot read"},
		{sandbox.Fault{Mode: sandbox.FaultOversized}, "The Spine gave an answer the kiosk cannot read"},
	} {
		s.SetFault(tc.fault)
		_, err := chk.Trace(context.Background(), sess, "9990276579", check.NewPresentation(time.Now()))
		if err == nil {
			t.Fatalf("%v: no error", tc.fault.Mode)
		}
		if m := controller.MessageFor(err); m == nil || m.Title != tc.title || m.Next == "" {
			t.Errorf("%v: message %+v, want %q", tc.fault.Mode, m, tc.title)
		}
		if strings.Contains(controller.MessageFor(err).Body, "9990276579") {
			t.Errorf("%v: the message repeats the NHS number", tc.fault.Mode)
		}
	}
	s.SetFault(sandbox.Fault{})
	if len(s.Notifications()) != 0 {
		t.Error("a failed trace notified")
	}
}

var nhsDigits = regexp.MustCompile(`999 ?027 ?6579|999 ?027 ?5831|9990276579|9990275831`)

// The whole selftest through the command line, with the logs scanned: no
// NHS number, name or date of birth reaches them, and the audit holds every
// trace and opened alert, encrypted.
func TestSelftestCommandLogsNoPatient(t *testing.T) {
	dir, out, errOut := selftestIn(t, "--log-level", "debug")
	if !strings.Contains(out, "selftest: passed") || strings.Count(out, "\nok ") != 2 {
		t.Fatalf("selftest output:\n%s", out)
	}
	logs, err := os.ReadFile(filepath.Join(dir, "logs", "kiosk.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no log file: %v", err)
	}
	for name, b := range map[string][]byte{"stderr": []byte(errOut), "kiosk.log": logs} {
		if nhsDigits.Match(b) {
			t.Errorf("%s holds an NHS number", name)
		}
		for _, p := range sandbox.Seed(time.Now())[:2] {
			if bytes.Contains(b, []byte(p.Family)) || bytes.Contains(b, []byte(p.BirthDate.Format("2006-01-02"))) {
				t.Errorf("%s holds a test patient's name or date of birth", name)
			}
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "kiosk.db"))
	if err != nil {
		t.Fatal(err)
	}
	if nhsDigits.Match(raw) {
		t.Error("the database holds an NHS number in clear")
	}
	db, err := accountability.OpenStore(filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key"), kiosktest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var opened, traced int
	db.Events(func(e store.Event) error {
		switch e.Kind {
		case "alert-opened":
			if e.Notified && e.NHS != "" && e.UserID != "" && e.Setting != "" {
				opened++
			}
		case "trace":
			traced++
		}
		return nil
	})
	if opened != 2 || traced != 2 {
		t.Errorf("audit: %d opened alerts, %d traces; want 2 and 2", opened, traced)
	}
}

func TestRedactorRemovesNHSNumbers(t *testing.T) {
	var buf bytes.Buffer
	l := logrus.New()
	l.SetOutput(&buf)
	l.SetFormatter(logging.Redactor{Next: &logrus.JSONFormatter{}})
	l.WithField("nhs", "9990276579").Info("tracing 999 027 5831 and 999-027-6579")
	if nhsDigits.Match(buf.Bytes()) || strings.Count(buf.String(), "[redacted]") != 3 {
		t.Fatalf("log line: %s", buf.String())
	}
}

func TestConfigRefusesScheduledCare(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]string{
		`care_setting = "outpatients"`:                                                                                  "must not be used in scheduled care",
		`care_setting = "paediatric-ward"` + "\ncolour = 1":                                                             "unknown settings colour",
		"care_setting = \"minor-injury-unit\"\n[spine]\npds = \"https://pds.example\"":                                  "spine.cpis and spine.fgm must be set",
		"care_setting = \"minor-injury-unit\"\n[spine]\npds = \"https://pds.example\"\ncpis = \"https://cpis.example\"": "cis2.client_id",
		"care_setting = \"minor-injury-unit\"\n[cis2]\nissuer = \"https://cis2.example\"":                               "[cis2] is set but spine.pds is not",
		"care_setting = \"minor-injury-unit\"\n[spine]\npds = \"https://pds.example\"\ncpis = \"https://cpis.example\"\nfgm = \"https://fgm.example\"\n[cis2]\nissuer = \"http://cis2.example\"": "cis2.issuer \"http://cis2.example\": a real Spine needs its https:// address",
	} {
		f := filepath.Join(dir, "k.toml")
		os.WriteFile(f, []byte(body), 0o600)
		_, _, err := config.Load(f)
		if !errors.Is(err, config.ErrConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
	os.WriteFile(filepath.Join(dir, "k.toml"), []byte("care_setting = \"Maternity unit\"\nidle_timeout = \"90s\""), 0o600)
	c, s, err := config.Load(filepath.Join(dir, "k.toml"))
	if err != nil || s != cpis.MaternityUnit || c.IdleTimeout.Duration != 90*time.Second || !c.Embedded() {
		t.Fatalf("valid config: %v %v %+v", err, s, c)
	}
}
