package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/nhs-cpis/kiosk/cpis"
)

// statusFixture is an IT status with each level and the kinds of line the
// app sends: a green reader, an amber identity check, a red Spine link.
func statusFixture() *StatusView {
	return &StatusView{
		Overall: StatusRed,
		Version: "0.1.0+a1b2c3d",
		Commit:  "a1b2c3d",
		Checked: now,
		Lines: []StatusLine{
			{Title: "Smartcard reader and card", Detail: "Virtual PCD 00 01: card in", Level: StatusGreen},
			{Title: "PC/SC service", Detail: "Answering: pcscd is running (pid 812); readers plugged in are noticed at once.", Level: StatusGreen},
			{Title: "NHS identity software", Level: StatusAmber,
				Detail: "Neither NHS Credential Management (Smartcard Connect) nor NHS Identity Agent was found where they install.",
				Next:   "The kiosk reads the smartcard itself. If local policy puts the NHS identity software on every Spine PC, install NHS Credential Management."},
			{Title: "Operating system", Detail: "Debian GNU/Linux 12 (bookworm) (debian 12); the baseline wants debian 12 (baseline: built in)", Level: StatusGreen},
			{Title: "Spine: PDS (patient trace)", Level: StatusRed,
				Detail: "No answer from int.api.service.nhs.uk: it refused the connection.",
				Next:   "Check the network cable or Wi-Fi and the HSCN link; if other PCs cannot reach the Spine either, follow the downtime process."},
			{Title: "Spine TLS certificates", Level: StatusAmber,
				Detail: "The certificate of identity.example.nhs.uk expires in 9 days (14 Mar 2026).",
				Next:   "Ask for the certificate to be renewed before it expires."},
			{Title: "Offline queue", Level: StatusAmber, Detail: "3 waiting for the Spine; the oldest for 2 h 10 min.",
				Next: "They are checked by themselves when the Spine is back."},
			{Title: "Disk space (data folder)", Detail: "41.2 GiB free in /var/lib/cpis-kiosk.", Level: StatusGreen},
		},
	}
}

func statusScreen() View {
	v := baseView()
	v.Screen = ScreenStatus
	v.Status = statusFixture()
	v.Help = "Quote the version and commit to the service desk. The diagnostics bundle holds no patient details."
	return v
}

func TestGoldenStatus(t *testing.T) {
	views := map[string]View{}
	views["status"] = statusScreen()

	v := statusScreen()
	v.Message = &Message{Title: "Diagnostics bundle saved", Good: true,
		Body: "Saved as /var/lib/cpis-kiosk/bundles/cpis-kiosk-diagnostics-20260305-031200.zip. It holds the status, the recent logs and the configuration: no patient details.",
		Next: "Send it to the IT service desk with the call."}
	views["status_bundle_saved"] = v

	v = statusScreen()
	v.Status = nil
	v.Busy = Busy{Active: true, Label: "Checking the reader, the Spine link, the queue and this PC…"}
	views["status_checking"] = v

	// IT reaches it before anyone can sign in, which is when it is needed.
	v = sessionView(cpis.GateNoReader)
	v.Screen = ScreenStatus
	v.Status = statusFixture()
	views["status_no_reader"] = v
	assertGoldens(t, views)
}

// "IT status" is offered wherever no patient can be on screen, and never
// where a card holder is typing a passcode or a patient is shown.
func TestStatusButtonWhere(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    View
		want bool
	}{
		{"entry", baseView(), true},
		{"queue", onScreen(ScreenQueue), true},
		{"no reader", sessionView(cpis.GateNoReader), true},
		{"insert card", sessionView(cpis.GateInsertCard), true},
		{"starting", sessionView(cpis.GateStarting), true},
		{"refused", sessionView(cpis.GateRefused), true},
		{"passcode", sessionView(cpis.GatePasscode), false},
		{"choose role", sessionView(cpis.GateChooseRole), false},
		{"locked", sessionView(cpis.GateLocked), false},
		{"patient", patientView(child), false},
		{"search", onScreen(ScreenSearch), false},
		{"alert", alertView(*reviewAlert().Alert), false},
		{"status itself", statusScreen(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, _, _ := newTestWindow(t)
			w.Render(tc.v)
			if _, ok := w.focusables["itstatus"]; ok != tc.want {
				t.Errorf("IT status button shown %v, want %v", ok, tc.want)
			}
		})
	}
}

func TestStatusActions(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(baseView())
	tapControl(t, w, "itstatus")
	w.Render(statusScreen())
	tapControl(t, w, "bundle")
	tapControl(t, w, "recheck")
	press(win.Canvas(), fyne.KeyEscape)
	tapControl(t, w, "back")
	if got, want := rec.String(), "ShowStatus; SaveBundle; ShowStatus; Back; Back"; got != want {
		t.Fatalf("calls %q, want %q", got, want)
	}

	// While a check runs, nothing on the screen can be pressed twice.
	v := statusScreen()
	v.Busy = Busy{Active: true, Label: "Saving the diagnostics bundle…"}
	w.Render(v)
	rec.calls = nil
	tapControl(t, w, "bundle")
	press(win.Canvas(), fyne.KeyEscape)
	if len(rec.calls) != 0 {
		t.Fatalf("busy status screen acted: %v", rec.calls)
	}
}

// The screen draws the words as well as the colours, and the next step
// only where there is something to do.
func TestStatusWords(t *testing.T) {
	w, win, _ := newTestWindow(t)
	w.Render(statusScreen())
	all := screenText(win)
	for _, want := range []string{"OK", "Check", "Fault", "1 fault to fix, 3 to check.", "Version 0.1.0+a1b2c3d, commit a1b2c3d",
		"Next: ", "Ask for the certificate to be renewed"} {
		if !strings.Contains(all, want) {
			t.Errorf("the status screen does not say %q", want)
		}
	}
	next := 0
	walk(win.Content(), func(o fyne.CanvasObject) {
		if r, ok := o.(*widget.RichText); ok && len(r.Segments) > 0 {
			if ts, ok := r.Segments[0].(*widget.TextSegment); ok && ts.Text == "Next: " {
				next++
			}
		}
	})
	if next != 4 {
		t.Errorf("%d next steps, want one per amber or red line (4)", next)
	}
}
