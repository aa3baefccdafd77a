package ui

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// queueColumns are the widths of the offline queue's columns: number,
// presented, waiting, kind, attempts, state.
var queueColumns = tableLayout{0.06, 0.19, 0.16, 0.14, 0.12, 0.33}

// queuePage lists the presentations waiting for the Spine, for IT: when
// each presented, how long it has waited, how often it was tried and
// where it stands. No name or number is drawn, whoever is looking.
func (w *Window) queuePage(v View) page {
	back := []fyne.CanvasObject{w.button("back", "Back  (Esc)", lookPrimary, w.act.Back)}
	if len(v.Queue) == 0 {
		return page{
			heading: "Offline queue",
			content: para("The queue is empty: every presentation recorded during downtime has been checked."),
			actions: back,
		}
	}
	n := "presentations wait"
	if len(v.Queue) == 1 {
		n = "presentation waits"
	}
	rows := []fyne.CanvasObject{queueRow(nhsGrey4, true, "No.", "Presented", "Waiting", "Kind", "Attempts", "State")}
	for i, q := range v.Queue {
		bg := nhsWhite
		if i%2 == 1 {
			bg = nhsPaleGrey
		}
		rows = append(rows, queueRow(bg, false, strconv.FormatUint(q.Seq, 10), formatWhen(q.At),
			formatAgo(q.At, v.Now), q.Kind, strconv.Itoa(q.Attempts), q.State))
	}
	return page{
		heading: "Offline queue",
		lead: secondary(strconv.Itoa(len(v.Queue)) + " " + n + " for the Spine, oldest first. " +
			"Each is checked in this order when the Spine is back. Names and numbers are not shown here."),
		content: container.New(rowsLayout{}, rows...),
		actions: back,
	}
}

// queueRow is a row of the queue's table. The state wraps rather than
// being cut short: a dead letter's reason is what IT has to act on.
func queueRow(bg color.Color, head bool, cells ...string) fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, len(cells))
	for i, c := range cells {
		t := line(c, theme.ColorNameForeground, head)
		if i == len(cells)-1 && !head {
			t = text(c, theme.SizeNameText, theme.ColorNameForeground, false)
		}
		objs[i] = pad(t, 0, 4)
	}
	return container.NewStack(canvas.NewRectangle(bg), container.New(queueColumns, objs...))
}
