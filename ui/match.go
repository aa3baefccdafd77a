package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/nhs-cpis/kiosk/cpis"
)

// matchPage asks the checking user whether PDS's one match for a child
// recorded by details is that child, before the CP-IS check tells the
// child's local authority: the details recorded at presentation side by
// side with the national record's, line for line.
func (w *Window) matchPage(v View, act WaitingActions) page {
	m := v.Match
	if m == nil {
		return page{heading: "Confirm the child", content: para("Nothing waits for you to confirm."),
			actions: []fyne.CanvasObject{w.back(lookPrimary)}}
	}
	r, pt := m.Recorded, m.Patient
	recorded := inset(container.NewVBox(
		bold("Recorded when the child presented"),
		matchFacts(strings.TrimSpace(r.Given+" "+r.Family), r.BirthDate, r.Gender, r.Postcode),
		rich(factLabel("Presented "), factValue(formatWhen(m.Presented))),
		rich(factLabel("Recorded by "), factValue(m.RecordedBy)),
	), nhsGrey3, nhsWhite)
	postcode := pt.Postcode
	if pt.Restricted {
		postcode = "withheld (restricted record)"
	}
	national := inset(container.NewVBox(
		bold("The national register's match"),
		matchFacts(pt.Name(), pt.BirthDate, pt.Gender, postcode),
		rich(factLabel("NHS number "), factValue(pt.NHS.String())),
	), nhsBlue, nhsWhite)
	yes := w.button("matchyes", "Yes, check CP-IS for this child", lookPrimary, func() { act.AnswerMatch(true) })
	yes.enter = false
	no := w.button("matchno", "No, not this child", lookSecondary, func() { act.AnswerMatch(false) })
	return page{
		heading: "Is this the child who presented?",
		lead: secondary("The national register has one match for the details recorded. Checking tells the child's local authority, " +
			"in your name, that the child presented at the time recorded. It is not a safeguarding children alert or referral."),
		content: container.NewVBox(container.NewGridWithColumns(2, recorded, national), gap(4),
			para("If you are not sure, answer no: the child goes to the safeguarding lead's review list to be traced by hand.")),
		actions: []fyne.CanvasObject{yes, hgap(48), no, hgap(24), w.backAs("cancel", "Later  (Esc)", lookSecondary)},
	}
}

// matchFacts are a person's details one to a line, so that the two
// columns of the match page can be compared line by line.
func matchFacts(name string, born time.Time, g cpis.Gender, postcode string) fyne.CanvasObject {
	if postcode == "" {
		postcode = "not recorded"
	}
	return container.NewVBox(
		rich(factLabel("Name "), factValue(name)),
		rich(factLabel("Born "), factValue(formatDate(born))),
		rich(factLabel("Gender "), factValue(genderWords(g))),
		rich(factLabel("Postcode "), factValue(postcode)),
	)
}
