package config_test

import (
	"os"
	"path/filepath"
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
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
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
	// The default: any role with B0107.
	d := config.Defaults()
	if !d.IsLead(nurse) || d.IsLead(cpis.Role{Activity: []cpis.ActivityCode{cpis.PerformTrace}}) {
		t.Error("by default a lead is a role with B0107")
	}
}
