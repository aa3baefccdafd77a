package ui

import (
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// reviewPage is the retrospective review: the list, or the item opened
// from it.
func (w *Window) reviewPage(v View) page {
	if v.Review != nil {
		return w.reviewDetailPage(v, *v.Review)
	}
	back := []fyne.CanvasObject{w.button("back", "Back  (Esc)", lookPrimary, w.act.Back)}
	rows := append([]ReviewRow(nil), v.Reviews...)
	// Oldest first: the child who presented longest ago has waited longest
	// for someone to act on what the check found.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Created.Before(rows[j].Created) })
	var objs []fyne.CanvasObject
	for _, r := range rows {
		objs = append(objs, w.reviewRow(r, v.Busy.Active))
	}
	if len(objs) == 0 {
		objs = append(objs, para("Nothing to review: no check made after downtime has found anything to act on."))
	}
	return page{
		heading: "Retrospective review",
		lead: secondary("What the checks made after downtime found, oldest first. " +
			"A safeguarding lead opens each item, acts on it and signs it off."),
		content: container.NewVBox(objs...),
		actions: back,
	}
}

func (w *Window) reviewRow(r ReviewRow, busy bool) fyne.CanvasObject {
	kind := theme.ColorNameForeground
	if r.AlertFound {
		kind = theme.ColorNameError
	}
	when := rich(
		seg("Presented ", theme.SizeNameText, colorSecondary, false),
		seg(formatWhen(r.Presented), theme.SizeNameText, theme.ColorNameForeground, true),
		seg("    Added to the list ", theme.SizeNameText, colorSecondary, false),
		seg(formatWhen(r.Created), theme.SizeNameText, theme.ColorNameForeground, true),
	)
	var state fyne.CanvasObject
	if r.SignedOff {
		state = pill("Signed off", nhsWhite, nhsGreen, nhsGreen)
	} else {
		state = pill("Not signed off", nhsWarm, nil, nhsText)
	}
	content := container.NewBorder(nil, nil, nil, container.NewVBox(state),
		container.NewVBox(large(orNotKnown(r.Kind), kind), when))
	id := r.ID
	row := newTapArea("review-"+strconv.FormatUint(id, 10), lookCard, content, nil,
		func() { w.act.OpenReview(id) }, w.key)
	row.disabled = busy
	w.register(row)
	return container.New(layout.NewCustomPaddedLayout(0, 6, 0, 0), row)
}

// reviewDetailPage is one item: who presented, when and why it is here,
// the alert as the alert screen draws it, and the sign-off. The note and
// Sign off stay in view below however long the access history is.
func (w *Window) reviewDetailPage(v View, d ReviewDetail) page {
	r := d.Row
	label := func(s string) *widget.TextSegment { return seg(s, theme.SizeNameText, colorSecondary, false) }
	value := func(s string) *widget.TextSegment {
		return seg(s, theme.SizeNameText, theme.ColorNameForeground, true)
	}
	nhs := "Not known"
	if d.NHS != "" {
		nhs = d.NHS.String()
	}
	facts := []*widget.TextSegment{label("NHS number "), value(nhs),
		label("    Presented "), value(formatWhen(r.Presented))}
	if d.PresentedBy != "" {
		facts = append(facts, label("    Staff on duty "), value(d.PresentedBy))
	}
	who := []fyne.CanvasObject{
		large(orNotKnown(d.Patient), theme.ColorNameForeground),
		rich(facts...),
	}
	if r.Reason != "" {
		who = append(who, para(r.Reason))
	}
	accent := nhsBlue
	if r.AlertFound || d.Alert != nil {
		accent = nhsRed
	}
	parts := []fyne.CanvasObject{inset(container.NewVBox(who...), accent, nhsWhite)}
	if d.Alert != nil {
		parts = append(parts, gap(8), alertCard(*d.Alert))
	}

	back := w.button("back", "Back  (Esc)", lookSecondary, w.act.Back)
	if r.SignedOff {
		parts = append(parts, gap(8), inset(container.NewVBox(
			large("Signed off", theme.ColorNameSuccess),
			rich(label("By "), value(orNotKnown(r.SignedBy)), label("    on "), value(formatWhen(r.SignedAt))),
			rich(label("Action taken: "), value(r.Note)),
		), nhsGreen, nhsWhite))
		return page{heading: orNotKnown(r.Kind), content: container.NewVBox(parts...),
			actions: []fyne.CanvasObject{w.button("back", "Back  (Esc)", lookPrimary, w.act.Back)}}
	}

	w.register(w.note)
	if v.Busy.Active || !d.CanSignOff {
		w.note.Disable()
	} else {
		w.note.Enable()
	}
	w.note.paintFrame()
	w.signOff = w.button("signoff", "Sign off", lookPrimary, w.submitSignOff)
	w.noteChanged()
	// A canvas.Text, not RichText: in the bar's left edge a wrapping text
	// would be given no width and stand one letter a line.
	noteLabel := canvas.NewText("Action taken", nhsText)
	noteLabel.TextSize, noteLabel.TextStyle.Bold = textBody, true
	var bar []fyne.CanvasObject
	if !d.CanSignOff {
		bar = append(bar, text("Signing off needs a role with code B0107. Ask a safeguarding lead to sign this item off.",
			theme.SizeNameText, theme.ColorNameError, true))
	}
	bar = append(bar, container.NewBorder(nil, nil,
		container.NewCenter(container.NewHBox(noteLabel, hgap(4))),
		container.NewHBox(hgap(8), w.signOff, hgap(24), back), w.note.view))
	return page{heading: orNotKnown(r.Kind), content: container.NewVBox(parts...), bar: container.NewVBox(bar...)}
}

// keepNote empties the note when the item it was typed for is no longer
// on screen, or has been signed off.
func (w *Window) keepNote(v View) {
	d := v.Review
	if v.Session.Gate != GateOpen || v.Screen != ScreenReview || d == nil || d.Row.SignedOff || d.Row.ID != w.noteFor {
		w.note.SetText("")
	}
	if d != nil {
		w.noteFor = d.Row.ID
	}
}

// noteChanged enables Sign off once a note is typed, without a redraw.
func (w *Window) noteChanged() {
	if w.signOff == nil {
		return
	}
	d := w.view.Review
	w.signOff.disabled = d == nil || !d.CanSignOff || w.view.Busy.Active || strings.TrimSpace(w.note.Text) == ""
	w.signOff.Refresh()
}

func (w *Window) submitSignOff() {
	v := w.view
	d := v.Review
	if v.Session.Gate != GateOpen || v.Screen != ScreenReview || d == nil || d.Row.SignedOff || !d.CanSignOff || v.Busy.Active {
		return
	}
	note := strings.TrimSpace(w.note.Text)
	if note == "" {
		return
	}
	w.act.SignOff(d.Row.ID, note)
}
