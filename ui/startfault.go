package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// StartFault is the whole of the window when the kiosk cannot start: what
// is wrong, in the words of the log, and what to do now. close quits.
func StartFault(why string, close func()) fyne.CanvasObject {
	closeBtn := newButton("close", "Close", lookSecondary, close, nil)
	body := container.NewVBox(
		large("The CP-IS kiosk cannot start", theme.ColorNameForeground),
		para(Sentence(why)),
		bold("Call the IT service desk and read them the message above. Until it is fixed, check children by the downtime process: "+
			"the paper log, and the local authority's emergency duty team for an urgent question."),
		left(closeBtn, 240),
	)
	return container.NewStack(canvas.NewRectangle(nhsPaleWarm), pad(inset(body, nhsRed, nhsWhite), 24, 24))
}

// Sentence starts s with a capital and ends it with a full stop: an
// error's words, shown to people.
func Sentence(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	if c := b[len(b)-1]; c != '.' && c != ')' {
		b = append(b, '.')
	}
	return string(b)
}
