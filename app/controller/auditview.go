package controller

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/build"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
	"github.com/nhs-cpis/kiosk/ui"
)

// The lead's screens in the kiosk: routine audit, staff access checks and
// go-live readiness. They are for lead_roles (by default any role with
// B0107); what they show lives in the View only while one of them is on
// screen and the lead is signed in.

// auditRowsShown is how many events the audit screen lists; the export
// has them all.
const auditRowsShown = 200

// Help for the lead's screens.
const (
	auditHelp     = "Filter by dates and user, then export for the routine audit. Each flag is worth a look, not proof of misuse."
	staffHelp     = "Guide step 19: each member of staff opens the alert on both test patients, 999 027 6579 and 999 027 5831, once the codes are on their smartcard."
	readinessHelp = "Record what the kiosk cannot see. Export the page for the go/no go call (guide step 25)."
)

// leadScreens are the lead's routine audit, staff checks and go-live
// readiness.
type leadScreens struct {
	*desk
	acct *accountability.Accountability // nil until UseAccountability
}

// UseAccountability connects the lead's screens. The entry screen offers
// them to a lead: whether the signed-in role is one is worked out as each
// View is published, and their content is dropped from the View once
// neither a lead nor one of their screens is there.
func (k *leadScreens) UseAccountability(a *accountability.Accountability) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.acct = a
	show := k.show
	k.show = func(v ui.View) {
		// publish runs with k.mu held, so k.sess belongs to this View.
		v.Lead = v.Session.Gate == cpis.GateOpen && k.sess != nil && a.Cfg.IsLead(k.sess.Role)
		if !v.Lead || !leadScreen(v.Screen) {
			v.Account, k.v.Account = nil, nil
		}
		show(v)
	}
	k.publish()
}

func leadScreen(s ui.Screen) bool {
	return s == ui.ScreenAudit || s == ui.ScreenStaff || s == ui.ScreenGoLive
}

// lead returns the session when it may use the lead's screens, or shows
// why not. k.mu is held.
func (k *leadScreens) lead() (check.Session, bool) {
	sess, ok := k.session()
	if !ok {
		return check.Session{}, false
	}
	switch {
	case k.acct == nil:
		k.v.Message = &ui.Message{Title: "Audit is not available here",
			Body: "This kiosk was started without its audit screens.", Next: "Run cpis-kiosk audit export from a terminal.", Warn: true}
	case !k.acct.Cfg.IsLead(sess.Role):
		k.v.Message = &ui.Message{Title: "The audit screens are for leads",
			Body: "Routine audit, the staff checks and go-live readiness are for the roles set as leads (lead_roles), " +
				"or by default a role with code B0107.",
			Next: "Ask the safeguarding or project lead."}
	default:
		return sess, true
	}
	k.publish()
	return check.Session{}, false
}

// leadLoad fills a lead's screen from the accountability records, off the
// UI goroutine, as the signed-in lead.
type leadLoad func(a *accountability.Accountability, sess check.Session, acc *ui.AccountView) error

// openLead moves to one of the lead's screens and loads it off the lock.
func (k *leadScreens) openLead(s ui.Screen, help, label string, load leadLoad) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	sess, ok := k.lead()
	if !ok || k.v.Busy.Active {
		return
	}
	if !leadScreen(k.v.Screen) {
		k.dropPatient()
	}
	acc := ui.AccountView{}
	if k.v.Account != nil {
		acc = *k.v.Account
	}
	acc.Exported = ""
	k.v.Message = nil
	gen, a := k.gen, k.acct
	k.busy(label)
	k.run(func(context.Context) func() {
		err := load(a, sess, &acc)
		return func() {
			if gen != k.gen {
				return
			}
			k.v.Busy = ui.Busy{}
			k.v.Account = &acc
			k.screen(s)
			k.v.Help = help
			if err != nil {
				k.log.WithError(err).Error("reading the audit")
				k.v.Message = &ui.Message{Title: "The audit cannot be read",
					Body: "The kiosk's audit log on this computer could not be read.", Next: "Call the IT service desk."}
			}
		}
	})
}

// ShowAudit shows routine audit for the filter; with no dates, the last
// seven days.
func (k *leadScreens) ShowAudit(f ui.AuditFilter) {
	if f.From.IsZero() && f.To.IsZero() {
		today := k.check.Now()
		f.From, f.To = today.AddDate(0, 0, -6), today
	}
	k.openLead(ui.ScreenAudit, auditHelp, "Reading the audit…", func(a *accountability.Accountability, _ check.Session, acc *ui.AccountView) error {
		acc.Audit = auditView(a, f)
		return nil
	})
}

// ExportAudit writes the filtered audit as CSV to the data folder's
// exports/ and says where.
func (k *leadScreens) ExportAudit(f ui.AuditFilter) {
	k.openLead(ui.ScreenAudit, auditHelp, "Exporting the audit…", func(a *accountability.Accountability, sess check.Session, acc *ui.AccountView) error {
		acc.Audit = auditView(a, f)
		path, err := exportAudit(a, f, sess)
		if err != nil {
			return err
		}
		acc.Exported = path
		return nil
	})
}

// ShowStaff lists who has proven their access and who not yet.
func (k *leadScreens) ShowStaff() {
	k.openLead(ui.ScreenStaff, staffHelp, "Reading the staff checks…", func(a *accountability.Accountability, _ check.Session, acc *ui.AccountView) (err error) {
		acc.Staff, err = staffRows(a)
		return err
	})
}

// ShowReadiness shows go-live readiness from the evidence now.
func (k *leadScreens) ShowReadiness() {
	k.openLead(ui.ScreenGoLive, readinessHelp, "Gathering the evidence…", func(a *accountability.Accountability, _ check.Session, acc *ui.AccountView) (err error) {
		acc.Readiness, err = readinessView(a)
		return err
	})
}

// RecordReadiness records an item the kiosk cannot see as done, by the
// signed-in lead, now.
func (k *leadScreens) RecordReadiness(id string) {
	k.openLead(ui.ScreenGoLive, readinessHelp, "Recording…", func(a *accountability.Accountability, sess check.Session, acc *ui.AccountView) (err error) {
		by := sess.User.Name
		if sess.Role.JobRole != "" {
			by += ", " + sess.Role.JobRole
		}
		if err = a.RecordReadiness(id, by, "recorded on the kiosk", sess); err != nil {
			return err
		}
		acc.Readiness, err = readinessView(a)
		return err
	})
}

// ExportReadiness writes the page as PDF and CSV to exports/.
func (k *leadScreens) ExportReadiness() {
	k.openLead(ui.ScreenGoLive, readinessHelp, "Exporting…", func(a *accountability.Accountability, _ check.Session, acc *ui.AccountView) error {
		items, err := a.Readiness()
		if err != nil {
			return err
		}
		acc.Readiness = readinessRows(items)
		base, err := a.ExportPath("readiness", "")
		if err != nil {
			return err
		}
		if err := a.WriteReadiness(items, base+".pdf", base+".csv", "cpis-kiosk "+build.Version); err != nil {
			return err
		}
		acc.Exported = base + ".pdf and .csv"
		return nil
	})
}

// ---- building the views ----

// auditView reads the audit for the screen's filter.
func auditView(a *accountability.Accountability, f ui.AuditFilter) ui.AuditView {
	v := ui.AuditView{Filter: f, Hours: a.Cfg.Hours().String()}
	from, to := accountability.DayRange(f.From, f.To, a.Loc)
	af := accountability.AuditFilter{From: from, To: to, User: strings.TrimSpace(f.User)}
	// The flags look back before the range: a trace just before midnight
	// is the presentation of an alert opened just after.
	look := af
	if !from.IsZero() {
		look.From = from.Add(-accountability.PresentationWindow)
	}
	_, events, err := a.Rows(look)
	var brk *store.Break
	switch {
	case errors.As(err, &brk):
		msg := brk.Error()
		v.Broken = strings.ToUpper(msg[:1]) + msg[1:]
		return v
	case err != nil:
		v.Broken = "The audit log cannot be read."
		return v
	}
	var in []store.Event
	for _, e := range events {
		if af.Match(e) {
			in = append(in, e)
		}
	}
	for _, fl := range accountability.Flags(events, a.Cfg.Hours(), a.Loc) {
		if !from.IsZero() && fl.At.Before(from) {
			continue
		}
		v.Flags = append(v.Flags, ui.AuditFlag{Kind: flagKinds[fl.Kind], At: fl.At.In(a.Loc), User: who(fl.UserName, fl.UserID),
			NHS: cpis.NHSNumber(fl.NHS), Detail: fl.Detail})
	}
	v.Events = len(in)
	for i := len(in) - 1; i >= 0; i-- {
		e := in[i]
		switch {
		case e.Kind == "trace":
			v.Traces++
		case e.Kind == "alert-opened" && e.Notified:
			v.Opened++
		}
		if len(v.Rows) == auditRowsShown {
			v.More++
			continue
		}
		r := accountability.NewAuditRow(e, a.Loc)
		v.Rows = append(v.Rows, ui.AuditRow{Seq: e.Seq, At: r.Time, User: who(e.UserName, e.UserID), Role: roleWords(e),
			Event: accountability.KindWords(e.Kind), Outcome: e.Outcome, NHS: cpis.NHSNumber(r.NHS), Notified: e.Notified, Replayed: e.Replayed})
	}
	return v
}

// flagKinds are routine audit's flags as the screen draws them.
var flagKinds = map[string]ui.FlagKind{accountability.FlagManyOpens: ui.FlagManyOpens,
	accountability.FlagOutOfHours: ui.FlagOutOfHours, accountability.FlagNoPresentation: ui.FlagNoPresentation}

func who(name, id string) string {
	switch {
	case name == "":
		return id
	case id == "":
		return name
	}
	return name + " (" + id + ")"
}

func roleWords(e store.Event) string {
	if e.OrgCode == "" {
		return e.JobRole
	}
	return strings.TrimPrefix(e.JobRole+", "+e.OrgCode, ", ")
}

// exportAudit writes the filtered audit as CSV in exports/, audited.
func exportAudit(a *accountability.Accountability, f ui.AuditFilter, sess check.Session) (string, error) {
	from, to := accountability.DayRange(f.From, f.To, a.Loc)
	af := accountability.AuditFilter{From: from, To: to, User: strings.TrimSpace(f.User)}
	rows, _, err := a.Rows(af)
	if err != nil {
		return "", err
	}
	path, err := a.ExportPath("audit", ".csv")
	if err != nil {
		return "", err
	}
	file, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("writing the export: %w", err)
	}
	if err := accountability.WriteAuditCSV(file, rows); err != nil {
		file.Close()
		return "", fmt.Errorf("writing the export: %w", err)
	}
	if err := file.Close(); err != nil {
		return "", fmt.Errorf("writing the export: %w", err)
	}
	a.AuditExported(sess, "", af, len(rows), "csv to "+path)
	return path, nil
}

// staffRows is the staff checks screen: those not yet proven first, as
// they are the ones to act on.
func staffRows(a *accountability.Accountability) ([]ui.StaffRow, error) {
	verified, pending, err := a.StaffLists()
	if err != nil {
		return nil, err
	}
	var rows []ui.StaffRow
	for _, s := range pending {
		r := ui.StaffRow{Name: s.Name, UserID: s.UserID, Role: strings.TrimPrefix(s.Role.JobRole+", "+s.Role.OrgCode, ", "),
			Codes: strings.Join(s.Role.Codes, ", "), When: s.LastSeen.In(a.Loc), Opened: accountability.OpenedWords(s),
			Missing: strings.Join(accountability.Missing(s), " and ")}
		rows = append(rows, r)
	}
	for _, s := range verified {
		rows = append(rows, ui.StaffRow{Name: s.Name, UserID: s.UserID, Verified: true,
			Role:  strings.TrimPrefix(s.VerifiedRole.JobRole+", "+s.VerifiedRole.OrgCode, ", "),
			Codes: strings.Join(s.VerifiedRole.Codes, ", "), When: s.VerifiedAt.In(a.Loc)})
	}
	return rows, nil
}

func readinessView(a *accountability.Accountability) ([]ui.ReadinessRow, error) {
	items, err := a.Readiness()
	if err != nil {
		return nil, err
	}
	return readinessRows(items), nil
}

func readinessRows(items []accountability.ReadinessItem) []ui.ReadinessRow {
	rows := make([]ui.ReadinessRow, len(items))
	for i, it := range items {
		st := ui.NotReady
		switch it.Status {
		case accountability.StatusReady:
			st = ui.Ready
		case accountability.StatusNotChecked:
			st = ui.NotChecked
		}
		rows[i] = ui.ReadinessRow{ID: it.ID, Steps: it.Steps, Title: it.Title, State: st, Evidence: it.Evidence, Manual: it.Manual}
	}
	return rows
}

// ---- at start ----
