package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
)

func gap(h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(0, h))
	return r
}

func hgap(w float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, 0))
	return r
}

// padded leaves space round obj, in Fyne's order: top, bottom, left, right.
func padded(obj fyne.CanvasObject, top, bottom, left, right float32) fyne.CanvasObject {
	return container.New(layout.NewCustomPaddedLayout(top, bottom, left, right), obj)
}

// pad leaves v above and below obj, and h either side.
func pad(obj fyne.CanvasObject, v, h float32) fyne.CanvasObject { return padded(obj, v, v, h, h) }

// below leaves space under obj, as between the rows of a list.
func below(obj fyne.CanvasObject, h float32) fyne.CanvasObject { return padded(obj, 0, h, 0, 0) }

// panel is a white (or tinted) box with a border, the NHS.UK "card".
func panel(content fyne.CanvasObject, fill, stroke color.Color, width float32) fyne.CanvasObject {
	bg := canvas.NewRectangle(fill)
	bg.StrokeColor = stroke
	bg.StrokeWidth = width
	bg.CornerRadius = 4
	return container.NewStack(bg, pad(content, 14+width, 18+width))
}

// inset is the NHS.UK "inset text": a thick coloured bar on the left of a
// white box, used for notices that must be read but are not errors.
func inset(content fyne.CanvasObject, accent, fill color.Color) fyne.CanvasObject {
	bar := canvas.NewRectangle(accent)
	bar.SetMinSize(fyne.NewSize(8, 0))
	bg := canvas.NewRectangle(fill)
	return container.NewStack(bg, container.NewBorder(nil, nil, bar, nil, pad(content, 14, 18)))
}

// marked puts a marker (a pill, a button) at the top right of content,
// for the items of lists and the message's Dismiss.
func marked(content fyne.CanvasObject, right ...fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, nil, container.NewVBox(right...), content)
}

// titled is a card with a coloured title band, the CP-IS alert marker's
// shape. The band's text size is a parameter because the opened alert
// needs the height for the phone numbers.
func titled(title string, size fyne.ThemeSizeName, band color.Color, content fyne.CanvasObject) fyne.CanvasObject {
	head := container.NewStack(canvas.NewRectangle(band), pad(text(title, size, colorWhite, true), 4, 14))
	body := container.NewBorder(head, nil, nil, nil, pad(content, 12, 18))
	frame := canvas.NewRectangle(color.Transparent)
	frame.StrokeColor = band
	frame.StrokeWidth = 4
	// The band sits inside the frame's stroke, which Fyne draws partly
	// outside a rectangle's bounds.
	return container.NewStack(canvas.NewRectangle(nhsWhite), pad(body, 2, 2), frame)
}

// pill is a short status word on a coloured lozenge.
func pill(s string, fill, stroke, fg color.Color) fyne.CanvasObject {
	bg := canvas.NewRectangle(fill)
	bg.CornerRadius = 6
	bg.StrokeColor = stroke
	if stroke != nil {
		bg.StrokeWidth = 2
	}
	return container.NewStack(bg, pad(boldText(s, fg, textBody), 4, 12))
}

// greenPill marks what is done; warmPill what is still to do, or to note.
func greenPill(s string) fyne.CanvasObject { return pill(s, nhsWhite, nhsGreen, nhsGreen) }
func warmPill(s string) fyne.CanvasObject  { return pill(s, nhsWarm, nil, nhsText) }

// whiteBand is the footer's white band under a grey rule.
func whiteBand(content fyne.CanvasObject) fyne.CanvasObject {
	rule := canvas.NewRectangle(nhsGrey3)
	rule.SetMinSize(fyne.NewSize(0, 2))
	return container.NewBorder(rule, nil, nil, nil, container.NewStack(canvas.NewRectangle(nhsWhite), content))
}

// stripe is the background of a table's i-th row: white and pale grey in
// turn, so the eye keeps to one row across the columns.
func stripe(i int) color.Color {
	if i%2 == 1 {
		return nhsPaleGrey
	}
	return nhsWhite
}

// tableRow is a row of a table laid out by cols: the header row bold on
// grey, the others in stripes. Cells are cut with an ellipsis rather than
// wrapped, so the rows stay one line each.
func tableRow(cols tableLayout, bg color.Color, head bool, cells ...string) fyne.CanvasObject {
	ts := make([]fyne.CanvasObject, len(cells))
	for i, c := range cells {
		ts[i] = line(c, theme.ColorNameForeground, head)
	}
	return tableCells(cols, bg, ts...)
}

// tableCells lays a row's cells out by cols on its background.
func tableCells(cols tableLayout, bg color.Color, cells ...fyne.CanvasObject) fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, len(cells))
	for i, c := range cells {
		objs[i] = pad(c, 0, 4)
	}
	return container.NewStack(canvas.NewRectangle(bg), container.New(cols, objs...))
}
