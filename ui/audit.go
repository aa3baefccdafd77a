package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/nhs-cpis/kiosk/cpis"
)

// Routine audit (guide step 27), the first of the lead's screens
// (lead.go): the events of a range of days, and what in them is worth a
// look.

// auditForm is the audit screen's filter. Its fields outlive renders, like
// the search form's, so a date half typed survives a redraw.
type auditForm struct {
	w              *Window
	act            LeadActions
	from, to, user *textField
	fromErr, toErr string
	// loaded is the filter last put in the fields; shown says the audit
	// screen was on screen at the last render.
	loaded AuditFilter
	shown  bool
}

func newAuditForm(w *Window, act LeadActions) *auditForm {
	f := &auditForm{w: w, act: act}
	field := func(id, hint string) *textField {
		t := w.textField(id, textBody)
		t.PlaceHolder = hint
		t.OnSubmitted = func(string) { f.submit(false) }
		return t
	}
	f.from, f.to, f.user = field("audit-from", "DD/MM/YYYY"), field("audit-to", "DD/MM/YYYY"), field("audit-user", "User id or name")
	return f
}

// keepAuditForm loads the View's filter into the fields when the audit
// screen comes up or the app changes the filter, and empties them when
// the session closes.
func (w *Window) keepAuditForm(v View) {
	f := w.audit
	on := v.Session.Gate == cpis.GateOpen && v.Screen == ScreenAudit && v.Account != nil
	switch {
	case !on:
		if f.shown || v.Session.Gate != cpis.GateOpen {
			f.load(AuditFilter{})
		}
		f.shown = false
	case !f.shown || !sameFilter(f.loaded, v.Account.Audit.Filter):
		f.load(v.Account.Audit.Filter)
		f.shown = true
	}
}

func (f *auditForm) load(a AuditFilter) {
	f.from.SetText(formatDateInput(a.From))
	f.to.SetText(formatDateInput(a.To))
	f.user.SetText(a.User)
	f.loaded = a
	f.fromErr, f.toErr = "", ""
	f.from.setInvalid(false)
	f.to.setInvalid(false)
}

func sameFilter(a, b AuditFilter) bool {
	return a.From.Equal(b.From) && a.To.Equal(b.To) && a.User == b.User
}

// submit reads the fields and asks for the audit, or its export.
func (f *auditForm) submit(export bool) {
	w := f.w
	if w.view.Screen != ScreenAudit || w.view.Busy.Active || w.view.Session.Gate != cpis.GateOpen {
		return
	}
	var a AuditFilter
	a.From, f.fromErr = parseFilterDate(f.from.Text, "from")
	a.To, f.toErr = parseFilterDate(f.to.Text, "to")
	if f.fromErr == "" && f.toErr == "" && !a.From.IsZero() && !a.To.IsZero() && a.To.Before(a.From) {
		f.toErr = "The end date is before the start date"
	}
	a.User = strings.TrimSpace(f.user.Text)
	f.from.setInvalid(f.fromErr != "")
	f.to.setInvalid(f.toErr != "")
	if f.fromErr != "" || f.toErr != "" {
		w.Render(w.view)
		return
	}
	if export {
		f.act.ExportAudit(a)
		return
	}
	f.act.ShowAudit(a)
}

// parseFilterDate reads DD/MM/YYYY; empty leaves that end open.
func parseFilterDate(s, which string) (time.Time, string) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, ""
	}
	t, msg := parseDate(s, time.Time{})
	if msg != "" {
		return time.Time{}, "Enter the " + which + " date as DD/MM/YYYY, for example 02/03/2026"
	}
	return t, ""
}

// auditColumns are the events table's: time, user, role, event, NHS
// number, notified, live or replayed.
var auditColumns = tableLayout{0.15, 0.25, 0.15, 0.15, 0.12, 0.09, 0.09}

// auditPage is the filter, then what routine audit finds in its range.
func (w *Window) auditPage(v View, act LeadActions) page {
	f := w.audit
	acc := v.Account
	back := w.back(lookSecondary)
	export := w.button("export", "Export CSV", lookPrimary, func() { f.submit(true) })
	apply := w.button("apply", "Show", lookSecondary, func() { f.submit(false) })
	for _, t := range []*textField{f.from, f.to, f.user} {
		w.register(t)
		enable(t, !v.Busy.Active)
		t.paintFrame()
	}
	fieldLabel := func(s string) fyne.CanvasObject { return container.NewCenter(boldText(s, nhsText, textBody)) }
	filter := container.New(widthsLayout{0, 190, 0, 190, 0, 260, 0},
		fieldLabel("From"), f.from.view, fieldLabel("To"), f.to.view, fieldLabel("User"), f.user.view, apply)
	lead := []fyne.CanvasObject{w.leadTabs(v, act), gap(8), filter}
	for _, e := range []string{f.fromErr, f.toErr} {
		if e != "" {
			lead = append(lead, warning(e))
		}
	}
	if acc == nil {
		return page{lead: container.NewVBox(lead...), actions: []fyne.CanvasObject{back}}
	}
	a := acc.Audit
	parts := exportedPanel(acc)
	if a.Broken != "" {
		parts = append(parts, inset(container.NewVBox(
			large("The audit log has been altered", theme.ColorNameError),
			para(a.Broken+"."),
			bold("Nothing here can be relied on. Keep the computer as it is and call the IT service desk and the information governance lead."),
		), nhsRed, nhsWhite))
		return page{lead: container.NewVBox(lead...), content: container.NewVBox(parts...),
			actions: []fyne.CanvasObject{back}}
	}
	parts = append(parts, auditFindings(a)...)
	return page{lead: container.NewVBox(lead...), content: container.NewVBox(parts...),
		actions: []fyne.CanvasObject{export, back}}
}

// auditFindings are the range's counts, what is flagged in it and its
// events, newest first.
func auditFindings(a AuditView) []fyne.CanvasObject {
	parts := []fyne.CanvasObject{rich(
		seg(plural(a.Events, "event"), theme.SizeNameText, theme.ColorNameForeground, true),
		seg("  ·  "+plural(a.Traces, "trace")+"  ·  "+plural(a.Opened, "alert")+" opened, each notifying the local authority  ·  opening hours "+a.Hours,
			theme.SizeNameText, colorSecondary, false),
	), gap(8)}

	parts = append(parts, large("What to look at", theme.ColorNameForeground))
	if len(a.Flags) == 0 {
		parts = append(parts, inset(para("Nothing flagged: every alert opened followed a trace by the same user, nobody opened more than "+
			"10 alerts in an hour, and nothing happened outside opening hours."), nhsGreen, nhsWhite))
	}
	for _, fl := range a.Flags {
		parts = append(parts, flagCard(fl), gap(6))
	}
	parts = append(parts, gap(12), large("Events, newest first", theme.ColorNameForeground))
	rows := []fyne.CanvasObject{tableRow(auditColumns, nhsGrey4, true, "Time", "User", "Role", "Event", "NHS number", "Notified", "Mode")}
	for i, r := range a.Rows {
		nhs := ""
		if r.NHS != "" {
			nhs = r.NHS.String()
		}
		mode := "live"
		if r.Replayed {
			mode = "replayed"
		}
		notified := ""
		if r.Notified {
			notified = "yes"
		}
		rows = append(rows, tableRow(auditColumns, stripe(i), false, r.At.Format("02/01/06 15:04"), r.User, r.Role, r.Event, nhs, notified, mode))
	}
	if len(a.Rows) == 0 {
		rows = append(rows, pad(secondary("No events in this range."), 4, 4))
	}
	parts = append(parts, container.New(rowsLayout{}, rows...))
	if a.More > 0 {
		parts = append(parts, secondary("And "+plural(a.More, "earlier event")+" in this range: export to see them all."))
	}
	return parts
}

func flagTitle(k FlagKind) string {
	switch k {
	case FlagManyOpens:
		return "Many alerts opened in a short time"
	case FlagOutOfHours:
		return "Outside the care setting's opening hours"
	}
	return "Alert opened with no presentation recorded"
}

func flagCard(f AuditFlag) fyne.CanvasObject {
	accent, col := nhsWarm, theme.ColorNameForeground
	if f.Kind == FlagNoPresentation {
		accent, col = nhsRed, theme.ColorNameError
	}
	facts := []*widget.TextSegment{factLabel("When "), factValue(formatWhen(f.At)), factLabel("    User "), factValue(orNotKnown(f.User))}
	if f.NHS != "" {
		facts = append(facts, factLabel("    NHS number "), factValue(f.NHS.String()))
	}
	parts := []fyne.CanvasObject{text(flagTitle(f.Kind), theme.SizeNameText, col, true), rich(facts...)}
	if f.Detail != "" {
		parts = append(parts, secondary(f.Detail))
	}
	return inset(container.NewVBox(parts...), accent, nhsWhite)
}
