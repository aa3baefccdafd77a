package ui

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The lead's screens: routine audit (guide step 27), the staff access
// checks (step 19) and go-live readiness (steps 8 to 26). Three tabs of
// one place, reached from the entry screen by a lead; Escape goes back.

// leadPage is one of the lead's screens.
func (w *Window) leadPage(v View, act LeadActions) page {
	switch v.Screen {
	case ScreenStaff:
		return w.staffPage(v, act)
	case ScreenGoLive:
		return w.readinessPage(v, act)
	}
	return w.auditPage(v, act)
}

// leadButton is the way from the entry screen to the lead's screens.
func (w *Window) leadButton(act LeadActions) *tapArea {
	return w.button("lead", "Audit, staff checks and readiness", lookSecondary,
		func() { act.ShowAudit(AuditFilter{}) })
}

// leadTabs switches between the three lead screens.
func (w *Window) leadTabs(v View, act LeadActions) fyne.CanvasObject {
	tab := func(id, label string, s Screen, open func()) fyne.CanvasObject {
		l := lookSecondary
		if v.Screen == s {
			l = lookPrimary
		}
		return w.button(id, label, l, open)
	}
	return container.NewHBox(
		tab("tab-audit", "Routine audit", ScreenAudit, func() { act.ShowAudit(AuditFilter{}) }),
		tab("tab-staff", "Staff checks", ScreenStaff, act.ShowStaff),
		tab("tab-golive", "Go-live readiness", ScreenGoLive, act.ShowReadiness),
	)
}

// exportedPanel says where the last export was written.
func exportedPanel(acc *AccountView) []fyne.CanvasObject {
	if acc == nil || acc.Exported == "" {
		return nil
	}
	return []fyne.CanvasObject{inset(container.NewVBox(
		large("Exported", theme.ColorNameSuccess),
		rich(factLabel("Saved to "), factValue(acc.Exported)),
	), nhsGreen, nhsWhite), gap(8)}
}

// staffPage lists who has proven their access on the test patients, those
// still to do it first; the footer's help says what the guide asks (step
// 19).
func (w *Window) staffPage(v View, act LeadActions) page {
	back := w.back(lookPrimary)
	lead := w.leadTabs(v, act)
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
		state = greenPill("Proven")
		parts = append(parts, rich(factLabel("Proven "), factValue(formatWhen(r.When))))
	} else {
		state = warmPill("Not yet")
		parts = append(parts, rich(factLabel("Last seen "), factValue(formatWhen(r.When)), factLabel("    "), factLabel(r.Opened)))
		if r.Missing != "" {
			accent = nhsRed
			parts = append(parts, warning("Refused: the role lacks code "+r.Missing+". The registration authority adds it to the smartcard."))
		}
	}
	return inset(marked(container.NewVBox(parts...), state), accent, nhsWhite)
}

// readinessPage is go-live readiness, item by item, from the kiosk's own
// evidence and what the project lead has recorded.
func (w *Window) readinessPage(v View, act LeadActions) page {
	back := w.back(lookSecondary)
	export := w.button("export", "Export PDF and CSV", lookPrimary, act.ExportReadiness)
	tabs := w.leadTabs(v, act)
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
	parts := exportedPanel(v.Account)
	for _, r := range v.Account.Readiness {
		parts = append(parts, w.readinessCard(r, act), gap(6))
	}
	return page{lead: lead, content: container.NewVBox(parts...), actions: []fyne.CanvasObject{export, back}}
}

// readinessCard is one item: its state in words, the evidence, and for
// an item only the project lead can vouch for, the button to record it.
func (w *Window) readinessCard(r ReadinessRow, act LeadActions) fyne.CanvasObject {
	var state fyne.CanvasObject
	accent := nhsRed
	switch r.State {
	case Ready:
		accent, state = nhsGreen, greenPill("Ready")
	case NotChecked:
		accent, state = nhsWarm, warmPill("Not checked")
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
		right = append(right, gap(4), w.button("record-"+id, "Record as done", lookSecondary, func() { act.RecordReadiness(id) }))
	}
	return inset(marked(container.NewVBox(parts...), right...), accent, nhsWhite)
}
