package app

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
)

// Every start-up fault IT meets on a ward PC gives one plain sentence of
// what is wrong and a non-zero exit, never a panic, from the commands
// that open the kiosk's database and its Spine alike. (The window shows
// the same sentence: scripts/e2e.)
func TestStartFaultsArePlainWords(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	spine := "care_setting = \"Emergency department\"\n[spine]\npds = %q\ncpis = \"https://cpis.example/FHIR/R4\"\nfgm = \"https://fgm.example/FHIR/R4\"\n[cis2]\nissuer = \"https://cis2.example\"\nclient_id = \"kiosk\"\ntoken_endpoint = \"https://api.example/oauth2/token\"\napi_key = \"app\"\n"
	for _, tc := range []struct {
		name   string
		config string                                // the configuration file; empty: none
		before func(t *testing.T, dir string) func() // breaks the data folder; returns an undo, or nil
		want   string
	}{
		{name: "key missing", before: func(t *testing.T, dir string) func() {
			must(t, os.Remove(filepath.Join(dir, "keys", "kiosk.key")))
			return nil
		}, want: "key file is missing"},
		{name: "key readable by others", before: func(t *testing.T, dir string) func() {
			must(t, os.Chmod(filepath.Join(dir, "keys", "kiosk.key"), 0o644))
			return nil
		}, want: "chmod 600"},
		{name: "key altered", before: func(t *testing.T, dir string) func() {
			must(t, os.WriteFile(filepath.Join(dir, "keys", "kiosk.key"), []byte(strings.Repeat("k", 32)), 0o600))
			return nil
		}, want: "does not belong to this database"},
		{name: "database held by another process", before: func(t *testing.T, dir string) func() {
			db, err := accountability.OpenStore(filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key"), kiosktest.Quiet())
			must(t, err)
			return func() { db.Close() }
		}, want: "in use by another kiosk process"},
		{name: "data folder is a file", config: "care_setting = \"Emergency department\"\ndata_dir = %q\n", want: "making data folder"},
		{name: "missing ca_file", config: "care_setting = \"Emergency department\"\n[spine]\npds = \"https://pds.example/FHIR/R4\"\ncpis = \"https://cpis.example/FHIR/R4\"\nfgm = \"https://fgm.example/FHIR/R4\"\nca_file = \"/nonexistent/ca.pem\"\n[cis2]\nissuer = \"https://cis2.example\"\nclient_id = \"kiosk\"\ntoken_endpoint = \"https://api.example/oauth2/token\"\napi_key = \"app\"\n", want: "Spine CA"},
		{name: "http Spine URL", config: strings.Replace(spine, "%q", `"http://pds.example/FHIR/R4"`, 1), want: "https"},
		{name: "malformed Spine URL", config: strings.Replace(spine, "%q", `"::not a url::"`, 1), want: "the PDS base URL must be an https:// URL"},
		{name: "busy sandbox address", config: "care_setting = \"Emergency department\"\n[sandbox]\naddr = \"" + busy.Addr().String() + "\"\n", want: "starting the embedded Spine sandbox"},
		{name: "malformed sandbox address", config: "care_setting = \"Emergency department\"\n[sandbox]\naddr = \"nonsense\"\n", want: "starting the embedded Spine sandbox"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("CPIS_DATA_DIR", dir)
			t.Setenv("CPIS_CONFIG", "")
			if code, out, errOut := cli(t, "selftest"); code != 0 {
				t.Fatalf("selftest before the fault exited %d\n%s\n%s", code, out, errOut)
			}
			if tc.before != nil {
				if undo := tc.before(t, dir); undo != nil {
					defer undo()
				}
			}
			if tc.config != "" {
				body := tc.config
				if strings.Contains(body, "data_dir = %q") {
					file := filepath.Join(dir, "a-file")
					must(t, os.WriteFile(file, nil, 0o600))
					body = strings.Replace(body, "%q", `"`+file+`"`, 1)
				}
				conf := filepath.Join(t.TempDir(), "kiosk.toml")
				must(t, os.WriteFile(conf, []byte(body), 0o600))
				t.Setenv("CPIS_CONFIG", conf)
			}
			for _, args := range [][]string{{"selftest"}, {"queue", "list"}} {
				code, out, errOut := cli(t, args...)
				if code == 0 || !strings.Contains(errOut, tc.want) || strings.Contains(errOut+out, "goroutine") {
					t.Errorf("%v: exit %d, want an error saying %q\nstdout: %s\nstderr: %s", args, code, tc.want, out, errOut)
				}
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// On a full disk selftest and the drill fail loudly: the selftest's check
// is not made without its record, and the drill's result cannot be kept.
func TestSelftestAndDrillFailOnAFullDisk(t *testing.T) {
	dir := kiosktest.SmallDisk(t, 2<<20)
	t.Setenv("CPIS_DATA_DIR", dir)
	t.Setenv("CPIS_CONFIG", "")
	if code, out, errOut := cli(t, "selftest"); code != 0 {
		t.Fatalf("selftest before the disk filled exited %d\n%s\n%s", code, out, errOut)
	}
	kiosktest.FillDisk(t, dir)
	code, out, errOut := cli(t, "selftest")
	if code == 0 || strings.Contains(out, "selftest: passed") {
		t.Errorf("selftest on a full disk: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out+errOut, "could not record") && !strings.Contains(out+errOut, "no space left") {
		t.Errorf("selftest on a full disk does not say why:\n%s\n%s", out, errOut)
	}
	if code, out, errOut := cli(t, "drill", "downtime", "--patients", "4"); code == 0 {
		t.Errorf("the drill on a full disk exited 0\n%s\n%s", out, errOut)
	}
}
