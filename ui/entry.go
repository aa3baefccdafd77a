package ui

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/nhs-cpis/kiosk/cpis"
)

// entryPage asks for the NHS number: the one thing to do on arrival. The
// scanner and the keyboard share the field; Enter traces.
//
// While the Spine is down the same screen records the presentation
// instead, so a scan at the desk works the same way either way.
func (w *Window) entryPage(v View, act entryActions) page {
	w.register(w.nhs)
	title, primary, alt := "Check a presenting patient", "Trace patient  (Enter)", "Search by details instead"
	if v.Downtime != nil {
		// The downtime panel above says what this screen is for now, and
		// needs the heading's height to keep Record presentation in view
		// under a "Recorded" notice at 1024x768.
		title, primary, alt = "", "Record presentation  (Enter)", "Record by details instead"
	}
	trace := w.button("trace", primary, lookPrimary, func() { w.submitNHS(act) })
	details := w.button("bydetails", alt, lookSecondary, act.ShowSearch)
	if w.blocked() {
		trace.disabled = true
		details.disabled = true
	}

	var parts []fyne.CanvasObject
	if v.Offer != nil && v.Downtime == nil {
		parts = append(parts, w.offerPanel(*v.Offer, act), gap(8))
	}
	if v.Banner.User == "" {
		parts = append(parts, inset(large("Insert your NHS smartcard to check a patient.", theme.ColorNameForeground),
			nhsBlue, nhsWhite), gap(8))
	}
	parts = append(parts, bold("NHS number"))
	if v.Downtime == nil && v.Message == nil && v.Offer == nil {
		// While the Spine is down, or a message or an offer is above, the
		// screen needs the height, and the footer's help says the same.
		parts = append(parts, secondary("Type the 10 digits, or scan the barcode on the wristband or letter."))
	}
	// Both ways on, side by side under the field: whatever is above, the
	// other way is in view when the number will not do.
	parts = append(parts,
		left(w.nhs.view, 520),
		gap(4),
		container.NewHBox(left(trace, 420), hgap(24), left(details, 360)),
	)
	return page{heading: title, content: container.NewVBox(parts...)}
}

// submitNHS traces the number, or while the Spine is down records the
// presentation for a check when it is back.
func (w *Window) submitNHS(act CheckActions) {
	if w.view.Screen != ScreenEntry || w.blocked() {
		return
	}
	if w.view.Downtime != nil {
		act.RecordPresentation(w.nhs.Text, cpis.SearchQuery{})
		return
	}
	act.TraceNHS(w.nhs.Text)
}

// entryActions are what the entry screen can ask for: the check, and an
// answer to the offer to check the children who wait.
type entryActions interface {
	CheckActions
	WaitingActions
}

// offerPanel offers to check the children who wait, in the user's name,
// saying what each check does before it is made.
func (w *Window) offerPanel(o Offer, act WaitingActions) fyne.CanvasObject {
	children := "1 child waits"
	if o.Waiting != 1 {
		children = strconv.Itoa(o.Waiting) + " children wait"
	}
	if o.Checking {
		pause := w.button("pausewaiting", "Pause the checks", lookSecondary, act.PauseWaiting)
		if o.Confirm {
			show := w.button("showmatch", "Confirm the child", lookPrimary, act.ShowMatch)
			return inset(container.NewVBox(
				bold("A child recorded by name and date of birth needs you to confirm who they are before the check."),
				container.NewHBox(left(show, 360), hgap(24), left(pause, 360)),
			), nhsWarm, nhsWhite)
		}
		return inset(container.NewVBox(
			bold("Checking the children who wait, in your name: "+children+"."),
			left(pause, 360),
		), nhsBlue, nhsWhite)
	}
	check := w.button("checkwaiting", "Check them now", lookSecondary, act.CheckWaiting)
	return inset(container.NewVBox(
		bold(children+" for a CP-IS check, recorded while it could not be made."),
		para("Checking tells each child's local authority, in your name, that the child presented at the time recorded. "+
			"The notification is for information only and is not a safeguarding children alert or referral."),
		left(check, 360),
	), nhsWarm, nhsWhite)
}
