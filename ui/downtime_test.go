package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/nhs-cpis/kiosk/cpis"
)

func TestDowntimePanelSaysWhatToDo(t *testing.T) {
	w, win, _ := newTestWindow(t)
	w.Render(downtimeView())
	all := screenText(win)
	for _, s := range []string{
		"The Spine cannot be reached. CP-IS checks cannot be made now.",
		downtimeView().Downtime.Fallback,
		"You can still record each child who presents, for a check when the Spine is back.",
		"Spine down since 02:13",
	} {
		if !strings.Contains(all, s) {
			t.Errorf("the downtime entry screen does not say %q", s)
		}
	}
	if strings.Contains(all, "Trace patient") {
		t.Error("the entry screen offers a trace while the Spine is down")
	}
}

// A scan while the Spine is down records the presentation, as a scan
// traces when it is up: the desk works the same way either way.
func TestRecordPresentationWhileDown(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(downtimeView())
	if win.Canvas().Focused() != w.nhs {
		t.Fatal("the NHS number field has no focus while the Spine is down")
	}
	typeOn(win.Canvas(), "9990276579")
	press(win.Canvas(), fyne.KeyReturn)
	test.Tap(button(t, win, "Record presentation"))
	want(t, rec, `RecordPresentation "9990276579" family= given= dob= gender= postcode=; `+
		`RecordPresentation "9990276579" family= given= dob= gender= postcode=`)
}

func TestRecordByDetailsWhileDown(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := downtimeView()
	v.Screen = ScreenSearch
	w.Render(v)

	f := w.search
	typeInto(win.Canvas(), f.family, "Tester")
	typeInto(win.Canvas(), f.birth, "02/03/2015")
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, `RecordPresentation "" family=Tester given= dob=2015-03-02 gender= postcode=`)
	if strings.Contains(screenText(win), "Search  (Enter)") {
		t.Error("the search form offers a search while the Spine is down")
	}
}

// Recorded: green, and the field is ready for the next child.
func TestRecordedNoticeKeepsTheFieldReady(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := downtimeView()
	w.Render(v)
	typeOn(win.Canvas(), "9990276579")
	press(win.Canvas(), fyne.KeyReturn)
	v.Message = &Message{Title: "Recorded. The check will be made when the Spine is back.", Good: true}
	w.Render(v)
	if !strings.Contains(screenText(win), "Recorded.") {
		t.Fatal("no Recorded notice")
	}
	// A banner update in the middle of the next scan keeps its digits.
	typeOn(win.Canvas(), "99902")
	v.Banner.Queued = 3
	w.Render(v)
	typeOn(win.Canvas(), "75831")
	press(win.Canvas(), fyne.KeyReturn)
	// The same words again are a new answer: the field empties again.
	v.Message = &Message{Title: "Recorded. The check will be made when the Spine is back.", Good: true}
	w.Render(v)
	typeOn(win.Canvas(), "9990001234")
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, `RecordPresentation "9990276579" family= given= dob= gender= postcode=; `+
		`RecordPresentation "9990275831" family= given= dob= gender= postcode=; `+
		`RecordPresentation "9990001234" family= given= dob= gender= postcode=`)
}

// The replay's progress is in view on every screen, session screens too.
func TestReplayProgressOnEveryScreen(t *testing.T) {
	for name, v := range goldenViews() {
		v.Replay = Replay{Active: true, Done: 2, Total: 5}
		w, win, _ := newTestWindow(t)
		w.Render(v)
		all := screenText(win)
		if !strings.Contains(all, "Checking 5 presentations recorded during downtime") || !strings.Contains(all, "2 of 5 done") {
			t.Errorf("%s: no replay progress", name)
		}
	}
}

func TestBannerCountsOpenQueueAndReview(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := baseView()
	v.Banner.Queued, v.Banner.Review = 3, 1
	w.Render(v)
	test.Tap(button(t, win, "Queued: 3"))
	test.Tap(button(t, win, "To review: 1"))
	want(t, rec, "ShowQueue; ShowReview")

	// Before sign-in they are counts only.
	s := sessionView(cpis.GateInsertCard)
	s.Banner.Queued = 3
	w.Render(s)
	walk(win.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*tapArea); ok && (b.id == "queue" || b.id == "review") {
			t.Errorf("the %s count can be tapped before sign-in", b.id)
		}
	})
	if !strings.Contains(screenText(win), "Queued: 3") {
		t.Error("the queue count is not shown before sign-in")
	}
}

func TestQueueScreen(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := goldenViews()["queue"]
	w.Render(v)
	all := screenText(win)
	for _, s := range []string{"Checks that wait", "41", "05/03/2026 00:02", "3 h 10 min ago", "25 min ago",
		"Details only", "retrying: Spine unavailable", "Needs a role with B0107"} {
		if !strings.Contains(all, s) {
			t.Errorf("the queue does not show %q", s)
		}
	}
	press(win.Canvas(), fyne.KeyEscape)
	test.Tap(button(t, win, "Back"))
	want(t, rec, "Back; Back")
}

// A long queue lists its oldest rows and counts the rest, in the lead and
// under the table.
func TestQueueScreenCountsWhatItDoesNotList(t *testing.T) {
	w, win, _ := newTestWindow(t)
	v := goldenViews()["queue"]
	w.Render(v)
	if all := screenText(win); strings.Contains(all, "more, not listed") || !strings.Contains(all, "3 presentations wait") {
		t.Errorf("a short queue:\n%s", all)
	}
	v.QueueMore = 99_997
	w.Render(v)
	all := screenText(win)
	for _, s := range []string{"100,000 presentations wait", "And 99,997 more, not listed here."} {
		if !strings.Contains(all, s) {
			t.Errorf("the long queue does not show %q:\n%s", s, all)
		}
	}
}

func TestReviewListOpensItem(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(goldenViews()["review_list"])

	var order []string
	walk(win.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*tapArea); ok && strings.HasPrefix(b.id, "review-") {
			order = append(order, b.id)
		}
	})
	if got := strings.Join(order, " "); got != "review-7 review-8 review-9" {
		t.Errorf("review rows = %s, want oldest first", got)
	}
	tapControl(t, w, "review-8")
	press(win.Canvas(), fyne.KeyEscape)
	want(t, rec, "OpenReview 8; Back")
}

func TestSignOff(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := goldenViews()["review_alert"]
	w.Render(v)

	all := screenText(win)
	for _, s := range []string{"TESTER, Ava", "999 027 6579", leeds.Name, leeds.OfficeHours, leeds.OutOfHours,
		"Child protection plan (CPP)", "Access history"} {
		if !strings.Contains(all, s) {
			t.Errorf("the review of an alert does not show %q", s)
		}
	}

	tapControl(t, w, "signoff") // no note yet: nothing
	win.Canvas().Focus(w.note)
	typeOn(win.Canvas(), "  ")
	tapControl(t, w, "signoff") // blanks are no note
	win.Canvas().Focus(w.note)
	typeOn(win.Canvas(), "Called the duty social worker ")
	if control(t, w, "signoff").(*tapArea).Disabled() {
		t.Fatal("Sign off is still disabled with a note typed")
	}
	tapControl(t, w, "signoff")
	win.Canvas().Focus(w.note)
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, `SignOff 7 "Called the duty social worker"; SignOff 7 "Called the duty social worker"`)
}

func TestSignOffNeedsB0107(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := goldenViews()["review_alert"]
	v.Review.CanSignOff = false
	w.Render(v)
	w.note.SetText("Called the duty social worker")
	tapControl(t, w, "signoff")
	want(t, rec, "")
	if !strings.Contains(screenText(win), "B0107") {
		t.Error("the screen does not say which code signing off needs")
	}
}

// A note typed for one item never carries over to another.
func TestNoteBelongsToItsItem(t *testing.T) {
	w, win, _ := newTestWindow(t)
	v := goldenViews()["review_alert"]
	w.Render(v)
	win.Canvas().Focus(w.note)
	typeOn(win.Canvas(), "Called")
	v.Banner.Queued = 1 // a banner update keeps it
	w.Render(v)
	if w.note.Text != "Called" {
		t.Fatalf("a banner update lost the note: %q", w.note.Text)
	}
	other := *reviewSignedOff()
	other.Row.SignedOff = false
	v.Review = &other
	w.Render(v)
	if w.note.Text != "" {
		t.Errorf("the note %q carried over to another item", w.note.Text)
	}
}

func TestSignedOffItemShowsWhoAndWhen(t *testing.T) {
	w, win, _ := newTestWindow(t)
	w.Render(goldenViews()["review_signed_off"])
	all := screenText(win)
	for _, s := range []string{"Signed off", "Sam LEAD", "05/03/2026 03:02", "Traced by hand with the mother"} {
		if !strings.Contains(all, s) {
			t.Errorf("the signed-off item does not show %q", s)
		}
	}
	if _, ok := w.focusables["signoff"]; ok {
		t.Error("a signed-off item offers Sign off again")
	}
}

// CP-IS alone down: the banner and the panel name it, not the Spine.
func TestDowntimeNamesTheFailingService(t *testing.T) {
	w, win, _ := newTestWindow(t)
	v := downtimeView()
	v.Banner.DownService, v.Downtime.Service = "CP-IS", "CP-IS"
	w.Render(v)
	all := screenText(win)
	for _, s := range []string{"CP-IS cannot be reached. CP-IS checks cannot be made now.", "CP-IS down since 02:13"} {
		if !strings.Contains(all, s) {
			t.Errorf("with CP-IS down the screen does not say %q", s)
		}
	}
	if strings.Contains(all, "Spine down") {
		t.Error("with CP-IS alone down the banner says the Spine is down")
	}
}
