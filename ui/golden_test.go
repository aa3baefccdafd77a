package ui

import (
	"sort"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/nhs-cpis/kiosk/cpis"
)

func resultsView() View {
	v := baseView()
	v.Screen = ScreenResults
	v.Search = cpis.SearchQuery{Family: "Tester", BirthDate: child.BirthDate}
	v.Matches = []Match{
		{NHS: child.NHS, Name: child.Name(), BirthDate: child.BirthDate, Gender: child.Gender, Postcode: child.Postcode},
		{NHS: baby.NHS, Name: "TESTER, Ava May", BirthDate: child.BirthDate, Gender: cpis.Female, Postcode: "BD1 1AA"},
		{NHS: "9990001234", Name: "TESTER, Eva", BirthDate: child.BirthDate, Gender: cpis.Female},
	}
	v.Help = "Choose the row that matches the patient in front of you. Back changes the details."
	return v
}

// goldenViews is one View per state the kiosk can show; each has a golden
// image in testdata/ taken at 1024x768.
func goldenViews() map[string]View {
	views := map[string]View{}

	views["entry_empty"] = baseView()

	v := baseView()
	v.Banner.Queued = 3
	v.Offer = &Offer{Waiting: 3}
	views["entry_waiting_offer"] = v

	v = baseView()
	v.Banner.Queued = 3
	v.Offer = &Offer{Waiting: 3, Checking: true, Confirm: true}
	v.Replay = Replay{Active: true, Done: 1, Total: 3}
	views["entry_waiting_confirm"] = v

	v = baseView()
	v.Banner.Queued = 3
	v.Screen = ScreenMatch
	v.Replay = Replay{Active: true, Done: 1, Total: 3}
	v.Match = &MatchCheck{Recorded: cpis.SearchQuery{Family: "Tester", Given: "Ava", BirthDate: child.BirthDate, Gender: cpis.Female},
		Presented: spineDownAt.Add(40 * time.Minute), RecordedBy: "Sam Jones, Receptionist", Patient: child}
	views["waiting_match"] = v

	v = baseView()
	v.EntryText = "999 027 6578"
	v.Message = &Message{
		Title: "That NHS number is not right",
		Body:  "The check digit does not match: a digit is probably mistyped.",
		Next:  "Check the number on the wristband and type it again, or scan it.",
	}
	views["entry_invalid_number"] = v

	v = baseView()
	v.Screen = ScreenSearch
	v.Search = cpis.SearchQuery{Family: "Tester", BirthDate: child.BirthDate, Gender: cpis.Female}
	v.Help = "Family name and date of birth are needed. Press Enter to search."
	views["search_form"] = v

	views["results"] = resultsView()

	views["patient"] = patientView(child)

	views["patient_baby"] = patientView(baby)

	r := child
	r.Restricted = true
	r.Postcode = ""
	views["patient_restricted"] = patientView(r)

	v = patientView(mother)
	v.Banner.Setting = "Maternity unit"
	v.Answers = cpis.Answers{cpis.QOutOfArea: false}
	v.Check = cpis.WhoToCheck(cpis.MaternityUnit, mother.AgeOn(now), mother.Gender, v.Answers)
	views["patient_ask_staff"] = v

	v = patientView(child)
	v.CanOpen = false
	views["patient_cannot_open"] = v

	v = patientView(child)
	v.Message = &Message{
		Title: "This NHS number has been replaced",
		Body:  "The national register replaced NHS number 999 027 5831 with 999 027 6579.",
		Next:  "The current number, 999 027 6579, is used for the check. Correct the wristband or notes.",
		Warn:  true,
	}
	views["patient_superseded"] = v

	v = patientView(child)
	v.Screen = ScreenConfirm
	v.Help = "Checking tells the child's local authority that the child presented here, if the child has a plan."
	views["confirm"] = v

	views["alert_none"] = alertView(cpis.Alert{NHS: child.NHS})

	// FGM-IS: the indicator in the patient's context, before and after the
	// check; and, with none, the reminder where the result is shown.
	fgm := &FGMIndicator{Assessed: date(2023, 3, 14), Queried: time.Date(2026, 3, 1, 9, 41, 0, 0, time.UTC)}
	v = patientView(child)
	v.FGM, v.FGMAsked = fgm, true
	views["fgm_patient"] = v
	v = alertView(cpis.Alert{NHS: child.NHS, Plans: []cpis.Plan{{Type: cpis.CPP, Start: date(2024, 6, 12), Authority: leeds}},
		History: accesses(3)})
	v.FGM, v.FGMAsked = fgm, true
	views["fgm_alert"] = v
	v = alertView(cpis.Alert{NHS: child.NHS})
	v.FGMAsked = true
	views["fgm_none_note"] = v

	views["alert_two_authorities"] = alertView(cpis.Alert{
		NHS: child.NHS,
		Plans: []cpis.Plan{
			{Type: cpis.CPP, Start: date(2024, 6, 12), Authority: leeds},
			{Type: cpis.LAC, Start: date(2023, 2, 1), Authority: cpis.LocalAuthority{Name: "Manchester City Council",
				OfficeHours: "0161 234 5001", OutOfHours: "0161 234 5999"}},
		},
		History: accesses(3),
	})

	views["alert_unknown_type"] = alertView(cpis.Alert{
		NHS:     child.NHS,
		Plans:   []cpis.Plan{{Type: cpis.PlanUnknown, Start: date(2025, 9, 1), Authority: leeds}},
		History: accesses(2),
	})

	views["alert_cpp"] = alertView(cpis.Alert{
		NHS:     child.NHS,
		Plans:   []cpis.Plan{{Type: cpis.CPP, Start: date(2024, 6, 12), Authority: leeds}},
		History: accesses(25),
	})

	views["alert_ucpp"] = alertView(cpis.Alert{
		NHS: mother.NHS,
		Plans: []cpis.Plan{{Type: cpis.UCPP, Start: date(2025, 12, 1), End: date(2026, 2, 27),
			Authority: leeds}},
		History: accesses(2),
	})

	v = baseView()
	v.Busy = Busy{Active: true, Label: "Tracing patient…"}
	v.EntryText = "9990276579"
	views["busy"] = v

	v = baseView()
	v.Banner.SpineLive = false
	v.Banner.SpineDown = date(2026, 3, 5).Add(2*time.Hour + 13*time.Minute)
	v.Banner.Queued = 3
	v.Banner.Review = 1
	v.Message = &Message{
		Title: "The Spine cannot be reached",
		Body:  "Checks are being recorded and will run when it is back.",
		Next:  "Follow the local process for when CP-IS is down.",
		Warn:  true,
	}
	views["spine_down"] = v

	v = baseView()
	v.Screen = ScreenSearch
	v.Help = "Family name and date of birth are needed. Press Enter to search."
	v.Message = &Message{
		Title: "No patient found",
		Body:  "PDS has no patient with that family name and date of birth.",
		Next:  "Check the spelling and the date of birth, or trace by NHS number.",
	}
	views["message_error"] = v

	v = baseView()
	v.Banner.User, v.Banner.Role = "", ""
	views["no_user"] = v

	v = resultsView()
	v.Banner.User, v.Banner.Role, v.Banner.Demo = "Demo NURSE", "Staff nurse", true
	views["demo_banner"] = v

	for name, v := range sessionGoldenViews() {
		views[name] = v
	}
	for name, v := range downtimeGoldenViews() {
		views[name] = v
	}
	return views
}

// sessionGoldenViews are the smartcard sign-in's screens.
func sessionGoldenViews() map[string]View {
	views := map[string]View{}
	views["gate_starting"] = sessionView(cpis.GateStarting)
	views["gate_no_reader"] = sessionView(cpis.GateNoReader)
	views["gate_insert_card"] = sessionView(cpis.GateInsertCard)
	views["gate_passcode"] = sessionView(cpis.GatePasscode)

	v := sessionView(cpis.GatePasscode)
	v.Session.TriesLeft = 2
	views["gate_passcode_2_tries"] = v

	v = sessionView(cpis.GatePasscode)
	v.Session.TriesLeft = 1
	views["gate_passcode_1_try"] = v

	v = sessionView(cpis.GateChooseRole)
	v.Session.UserName = "Jane SMITH"
	v.Session.Roles = roles()
	views["gate_choose_role"] = v

	v = sessionView(cpis.GateLocked)
	v.Session.UserName = "Jane SMITH"
	views["gate_locked"] = v

	v = sessionView(cpis.GateRefused)
	v.Message = &Message{
		Title: "Your smartcard is locked after too many wrong passcodes.",
		Body:  "Your registration authority can unlock it.",
	}
	views["gate_refused"] = v

	// NHS CIS2 in the system browser.
	v = sessionView(cpis.GateInsertCard)
	v.Session.Browser = true
	views["cis2_insert_card"] = v
	v = sessionView(cpis.GateSigningIn)
	v.Session.Browser = true
	views["cis2_signing_in"] = v
	v = sessionView(cpis.GateSigningIn)
	views["cis2_signing_in_sandbox"] = v
	v = sessionView(cpis.GateLocked)
	v.Session.UserName, v.Session.Browser, v.Help = "Jane SMITH", true, ""
	views["cis2_locked"] = v
	v = sessionView(cpis.GateInsertCard)
	v.Session.Browser = true
	v.Message = &Message{Title: "The NHS sign-in did not come back",
		Body: "The sign-in window was closed, or nothing happened in it for 5 minutes. Nobody is signed in.",
		Next: "Take your card out and insert it again to start again.", Warn: true}
	views["cis2_no_callback"] = v
	return views
}

// downtimeGoldenViews are the screens of a Spine outage and what follows.
func downtimeGoldenViews() map[string]View {
	views := map[string]View{}
	views["downtime_entry"] = downtimeView()

	v := downtimeView()
	v.Banner.Queued = 3
	v.Message = &Message{Title: "Recorded. The check will be made when the Spine is back.", Good: true}
	views["downtime_recorded"] = v

	v = baseView()
	v.Banner.Queued = 2
	v.Replay = Replay{Active: true, Done: 1, Total: 3}
	views["replay_entry"] = v

	v = baseView()
	v.Banner.SpineLive = false
	v.Banner.SpineDown = now.Add(-3*time.Hour - 30*time.Minute)
	v.Banner.Queued = 3
	v.Screen = ScreenQueue
	v.Queue = queueRows()
	v.Help = "A colleague with code B0107 signed in here makes these checks. Call IT about any check moved aside."
	views["queue"] = v

	v = reviewList(3)
	v.Help = "Open an item to see what was found and to sign it off."
	views["review_list"] = v

	v = reviewList(3)
	v.Review = reviewAlert()
	v.Help = "Act on the alert, then write what was done and sign the item off."
	views["review_alert"] = v

	v = reviewList(2)
	v.Review = reviewSignedOff()
	v.Help = "Signed-off items stay on the list for audit."
	views["review_signed_off"] = v

	// A check that waited found an FGM-IS indicator and no alert.
	v = reviewList(3)
	d := reviewAlert()
	d.Alert, d.Row.AlertFound, d.Row.Kind = nil, false, "FGM-IS indicator found"
	d.Row.Reason = ""
	d.FGM = &FGMIndicator{Assessed: date(2023, 3, 14), Queried: now.Add(-time.Hour)}
	v.Review = d
	views["review_fgm"] = v
	return views
}

func TestGolden(t *testing.T) { assertGoldens(t, goldenViews()) }

// assertGoldens draws each View at 1024x768, the smallest screen the
// kiosk runs on, and at 1920x1080, the largest, and compares them with
// their golden images, testdata/<name>.png and <name>_1920.png.
func assertGoldens(t *testing.T, views map[string]View) {
	names := make([]string, 0, len(views))
	for n := range views {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for _, sz := range []struct {
				size fyne.Size
				file string
			}{{fyne.NewSize(1024, 768), name + ".png"}, {fyne.NewSize(1920, 1080), name + "_1920.png"}} {
				w, win, _ := newTestWindowSized(t, sz.size)
				w.Render(views[name])
				test.AssertImageMatches(t, sz.file, win.Canvas().Capture())
			}
		})
	}
}

// The search form's own check of the date, shown inline where it is fixed.
func TestGoldenSearchInvalidDate(t *testing.T) {
	w, win, _ := newTestWindow(t)
	v := baseView()
	v.Screen = ScreenSearch
	w.Render(v)
	w.search.family.SetText("Tester")
	w.search.birth.SetText("31/02/2015")
	w.search.submit()
	test.AssertImageMatches(t, "search_invalid_date.png", win.Canvas().Capture())
}

// The passcode field shows a dot per digit, never the digits.
func TestGoldenPasscodeTyped(t *testing.T) {
	w, win, _ := newTestWindow(t)
	w.Render(sessionView(cpis.GatePasscode))
	typeOn(win.Canvas(), "1357")
	test.AssertImageMatches(t, "gate_passcode_typed.png", win.Canvas().Capture())
}
