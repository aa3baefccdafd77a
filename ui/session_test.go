package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/nhs-cpis/kiosk/cpis"
)

// control finds a focusable control of this render by its id.
func control(t *testing.T, w *Window, id string) identified {
	t.Helper()
	c, ok := w.focusables[id]
	if !ok {
		t.Fatalf("no control %q on screen", id)
	}
	return c
}

func tapControl(t *testing.T, w *Window, id string) {
	t.Helper()
	c, ok := control(t, w, id).(fyne.Tappable)
	if !ok {
		t.Fatalf("control %q cannot be tapped", id)
	}
	test.Tap(c)
}

// noPasscodeKept fails if the window holds the passcode anywhere the test
// can see: the field, or any text in the tree.
func noPasscodeKept(t *testing.T, w *Window, win fyne.Window, passcode string) {
	t.Helper()
	if len(w.pass.chars) != 0 || w.pass.take() != "" {
		t.Errorf("the passcode field still holds %d characters", len(w.pass.chars))
	}
	if all := screenText(win); strings.Contains(all, passcode) {
		t.Errorf("a text on screen holds the passcode %q", passcode)
	}
}

func TestKeypadDigitsAndSignIn(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(sessionView(cpis.GatePasscode))
	if win.Canvas().Focused() != w.pass {
		t.Fatalf("focus on the passcode screen = %T, want the passcode field", win.Canvas().Focused())
	}
	// The field must already be empty when the app gets the passcode.
	rec.during = func() {
		if len(w.pass.chars) != 0 {
			t.Error("the field still held the passcode when it was handed over")
		}
	}

	for _, k := range []string{"key-2", "key-0", "key-4", "key-8", "key-6"} {
		tapControl(t, w, k)
	}
	tapControl(t, w, "key-delete")
	tapControl(t, w, "key-1")
	if win.Canvas().Focused() != w.pass {
		t.Error("after a key tap the keyboard no longer types into the passcode field")
	}
	tapControl(t, w, "signin")
	want(t, rec, `SubmitPasscode "20481"`)
	noPasscodeKept(t, w, win, "20481")
}

func TestPasscodeFromKeyboardEnterSubmits(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(sessionView(cpis.GatePasscode))

	typeOn(win.Canvas(), "135799")
	press(win.Canvas(), fyne.KeyBackspace)
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, `SubmitPasscode "13579"`)
	noPasscodeKept(t, w, win, "13579")

	// With nothing focused (a stray tap), typing still reaches the field.
	win.Canvas().Unfocus()
	typeOn(win.Canvas(), "2468")
	press(win.Canvas(), fyne.KeyEnter)
	want(t, rec, `SubmitPasscode "13579"; SubmitPasscode "2468"`)
}

// The keypad's Clear, and Escape, empty the field.
func TestPasscodeClearAndEscape(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(sessionView(cpis.GatePasscode))
	typeOn(win.Canvas(), "1234")
	tapControl(t, w, "key-clear")
	typeOn(win.Canvas(), "5678")
	press(win.Canvas(), fyne.KeyEscape)
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, "")
	if len(w.pass.chars) != 0 {
		t.Errorf("the field holds %d characters after Escape", len(w.pass.chars))
	}
}

// A passcode too short is not sent, and nor is a scan: a barcode read at
// the lock screen must not cost the card one of its three tries.
func TestPasscodeLengthGuards(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := sessionView(cpis.GateLocked)
	v.Session.UserName = "Jane SMITH"
	w.Render(v)

	press(win.Canvas(), fyne.KeyReturn)
	if !strings.Contains(screenText(win), "Type your passcode first") {
		t.Error("Enter on an empty field says nothing")
	}
	typeOn(win.Canvas(), "123")
	tapControl(t, w, "signin")
	press(win.Canvas(), fyne.KeyReturn)
	if !strings.Contains(screenText(win), "at least 4 characters") {
		t.Error("a short passcode is refused without saying why")
	}
	tapControl(t, w, "key-clear")

	typeOn(win.Canvas(), "9990276579")
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, "")
	if !strings.Contains(screenText(win), "more than 8 characters") {
		t.Errorf("a scan is refused without saying why; texts:\n%s", screenText(win))
	}
	if len(w.pass.chars) > passcodeMax {
		t.Errorf("the field kept %d characters", len(w.pass.chars))
	}
	press(win.Canvas(), fyne.KeyBackspace)
	typeOn(win.Canvas(), "1357")
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, `SubmitPasscode "1357"`)
}

// A passcode half typed goes when the card comes out.
func TestPasscodeGoesWithTheCard(t *testing.T) {
	w, win, _ := newTestWindow(t)
	w.Render(sessionView(cpis.GatePasscode))
	typeOn(win.Canvas(), "12")
	w.Render(sessionView(cpis.GateInsertCard))
	if len(w.pass.chars) != 0 {
		t.Errorf("the field still holds %d characters", len(w.pass.chars))
	}
}

func TestTriesLeftWarning(t *testing.T) {
	for n, s := range map[int]string{
		2: "Wrong passcode. 2 tries left before the card is locked.",
		1: "Wrong passcode. 1 try left before the card is locked.",
	} {
		w, win, _ := newTestWindow(t)
		v := sessionView(cpis.GatePasscode)
		v.Session.TriesLeft = n
		w.Render(v)
		if !strings.Contains(screenText(win), s) {
			t.Errorf("%d tries left: no %q", n, s)
		}
	}
}

func TestChooseRole(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := sessionView(cpis.GateChooseRole)
	v.Session.Roles = roles()
	w.Render(v)

	tapControl(t, w, "role-1") // not usable here: nothing happens
	tapControl(t, w, "role-0")
	want(t, rec, "ChooseRole 555021935107")
	all := screenText(win)
	for _, s := range []string{"St Elsewhere's Hospital NHS Trust (RXX)", "B0264, B0107", "silent read"} {
		if !strings.Contains(all, s) {
			t.Errorf("the role picker does not show %q", s)
		}
	}
}

// Whatever else the View holds, a session screen draws nothing of a
// patient, and no field keeps it for later.
func TestSessionScreensShowNoPatient(t *testing.T) {
	for _, g := range []cpis.Gate{cpis.GateStarting, cpis.GateNoReader, cpis.GateInsertCard, cpis.GatePasscode,
		cpis.GateChooseRole, cpis.GateLocked, cpis.GateRefused} {
		for name, v := range map[string]View{
			"patient": patientView(child),
			"alert": alertView(cpis.Alert{NHS: child.NHS, Plans: []cpis.Plan{{Type: cpis.CPP, Start: date(2024, 6, 12),
				Authority: leeds}}, History: accesses(3)}),
			"review": func() View { v := onScreen(ScreenReview); v.Review = reviewAlert(); return v }(),
		} {
			w, win, _ := newTestWindow(t)
			// First the check flow with the fields filled in, as when the
			// session locks in the middle of a check.
			search := baseView()
			search.Screen = ScreenSearch
			search.Search = cpis.SearchQuery{Family: child.Family, BirthDate: child.BirthDate, Postcode: child.Postcode}
			w.Render(search)
			v.EntryText = child.NHS.Digits()
			v.Search = search.Search
			w.Render(v)
			if !strings.Contains(screenText(win), child.NHS.String()) {
				t.Fatalf("test is broken: the %s screen does not show the NHS number", name)
			}

			v.Session = SessionView{Gate: g, Reader: "Reader 0", UserName: "Jane SMITH", Roles: roles()}
			w.Render(v)
			all := screenText(win)
			for _, s := range []string{child.Family, strings.ToUpper(child.Family), child.Given, child.NHS.String(),
				child.NHS.Digits(), child.Postcode, leeds.Name, leeds.OutOfHours, "Dr Sam PATEL", "Child Care Alert"} {
				if strings.Contains(all, s) {
					t.Errorf("gate %d over the %s screen shows %q", g, name, s)
				}
			}
			for _, f := range []*textField{w.nhs, w.search.family, w.search.given, w.search.birth, w.search.postcode, w.note} {
				if f.Text != "" {
					t.Errorf("gate %d: field %s still holds %q", g, f.id, f.Text)
				}
			}
		}
	}
}

// Every key and every tap restarts the idle timer.
func TestActivity(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(sessionView(cpis.GatePasscode))
	typeOn(win.Canvas(), "12")
	press(win.Canvas(), fyne.KeyBackspace)
	tapControl(t, w, "key-5")
	if rec.activity != 4 {
		t.Errorf("Activity called %d times for 4 key presses and taps, want 4", rec.activity)
	}

	w.Render(baseView())
	rec.activity = 0
	typeOn(win.Canvas(), "999")
	win.Canvas().Unfocus()
	typeOn(win.Canvas(), "0")
	press(win.Canvas(), fyne.KeyEscape)
	test.Tap(button(t, win, "Search by details"))
	if rec.activity != 6 {
		t.Errorf("Activity called %d times for 6 key presses and taps, want 6", rec.activity)
	}
}

// The session screens say what to do, in the words the nurse needs.
func TestSessionWords(t *testing.T) {
	for g, s := range map[cpis.Gate]string{
		cpis.GateStarting:   "Starting the kiosk",
		cpis.GateNoReader:   "call IT",
		cpis.GateInsertCard: "Insert your NHS smartcard",
		cpis.GatePasscode:   "Enter your passcode",
		cpis.GateChooseRole: "Choose your role for this session",
		cpis.GateLocked:     "The kiosk locked after a period of no use.",
		cpis.GateRefused:    "Take your card out",
	} {
		w, win, _ := newTestWindow(t)
		w.Render(sessionView(g))
		if !strings.Contains(screenText(win), s) {
			t.Errorf("gate %d does not say %q", g, s)
		}
	}
}

// While the card checks the passcode nothing can be typed or pressed;
// after a wrong one the field has the focus again for the next try.
func TestPasscodeWhileChecking(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := sessionView(cpis.GatePasscode)
	w.Render(v)
	typeOn(win.Canvas(), "1234")
	press(win.Canvas(), fyne.KeyReturn)

	v.Busy = Busy{Active: true, Label: "Checking your passcode…"}
	w.Render(v)
	typeOn(win.Canvas(), "5678")
	tapControl(t, w, "key-9")
	press(win.Canvas(), fyne.KeyReturn)
	if len(w.pass.chars) != 0 {
		t.Errorf("the field took %d characters while the card was busy", len(w.pass.chars))
	}
	if !strings.Contains(screenText(win), "Checking your passcode") {
		t.Error("no progress while the card checks the passcode")
	}

	v.Busy = Busy{}
	v.Session.TriesLeft = 2
	w.Render(v)
	if win.Canvas().Focused() != w.pass {
		t.Errorf("focus after a wrong passcode = %T, want the passcode field", win.Canvas().Focused())
	}
	typeOn(win.Canvas(), "4321")
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, `SubmitPasscode "1234"; SubmitPasscode "4321"`)
}

// Tab walks the passcode screen from the field through the keypad to
// Sign in, and Space presses a key as a finger would.
func TestPasscodeTabOrder(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(sessionView(cpis.GatePasscode))
	c := win.Canvas()
	typeOn(c, "2580") // Sign in is skipped while it is disabled
	if got := tabOrder(t, c, 14); got != "passcode key-1 key-2 key-3 key-4 key-5 key-6 key-7 key-8 key-9 key-clear key-0 key-delete signin" {
		t.Errorf("tab order = %s", got)
	}
	c.Focus(w.focusables["key-7"])
	press(c, fyne.KeyEscape) // clears the field, wherever the focus is
	press(c, fyne.KeySpace)
	typeOn(c, "123") // typing with a key focused still reaches the field
	press(c, fyne.KeyReturn)
	want(t, rec, `SubmitPasscode "7123"`)
}

// With NHS CIS2 in the browser the kiosk takes no passcode: typing on the
// lock screen goes nowhere, Enter signs in again, and Cancel on the
// signing-in screen stops the sign-in.
func TestCIS2ScreensTakeNoPasscode(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := sessionView(cpis.GateLocked)
	v.Session.Browser = true
	w.Render(v)
	typeOn(win.Canvas(), "1234")
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, "SignInAgain")
	if len(w.pass.chars) != 0 {
		t.Errorf("the lock screen took %d passcode characters", len(w.pass.chars))
	}

	v = sessionView(cpis.GateSigningIn)
	v.Session.Browser = true
	w.Render(v)
	tapControl(t, w, "cancel-signin")
	want(t, rec, "SignInAgain; CancelSignIn")
}
