// Package accountability is what a safeguarding lead and IT answer for: the
// routine audit with its flags and export, the staff access checks on the
// guide's two test patients, retention, and go-live readiness from evidence.
package accountability

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/waiting"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// Routine audit (guide step 27): "check that CP-IS information is being
// routinely accessed by the correct people, in the correct way". The
// export gives one row per audited event; the flags point at what such an
// audit looks for.

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
		log = waiting.DiscardLog()
	}
	return &Accountability{Log: l, Cfg: cfg, Setting: setting, Now: time.Now, Loc: time.Local, Logger: log}
}

// patientKinds are the events about a patient: only these carry an NHS
// number in the export.
var patientKinds = map[cpis.EventKind]bool{"trace": true, "silent-check": true, "alert-opened": true,
	"queued": true, "replay": true, "dead-letter": true, "review-signed-off": true}

// AuditFilter picks the events for an export or the screen: From and To
// are times (To exclusive); User matches a user id or, ignoring case, a
// name.
type AuditFilter struct {
	From, To time.Time
	User     string
}

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

// auditRow is the export's view of an event: the NHS number only for an
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

// auditExported records that someone took a copy of the audit: it names
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

// ---- the flags ----

// What routine audit looks for.
const (
	// FlagNoPresentation: an alert opened with no trace by the same user
	// for the same NHS number in the hours before: CP-IS must be looked at
	// only when the child presents (guide step 20).
	FlagNoPresentation = "no-presentation"
	// FlagManyOpens: more alerts opened by one user in an hour than one
	// person checking presenting children plausibly opens.
	FlagManyOpens = "many-opens"
	// FlagOutOfHours: access while the care setting is closed.
	FlagOutOfHours = "out-of-hours"
)

// Thresholds of the flags.
const (
	PresentationWindow = 4 * time.Hour
	ManyOpensWindow    = time.Hour
	ManyOpensLimit     = 10 // more than this many in the window is flagged
)

// Flag is one thing routine audit should look at.
type Flag struct {
	Kind     string
	At       time.Time
	UserID   string
	UserName string
	NHS      string
	Detail   string
	Seq      uint64 // the record that raised it
}

// Flags looks through events (oldest first) for what routine audit looks
// for. Replayed checks are the kiosk's own, made after downtime on behalf
// of the member of staff on duty, and are not flagged.
func Flags(events []store.Event, hours config.OpeningHours, loc *time.Location) []Flag {
	var out []Flag
	lastTrace := map[string]time.Time{} // user|nhs -> last trace found
	// A burst is a user's opens within the window; it raises one flag,
	// which grows while the burst lasts.
	type burst struct {
		times   []time.Time
		flagged int // index in out of the burst's flag; -1 when none
		most    int
	}
	opens := map[string]*burst{}
	for _, e := range events {
		if e.Replayed {
			continue
		}
		live := e.Kind == cpis.EventTrace || e.Kind == cpis.EventSearch || (e.Kind == cpis.EventAlertOpened && e.Notified)
		if live && !hours.Open(e.At.In(loc)) {
			out = append(out, Flag{Kind: FlagOutOfHours, At: e.At, UserID: e.UserID, UserName: e.UserName,
				NHS: e.NHS, Seq: e.Seq, Detail: fmt.Sprintf("%s at %s, outside opening hours %s",
					KindWords(e.Kind), e.At.In(loc).Format("15:04"), hours)})
		}
		switch {
		case e.Kind == cpis.EventTrace && e.Result == cpis.ResultFound:
			lastTrace[e.UserID+"|"+e.NHS] = e.At
		case e.Kind == cpis.EventAlertOpened && e.Notified:
			t, ok := lastTrace[e.UserID+"|"+e.NHS]
			if !ok || e.At.Sub(t) > PresentationWindow || e.At.Before(t) {
				out = append(out, Flag{Kind: FlagNoPresentation, At: e.At, UserID: e.UserID, UserName: e.UserName,
					NHS: e.NHS, Seq: e.Seq, Detail: fmt.Sprintf("alert opened with no trace of the patient by the same user in the %s before",
						hoursWords(PresentationWindow))})
			}
			b := opens[e.UserID]
			if b == nil {
				b = &burst{flagged: -1}
				opens[e.UserID] = b
			}
			keep := b.times[:0]
			for _, t := range b.times {
				if e.At.Sub(t) < ManyOpensWindow {
					keep = append(keep, t)
				}
			}
			b.times = append(keep, e.At)
			switch {
			case len(b.times) <= ManyOpensLimit:
				b.flagged, b.most = -1, 0
			case b.flagged < 0:
				b.flagged = len(out)
				out = append(out, Flag{Kind: FlagManyOpens, At: b.times[0], UserID: e.UserID, UserName: e.UserName, Seq: e.Seq})
			}
			if b.flagged >= 0 && len(b.times) > b.most {
				b.most = len(b.times)
				out[b.flagged].Detail = fmt.Sprintf("%d alerts opened between %s and %s (more than %d in an %s)", b.most,
					b.times[0].In(loc).Format("15:04"), e.At.In(loc).Format("15:04"), ManyOpensLimit, hoursWords(ManyOpensWindow))
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Flag) int {
		if c := strings.Compare(flagOrder(x.Kind), flagOrder(y.Kind)); c != 0 {
			return c
		}
		return x.At.Compare(y.At)
	})
	return out
}

func flagOrder(k string) string {
	return map[string]string{FlagNoPresentation: "1", FlagManyOpens: "2", FlagOutOfHours: "3"}[k]
}

func hoursWords(d time.Duration) string {
	if d == time.Hour {
		return "hour"
	}
	return fmt.Sprintf("%d hours", int(d.Hours()))
}

// kindWords is an event kind in words, for people.
func KindWords(k cpis.EventKind) string {
	if w, ok := map[cpis.EventKind]string{
		"trace": "Trace", "search": "Search by details", "silent-check": "Silent check", "alert-opened": "Alert opened",
		"login": "Sign-in", "passcode-failed": "Wrong passcode", "lock": "Locked", "unlock": "Unlocked",
		"card-removed": "Card removed", "queued": "Recorded in downtime", "replay": "Replayed", "dead-letter": "Moved aside",
		"review-signed-off": "Review signed off", cpis.EventAccessVerified: "Access proven", cpis.EventAuditPurged: "Audit purged",
		cpis.EventDrill: "Downtime drill", cpis.EventReadiness: "Readiness recorded", cpis.EventConfigChanged: "Configuration changed",
		cpis.EventAuditExported: "Audit exported",
	}[k]; ok {
		return w
	}
	return string(k)
}
