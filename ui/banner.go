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
)

// banner is the strip across the top of every screen: where the kiosk is,
// who is signed in, and whether a check made now reaches the Spine.
func banner(v View) fyne.CanvasObject {
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
		who = pill("Insert your smartcard", nhsWarm, nil, nhsText)
	} else {
		s := b.User
		if b.Role != "" {
			s += " · " + b.Role
		}
		t := canvas.NewText(s, nhsWhite)
		t.TextSize = textBody
		t.TextStyle.Bold = true
		who = container.NewCenter(t)
	}
	row1 := container.NewBorder(nil, nil, nil, who, where)

	var spine fyne.CanvasObject
	if b.SpineLive {
		spine = pill("Spine live", nhsGreen, nhsWhite, nhsWhite)
	} else {
		spine = pill(spineDown(b, v.Now), nhsRed, nhsWhite, nhsWhite)
	}
	row2 := container.NewHBox(spine,
		count("Queued", b.Queued), count("To review", b.Review), layout.NewSpacer())
	if b.Demo {
		row2.Add(pill("DEMO – sandbox", nhsWarm, nil, nhsText))
	}

	bg := canvas.NewRectangle(nhsBlue)
	return container.NewStack(bg, pad(container.NewVBox(row1, row2), 10, 24))
}

// spineDown says since when, with the date once it is not today, because
// "since 23:50" read the next morning would hide a night of queued checks.
func spineDown(b Banner, now time.Time) string {
	switch {
	case b.SpineDown.IsZero():
		return "Spine down"
	case !now.IsZero() && civil(now) != civil(b.SpineDown):
		return "Spine down since " + b.SpineDown.Format("02 Jan 15:04")
	}
	return "Spine down since " + b.SpineDown.Format("15:04")
}

// count is outlined when zero and yellow when something waits, so a queue
// that is not draining catches the eye.
func count(label string, n int) fyne.CanvasObject {
	s := label + ": " + strconv.Itoa(n)
	if n == 0 {
		return pill(s, color.Transparent, nhsWhite, nhsWhite)
	}
	return pill(s, nhsWarm, nil, nhsText)
}

// footer keeps the local safeguarding route in view on every screen: the
// CP-IS notification is not a referral, and staff must always see how to
// raise a concern.
func footer(v View) fyne.CanvasObject {
	route := routeOrDefault(v.SafeguardingRoute)
	parts := []fyne.CanvasObject{rich(
		seg("Safeguarding concern: ", theme.SizeNameText, theme.ColorNameForeground, true),
		seg(route, theme.SizeNameText, theme.ColorNameForeground, false),
	)}
	if v.Help != "" {
		parts = append(parts, secondary(v.Help))
	}
	rule := canvas.NewRectangle(nhsGrey3)
	rule.SetMinSize(fyne.NewSize(0, 2))
	bg := canvas.NewRectangle(nhsWhite)
	return container.NewBorder(rule, nil, nil, nil,
		container.NewStack(bg, pad(container.NewVBox(parts...), 6, 24)))
}
