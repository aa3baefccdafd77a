package app

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-cpis/kiosk/app/build"
	"github.com/nhs-cpis/kiosk/app/itstatus"
)

// readZip returns every entry of a zip file by name.
func readZip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
	}
	return out
}

// The bundle from `cpis-kiosk status --bundle`, after a whole check in the
// same data folder: the status, the logs, the configuration and the build,
// and no NHS number, test patient's name or date of birth anywhere in it;
// never the database or its key.
func TestBundleHoldsNoPatient(t *testing.T) {
	selftestIn(t, "--log-level", "debug")
	zipPath := filepath.Join(t.TempDir(), "diag.zip")
	code, _, errOut := cli(t, "status", "--json", "--bundle", zipPath)
	if code > 1 {
		t.Fatalf("status --bundle: %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "diagnostics bundle written to "+zipPath) {
		t.Errorf("the command does not say where the bundle is: %s", errOut)
	}
	fi, err := os.Stat(zipPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bundle: %v %v", fi, err)
	}
	files := readZip(t, zipPath)
	for _, name := range []string{"README.txt", "status.json", "status.txt", "config.toml", "build.txt", "files.txt", "logs/kiosk.log"} {
		if len(files[name]) == 0 {
			t.Errorf("the bundle has no %s", name)
		}
	}
	leaks := patientLeaks()
	for name, b := range files {
		scanForPatients(t, "bundle "+name, b, leaks)
		if strings.HasSuffix(name, ".db") || strings.Contains(name, "key") || strings.Contains(name, "sandbox") {
			t.Errorf("the bundle holds %s", name)
		}
	}
	var st itstatus.Status
	if err := json.Unmarshal(files["status.json"], &st); err != nil || len(st.Lines) != len(itstatus.LineIDs) {
		t.Errorf("status.json: %v, %d lines", err, len(st.Lines))
	}
	if !bytes.Contains(files["logs/kiosk.log"], []byte(`"component":"spine"`)) {
		t.Error("the bundle's log is not the check's log")
	}
	if !bytes.Contains(files["build.txt"], []byte("github.com/nhs-cpis/kiosk")) || !bytes.Contains(files["build.txt"], []byte(build.Version)) {
		t.Errorf("build.txt:\n%s", files["build.txt"])
	}
	if !bytes.Contains(files["config.toml"], []byte(`care_setting = "emergency-department"`)) {
		t.Errorf("config.toml:\n%s", files["config.toml"])
	}
	// A second bundle never overwrites the first.
	if code, _, _ := cli(t, "status", "--bundle", zipPath); code != 1 {
		t.Errorf("writing over an existing bundle: exit %d", code)
	}
}
