package ui

import (
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/nhs-cpis/kiosk/cpis"
)

// patientBanner is who the check is about, in the NHS.UK patient banner's
// order: name, date of birth and age, gender, NHS number.
func patientBanner(p cpis.Patient, now time.Time) fyne.CanvasObject {
	segs := []*widget.TextSegment{
		factLabel("Born "), factValue(bornWithAge(p.BirthDate, now)),
		factLabel("    Gender "), factValue(genderWords(p.Gender)),
		factLabel("    NHS number "), factValue(p.NHS.String()),
	}
	if !p.Restricted && p.Postcode != "" {
		segs = append(segs, factLabel("    Postcode "), factValue(p.Postcode))
	}
	parts := []fyne.CanvasObject{heading(p.Name()), rich(segs...)}
	if p.Restricted {
		// PDS withholds the address of a restricted record; the marker says
		// so, so nobody goes looking for it or records one.
		marker := warning("RESTRICTED RECORD – address withheld")
		marker.Wrapping = fyne.TextWrapOff
		parts = append(parts, container.NewHBox(panel(marker, nhsWhite, nhsRed, 3)))
	}
	return inset(container.NewVBox(parts...), nhsBlue, nhsWhite)
}

// checkPage is the check flow's screen after the entry screen.
func (w *Window) checkPage(v View, act CheckActions) page {
	switch v.Screen {
	case ScreenSearch:
		return w.searchPage(v)
	case ScreenResults:
		return w.resultsPage(v, act)
	case ScreenPatient:
		return w.patientPage(v, act)
	case ScreenConfirm:
		return w.confirmPage(v, act)
	}
	return w.alertPage(v, act)
}

// newPatient is the button that clears the screen for the next patient,
// which Escape presses too.
func (w *Window) newPatient(l look, act CheckActions) *tapArea {
	return w.button("newpatient", "New patient  (Esc)", l, act.NewPatient)
}

// patientPage is a traced patient: the banner, whether the guide asks for
// a check, and the silent check's answer with its one next action.
func (w *Window) patientPage(v View, act CheckActions) page {
	if v.Patient == nil {
		// Nothing to show, and nothing of the last patient may linger.
		return page{heading: "No patient", actions: []fyne.CanvasObject{w.newPatient(lookPrimary, act)}}
	}
	// Side by side, so that at 1024x768 the alert tab starts above the fold
	// however many questions the who-to-check rules ask.
	content := container.NewVBox(
		patientBanner(*v.Patient, v.Now),
		gap(4),
		container.NewGridWithColumns(2, w.whoToCheck(v, act), w.alertTab(v, act)),
	)
	l := lookPrimary
	if v.Alert == AlertPresent && v.CanOpen {
		l = lookSecondary // opening the alert is the one next action
	}
	return page{content: content, actions: []fyne.CanvasObject{w.newPatient(l, act)}}
}

// whoToCheck shows the guide's answer to "must this patient be checked?".
func (w *Window) whoToCheck(v View, act CheckActions) fyne.CanvasObject {
	c := v.Check
	var parts []fyne.CanvasObject
	switch c.Need {
	case cpis.Required:
		parts = append(parts, large("Must be checked", theme.ColorNameForeground), para(c.Reason))
	case cpis.AskStaff:
		parts = append(parts, large("Does this apply?", theme.ColorNameForeground), para(c.Reason))
	default:
		// Not required is still shown, quietly: the check may be made anyway.
		parts = append(parts, rich(
			seg("Check not required. ", theme.SizeNameText, colorSecondary, true),
			seg(c.Reason, theme.SizeNameText, colorSecondary, false)))
	}
	for i, q := range c.Questions {
		parts = append(parts, w.question(i, q, v.Answers[q], v.Busy.Active, act))
	}
	box := container.NewVBox(parts...)
	switch c.Need {
	case cpis.Required:
		return inset(box, nhsDarkBlue, nhsWhite)
	case cpis.AskStaff:
		return inset(box, nhsWarm, nhsWhite)
	}
	return pad(box, 0, 4)
}

// question is a large tick box with its whole row tappable: a gloved finger
// cannot hit a 20 px box.
func (w *Window) question(i int, q cpis.Question, checked, busy bool, act CheckActions) fyne.CanvasObject {
	box := canvas.NewRectangle(nhsWhite)
	box.StrokeColor = nhsText
	box.StrokeWidth = 3
	box.SetMinSize(fyne.NewSquareSize(40))
	tick := canvas.NewImageFromResource(theme.NewColoredResource(theme.ConfirmIcon(), colorWhite))
	tick.FillMode = canvas.ImageFillContain
	if checked {
		box.FillColor = nhsBlue
	} else {
		tick.Hide()
	}
	mark := container.NewCenter(container.NewStack(box, pad(tick, 4, 4)))
	content := container.NewBorder(nil, nil, mark, nil, para(string(q)))
	return w.row("question-"+strconv.Itoa(i), content, func() { act.Answer(q, !checked) }, busy)
}

// alertTab is the silent check's answer. It is always explicit: an absent
// alert says so, because a blank could mean "not checked".
func (w *Window) alertTab(v View, act CheckActions) fyne.CanvasObject {
	switch v.Alert {
	case AlertPresent:
		open := w.button("openalert", "Open Child Care Alert", lookWarning, act.AskOpenAlert)
		parts := []fyne.CanvasObject{large("This patient has a Child Care Alert.", theme.ColorNameForeground)}
		if v.CanOpen {
			parts = append(parts,
				para("Open it to see the plan and the local authority's numbers. Opening it notifies the local authority."))
		} else {
			// Said before the greyed button, so nobody taps it and wonders.
			open.disabled = true
			parts = append(parts, warning(
				"Your role does not have code B0107, which is needed to open a Child Care Alert. "+
					"Ask a colleague who has it to open the alert, and your registration authority to add the code to your smartcard."))
		}
		parts = append(parts, left(open, 420))
		return titled("Child Care Alert", theme.SizeNameHeadingText, nhsRed, container.NewVBox(parts...))
	case AlertAbsent:
		return inset(container.NewVBox(
			large("No Child Care Alert", theme.ColorNameSuccess),
			para("CP-IS shows no child protection plan, looked after child status or unborn child protection plan for this patient."),
		), nhsGreen, nhsWhite)
	}
	parts := []fyne.CanvasObject{large("Alert check not available", theme.ColorNameForeground)}
	switch m := v.Message; {
	case m != nil:
		for _, s := range []string{m.Title, m.Body} {
			if s != "" {
				parts = append(parts, para(s))
			}
		}
		if m.Next != "" {
			parts = append(parts, bold(m.Next))
		}
	case v.Busy.Active:
		parts = append(parts, para("Checking CP-IS for a Child Care Alert…"))
	default:
		parts = append(parts, para("It is not known whether this patient has a Child Care Alert. Follow your local process for when CP-IS cannot be checked."))
	}
	// Amber: not knowing is itself something to act on.
	return inset(container.NewVBox(parts...), nhsWarm, nhsWhite)
}

// confirmPage says what opening the alert does before it is done: the
// guide requires staff to know the local authority is told, and that the
// notification is not a referral.
func (w *Window) confirmPage(v View, act CheckActions) page {
	var parts []fyne.CanvasObject
	if v.Patient != nil {
		parts = append(parts, patientBanner(*v.Patient, v.Now), gap(4))
	}
	parts = append(parts, inset(container.NewVBox(
		large("Opening this alert notifies the child's local authority.", theme.ColorNameForeground),
		para("The notification is for information only. It is not a referral to social care."),
		rich(
			seg("If you have a safeguarding concern: ", theme.SizeNameText, theme.ColorNameForeground, false),
			seg(routeOrDefault(v.SafeguardingRoute), theme.SizeNameText, theme.ColorNameForeground, true)),
	), nhsBlue, nhsWhite))
	ok := w.button("confirm", "Open alert and notify", lookPrimary, act.ConfirmOpenAlert)
	ok.enter = false
	return page{
		heading: "Open the Child Care Alert?",
		content: container.NewVBox(parts...),
		// Apart from the main action, so a hurried tap cannot hit the wrong one.
		actions: []fyne.CanvasObject{ok, hgap(48),
			w.backAs("cancel", "Cancel  (Esc)", lookSecondary)},
	}
}
