package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/nhs-cpis/kiosk/cpis"
)

// Window draws a View into a Fyne window. Only the Fyne goroutine may call
// its methods; other goroutines go through Binding.
type Window struct {
	win  fyne.Window
	act  Actions
	root *fyne.Container

	view     View
	rendered bool

	// The fields outlive renders: rebuilding them would drop the focus and
	// whatever a barcode scanner is half-way through typing.
	nhs    *textField
	search *searchForm
	pass   *passcodeField
	note   *textField // the review's "Action taken"
	audit  *auditForm // the lead's audit filter
	// noteFor is the review item the note was typed for: another item's
	// note must never carry over to it.
	noteFor uint64

	// This render's controls that follow what is typed without a redraw.
	signIn   *tapArea
	passHint *widget.RichText
	signOff  *tapArea

	// focusables holds this render's focusable controls by id.
	focusables map[string]identified

	// scroll is this render's scrolling content, which the keyboard
	// scrolls (scroll.go); nil when the screen has none.
	scroll *container.Scroll

	// burst is the keys arriving as fast as a scanner types (scan.go), on
	// the clock now (time.Now; a field so that tests can drive it).
	burst scanBurst
	now   func() time.Time
}

// New puts the kiosk's screens into win and returns the Window that draws
// them. It shows the empty entry screen until the first Render.
func New(win fyne.Window, act Actions) *Window {
	w := &Window{win: win, act: act, root: container.NewWithoutLayout(), now: time.Now}
	w.nhs = w.textField("nhs", textEntry)
	w.nhs.PlaceHolder = "NHS number (type or scan)"
	w.nhs.OnSubmitted = func(string) { w.submitNHS(act) }
	w.search = newSearchForm(w, act)
	w.audit = newAuditForm(w, act)
	w.pass = newPasscodeField("passcode", w.key)
	w.pass.onSubmit = func() { w.submitPasscode(act) }
	w.pass.onChange = w.passcodeChanged
	w.pass.onTap = w.focusPasscode
	w.note = w.textField("note", textBody)
	w.note.PlaceHolder = "For example: called the duty social worker"
	w.note.OnChanged = func(string) { w.noteChanged() }
	w.note.OnSubmitted = func(string) { w.submitSignOff(act) }

	// The banner runs edge to edge, like the NHS.UK header.
	win.SetPadded(false)
	win.SetContent(w.root)
	c := win.Canvas()
	c.SetOnTypedKey(w.canvasKey)
	c.SetOnTypedRune(w.canvasRune)
	w.Render(View{})
	return w
}

// Render redraws the whole window from v. The screen's containers are built
// afresh: a View is small and a redraw is cheaper than keeping old widgets
// in step, and a patient's details cannot linger in a widget nobody reset.
func (w *Window) Render(v View) {
	prev, first := w.view, !w.rendered
	w.view, w.rendered = v, true
	gate := v.Session.Gate
	moved := first || prev.Screen != v.Screen || prev.Banner.User != v.Banner.User ||
		prev.Session.Gate != gate

	switch {
	case gate != cpis.GateOpen:
		// Behind the session screens no field may keep a patient's details
		// to show them to whoever signs in next.
		w.nhs.SetText("")
		w.search.load(cpis.SearchQuery{})
	default:
		// Reset what a field holds only when the app means it to change, so
		// that a banner update in the middle of a scan keeps the digits
		// typed so far. A new message (a new pointer: the same words again
		// are a new answer) is the app's answer to what was typed: after
		// "Recorded" the field is empty for the next child.
		// A message taken away (Escape, Dismiss) is no answer: digits typed
		// meanwhile stay.
		if moved || v.Screen != ScreenEntry || prev.EntryText != v.EntryText || (prev.Message != v.Message && v.Message != nil) {
			// A number handed back after an error is framed red, and the
			// next key typed replaces it rather than joining it. (Selecting
			// it instead lost the first key typed under the desktop driver.)
			w.nhs.SetText(v.EntryText)
			w.nhs.CursorColumn = len([]rune(v.EntryText))
			w.nhs.replaceNext = v.EntryText != ""
			w.nhs.setInvalid(v.EntryText != "")
		}
		if moved || v.Screen != ScreenSearch || !sameQuery(prev.Search, v.Search) {
			w.search.load(v.Search)
		}
	}
	// A passcode half typed when the card comes out goes with it.
	if !passcodeGate(v.Session) || prev.Session.Gate != gate {
		w.pass.clear()
	}
	w.pass.setDisabled(v.Busy.Active)
	w.keepNote(v)
	w.keepAuditForm(v)
	enable(w.nhs, !w.blocked())
	w.nhs.paintFrame()

	focused := ""
	if f, ok := w.win.Canvas().Focused().(identified); ok {
		focused = f.focusID()
	}
	w.focusables = map[string]identified{}

	top := w.banner(v, w.act)
	if v.Replay.Active {
		top = container.New(rowsLayout{}, top, replayStrip(v.Replay))
	}
	bottom := w.withStatusButton(v, footer(v), w.act)
	body := w.body(v)
	w.root.Layout = layout.NewBorderLayout(top, bottom, nil, nil)
	w.root.Objects = []fyne.CanvasObject{body, top, bottom}
	// Wrapped text knows its height only once it knows its width, so a
	// second pass lays it out with both, as the desktop driver would on its
	// next frame; without it a long safeguarding route is cut off.
	w.root.Refresh()
	w.root.Refresh()

	w.settleFocus(focused, moved || (prev.Busy.Active && !v.Busy.Active))
}

// blocked is when the entry screen's controls must not take input: during
// a wait, and with no smartcard, since a trace needs the card's role.
func (w *Window) blocked() bool {
	return w.view.Session.Gate != cpis.GateOpen || w.view.Busy.Active ||
		(w.view.Screen == ScreenEntry && w.view.Banner.User == "")
}

// settleFocus keeps keyboard focus on a control of the new screen. A
// focused control that left the screen would otherwise go on taking keys
// unseen: a scanner's digits and Enter would trace from a hidden field.
func (w *Window) settleFocus(id string, fresh bool) {
	c := w.win.Canvas()
	f := c.Focused()
	if f != nil && !w.owns(f) {
		c.Unfocus()
		f = nil
	}
	if f == nil && id != "" && !fresh {
		if g, ok := w.focusables[id]; ok && !g.Disabled() {
			c.Focus(g)
			f = g
		}
	}
	// The NHS number field has focus on the entry screen, so a scan needs no
	// tap first, the passcode field on the passcode screens, and the family
	// name on the search form. Other screens start with nothing focused: a
	// stray scan's Enter there must press nothing.
	switch {
	case f != nil && !fresh:
	case passcodeGate(w.view.Session):
		if !w.pass.Disabled() {
			c.Focus(w.pass)
		}
	case w.view.Session.Gate == cpis.GateOpen && w.view.Screen == ScreenEntry && !w.nhs.Disabled():
		c.Focus(w.nhs)
	case w.view.Session.Gate == cpis.GateOpen && w.view.Screen == ScreenSearch && fresh && !w.search.family.Disabled():
		// The form's first field, so the details can be typed at once.
		c.Focus(w.search.family)
	}
}

func (w *Window) owns(f fyne.Focusable) bool {
	for _, g := range w.focusables {
		if fyne.Focusable(g) == f {
			return true
		}
	}
	return false
}

// register makes a control reachable by focus across renders, and has it
// report every touch and key for the idle timer.
func (w *Window) register(f identified) {
	f.base().poke = w.act.Activity
	if o, ok := f.(fyne.CanvasObject); ok {
		f.base().reveal = func() { w.reveal(o) }
	}
	w.focusables[f.focusID()] = f
}

// textField is a field with the window's keys, whose runes the scan
// detector sees first.
func (w *Window) textField(id string, size float32) *textField {
	f := newTextField(id, size, w.key)
	f.scan = w.scanRune
	return f
}

// button builds a button that is disabled while the app is busy.
func (w *Window) button(id, label string, l look, onTap func()) *tapArea {
	b := newButton(id, label, l, onTap, w.key)
	// A digit typed while a button has focus (after Escape or a tap) goes
	// where it would have gone with nothing focused: a scan is never cut.
	b.runes = w.canvasRune
	if w.view.Busy.Active {
		b.disabled = true
	}
	w.register(b)
	return b
}

// back is the Back button, which Escape presses too.
func (w *Window) back(l look) *tapArea { return w.backAs("back", "Back  (Esc)", l) }

// backAs is a button that goes back under another name, such as Cancel.
func (w *Window) backAs(id, label string, l look) *tapArea { return w.button(id, label, l, w.act.Back) }

// row is a large tappable card that is a whole item of a list: a search
// match, a role, a review item, a question's tick box.
func (w *Window) row(id string, content fyne.CanvasObject, onTap func(), disabled bool) *tapArea {
	r := newTapArea(id, lookCard, content, nil, onTap, w.key)
	// A scan with a row focused (a question's tick, a match, a review
	// item) is a scan all the same.
	r.runes = w.canvasRune
	r.disabled = disabled
	w.register(r)
	return r
}
