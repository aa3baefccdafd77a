package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// recorder is a hand-written Actions that writes down every call, one
// line each, so a test can compare the whole conversation. Activity only
// counts: it comes with every key and tap, and would drown the rest.
type recorder struct {
	calls    []string
	activity int
	// during, when set, runs inside every call, to see the window as the
	// app would at that moment.
	during func()
}

func (r *recorder) add(format string, a ...any) {
	r.calls = append(r.calls, fmt.Sprintf(format, a...))
	if r.during != nil {
		r.during()
	}
}

func (r *recorder) TraceNHS(text string)             { r.add("TraceNHS %q", text) }
func (r *recorder) ShowSearch()                      { r.add("ShowSearch") }
func (r *recorder) Search(q cpis.SearchQuery)        { r.add("Search %s", queryString(q)) }
func (r *recorder) Choose(nhs cpis.NHSNumber)        { r.add("Choose %s", nhs.Digits()) }
func (r *recorder) Answer(q cpis.Question, yes bool) { r.add("Answer %q %v", q, yes) }
func (r *recorder) AskOpenAlert()                    { r.add("AskOpenAlert") }
func (r *recorder) KeepForCheck()                    { r.add("KeepForCheck") }
func (r *recorder) ShowMatch()                       { r.add("ShowMatch") }
func (r *recorder) AnswerMatch(yes bool)             { r.add("AnswerMatch %v", yes) }
func (r *recorder) ConfirmOpenAlert()                { r.add("ConfirmOpenAlert") }
func (r *recorder) Back()                            { r.add("Back") }
func (r *recorder) NewPatient()                      { r.add("NewPatient") }
func (r *recorder) DismissMessage()                  { r.add("DismissMessage") }
func (r *recorder) SubmitPasscode(passcode string)   { r.add("SubmitPasscode %q", passcode) }
func (r *recorder) CancelSignIn()                    { r.add("CancelSignIn") }
func (r *recorder) SignInAgain()                     { r.add("SignInAgain") }
func (r *recorder) ChooseRole(id string)             { r.add("ChooseRole %s", id) }
func (r *recorder) Activity()                        { r.activity++ }
func (r *recorder) ShowQueue()                       { r.add("ShowQueue") }
func (r *recorder) ShowReview()                      { r.add("ShowReview") }
func (r *recorder) OpenReview(id uint64)             { r.add("OpenReview %d", id) }
func (r *recorder) SignOff(id uint64, note string)   { r.add("SignOff %d %q", id, note) }
func (r *recorder) ShowStatus()                      { r.add("ShowStatus") }
func (r *recorder) SaveBundle()                      { r.add("SaveBundle") }
func (r *recorder) ShowAudit(f AuditFilter)          { r.add("ShowAudit %s", filterString(f)) }
func (r *recorder) ExportAudit(f AuditFilter)        { r.add("ExportAudit %s", filterString(f)) }
func (r *recorder) ShowStaff()                       { r.add("ShowStaff") }
func (r *recorder) ShowReadiness()                   { r.add("ShowReadiness") }
func (r *recorder) RecordReadiness(id string)        { r.add("RecordReadiness %s", id) }
func (r *recorder) ExportReadiness()                 { r.add("ExportReadiness") }

func (r *recorder) RecordPresentation(nhsText string, q cpis.SearchQuery) {
	r.add("RecordPresentation %q %s", nhsText, queryString(q))
}

func (r *recorder) String() string { return strings.Join(r.calls, "; ") }

func queryString(q cpis.SearchQuery) string {
	dob := ""
	if !q.BirthDate.IsZero() {
		dob = q.BirthDate.Format("2006-01-02")
	}
	return fmt.Sprintf("family=%s given=%s dob=%s gender=%s postcode=%s", q.Family, q.Given, dob, q.Gender, q.Postcode)
}

func (r *recorder) CheckWaiting() { r.add("CheckWaiting") }
func (r *recorder) PauseWaiting() { r.add("PauseWaiting") }

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

// onScreen is baseView on another screen.
func onScreen(s Screen) View {
	v := baseView()
	v.Screen = s
	return v
}

// reviewList is the retrospective review's list, with n items to review.
func reviewList(n int) View {
	v := onScreen(ScreenReview)
	v.Banner.Review = n
	v.Reviews = reviewRows()
	return v
}

func patientView(p cpis.Patient) View {
	v := baseView()
	v.Screen = ScreenPatient
	v.Patient = &p
	v.Check = cpis.WhoToCheck(cpis.EmergencyDepartment, p.AgeOn(now), p.Gender, nil)
	v.CanOpen = true
	v.Help = "Check the banner matches the child in front of you, then check CP-IS."
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
	v.CanOpen = true
	v.Opened = &a
	v.Help = "Call the local authority's number if you need to discuss the plan."
	return v
}

func sessionView(g cpis.Gate) View {
	v := baseView()
	v.Banner.User, v.Banner.Role = "", ""
	v.Session = SessionView{Gate: g, Reader: "Gemalto USB Smart Card Reader 00 00"}
	v.Help = ""
	if passcodeGate(v.Session) {
		v.Help = "Forgotten your passcode? Do not guess: after 3 wrong tries the card locks. Ask your registration authority."
	}
	return v
}

func roles() []RoleChoice {
	return []RoleChoice{
		{ID: "555021935107", JobRole: "Staff nurse", OrgName: "St Elsewhere's Hospital NHS Trust", OrgCode: "RXX",
			Codes: "B0264, B0107", Usable: true},
		{ID: "555021935108", JobRole: "Clinic receptionist", OrgName: "Moortown Medical Practice", OrgCode: "B86001",
			Codes: "B0170", Usable: false,
			Why: "its only CP-IS code is B0170, silent read, which is for scheduled care."},
	}
}

var spineDownAt = date(2026, 3, 5).Add(2*time.Hour + 13*time.Minute)

func downtimeView() View {
	v := baseView()
	v.Banner.SpineLive = false
	v.Banner.SpineDown = spineDownAt
	v.Banner.Queued = 2
	v.Downtime = &Downtime{
		Since:    spineDownAt,
		Fallback: "Write each child in the paper CP-IS log at the nurses' station and tell the nurse in charge.",
	}
	v.Help = "Scan the wristband, or type the NHS number and press Enter to record."
	return v
}

func queueRows() []QueueRow {
	return []QueueRow{
		{Seq: 41, At: now.Add(-3*time.Hour - 10*time.Minute), Kind: "NHS number", Why: "Spine down", Attempts: 4, State: "retrying: Spine unavailable"},
		{Seq: 42, At: now.Add(-2*time.Hour - 5*time.Minute), Kind: "Details only", Attempts: 3,
			State: "dead letter: PDS refused the details as incomplete. Trace by hand."},
		{Seq: 43, At: now.Add(-25 * time.Minute), Kind: "NHS number", Why: "Needs a role with B0107", Attempts: 0, State: "waiting"},
	}
}

func reviewRows() []ReviewRow {
	return []ReviewRow{
		{ID: 9, Created: now.Add(-20 * time.Minute), Presented: now.Add(-50 * time.Minute),
			Kind: "Could not be replayed", Reason: "PDS refused the details."},
		{ID: 7, Created: now.Add(-time.Hour), Presented: now.Add(-3*time.Hour - 10*time.Minute),
			Kind: "Child Care Alert found", AlertFound: true},
		{ID: 8, Created: now.Add(-55 * time.Minute), Presented: now.Add(-2*time.Hour - 5*time.Minute),
			Kind: "Needs manual trace", SignedOff: true, SignedBy: "Sam LEAD", SignedAt: now.Add(-10 * time.Minute)},
	}
}

func reviewAlert() *ReviewDetail {
	return &ReviewDetail{
		Row: ReviewRow{ID: 7, Created: now.Add(-time.Hour), Presented: now.Add(-3*time.Hour - 10*time.Minute),
			Kind: "Child Care Alert found", AlertFound: true,
			Reason: "The check made when the Spine came back found a Child Care Alert. The local authority has been notified."},
		Patient:     "TESTER, Ava",
		NHS:         child.NHS,
		PresentedBy: "Jane SMITH, Staff nurse",
		Alert: &cpis.Alert{
			NHS:     child.NHS,
			Plans:   []cpis.Plan{{Type: cpis.CPP, Start: date(2024, 6, 12), Authority: leeds}},
			History: accesses(3),
		},
		CanSignOff: true,
	}
}

func reviewSignedOff() *ReviewDetail {
	return &ReviewDetail{
		Row: ReviewRow{ID: 8, Created: now.Add(-55 * time.Minute), Presented: now.Add(-2*time.Hour - 5*time.Minute),
			Kind: "Needs manual trace", Reason: "PDS found more than one patient with these details, so no check could be made.",
			SignedOff: true, SignedBy: "Sam LEAD", SignedAt: now.Add(-10 * time.Minute),
			Note: "Traced by hand with the mother: no Child Care Alert."},
		Patient:     "Family name EXAMPLE, born 01 Aug 2025, postcode LS6 2QR",
		PresentedBy: "Chris JONES, Paramedic",
		CanSignOff:  true,
	}
}
