package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/nhs-cpis/kiosk/cpis"
)

// fgmIndicator is the FGM-IS indicator, in the patient's context and in a
// colour of its own (the NHS purple), so that nobody takes it for the
// Child Care Alert or misses it: what it is, when the family history was
// assessed and when the kiosk asked, and what to do.
func fgmIndicator(f FGMIndicator) fyne.CanvasObject {
	return panel(container.NewVBox(
		text("FGM-IS: family history of FGM", sizeLarge, colorWhite, true),
		rich(seg("Assessed ", theme.SizeNameText, colorWhite, false), seg(formatDate(f.Assessed), theme.SizeNameText, colorWhite, true),
			seg(", FGM-IS checked ", theme.SizeNameText, colorWhite, false), seg(formatWhen(f.Queried)+". ", theme.SizeNameText, colorWhite, true),
			seg(cpis.FGMAdvice, theme.SizeNameText, colorWhite, false)),
	), nhsPurple, nhsPurple, 0)
}

// fgmParts are what the patient's context shows of FGM-IS: the indicator
// when there is one; otherwise, where FGM-IS was asked about, only the
// reminder that no indicator is not no risk.
func fgmParts(v View) []fyne.CanvasObject {
	switch {
	case v.FGM != nil:
		return []fyne.CanvasObject{gap(4), fgmIndicator(*v.FGM)}
	case v.FGMAsked:
		return []fyne.CanvasObject{secondary(cpis.FGMNoFlagMeansNothing)}
	}
	return nil
}
