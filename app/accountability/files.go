package accountability

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"
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

// WriteReadiness writes the page to the files named (either may be "").
func (a *Accountability) WriteReadiness(items []ReadinessItem, pdfFile, csvFile, creator string) error {
	write := func(path string, fn func(io.Writer) error) error {
		if path == "" {
			return nil
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("writing readiness: %w", err)
		}
		if err := fn(f); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", path, err)
		}
		return f.Close()
	}
	hdr := ReadinessHeader{Creator: creator, Organisation: a.Cfg.Organisation.Name + " (" + a.Cfg.Organisation.ODS + ")",
		Setting: a.Setting.Name(), At: a.Now().In(a.Loc)}
	if err := write(pdfFile, func(w io.Writer) error { return WriteReadinessPDF(w, items, hdr) }); err != nil {
		return err
	}
	return write(csvFile, func(w io.Writer) error { return WriteReadinessCSV(w, items, a.Loc) })
}

// ExportPath is a new file's path in the data folder's exports/, without
// its extension when ext is "".
func (a *Accountability) ExportPath(what, ext string) (string, error) {
	dir := filepath.Join(a.Cfg.DataDir, "exports")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("making the exports folder: %w", err)
	}
	return filepath.Join(dir, what+"-"+a.Now().In(a.Loc).Format("20060102-150405")+ext), nil
}
