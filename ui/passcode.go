package ui

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The passcode screen: the field (passcodefield.go), the keypad beside it,
// and Sign in, shared by the first sign-in and the lock screen.

// keypadTarget is the least size of a keypad key: larger than the kiosk's
// other buttons, because the keys are pressed in quick succession with
// gloves on.
var keypadTarget = fyne.NewSize(96, 72)

// passcodeGate reports whether the session screen asks for the passcode:
// the sandbox's authenticator asks on the kiosk, and its card unlocks the
// lock screen. With CIS2 in the browser, the NHS authenticator asks.
func passcodeGate(s SessionView) bool {
	return s.Gate == cpis.GatePasscode || (s.Gate == cpis.GateLocked && !s.Browser)
}

// passcodePage asks for the passcode, on first sign-in and on the lock
// screen alike: the field on the left, where a keyboard user looks, and a
// keypad on the right under a gloved hand.
func (w *Window) passcodePage(v View, act SessionActions) page {
	s := v.Session
	w.register(w.pass)

	var parts []fyne.CanvasObject
	if s.UserName != "" {
		parts = append(parts, large(s.UserName, theme.ColorNameForeground))
	}
	head, about := "Enter your passcode", "The passcode of the smartcard in the reader."
	if s.Gate == cpis.GateLocked {
		head, about = "Locked", "The kiosk locked after a period of no use. Enter your passcode to carry on, or take your card out."
	}
	parts = append(parts, para(about))
	if s.TriesLeft > 0 {
		parts = append(parts, triesLeft(s.TriesLeft))
	}
	w.passHint = text("", theme.SizeNameText, colorSecondary, false)
	parts = append(parts, gap(4), w.pass, w.passHint)
	if s.Gate == cpis.GatePasscode {
		parts = append(parts, gap(8), secondary("Not you? Take your card out."))
	}

	w.signIn = w.button("signin", "Sign in  (Enter)", lookPrimary, func() { w.submitPasscode(act) })
	w.signIn.min = fyne.NewSize(0, keypadTarget.Height)
	w.signIn.runes = w.passcodeRune
	w.passcodeChanged()

	keys := container.NewVBox(w.keypad(v.Busy.Active), gap(4), w.signIn)
	columns := container.NewBorder(nil, nil, nil,
		padded(container.New(fixedWidth{3*keypadTarget.Width + 2*theme.Padding()}, keys), 0, 0, 32, 0),
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
	return inset(warning(msg), nhsRed, nhsWhite)
}

// keypad is the on-screen keypad: 1 to 9, then Clear, 0 and Delete, as on
// a phone. A key puts the focus back in the field, so that the keyboard
// goes on working after a tap.
func (w *Window) keypad(busy bool) fyne.CanvasObject {
	key := func(id string, l look, t *canvas.Text, onTap func()) fyne.CanvasObject {
		k := newTapArea(id, l, container.NewCenter(t), []*canvas.Text{t}, func() {
			onTap()
			w.focusPasscode()
		}, w.key)
		k.min = keypadTarget
		k.runes = w.passcodeRune
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
		keys = append(keys, key("key-"+string(d), lookKey, word(string(d), textHeading, false), func() { w.pass.typed(d) }))
	}
	for d := '1'; d <= '9'; d++ {
		digit(d)
	}
	keys = append(keys, key("key-clear", lookSecondary, word("Clear", textBody, false), w.pass.clear))
	digit('0')
	// The erase sign, as on a phone's keypad, comes from the symbol font.
	keys = append(keys, key("key-delete", lookSecondary, word("⌫", textHeading, true), w.pass.backspace))
	return container.NewGridWithColumns(3, keys...)
}

// lookKey is a keypad digit: a white key with dark figures, like a
// telephone's, so that it reads as a key rather than a link.
var lookKey = look{fill: nhsWhite, hover: nhsPaleBlue, stroke: nhsSecondary, shadow: nhsSecondary, text: nhsText}

// passcodeRune sends typing to the passcode field while a key of the
// keypad has focus (after Tab), or nothing has.
func (w *Window) passcodeRune(r rune) {
	if passcodeGate(w.view.Session) && !w.pass.Disabled() {
		w.focusPasscode()
		w.pass.typed(r)
	}
}

func (w *Window) focusPasscode() {
	if passcodeGate(w.view.Session) && !w.pass.Disabled() {
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
	if retext(w.passHint, msg, col, strong) {
		// The hint may now take another line.
		w.root.Refresh()
	}
}

// submitPasscode hands the passcode over and empties the field first: the
// window keeps no copy, whatever the app does next.
func (w *Window) submitPasscode(act SessionActions) {
	v := w.view
	if !passcodeGate(v.Session) || v.Busy.Active {
		return
	}
	if !w.pass.ready() {
		w.pass.nudge()
		return
	}
	act.SubmitPasscode(w.pass.take())
}
