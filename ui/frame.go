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

// page is one screen's parts; frame() lays them out the same way on every
// screen, so the next action is always in the same place.
type page struct {
	heading string
	lead    fyne.CanvasObject   // above the scrolling content, never scrolled away
	content fyne.CanvasObject   // scrolls when the window is short
	actions []fyne.CanvasObject // the action bar, the main action first
	bar     fyne.CanvasObject   // an action bar laid out by the screen, instead of actions
}

// body is the screen the View is on, in its frame. Each family of screens
// is handed the part of Actions it uses.
func (w *Window) body(v View) fyne.CanvasObject {
	w.signIn, w.passHint, w.signOff = nil, nil, nil
	// The IT status holds no patient details, and IT needs it most when
	// nobody can sign in (no reader, no PC/SC service).
	if v.Screen == ScreenStatus {
		return w.frame(v, w.statusPage(v, w.act))
	}
	// While the session is not open the session screen is all there is:
	// nothing of the check flow is drawn, whatever the View still holds.
	if v.Session.Gate != cpis.GateOpen {
		return w.frame(v, w.sessionPage(v, w.act))
	}
	var p page
	switch v.Screen {
	case ScreenSearch, ScreenResults, ScreenPatient, ScreenConfirm, ScreenAlert:
		p = w.checkPage(v, w.act)
	case ScreenQueue, ScreenReview:
		p = w.waitingPage(v, w.act)
	case ScreenMatch:
		p = w.matchPage(v, w.act)
	case ScreenAudit, ScreenStaff, ScreenGoLive:
		p = w.leadPage(v, w.act)
	default:
		p = w.entryPage(v, w.act)
		if v.Lead && v.Downtime == nil {
			p.actions = append(p.actions, w.leadButton(w.act))
		}
	}
	return w.frame(v, p)
}

func (w *Window) frame(v View, p page) fyne.CanvasObject {
	var top []fyne.CanvasObject
	if v.Downtime != nil && v.Session.Gate == cpis.GateOpen {
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
	w.scroll = nil
	if p.content != nil {
		// Room on the right for the scroll bar, so it never covers text.
		w.scroll = container.NewVScroll(padded(p.content, 0, 8, 0, 24))
		content = w.scroll
	}
	bar := p.bar
	if bar == nil && len(p.actions) > 0 {
		bar = container.NewHBox(p.actions...)
	}
	if bar != nil {
		bar = padded(bar, 12, 4, 0, 0)
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
// screen; on a refused card it is the screen itself.
func messageOnTop(v View) bool {
	return v.Message != nil && v.Session.Gate != cpis.GateRefused
}

func (w *Window) messagePanel(m Message) fyne.CanvasObject {
	accent, fill, title := nhsRed, nhsWhite, theme.ColorNameForeground
	switch {
	case m.Good:
		accent, title = nhsGreen, theme.ColorNameSuccess
	case m.Warn:
		accent, fill = nhsWarm, nhsPaleWarm
	}
	var body fyne.CanvasObject = container.NewVBox(messageParts(m, title)...)
	// A notice that something was done needs no answer: it goes with the
	// next action (or Escape), and leaves the screen its height for it.
	if !m.Good {
		body = marked(body, w.button("dismiss", "Dismiss", lookSecondary, w.act.DismissMessage))
	}
	return below(inset(body, accent, fill), 10)
}

// messageParts are a message's title, what happened and what to do next.
func messageParts(m Message, title fyne.ThemeColorName) []fyne.CanvasObject {
	parts := []fyne.CanvasObject{large(m.Title, title)}
	if m.Body != "" {
		parts = append(parts, para(m.Body))
	}
	if m.Next != "" {
		parts = append(parts, bold(m.Next))
	}
	return parts
}

func busyPanel(b Busy) fyne.CanvasObject {
	label := b.Label
	if label == "" {
		label = "Please wait…"
	}
	bar := widget.NewProgressBarInfinite()
	return below(inset(container.NewVBox(bold(label), bar), nhsBlue, nhsWhite), 10)
}
