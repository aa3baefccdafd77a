package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/nhs-cpis/kiosk/cpis"
)

// historyColumns are the widths of the access history's columns: when,
// who, role, organisation.
var historyColumns = tableLayout{0.24, 0.25, 0.22, 0.29}

// alertPage shows the answer of the CP-IS check: the Child Care Alert
// with exactly what the guide allows (the NHS number, each plan with its
// dates, its local authority and that authority's numbers, and the access
// history), or an explicit "No Child Care Alert", because a blank could
// mean "not checked". Nothing else is drawn, even if the app were to hand
// over more.
func (w *Window) alertPage(v View, act CheckActions) page {
	actions := []fyne.CanvasObject{w.newPatient(lookPrimary, act)}
	route := para("Safeguarding concern: " + routeOrDefault(v.SafeguardingRoute))
	if v.Opened == nil {
		return page{lead: route, content: para("The check's answer is not available to show."), actions: actions}
	}
	fgm := fgmParts(v)
	if len(v.Opened.Plans) == 0 {
		return page{content: container.NewVBox(append(append([]fyne.CanvasObject{noAlert(*v.Opened)}, fgm...), gap(4), route)...), actions: actions}
	}
	// One segment per paragraph: Fyne's RichText can break a word where two
	// segments meet inside a wrapped line.
	notice := inset(container.NewVBox(
		bold("The child's local authority has been told that the child presented here. "+
			"This is for information only and is not a safeguarding children alert or referral."),
		route,
	), nhsBlue, nhsWhite)
	content := alertCard(*v.Opened)
	if len(fgm) > 0 {
		content = container.NewVBox(append(fgm, gap(4), content)...)
	}
	return page{lead: container.NewVBox(notice, gap(4)), content: content, actions: actions}
}

// noAlert is the explicit answer that CP-IS holds no visible plan.
func noAlert(a cpis.Alert) fyne.CanvasObject {
	return inset(container.NewVBox(
		large("No Child Care Alert", theme.ColorNameSuccess),
		rich(factLabel("NHS number  "), factValue(a.NHS.String())),
		para("CP-IS holds no child protection plan, looked after child status or unborn child protection plan "+
			"for this child, current or ended in the last 365 days."),
	), nhsGreen, nhsWhite)
}

// alertCard is the Child Care Alert itself, drawn the same wherever it is
// shown: after the check, and on the retrospective review of an alert
// found later. Every plan comes with its own local authority and both its
// numbers: a child can have plans from two authorities.
func alertCard(a cpis.Alert) fyne.CanvasObject {
	title := "Child Care Alert"
	if n := len(a.Plans); n > 1 {
		// Said in the band, so that a second plan below the fold is never
		// missed.
		title = fmt.Sprintf("Child Care Alert: %d plans", n)
		if authorities(a.Plans) > 1 {
			title += fmt.Sprintf(", %d local authorities", authorities(a.Plans))
		}
	}
	details := container.NewVBox(rich(factLabel("NHS number  "),
		seg(a.NHS.String(), sizeLarge, theme.ColorNameForeground, true)))
	for _, p := range a.Plans {
		details.Add(plan(p))
	}
	return container.NewVBox(
		titled(title, sizeLarge, nhsRed, details),
		gap(8),
		history(a.History),
	)
}

// rule is a thin line between plans.
func rule() fyne.CanvasObject {
	r := canvas.NewRectangle(nhsGrey4)
	r.SetMinSize(fyne.NewSize(0, 2))
	return r
}

// authorities counts the local authorities responsible for the plans.
func authorities(ps []cpis.Plan) int {
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.Authority.Name] = true
	}
	return len(seen)
}

// plan is one visible plan: type in words and code, its dates, then the
// responsible local authority and its numbers. The numbers come next
// because calling the duty team is what a nurse does next: large enough
// to dial from a metre, and each plan's own, as each authority has its
// own duty team.
func plan(p cpis.Plan) fyne.CanvasObject {
	end := "open"
	if !p.End.IsZero() {
		end = formatDate(p.End)
	}
	// No due date for an unborn-child plan: CP-IS does not send one, and
	// it is pregnancy information the kiosk must not show.
	la := p.Authority
	return container.NewVBox(
		rule(),
		rich(seg(p.Type.Label(), sizeLarge, theme.ColorNameForeground, true),
			factLabel("    from "), factValue(formatDate(p.Start)), factLabel(" to "), factValue(end)),
		rich(factLabel("Local authority  "), seg(orNotKnown(la.Name), sizeLarge, theme.ColorNameForeground, true)),
		container.NewGridWithColumns(2,
			labelled("Office hours", phone(la.OfficeHours)),
			labelled("Out of hours (emergency duty)", phone(la.OutOfHours))),
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
