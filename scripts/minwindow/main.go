// Command minwindow is the benchmark's baseline: the smallest Fyne window,
// built from the same module, to compare the kiosk's start-up against.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("uk.nhs.cpis.minwindow")
	w := a.NewWindow("minimal fyne window")
	w.SetContent(widget.NewLabel("hello"))
	w.Resize(fyne.NewSize(1280, 800))
	w.ShowAndRun()
}
