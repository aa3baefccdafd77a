package ui

import "fyne.io/fyne/v2"

// Binding is how the rest of the kiosk hands the window a new View. It is
// the only place in ui/ that crosses from another goroutine to Fyne's: the
// app's card, Spine and replay goroutines call Show, never Render.
type Binding struct {
	w *Window
}

// NewBinding returns the Binding that draws into w.
func NewBinding(w *Window) *Binding { return &Binding{w: w} }

// Show draws v on the Fyne goroutine. It returns at once; Views shown in
// turn are drawn in turn, so the last one shown is what stays on screen.
func (b *Binding) Show(v View) {
	fyne.Do(func() { b.w.Render(v) })
}

// Quit ends Fyne's loop from another goroutine, as on SIGTERM. The app
// wipes the View first, so nothing of a patient is left on screen.
func (b *Binding) Quit(a fyne.App) {
	fyne.Do(a.Quit)
}
