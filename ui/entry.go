package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// entryPage asks for the NHS number: the one thing to do on arrival. The
// scanner and the keyboard share the field; Enter traces.
func (w *Window) entryPage(v View) page {
	w.register(w.nhs)
	trace := w.button("trace", "Trace patient  (Enter)", lookPrimary, w.submitNHS)
	details := w.button("bydetails", "Search by details instead", lookSecondary, w.act.ShowSearch)
	if w.blocked() {
		trace.disabled = true
		details.disabled = true
	}

	var parts []fyne.CanvasObject
	if v.Banner.User == "" {
		parts = append(parts, inset(large("Insert your NHS smartcard to check a patient.", theme.ColorNameForeground),
			nhsBlue, nhsWhite), gap(8))
	}
	parts = append(parts,
		bold("NHS number"),
		secondary("Type the 10 digits, or scan the barcode on the wristband or letter."),
		left(w.nhs.view, 520),
		gap(4),
		left(trace, 520),
		gap(24),
		secondary("No NHS number to hand?"),
		left(details, 520),
	)
	return page{heading: "Check a presenting patient", content: container.NewVBox(parts...)}
}
