package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
)

func TestAccountabilityConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) (config.Config, error) {
		p := filepath.Join(dir, "kiosk.toml")
		if err := os.WriteFile(p, []byte("care_setting = \"paediatric-ward\"\n"+body), 0o600); err != nil {
			t.Fatal(err)
		}
		c, _, err := config.Load(p)
		return c, err
	}
	c, err := write("")
	if err != nil || c.AuditRetention.Days() != config.DefaultRetentionDays || !c.Hours().AllDay() || len(c.LeadRoles) != 0 {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	for body, days := range map[string]int{`audit_retention = "2555d"`: 2555, `audit_retention = 30`: 30,
		`audit_retention = "7y"`: 2555, `audit_retention = "26w"`: 182, `audit_retention = "forever"`: 0, `audit_retention = "48h"`: 2} {
		c, err := write(body)
		if err != nil || c.AuditRetention.Days() != days {
			t.Errorf("%s: %d days, %v; want %d", body, c.AuditRetention.Days(), err, days)
		}
	}
	for _, body := range []string{`audit_retention = "soon"`, `audit_retention = -1`, `opening_hours = "8 till late"`,
		`opening_hours = "25:00-08:00"`, `lead_roles = [""]`} {
		if _, err := write(body); err == nil {
			t.Errorf("%s was accepted", body)
		}
	}
	c, err = write(`opening_hours = "08:00-20:00"` + "\n" + `lead_roles = ["Named Nurse Safeguarding", "555000000013-02"]`)
	if err != nil {
		t.Fatal(err)
	}
	if h := c.Hours(); h.String() != "08:00-20:00" || h.Open(kiosktest.Day.Add(7*time.Hour)) || !h.Open(kiosktest.Day.Add(8*time.Hour)) {
		t.Errorf("hours %v", h)
	}
	nurse := cpis.Role{ID: "555000000010-01", JobRole: "Staff Nurse", Activity: []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag}}
	lead := cpis.Role{ID: "555000000020-01", JobRole: "named nurse safeguarding"}
	byID := cpis.Role{ID: "555000000013-02", JobRole: "Paramedic"}
	if c.IsLead(nurse) || !c.IsLead(lead) || !c.IsLead(byID) {
		t.Errorf("lead_roles: nurse %v, lead %v, by id %v", c.IsLead(nurse), c.IsLead(lead), c.IsLead(byID))
	}
	// The default: a role with B0107 whose job role names safeguarding,
	// not every nurse who checks children.
	d := config.Defaults()
	sg := cpis.Role{JobRole: "Named Nurse for Safeguarding", Activity: []cpis.ActivityCode{cpis.ViewFlag}}
	if d.IsLead(nurse) || !d.IsLead(sg) || d.IsLead(cpis.Role{JobRole: "Safeguarding Lead", Activity: []cpis.ActivityCode{cpis.PerformTrace}}) {
		t.Error("by default a lead is a role with B0107 whose job role names safeguarding")
	}
}

// TestMissingCareSettingRefused: "CP-IS only applies to emergency
// departments, minor injury units, walk-in centres, GP out-of-hours
// services, maternity units, paediatric wards and ambulance services" and
// "CP-IS must not be used in scheduled care settings such as outpatients"
// (the guide, "Before we start"). A configuration file that names no care
// setting is refused at start-up, with the guide's words, whatever else it
// sets: the kiosk never guesses that it is in an emergency department. Only
// with no file at all (the embedded sandbox demo, which can tell no local
// authority anything) does the demo's setting stand.
func TestMissingCareSettingRefused(t *testing.T) {
	dir := t.TempDir()
	for _, body := range []string{
		"",
		`idle_timeout = "90s"`,
		`care_setting = ""`,
		`care_setting = "  "`,
		"[spine]\npds = \"https://pds.example\"\ncpis = \"https://cpis.example\"\nfgm = \"https://fgm.example\"\n[cis2]\nissuer = \"https://cis2.example\"\nclient_id = \"kiosk\"\ntoken_endpoint = \"https://api.example/oauth2/token\"\napi_key = \"app\"\n",
	} {
		p := filepath.Join(dir, "kiosk.toml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, setting, err := config.Load(p)
		if err == nil || setting != "" {
			t.Errorf("%q: accepted as %q", body, setting)
			continue
		}
		if !errors.Is(err, config.ErrConfig) || !errors.Is(err, cpis.ErrNotUnscheduled) {
			t.Errorf("%q: %v is not a refused care setting", body, err)
		}
		for _, want := range []string{"care_setting", cpis.UnscheduledOnlyQuote, "must not be used in scheduled care"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q: %q does not say %q", body, err, want)
			}
		}
	}
	// No file: the embedded sandbox demo.
	c, setting, err := config.Load("")
	if err != nil || setting != cpis.EmergencyDepartment || !c.Embedded() {
		t.Errorf("no file: %q %v, embedded %v", setting, err, c.Embedded())
	}
}

// Settings outside their bounds are refused at start-up with the setting
// named and the bounds given: an idle timeout that turns the privacy wipe
// off, a retention that overflows a date, a folder that moves with the
// working directory.
func TestOutOfBoundsSettingsRefused(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]string{
		`idle_timeout = "100000h"`:           "idle_timeout 100000h0m0s: use between 30s and 30m",
		`idle_timeout = "-5m"`:               "idle_timeout -5m0s",
		`idle_timeout = "0s"`:                "idle_timeout 0s",
		"[spine]\ntimeout = \"0s\"":          "spine.timeout 0s: use between 1s and 1m",
		"[spine]\ntimeout = \"2h\"":          "spine.timeout 2h0m0s",
		`audit_retention = "99999999999d"`:   "up to 36500 days",
		`audit_retention = 99999999999`:      "up to 36500",
		`audit_retention = "-3d"`:            "audit_retention",
		`data_dir = "relative/data"`:         `data_dir "relative/data": use a full path`,
		`key_dir = "keys"`:                   `key_dir "keys": use a full path`,
		"audit_retention = \"99999999999h\"": "audit_retention",
	} {
		p := filepath.Join(dir, "kiosk.toml")
		if err := os.WriteFile(p, []byte("care_setting = \"Emergency department\"\n"+body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := config.Load(p)
		if !errors.Is(err, config.ErrConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", body, err, want)
		}
	}
	for _, body := range []string{`idle_timeout = "30s"`, `idle_timeout = "30m"`, `audit_retention = "7y"`, `audit_retention = "forever"`} {
		p := filepath.Join(dir, "kiosk.toml")
		os.WriteFile(p, []byte("care_setting = \"Emergency department\"\n"+body), 0o600)
		if _, _, err := config.Load(p); err != nil {
			t.Errorf("%s refused: %v", body, err)
		}
	}
}
