package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/nhs-cpis/kiosk/cpis"
)

// historyColumns are the widths of the access history's columns: when,
// who, role, organisation.
var historyColumns = tableLayout{0.2, 0.27, 0.23, 0.3}

// alertPage shows the opened Child Care Alert and exactly what the guide
// allows: the NHS number, the plans and their dates, the local authority
// and its numbers, and the access history. Nothing else is drawn, even if
// the app were to hand over more.
func (w *Window) alertPage(v View, act CheckActions) page {
	// One segment per paragraph: Fyne's RichText can break a word where two
	// segments meet inside a wrapped line.
	notice := inset(container.NewVBox(
		bold("The local authority has been notified. This is for information only, not a referral."),
		para("Safeguarding concern: "+routeOrDefault(v.SafeguardingRoute)),
	), nhsBlue, nhsWhite)
	actions := []fyne.CanvasObject{w.newPatient(lookPrimary, act)}
	if v.Opened == nil {
		return page{lead: notice, content: para("The alert is not available to show."), actions: actions}
	}
	return page{lead: container.NewVBox(notice, gap(4)), content: alertCard(*v.Opened), actions: actions}
}

// alertCard is the Child Care Alert itself, drawn the same wherever it is
// shown: after opening it, and on the retrospective review of an alert
// found on replay.
func alertCard(a cpis.Alert) fyne.CanvasObject {
	la := a.Authority()
	// The plan, then the numbers: calling the duty team is what a nurse does
	// next, so they must be in view at 1024x768 without scrolling, large
	// enough to dial from a metre.
	details := container.NewVBox(
		container.NewGridWithColumns(2,
			rich(factLabel("NHS number  "),
				seg(a.NHS.String(), sizeLarge, theme.ColorNameForeground, true)),
			rich(factLabel("Local authority  "),
				seg(orNotKnown(la.Name), sizeLarge, theme.ColorNameForeground, true))),
		plans(a.Plans),
		container.NewGridWithColumns(2,
			labelled("Office hours", phone(la.OfficeHours)),
			labelled("Out of hours", phone(la.OutOfHours))),
	)
	return container.NewVBox(
		titled("Child Care Alert", sizeLarge, nhsRed, details),
		gap(8),
		history(a.History),
	)
}

func labelled(label string, value fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVBox(secondary(label), value)
}

func phone(s string) fyne.CanvasObject {
	if s == "" {
		return bold("Not given")
	}
	t := text(s, sizeHuge, theme.ColorNameForeground, true)
	t.Wrapping = fyne.TextWrapOff // a number broken over two lines gets misdialled
	return t
}

// plans lists each visible plan: type in words and code, and its dates.
func plans(ps []cpis.Plan) fyne.CanvasObject {
	if len(ps) == 0 {
		return para("No plan is visible today.")
	}
	var parts []fyne.CanvasObject
	for _, p := range ps {
		end := "Open"
		if !p.End.IsZero() {
			end = formatDate(p.End)
		}
		// No due date for an unborn-child plan: CP-IS does not send one,
		// and it is pregnancy information the kiosk must not show.
		segs := []*widget.TextSegment{factLabel("Start "), factValue(formatDate(p.Start)), factLabel("    End "), factValue(end)}
		parts = append(parts, gap(4), large(p.Type.Label(), theme.ColorNameForeground), rich(segs...))
	}
	return container.NewVBox(parts...)
}

func history(rows []cpis.Access) fyne.CanvasObject {
	parts := []fyne.CanvasObject{
		large("Access history", theme.ColorNameForeground),
		secondary("The last 25 times this alert was opened, most recent first."),
	}
	if len(rows) == 0 {
		return container.NewVBox(append(parts, para("Nobody has opened this alert before."))...)
	}
	if len(rows) > cpis.MaxHistory {
		rows = rows[:cpis.MaxHistory]
	}
	parts = append(parts, tableRow(historyColumns, nhsGrey4, true, "When", "Who", "Role", "Organisation"))
	for i, r := range rows {
		parts = append(parts, tableRow(historyColumns, stripe(i), false, formatWhen(r.When), r.Who, r.Role, r.Organisation))
	}
	// The rows touch, as a table's do; VBox would space them apart.
	return container.NewVBox(parts[0], parts[1], container.New(rowsLayout{}, parts[2:]...))
}
