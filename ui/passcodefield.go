package ui

import (
	"image/color"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// The length of an NHS smartcard passcode. Since July 2023 a new passcode
// is 6 to 8 digits; older ones, of 4 to 8 characters and possibly letters,
// still work, so the field takes any character and the card decides.
// Holding to the length matters: a barcode scanned at the lock screen
// types ten digits and Enter, and must not cost the card one of its three
// tries.
const (
	passcodeMin = 4
	passcodeMax = 8
)

// passcodeField takes the smartcard passcode from the keyboard and the
// keypad and shows one dot per character, never the characters. It is
// not a widget.Entry: an Entry keeps undo history, a selection and a menu
// with Copy, any of which could hold on to the passcode after it is sent.
type passcodeField struct {
	widget.BaseWidget
	controlBase
	onSubmit func()
	onChange func() // after every edit: Sign in and the hint follow
	onTap    func()

	chars   []rune
	tooLong bool // more was typed than a passcode can be: a scan, not a passcode
	nudged  bool // Sign in was pressed before the passcode was long enough

	focused, disabled bool
}

func newPasscodeField(id string, keys keyHandler) *passcodeField {
	f := &passcodeField{controlBase: controlBase{id: id, keys: keys}, chars: make([]rune, 0, passcodeMax)}
	f.ExtendBaseWidget(f)
	return f
}

// typed adds a character. Beyond the longest passcode nothing more is
// kept: the field only remembers that there was too much.
func (f *passcodeField) typed(r rune) {
	if f.disabled || unicode.IsControl(r) || unicode.IsSpace(r) {
		return
	}
	if len(f.chars) >= passcodeMax {
		f.tooLong = true
	} else {
		f.chars = append(f.chars, r)
	}
	f.nudged = false
	f.changed()
}

// backspace takes off the last character; after too much was typed it
// empties the field, since what is kept is not the passcode either way.
func (f *passcodeField) backspace() {
	if f.disabled {
		return
	}
	if f.tooLong {
		f.clear()
		return
	}
	if n := len(f.chars); n > 0 {
		f.chars[n-1] = 0
		f.chars = f.chars[:n-1]
	}
	f.nudged = false
	f.changed()
}

// clear empties the field and overwrites what it held.
func (f *passcodeField) clear() {
	for i := range f.chars {
		f.chars[i] = 0
	}
	f.chars = f.chars[:0]
	f.tooLong, f.nudged = false, false
	f.changed()
}

// take empties the field and returns what it held.
func (f *passcodeField) take() string {
	s := string(f.chars)
	f.clear()
	return s
}

func (f *passcodeField) ready() bool { return !f.tooLong && len(f.chars) >= passcodeMin }

func (f *passcodeField) nudge() { f.nudged = true; f.changed() }

func (f *passcodeField) changed() {
	f.Refresh()
	if f.onChange != nil {
		f.onChange()
	}
}

// edit handles the keys that change the field; Enter signs in.
func (f *passcodeField) edit(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if f.onSubmit != nil {
			f.onSubmit()
		}
	case fyne.KeyBackspace:
		f.backspace()
	}
}

func (f *passcodeField) TypedKey(ev *fyne.KeyEvent) {
	if f.windowKey(ev) {
		return
	}
	f.edit(ev)
}

func (f *passcodeField) TypedRune(r rune) {
	f.touched()
	f.typed(r)
}

func (f *passcodeField) Tapped(*fyne.PointEvent) {
	f.touched()
	if f.onTap != nil {
		f.onTap()
	}
}

func (f *passcodeField) FocusGained() { f.focused = true; f.Refresh(); f.shown() }
func (f *passcodeField) FocusLost()   { f.focused = false; f.Refresh() }

func (f *passcodeField) setDisabled(d bool) {
	if f.disabled != d {
		f.disabled = d
		f.Refresh()
	}
}
func (f *passcodeField) Disable()       { f.setDisabled(true) }
func (f *passcodeField) Enable()        { f.setDisabled(false) }
func (f *passcodeField) Disabled() bool { return f.disabled }

func (f *passcodeField) Cursor() desktop.Cursor { return desktop.TextCursor }

func (f *passcodeField) CreateRenderer() fyne.WidgetRenderer {
	r := &passcodeRenderer{
		f:     f,
		frame: canvas.NewRectangle(color.Transparent),
		bg:    canvas.NewRectangle(nhsWhite),
		caret: canvas.NewRectangle(nhsText),
		hint:  canvas.NewText("Passcode", nhsSecondary),
	}
	r.frame.CornerRadius = 6
	r.bg.CornerRadius = 4
	r.hint.TextSize = textLarge
	for i := range r.dots {
		r.dots[i] = canvas.NewCircle(nhsText)
	}
	r.Refresh()
	return r
}

type passcodeRenderer struct {
	f          *passcodeField
	frame, bg  *canvas.Rectangle
	caret      *canvas.Rectangle
	hint       *canvas.Text
	dots       [passcodeMax]*canvas.Circle
	objs       []fyne.CanvasObject
	lastLayout fyne.Size
}

const (
	passFrame  = 4  // the focus frame around the box
	passIndent = 24 // from the box's left edge to the first dot
	passDot    = 22 // a dot's diameter
	passStep   = 38 // from one dot to the next
)

func (r *passcodeRenderer) Layout(s fyne.Size) {
	r.lastLayout = s
	r.frame.Resize(s)
	r.bg.Move(fyne.NewPos(passFrame, passFrame))
	r.bg.Resize(s.Subtract(fyne.NewSize(2*passFrame, 2*passFrame)))
	mid := s.Height / 2
	x := float32(passFrame + passIndent)
	for _, d := range r.dots {
		d.Move(fyne.NewPos(x, mid-passDot/2))
		d.Resize(fyne.NewSquareSize(passDot))
		x += passStep
	}
	n := float32(len(r.f.chars))
	r.caret.Move(fyne.NewPos(passFrame+passIndent-8+n*passStep, mid-20))
	r.caret.Resize(fyne.NewSize(3, 40))
	hs := r.hint.MinSize()
	r.hint.Move(fyne.NewPos(passFrame+passIndent, mid-hs.Height/2))
	r.hint.Resize(hs)
}

func (r *passcodeRenderer) MinSize() fyne.Size {
	return fyne.NewSize(2*passFrame+2*passIndent+passcodeMax*passStep, 80)
}

func (r *passcodeRenderer) Refresh() {
	f := r.f
	r.frame.FillColor = frameColor(f.disabled, f.focused, f.tooLong)
	r.bg.FillColor = nhsWhite
	r.bg.StrokeColor = nhsSecondary
	r.bg.StrokeWidth = 2
	if f.tooLong {
		r.bg.StrokeColor = nhsRed
	}
	if f.disabled {
		r.bg.FillColor = nhsGrey4
	}
	for i, d := range r.dots {
		d.Hidden = i >= len(f.chars)
		d.Refresh()
	}
	r.caret.Hidden = !f.focused || f.disabled || f.tooLong
	r.hint.Hidden = len(f.chars) > 0 || f.focused
	r.frame.Refresh()
	r.bg.Refresh()
	r.hint.Refresh()
	r.Layout(r.lastLayout)
	r.caret.Refresh()
}

func (r *passcodeRenderer) Objects() []fyne.CanvasObject {
	if r.objs == nil {
		r.objs = []fyne.CanvasObject{r.frame, r.bg, r.hint}
		for _, d := range r.dots {
			r.objs = append(r.objs, d)
		}
		r.objs = append(r.objs, r.caret)
	}
	return r.objs
}

func (r *passcodeRenderer) Destroy() {}
