package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// keyHandler is the window's handler for keys that mean the same on every
// control (Escape). Each focusable widget offers a key to it first because
// Fyne gives keys to the focused widget only, never to the window as well.
type keyHandler func(*fyne.KeyEvent) bool

// identified is a focusable widget with a name that stays the same across
// renders, so that focus can follow a control when its screen is rebuilt.
type identified interface {
	fyne.Focusable
	focusID() string
}

// ---- text ----

// seg is one run of styled text for rich().
func seg(s string, size fyne.ThemeSizeName, col fyne.ThemeColorName, bold bool) *widget.TextSegment {
	return &widget.TextSegment{Text: s, Style: widget.RichTextStyle{
		Inline: true, SizeName: size, ColorName: col, TextStyle: fyne.TextStyle{Bold: bold},
	}}
}

// rich joins segments into one wrapping paragraph.
func rich(segs ...*widget.TextSegment) *widget.RichText {
	rs := make([]widget.RichTextSegment, len(segs))
	for i, s := range segs {
		rs[i] = s
	}
	t := widget.NewRichText(rs...)
	t.Wrapping = fyne.TextWrapWord
	return t
}

func text(s string, size fyne.ThemeSizeName, col fyne.ThemeColorName, bold bool) *widget.RichText {
	return rich(seg(s, size, col, bold))
}

func para(s string) *widget.RichText {
	return text(s, theme.SizeNameText, theme.ColorNameForeground, false)
}

func bold(s string) *widget.RichText {
	return text(s, theme.SizeNameText, theme.ColorNameForeground, true)
}

func secondary(s string) *widget.RichText { return text(s, theme.SizeNameText, colorSecondary, false) }

func heading(s string) *widget.RichText {
	return text(s, theme.SizeNameHeadingText, theme.ColorNameForeground, true)
}

func large(s string, col fyne.ThemeColorName) *widget.RichText { return text(s, sizeLarge, col, true) }

// line is one line of text that is cut with an ellipsis rather than wrapped,
// for table cells and the banner, whose height must not jump.
func line(s string, col fyne.ThemeColorName, bold bool) *widget.RichText {
	t := text(s, theme.SizeNameText, col, bold)
	t.Wrapping = fyne.TextWrapOff
	t.Truncation = fyne.TextTruncateEllipsis
	return t
}

// ---- panels ----

func gap(h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(0, h))
	return r
}

func hgap(w float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, 0))
	return r
}

func pad(obj fyne.CanvasObject, v, h float32) fyne.CanvasObject {
	return container.New(layout.NewCustomPaddedLayout(v, v, h, h), obj)
}

// panel is a white (or tinted) box with a border, the NHS.UK "card".
func panel(content fyne.CanvasObject, fill, stroke color.Color, width float32) fyne.CanvasObject {
	bg := canvas.NewRectangle(fill)
	bg.StrokeColor = stroke
	bg.StrokeWidth = width
	bg.CornerRadius = 4
	return container.NewStack(bg, pad(content, 14+width, 18+width))
}

// inset is the NHS.UK "inset text": a thick coloured bar on the left of a
// white box, used for notices that must be read but are not errors.
func inset(content fyne.CanvasObject, accent, fill color.Color) fyne.CanvasObject {
	bar := canvas.NewRectangle(accent)
	bar.SetMinSize(fyne.NewSize(8, 0))
	bg := canvas.NewRectangle(fill)
	return container.NewStack(bg, container.NewBorder(nil, nil, bar, nil, pad(content, 14, 18)))
}

// titled is a card with a coloured title band, the CP-IS alert marker's
// shape. The band's text size is a parameter because the opened alert
// needs the height for the phone numbers.
func titled(title string, size fyne.ThemeSizeName, band color.Color, content fyne.CanvasObject) fyne.CanvasObject {
	head := container.NewStack(canvas.NewRectangle(band), pad(text(title, size, colorWhite, true), 4, 14))
	body := container.NewBorder(head, nil, nil, nil, pad(content, 12, 18))
	frame := canvas.NewRectangle(color.Transparent)
	frame.StrokeColor = band
	frame.StrokeWidth = 4
	// The band sits inside the frame's stroke, which Fyne draws partly
	// outside a rectangle's bounds.
	return container.NewStack(canvas.NewRectangle(nhsWhite), pad(body, 2, 2), frame)
}

// pill is a short status word on a coloured lozenge, for the banner.
func pill(s string, fill, stroke, fg color.Color) fyne.CanvasObject {
	bg := canvas.NewRectangle(fill)
	bg.CornerRadius = 6
	bg.StrokeColor = stroke
	if stroke != nil {
		bg.StrokeWidth = 2
	}
	t := canvas.NewText(s, fg)
	t.TextSize = textBody
	t.TextStyle.Bold = true
	return container.NewStack(bg, pad(t, 4, 12))
}

// ---- tappable areas: buttons, result rows, question ticks ----

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
	id      string
	look    look
	content fyne.CanvasObject
	texts   []*canvas.Text // recoloured with the state
	onTap   func()
	// enter lets Enter activate as well as Space. It is off on buttons that
	// notify a local authority, so that a barcode scanner's trailing Enter
	// can never press them.
	enter bool
	keys  keyHandler
	// poke reports every touch and key to the window, for the idle timer;
	// the window sets it when it registers the control.
	poke func()
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
	t := &tapArea{id: id, look: l, content: content, texts: texts, onTap: onTap, keys: keys, enter: true}
	t.ExtendBaseWidget(t)
	return t
}

// newButton is the one button style of the kiosk: big, bold, full height.
func newButton(id, label string, l look, onTap func(), keys keyHandler) *tapArea {
	txt := canvas.NewText(label, l.text)
	txt.TextSize = textBody
	txt.TextStyle.Bold = true
	return newTapArea(id, l, container.NewCenter(txt), []*canvas.Text{txt}, onTap, keys)
}

func (t *tapArea) focusID() string { return t.id }

func (t *tapArea) Tapped(*fyne.PointEvent) {
	if t.poke != nil {
		t.poke()
	}
	if !t.disabled && t.onTap != nil {
		t.onTap()
	}
}

func (t *tapArea) FocusGained() { t.focused = true; t.Refresh() }
func (t *tapArea) FocusLost()   { t.focused = false; t.Refresh() }

func (t *tapArea) TypedRune(r rune) {
	if t.poke != nil {
		t.poke()
	}
	if t.runes != nil {
		t.runes(r)
	}
}

func (t *tapArea) TypedKey(ev *fyne.KeyEvent) {
	if t.keys != nil && t.keys(ev) {
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

// ---- form controls ----

// textField is an entry with the NHS focus ring (a yellow frame) and the
// window's keys. The frame turns red while the field holds an error.
type textField struct {
	widget.Entry
	id      string
	keys    keyHandler
	poke    func() // set by the window: typing and taps restart the idle timer
	frame   *canvas.Rectangle
	focused bool
	invalid bool
	view    fyne.CanvasObject // the framed, themed field to place on a screen
}

func newTextField(id string, size float32, keys keyHandler) *textField {
	f := &textField{id: id, keys: keys, frame: canvas.NewRectangle(color.Transparent)}
	f.ExtendBaseWidget(f)
	f.view = container.NewThemeOverride(
		container.NewStack(f.frame, pad(f, 4, 4)),
		controlTheme{Theme: Theme(), text: size})
	return f
}

func (f *textField) focusID() string { return f.id }

func (f *textField) TypedKey(ev *fyne.KeyEvent) {
	if f.keys != nil && f.keys(ev) {
		return
	}
	f.Entry.TypedKey(ev)
}

func (f *textField) TypedRune(r rune) {
	if f.poke != nil {
		f.poke()
	}
	f.Entry.TypedRune(r)
}

func (f *textField) Tapped(ev *fyne.PointEvent) {
	if f.poke != nil {
		f.poke()
	}
	f.Entry.Tapped(ev)
}

func (f *textField) FocusGained() { f.Entry.FocusGained(); f.focused = true; f.paintFrame() }
func (f *textField) FocusLost()   { f.Entry.FocusLost(); f.focused = false; f.paintFrame() }

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
	switch {
	case f.Entry.Disabled():
		f.frame.FillColor = color.Transparent
	case f.focused:
		f.frame.FillColor = nhsFocus
	case f.invalid:
		f.frame.FillColor = nhsRed
	default:
		f.frame.FillColor = color.Transparent
	}
	f.frame.Refresh()
}

// choiceSelect is a drop-down with the same focus frame and keys.
type choiceSelect struct {
	widget.Select
	id      string
	keys    keyHandler
	poke    func() // set by the window, as for textField
	onEnter func()
	frame   *canvas.Rectangle
	view    fyne.CanvasObject
}

func newChoiceSelect(id string, options []string, keys keyHandler) *choiceSelect {
	s := &choiceSelect{id: id, keys: keys, frame: canvas.NewRectangle(color.Transparent)}
	s.Options = options
	s.ExtendBaseWidget(s)
	// Fyne's select has no outline; the NHS input border tells it is a
	// control, drawn where an entry draws its own.
	border := canvas.NewRectangle(color.Transparent)
	border.StrokeColor = nhsSecondary
	border.StrokeWidth = 2
	border.CornerRadius = 4
	s.view = container.NewThemeOverride(
		container.NewStack(s.frame, pad(container.NewStack(s, border), 4, 4)),
		controlTheme{Theme: Theme(), text: textBody})
	return s
}

func (s *choiceSelect) focusID() string { return s.id }

func (s *choiceSelect) TypedRune(r rune) {
	if s.poke != nil {
		s.poke()
	}
	s.Select.TypedRune(r)
}

func (s *choiceSelect) Tapped(ev *fyne.PointEvent) {
	if s.poke != nil {
		s.poke()
	}
	s.Select.Tapped(ev)
}

func (s *choiceSelect) TypedKey(ev *fyne.KeyEvent) {
	if s.keys != nil && s.keys(ev) {
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
	s.frame.FillColor = nhsFocus
	s.frame.Refresh()
}

func (s *choiceSelect) FocusLost() {
	s.Select.FocusLost()
	s.frame.FillColor = color.Transparent
	s.frame.Refresh()
}

// ---- layouts ----

// columnLayout centres one column no wider than max: lines of text longer
// than that are hard to read on a full HD screen.
type columnLayout struct{ max float32 }

func (c columnLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	w := min(s.Width, c.max)
	for _, o := range objs {
		o.Move(fyne.NewPos((s.Width-w)/2, 0))
		o.Resize(fyne.NewSize(w, s.Height))
	}
}

func (c columnLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m
}

// leftLayout keeps a control at a sensible width, left aligned, as NHS.UK
// forms size an input to what it holds.
type leftLayout struct{ width float32 }

func (l leftLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(fyne.NewSize(max(min(s.Width, l.width), o.MinSize().Width), s.Height))
	}
}

func (l leftLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m
}

func left(obj fyne.CanvasObject, width float32) fyne.CanvasObject {
	return container.New(leftLayout{width}, obj)
}

// tableLayout places a row's cells at fixed fractions of the width, so
// that the rows of the access history line up as a table.
type tableLayout []float32

func (t tableLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	x := float32(0)
	for i, o := range objs {
		w := s.Width * t[i]
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, s.Height))
		x += w
	}
}

func (t tableLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(0, h)
}

// rowsLayout stacks rows with no space between them.
type rowsLayout struct{}

func (rowsLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(s.Width, h))
		y += h
	}
}

func (rowsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		ms := o.MinSize()
		m.Width = max(m.Width, ms.Width)
		m.Height += ms.Height
	}
	return m
}
