package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/nhs-cpis/kiosk/cpis"
)

// newTestWindow is the kiosk window at the smallest size it must work at,
// the rugged laptops' 1024x768.
func newTestWindow(t *testing.T) (*Window, fyne.Window, *recorder) {
	return newTestWindowSized(t, fyne.NewSize(1024, 768))
}

func newTestWindowSized(t *testing.T, size fyne.Size) (*Window, fyne.Window, *recorder) {
	t.Helper()
	test.NewTempApp(t)
	test.ApplyTheme(t, Theme())
	win := test.NewTempWindow(t, nil)
	win.Resize(size)
	rec := &recorder{}
	return New(win, rec), win, rec
}

// typeOn and press deliver input as the desktop driver does: to the
// focused widget, else to the canvas.
func typeOn(c fyne.Canvas, s string) {
	for _, r := range s {
		if f := c.Focused(); f != nil {
			f.TypedRune(r)
		} else if h := c.OnTypedRune(); h != nil {
			h(r)
		}
	}
}

func press(c fyne.Canvas, k fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: k}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
	} else if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
}

// walk visits every object drawn in the window, widgets' parts included.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	visit(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walk(c, visit)
		}
	}
}

// texts is every piece of text in the window's object tree.
func texts(win fyne.Window) []string {
	var out []string
	walk(win.Content(), func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *canvas.Text:
			out = append(out, x.Text)
		case *widget.Label:
			out = append(out, x.Text)
		case *textField:
			out = append(out, x.Text, x.PlaceHolder)
		case *widget.Entry:
			out = append(out, x.Text, x.PlaceHolder)
		case *widget.RichText:
			for _, s := range x.Segments {
				if ts, ok := s.(*widget.TextSegment); ok {
					out = append(out, ts.Text)
				}
			}
		}
	})
	return out
}

func screenText(win fyne.Window) string { return strings.Join(texts(win), "\n") }

// button finds the tappable control whose label is s.
func button(t *testing.T, win fyne.Window, s string) *tapArea {
	t.Helper()
	var found *tapArea
	walk(win.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*tapArea); ok {
			for _, tx := range b.texts {
				if strings.HasPrefix(tx.Text, s) {
					found = b
				}
			}
		}
	})
	if found == nil {
		t.Fatalf("no button %q on screen; texts:\n%s", s, screenText(win))
	}
	return found
}

// typeInto focuses f and types s into it.
func typeInto(c fyne.Canvas, f fyne.Focusable, s string) {
	c.Focus(f)
	typeOn(c, s)
}

// tabOrder is the ids of the n controls Tab walks through, from the one
// focused now.
func tabOrder(t *testing.T, c fyne.Canvas, n int) string {
	t.Helper()
	var order []string
	for range n {
		f, _ := c.Focused().(identified)
		if f == nil {
			t.Fatalf("nothing focused after %v", order)
		}
		order = append(order, f.focusID())
		test.FocusNext(c)
	}
	return strings.Join(order, " ")
}

func want(t *testing.T, rec *recorder, calls string) {
	t.Helper()
	if got := rec.String(); got != calls {
		t.Errorf("actions = %q, want %q", got, calls)
	}
}

func TestScannerTypesIntoFocusedFieldAndEnterTraces(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(baseView())

	if win.Canvas().Focused() != w.nhs {
		t.Fatalf("focus on the entry screen = %T, want the NHS number field", win.Canvas().Focused())
	}
	typeOn(win.Canvas(), "999 027 6579")
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, `TraceNHS "9990276579"`)
}

func TestEntrySubmittedCallsTraceNHS(t *testing.T) {
	w, _, rec := newTestWindow(t)
	w.Render(baseView())

	test.Type(w.nhs, "9990276579")
	w.nhs.OnSubmitted(w.nhs.Text)
	want(t, rec, `TraceNHS "9990276579"`)
}

func TestTracePatientButton(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(baseView())

	typeOn(win.Canvas(), "9990275831")
	test.Tap(button(t, win, "Trace patient"))
	want(t, rec, `TraceNHS "9990275831"`)
}

// A banner update while a scan is half typed (the Spine comes back, the
// queue drains) must keep both the digits and the focus.
func TestRenderKeepsTypingAndFocus(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := baseView()
	w.Render(v)
	typeOn(win.Canvas(), "99902")

	v.Banner.SpineLive = false
	v.Banner.SpineDown = now.Add(-time.Hour)
	v.Banner.Queued = 2
	w.Render(v)

	typeOn(win.Canvas(), "76579")
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, `TraceNHS "9990276579"`)
}

// After an invalid number the app hands the text back; a fresh scan must
// replace it, not be appended to it.
func TestRescanReplacesNumberHandedBack(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := baseView()
	w.Render(v)
	typeOn(win.Canvas(), "999 027 6578")
	press(win.Canvas(), fyne.KeyReturn)
	v.EntryText = "999 027 6578"
	v.Message = &Message{Title: "That NHS number is not right"}
	w.Render(v)

	typeOn(win.Canvas(), "9990276579")
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, `TraceNHS "9990276578"; TraceNHS "9990276579"`)
}

// With nothing focused (a tap on the background), a scan still lands in
// the NHS number field.
func TestScanWithNothingFocusedStillTraces(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(baseView())
	win.Canvas().Unfocus()

	typeOn(win.Canvas(), "9990276579")
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, `TraceNHS "9990276579"`)
}

// After the patient screen replaces the entry screen, a scan does not
// type into the hidden NHS number field: it is a new patient, traced from
// the digits scanned.
func TestScanOnPatientScreenIsANewPatient(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(baseView())
	w.Render(patientView(child))
	if win.Canvas().Focused() != nil {
		t.Errorf("%T keeps the focus on the patient screen", win.Canvas().Focused())
	}

	typeOn(win.Canvas(), "9990275831")
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, `TraceNHS "9990275831"`)
}

func TestNoSmartcardBlocksTrace(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := baseView()
	v.Banner.User, v.Banner.Role = "", ""
	w.Render(v)

	typeOn(win.Canvas(), "9990276579")
	press(win.Canvas(), fyne.KeyReturn)
	test.Tap(button(t, win, "Trace patient"))
	want(t, rec, "")
	if !strings.Contains(screenText(win), "Insert your smartcard") {
		t.Error("the banner does not ask for the smartcard")
	}
}

// The children who wait are checked only when the user agrees, and the
// checks can be paused (DESIGN.md, "Checks that wait").
func TestWaitingOfferAndPause(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := baseView()
	v.Offer = &Offer{Waiting: 2}
	w.Render(v)
	if !strings.Contains(screenText(win), "in your name") {
		t.Error("the offer does not say the checks are made in the user's name")
	}
	test.Tap(button(t, win, "Check them now"))
	v.Offer = &Offer{Waiting: 2, Checking: true}
	w.Render(v)
	test.Tap(button(t, win, "Pause the checks"))
	want(t, rec, "CheckWaiting; PauseWaiting")
}

func TestOpenAlertAsksFirst(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(patientView(child))

	test.Tap(button(t, win, "Check CP-IS for this child"))
	want(t, rec, "AskOpenAlert")
}

// A role without B0107 is offered no check, and told who can make it
// (guide step 12: B0107 views the CP-IS information).
func TestNoCheckWithoutB0107(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := patientView(child)
	v.CanOpen = false
	w.Render(v)

	walk(win.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*tapArea); ok && b.id == "openalert" {
			t.Error("a role without B0107 is offered the check")
		}
	})
	want(t, rec, "")
	if txt := screenText(win); !strings.Contains(txt, "B0107") || !strings.Contains(txt, "colleague") {
		t.Error("the screen does not say which code is missing and who can check")
	}
}

func TestConfirmOpensAndCancelGoesBack(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := patientView(child)
	v.Screen = ScreenConfirm
	w.Render(v)

	test.Tap(button(t, win, "Yes, check CP-IS now"))
	test.Tap(button(t, win, "Cancel"))
	want(t, rec, "ConfirmOpenAlert; Back")
}

// A scanner ends every scan with Enter. It must never be the keystroke
// that notifies a local authority.
func TestEnterDoesNotConfirm(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := patientView(child)
	v.Screen = ScreenConfirm
	w.Render(v)

	press(win.Canvas(), fyne.KeyReturn)
	ok := button(t, win, "Yes, check CP-IS now")
	win.Canvas().Focus(ok)
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, "")
	press(win.Canvas(), fyne.KeySpace)
	want(t, rec, "ConfirmOpenAlert")
}

func TestQuestionTickCallsAnswer(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := patientView(mother)
	v.Check = cpis.WhoToCheck(cpis.MaternityUnit, mother.AgeOn(now), mother.Gender, nil)
	w.Render(v)

	test.Tap(questionRow(t, win, cpis.QOutOfArea))
	want(t, rec, `Answer "`+string(cpis.QOutOfArea)+`" true`)

	rec.calls = nil
	v.Answers = cpis.Answers{cpis.QOutOfArea: true}
	v.Check = cpis.WhoToCheck(cpis.MaternityUnit, mother.AgeOn(now), mother.Gender, v.Answers)
	w.Render(v)
	test.Tap(questionRow(t, win, cpis.QOutOfArea))
	want(t, rec, `Answer "`+string(cpis.QOutOfArea)+`" false`)
}

func questionRow(t *testing.T, win fyne.Window, q cpis.Question) *tapArea {
	t.Helper()
	var found *tapArea
	walk(win.Content(), func(o fyne.CanvasObject) {
		b, ok := o.(*tapArea)
		if !ok {
			return
		}
		walk(b.content, func(o fyne.CanvasObject) {
			if rt, ok := o.(*widget.RichText); ok && rt.String() == string(q) {
				found = b
			}
		})
	})
	if found == nil {
		t.Fatalf("no tick box for %q", q)
	}
	return found
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct {
		name   string
		view   func() View
		focus  string // a control to focus first, "" for none
		expect string
	}{
		{"search, field focused", func() View { return onScreen(ScreenSearch) }, "family", "Back"},
		{"search, nothing focused", func() View { return onScreen(ScreenSearch) }, "", "Back"},
		{"results", func() View { return onScreen(ScreenResults) }, "", "Back"},
		{"confirm", func() View { v := patientView(child); v.Screen = ScreenConfirm; return v }, "", "Back"},
		{"patient", func() View { return patientView(child) }, "newpatient", "NewPatient"},
		{"alert", func() View { return alertView(cpis.Alert{NHS: child.NHS}) }, "", "NewPatient"},
		{"message first", func() View {
			v := baseView()
			v.Screen = ScreenSearch
			v.Message = &Message{Title: "No patient found"}
			return v
		}, "", "DismissMessage"},
		{"entry does nothing", baseView, "", ""},
		{"queue", func() View { return onScreen(ScreenQueue) }, "", "Back"},
		{"review list", func() View { v := onScreen(ScreenReview); v.Reviews = reviewRows(); return v }, "", "Back"},
		{"review item, note focused", func() View {
			v := baseView()
			v.Screen = ScreenReview
			v.Review = reviewAlert()
			return v
		}, "note", "Back"},
		{"passcode clears, never leaves", func() View { return sessionView(cpis.GatePasscode) }, "passcode", ""},
		{"role picker does nothing", func() View { v := sessionView(cpis.GateChooseRole); v.Session.Roles = roles(); return v }, "", ""},
		{"busy does nothing", func() View {
			v := baseView()
			v.Screen = ScreenSearch
			v.Busy = Busy{Active: true, Label: "Searching…"}
			return v
		}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, win, rec := newTestWindow(t)
			w.Render(tc.view())
			win.Canvas().Unfocus()
			if tc.focus != "" {
				f, ok := w.focusables[tc.focus]
				if !ok {
					t.Fatalf("no control %q", tc.focus)
				}
				win.Canvas().Focus(f)
				if win.Canvas().Focused() != f {
					t.Fatalf("could not focus %q", tc.focus)
				}
			}
			press(win.Canvas(), fyne.KeyEscape)
			want(t, rec, tc.expect)
		})
	}
}

func TestChooseResult(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(resultsView())

	var rows []*tapArea
	walk(win.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*tapArea); ok && strings.HasPrefix(b.id, "match-") {
			rows = append(rows, b)
		}
	})
	if len(rows) != 3 {
		t.Fatalf("%d result rows, want 3", len(rows))
	}
	test.Tap(rows[1])
	want(t, rec, "Choose 9990275831")
}

func TestSearchFormSendsQuery(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(onScreen(ScreenSearch))

	f, c := w.search, win.Canvas()
	typeInto(c, f.family, "Tester")
	typeInto(c, f.birth, "2/3/2015")
	f.gender.SetSelected("Female")
	typeInto(c, f.postcode, "ls1 4ap")
	press(c, fyne.KeyReturn)
	want(t, rec, "Search family=Tester given= dob=2015-03-02 gender=female postcode=LS1 4AP")
}

func TestSearchFormRejectsBadDate(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := onScreen(ScreenSearch)
	w.Render(v)

	f := w.search
	typeInto(win.Canvas(), f.family, "Tester")
	typeInto(win.Canvas(), f.birth, "31/02/2015")
	test.Tap(button(t, win, "Search"))
	want(t, rec, "")
	if !strings.Contains(screenText(win), "Date of birth must be a real date") {
		t.Errorf("no inline message for 31/02/2015; texts:\n%s", screenText(win))
	}
	if win.Canvas().Focused() != f.birth {
		t.Error("focus is not on the date of birth to correct it")
	}
	// The message stays through a banner update, and goes once fixed.
	v.Banner.Queued = 1
	w.Render(v)
	if !strings.Contains(screenText(win), "Date of birth must be a real date") {
		t.Error("a banner update cleared the inline message")
	}
	f.birth.SetText("28/02/2015")
	test.Tap(button(t, win, "Search"))
	want(t, rec, "Search family=Tester given= dob=2015-02-28 gender= postcode=")
}

// "The card comes out, or the session idles: the screen is wiped at once."
func TestScreenIsWiped(t *testing.T) {
	w, win, _ := newTestWindow(t)
	v := onScreen(ScreenSearch)
	v.Search = cpis.SearchQuery{Family: child.Family, Given: child.Given, BirthDate: child.BirthDate, Postcode: child.Postcode}
	w.Render(v)
	pv := patientView(child)
	pv.EntryText = child.NHS.Digits()
	w.Render(pv)
	av := alertView(cpis.Alert{NHS: child.NHS, Plans: []cpis.Plan{{Type: cpis.CPP, Start: date(2024, 6, 12), Authority: leeds}}, History: accesses(3)})
	w.Render(av)

	all := screenText(win)
	for _, s := range []string{child.NHS.String(), leeds.OutOfHours} {
		if !strings.Contains(all, s) {
			t.Fatalf("test is broken: %q is not on the alert screen", s)
		}
	}

	wiped := baseView()
	wiped.Banner.User, wiped.Banner.Role = "", ""
	w.Render(wiped)
	all = screenText(win)
	for _, s := range []string{child.Family, strings.ToUpper(child.Family), child.Given, child.NHS.String(),
		child.NHS.Digits(), child.Postcode, leeds.Name, leeds.OutOfHours, "Dr Sam PATEL"} {
		if strings.Contains(all, s) {
			t.Errorf("after the wipe the window still shows %q", s)
		}
	}
	// Nor may the fields kept between renders hold it, to come back later.
	for _, f := range []*textField{w.nhs, w.search.family, w.search.given, w.search.birth, w.search.postcode, w.note} {
		if f.Text != "" {
			t.Errorf("field %s still holds %q", f.id, f.Text)
		}
	}
}

// A note half typed on a review item goes when the card comes out.
func TestCardOutWipesReviewNote(t *testing.T) {
	w, win, _ := newTestWindow(t)
	v := onScreen(ScreenReview)
	v.Review = reviewAlert()
	w.Render(v)
	typeInto(win.Canvas(), w.note, "Called the duty social worker about Ava")
	w.Render(sessionView(cpis.GateInsertCard))
	if w.note.Text != "" {
		t.Errorf("the note field still holds %q", w.note.Text)
	}
}

// A number typed but not yet traced goes too when the card comes out.
func TestCardOutWipesTypedNumber(t *testing.T) {
	w, win, _ := newTestWindow(t)
	v := baseView()
	w.Render(v)
	typeOn(win.Canvas(), "999027")
	v.Banner.User, v.Banner.Role = "", ""
	w.Render(v)
	if w.nhs.Text != "" {
		t.Errorf("the NHS number field still holds %q", w.nhs.Text)
	}
}

func TestBindingShowRenders(t *testing.T) {
	w, win, _ := newTestWindow(t)
	// Show is for the app's goroutines; Fyne's test driver runs fyne.Do at
	// once, so calling it here draws straight away.
	NewBinding(w).Show(alertView(cpis.Alert{NHS: child.NHS}))
	if !strings.Contains(screenText(win), "No Child Care Alert") {
		t.Error("Show did not draw the View")
	}
}

// Tab walks the controls in reading order, from the NHS number field.
func TestTabOrder(t *testing.T) {
	w, win, _ := newTestWindow(t)
	w.Render(baseView())
	if got := tabOrder(t, win.Canvas(), 3); got != "nhs trace bydetails" {
		t.Errorf("tab order = %s", got)
	}
}

// Every control a finger can hit is at least 48 px high, on every screen.
func TestTouchTargets(t *testing.T) {
	for name, v := range goldenViews() {
		t.Run(name, func(t *testing.T) {
			w, win, _ := newTestWindow(t)
			w.Render(v)
			walk(win.Content(), func(o fyne.CanvasObject) {
				switch o.(type) {
				case *tapArea, *textField, *choiceSelect, *passcodeField:
					if h := o.Size().Height; h < 48 {
						t.Errorf("%T %q is %.0f px high", o, o.(identified).focusID(), h)
					}
				}
				// The keypad is pressed fast with gloves on: 64 px each way.
				if b, ok := o.(*tapArea); ok && (strings.HasPrefix(b.id, "key-") || b.id == "signin") {
					if s := o.Size(); s.Height < 64 || (b.id != "signin" && s.Width < 64) {
						t.Errorf("keypad key %q is %.0fx%.0f px", b.id, s.Width, s.Height)
					}
				}
			})
		})
	}
}

// The window must not grow past the screen at the smallest size: Fyne
// enlarges a canvas whose content's minimum does not fit.
func TestFitsSmallestScreen(t *testing.T) {
	views := goldenViews()
	long := strings.Repeat("Very long words ", 12)
	for name, v := range goldenViews() {
		v.Banner.Organisation = long + "(RXX01)"
		v.Banner.User, v.Banner.Role = "Professor Anne-Marie WORTHINGTON-SMYTHE", "Consultant Paediatrician "+long
		v.SafeguardingRoute = long
		v.Help = long
		if v.Patient != nil {
			p := *v.Patient
			p.Family, p.Given = "WORTHINGTON-SMYTHE-FOTHERINGHAM", "Anne-Marie Elizabeth Josephine"
			v.Patient = &p
		}
		if v.Downtime != nil {
			d := *v.Downtime
			d.Fallback = long + long
			v.Downtime = &d
		}
		v.Session.UserName = "Professor Anne-Marie WORTHINGTON-SMYTHE"
		v.Session.Reader = long
		for i := range v.Session.Roles {
			r := &v.Session.Roles[i]
			r.JobRole, r.OrgName, r.Why = long, long, long
		}
		for i := range v.Queue {
			v.Queue[i].Kind, v.Queue[i].State = long, long
		}
		for i := range v.Reviews {
			v.Reviews[i].Kind = long
		}
		if v.Review != nil {
			d := *v.Review
			d.Patient, d.PresentedBy, d.Row.Reason, d.Row.Note = long, long, long, long
			v.Review = &d
		}
		if v.Message != nil {
			m := *v.Message
			m.Title = long
			v.Message = &m
		}
		v.Replay = Replay{Active: true, Done: 12345, Total: 99999}
		if v.Opened != nil {
			a := *v.Opened
			a.Plans = append([]cpis.Plan(nil), a.Plans...)
			for i := range a.Plans {
				a.Plans[i].Authority.Name = "The Royal Borough of " + long
			}
			a.History = append([]cpis.Access{{When: now, Who: long, Role: long, Organisation: long}}, a.History...)
			v.Opened = &a
		}
		views[name+" with long text"] = v
	}
	for name, v := range views {
		t.Run(name, func(t *testing.T) {
			w, win, _ := newTestWindow(t)
			w.Render(v)
			if m := win.Content().MinSize(); m.Width > 1024 || m.Height > 768 {
				t.Errorf("content needs %v, more than 1024x768", m)
			}
		})
	}
}

// The local safeguarding route is on every screen, since the notification
// is not a referral; and the confirm screen and an alert say so in the
// guide's words: "for information only and is not a safeguarding children
// alert or referral". No alert tells nobody, so it says nothing of it.
func TestRouteAndNotReferralShown(t *testing.T) {
	for name, v := range goldenViews() {
		t.Run(name, func(t *testing.T) {
			w, win, _ := newTestWindow(t)
			w.Render(v)
			all := screenText(win)
			if strings.Count(all, route) != 1 {
				t.Errorf("the safeguarding route is shown %d times, want once", strings.Count(all, route))
			}
			told := v.Screen == ScreenConfirm || (v.Screen == ScreenAlert && v.Opened != nil && len(v.Opened.Plans) > 0)
			if told && !strings.Contains(all, "for information only and is not a safeguarding children alert or referral") {
				t.Error("no notice in the guide's words that the notification is not an alert or referral")
			}
		})
	}
}

// A scan that starts while a button has focus (after Escape dismissed a
// message, say) keeps its first digit.
func TestTypingOnFocusedButtonReachesNHSField(t *testing.T) {
	w, win, _ := newTestWindow(t)
	v := baseView()
	w.Render(v)
	b, ok := w.focusables["trace"]
	if !ok {
		t.Fatal("no trace button")
	}
	win.Canvas().Focus(b)
	for _, r := range "9990276579" {
		win.Canvas().Focused().TypedRune(r)
	}
	if got := w.nhs.Text; got != "9990276579" {
		t.Fatalf("NHS field %q, want all ten digits", got)
	}
}

// Escape dismisses a message; a scan that started before the window
// redrew keeps its digits.
func TestDismissKeepsDigitsTypedMeanwhile(t *testing.T) {
	w, _, _ := newTestWindow(t)
	v := baseView()
	v.Message = &Message{Title: "Recorded", Good: true}
	w.Render(v)
	w.nhs.SetText("9")
	v.Message = nil
	w.Render(v)
	if got := w.nhs.Text; got != "9" {
		t.Fatalf("NHS field %q after the message went, want the digit typed meanwhile", got)
	}
}
