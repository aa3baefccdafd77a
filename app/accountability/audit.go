package accountability

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// Routine audit (guide step 27): "check that CP-IS information is being
// routinely accessed by the correct people, in the correct way". The
// export gives one row per audited event; the flags point at what such an
// audit looks for.

// patientKinds are the events about a patient: only these carry an NHS
// number in the export.
var patientKinds = map[cpis.EventKind]bool{"trace": true, "silent-check": true, "alert-opened": true,
	cpis.EventCheckIntent: true, "queued": true, "replay": true, "dead-letter": true, "review-signed-off": true}

// AuditFilter picks the events for an export or the screen: From and To
// are times (To exclusive); User matches a user id or, ignoring case, a
// name.
type AuditFilter struct {
	From, To time.Time
	User     string
}

// Match reports whether e is one of the events f picks.
func (f AuditFilter) Match(e store.Event) bool {
	if !f.From.IsZero() && e.At.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !e.At.Before(f.To) {
		return false
	}
	if u := strings.TrimSpace(f.User); u != "" && e.UserID != u && !strings.EqualFold(e.UserName, u) {
		return false
	}
	return true
}

// DayRange is the filter from the start of day from to the end of day to,
// in loc; a zero date leaves that end open.
func DayRange(from, to time.Time, loc *time.Location) (time.Time, time.Time) {
	day := func(t time.Time) time.Time {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	var a, b time.Time
	if !from.IsZero() {
		a = day(from)
	}
	if !to.IsZero() {
		b = day(to).AddDate(0, 0, 1)
	}
	return a, b
}

// AuditRow is one row of the export.
type AuditRow struct {
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	UserID   string    `json:"user_id"`
	UserName string    `json:"user_name"`
	RoleID   string    `json:"role_id"`
	JobRole  string    `json:"job_role"`
	Org      string    `json:"organisation"`
	Setting  string    `json:"setting"`
	Event    string    `json:"event"`
	Outcome  string    `json:"outcome"`
	NHS      string    `json:"nhs_number"`
	Notified bool      `json:"local_authority_notified"`
	Mode     string    `json:"mode"` // "live" or "replayed"
}

// MaskNHS hides all but the last four digits of an NHS number, for
// exports made where no lead is signed in: enough to tell rows apart,
// not to find the child.
func MaskNHS(nhs string) string {
	if len(nhs) < 4 {
		return nhs
	}
	return strings.Repeat("*", len(nhs)-4) + nhs[len(nhs)-4:]
}

// NewAuditRow is the export's view of an event: the NHS number only for an
// event about a patient.
func NewAuditRow(e store.Event, loc *time.Location) AuditRow {
	r := AuditRow{Seq: e.Seq, Time: e.At.In(loc), UserID: e.UserID, UserName: e.UserName, RoleID: e.RoleID,
		JobRole: e.JobRole, Org: e.OrgCode, Setting: e.Setting, Event: string(e.Kind), Outcome: e.Outcome,
		Notified: e.Notified, Mode: "live"}
	if patientKinds[e.Kind] {
		r.NHS = e.NHS
	}
	if e.Replayed {
		r.Mode = "replayed"
	}
	return r
}

// auditColumns are the CSV's header.
var auditColumns = []string{"seq", "time", "user_id", "user_name", "role_id", "job_role", "organisation",
	"setting", "event", "outcome", "nhs_number", "local_authority_notified", "mode"}

// Rows reads the events that match f, oldest first. The log must verify
// first: an export from a log that has been tampered with would pass
// off what is left as the whole.
func (a *Accountability) Rows(f AuditFilter) ([]AuditRow, []store.Event, error) {
	if _, err := a.Log.Verify(); err != nil {
		return nil, nil, fmt.Errorf("reading the audit: %w", err)
	}
	var rows []AuditRow
	var events []store.Event
	err := a.Log.Events(func(e store.Event) error {
		if f.Match(e) {
			rows = append(rows, NewAuditRow(e, a.Loc))
			events = append(events, e)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the audit: %w", err)
	}
	return rows, events, nil
}

// WriteAuditCSV writes the rows with a header, times in RFC 3339 with
// their offset.
func WriteAuditCSV(w io.Writer, rows []AuditRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(auditColumns); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{strconv.FormatUint(r.Seq, 10), r.Time.Format(time.RFC3339), r.UserID, r.UserName,
			r.RoleID, r.JobRole, r.Org, r.Setting, r.Event, r.Outcome, r.NHS, yesNo(r.Notified), r.Mode}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteAuditJSON writes the rows as one JSON array.
func WriteAuditJSON(w io.Writer, rows []AuditRow) error {
	if rows == nil {
		rows = []AuditRow{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// AuditExported records that someone took a copy of the audit: it names
// patients, so taking it is itself an access.
func (a *Accountability) AuditExported(by check.Session, who string, f AuditFilter, n int, where string) {
	e := store.Event{At: a.Now(), Kind: cpis.EventAuditExported, UserID: by.User.ID, UserName: by.User.Name,
		RoleID: by.Role.ID, JobRole: by.Role.JobRole, OrgCode: by.Role.OrgCode, Setting: string(a.Setting),
		Result: cpis.ResultDone, Outcome: fmt.Sprintf("%d events %s to %s%s, %s", n, rangeEnd(f.From, a.Loc), rangeEnd(f.To, a.Loc), userWords(f.User), where)}
	if who != "" {
		e.UserName = who
	}
	if _, err := a.Log.Append(e); err != nil {
		a.Logger.WithError(err).Error("writing audit record")
	}
}

func rangeEnd(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "open"
	}
	return t.In(loc).Format(time.RFC3339)
}

func userWords(u string) string {
	if u == "" {
		return ""
	}
	return " for user " + u
}

// KindWords is an event kind in words, for people.
func KindWords(k cpis.EventKind) string {
	if w, ok := map[cpis.EventKind]string{
		"trace": "Trace", "search": "Search by details", "silent-check": "Silent check", "alert-opened": "Alert opened",
		"login": "Sign-in", "passcode-failed": "Wrong passcode", "lock": "Locked", "unlock": "Unlocked",
		"card-removed": "Card removed", "queued": "Recorded in downtime", "replay": "Replayed", "dead-letter": "Moved aside",
		"review-signed-off": "Review signed off", cpis.EventAccessVerified: "Access proven", cpis.EventAuditPurged: "Audit purged",
		cpis.EventDrill: "Downtime drill", cpis.EventReadiness: "Readiness recorded", cpis.EventConfigChanged: "Configuration changed",
		cpis.EventAuditExported: "Audit exported", cpis.EventCheckIntent: "About to check CP-IS",
	}[k]; ok {
		return w
	}
	return string(k)
}
