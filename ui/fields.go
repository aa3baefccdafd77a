package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// textField is an entry with the NHS focus ring (a yellow frame) and the
// window's keys. The frame turns red while the field holds an error.
type textField struct {
	widget.Entry
	controlBase
	frame   *canvas.Rectangle
	focused bool
	invalid bool
	view    fyne.CanvasObject // the framed, themed field to place on a screen
	// scan sees each rune first and reports whether a scan took it.
	scan func(f *textField, r rune) bool
	// replaceNext: the next rune typed replaces the text (a number handed
	// back after an error), rather than joining it.
	replaceNext bool
}

func newTextField(id string, size float32, keys keyHandler) *textField {
	f := &textField{controlBase: controlBase{id: id, keys: keys}, frame: canvas.NewRectangle(color.Transparent)}
	f.ExtendBaseWidget(f)
	f.view = framed(f.frame, f, size)
	return f
}

// framed is a field inside its focus frame, with the controls' larger
// padding and text size.
func framed(frame *canvas.Rectangle, field fyne.CanvasObject, size float32) fyne.CanvasObject {
	return container.NewThemeOverride(
		container.NewStack(frame, pad(field, 4, 4)),
		controlTheme{Theme: Theme(), text: size})
}

func (f *textField) TypedKey(ev *fyne.KeyEvent) {
	if f.windowKey(ev) {
		return
	}
	switch ev.Name {
	case fyne.KeyBackspace, fyne.KeyDelete, fyne.KeyLeft, fyne.KeyRight, fyne.KeyHome, fyne.KeyEnd:
		// Editing the number handed back: it is kept. (A printable key
		// comes here before its rune, and must not end the replacing.)
		f.replaceNext = false
		f.setInvalid(false)
	}
	f.Entry.TypedKey(ev)
}

func (f *textField) TypedRune(r rune) { f.touched(); f.typeRune(r) }

// typeRune types r as a key press would, the scan detector first.
func (f *textField) typeRune(r rune) {
	if f.scan != nil && f.scan(f, r) {
		return
	}
	if f.replaceNext {
		f.replaceNext = false
		f.setInvalid(false)
		f.SetText("")
	}
	f.Entry.TypedRune(r)
}
func (f *textField) Tapped(ev *fyne.PointEvent) { f.touched(); f.Entry.Tapped(ev) }

func (f *textField) FocusGained() {
	f.Entry.FocusGained()
	f.focused = true
	f.paintFrame()
	f.shown()
}
func (f *textField) FocusLost() { f.Entry.FocusLost(); f.focused = false; f.paintFrame() }

// selectAll puts the cursor at the end and selects the text.
func (f *textField) selectAll() {
	f.CursorColumn = len([]rune(f.Text))
	f.Refresh()
	if f.Text != "" {
		f.TypedShortcut(&fyne.ShortcutSelectAll{})
	}
}

func (f *textField) setInvalid(bad bool) { f.invalid = bad; f.paintFrame() }

func (f *textField) paintFrame() {
	f.frame.FillColor = frameColor(f.Entry.Disabled(), f.focused, f.invalid)
	f.frame.Refresh()
}

// choiceSelect is a drop-down with the same focus frame and keys.
type choiceSelect struct {
	widget.Select
	controlBase
	onEnter func()
	frame   *canvas.Rectangle
	view    fyne.CanvasObject
}

func newChoiceSelect(id string, options []string, keys keyHandler) *choiceSelect {
	s := &choiceSelect{controlBase: controlBase{id: id, keys: keys}, frame: canvas.NewRectangle(color.Transparent)}
	s.Options = options
	s.ExtendBaseWidget(s)
	// Fyne's select has no outline; the NHS input border tells it is a
	// control, drawn where an entry draws its own.
	border := canvas.NewRectangle(color.Transparent)
	border.StrokeColor = nhsSecondary
	border.StrokeWidth = 2
	border.CornerRadius = 4
	s.view = framed(s.frame, container.NewStack(s, border), textBody)
	return s
}

func (s *choiceSelect) TypedRune(r rune)           { s.touched(); s.Select.TypedRune(r) }
func (s *choiceSelect) Tapped(ev *fyne.PointEvent) { s.touched(); s.Select.Tapped(ev) }

func (s *choiceSelect) TypedKey(ev *fyne.KeyEvent) {
	if s.windowKey(ev) {
		return
	}
	if (ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter) && s.onEnter != nil {
		s.onEnter()
		return
	}
	s.Select.TypedKey(ev)
}

func (s *choiceSelect) FocusGained() {
	s.Select.FocusGained()
	s.shown()
	s.frame.FillColor = nhsFocus
	s.frame.Refresh()
}

func (s *choiceSelect) FocusLost() {
	s.Select.FocusLost()
	s.frame.FillColor = color.Transparent
	s.frame.Refresh()
}
