package sandbox

import (
	"fmt"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// SeedPatient is one synthetic record the sandbox serves. Every NHS number
// is a valid modulus 11 number in the 9xxxxxxxxx test range, never a real
// person's. Birth and plan dates are computed from the sandbox's clock at
// start-up, so children stay children.
type SeedPatient struct {
	NHS        cpis.NHSNumber
	Given      string
	Family     string
	Gender     cpis.Gender // empty: PDS holds none
	BirthDate  time.Time   // zero: PDS holds none
	Postcode   string
	Restricted bool // PDS meta.security R: no address, telecom or GP
	NotOnPDS   bool // PDS answers 404
	// SupersededBy is, for an old NHS number, the current one: PDS answers
	// a retrieve of this number with the patient under that one.
	SupersededBy cpis.NHSNumber
	// Plans are the CP-IS plans, visible or not; none means no CP-IS record.
	// Served says which CP-IS returns on a given day.
	Plans []cpis.Plan
	// DueDate is the mother's expected due date, for an unborn-child plan.
	// Only CP-IS holds it: it is never served, and CP-IS stops returning
	// the patient's UCPP plans 28 days after it.
	DueDate time.Time
	// PastAccesses is how many earlier accesses the CP-IS history holds.
	PastAccesses int
	// FGM are the Flags FGM-IS answers a query on this NHS number with;
	// none means an empty searchset (no FGM-IS indicator).
	FGM []SeedFlag
	// FGMFails makes the FGM-IS query on this NHS number fail: 500 with
	// an OperationOutcome, as a failing service answers.
	FGMFails bool
	// Shows says what the record is for, for tests and the README.
	Shows string
}

// Served are the plans CP-IS returns for the patient on the day of now:
// every plan, ended ones included (the kiosk applies the 365-day rule),
// except an unborn-child plan more than 28 days after the due date
// (guide: "this alert is visible for 28 days after the mother's due
// date"; only CP-IS knows the date).
func (p SeedPatient) Served(now time.Time) []cpis.Plan {
	var out []cpis.Plan
	for _, pl := range p.Plans {
		if pl.Type == cpis.UCPP && !p.DueDate.IsZero() && calendarDay(now).After(
			calendarDay(p.DueDate).AddDate(0, 0, int(cpis.UnbornVisibleAfterDue/(24*time.Hour)))) {
			continue
		}
		out = append(out, pl)
	}
	return out
}

// SeedFlag is one Flag of an FGM-IS answer (fgm.go).
type SeedFlag struct {
	// Assessed is the date of the assessment: Flag.period.start.
	Assessed time.Time
	// Code is Flag.code's SNOMED CT code; empty: cpis.FGMCode.
	Code string
	// Display is the code's display; empty: FGMDisplay for cpis.FGMCode,
	// none for another code.
	Display string
	// For is the NHS number in Flag.subject.identifier; empty: the
	// patient's own.
	For cpis.NHSNumber
	// Status is Flag.status; empty: "active".
	Status string
}

// OtherFlagCode is the code of the sandbox's Flag that is not the FGM-IS
// indicator: a made-up SNOMED-shaped code, like UnknownCategory, standing
// for any other code a Flag might carry. It is not a SNOMED CT concept.
const (
	OtherFlagCode    = "999000000000000102"
	OtherFlagDisplay = "Synthetic flag code other than the FGM-IS indicator"
)

// OtherFlagNHS is the NHS number of the Flag served beside Rosie BANKS's
// own: a valid test number that no seed patient holds.
const OtherFlagNHS cpis.NHSNumber = "9990310076"

// calendarDay is t's date as UTC midnight.
func calendarDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Synthetic local authorities: what a CareTeam carries of one, its name
// and two numbers (no ODS code: the published CareTeam has none). The
// names are real English councils so the screen reads true, and every
// number is in Ofcom's 01632 960xxx range kept for drama, so a test call
// rings nobody.
var (
	Leeds      = cpis.LocalAuthority{Name: "Leeds City Council", OfficeHours: "01632 960101", OutOfHours: "01632 960102"}
	Manchester = cpis.LocalAuthority{Name: "Manchester City Council", OfficeHours: "01632 960201", OutOfHours: "01632 960202"}
	Birmingham = cpis.LocalAuthority{Name: "Birmingham City Council", OfficeHours: "01632 960301", OutOfHours: "01632 960302"}
	Bristol    = cpis.LocalAuthority{Name: "Bristol City Council", OfficeHours: "01632 960401", OutOfHours: "01632 960402"}
	Kent       = cpis.LocalAuthority{Name: "Kent County Council", OfficeHours: "01632 960501", OutOfHours: "01632 960502"}
	Cornwall   = cpis.LocalAuthority{Name: "Cornwall Council", OfficeHours: "01632 960601", OutOfHours: "01632 960602"}
)

// UnknownCategory is the coding of the sandbox's plan of a type the kiosk
// does not know: a made-up SNOMED-shaped code, standing for whatever
// ValueSet England-ChildProtectionPlan might gain. It is not a SNOMED CT
// concept.
const UnknownCategory = "http://snomed.info/sct|999000000000000101 Synthetic plan type outside England-ChildProtectionPlan"

// The sixty SMITHs share one birth date, SmithAge years before the day,
// so that a search on family name and birth date alone matches more than
// PDS's maximum of 50.
const (
	SmithCount = 60
	SmithAge   = 10
)

// Seed builds the synthetic records as they stand on the day now:
//
//	NHS number  Name               Age / born           Shows
//	9990276579  Poppy CPISTEST     6 y                  guide test patient: current CPP (Leeds)
//	9990275831  Leo CPISTEST       9 y                  guide test patient: current LAC (Manchester)
//	9990300011  Isla MORGAN        4 y                  current CPP (Birmingham)
//	9990300038  Noah BRENNAN       13 y                 current LAC (Bristol)
//	9990300046  Chloe FENWICK      27 y, female         current UCPP, due in 60 days (Kent)
//	9990300054  Harry OKAFOR       11 y                 CPP ended 200 days ago: visible
//	9990300062  Mia DOUGLAS        15 y                 LAC ended 400 days ago: not visible
//	9990300070  Sophie LAWSON      22 y, female         UCPP due 10 days ago: visible
//	9990300089  Grace PEMBERTON    31 y, female         UCPP due 40 days ago: CP-IS no longer returns it
//	9990300097  Ethan WALSH        8 y, restricted      restricted record with a current CPP
//	9990300100  Freya HOLLAND      7 y                  child with no CP-IS record
//	9990300119  Jack THORNTON      5 y                  current CPP, 30 past accesses (25 shown)
//	9990300127  Emily CARTER       34 y, female         adult woman, no record (who-to-check)
//	9990300135  Mei XIONG          12 y                 the single match of a search on XIONG
//	9990300143  Ruby ASHWORTH      10 y                 a CPP in Leeds and a LAC in Manchester
//	9990300151  Oscar PRICE        8 y                  a CPP (Bristol) beside a plan of an unknown category (Cornwall)
//	9990300178  -                  -                    a superseded number: PDS answers with 9990300186
//	9990300186  Alfie REYNOLDS     3 y                  the current number of 9990300178; current CPP (Kent)
//	9990310017  Lily FARROW        8 y                  FGM-IS flag assessed 3 years ago
//	9990310025  Hannah PRESCOTT    18 y (3 days past)   FGM-IS flag; the kiosk does not ask at 18
//	9990310033  Evie MARSH         6 y                  FGM-IS query fails: 500
//	9990310041  Phoebe LANGLEY     11 y                 FGM-IS answer holds a Flag of another code only
//	9990310068  Rosie BANKS        9 y                  FGM-IS flag beside a Flag for 9990310076
//	9000000009  Jane SMITH         2010-10-22           public PDS sandbox: normal, no CP-IS record
//	9000000025  Janet SMYTHE       2005-06-16           public PDS sandbox: restricted
//	9000000033  (none)             (none)               public PDS sandbox: minimal data
//	9111231130  -                  -                    public PDS sandbox: not found (404)
//	99904xxxxx  SMITH x 60         10 y, same day       more than 50 matches: TOO_MANY_MATCHES
func Seed(now time.Time) []SeedPatient {
	y, m, d := now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	days := func(n int) time.Time { return today.AddDate(0, 0, n) }
	// born is an age in years plus days, so that no birthday falls on the
	// day of a test.
	born := func(years, extraDays int) time.Time { return today.AddDate(-years, 0, -extraDays) }
	fixed := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }

	ps := []SeedPatient{
		{NHS: "9990276579", Given: "Poppy", Family: "CPISTEST", Gender: cpis.Female, BirthDate: born(6, 40), Postcode: "LS1 4AP",
			Plans: []cpis.Plan{{Type: cpis.CPP, Start: days(-120), Authority: Leeds}}, PastAccesses: 3,
			Shows: "the guide's test patient: a current child protection plan"},
		{NHS: "9990275831", Given: "Leo", Family: "CPISTEST", Gender: cpis.Male, BirthDate: born(9, 100), Postcode: "M1 3BN",
			Plans: []cpis.Plan{{Type: cpis.LAC, Start: days(-730), Authority: Manchester}}, PastAccesses: 2,
			Shows: "the guide's test patient: a current looked after child plan"},
		{NHS: "9990300011", Given: "Isla", Family: "MORGAN", Gender: cpis.Female, BirthDate: born(4, 20), Postcode: "B1 1BB",
			Plans: []cpis.Plan{{Type: cpis.CPP, Start: days(-60), Authority: Birmingham}},
			Shows: "a current child protection plan"},
		{NHS: "9990300038", Given: "Noah", Family: "BRENNAN", Gender: cpis.Male, BirthDate: born(13, 150), Postcode: "BS1 4DJ",
			Plans: []cpis.Plan{{Type: cpis.LAC, Start: days(-400), Authority: Bristol}},
			Shows: "a current looked after child plan"},
		{NHS: "9990300046", Given: "Chloe", Family: "FENWICK", Gender: cpis.Female, BirthDate: born(27, 75), Postcode: "ME14 1XQ",
			Plans: []cpis.Plan{{Type: cpis.UCPP, Start: days(-90), Authority: Kent}}, DueDate: days(60),
			Shows: "a pregnant woman with a current unborn child protection plan"},
		{NHS: "9990300054", Given: "Harry", Family: "OKAFOR", Gender: cpis.Male, BirthDate: born(11, 30), Postcode: "LS6 2AB",
			Plans: []cpis.Plan{{Type: cpis.CPP, Start: days(-600), End: days(-200), Authority: Leeds}},
			Shows: "a child protection plan that ended 200 days ago: still visible"},
		{NHS: "9990300062", Given: "Mia", Family: "DOUGLAS", Gender: cpis.Female, BirthDate: born(15, 200), Postcode: "M14 5RB",
			Plans: []cpis.Plan{{Type: cpis.LAC, Start: days(-1500), End: days(-400), Authority: Manchester}},
			Shows: "a looked after child plan that ended 400 days ago: no longer visible"},
		{NHS: "9990300070", Given: "Sophie", Family: "LAWSON", Gender: cpis.Female, BirthDate: born(22, 10), Postcode: "TR1 2AA",
			Plans: []cpis.Plan{{Type: cpis.UCPP, Start: days(-200), Authority: Cornwall}}, DueDate: days(-10),
			Shows: "an unborn child protection plan, due 10 days ago: visible for 28 days after the due date"},
		{NHS: "9990300089", Given: "Grace", Family: "PEMBERTON", Gender: cpis.Female, BirthDate: born(31, 120), Postcode: "BS8 1TH",
			Plans: []cpis.Plan{{Type: cpis.UCPP, Start: days(-240), Authority: Bristol}}, DueDate: days(-40),
			Shows: "an unborn child protection plan, due 40 days ago: CP-IS no longer returns it"},
		{NHS: "9990300097", Given: "Ethan", Family: "WALSH", Gender: cpis.Male, BirthDate: born(8, 45), Postcode: "CT1 2EH", Restricted: true,
			Plans: []cpis.Plan{{Type: cpis.CPP, Start: days(-30), Authority: Kent}},
			Shows: "a restricted PDS record (no address) with a current child protection plan"},
		{NHS: "9990300100", Given: "Freya", Family: "HOLLAND", Gender: cpis.Female, BirthDate: born(7, 90), Postcode: "LS2 9JT",
			Shows: "a child with no CP-IS record"},
		{NHS: "9990300119", Given: "Jack", Family: "THORNTON", Gender: cpis.Male, BirthDate: born(5, 15), Postcode: "B15 2TT",
			Plans: []cpis.Plan{{Type: cpis.CPP, Start: days(-180), Authority: Birmingham}}, PastAccesses: 30,
			Shows: "30 earlier accesses: the history shows the last 25"},
		{NHS: "9990300127", Given: "Emily", Family: "CARTER", Gender: cpis.Female, BirthDate: born(34, 60), Postcode: "M20 2LS",
			Shows: "an adult woman with no record, for the who-to-check questions"},
		{NHS: "9990300135", Given: "Mei", Family: "XIONG", Gender: cpis.Female, BirthDate: born(12, 33), Postcode: "LS7 3QB",
			Shows: "the only XIONG: a search on family name and birth date finds one match"},
		{NHS: "9990300143", Given: "Ruby", Family: "ASHWORTH", Gender: cpis.Female, BirthDate: born(10, 55), Postcode: "LS9 8AA",
			Plans: []cpis.Plan{
				{Type: cpis.CPP, Start: days(-90), Authority: Leeds},
				{Type: cpis.LAC, Start: days(-300), Authority: Manchester},
			},
			Shows: "plans in two local authorities: a CPP in Leeds and a LAC in Manchester, each with both numbers"},
		{NHS: "9990300151", Given: "Oscar", Family: "PRICE", Gender: cpis.Male, BirthDate: born(8, 70), Postcode: "BS3 1AA",
			Plans: []cpis.Plan{
				{Type: cpis.CPP, Start: days(-45), Authority: Bristol},
				{Type: cpis.PlanUnknown, Start: days(-20), Authority: Cornwall, Category: UnknownCategory},
			},
			Shows: "a CPP beside a plan whose category the kiosk does not know: both shown"},
		{NHS: "9990300178", SupersededBy: "9990300186",
			Shows: "a superseded NHS number: PDS answers with the current record, 9990300186"},
		{NHS: "9990300186", Given: "Alfie", Family: "REYNOLDS", Gender: cpis.Male, BirthDate: born(3, 25), Postcode: "CT2 7NZ",
			Plans: []cpis.Plan{{Type: cpis.CPP, Start: days(-15), Authority: Kent}},
			Shows: "the current record of the superseded 9990300178: a current child protection plan"},
		// FGM-IS (fgm.go). Every other patient has no flag: FGM-IS answers
		// an empty searchset (Isla MORGAN, a girl; Leo CPISTEST, a boy).
		{NHS: "9990310017", Given: "Lily", Family: "FARROW", Gender: cpis.Female, BirthDate: born(8, 80), Postcode: "LS17 6AB",
			FGM:   []SeedFlag{{Assessed: today.AddDate(-3, -2, 0)}},
			Shows: "a girl with an FGM-IS flag (family history of FGM) assessed 3 years ago"},
		{NHS: "9990310025", Given: "Hannah", Family: "PRESCOTT", Gender: cpis.Female, BirthDate: born(18, 3), Postcode: "M21 0AA",
			FGM:   []SeedFlag{{Assessed: today.AddDate(-6, 0, -10)}},
			Shows: "a girl of 18 (3 days past her birthday) with an FGM-IS flag: at 18 the kiosk does not ask"},
		{NHS: "9990310033", Given: "Evie", Family: "MARSH", Gender: cpis.Female, BirthDate: born(6, 120), Postcode: "B29 6AA",
			FGMFails: true,
			Shows:    "a girl whose FGM-IS query fails: 500 with an OperationOutcome"},
		{NHS: "9990310041", Given: "Phoebe", Family: "LANGLEY", Gender: cpis.Female, BirthDate: born(11, 200), Postcode: "BS7 8AA",
			FGM:   []SeedFlag{{Assessed: days(-400), Code: OtherFlagCode, Display: OtherFlagDisplay}},
			Shows: "a girl whose FGM-IS answer holds only a Flag of another code: not the FGM-IS indicator"},
		{NHS: "9990310068", Given: "Rosie", Family: "BANKS", Gender: cpis.Female, BirthDate: born(9, 30), Postcode: "TR18 2AA",
			FGM:   []SeedFlag{{Assessed: days(-700)}, {Assessed: days(-90), For: OtherFlagNHS}},
			Shows: "a girl whose FGM-IS answer holds her own flag beside a Flag for another NHS number (9990310076)"},
		// The public PDS sandbox's own records (personal-demographics.yaml),
		// so the kiosk can be tried against either with the same numbers.
		{NHS: "9000000009", Given: "Jane", Family: "Smith", Gender: cpis.Female, BirthDate: fixed("2010-10-22"), Postcode: "LS1 6AE",
			Shows: "the public PDS sandbox's normal patient; no CP-IS record"},
		{NHS: "9000000025", Given: "Janet", Family: "Smythe", Gender: cpis.Female, BirthDate: fixed("2005-06-16"), Restricted: true,
			Shows: "the public PDS sandbox's restricted patient"},
		{NHS: "9000000033", Shows: "the public PDS sandbox's minimal record: no name, gender or birth date"},
		{NHS: "9111231130", NotOnPDS: true, Shows: "the public PDS sandbox's unknown number: 404 not found"},
	}
	givens := []string{"Oliver", "Amelia", "George", "Isla", "Arthur", "Ava", "Muhammad", "Ivy", "Leo", "Freya"}
	for i, n := 0, 999040000; i < SmithCount; n++ {
		nhs, ok := withCheckDigit(n)
		if !ok {
			continue
		}
		g := cpis.Male
		if i%2 == 1 {
			g = cpis.Female
		}
		ps = append(ps, SeedPatient{NHS: nhs, Given: givens[i%len(givens)], Family: "SMITH", Gender: g,
			BirthDate: born(SmithAge, 0), Postcode: fmt.Sprintf("LS%d %dAA", 1+i%20, 1+i%9),
			Shows: "one of 60 SMITHs born on the same day: a search on name and birth date alone matches too many"})
		i++
	}
	return ps
}

// withCheckDigit appends the modulus 11 check digit to nine digits; ok is
// false when the nine digits cannot start an NHS number.
func withCheckDigit(nine int) (cpis.NHSNumber, bool) {
	s := fmt.Sprintf("%09d", nine)
	for d := 0; d <= 9; d++ {
		if n, err := cpis.ParseNHSNumber(s + string(rune('0'+d))); err == nil {
			return n, true
		}
	}
	return "", false
}

// pastUsers make up the seeded access history.
var pastUsers = []struct{ id, name, role, org, ods string }{
	{"555000100001", "Sam Patel", "Staff Nurse", "Leeds Teaching Hospitals (synthetic)", "RXX02"},
	{"555000100002", "Dr Aisha Rahman", "Specialty Registrar", "Manchester Royal Infirmary (synthetic)", "RXX03"},
	{"555000100003", "Tom Hughes", "Paramedic", "Yorkshire Ambulance Service (synthetic)", "RXX04"},
	{"555000100004", "Grace Ellis", "Midwife", "Birmingham Women's Hospital (synthetic)", "RXX05"},
	{"555000100005", "Dr Ben Carter", "GP Out of Hours", "Bristol Out of Hours Service (synthetic)", "RXX06"},
}

// seedAccesses makes n earlier accesses, three days apart, newest two
// days ago, so the 24-hour rule keeps them all.
func seedAccesses(nhs cpis.NHSNumber, n int, now time.Time) []AccessRecord {
	out := make([]AccessRecord, 0, n)
	for i := n - 1; i >= 0; i-- {
		u := pastUsers[i%len(pastUsers)]
		out = append(out, AccessRecord{
			NHS: nhs, At: now.Add(-time.Duration(2+3*i)*24*time.Hour - time.Duration(i)*time.Hour),
			UserID: u.id, UserName: u.name, RoleID: u.id + "-01", JobRole: u.role, OrgCode: u.ods, OrgName: u.org,
		})
	}
	return out
}

// normPostcode drops spaces and case: PDS matches "LS116AD" to "LS11 6AD".
func normPostcode(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, " ", ""))
}
