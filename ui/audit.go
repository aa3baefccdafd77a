package ui

import (
	"image/color"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The lead's screens: routine audit (guide step 27), the staff access
// checks (step 19) and go-live readiness (steps 8 to 26). Three tabs of
// one place, reached from the entry screen by a lead; Escape goes back.

// auditForm is the audit screen's filter. Its fields outlive renders, like
// the search form's, so a date half typed survives a redraw.
type auditForm struct {
	w              *Window
	from, to, user *textField
	fromErr, toErr string
	// loaded is the filter last put in the fields; shown says the audit
	// screen was on screen at the last render.
	loaded AuditFilter
	shown  bool
}

func newAuditForm(w *Window) *auditForm {
	f := &auditForm{w: w}
	field := func(id, hint string) *textField {
		t := newTextField(id, textBody, w.key)
		t.PlaceHolder = hint
		t.OnSubmitted = func(string) { f.submit(false) }
		return t
	}
	f.from, f.to, f.user = field("audit-from", "DD/MM/YYYY"), field("audit-to", "DD/MM/YYYY"), field("audit-user", "User id or name")
	return f
}

// form is the window's audit form, made on first use.
func (w *Window) form() *auditForm {
	if w.audit == nil {
		w.audit = newAuditForm(w)
	}
	return w.audit
}

// keepAuditForm loads the View's filter into the fields when the audit
// screen comes up or the app changes the filter, and empties them when
// the session closes.
func (w *Window) keepAuditForm(v View) {
	f := w.form()
	on := v.Session.Gate == GateOpen && v.Screen == ScreenAudit && v.Account != nil
	switch {
	case !on:
		if f.shown || v.Session.Gate != GateOpen {
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
	if w.view.Screen != ScreenAudit || w.view.Busy.Active || w.view.Session.Gate != GateOpen {
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
		w.act.ExportAudit(a)
		return
	}
	w.act.ShowAudit(a)
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

// leadTabs switches between the three lead screens.
func (w *Window) leadTabs(v View) fyne.CanvasObject {
	tab := func(id, label string, s Screen, open func()) fyne.CanvasObject {
		l := lookSecondary
		if v.Screen == s {
			l = lookPrimary
		}
		return w.button(id, label, l, open)
	}
	return container.NewHBox(
		tab("tab-audit", "Routine audit", ScreenAudit, func() { w.act.ShowAudit(AuditFilter{}) }),
		tab("tab-staff", "Staff checks", ScreenStaff, w.act.ShowStaff),
		tab("tab-golive", "Go-live readiness", ScreenGoLive, w.act.ShowReadiness),
	)
}

func (w *Window) exportedPanel(acc *AccountView) []fyne.CanvasObject {
	if acc == nil || acc.Exported == "" {
		return nil
	}
	return []fyne.CanvasObject{inset(container.NewVBox(
		large("Exported", theme.ColorNameSuccess),
		rich(seg("Saved to ", theme.SizeNameText, colorSecondary, false),
			seg(acc.Exported, theme.SizeNameText, theme.ColorNameForeground, true)),
	), nhsGreen, nhsWhite), gap(8)}
}

// ---- routine audit ----

// auditColumns are the events table's: time, user, role, event, NHS
// number, notified, live or replayed.
var auditColumns = tableLayout{0.15, 0.25, 0.15, 0.15, 0.12, 0.09, 0.09}

func (w *Window) auditPage(v View) page {
	f := w.form()
	acc := v.Account
	back := w.button("back", "Back  (Esc)", lookSecondary, w.act.Back)
	export := w.button("export", "Export CSV", lookPrimary, func() { f.submit(true) })
	apply := w.button("apply", "Show", lookSecondary, func() { f.submit(false) })
	for _, t := range []*textField{f.from, f.to, f.user} {
		w.register(t)
		if v.Busy.Active {
			t.Disable()
		} else {
			t.Enable()
		}
		t.paintFrame()
	}
	fieldLabel := func(s string) fyne.CanvasObject {
		t := canvas.NewText(s, nhsText)
		t.TextSize, t.TextStyle.Bold = textBody, true
		return container.NewCenter(t)
	}
	filter := container.New(widthsLayout{0, 190, 0, 190, 0, 260, 0},
		fieldLabel("From"), f.from.view, fieldLabel("To"), f.to.view, fieldLabel("User"), f.user.view, apply)
	lead := []fyne.CanvasObject{w.leadTabs(v), gap(8), filter}
	for _, e := range []string{f.fromErr, f.toErr} {
		if e != "" {
			lead = append(lead, text(e, theme.SizeNameText, theme.ColorNameError, true))
		}
	}
	if acc == nil {
		return page{lead: container.NewVBox(lead...), actions: []fyne.CanvasObject{back}}
	}
	a := acc.Audit
	var parts []fyne.CanvasObject
	parts = append(parts, w.exportedPanel(acc)...)
	if a.Broken != "" {
		parts = append(parts, inset(container.NewVBox(
			large("The audit log has been altered", theme.ColorNameError),
			para(a.Broken+"."),
			bold("Nothing here can be relied on. Keep the computer as it is and call the IT service desk and the information governance lead."),
		), nhsRed, nhsWhite))
		return page{lead: container.NewVBox(lead...), content: container.NewVBox(parts...),
			actions: []fyne.CanvasObject{back}}
	}
	parts = append(parts, rich(
		seg(plural(a.Events, "event"), theme.SizeNameText, theme.ColorNameForeground, true),
		seg("  ·  "+plural(a.Traces, "trace")+"  ·  "+plural(a.Opened, "alert")+" opened, each notifying the local authority  ·  opening hours "+a.Hours,
			theme.SizeNameText, colorSecondary, false),
	), gap(8))

	parts = append(parts, large("What to look at", theme.ColorNameForeground))
	if len(a.Flags) == 0 {
		parts = append(parts, inset(para("Nothing flagged: every alert opened followed a trace by the same user, nobody opened more than "+
			"10 alerts in an hour, and nothing happened outside opening hours."), nhsGreen, nhsWhite))
	}
	for _, fl := range a.Flags {
		parts = append(parts, flagCard(fl), gap(6))
	}
	parts = append(parts, gap(12), large("Events, newest first", theme.ColorNameForeground))
	rows := []fyne.CanvasObject{auditRow(nhsGrey4, true, "Time", "User", "Role", "Event", "NHS number", "Notified", "Mode")}
	for i, r := range a.Rows {
		bg := nhsWhite
		if i%2 == 1 {
			bg = nhsPaleGrey
		}
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
		rows = append(rows, auditRow(bg, false, r.At.Format("02/01/06 15:04"), r.User, r.Role, r.Event, nhs, notified, mode))
	}
	if len(a.Rows) == 0 {
		rows = append(rows, pad(secondary("No events in this range."), 4, 4))
	}
	parts = append(parts, container.New(rowsLayout{}, rows...))
	if a.More > 0 {
		parts = append(parts, secondary("And "+plural(a.More, "earlier event")+" in this range: export to see them all."))
	}
	return page{lead: container.NewVBox(lead...), content: container.NewVBox(parts...),
		actions: []fyne.CanvasObject{export, back}}
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

func factLabel(s string) *widget.TextSegment {
	return seg(s, theme.SizeNameText, colorSecondary, false)
}
func factValue(s string) *widget.TextSegment {
	return seg(s, theme.SizeNameText, theme.ColorNameForeground, true)
}

// auditRow is a row of the events table; cells are cut with an ellipsis
// rather than wrapped, so the rows stay one line each.
func auditRow(bg color.Color, head bool, cells ...string) fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, len(cells))
	for i, c := range cells {
		objs[i] = pad(line(c, theme.ColorNameForeground, head), 0, 4)
	}
	return container.NewStack(canvas.NewRectangle(bg), container.New(auditColumns, objs...))
}

// ---- staff checks ----

func (w *Window) staffPage(v View) page {
	back := w.button("back", "Back  (Esc)", lookPrimary, w.act.Back)
	// The footer's help says what the guide asks (step 19).
	lead := w.leadTabs(v)
	if v.Account == nil {
		return page{lead: lead, actions: []fyne.CanvasObject{back}}
	}
	var pending, proven []fyne.CanvasObject
	for _, r := range v.Account.Staff {
		if r.Verified {
			proven = append(proven, staffCard(r), gap(6))
		} else {
			pending = append(pending, staffCard(r), gap(6))
		}
	}
	parts := []fyne.CanvasObject{large("Not yet proven: "+strconv.Itoa(len(pending)/2), theme.ColorNameForeground)}
	if len(pending) == 0 {
		parts = append(parts, secondary("Everyone seen at this kiosk has proven their access."))
	}
	parts = append(parts, pending...)
	parts = append(parts, gap(12), large("Access proven: "+strconv.Itoa(len(proven)/2), theme.ColorNameForeground))
	if len(proven) == 0 {
		parts = append(parts, secondary("Nobody yet: open the alert on both test patients to prove your own."))
	}
	parts = append(parts, proven...)
	return page{lead: lead, content: container.NewVBox(parts...), actions: []fyne.CanvasObject{back}}
}

func staffCard(r StaffRow) fyne.CanvasObject {
	name := orNotKnown(r.Name)
	if r.UserID != "" {
		name += "  (" + r.UserID + ")"
	}
	facts := []*widget.TextSegment{factLabel("Role "), factValue(orNotKnown(r.Role)), factLabel("    Codes "), factValue(orNotKnown(r.Codes))}
	var state fyne.CanvasObject
	parts := []fyne.CanvasObject{bold(name), rich(facts...)}
	accent := nhsWarm
	if r.Verified {
		accent = nhsGreen
		state = pill("Proven", nhsWhite, nhsGreen, nhsGreen)
		parts = append(parts, rich(factLabel("Proven "), factValue(formatWhen(r.When))))
	} else {
		state = pill("Not yet", nhsWarm, nil, nhsText)
		parts = append(parts, rich(factLabel("Last seen "), factValue(formatWhen(r.When)), factLabel("    "), factLabel(r.Opened)))
		if r.Missing != "" {
			accent = nhsRed
			parts = append(parts, text("Refused: the role lacks code "+r.Missing+". The registration authority adds it to the smartcard.",
				theme.SizeNameText, theme.ColorNameError, true))
		}
	}
	return inset(container.NewBorder(nil, nil, nil, container.NewVBox(state), container.NewVBox(parts...)), accent, nhsWhite)
}

// ---- go-live readiness ----

func (w *Window) readinessPage(v View) page {
	back := w.button("back", "Back  (Esc)", lookSecondary, w.act.Back)
	export := w.button("export", "Export PDF and CSV", lookPrimary, w.act.ExportReadiness)
	tabs := w.leadTabs(v)
	if v.Account == nil {
		return page{lead: tabs, actions: []fyne.CanvasObject{back}}
	}
	ready := 0
	for _, r := range v.Account.Readiness {
		if r.State == Ready {
			ready++
		}
	}
	lead := container.NewVBox(tabs, gap(8), rich(
		seg(strconv.Itoa(ready)+" of "+strconv.Itoa(len(v.Account.Readiness))+" ready.  ", theme.SizeNameText, theme.ColorNameForeground, true),
		seg("From the kiosk's own evidence, and what the project lead has recorded. Step 25: do not go live without the go/no go call.",
			theme.SizeNameText, colorSecondary, false)))
	parts := w.exportedPanel(v.Account)
	for _, r := range v.Account.Readiness {
		parts = append(parts, w.readinessCard(r, v.Busy.Active), gap(6))
	}
	return page{lead: lead, content: container.NewVBox(parts...), actions: []fyne.CanvasObject{export, back}}
}

func (w *Window) readinessCard(r ReadinessRow, busy bool) fyne.CanvasObject {
	var state fyne.CanvasObject
	accent := nhsRed
	switch r.State {
	case Ready:
		accent, state = nhsGreen, pill("Ready", nhsWhite, nhsGreen, nhsGreen)
	case NotChecked:
		accent, state = nhsWarm, pill("Not checked", nhsWarm, nil, nhsText)
	default:
		state = pill("Not ready", nhsRed, nil, nhsWhite)
	}
	parts := []fyne.CanvasObject{
		rich(factLabel(r.Steps+"  "), factValue(r.Title)),
		secondary(r.Evidence),
	}
	right := []fyne.CanvasObject{state}
	if r.Manual && r.State != Ready {
		id := r.ID
		b := w.button("record-"+id, "Record as done", lookSecondary, func() { w.act.RecordReadiness(id) })
		b.disabled = busy
		right = append(right, gap(4), b)
	}
	return inset(container.NewBorder(nil, nil, nil, container.NewVBox(right...), container.NewVBox(parts...)), accent, nhsWhite)
}

// widthsLayout lays a row out left to right, each object at its width
// (0: its least width), with the theme's padding between, all as high as
// the tallest.
type widthsLayout []float32

func (l widthsLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	x, gap := float32(0), theme.Padding()*2
	for i, o := range objs {
		w := l[i]
		if w == 0 {
			w = o.MinSize().Width
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, s.Height))
		x += w + gap
	}
}

func (l widthsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		m := o.MinSize()
		w += max(l[i], m.Width) + theme.Padding()*2
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}
