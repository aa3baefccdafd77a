package accountability_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// A change of configuration between starts is audited once, naming the
// settings that changed.
func TestConfigChangeAudited(t *testing.T) {
	db := kiosktest.DB(t)
	cfg := config.Defaults()
	cfg.DataDir = "/var/lib/cpis-kiosk"
	for i, step := range []struct {
		change func(*config.Config)
		want   string
	}{
		{func(*config.Config) {}, "first recorded"},
		{func(*config.Config) {}, ""},
		{func(c *config.Config) { c.OpeningHours = "08:00-20:00"; c.LeadRoles = []string{"Named Nurse"} }, `changed: lead_roles "" -> "Named Nurse"; opening_hours "" -> "08:00-20:00"`},
		{func(c *config.Config) {}, ""},
	} {
		step.change(&cfg)
		if err := accountability.RecordConfig(db, cfg, cpis.EmergencyDepartment, kiosktest.Day.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
		var last store.Event
		n := 0
		db.Events(func(e store.Event) error { last = e; n++; return nil })
		switch {
		case step.want == "" && last.At.Equal(kiosktest.Day.Add(time.Duration(i)*time.Hour)):
			t.Errorf("step %d: an unchanged configuration was audited: %s", i, last.Outcome)
		case step.want != "" && (last.Kind != cpis.EventConfigChanged || !strings.HasPrefix(last.Outcome, step.want)):
			t.Errorf("step %d: audit %q, want %q", i, last.Outcome, step.want)
		}
	}
}
