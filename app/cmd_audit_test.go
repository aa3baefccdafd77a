package app

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
)

// cli runs the command line in the data folder and returns its exit code
// and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// selftestIn runs `cpis-kiosk selftest` with args in a new data folder,
// fails the test unless it passes, and returns the folder and what the
// command printed.
func selftestIn(t *testing.T, args ...string) (dir, out, errOut string) {
	t.Helper()
	dir = t.TempDir()
	t.Setenv("CPIS_DATA_DIR", dir)
	code, out, errOut := cli(t, append([]string{"selftest"}, args...)...)
	if code != 0 {
		t.Fatalf("selftest exited %d\n%s\n%s", code, out, errOut)
	}
	return dir, out, errOut
}

// The brief's end-to-end: after selftest the audit verifies and exports
// the traces and opened alerts, the staff checks list the user who opened
// both test patients, and a byte changed in one record is named.
func TestAuditCommandsAfterSelftest(t *testing.T) {
	t.Setenv("CPIS_CONFIG", "")
	dir, _, _ := selftestIn(t)

	code, out, errOut := cli(t, "audit", "verify")
	if code != 0 || !regexp.MustCompile(`audit verify: \d+ records intact`).MatchString(out) {
		t.Fatalf("audit verify exited %d: %s %s", code, out, errOut)
	}

	code, out, errOut = cli(t, "audit", "export", "--format", "csv")
	if code != 0 {
		t.Fatalf("audit export exited %d: %s", code, errOut)
	}
	// At the command line the NHS numbers are masked: only a signed-in
	// lead exports them, from the audit screen.
	for _, want := range []string{",trace,found,******6579,no,live", ",alert-opened,opened,******6579,yes,live",
		",trace,found,******5831,no,live", ",alert-opened,opened,******5831,yes,live", ",access-verified,"} {
		if !strings.Contains(out, want) {
			t.Errorf("the export lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "9990276579") || strings.Contains(out, "9990275831") {
		t.Errorf("the command line's export holds whole NHS numbers:\n%s", out)
	}
	code, out, _ = cli(t, "audit", "export", "--format", "json", "--from", time.Now().Format("2006-01-02"), "--user", "555000000001")
	if code != 0 || !strings.Contains(out, `"event": "alert-opened"`) {
		t.Errorf("JSON export exited %d: %s", code, out)
	}
	if code, _, errOut = cli(t, "audit", "export", "--from", "20/13/2026"); code == 0 || !strings.Contains(errOut, "YYYY-MM-DD") {
		t.Errorf("a bad date: exit %d, %s", code, errOut)
	}

	code, out, _ = cli(t, "staff", "checks")
	if code != 0 || !strings.Contains(out, "guide step 19: 1\n") || !strings.Contains(out, "Demo Nurse (sandbox)") ||
		!strings.Contains(out, "codes B0264, B0107, B0370; proven") {
		t.Errorf("staff checks exited %d:\n%s", code, out)
	}

	// What people did is recorded on the readiness screen by a signed-in
	// lead (the command line refuses): here, as that screen does.
	db, err := openStore(config.Config{DataDir: dir, KeyDir: filepath.Join(dir, "keys")}, kiosktest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	lead := check.Session{User: cpis.User{ID: "555000000099", Name: "Pat Lead"}, Role: cpis.Role{JobRole: "Safeguarding Lead"}}
	if err := kiosktest.Accountability(t, db).RecordReadiness("briefing", "Pat Lead", "webinar 3 March", lead); err != nil {
		t.Fatal(err)
	}
	db.Close()
	pdf, csvFile := filepath.Join(dir, "r.pdf"), filepath.Join(dir, "r.csv")
	code, out, errOut = cli(t, "readiness", "export", "--pdf", pdf, "--csv", csvFile)
	if code != 0 {
		t.Fatalf("readiness export exited %d: %s %s", code, out, errOut)
	}
	if b, _ := os.ReadFile(csvFile); !strings.Contains(string(b), "briefing,Project team attended the CP-IS briefing,ready") {
		t.Errorf("readiness CSV:\n%s", b)
	}
	if p, err := exec.LookPath("pdftotext"); err == nil {
		txt, _ := exec.Command(p, pdf, "-").Output()
		if !strings.Contains(string(txt), "Audit log verifies") {
			t.Errorf("the readiness PDF reads:\n%s", txt)
		}
	}

	// A byte of record 3 changed: verify names it and exits non-zero.
	kiosktest.FlipAuditByte(t, filepath.Join(dir, "kiosk.db"), 3)
	code, out, _ = cli(t, "audit", "verify")
	if code == 0 || !strings.Contains(out, "audit record 3 has been altered") || !strings.Contains(out, "after 2 intact records") {
		t.Errorf("audit verify after tampering exited %d: %s", code, out)
	}
	if code, _, errOut = cli(t, "audit", "export"); code == 0 || !strings.Contains(errOut, "record 3") {
		t.Errorf("an export of a tampered log exited %d: %s", code, errOut)
	}
	if code, _, errOut = cli(t, "audit", "purge"); code == 0 || !strings.Contains(errOut, "not purging") {
		t.Errorf("a purge of a tampered log exited %d: %s", code, errOut)
	}
	// The status says what is wrong, on its own line: the kiosk still
	// starts, so no line says it will not.
	code, out, _ = cli(t, "status")
	if code == 0 || !strings.Contains(out, "An audit record among the newest has been altered") || strings.Contains(out, "will not start") {
		t.Errorf("status after tampering exited %d:\n%s", code, out)
	}
}

// Purge removes what is past audit_retention, or less with an earlier
// --before, and never a record inside the retention period.
func TestAuditPurgeCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CPIS_DATA_DIR", dir)
	conf := filepath.Join(t.TempDir(), "kiosk.toml")
	if err := os.WriteFile(conf, []byte("care_setting = \"Emergency department\"\naudit_retention = \"30d\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CPIS_CONFIG", conf)
	db, err := openStore(config.Config{DataDir: dir, KeyDir: filepath.Join(dir, "keys")}, kiosktest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	kiosktest.Append(t, db, kiosktest.AuditHistory()) // June 2026
	db.Close()
	for _, day := range []string{"2999-01-01", time.Now().AddDate(0, 0, -10).Format("2006-01-02")} {
		if code, _, errOut := cli(t, "audit", "purge", "--before", day); code == 0 || !strings.Contains(errOut, "inside audit_retention (30d) and are never purged") {
			t.Errorf("purge --before %s, inside the retention period: exit %d, %s", day, code, errOut)
		}
	}
	code, out, errOut := cli(t, "audit", "purge", "--before", "2026-06-21")
	if code != 0 || !strings.Contains(out, "removed 11 records (1 to 11)") {
		t.Fatalf("purge before a date: %d %s %s", code, out, errOut)
	}
	code, out, _ = cli(t, "audit", "verify")
	if code != 0 || !strings.Contains(out, "records 1 to 11 were purged") {
		t.Errorf("verify after purge: %d %s", code, out)
	}
	code, out, _ = cli(t, "audit", "export")
	if code != 0 || !strings.Contains(out, ",audit-purged,") || strings.Contains(out, "9990276579") {
		t.Errorf("export after purge: %d %s", code, out)
	}
}

// The drill run from the command line records its result in the real
// data folder's audit, for the readiness page.
func TestDrillResultAudited(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a drill")
	}
	dir := t.TempDir()
	t.Setenv("CPIS_DATA_DIR", dir)
	t.Setenv("CPIS_CONFIG", "")
	code, out, errOut := cli(t, "drill", "downtime", "--patients", "8")
	if code != 0 || !strings.Contains(out, "drill result recorded in the kiosk's audit (record 1)") {
		t.Fatalf("drill exited %d: %s %s", code, out, errOut)
	}
	code, out, _ = cli(t, "readiness")
	if code != 0 || !regexp.MustCompile(`READY +Steps 15, 21 +Downtime drill passed in the last 30 days\n +\S.*passed: presented 8, queued 8, replayed 8, lost 0`).MatchString(out) {
		t.Errorf("readiness after the drill:\n%s", out)
	}
}
