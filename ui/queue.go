package ui

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// queueColumns are the widths of the offline queue's columns: number,
// presented, waiting, kind, why, attempts, state.
var queueColumns = tableLayout{0.06, 0.24, 0.12, 0.13, 0.19, 0.07, 0.19}

// waitingPage is a screen of the checks that wait for the Spine: the
// offline queue, or the review of what their checks found.
func (w *Window) waitingPage(v View, act ReviewActions) page {
	if v.Screen == ScreenQueue {
		return w.queuePage(v)
	}
	return w.reviewPage(v, act)
}

// queuePage lists the presentations waiting for the Spine, for IT: when
// each presented, how long it has waited, how often it was tried and
// where it stands. No name or number is drawn, whoever is looking.
func (w *Window) queuePage(v View) page {
	back := []fyne.CanvasObject{w.back(lookPrimary)}
	if len(v.Queue) == 0 {
		return page{
			heading: "Checks that wait",
			content: para("Nothing waits: every presentation recorded here has had its CP-IS check."),
			actions: back,
		}
	}
	total := len(v.Queue) + v.QueueMore
	n := "presentations wait"
	if total == 1 {
		n = "presentation waits"
	}
	rows := []fyne.CanvasObject{queueRow(nhsGrey4, true, "No.", "Presented", "Waiting", "Kind", "Why", "Tries", "State")}
	for i, q := range v.Queue {
		rows = append(rows, queueRow(stripe(i), false, strconv.FormatUint(q.Seq, 10), formatWhen(q.At),
			formatAgo(q.At, v.Now), q.Kind, q.Why, strconv.Itoa(q.Attempts), q.State))
	}
	if v.QueueMore > 0 {
		rows = append(rows, secondary("And "+thousands(v.QueueMore)+" more, not listed here."))
	}
	return page{
		heading: "Checks that wait",
		lead: secondary(thousands(total) + " " + n + " for a CP-IS check, oldest first. " +
			"When the services answer, a colleague with code B0107 signed in here is offered the checks, in this order. Names and numbers are not shown here."),
		content: container.New(rowsLayout{}, rows...),
		actions: back,
	}
}

// queueRow is a row of the queue's table. Cells wrap rather than being
// cut short: at 1024 px a date and its time need two lines, and a dead
// letter's reason is what IT has to act on.
func queueRow(bg color.Color, head bool, cells ...string) fyne.CanvasObject {
	if head {
		return tableRow(queueColumns, bg, true, cells...)
	}
	objs := make([]fyne.CanvasObject, len(cells))
	for i, c := range cells {
		objs[i] = para(c)
	}
	return tableCells(queueColumns, bg, objs...)
}
