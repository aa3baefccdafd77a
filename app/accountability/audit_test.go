package accountability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestAuditExportGolden(t *testing.T) {
	db := kiosktest.DB(t)
	kiosktest.Append(t, db, kiosktest.AuditHistory())
	a := kiosktest.Accountability(t, db)

	rows, _, err := a.Rows(accountability.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var csvOut, jsonOut bytes.Buffer
	if err := accountability.WriteAuditCSV(&csvOut, rows); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit_export.csv", csvOut.Bytes())
	if err := accountability.WriteAuditJSON(&jsonOut, rows); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit_export.json", jsonOut.Bytes())
	var back []accountability.AuditRow
	if err := json.Unmarshal(jsonOut.Bytes(), &back); err != nil || len(back) != len(rows) {
		t.Fatalf("the JSON export does not read back: %v (%d rows)", err, len(back))
	}

	// The filter: one day, one user.
	var f accountability.AuditFilter
	f.From, f.To = accountability.DayRange(kiosktest.Day, kiosktest.Day, time.UTC)
	f.User = "555000000011"
	rows, _, err = a.Rows(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Event != "login" || rows[2].Event != "alert-opened" || rows[2].Notified {
		t.Errorf("Sam Patel's day: %+v", rows)
	}
	f.User = "alex morgan" // a name, any case
	rows, _, _ = a.Rows(f)
	if len(rows) != 4 {
		t.Errorf("by name: %d rows, want Alex Morgan's 4 on the 20th", len(rows))
	}
}

// The export after a real check against the sandbox, the times
// normalised: every trace and opened alert is there.
func TestAuditExportAfterSandboxCheck(t *testing.T) {
	_, c, sess := kiosktest.StartSandbox(t)
	db := kiosktest.DB(t)
	chk := &check.Checker{Spine: c, Audit: db, Setting: cpis.EmergencyDepartment, Now: time.Now, Log: kiosktest.Quiet()}
	ctx := context.Background()
	for _, nhs := range cpis.TrainingPatients {
		p := check.NewPresentation(time.Now())
		if _, err := chk.Trace(ctx, sess, nhs, p); err != nil {
			t.Fatal(err)
		}
		if _, err := chk.Open(ctx, sess, nhs, p); err != nil {
			t.Fatal(err)
		}
	}
	a := kiosktest.Accountability(t, db)
	rows, _, err := a.Rows(accountability.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	accountability.WriteAuditCSV(&out, rows)
	times := regexp.MustCompile(`(?m)^(\d+),[^,]+,`)
	golden(t, "audit_export_sandbox.csv", times.ReplaceAll(out.Bytes(), []byte("$1,TIME,")))
}

func TestFlags(t *testing.T) {
	const nhsA, nhsB = "9990276579", "9990275831"
	opens := func(who store.Event, n int, from time.Duration, step time.Duration) []store.Event {
		var out []store.Event
		for i := 0; i < n; i++ {
			at := from + time.Duration(i)*step
			out = append(out, kiosktest.Ev(who, 0, 0, 0, "trace", fmt.Sprintf("99903%05d", i), "found"))
			out[len(out)-1].At = kiosktest.Day.Add(at)
			o := kiosktest.Ev(who, 0, 0, 0, "alert-opened", fmt.Sprintf("99903%05d", i), "opened")
			o.At = kiosktest.Day.Add(at + time.Minute)
			out = append(out, o)
		}
		return out
	}
	day := config.OpeningHours{}
	open8to8, _ := config.ParseOpeningHours("08:00-20:00")
	night, _ := config.ParseOpeningHours("20:00-08:00")
	tests := []struct {
		name   string
		events []store.Event
		hours  config.OpeningHours
		want   []string // kind@hh:mm by user
	}{
		{"trace then open: nothing", []store.Event{
			kiosktest.Ev(kiosktest.Alex, 0, 9, 0, "trace", nhsA, "found"), kiosktest.Ev(kiosktest.Alex, 0, 9, 5, "alert-opened", nhsA, "opened")}, day, nil},
		{"open with no trace", []store.Event{
			kiosktest.Ev(kiosktest.Alex, 0, 9, 5, "alert-opened", nhsA, "opened")}, day, []string{"no-presentation@09:05 Alex Morgan"}},
		{"trace by someone else", []store.Event{
			kiosktest.Ev(kiosktest.Chris, 0, 9, 0, "trace", nhsA, "found"), kiosktest.Ev(kiosktest.Alex, 0, 9, 5, "alert-opened", nhsA, "opened")}, day,
			[]string{"no-presentation@09:05 Alex Morgan"}},
		{"trace of another patient", []store.Event{
			kiosktest.Ev(kiosktest.Alex, 0, 9, 0, "trace", nhsB, "found"), kiosktest.Ev(kiosktest.Alex, 0, 9, 5, "alert-opened", nhsA, "opened")}, day,
			[]string{"no-presentation@09:05 Alex Morgan"}},
		{"trace more than 4 hours before", []store.Event{
			kiosktest.Ev(kiosktest.Alex, 0, 4, 0, "trace", nhsA, "found"), kiosktest.Ev(kiosktest.Alex, 0, 8, 1, "alert-opened", nhsA, "opened")}, day,
			[]string{"no-presentation@08:01 Alex Morgan"}},
		{"trace exactly 4 hours before", []store.Event{
			kiosktest.Ev(kiosktest.Alex, 0, 4, 0, "trace", nhsA, "found"), kiosktest.Ev(kiosktest.Alex, 0, 8, 0, "alert-opened", nhsA, "opened")}, day, nil},
		{"a trace that found no one is no presentation", []store.Event{
			kiosktest.Ev(kiosktest.Alex, 0, 9, 0, "trace", nhsA, "spine unavailable"), kiosktest.Ev(kiosktest.Alex, 0, 9, 5, "alert-opened", nhsA, "opened")}, day,
			[]string{"no-presentation@09:05 Alex Morgan"}},
		{"a refused open is not an open", []store.Event{
			kiosktest.Ev(kiosktest.SamP, 0, 9, 5, "alert-opened", nhsA, "refused: your role does not have code B0107")}, day, nil},
		{"10 opens in an hour: not many", opens(kiosktest.Alex, 10, 9*time.Hour, 5*time.Minute), day, nil},
		{"11 opens in an hour: flagged once", opens(kiosktest.Alex, 11, 9*time.Hour, 5*time.Minute), day,
			[]string{"many-opens@09:01 Alex Morgan (11 alerts opened)"}},
		{"14 opens in an hour: one flag, counting all", opens(kiosktest.Alex, 14, 9*time.Hour, 4*time.Minute), day,
			[]string{"many-opens@09:01 Alex Morgan (14 alerts opened)"}},
		{"12 opens spread over 2 hours: not many", opens(kiosktest.Alex, 12, 9*time.Hour, 11*time.Minute), day, nil},
		{"two bursts: two flags", append(opens(kiosktest.Alex, 11, 9*time.Hour, 5*time.Minute), opens(kiosktest.Alex, 11, 13*time.Hour, 5*time.Minute)...), day,
			[]string{"many-opens@09:01 Alex Morgan (11 alerts opened)", "many-opens@13:01 Alex Morgan (11 alerts opened)"}},
		{"opening hours: before, at opening, at closing", []store.Event{
			kiosktest.Ev(kiosktest.Alex, 0, 7, 59, "trace", nhsA, "found"), kiosktest.Ev(kiosktest.Alex, 0, 8, 0, "trace", nhsA, "found"),
			kiosktest.Ev(kiosktest.Alex, 0, 19, 59, "search", "", "1 matches"), kiosktest.Ev(kiosktest.Alex, 0, 20, 0, "trace", nhsB, "found")}, open8to8,
			[]string{"out-of-hours@07:59 Alex Morgan", "out-of-hours@20:00 Alex Morgan"}},
		{"overnight hours", []store.Event{
			kiosktest.Ev(kiosktest.Alex, 0, 7, 59, "trace", nhsA, "found"), kiosktest.Ev(kiosktest.Alex, 0, 12, 0, "trace", nhsA, "found"),
			kiosktest.Ev(kiosktest.Alex, 0, 23, 0, "trace", nhsB, "found")}, night,
			[]string{"out-of-hours@12:00 Alex Morgan"}},
		{"24 hours: never out of hours", []store.Event{kiosktest.Ev(kiosktest.Alex, 0, 3, 0, "trace", nhsA, "found")}, day, nil},
		{"sign-ins are not access to records", []store.Event{kiosktest.Ev(kiosktest.Alex, 0, 3, 0, "login", "", "signed in")}, open8to8, nil},
		{"replayed checks are the kiosk's own", func() []store.Event {
			r := kiosktest.Ev(kiosktest.Chris, 0, 3, 0, "alert-opened", nhsA, "opened")
			r.Replayed = true
			return []store.Event{r}
		}(), open8to8, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.events {
				tt.events[i].Seq = uint64(i + 1)
			}
			var got []string
			for _, f := range accountability.Flags(tt.events, tt.hours, time.UTC) {
				s := fmt.Sprintf("%s@%s %s", f.Kind, f.At.Format("15:04"), f.UserName)
				if f.Kind == accountability.FlagManyOpens {
					s += " (" + strings.SplitN(f.Detail, " between", 2)[0] + ")"
				}
				got = append(got, s)
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("flags:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}
