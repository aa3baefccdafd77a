package ui

import (
	"image/color"
	"sort"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/nhs-cpis/kiosk/cpis"
)

// statusPage lists the kiosk's health for IT, worst first, with the next
// step under each line that is not green, and the version and commit to
// quote to the service desk.
func (w *Window) statusPage(v View, act StatusActions) page {
	actions := []fyne.CanvasObject{
		w.back(lookPrimary),
		w.button("bundle", "Save diagnostics bundle", lookSecondary, act.SaveBundle),
		w.button("recheck", "Check again", lookSecondary, act.ShowStatus),
	}
	s := v.Status
	if s == nil {
		return page{heading: "IT status", content: secondary("The results appear here in a few seconds: a Spine that does not answer takes as long as its timeout."), actions: actions}
	}
	version := "Version " + orNotKnown(s.Version) + ", commit " + orNotKnown(s.Commit)
	if !s.Checked.IsZero() {
		version += ". Checked at " + s.Checked.Format("15:04:05") + "."
	}
	lead := container.NewBorder(nil, nil, container.NewCenter(levelMarker(s.Overall)), nil,
		pad(rich(
			seg(overallWords(s)+"  ", theme.SizeNameText, theme.ColorNameForeground, true),
			seg(version, theme.SizeNameText, colorSecondary, false),
		), 0, 8))
	// Faults first, then what to check, each in the order the checks are
	// made: at 1024x768 only the first few lines are in view.
	lines := append([]StatusLine(nil), s.Lines...)
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Level > lines[j].Level })
	rows := make([]fyne.CanvasObject, 0, len(lines))
	for i, l := range lines {
		rows = append(rows, statusRow(l, stripe(i)))
	}
	return page{heading: "IT status", lead: lead, content: container.New(rowsLayout{}, rows...), actions: actions}
}

func overallWords(s *StatusView) string {
	var faults, checks int
	for _, l := range s.Lines {
		switch l.Level {
		case StatusRed:
			faults++
		case StatusAmber:
			checks++
		}
	}
	switch {
	case faults > 0:
		return plural(faults, "fault") + " to fix, " + strconv.Itoa(checks) + " to check."
	case checks > 0:
		return "Working, with " + plural(checks, "thing") + " to check."
	}
	return "Everything is working."
}

// statusRow is one line: the marker, then what it is and what was found,
// and what to do.
func statusRow(l StatusLine, bg color.Color) fyne.CanvasObject {
	parts := []fyne.CanvasObject{rich(
		seg(l.Title+"  ", theme.SizeNameText, theme.ColorNameForeground, true),
		seg(l.Detail, theme.SizeNameText, theme.ColorNameForeground, false),
	)}
	if l.Next != "" && l.Level != StatusGreen {
		parts = append(parts, rich(
			seg("Next: ", theme.SizeNameText, colorDarkBlue, true),
			seg(l.Next, theme.SizeNameText, colorDarkBlue, false),
		))
	}
	body := container.NewBorder(nil, nil, container.NewVBox(levelMarker(l.Level)), nil, pad(container.NewVBox(parts...), 0, 10))
	return container.NewStack(canvas.NewRectangle(bg), pad(body, 6, 8))
}

// markerWidth fits the longest word, so the titles line up.
const markerWidth = 76

// levelMarker is the coloured lozenge with its word: the colour alone must
// not carry the meaning.
func levelMarker(l StatusLevel) fyne.CanvasObject {
	word, fill, fg := "OK", nhsGreen, nhsWhite
	switch l {
	case StatusAmber:
		word, fill, fg = "Check", nhsWarm, nhsText
	case StatusRed:
		word, fill, fg = "Fault", nhsRed, nhsWhite
	}
	bg := canvas.NewRectangle(fill)
	bg.CornerRadius = 6
	bg.SetMinSize(fyne.NewSize(markerWidth, 0))
	t := boldText(word, fg, textBody)
	t.Alignment = fyne.TextAlignCenter
	return container.NewStack(bg, pad(t, 4, 8))
}

// showsStatusButton is where "IT status" is offered: wherever no patient
// can be on screen (the entry and queue screens, and the session screens
// before a card is in), so that leaving for it never drops a check.
func showsStatusButton(v View) bool {
	if v.Screen == ScreenStatus {
		return false
	}
	switch v.Session.Gate {
	case cpis.GateOpen:
		return v.Screen == ScreenEntry || v.Screen == ScreenQueue
	case cpis.GateStarting, cpis.GateNoReader, cpis.GateInsertCard, cpis.GateRefused:
		return true
	}
	return false
}

// withStatusButton puts the "IT status" button at the right of the
// footer, in the footer's own white band and under the same rule, so it
// adds no height where the footer has two lines.
func (w *Window) withStatusButton(v View, foot fyne.CanvasObject, act StatusActions) fyne.CanvasObject {
	if !showsStatusButton(v) {
		return foot
	}
	b := w.bannerButton("itstatus", "IT status", lookSecondary, act.ShowStatus)
	col := whiteBand(padded(container.NewCenter(b), 6, 6, 0, 24))
	return container.New(footerRow{}, foot, col)
}

// footerRow puts the footer on the left and the button's column on the
// right at its least width, edge to edge with no gap, both the full height.
type footerRow struct{}

func (footerRow) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	r := objs[1].MinSize().Width
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(s.Width-r, s.Height))
	objs[1].Move(fyne.NewPos(s.Width-r, 0))
	objs[1].Resize(fyne.NewSize(r, s.Height))
}

func (footerRow) MinSize(objs []fyne.CanvasObject) fyne.Size {
	a, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(a.Width+b.Width, max(a.Height, b.Height))
}
