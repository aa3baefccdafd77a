package ui

import "fmt"

// filterString writes an audit filter for the recorder.
func filterString(f AuditFilter) string {
	from, to := "", ""
	if !f.From.IsZero() {
		from = f.From.Format("2006-01-02")
	}
	if !f.To.IsZero() {
		to = f.To.Format("2006-01-02")
	}
	return fmt.Sprintf("from=%s to=%s user=%s", from, to, f.User)
}
