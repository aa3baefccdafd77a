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
// a check, and the one next action: check CP-IS for this child.
func (w *Window) patientPage(v View, act CheckActions) page {
	if v.Patient == nil {
		// Nothing to show, and nothing of the last patient may linger.
		return page{heading: "No patient", actions: []fyne.CanvasObject{w.newPatient(lookPrimary, act)}}
	}
	// Side by side, so that at 1024x768 the check starts above the fold
	// however many questions the who-to-check rules ask.
	// FGM-IS right under the banner, in the patient's context and in full:
	// the check itself is in the action bar, always in view.
	parts := append([]fyne.CanvasObject{patientBanner(*v.Patient, v.Now)}, fgmParts(v)...)
	content := container.NewVBox(append(parts, gap(4),
		container.NewGridWithColumns(2, w.whoToCheck(v, act), w.checkPanel(v, act)))...)
	if !v.CanOpen {
		// Keeping the child for a colleague is the one next action, in the
		// bar, where it is never below the fold.
		keep := w.button("keep", "Keep for a colleague's check", lookPrimary, act.KeepForCheck)
		return page{content: content, actions: []fyne.CanvasObject{keep, hgap(24), w.newPatient(lookSecondary, act)}}
	}
	// Checking CP-IS is the one next action, in the bar, never below the
	// fold whatever the banner, the questions or a message take.
	check := w.button("openalert", "Check CP-IS for this child", lookPrimary, act.AskOpenAlert)
	return page{content: content, actions: []fyne.CanvasObject{check, hgap(24), w.newPatient(lookSecondary, act)}}
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

// checkPanel offers the CP-IS check, saying before it is made what it
// does; a role without B0107 is told who can make it.
func (w *Window) checkPanel(v View, act CheckActions) fyne.CanvasObject {
	if !v.CanOpen {
		// Amber: the child still needs checking, by someone else.
		return inset(container.NewVBox(
			large("Ask a colleague to check CP-IS", theme.ColorNameForeground),
			para("Your role does not have code B0107, which is needed to check CP-IS for a Child Care Alert."),
			bold("Keep for a colleague's check puts the child on the list of checks that wait: a colleague whose smartcard has code B0107 is offered the check when they sign in here."),
		), nhsWarm, nhsWhite)
	}
	// The check itself is the action bar's first button, always in view.
	return titled("Child Care Alert", theme.SizeNameHeadingText, nhsBlue, container.NewVBox(
		para("Check whether this child has a Child Care Alert. "+notifyWords),
	))
}

// notifyWords say what the check does, in the guide's words for what the
// notification is and is not.
const notifyWords = "If the child has a plan, checking tells the child's local authority that the child presented here. " +
	"The notification is for information only and is not a safeguarding children alert or referral."

// confirmPage asks that this is the child in front of the user and says
// what the check does before it is made: the guide requires staff to know
// the local authority is told, and that the notification is not a
// safeguarding children alert or referral.
func (w *Window) confirmPage(v View, act CheckActions) page {
	var parts []fyne.CanvasObject
	if v.Patient != nil {
		parts = append(append(parts, patientBanner(*v.Patient, v.Now)), fgmParts(v)...)
		parts = append(parts, gap(4))
	}
	parts = append(parts, inset(container.NewVBox(
		large("Is this the child in front of you?", theme.ColorNameForeground),
		para(notifyWords),
		rich(
			seg("If you have a safeguarding concern: ", theme.SizeNameText, theme.ColorNameForeground, false),
			seg(routeOrDefault(v.SafeguardingRoute), theme.SizeNameText, theme.ColorNameForeground, true)),
	), nhsBlue, nhsWhite))
	ok := w.button("confirm", "Yes, check CP-IS now  (Space)", lookPrimary, act.ConfirmOpenAlert)
	ok.enter = false
	return page{
		heading: "Check CP-IS for this child?",
		content: container.NewVBox(parts...),
		// Apart from the main action, so a hurried tap cannot hit the wrong one.
		actions: []fyne.CanvasObject{ok, hgap(48),
			w.backAs("cancel", "Cancel  (Esc)", lookSecondary)},
	}
}
