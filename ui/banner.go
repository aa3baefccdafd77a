package ui

import (
	"image/color"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/nhs-cpis/kiosk/cpis"
)

// banner is the strip across the top of every screen: where the kiosk is,
// who is signed in, and whether a check made now reaches the Spine.
func (w *Window) banner(v View, act ReviewActions) fyne.CanvasObject {
	b := v.Banner
	place := b.Setting
	if b.Organisation != "" {
		if place != "" {
			place += " · "
		}
		place += b.Organisation
	}
	where := line(place, colorWhite, true)

	var who fyne.CanvasObject
	if b.User == "" {
		who = warmPill(signInStep(v.Session.Gate))
	} else {
		s := b.User
		if b.Role != "" {
			s += " · " + b.Role
		}
		t := line(s, colorWhite, true)
		t.Segments[0].(*widget.TextSegment).Style.Alignment = fyne.TextAlignTrailing
		who = t
	}
	var spine fyne.CanvasObject
	if b.SpineLive {
		spine = pill("Spine live", nhsGreen, nhsWhite, nhsWhite)
	} else {
		spine = pill(spineDown(b, v.Now), nhsRed, nhsWhite, nhsWhite)
	}
	// The status pills sit at their own height, so they do not pass for
	// buttons beside the counts.
	left := container.NewHBox(container.NewCenter(spine),
		w.count("queue", "Queued", b.Queued, act.ShowQueue),
		w.count("review", "To review", b.Review, act.ShowReview))
	if b.Demo {
		left.Add(container.NewCenter(warmPill("DEMO – sandbox")))
	}
	// Where the kiosk is has the first line to itself, and who is signed
	// in the rest of the second, beside the pills: at 1024 px neither is
	// cut (a name past the width ends in an ellipsis, never overlaps).
	row1 := where
	row2 := container.NewBorder(nil, nil, left, nil, container.NewVBox(layout.NewSpacer(), who, layout.NewSpacer()))

	bg := canvas.NewRectangle(nhsBlue)
	return container.NewStack(bg, pad(container.NewVBox(row1, row2), 10, 24))
}

// signInStep is what the banner asks of someone not yet signed in: with
// a card already in the reader, "insert your smartcard" would be wrong.
func signInStep(g cpis.Gate) string {
	switch g {
	case cpis.GatePasscode, cpis.GateSigningIn, cpis.GateChooseRole, cpis.GateLocked:
		return "Signing in"
	case cpis.GateRefused:
		return "Take your card out"
	}
	return "Insert your smartcard"
}

// spineDown says since when, with the date once it is not today, because
// "since 23:50" read the next morning would hide a night of queued checks.
func spineDown(b Banner, now time.Time) string {
	what := "Spine down"
	if b.DownService != "" {
		what = b.DownService + " down"
	}
	switch {
	case b.SpineDown.IsZero():
		return what
	case !now.IsZero() && civil(now) != civil(b.SpineDown):
		return what + " since " + b.SpineDown.Format("02 Jan 15:04")
	}
	return what + " since " + b.SpineDown.Format("15:04")
}

// The banner's count buttons: outlined when zero and yellow when something
// waits, so a queue that is not draining catches the eye.
var (
	lookCountNone = look{fill: nhsBlue, hover: nhsDarkBlue, stroke: nhsWhite, shadow: nhsDarkBlue, text: nhsWhite}
	lookCountSome = look{fill: nhsWarm, hover: nhsOrange, shadow: nhsDarkBlue, text: nhsText}
)

// bannerTarget is the banner buttons' least height: a touch target, yet
// the banner must leave 1024x768 room for the screen under it.
const bannerTarget = 48

// count opens the offline queue or the review list. Before sign-in it is
// a plain pill: those screens are part of a session, and the counts alone
// tell IT whether the queue drains.
func (w *Window) count(id, label string, n int, open func()) fyne.CanvasObject {
	s := label + ": " + strconv.Itoa(n)
	if w.view.Session.Gate != cpis.GateOpen {
		if n == 0 {
			return pill(s, color.Transparent, nhsWhite, nhsWhite)
		}
		return warmPill(s)
	}
	l := lookCountNone
	if n > 0 {
		l = lookCountSome
	}
	return w.bannerButton(id, s, l, open)
}

// bannerButton is a button flatter than the others, for the banner and
// the footer, which must leave the screen its height.
func (w *Window) bannerButton(id, label string, l look, onTap func()) *tapArea {
	b := w.button(id, label, l, onTap)
	b.min = fyne.NewSize(bannerTarget, bannerTarget)
	b.padV = 6
	return b
}

// footer keeps the local safeguarding route in view on every screen: the
// CP-IS notification is not a referral, and staff must always see how to
// raise a concern. The confirm and alert screens state the route in their
// own notice, so there the footer leaves it out rather than say it twice
// and push the alert's plan below the fold at 1024x768.
func footer(v View) fyne.CanvasObject {
	var parts []fyne.CanvasObject
	if !routeOnPage(v.Screen) {
		parts = append(parts, rich(
			seg("Safeguarding concern: ", theme.SizeNameText, theme.ColorNameForeground, true),
			seg(routeOrDefault(v.SafeguardingRoute), theme.SizeNameText, theme.ColorNameForeground, false),
		))
	}
	if v.Help != "" {
		parts = append(parts, secondary(v.Help))
	}
	if len(parts) == 0 {
		return container.NewStack()
	}
	return whiteBand(pad(container.NewVBox(parts...), 6, 24))
}

func routeOnPage(s Screen) bool { return s == ScreenConfirm || s == ScreenAlert }
