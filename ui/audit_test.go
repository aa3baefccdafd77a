package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The lead's screens' fixtures.

func leadView(s Screen) View {
	v := baseView()
	v.Banner.User, v.Banner.Role = "Sam LEAD", "Named Nurse Safeguarding · St Elsewhere's Hospital"
	v.Lead = true
	v.Screen = s
	v.Help = "Filter by dates and user, then export for the routine audit. Each flag is worth a look, not proof of misuse."
	v.Account = &AccountView{Audit: auditFixture(), Staff: staffFixture(), Readiness: readinessFixture()}
	return v
}

func auditFixture() AuditView {
	day := date(2026, 3, 4)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	rows := []AuditRow{
		{Seq: 48, At: at(22, 41), User: "Chris JONES (555000000013)", Role: "Paramedic, RX9", Event: "Alert opened", NHS: child.NHS, Notified: true},
		{Seq: 47, At: at(22, 40), User: "Chris JONES (555000000013)", Role: "Paramedic, RX9", Event: "Silent check", NHS: child.NHS},
		{Seq: 46, At: at(22, 40), User: "Chris JONES (555000000013)", Role: "Paramedic, RX9", Event: "Trace", NHS: child.NHS},
		{Seq: 45, At: at(14, 2), User: "Jane SMITH (555000000010)", Role: "Staff Nurse, RXX01", Event: "Alert opened", NHS: baby.NHS, Notified: true},
		{Seq: 44, At: at(11, 30), User: "Jane SMITH (555000000010)", Role: "Staff Nurse, RXX01", Event: "Replayed", NHS: mother.NHS, Replayed: true},
		{Seq: 43, At: at(9, 15), User: "Jane SMITH (555000000010)", Role: "Staff Nurse, RXX01", Event: "Sign-in"},
	}
	return AuditView{
		Filter: AuditFilter{From: date(2026, 2, 26), To: date(2026, 3, 4), User: ""},
		Hours:  "08:00-20:00", Events: 48, Traces: 17, Opened: 9, Rows: rows, More: 42,
		Flags: []AuditFlag{
			{Kind: FlagNoPresentation, At: at(14, 2), User: "Jane SMITH (555000000010)", NHS: baby.NHS,
				Detail: "alert opened with no trace of the patient by the same user in the 4 hours before"},
			{Kind: FlagManyOpens, At: at(12, 5), User: "Pat LEE (555000000014)",
				Detail: "12 alerts opened between 12:05 and 12:58 (more than 10 in an hour)"},
			{Kind: FlagOutOfHours, At: at(22, 40), User: "Chris JONES (555000000013)", NHS: child.NHS,
				Detail: "Trace at 22:40, outside opening hours 08:00-20:00"},
		},
	}
}

func staffFixture() []StaffRow {
	return []StaffRow{
		{Name: "Sam PATEL", UserID: "555000000011", Role: "Receptionist, RXX01", Codes: "B0264", When: now.Add(-2 * time.Hour),
			Opened: "opened neither test patient's alert", Missing: "B0107"},
		{Name: "Chris JONES", UserID: "555000000013", Role: "Paramedic, RX9", Codes: "B0264, B0107", When: now.Add(-26 * time.Hour),
			Opened: "opened 9990276579, not yet 9990275831"},
		{Name: "Jane SMITH", UserID: "555000000010", Role: "Staff Nurse, RXX01", Codes: "B0264, B0107", Verified: true,
			When: now.Add(-3 * 24 * time.Hour)},
	}
}

func readinessFixture() []ReadinessRow {
	return []ReadinessRow{
		{ID: "care-setting", Steps: "Step 2", Title: "Care setting configured and in scope", State: Ready,
			Evidence: "Emergency department at St Elsewhere's Hospital (RXX01): one of the seven unscheduled care settings."},
		{ID: "spine", Steps: "Steps 8, 10", Title: "Spine reachable", State: Ready, Evidence: "Last successful check: 05 Mar 2026 02:58 (Alert opened)."},
		{ID: "baseline", Steps: "Steps 13, 14", Title: "Environment baseline (WES) passed", State: NotChecked,
			Evidence: "No IT status check found: open the IT status screen in the kiosk."},
		{ID: "staff", Steps: "Steps 12, 18, 19", Title: "Staff access proven on the test patients", State: Ready,
			Evidence: "1 proven, 2 seen but not yet proven."},
		{ID: "drill", Steps: "Steps 15, 21", Title: "Downtime drill passed in the last 30 days", State: NotReady,
			Evidence: "No drill recorded: run cpis-kiosk drill downtime."},
		{ID: "briefing", Steps: "Step 4", Title: "Project team attended the CP-IS briefing", State: Ready, Manual: true,
			Evidence: "Recorded by Sam LEAD, 02 Feb 2026 10:00."},
		{ID: "go-no-go", Steps: "Step 25", Title: "Go/no go call held with the implementation manager", State: NotReady, Manual: true,
			Evidence: "Not yet recorded by the project lead."},
	}
}

func leadGoldenViews() map[string]View {
	views := map[string]View{}
	views["audit"] = leadView(ScreenAudit)

	v := leadView(ScreenAudit)
	v.Account.Audit = AuditView{Filter: auditFixture().Filter, Hours: "24 hours",
		Broken: "Audit record 45 has been altered; it lies between record 44 of 2026-03-04 11:30:00 and record 46 of 2026-03-04 22:40:00"}
	views["audit_broken"] = v

	v = leadView(ScreenAudit)
	v.Account.Audit.Flags = nil
	v.Account.Exported = "/var/lib/cpis-kiosk/exports/audit-20260305-031200.csv"
	views["audit_exported"] = v

	v = leadView(ScreenStaff)
	v.Help = "Guide step 19: each member of staff opens the alert on both test patients, 999 027 6579 and 999 027 5831, once the codes are on their smartcard."
	views["staff_checks"] = v

	v = leadView(ScreenGoLive)
	v.Help = "Record what the kiosk cannot see. Export the page for the go/no go call (guide step 25)."
	views["readiness"] = v

	v = baseView()
	v.Lead = true
	views["entry_lead"] = v
	return views
}

func TestGoldenLead(t *testing.T) { assertGoldens(t, leadGoldenViews()) }

func TestAuditFilterSendsDates(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := leadView(ScreenAudit)
	w.Render(v)
	if got := w.audit.from.Text; got != "26/02/2026" {
		t.Fatalf("the from field holds %q, want the View's filter", got)
	}
	w.audit.from.SetText("01/03/2026")
	w.audit.user.SetText(" 555000000010 ")
	test.Tap(button(t, win, "Show"))
	want(t, rec, "ShowAudit from=2026-03-01 to=2026-03-04 user=555000000010")

	rec.calls = nil
	test.Tap(button(t, win, "Export CSV"))
	want(t, rec, "ExportAudit from=2026-03-01 to=2026-03-04 user=555000000010")

	// Enter in a field applies the filter too.
	rec.calls = nil
	win.Canvas().Focus(w.audit.to)
	press(win.Canvas(), fyne.KeyReturn)
	want(t, rec, "ShowAudit from=2026-03-01 to=2026-03-04 user=555000000010")
}

func TestAuditFilterRejectsBadDates(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(leadView(ScreenAudit))
	w.audit.from.SetText("31/02/2026")
	test.Tap(button(t, win, "Show"))
	w.audit.from.SetText("05/03/2026")
	w.audit.to.SetText("01/03/2026")
	test.Tap(button(t, win, "Export CSV"))
	want(t, rec, "")
	if s := screenText(win); !strings.Contains(s, "The end date is before the start date") {
		t.Errorf("no message about the dates:\n%s", s)
	}
}

func TestLeadTabsAndRecord(t *testing.T) {
	w, win, rec := newTestWindow(t)
	w.Render(leadView(ScreenGoLive))
	test.Tap(button(t, win, "Record as done"))
	test.Tap(button(t, win, "Export PDF and CSV"))
	test.Tap(button(t, win, "Staff checks"))
	test.Tap(button(t, win, "Routine audit"))
	want(t, rec, "RecordReadiness go-no-go; ExportReadiness; ShowStaff; ShowAudit from= to= user=")
	// Only the item not yet recorded offers the button.
	n := 0
	walk(win.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*tapArea); ok && strings.HasPrefix(b.id, "record-") {
			n++
		}
	})
	if n != 1 {
		t.Errorf("%d record buttons, want 1 (the go/no go call)", n)
	}
	rec.calls = nil
	press(win.Canvas(), fyne.KeyEscape)
	want(t, rec, "Back")
}

func TestEntryOffersLeadScreensToLeadsOnly(t *testing.T) {
	w, win, rec := newTestWindow(t)
	v := baseView()
	w.Render(v)
	if strings.Contains(screenText(win), "Audit, staff checks") {
		t.Fatal("the entry screen offers the audit to someone who is not a lead")
	}
	v.Lead = true
	w.Render(v)
	test.Tap(button(t, win, "Audit, staff checks and readiness"))
	want(t, rec, "ShowAudit from= to= user=")
}

// The filter's fields are emptied when the card comes out, and filled
// again from the View when the audit comes back.
func TestCardOutEmptiesAuditFilter(t *testing.T) {
	w, _, _ := newTestWindow(t)
	w.Render(leadView(ScreenAudit))
	w.audit.user.SetText("555000000011")
	w.Render(sessionView(cpis.GateInsertCard))
	if w.audit.user.Text != "" || w.audit.from.Text != "" {
		t.Errorf("after the card came out the filter holds %q %q", w.audit.from.Text, w.audit.user.Text)
	}
	w.Render(leadView(ScreenAudit))
	if w.audit.from.Text != "26/02/2026" {
		t.Errorf("back on the audit the from field holds %q", w.audit.from.Text)
	}
}
