package app

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

// patientLeaks lists what must never be in a log or a bundle: the test
// patients' NHS numbers in any spacing, names, and dates of birth in the
// forms a person or a program would write them.
func patientLeaks() []string {
	var out []string
	for _, p := range sandbox.Seed(time.Now()) {
		if p.Family != "" && p.Family != "SMITH" { // 60 made-up SMITHs: too common a word to scan for
			out = append(out, p.Family)
		}
		if d := p.BirthDate; !d.IsZero() {
			out = append(out, d.Format("2006-01-02"), d.Format("02/01/2006"), d.Format("2 Jan 2006"), d.Format("02 Jan 2006"))
		}
		if len(p.Given) > 3 {
			out = append(out, p.Given)
		}
	}
	return out
}

// scanForPatients fails if b holds an NHS number or any of leaks.
func scanForPatients(t *testing.T, name string, b []byte, leaks []string) {
	t.Helper()
	if m := nhsDigits.Find(b); m != nil {
		t.Errorf("%s holds an NHS number (%s)", name, m)
	}
	if m := logging.NHSLike.Find(b); m != nil {
		t.Errorf("%s holds something shaped like an NHS number (%s)", name, m)
	}
	for _, s := range leaks {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s holds %q, a test patient's name or date of birth", name, s)
		}
	}
}

// readLogs reads every log file in dir, the rotated and compressed ones
// included.
func readLogs(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(e.Name(), ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
		}
		out[e.Name()] = b
	}
	return out
}

// Whatever a careless caller hands the logger, the entry that comes out
// holds no NHS number, no name, no date of birth and no passcode.
func TestRedactorRemovesPersonalDetails(t *testing.T) {
	var buf bytes.Buffer
	l := logrus.New()
	l.SetOutput(&buf)
	l.SetLevel(logrus.DebugLevel)
	for _, f := range []logrus.Formatter{&logrus.JSONFormatter{}, &logrus.TextFormatter{FullTimestamp: true}} {
		l.SetFormatter(logging.Redactor{Next: f})
		l.WithFields(logrus.Fields{
			"given": "Poppy", "family": "CPISTEST", "familyName": "CPISTEST", "patient_name": "Poppy CPISTEST",
			"dob": "2019-05-01", "birthDate": "01/05/2019", "passcode": "2468", "pin": 1357, "Name": "Leo",
			"note": "born 2019-05-01, seen 1 May 2019 and 01/05/2019", "spine": "pds", "component": "check",
			"nhs": "9990276579",
		}).WithError(errors.New("tracing 999 027 5831: not found")).Info("checked 999-027-6579 born 1/5/2019")
	}
	out := buf.String()
	for _, leak := range []string{"Poppy", "CPISTEST", "Leo", "2019-05-01", "01/05/2019", "1/5/2019", "1 May 2019", "2468", "1357",
		"9990276579", "999 027 5831", "999-027-6579"} {
		if strings.Contains(out, leak) {
			t.Errorf("the log holds %q:\n%s", leak, out)
		}
	}
	// What is not personal stays readable: the component, a field whose
	// name merely contains "pin" ("spine"), and the timestamp.
	for _, keep := range []string{`"component":"check"`, `"spine":"pds"`, "component=check", "spine=pds", `"time":"20`, `time="20`} {
		if !strings.Contains(out, keep) {
			t.Errorf("the redactor removed %q:\n%s", keep, out)
		}
	}
}

func TestSensitiveKeys(t *testing.T) {
	for k, want := range map[string]bool{
		"name": true, "given": true, "family": true, "familyName": true, "patient_name": true, "userName": true,
		"dob": true, "birthDate": true, "birth_date": true, "passcode": true, "pin": true, "PIN": true,
		"spine": false, "component": false, "pinned": false, "service": false, "request_id": false, "trace_id": false,
		"reader": false, "status": false,
	} {
		if got := logging.SensitiveKey(k); got != want {
			t.Errorf("sensitiveKey(%q) = %v, want %v", k, got, want)
		}
	}
}

// The JSON log goes to a rotating file: private (0600), a new file at
// 10 MB, compressed backups, five kept.
func TestLogFileRotates(t *testing.T) {
	dir := t.TempDir()
	l, closer, err := logging.New(dir, logrus.InfoLevel)
	if err != nil {
		t.Fatal(err)
	}
	l.SetOutput(io.Discard)
	pad := strings.Repeat("x", 1000)
	for i := 0; i < 11*1024; i++ { // a little over 11 MB
		l.WithField("component", "test").WithField("n", i).Info(pad)
	}
	closer.Close()
	var gz []string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		gz, _ = filepath.Glob(filepath.Join(logging.Dir(dir), "kiosk-*.log.gz"))
		if len(gz) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond) // lumberjack compresses in the background
	}
	if len(gz) != 1 {
		t.Fatalf("rotated files: %v", gz)
	}
	for _, f := range append(gz, filepath.Join(logging.Dir(dir), logging.FileName)) {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v", f, fi.Mode(), err)
		}
	}
	logs := readLogs(t, logging.Dir(dir))
	if !bytes.Contains(logs[logging.FileName], []byte(`"component":"test"`)) {
		t.Error("the current file has no JSON entries")
	}
}

// A whole check, through the command line as IT runs it, with the logs
// scanned afterwards, the rotated ones included; then the IT status and a
// bundle from the same folder, which log as well.
func TestWholeCheckLogsNoPatient(t *testing.T) {
	dir, _, selfErr := selftestIn(t, "--log-level", "debug")
	code, _, statusErr := cli(t, "status", "--log-level", "debug", "--bundle", filepath.Join(t.TempDir(), "b.zip"))
	if code > 1 {
		t.Fatalf("status: %d\n%s", code, statusErr)
	}
	leaks := patientLeaks()
	logs := readLogs(t, logging.Dir(dir))
	if len(logs[logging.FileName]) == 0 {
		t.Fatal("no log file")
	}
	for name, b := range logs {
		scanForPatients(t, name, b, leaks)
	}
	scanForPatients(t, "standard error", []byte(selfErr+statusErr), leaks)
	// The check did happen, and was logged.
	if !bytes.Contains(logs[logging.FileName], []byte(`"component":"spine"`)) || !bytes.Contains(logs[logging.FileName], []byte(`"request_id"`)) {
		t.Error("the log does not show the Spine calls (by request id)")
	}
}
