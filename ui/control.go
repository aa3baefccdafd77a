package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
)

// keyHandler is the window's handler for keys that mean the same on every
// control (Escape). Each focusable widget offers a key to it first because
// Fyne gives keys to the focused widget only, never to the window as well.
type keyHandler func(*fyne.KeyEvent) bool

// identified is one of the kiosk's own focusable widgets, with a name that
// stays the same across renders, so that focus can follow a control when
// its screen is rebuilt.
type identified interface {
	fyne.Focusable
	fyne.Disableable
	focusID() string
	base() *controlBase
}

// controlBase is what the kiosk's own focusable widgets share: their
// name, the window's key handler, and poke, which reports every touch and
// key to the window for the idle timer; the window sets it when it
// registers the control.
type controlBase struct {
	id   string
	keys keyHandler
	poke func()
	// reveal scrolls the screen to show the control when it takes the
	// focus (Tab), so that keyboard users see where they are.
	reveal func()
}

// shown brings the control into view, as it takes the focus.
func (c *controlBase) shown() {
	if c.reveal != nil {
		c.reveal()
	}
}

func (c *controlBase) focusID() string { return c.id }

func (c *controlBase) base() *controlBase { return c }

// touched reports a touch or a key press to the window.
func (c *controlBase) touched() {
	if c.poke != nil {
		c.poke()
	}
}

// windowKey offers a key to the window first; true means it took it.
func (c *controlBase) windowKey(ev *fyne.KeyEvent) bool { return c.keys != nil && c.keys(ev) }

// frameColor is the colour of the frame round a field: the NHS focus
// yellow while it has focus, red while it holds an error, else none.
func frameColor(disabled, focused, invalid bool) color.Color {
	switch {
	case disabled:
		return color.Transparent
	case focused:
		return nhsFocus
	case invalid:
		return nhsRed
	}
	return color.Transparent
}

// enable enables d, or disables it: while the app is busy, controls take
// no input.
func enable(d fyne.Disableable, on bool) {
	if on {
		d.Enable()
	} else {
		d.Disable()
	}
}
