package ui

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// downtimePanel tells, above everything else, that no check can be made
// now and what to do instead: the business-continuity plan's local
// fallback. On the entry and search screens, where a presenting child is
// recorded, it says so; the other screens keep the red band only, so that
// an alert already open keeps its numbers in view.
func downtimePanel(v View) fyne.CanvasObject {
	what := "The Spine"
	if v.Downtime.Service != "" {
		what = v.Downtime.Service
	}
	band := container.NewStack(canvas.NewRectangle(nhsRed),
		pad(text(what+" cannot be reached. CP-IS checks cannot be made now.", sizeLarge, colorWhite, true), 8, 18))
	full := v.Screen == ScreenEntry || v.Screen == ScreenSearch
	if !full {
		return below(band, 10)
	}
	var parts []fyne.CanvasObject
	if v.Downtime.Fallback != "" {
		parts = append(parts, bold(v.Downtime.Fallback))
	}
	parts = append(parts, para("You can still record each child who presents, for a check when the Spine is back."))
	body := container.NewStack(canvas.NewRectangle(nhsPaleWarm), pad(container.NewVBox(parts...), 10, 18))
	// The red edge is a red box showing round the body, not a stroke: a
	// stroke is drawn partly outside its bounds, and the top of the page
	// clips whatever is drawn outside it.
	return below(container.NewStack(canvas.NewRectangle(nhsRed), padded(container.NewBorder(band, nil, nil, nil, body), 0, 3, 3, 3)), 10)
}

// replayStrip is the progress of the checks made after downtime, under
// the banner on every screen: until it ends, a child recorded in the
// night may still have an alert nobody has seen.
func replayStrip(r Replay) fyne.CanvasObject {
	n := "presentations"
	if r.Total == 1 {
		n = "presentation"
	}
	label := line("Checking "+strconv.Itoa(r.Total)+" "+n+" recorded during downtime…", theme.ColorNameForeground, true)
	// Fyne's progress bar writes its figure in white over its pale track,
	// which fails AA; this one puts the figure beside the bar.
	done := line(strconv.Itoa(min(r.Done, r.Total))+" of "+strconv.Itoa(r.Total)+" done", theme.ColorNameForeground, false)
	frac := float32(1)
	if r.Total > 0 {
		frac = float32(min(r.Done, r.Total)) / float32(r.Total)
	}
	track := canvas.NewRectangle(nhsWhite)
	track.StrokeColor, track.StrokeWidth, track.CornerRadius = nhsBlue, 2, 4
	fill := canvas.NewRectangle(nhsBlue)
	fill.CornerRadius = 4
	bar := container.New(progressLayout{frac}, track, fill)
	row := container.New(tableLayout{0.58, 0.25, 0.17}, label, pad(bar, 6, 0), pad(done, 0, 12))
	rule := canvas.NewRectangle(nhsBlue)
	rule.SetMinSize(fyne.NewSize(0, 3))
	return container.NewBorder(nil, rule, nil, nil,
		container.NewStack(canvas.NewRectangle(nhsPaleBlue), pad(row, 8, 24)))
}

// progressLayout draws a determinate progress bar from two rectangles: the
// track across the whole width and the fill over the fraction done.
type progressLayout struct{ frac float32 }

func (p progressLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(s)
	objs[1].Move(fyne.NewPos(0, 0))
	objs[1].Resize(fyne.NewSize(s.Width*p.frac, s.Height))
}

func (progressLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(60, 16) }
