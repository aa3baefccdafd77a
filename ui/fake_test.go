package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/app/cpis"
)

// recorder is a hand-written Actions that writes down every call, one
// line each, so a test can compare the whole conversation.
type recorder struct{ calls []string }

func (r *recorder) add(format string, a ...any) { r.calls = append(r.calls, fmt.Sprintf(format, a...)) }

func (r *recorder) TraceNHS(text string)             { r.add("TraceNHS %q", text) }
func (r *recorder) ShowSearch()                      { r.add("ShowSearch") }
func (r *recorder) Search(q cpis.SearchQuery)        { r.add("Search %s", queryString(q)) }
func (r *recorder) Choose(nhs cpis.NHSNumber)        { r.add("Choose %s", nhs.Digits()) }
func (r *recorder) Answer(q cpis.Question, yes bool) { r.add("Answer %q %v", q, yes) }
func (r *recorder) AskOpenAlert()                    { r.add("AskOpenAlert") }
func (r *recorder) ConfirmOpenAlert()                { r.add("ConfirmOpenAlert") }
func (r *recorder) Back()                            { r.add("Back") }
func (r *recorder) NewPatient()                      { r.add("NewPatient") }
func (r *recorder) DismissMessage()                  { r.add("DismissMessage") }

func (r *recorder) String() string { return strings.Join(r.calls, "; ") }

func queryString(q cpis.SearchQuery) string {
	dob := ""
	if !q.BirthDate.IsZero() {
		dob = q.BirthDate.Format("2006-01-02")
	}
	return fmt.Sprintf("family=%s given=%s dob=%s gender=%s postcode=%s", q.Family, q.Given, dob, q.Gender, q.Postcode)
}

var _ Actions = (*recorder)(nil)

// The fixtures: a fixed "now" so ages and goldens never drift, and the
// guide's test patient 999 027 6579.
var (
	now = time.Date(2026, 3, 5, 3, 12, 0, 0, time.UTC)

	child = cpis.Patient{
		NHS: "9990276579", Given: "Ava", Family: "Tester",
		BirthDate: date(2015, 3, 2), Gender: cpis.Female, Postcode: "LS1 4AP",
	}
	baby = cpis.Patient{
		NHS: "9990275831", Given: "Noah", Family: "Example",
		BirthDate: date(2025, 8, 1), Gender: cpis.Male, Postcode: "LS6 2QR",
	}
	mother = cpis.Patient{
		NHS: "9990001234", Given: "Grace", Family: "Sample",
		BirthDate: date(1998, 11, 20), Gender: cpis.Female, Postcode: "LS9 7TF",
	}

	leeds = cpis.LocalAuthority{
		Name: "Leeds City Council", ODS: "E08000035",
		OfficeHours: "0113 496 0001", OutOfHours: "0113 496 0999",
	}

	route = "Call the hospital safeguarding team on extension 4321 (24 hours) and record it on the ED card."
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func baseView() View {
	return View{
		Now: now,
		Banner: Banner{
			Setting:      "Emergency department",
			Organisation: "St Elsewhere's Hospital (RXX01)",
			User:         "Jane SMITH",
			Role:         "Staff nurse",
			SpineLive:    true,
		},
		Screen:            ScreenEntry,
		SafeguardingRoute: route,
		Help:              "Scan the wristband, or type the NHS number and press Enter.",
	}
}

func patientView(p cpis.Patient, alert AlertState) View {
	v := baseView()
	v.Screen = ScreenPatient
	v.Patient = &p
	v.Check = cpis.WhoToCheck(cpis.EmergencyDepartment, p.AgeOn(now), p.Gender, nil)
	v.Alert = alert
	v.CanOpen = true
	v.Help = "Open the alert if there is one. New patient clears the screen."
	return v
}

func accesses(n int) []cpis.Access {
	whos := []string{"Dr Sam PATEL", "Chris JONES", "Alex MORGAN", "Priya SHAH", "Tom BROWN"}
	roles := []string{"Emergency medicine consultant", "Staff nurse", "Paramedic", "Midwife", "GP"}
	orgs := []string{"Leeds Teaching Hospitals NHS Trust", "Yorkshire Ambulance Service NHS Trust",
		"Bradford Teaching Hospitals NHS Foundation Trust", "Local Care Direct (GP out of hours)"}
	out := make([]cpis.Access, n)
	for i := range out {
		out[i] = cpis.Access{
			When:         now.Add(-time.Duration(i)*37*time.Hour - 20*time.Minute),
			Who:          whos[i%len(whos)],
			Role:         roles[i%len(roles)],
			Organisation: orgs[i%len(orgs)],
		}
	}
	return out
}

func alertView(a cpis.Alert) View {
	v := baseView()
	v.Screen = ScreenAlert
	p := child
	v.Patient = &p
	v.Alert = AlertPresent
	v.CanOpen = true
	v.Opened = &a
	v.Help = "Call the local authority's number if you need to discuss the plan."
	return v
}
