package app

import (
	"io"
	"slices"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// At start the kiosk audits its configuration and purges what is past
// the retention, and the chain still verifies.
func TestStartAccountability(t *testing.T) {
	db := kiosktest.DB(t)
	old := kiosktest.AuditHistory() // June 2026
	kiosktest.Append(t, db, old)
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.AuditRetention = config.RetentionDays(30)
	log := logrus.New()
	log.SetOutput(io.Discard)
	p := &Program{cfg: cfg, setting: cpis.EmergencyDepartment, log: log, db: db}
	a := p.StartAccountability()
	if a == nil || a.Baseline == nil {
		t.Fatal("no accountability")
	}
	a.PurgeAtStart() // the window runs it beside itself
	var kinds []cpis.EventKind
	if err := db.Events(func(e store.Event) error { kinds = append(kinds, e.Kind); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []cpis.EventKind{cpis.EventConfigChanged, cpis.EventAuditPurged}; !slices.Equal(kinds, want) {
		t.Errorf("after start: %v, want %v", kinds, want)
	}
	rep, err := db.Verify()
	if err != nil || rep.Checkpoint != uint64(len(old)) {
		t.Errorf("after start: %+v %v", rep, err)
	}
}
