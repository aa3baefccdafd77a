package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/nhs-cpis/kiosk/cpis"
)

// columnWidth is the widest the screens' content grows: on a full HD
// screen wider lines would be hard to follow, and the eye would have to
// travel from the label to the action.
const columnWidth = 1200

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
	audit  *auditForm // the lead's audit filter (audit.go), made on first use
	// noteFor is the review item the note was typed for: another item's
	// note must never carry over to it.
	noteFor uint64

	// This render's controls that follow what is typed without a redraw.
	signIn   *tapArea
	passHint *widget.RichText
	signOff  *tapArea

	// focusables holds this render's focusable controls by id.
	focusables map[string]identified
}

// New puts the kiosk's screens into win and returns the Window that draws
// them. It shows the empty entry screen until the first Render.
func New(win fyne.Window, act Actions) *Window {
	w := &Window{win: win, act: act, root: container.NewWithoutLayout()}
	w.nhs = newTextField("nhs", textEntry, w.key)
	w.nhs.PlaceHolder = "NHS number (type or scan)"
	w.nhs.OnSubmitted = func(string) { w.submitNHS() }
	w.search = newSearchForm(w)
	w.pass = newPasscodeField("passcode", w.key)
	w.pass.onSubmit = w.submitPasscode
	w.pass.onChange = w.passcodeChanged
	w.pass.onTap = w.focusPasscode
	w.note = newTextField("note", textBody, w.key)
	w.note.PlaceHolder = "For example: called the duty social worker"
	w.note.OnChanged = func(string) { w.noteChanged() }
	w.note.OnSubmitted = func(string) { w.submitSignOff() }

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
	case gate != GateOpen:
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
			w.nhs.SetText(v.EntryText)
			// A number handed back after an error is selected, so the next
			// scan replaces it rather than being appended to it.
			w.nhs.selectAll()
		}
		if moved || v.Screen != ScreenSearch || !sameQuery(prev.Search, v.Search) {
			w.search.load(v.Search)
		}
	}
	// A passcode half typed when the card comes out goes with it.
	if !passcodeGate(gate) || prev.Session.Gate != gate {
		w.pass.clear()
	}
	w.pass.setDisabled(v.Busy.Active)
	w.keepNote(v)
	w.keepAuditForm(v)
	if w.blocked() {
		w.nhs.Disable()
	} else {
		w.nhs.Enable()
	}
	w.nhs.paintFrame()

	focused := ""
	if f, ok := w.win.Canvas().Focused().(identified); ok {
		focused = f.focusID()
	}
	w.focusables = map[string]identified{}

	top := w.banner(v)
	if v.Replay.Active {
		top = container.New(rowsLayout{}, top, replayStrip(v.Replay))
	}
	bottom := w.withStatusButton(v, footer(v))
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
	return w.view.Session.Gate != GateOpen || w.view.Busy.Active ||
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
		if g, ok := w.focusables[id]; ok && enabled(g) {
			c.Focus(g)
			f = g
		}
	}
	// The NHS number field has focus on the entry screen, so a scan needs no
	// tap first, and the passcode field on the passcode screens. Other
	// screens start with nothing focused: a stray scan's Enter there must
	// press nothing.
	switch {
	case f != nil && !fresh:
	case passcodeGate(w.view.Session.Gate):
		if !w.pass.Disabled() {
			c.Focus(w.pass)
		}
	case w.view.Session.Gate == GateOpen && w.view.Screen == ScreenEntry && !w.nhs.Disabled():
		c.Focus(w.nhs)
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

func enabled(f fyne.Focusable) bool {
	d, ok := f.(fyne.Disableable)
	return !ok || !d.Disabled()
}

// register makes a control reachable by focus across renders, and has it
// report every touch and key for the idle timer.
func (w *Window) register(f identified) {
	switch x := f.(type) {
	case *tapArea:
		x.poke = w.act.Activity
	case *textField:
		x.poke = w.act.Activity
	case *choiceSelect:
		x.poke = w.act.Activity
	case *passcodeField:
		x.poke = w.act.Activity
	}
	w.focusables[f.focusID()] = f
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

// ---- keys ----

// key handles the keys that mean the same whatever has focus. Every key
// passes here, focused or not, so it is where a key press restarts the
// idle timer.
func (w *Window) key(ev *fyne.KeyEvent) bool {
	w.act.Activity()
	if ev.Name != fyne.KeyEscape {
		return false
	}
	w.escape()
	return true
}

// escape closes the topmost thing: the message, else the screen.
func (w *Window) escape() {
	v := w.view
	if v.Busy.Active {
		return
	}
	if messageOnTop(v) {
		w.act.DismissMessage()
		return
	}
	if v.Screen == ScreenStatus {
		w.act.Back()
		return
	}
	if v.Session.Gate != GateOpen {
		if passcodeGate(v.Session.Gate) {
			w.pass.clear()
		}
		return
	}
	switch v.Screen {
	case ScreenSearch, ScreenResults, ScreenConfirm, ScreenQueue, ScreenReview, ScreenAudit, ScreenStaff, ScreenGoLive:
		w.act.Back()
	case ScreenPatient, ScreenAlert:
		w.act.NewPatient()
	}
}

// canvasKey gets keys when nothing has focus.
func (w *Window) canvasKey(ev *fyne.KeyEvent) {
	if w.key(ev) {
		return
	}
	switch {
	case passcodeGate(w.view.Session.Gate):
		w.pass.edit(ev)
	case (ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter) && w.view.Screen == ScreenEntry:
		w.submitNHS()
	}
}

// canvasRune sends typing into the field of the screen when nothing has
// focus: a scan, or a passcode, typed after a stray tap on the background
// must not be lost.
func (w *Window) canvasRune(r rune) {
	w.act.Activity()
	switch {
	case passcodeGate(w.view.Session.Gate):
		if !w.pass.Disabled() {
			w.focusPasscode()
			w.pass.typed(r)
		}
	case w.view.Session.Gate == GateOpen && w.view.Screen == ScreenEntry && !w.nhs.Disabled():
		w.win.Canvas().Focus(w.nhs)
		w.nhs.Entry.TypedRune(r)
	}
}

// submitNHS traces the number, or while the Spine is down records the
// presentation for a check when it is back.
func (w *Window) submitNHS() {
	if w.view.Screen != ScreenEntry || w.blocked() {
		return
	}
	if w.view.Downtime != nil {
		w.act.RecordPresentation(w.nhs.Text, cpis.SearchQuery{})
		return
	}
	w.act.TraceNHS(w.nhs.Text)
}

// ---- page frame ----

// page is one screen's parts; frame() lays them out the same way on every
// screen, so the next action is always in the same place.
type page struct {
	heading string
	lead    fyne.CanvasObject   // above the scrolling content, never scrolled away
	content fyne.CanvasObject   // scrolls when the window is short
	actions []fyne.CanvasObject // the action bar, the main action first
	bar     fyne.CanvasObject   // an action bar laid out by the screen, instead of actions
}

func (w *Window) body(v View) fyne.CanvasObject {
	w.signIn, w.passHint, w.signOff = nil, nil, nil
	// The IT status holds no patient details, and IT needs it most when
	// nobody can sign in (no reader, no PC/SC service).
	if v.Screen == ScreenStatus {
		return w.frame(v, w.statusPage(v))
	}
	// While the session is not open the session screen is all there is:
	// nothing of the check flow is drawn, whatever the View still holds.
	if v.Session.Gate != GateOpen {
		return w.frame(v, w.sessionPage(v))
	}
	var p page
	switch v.Screen {
	case ScreenSearch:
		p = w.searchPage(v)
	case ScreenResults:
		p = w.resultsPage(v)
	case ScreenPatient:
		p = w.patientPage(v)
	case ScreenConfirm:
		p = w.confirmPage(v)
	case ScreenAlert:
		p = w.alertPage(v)
	case ScreenQueue:
		p = w.queuePage(v)
	case ScreenReview:
		p = w.reviewPage(v)
	case ScreenAudit:
		p = w.auditPage(v)
	case ScreenStaff:
		p = w.staffPage(v)
	case ScreenGoLive:
		p = w.readinessPage(v)
	default:
		p = w.entryPage(v)
		if v.Lead && v.Downtime == nil {
			p.actions = append(p.actions, w.button("lead", "Audit, staff checks and readiness", lookSecondary,
				func() { w.act.ShowAudit(AuditFilter{}) }))
		}
	}
	return w.frame(v, p)
}

func (w *Window) frame(v View, p page) fyne.CanvasObject {
	var top []fyne.CanvasObject
	if v.Downtime != nil && v.Session.Gate == GateOpen {
		top = append(top, downtimePanel(v))
	}
	if messageOnTop(v) {
		top = append(top, w.messagePanel(*v.Message))
	}
	if v.Busy.Active {
		top = append(top, busyPanel(v.Busy))
	}
	if p.heading != "" {
		top = append(top, heading(p.heading))
	}
	if p.lead != nil {
		top = append(top, p.lead)
	}
	var content fyne.CanvasObject = layout.NewSpacer()
	if p.content != nil {
		// Room on the right for the scroll bar, so it never covers text.
		content = container.NewVScroll(container.New(layout.NewCustomPaddedLayout(0, 8, 0, 24), p.content))
	}
	bar := p.bar
	if bar == nil && len(p.actions) > 0 {
		bar = container.NewHBox(p.actions...)
	}
	if bar != nil {
		bar = container.New(layout.NewCustomPaddedLayout(12, 4, 0, 0), bar)
	}
	l := pageLayout{bar: bar != nil}
	if bar == nil {
		bar = container.NewWithoutLayout()
	}
	page := container.New(l, container.NewVScroll(container.NewVBox(top...)), content, bar)
	return container.New(columnLayout{columnWidth}, pad(page, 14, 24))
}

// pageLayout stacks a screen's top (downtime panel, message, heading),
// its scrolling content and its action bar, as a border layout would, with
// one difference: the top keeps its whole height only while that is at
// most topShare of the page, and past that it scrolls on its own. A long
// fallback text under a long message can then never push the action bar
// off a 768 px screen, nor make the window grow past it.
type pageLayout struct{ bar bool }

const (
	topShare = 0.6
	topLeast = 160
)

func (l pageLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	top, content, bar := objs[0].(*container.Scroll), objs[1], objs[2]
	gap := theme.Padding()
	var barH float32
	if l.bar {
		barH = bar.MinSize().Height + gap
	}
	topH := min(top.Content.MinSize().Height, (s.Height-barH)*topShare)
	top.Move(fyne.NewPos(0, 0))
	top.Resize(fyne.NewSize(s.Width, topH))
	content.Move(fyne.NewPos(0, topH+gap))
	content.Resize(fyne.NewSize(s.Width, max(0, s.Height-topH-gap-barH)))
	bar.Move(fyne.NewPos(0, s.Height-barH+gap))
	bar.Resize(fyne.NewSize(s.Width, max(0, barH-gap)))
}

func (l pageLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	top := objs[0].(*container.Scroll).Content.MinSize()
	content := objs[1].MinSize()
	// The top's least height is what it shrinks to by scrolling.
	h := min(top.Height, topLeast) + theme.Padding() + content.Height
	w := max(top.Width, content.Width)
	if l.bar {
		b := objs[2].MinSize()
		h += b.Height + theme.Padding()
		w = max(w, b.Width)
	}
	return fyne.NewSize(w, h)
}

// messageOnTop reports whether the View's message goes at the top of the
// screen. On a patient whose alert could not be checked it is shown in the
// alert tab instead, where the missing answer would be; on a refused card
// it is the screen itself.
func messageOnTop(v View) bool {
	switch {
	case v.Message == nil:
		return false
	case v.Session.Gate != GateOpen:
		return v.Session.Gate != GateRefused
	}
	return !(v.Screen == ScreenPatient && v.Patient != nil && v.Alert == AlertUnknown)
}

func (w *Window) messagePanel(m Message) fyne.CanvasObject {
	accent, fill, title := nhsRed, nhsWhite, theme.ColorNameForeground
	switch {
	case m.Good:
		accent, title = nhsGreen, theme.ColorNameSuccess
	case m.Warn:
		accent, fill = nhsWarm, nhsPaleWarm
	}
	parts := []fyne.CanvasObject{large(m.Title, title)}
	if m.Body != "" {
		parts = append(parts, para(m.Body))
	}
	if m.Next != "" {
		parts = append(parts, bold(m.Next))
	}
	var body fyne.CanvasObject = container.NewVBox(parts...)
	// A notice that something was done needs no answer: it goes with the
	// next action (or Escape), and leaves the screen its height for it.
	if !m.Good {
		dismiss := w.button("dismiss", "Dismiss", lookSecondary, w.act.DismissMessage)
		body = container.NewBorder(nil, nil, nil, container.NewVBox(dismiss), body)
	}
	return container.New(layout.NewCustomPaddedLayout(0, 10, 0, 0), inset(body, accent, fill))
}

func busyPanel(b Busy) fyne.CanvasObject {
	label := b.Label
	if label == "" {
		label = "Please wait…"
	}
	bar := widget.NewProgressBarInfinite()
	return container.New(layout.NewCustomPaddedLayout(0, 10, 0, 0),
		inset(container.NewVBox(bold(label), bar), nhsBlue, nhsWhite))
}
