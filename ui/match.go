package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// matchPage asks the checking user whether PDS's one match for a child
// recorded by details is that child, before the CP-IS check tells the
// child's local authority: the details recorded at presentation beside
// the national record's banner.
func (w *Window) matchPage(v View, act WaitingActions) page {
	m := v.Match
	if m == nil {
		return page{heading: "Confirm the child", content: para("Nothing waits for you to confirm."),
			actions: []fyne.CanvasObject{w.back(lookPrimary)}}
	}
	r := m.Recorded
	segs := []*widget.TextSegment{factLabel("Name "), factValue(r.Given + " " + r.Family),
		factLabel("    Born "), factValue(formatDate(r.BirthDate))}
	if r.Gender != "" {
		segs = append(segs, factLabel("    Gender "), factValue(genderWords(r.Gender)))
	}
	if r.Postcode != "" {
		segs = append(segs, factLabel("    Postcode "), factValue(r.Postcode))
	}
	recorded := inset(container.NewVBox(
		bold("Recorded when the child presented"),
		rich(segs...),
		rich(factLabel("Presented "), factValue(formatWhen(m.Presented)), factLabel("    recorded by "), factValue(m.RecordedBy)),
	), nhsGrey3, nhsWhite)
	ask := inset(container.NewVBox(
		large("Is this the child who presented?", theme.ColorNameForeground),
		para("The national register has one match for the details recorded. "+
			"Checking tells the child's local authority, in your name, that the child presented at the time recorded. "+
			"The notification is for information only and is not a safeguarding children alert or referral."),
		para("If you are not sure, answer no: the child goes to the safeguarding lead's review list to be traced by hand."),
	), nhsBlue, nhsWhite)
	yes := w.button("matchyes", "Yes, check CP-IS for this child", lookPrimary, func() { act.AnswerMatch(true) })
	yes.enter = false
	no := w.button("matchno", "No, not this child", lookSecondary, func() { act.AnswerMatch(false) })
	return page{
		heading: "Confirm the child",
		content: container.NewVBox(recorded, gap(4), patientBanner(m.Patient, v.Now), gap(4), ask),
		actions: []fyne.CanvasObject{yes, hgap(48), no, hgap(24), w.backAs("cancel", "Later  (Esc)", lookSecondary)},
	}
}
