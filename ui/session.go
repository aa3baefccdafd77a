package ui

import (
	"image/color"
	"strconv"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
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

// keypadTarget is the least size of a keypad key: larger than the kiosk's
// other buttons, because the keys are pressed in quick succession with
// gloves on.
var keypadTarget = fyne.NewSize(96, 72)

// passcodeGate reports whether the session screen asks for the passcode.
func passcodeGate(g Gate) bool { return g == GatePasscode || g == GateLocked }

// sessionPage is the screen of the smartcard sign-in that stands in for
// the check flow while the session is not open.
func (w *Window) sessionPage(v View) page {
	s := v.Session
	switch s.Gate {
	case GateNoReader:
		return page{
			heading: "Connect the smartcard reader",
			content: container.NewVBox(
				step("1", "Plug the smartcard reader into this computer.",
					"The kiosk carries on by itself as soon as it finds the reader."),
				step("2", "If the reader is plugged in, call IT.",
					"The smartcard service on this computer may be stopped."),
			),
		}
	case GateInsertCard:
		parts := []fyne.CanvasObject{
			text("Insert your NHS smartcard", sizeHuge, theme.ColorNameForeground, true),
			para("Put it in the reader, chip first. You will then be asked for your passcode."),
		}
		if s.Reader != "" {
			parts = append(parts, secondary("Reader: "+s.Reader))
		}
		return page{content: container.NewVBox(inset(container.NewVBox(parts...), nhsBlue, nhsWhite))}
	case GatePasscode, GateLocked:
		return w.passcodePage(v)
	case GateChooseRole:
		return w.rolePage(v)
	case GateRefused:
		return refusedPage(v)
	}
	// GateStarting, and any state this window does not know: a wait.
	bar := widget.NewProgressBarInfinite()
	return page{
		heading: "Starting the kiosk…",
		content: container.NewVBox(
			left(bar, 520),
			secondary("Looking for the smartcard reader and checking the link to the Spine."),
		),
	}
}

// step is one numbered instruction, large enough to follow from a metre.
func step(n, do, more string) fyne.CanvasObject {
	num := canvas.NewText(n, nhsWhite)
	num.TextSize = textLarge
	num.TextStyle.Bold = true
	disc := canvas.NewCircle(nhsBlue)
	mark := container.NewStack(disc, container.NewCenter(num))
	badge := container.NewVBox(container.New(layout.NewGridWrapLayout(fyne.NewSquareSize(44)), mark))
	body := container.NewVBox(large(do, theme.ColorNameForeground), para(more))
	return container.New(layout.NewCustomPaddedLayout(0, 12, 0, 0),
		container.NewBorder(nil, nil, container.New(layout.NewCustomPaddedLayout(0, 0, 0, 16), badge), nil, body))
}

// passcodePage asks for the passcode, on first sign-in and on the lock
// screen alike: the field on the left, where a keyboard user looks, and a
// keypad on the right under a gloved hand.
func (w *Window) passcodePage(v View) page {
	s := v.Session
	w.register(w.pass)

	var parts []fyne.CanvasObject
	head := "Enter your passcode"
	if s.Gate == GateLocked {
		head = "Locked"
		if s.UserName != "" {
			parts = append(parts, large(s.UserName, theme.ColorNameForeground))
		}
		parts = append(parts, para("The kiosk locked after a period of no use. Enter your passcode to carry on, or take your card out."))
	} else {
		if s.UserName != "" {
			parts = append(parts, large(s.UserName, theme.ColorNameForeground))
		}
		parts = append(parts, para("The passcode of the smartcard in the reader."))
	}
	if s.TriesLeft > 0 {
		parts = append(parts, triesLeft(s.TriesLeft))
	}
	w.passHint = text("", theme.SizeNameText, colorSecondary, false)
	parts = append(parts, gap(4), w.pass, w.passHint)
	if s.Gate == GatePasscode {
		parts = append(parts, gap(8), secondary("Not you? Take your card out."))
	}

	w.signIn = w.button("signin", "Sign in  (Enter)", lookPrimary, w.submitPasscode)
	w.signIn.min = fyne.NewSize(0, keypadTarget.Height)
	w.signIn.runes = w.keypadRune
	w.passcodeChanged()

	keys := container.NewVBox(w.keypad(v.Busy.Active), gap(4), w.signIn)
	columns := container.NewBorder(nil, nil, nil,
		container.New(layout.NewCustomPaddedLayout(0, 0, 32, 0),
			container.New(fixedWidth{3*keypadTarget.Width + 2*theme.Padding()}, keys)),
		container.NewVBox(parts...))
	return page{heading: head, content: columns}
}

// triesLeft is the warning after a wrong passcode. The last try is said
// louder: one more mistake locks the card until the registration
// authority unlocks it, perhaps not before morning.
func triesLeft(n int) fyne.CanvasObject {
	if n == 1 {
		return panel(container.NewVBox(
			large("Wrong passcode. 1 try left before the card is locked.", colorWhite),
			text("Check the passcode before you sign in. A locked card can only be unlocked by your registration authority.",
				theme.SizeNameText, colorWhite, false),
		), nhsRed, nhsDarkRed, 3)
	}
	msg := "Wrong passcode. " + strconv.Itoa(n) + " tries left before the card is locked."
	return inset(text(msg, theme.SizeNameText, theme.ColorNameError, true), nhsRed, nhsWhite)
}

// keypad is the on-screen keypad: 1 to 9, then Clear, 0 and Delete, as on
// a phone. A key puts the focus back in the field, so that the keyboard
// goes on working after a tap.
func (w *Window) keypad(busy bool) fyne.CanvasObject {
	key := func(id string, l look, content fyne.CanvasObject, texts []*canvas.Text, onTap func()) fyne.CanvasObject {
		k := newTapArea(id, l, content, texts, func() {
			onTap()
			w.focusPasscode()
		}, w.key)
		k.min = keypadTarget
		k.runes = w.keypadRune
		k.disabled = busy
		w.register(k)
		return k
	}
	word := func(s string, size float32, symbol bool) *canvas.Text {
		t := canvas.NewText(s, nhsText)
		t.TextSize = size
		t.TextStyle = fyne.TextStyle{Bold: !symbol, Symbol: symbol}
		return t
	}
	var keys []fyne.CanvasObject
	digit := func(d rune) {
		t := word(string(d), textHeading, false)
		keys = append(keys, key("key-"+string(d), lookKey, container.NewCenter(t), []*canvas.Text{t},
			func() { w.pass.typed(d) }))
	}
	for d := '1'; d <= '9'; d++ {
		digit(d)
	}
	clr := word("Clear", textBody, false)
	keys = append(keys, key("key-clear", lookSecondary, container.NewCenter(clr), []*canvas.Text{clr}, w.pass.clear))
	digit('0')
	// The erase sign, as on a phone's keypad, comes from the symbol font.
	del := word("⌫", textHeading, true)
	keys = append(keys, key("key-delete", lookSecondary, container.NewCenter(del), []*canvas.Text{del}, w.pass.backspace))
	return container.NewGridWithColumns(3, keys...)
}

// lookKey is a keypad digit: a white key with dark figures, like a
// telephone's, so that it reads as a key rather than a link.
var lookKey = look{fill: nhsWhite, hover: nhsPaleBlue, stroke: nhsSecondary, shadow: nhsSecondary, text: nhsText}

// keypadRune takes typing while a key of the keypad has focus (after Tab).
func (w *Window) keypadRune(r rune) {
	if passcodeGate(w.view.Session.Gate) && !w.pass.Disabled() {
		w.focusPasscode()
		w.pass.typed(r)
	}
}

func (w *Window) focusPasscode() {
	if passcodeGate(w.view.Session.Gate) && !w.pass.Disabled() {
		w.win.Canvas().Focus(w.pass)
	}
}

// passcodeChanged brings Sign in and the hint under the field up to date
// as the passcode is typed, without redrawing the screen.
func (w *Window) passcodeChanged() {
	p := w.pass
	if w.signIn != nil {
		w.signIn.disabled = !p.ready() || w.view.Busy.Active
		w.signIn.Refresh()
	}
	if w.passHint == nil {
		return
	}
	msg, col, strong := "Type it on the keypad or the keyboard, then Sign in.", colorSecondary, false
	switch {
	case p.tooLong:
		msg, col, strong = "That is more than "+strconv.Itoa(passcodeMax)+" characters, so it is not a passcode. Press Clear and type it again.",
			theme.ColorNameError, true
	case p.nudged && len(p.chars) == 0:
		msg, col, strong = "Type your passcode first.", theme.ColorNameError, true
	case p.nudged:
		msg, col, strong = "A passcode has at least "+strconv.Itoa(passcodeMin)+" characters.", theme.ColorNameError, true
	}
	sg := w.passHint.Segments[0].(*widget.TextSegment)
	if sg.Text == msg {
		return
	}
	sg.Text, sg.Style.ColorName, sg.Style.TextStyle.Bold = msg, col, strong
	w.passHint.Refresh()
	// The hint may now take another line.
	w.root.Refresh()
}

// submitPasscode hands the passcode over and empties the field first: the
// window keeps no copy, whatever the app does next.
func (w *Window) submitPasscode() {
	v := w.view
	if !passcodeGate(v.Session.Gate) || v.Busy.Active {
		return
	}
	if !w.pass.ready() {
		w.pass.nudge()
		return
	}
	w.act.SubmitPasscode(w.pass.take())
}

// rolePage lists the card holder's roles as large rows; a role that
// cannot be used on this kiosk is greyed with the reason, rather than
// hidden, so nobody wonders where it went.
func (w *Window) rolePage(v View) page {
	var rows []fyne.CanvasObject
	for i, r := range v.Session.Roles {
		rows = append(rows, w.roleRow(i, r, v.Busy.Active))
	}
	if len(rows) == 0 {
		rows = append(rows, para("Your smartcard has no role for this kiosk. Take your card out and ask your registration authority."))
	}
	return page{
		heading: "Choose your role for this session",
		lead:    secondary("Your smartcard has more than one role. The role decides what you may do here."),
		content: container.NewVBox(rows...),
	}
}

func (w *Window) roleRow(i int, r RoleChoice, busy bool) fyne.CanvasObject {
	main := theme.ColorNameForeground
	if !r.Usable {
		main = colorSecondary
	}
	org := r.OrgName
	if r.OrgCode != "" {
		org += " (" + r.OrgCode + ")"
	}
	parts := []fyne.CanvasObject{
		large(r.JobRole, main),
		rich(seg(org, theme.SizeNameText, main, true),
			seg("    Activity codes ", theme.SizeNameText, colorSecondary, false),
			seg(r.Codes, theme.SizeNameText, main, true)),
	}
	if !r.Usable {
		why := r.Why
		if why == "" {
			why = "This role cannot be used on this kiosk."
		}
		parts = append(parts, text("Cannot be used here: "+why, theme.SizeNameText, theme.ColorNameForeground, true))
	}
	id := r.ID
	row := newTapArea("role-"+strconv.Itoa(i), lookCard, container.NewVBox(parts...), nil,
		func() { w.act.ChooseRole(id) }, w.key)
	row.disabled = busy || !r.Usable
	w.register(row)
	return container.New(layout.NewCustomPaddedLayout(0, 6, 0, 0), row)
}

// refusedPage says why the card cannot be used, and the one thing to do.
func refusedPage(v View) page {
	m := Message{
		Title: "This smartcard cannot be used on this kiosk.",
		Next:  "Ask your registration authority about your smartcard.",
	}
	if v.Message != nil {
		m = *v.Message
	}
	parts := []fyne.CanvasObject{large(m.Title, theme.ColorNameForeground)}
	if m.Body != "" {
		parts = append(parts, para(m.Body))
	}
	if m.Next != "" {
		parts = append(parts, bold(m.Next))
	}
	return page{
		heading: "Take your card out",
		content: container.NewVBox(inset(container.NewVBox(parts...), nhsRed, nhsWhite)),
	}
}

// fixedWidth gives its content exactly one width, whatever room there is:
// the keypad keeps its shape on every screen size.
type fixedWidth struct{ width float32 }

func (f fixedWidth) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(fyne.NewSize(f.width, s.Height))
	}
}

func (f fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m := fyne.NewSize(f.width, 0)
	for _, o := range objs {
		m.Height = max(m.Height, o.MinSize().Height)
	}
	return m
}

// ---- the passcode field ----

// passcodeField takes the smartcard passcode from the keyboard and the
// keypad and shows one dot per character, never the characters. It is
// not a widget.Entry: an Entry keeps undo history, a selection and a menu
// with Copy, any of which could hold on to the passcode after it is sent.
type passcodeField struct {
	widget.BaseWidget
	id       string
	keys     keyHandler
	poke     func()
	onSubmit func()
	onChange func() // after every edit: Sign in and the hint follow
	onTap    func()

	chars   []rune
	tooLong bool // more was typed than a passcode can be: a scan, not a passcode
	nudged  bool // Sign in was pressed before the passcode was long enough

	focused, disabled bool
}

func newPasscodeField(id string, keys keyHandler) *passcodeField {
	f := &passcodeField{id: id, keys: keys, chars: make([]rune, 0, passcodeMax)}
	f.ExtendBaseWidget(f)
	return f
}

func (f *passcodeField) focusID() string { return f.id }

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
	if f.keys != nil && f.keys(ev) {
		return
	}
	f.edit(ev)
}

func (f *passcodeField) TypedRune(r rune) {
	if f.poke != nil {
		f.poke()
	}
	f.typed(r)
}

func (f *passcodeField) Tapped(*fyne.PointEvent) {
	if f.poke != nil {
		f.poke()
	}
	if f.onTap != nil {
		f.onTap()
	}
}

func (f *passcodeField) FocusGained() { f.focused = true; f.Refresh() }
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
	switch {
	case f.disabled:
		r.frame.FillColor = color.Transparent
	case f.focused:
		r.frame.FillColor = nhsFocus
	case f.tooLong:
		r.frame.FillColor = nhsRed
	default:
		r.frame.FillColor = color.Transparent
	}
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
