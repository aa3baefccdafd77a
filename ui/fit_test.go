package ui

import (
	"sort"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
)

// allViews are every screen the golden images hold.
func allViews() map[string]View {
	views := map[string]View{}
	for _, set := range []map[string]View{goldenViews(), leadGoldenViews()} {
		for n, v := range set {
			views[n] = v
		}
	}
	return views
}

// At 1024x768, the smallest screen the kiosk runs on (an ambulance
// crew's rugged laptop), every screen's next step is in view without
// scrolling, whatever message is on top: each primary button lies wholly
// inside the window and, when it is in the scrolling content, inside the
// part of it on screen (the issue: "Search by details" off-screen under
// a message that says to use it).
func TestNextStepInViewAt1024x768(t *testing.T) {
	views := allViews()
	names := make([]string, 0, len(views))
	for n := range views {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			w, win, _ := newTestWindow(t)
			w.Render(views[name])
			d := fyne.CurrentApp().Driver()
			size := win.Canvas().Size()
			walk(win.Content(), func(o fyne.CanvasObject) {
				b, ok := o.(*tapArea)
				// A list's rows, the keypad's keys and a row's own button
				// (readiness's Record) scroll with their list.
				if !ok || b.look == lookCard || b.look == lookKey || strings.HasPrefix(b.id, "record-") || !b.Visible() {
					return
				}
				pos := d.AbsolutePositionForObject(b)
				bottom := pos.Y + b.Size().Height
				if pos.Y < 0 || bottom > size.Height || pos.X+b.Size().Width > size.Width {
					t.Errorf("%q is outside the window: %v to %v", b.id, pos, bottom)
					return
				}
				if s := w.scroll; s != nil && inside(s.Content, b) {
					top := d.AbsolutePositionForObject(s).Y
					if pos.Y < top || bottom > top+s.Size().Height {
						t.Errorf("%q needs scrolling: at %v-%v, the view shows %v-%v", b.id, pos.Y, bottom, top, top+s.Size().Height)
					}
				}
			})
		})
	}
}
