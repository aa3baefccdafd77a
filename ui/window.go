package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
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
	moved := first || prev.Screen != v.Screen || prev.Banner.User != v.Banner.User

	// Reset what a field holds only when the app means it to change, so that
	// a banner update in the middle of a scan keeps the digits typed so far.
	if moved || v.Screen != ScreenEntry || prev.EntryText != v.EntryText {
		w.nhs.SetText(v.EntryText)
		// A number handed back after an error is selected, so the next scan
		// replaces it rather than being appended to it.
		w.nhs.selectAll()
	}
	if moved || v.Screen != ScreenSearch || !sameQuery(prev.Search, v.Search) {
		w.search.load(v.Search)
	}
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

	top := banner(v)
	bottom := footer(v)
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
	return w.view.Busy.Active || (w.view.Screen == ScreenEntry && w.view.Banner.User == "")
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
	// tap first. Other screens start with nothing focused: a stray scan's
	// Enter there must press nothing.
	if w.view.Screen == ScreenEntry && !w.nhs.Disabled() && (f == nil || fresh) {
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

// register makes a control reachable by focus across renders.
func (w *Window) register(f identified) { w.focusables[f.focusID()] = f }

// button builds a button that is disabled while the app is busy.
func (w *Window) button(id, label string, l look, onTap func()) *tapArea {
	b := newButton(id, label, l, onTap, w.key)
	if w.view.Busy.Active {
		b.disabled = true
	}
	w.register(b)
	return b
}

// ---- keys ----

// key handles the keys that mean the same whatever has focus.
func (w *Window) key(ev *fyne.KeyEvent) bool {
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
	switch v.Screen {
	case ScreenSearch, ScreenResults, ScreenConfirm:
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
	if (ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter) && w.view.Screen == ScreenEntry {
		w.submitNHS()
	}
}

// canvasRune sends typing into the NHS number field when nothing has focus
// on the entry screen: a scan after a stray tap on the background must not
// be lost.
func (w *Window) canvasRune(r rune) {
	if w.view.Screen != ScreenEntry || w.nhs.Disabled() {
		return
	}
	w.win.Canvas().Focus(w.nhs)
	w.nhs.TypedRune(r)
}

func (w *Window) submitNHS() {
	if w.view.Screen != ScreenEntry || w.blocked() {
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
}

func (w *Window) body(v View) fyne.CanvasObject {
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
	default:
		p = w.entryPage(v)
	}
	return w.frame(v, p)
}

func (w *Window) frame(v View, p page) fyne.CanvasObject {
	var top []fyne.CanvasObject
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
	var bar fyne.CanvasObject
	if len(p.actions) > 0 {
		bar = container.New(layout.NewCustomPaddedLayout(12, 4, 0, 0), container.NewHBox(p.actions...))
	}
	page := container.NewBorder(container.NewVBox(top...), bar, nil, nil, content)
	return container.New(columnLayout{columnWidth}, pad(page, 14, 24))
}

// messageOnTop reports whether the View's message goes at the top of the
// screen. On a patient whose alert could not be checked it is shown in the
// alert tab instead, where the missing answer would be.
func messageOnTop(v View) bool {
	return v.Message != nil && !(v.Screen == ScreenPatient && v.Patient != nil && v.Alert == AlertUnknown)
}

func (w *Window) messagePanel(m Message) fyne.CanvasObject {
	accent, fill := nhsRed, nhsWhite
	if m.Warn {
		accent, fill = nhsWarm, nhsPaleWarm
	}
	parts := []fyne.CanvasObject{large(m.Title, theme.ColorNameForeground)}
	if m.Body != "" {
		parts = append(parts, para(m.Body))
	}
	if m.Next != "" {
		parts = append(parts, bold(m.Next))
	}
	dismiss := w.button("dismiss", "Dismiss", lookSecondary, w.act.DismissMessage)
	body := container.NewBorder(nil, nil, nil, container.NewVBox(dismiss), container.NewVBox(parts...))
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
