package accountability

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ExportPath is a new file's path in the data folder's exports/, without
// its extension when ext is "".
func (a *Accountability) ExportPath(what, ext string) (string, error) {
	dir := filepath.Join(a.Cfg.DataDir, "exports")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("making the exports folder: %w", err)
	}
	return filepath.Join(dir, what+"-"+a.Now().In(a.Loc).Format("20060102-150405")+ext), nil
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
