package accountability

import (
	"fmt"
	"io"
	"os/user"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// Purge removes expired records and says what it did.
func (a *Accountability) Purge(cutoff time.Time, by string, out io.Writer) error {
	if cutoff.IsZero() {
		fmt.Fprintln(out, "audit purge: audit_retention keeps every record; nothing purged")
		return nil
	}
	res, err := a.Log.Purge(cutoff, by)
	if err != nil {
		return err
	}
	if res.Purged == 0 {
		fmt.Fprintf(out, "audit purge: no record is older than %s (retention %s)\n", cutoff.In(a.Loc).Format("2006-01-02"), a.Cfg.AuditRetention)
		return nil
	}
	fmt.Fprintf(out, "audit purge: removed %d records (%d to %d) written before %s; the purge is audit record %d, with the checkpoint %s\n",
		res.Purged, res.First, res.Last, cutoff.In(a.Loc).Format("2006-01-02"), res.Seq, res.Checkpoint[:16])
	return nil
}

// PurgeAtStart removes expired audit records when the kiosk starts. A
// failure is logged, never fatal: the kiosk must still check children.
func (a *Accountability) PurgeAtStart() {
	cutoff := a.Cfg.AuditRetention.Cutoff(a.Now())
	if cutoff.IsZero() {
		return
	}
	res, err := a.Log.Purge(cutoff, "kiosk start")
	switch {
	case err != nil:
		a.Logger.WithError(err).Error("purging expired audit records")
	case res.Purged > 0:
		a.Logger.WithFields(logrus.Fields{"purged": res.Purged, "retention": a.Cfg.AuditRetention.String()}).Info("purged expired audit records")
	}
}

// RecordConfig audits the configuration when it differs from the last
// start's.
func RecordConfig(db *store.DB, cfg config.Config, setting cpis.Setting, now time.Time) error {
	settings, err := config.Settings(cfg)
	if err != nil {
		return err
	}
	by := "kiosk start"
	if u, err := user.Current(); err == nil && u.Username != "" {
		by += " (" + u.Username + ")"
	}
	_, err = db.RecordConfig(settings, store.Event{At: now, UserName: by, Setting: string(setting)})
	return err
}
