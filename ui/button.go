package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// The kiosk's tappable areas: buttons, result rows, question ticks and
// keypad keys.

// look is the colours of a tappable area at rest; focus and disabled
// colours are the same for every kind, as NHS.UK styles them.
type look struct {
	fill, hover, stroke, shadow, text color.Color
}

var (
	lookPrimary   = look{fill: nhsBlue, hover: nhsDarkBlue, shadow: nhsDarkBlue, text: nhsWhite}
	lookSecondary = look{fill: nhsWhite, hover: nhsPaleBlue, stroke: nhsBlue, shadow: nhsBlue, text: nhsBlue}
	lookWarning   = look{fill: nhsRed, hover: nhsDarkRed, shadow: nhsDarkRed, text: nhsWhite}
	lookCard      = look{fill: nhsWhite, hover: nhsPaleBlue, stroke: nhsGrey3, shadow: nhsGrey3, text: nhsText}
)

// shadowDepth is the NHS.UK button's solid bottom edge, which tells a
// button from a panel without relying on colour.
const shadowDepth = 4

// tapArea is a large tappable, focusable box. Fyne's own button turns the
// focus colour into a tint under white text; the NHS focus style is solid
// yellow with dark text, which needs control of the text colour too.
type tapArea struct {
	widget.BaseWidget
	controlBase
	look    look
	content fyne.CanvasObject
	texts   []*canvas.Text // recoloured with the state
	onTap   func()
	// enter lets Enter activate as well as Space. It is off on buttons that
	// notify a local authority, so that a barcode scanner's trailing Enter
	// can never press them.
	enter bool
	// runes takes typing while the control has focus, so that digits typed
	// with a keypad key focused still reach the passcode field.
	runes func(rune)
	// min is the least size when the default touchTarget square does not
	// suit: the passcode keypad's keys are larger, the banner's smaller.
	min fyne.Size
	// padV is the space above and below the content when not tapPadV: the
	// banner's buttons are flatter, to leave the screen its height.
	padV float32

	disabled, focused, hovered bool
}

func newTapArea(id string, l look, content fyne.CanvasObject, texts []*canvas.Text, onTap func(), keys keyHandler) *tapArea {
	t := &tapArea{controlBase: controlBase{id: id, keys: keys}, look: l, content: content, texts: texts, onTap: onTap, enter: true}
	t.ExtendBaseWidget(t)
	return t
}

// newButton is the one button style of the kiosk: big, bold, full height.
func newButton(id, label string, l look, onTap func(), keys keyHandler) *tapArea {
	txt := boldText(label, l.text, textBody)
	return newTapArea(id, l, container.NewCenter(txt), []*canvas.Text{txt}, onTap, keys)
}

func (t *tapArea) Tapped(*fyne.PointEvent) {
	t.touched()
	if !t.disabled && t.onTap != nil {
		t.onTap()
	}
}

func (t *tapArea) FocusGained() { t.focused = true; t.Refresh(); t.shown() }
func (t *tapArea) FocusLost()   { t.focused = false; t.Refresh() }

func (t *tapArea) TypedRune(r rune) {
	t.touched()
	if t.runes != nil {
		t.runes(r)
	}
}

func (t *tapArea) TypedKey(ev *fyne.KeyEvent) {
	if t.windowKey(ev) {
		return
	}
	switch ev.Name {
	case fyne.KeySpace:
		t.Tapped(nil)
	case fyne.KeyReturn, fyne.KeyEnter:
		if t.enter {
			t.Tapped(nil)
		}
	}
}

func (t *tapArea) Disable()       { t.disabled = true; t.Refresh() }
func (t *tapArea) Enable()        { t.disabled = false; t.Refresh() }
func (t *tapArea) Disabled() bool { return t.disabled }

func (t *tapArea) MouseIn(*desktop.MouseEvent)    { t.hovered = true; t.Refresh() }
func (t *tapArea) MouseMoved(*desktop.MouseEvent) {}
func (t *tapArea) MouseOut()                      { t.hovered = false; t.Refresh() }

func (t *tapArea) Cursor() desktop.Cursor { return desktop.PointerCursor }

func (t *tapArea) CreateRenderer() fyne.WidgetRenderer {
	r := &tapRenderer{t: t, shadow: canvas.NewRectangle(nil), bg: canvas.NewRectangle(nil)}
	r.bg.CornerRadius = 4
	r.shadow.CornerRadius = 4
	r.Refresh()
	return r
}

type tapRenderer struct {
	t          *tapArea
	shadow, bg *canvas.Rectangle
}

const (
	tapPadH = 20
	tapPadV = 12
)

func (r *tapRenderer) Layout(s fyne.Size) {
	face := fyne.NewSize(s.Width, s.Height-shadowDepth)
	r.shadow.Move(fyne.NewPos(0, shadowDepth))
	r.shadow.Resize(face)
	r.bg.Move(fyne.NewPos(0, 0))
	r.bg.Resize(face)
	v := r.padV()
	r.t.content.Move(fyne.NewPos(tapPadH, v))
	r.t.content.Resize(face.Subtract(fyne.NewSize(2*tapPadH, 2*v)))
}

func (r *tapRenderer) padV() float32 {
	if r.t.padV > 0 {
		return r.t.padV
	}
	return tapPadV
}

func (r *tapRenderer) MinSize() fyne.Size {
	m := r.t.content.MinSize().Add(fyne.NewSize(2*tapPadH, 2*r.padV()+shadowDepth))
	if r.t.min.IsZero() {
		return m.Max(fyne.NewSize(touchTarget, touchTarget))
	}
	return m.Max(r.t.min)
}

func (r *tapRenderer) Refresh() {
	l := r.t.look
	fill, stroke, shadow, fg := l.fill, l.stroke, l.shadow, l.text
	switch {
	case r.t.disabled:
		fill, stroke, shadow, fg = nhsGrey4, nil, nhsGrey3, nhsSecondary
	case r.t.focused:
		fill, stroke, shadow, fg = nhsFocus, nhsText, nhsText, nhsText
	case r.t.hovered:
		fill = l.hover
	}
	r.bg.FillColor = fill
	r.bg.StrokeColor = stroke
	r.bg.StrokeWidth = 0
	if stroke != nil {
		r.bg.StrokeWidth = 2
	}
	r.shadow.FillColor = shadow
	for _, t := range r.t.texts {
		t.Color = fg
		t.Refresh()
	}
	r.bg.Refresh()
	r.shadow.Refresh()
	r.t.content.Refresh()
}

func (r *tapRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.shadow, r.bg, r.t.content}
}

func (r *tapRenderer) Destroy() {}
