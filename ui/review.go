package ui

import (
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/nhs-cpis/kiosk/cpis"
)

// reviewPage is the retrospective review: the list, or the item opened
// from it.
func (w *Window) reviewPage(v View, act ReviewActions) page {
	if v.Review != nil {
		return w.reviewDetailPage(v, *v.Review, act)
	}
	rows := append([]ReviewRow(nil), v.Reviews...)
	// Oldest first: the child who presented longest ago has waited longest
	// for someone to act on what the check found.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Created.Before(rows[j].Created) })
	var objs []fyne.CanvasObject
	for _, r := range rows {
		objs = append(objs, w.reviewRow(r, v.Busy.Active, act))
	}
	if len(objs) == 0 {
		objs = append(objs, para("Nothing to review: no check made after downtime has found anything to act on."))
	}
	return page{
		heading: "Retrospective review",
		lead: secondary("What the checks made after downtime found, oldest first. " +
			"A safeguarding lead opens each item, acts on it and signs it off."),
		content: container.NewVBox(objs...),
		actions: []fyne.CanvasObject{w.back(lookPrimary)},
	}
}

func (w *Window) reviewRow(r ReviewRow, busy bool, act ReviewActions) fyne.CanvasObject {
	kind := theme.ColorNameForeground
	if r.AlertFound {
		kind = theme.ColorNameError
	}
	when := rich(
		factLabel("Presented "), factValue(formatWhen(r.Presented)),
		factLabel("    Added to the list "), factValue(formatWhen(r.Created)),
	)
	var state fyne.CanvasObject
	if r.SignedOff {
		state = greenPill("Signed off")
	} else {
		state = warmPill("Not signed off")
	}
	content := marked(container.NewVBox(large(orNotKnown(r.Kind), kind), when), state)
	id := r.ID
	return below(w.row("review-"+strconv.FormatUint(id, 10), content, func() { act.OpenReview(id) }, busy), 6)
}

// reviewDetailPage is one item: who presented, when and why it is here,
// the alert as the alert screen draws it, and the sign-off. The note and
// Sign off stay in view below however long the access history is.
func (w *Window) reviewDetailPage(v View, d ReviewDetail, act ReviewActions) page {
	r := d.Row
	nhs := "Not known"
	if d.NHS != "" {
		nhs = d.NHS.String()
	}
	facts := []*widget.TextSegment{factLabel("NHS number "), factValue(nhs),
		factLabel("    Presented "), factValue(formatWhen(r.Presented))}
	if d.PresentedBy != "" {
		facts = append(facts, factLabel("    Staff on duty "), factValue(d.PresentedBy))
	}
	who := []fyne.CanvasObject{
		large(orNotKnown(d.Patient), theme.ColorNameForeground),
		rich(facts...),
	}
	if d.CheckedBy != "" {
		who = append(who, rich(factLabel("Checked "), factValue(formatWhen(d.CheckedAt)),
			factLabel("    by "), factValue(d.CheckedBy)))
	}
	if r.Reason != "" {
		who = append(who, para(r.Reason))
	}
	accent := nhsBlue
	if r.AlertFound || d.Alert != nil {
		accent = nhsRed
	}
	if d.FGM != nil && accent == nhsBlue {
		accent = nhsPurple
	}
	parts := []fyne.CanvasObject{inset(container.NewVBox(who...), accent, nhsWhite)}
	if d.FGM != nil {
		parts = append(parts, gap(8), fgmIndicator(*d.FGM))
	}
	if d.Alert != nil {
		parts = append(parts, gap(8), alertCard(*d.Alert))
	}

	if r.SignedOff {
		parts = append(parts, gap(8), inset(container.NewVBox(
			large("Signed off", theme.ColorNameSuccess),
			rich(factLabel("By "), factValue(orNotKnown(r.SignedBy)), factLabel("    on "), factValue(formatWhen(r.SignedAt))),
			rich(factLabel("Action taken: "), factValue(r.Note)),
		), nhsGreen, nhsWhite))
		return page{heading: orNotKnown(r.Kind), content: container.NewVBox(parts...),
			actions: []fyne.CanvasObject{w.back(lookPrimary)}}
	}

	w.register(w.note)
	enable(w.note, !v.Busy.Active && d.CanSignOff)
	w.note.paintFrame()
	w.signOff = w.button("signoff", "Sign off", lookPrimary, func() { w.submitSignOff(act) })
	w.noteChanged()
	// A canvas.Text, not RichText: in the bar's left edge a wrapping text
	// would be given no width and stand one letter a line.
	noteLabel := boldText("Action taken", nhsText, textBody)
	var bar []fyne.CanvasObject
	if !d.CanSignOff {
		bar = append(bar, warning("Signing off needs a role with code B0107. Ask a safeguarding lead to sign this item off."))
	}
	bar = append(bar, container.NewBorder(nil, nil,
		container.NewCenter(container.NewHBox(noteLabel, hgap(4))),
		container.NewHBox(hgap(8), w.signOff, hgap(24), w.back(lookSecondary)), w.note.view))
	return page{heading: orNotKnown(r.Kind), content: container.NewVBox(parts...), bar: container.NewVBox(bar...)}
}

// keepNote empties the note when the item it was typed for is no longer
// on screen, or has been signed off.
func (w *Window) keepNote(v View) {
	d := v.Review
	if v.Session.Gate != cpis.GateOpen || v.Screen != ScreenReview || d == nil || d.Row.SignedOff || d.Row.ID != w.noteFor {
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

func (w *Window) submitSignOff(act ReviewActions) {
	v := w.view
	d := v.Review
	if v.Session.Gate != cpis.GateOpen || v.Screen != ScreenReview || d == nil || d.Row.SignedOff || !d.CanSignOff || v.Busy.Active {
		return
	}
	note := strings.TrimSpace(w.note.Text)
	if note == "" {
		return
	}
	act.SignOff(d.Row.ID, note)
}
