// Package accountability is what a safeguarding lead and IT answer for: the
// routine audit with its flags and export, the staff access checks on the
// guide's two test patients, retention, and go-live readiness from evidence.
package accountability

import (
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// AuditLog is what accountability needs of the store.
type AuditLog interface {
	Append(e store.Event) (uint64, error)
	Events(fn func(store.Event) error) error
	Verify() (store.Report, error)
	StaffChecks() ([]store.StaffCheck, error)
	Purge(cutoff time.Time, by string) (store.PurgeResult, error)
}

var _ AuditLog = (*store.DB)(nil)

// Accountability is the audit, staff-check and readiness side of the
// kiosk, shared by the command line and the screens.
type Accountability struct {
	Log     AuditLog
	Cfg     config.Config
	Setting cpis.Setting
	Now     func() time.Time
	// Loc is the zone the exports, the flags and the opening hours use:
	// the kiosk's own.
	Loc *time.Location
	// Baseline reports the environment baseline (WES) check, when the IT
	// status is wired in; nil: "not checked".
	Baseline func() (passed bool, detail string)
	Logger   logrus.FieldLogger
}

// NewAccountability builds it over the program's store.
func NewAccountability(l AuditLog, cfg config.Config, setting cpis.Setting, log logrus.FieldLogger) *Accountability {
	if log == nil {
		log = logging.Discard()
	}
	return &Accountability{Log: l, Cfg: cfg, Setting: setting, Now: time.Now, Loc: time.Local, Logger: log}
}
