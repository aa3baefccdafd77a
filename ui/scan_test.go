package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
)

// clockedWindow is a test window whose clock moves only when the test
// says: a scanner's keys come within a few milliseconds of each other, a
// person's much further apart.
func clockedWindow(t *testing.T) (*Window, fyne.Window, *recorder, *time.Time) {
	w, win, rec := newTestWindow(t)
	at := now
	w.now = func() time.Time { return at }
	return w, win, rec, &at
}

// keysOn types s as a keyboard (or a scanner, which is one) does under
// the desktop driver: each printable key comes as a key, then as a rune,
// to whatever has focus; every key is gap after the one before.
func keysOn(c fyne.Canvas, clock *time.Time, gap time.Duration, s string) {
	for _, r := range s {
		*clock = clock.Add(gap)
		name := fyne.KeyName(string(r))
		if r == ' ' {
			name = fyne.KeySpace
		}
		press(c, name)
		typeOn(c, string(r))
	}
}

// enter is the scan's (or the person's) Enter, gap after the last key.
func enter(c fyne.Canvas, clock *time.Time, gap time.Duration) {
	*clock = clock.Add(gap)
	press(c, fyne.KeyReturn)
}

// A scan whose barcode sends spaces, with the focus on the notifying
// button, must not press it: the scan is a new patient (the issue's
// report: the alert of the child on screen was opened and her local
// authority told, not the child scanned).
func TestScanNeverPressesAFocusedButton(t *testing.T) {
	w, win, rec, clock := clockedWindow(t)
	v := patientView(child)
	v.Screen = ScreenConfirm
	w.Render(v)
	confirm := control(t, w, "confirm")
	win.Canvas().Focus(confirm.(fyne.Focusable))

	keysOn(win.Canvas(), clock, 2*time.Millisecond, "999 027 5831")
	enter(win.Canvas(), clock, 2*time.Millisecond)
	want(t, rec, `TraceNHS "9990275831"`)

	// A person pressing Space on the focused button still presses it.
	*clock = clock.Add(time.Second)
	press(win.Canvas(), fyne.KeySpace)
	want(t, rec, `TraceNHS "9990275831"; ConfirmOpenAlert`)
}

// A scan with a list's row focused (here a question's tick box on an
// adult's screen) is a scan, and its Enter does not tick the box.
func TestScanWithARowFocused(t *testing.T) {
	w, win, rec, clock := clockedWindow(t)
	w.Render(goldenViews()["patient_ask_staff"])
	var row *tapArea
	walk(win.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*tapArea); ok && b.look == lookCard && row == nil {
			row = b
		}
	})
	if row == nil {
		t.Fatal("no row on the screen")
	}
	win.Canvas().Focus(row)
	keysOn(win.Canvas(), clock, time.Millisecond, "9990275831")
	enter(win.Canvas(), clock, time.Millisecond)
	want(t, rec, `TraceNHS "9990275831"`)
}

// A scan on every signed-in screen starts a new check, at 0, 1 and 5 ms
// a key; and a second scan straight after the first is not dropped.
func TestScanOnEveryScreenIsANewPatient(t *testing.T) {
	for _, gap := range []time.Duration{0, time.Millisecond, 5 * time.Millisecond} {
		screens := map[string]View{
			"patient": patientView(child), "alert": alertView(*reviewAlert().Alert),
			"results": resultsView(), "review": reviewList(3), "search": onScreen(ScreenSearch),
		}
		for name, v := range screens {
			w, win, rec, clock := clockedWindow(t)
			w.Render(v)
			keysOn(win.Canvas(), clock, gap, "9990276579")
			enter(win.Canvas(), clock, gap)
			keysOn(win.Canvas(), clock, gap, "999-027-5831")
			enter(win.Canvas(), clock, gap)
			want(t, rec, `TraceNHS "9990276579"; TraceNHS "9990275831"`)
			if t.Failed() {
				t.Fatalf("on the %s screen at %v a key", name, gap)
			}
		}
	}
}

// A scan into another field (the search form's date of birth, where
// digits belong) takes its digits out again and traces the number.
func TestScanIntoAnotherFieldLeavesItAsItWas(t *testing.T) {
	w, win, rec, clock := clockedWindow(t)
	w.Render(onScreen(ScreenSearch))
	win.Canvas().Focus(w.search.family)
	keysOn(win.Canvas(), clock, 200*time.Millisecond, "SMITH")
	keysOn(win.Canvas(), clock, time.Millisecond, "9990276579")
	enter(win.Canvas(), clock, time.Millisecond)
	want(t, rec, `TraceNHS "9990276579"`)
	if got := w.search.family.Text; got != "SMITH" {
		t.Errorf("the family name field holds %q after the scan, want SMITH", got)
	}
}

// A person typing is not a scanner: ten digits typed at a person's pace
// and Enter on a result screen start nothing; nine digits scanned start
// nothing either.
func TestTypingIsNotAScan(t *testing.T) {
	w, win, rec, clock := clockedWindow(t)
	w.Render(patientView(child))
	keysOn(win.Canvas(), clock, 150*time.Millisecond, "9990276579")
	enter(win.Canvas(), clock, 150*time.Millisecond)
	keysOn(win.Canvas(), clock, time.Millisecond, "999027657")
	enter(win.Canvas(), clock, time.Millisecond)
	want(t, rec, "")
}

// After an error the number is handed back; the first key a person types
// replaces it, and is not lost (the report: "990300011").
func TestFirstKeyAfterAnErrorIsKept(t *testing.T) {
	w, win, rec, clock := clockedWindow(t)
	v := baseView()
	w.Render(v)
	v.EntryText = "999 027 6578"
	v.Message = &Message{Title: "That NHS number is not valid"}
	w.Render(v)
	for _, gap := range []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond} {
		keysOn(win.Canvas(), clock, gap, "9990300011")
		if got := w.nhs.Text; got != "9990300011" {
			t.Fatalf("at %v a key the field holds %q", gap, got)
		}
		enter(win.Canvas(), clock, gap)
		v.Message = &Message{Title: "That NHS number is not valid"} // the answer, handed back again
		w.Render(v)
	}
	want(t, rec, `TraceNHS "9990300011"; TraceNHS "9990300011"; TraceNHS "9990300011"`)
}

// Keyboard alone reaches everything: Page Down, Page Up and the arrows
// scroll a long screen (the alert's access history), and Tab brings the
// control it focuses into view.
func TestKeyboardScrollsAndRevealsFocus(t *testing.T) {
	w, win, _ := newTestWindow(t)
	a := *reviewAlert().Alert
	a.History = accesses(25)
	w.Render(alertView(a))
	if w.scroll == nil || w.scroll.Offset.Y != 0 {
		t.Fatal("the alert's content does not scroll, or does not start at the top")
	}
	press(win.Canvas(), fyne.KeyPageDown)
	down := w.scroll.Offset.Y
	if down <= 0 {
		t.Fatal("Page Down did not scroll")
	}
	press(win.Canvas(), fyne.KeyDown)
	if w.scroll.Offset.Y <= down {
		t.Error("Down did not scroll")
	}
	press(win.Canvas(), fyne.KeyPageUp)
	press(win.Canvas(), fyne.KeyPageUp)
	if w.scroll.Offset.Y != 0 {
		t.Errorf("Page Up left the screen at %v", w.scroll.Offset.Y)
	}

	v := reviewList(30)
	for i := 0; i < 30; i++ {
		v.Reviews = append(v.Reviews, ReviewRow{ID: uint64(100 + i), Created: now, Presented: now, Kind: "Needs manual trace"})
	}
	w.Render(v)
	last := control(t, w, "review-129").(*tapArea)
	win.Canvas().Focus(last)
	d := fyne.CurrentApp().Driver()
	y := d.AbsolutePositionForObject(last).Y - d.AbsolutePositionForObject(w.scroll).Y
	if y < 0 || y+last.Size().Height > w.scroll.Size().Height {
		t.Errorf("the focused row is at %v, outside the %v-high view", y, w.scroll.Size().Height)
	}
}
