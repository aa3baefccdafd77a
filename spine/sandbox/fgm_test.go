package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/cpis"
)

// fgmQuery is the guide's search ("Interactions"): the NHS number goes
// after it, the | sent as %7C.
const fgmQuery = "/Flag?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C"

// fgmHeaders are an FGM-IS request's headers as the guide lists them
// ("Headers"), and only those.
func (r *raw) fgmHeaders() map[string]string {
	return map[string]string{"Authorization": "Bearer " + r.token, "TraceID": uuid.NewString()}
}

// fgm queries FGM-IS about nhs with the demo user's well-formed headers
// and returns the answer, its body and the body as generic JSON.
func (r *raw) fgm(t *testing.T, nhs string) (*http.Response, []byte, map[string]any) {
	t.Helper()
	res, body := r.do("GET", FGMPath+fgmQuery+nhs, r.fgmHeaders())
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %d, not JSON: %s", nhs, res.StatusCode, body)
	}
	return res, body, v
}

// searchset checks a 200 searchset Bundle's frame, total included, and
// returns its entries' resources, each entry checked for fullUrl and
// search.mode match.
func (r *raw) searchset(t *testing.T, nhs string, wantTotal int) []map[string]any {
	t.Helper()
	res, body, b := r.fgm(t, nhs)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/fhir+json" {
		t.Fatalf("%s: %d %q %s", nhs, res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if b["resourceType"] != "Bundle" || b["type"] != "searchset" || b["total"] != float64(wantTotal) {
		t.Fatalf("%s: not a searchset of %d: %s", nhs, wantTotal, body)
	}
	entries, _ := b["entry"].([]any)
	if len(entries) != wantTotal {
		t.Fatalf("%s: %d entries, want %d: %s", nhs, len(entries), wantTotal, body)
	}
	var out []map[string]any
	for _, e := range entries {
		e, _ := e.(map[string]any)
		res, _ := e["resource"].(map[string]any)
		if len(e) != 3 || !reflect.DeepEqual(e["search"], map[string]any{"mode": "match"}) ||
			e["fullUrl"] != r.s.FGMBase()+"/Flag/"+res["id"].(string) {
			t.Fatalf("%s: entry %v", nhs, e)
		}
		out = append(out, res)
	}
	return out
}

// flagLike is a Flag as the guide's Data-mapping and spine-interfaces.md
// give it, with the id it was served under.
func flagLike(t *testing.T, id, code, display, subject, start string) map[string]any {
	t.Helper()
	coding := map[string]any{"system": "http://snomed.info/sct", "code": code}
	if display != "" {
		coding["display"] = display
	}
	b, _ := json.Marshal(map[string]any{
		"resourceType": "Flag", "id": id, "status": "active",
		"code":    map[string]any{"coding": []any{coding}},
		"subject": map[string]any{"identifier": map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": subject}},
		"period":  map[string]any{"start": start},
	})
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return v
}

var dateOnly = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// A flag found: exactly the Flag of the Data-mapping, nothing more, in a
// searchset with Date and Content-Type and no TraceID echoed.
func TestFGMFlagFound(t *testing.T) {
	r := newRaw(t)
	h := r.fgmHeaders()
	h["X-Request-ID"] = uuid.NewString() // PDS's, not FGM-IS's: not echoed
	res, body := r.do("GET", FGMPath+fgmQuery+"9990310017", h)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	for k, want := range map[string]string{"Content-Type": "application/fhir+json", "TraceID": "", "X-Request-ID": ""} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if res.Header.Get("Date") == "" {
		t.Error("no Date header")
	}

	flags := r.searchset(t, "9990310017", 1)
	f := flags[0]
	id, _ := f["id"].(string)
	if id == "" {
		t.Fatalf("no id: %v", f)
	}
	// day0 is 2026-01-15; Lily was assessed 3 years and 2 months before.
	if want := flagLike(t, id, cpis.FGMCode, "Family history of female genital mutilation", "9990310017", "2022-11-15"); !reflect.DeepEqual(f, want) {
		t.Errorf("flag\n got %v\nwant %v", f, want)
	}
	if start, _ := f["period"].(map[string]any)["start"].(string); !dateOnly.MatchString(start) {
		t.Errorf("period.start %q is not YYYY-MM-DD", start)
	}
	// The same Flag keeps its id.
	if again := r.searchset(t, "9990310017", 1); again[0]["id"] != id {
		t.Errorf("id %v then %v", id, again[0]["id"])
	}

	// At 18 the server still answers: not asking is the kiosk's rule.
	flags = r.searchset(t, "9990310025", 1)
	if want := flagLike(t, flags[0]["id"].(string), cpis.FGMCode, FGMDisplay, "9990310025", "2020-01-05"); !reflect.DeepEqual(flags[0], want) {
		t.Errorf("the 18-year-old's flag\n got %v\nwant %v", flags[0], want)
	}
}

// No flag: an empty searchset, total 0 and no entry at all.
func TestFGMNoFlag(t *testing.T) {
	r := newRaw(t)
	for _, nhs := range []string{
		"9990300011", // Isla MORGAN: a girl without a flag
		"9990275831", // Leo CPISTEST: a boy
		"9990276579", // Poppy CPISTEST: a CP-IS plan is not an FGM-IS flag
		"9876543210", // a valid number no one in the sandbox holds
	} {
		r.searchset(t, nhs, 0)
		_, body, b := r.fgm(t, nhs)
		if _, ok := b["entry"]; ok {
			t.Errorf("%s: an entry key in an empty searchset: %s", nhs, body)
		}
	}
}

// What a client must not take for the indicator: a Flag of another code,
// and a Flag about someone else.
func TestFGMOtherAnswers(t *testing.T) {
	r := newRaw(t)
	flags := r.searchset(t, "9990310041", 1)
	if want := flagLike(t, flags[0]["id"].(string), OtherFlagCode, OtherFlagDisplay, "9990310041", "2024-12-11"); !reflect.DeepEqual(flags[0], want) {
		t.Errorf("another code\n got %v\nwant %v", flags[0], want)
	}

	flags = r.searchset(t, "9990310068", 2)
	subjects := map[string]string{}
	for _, f := range flags {
		subject := f["subject"].(map[string]any)["identifier"].(map[string]any)["value"].(string)
		code := f["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"].(string)
		subjects[subject] = f["period"].(map[string]any)["start"].(string)
		if code != cpis.FGMCode {
			t.Errorf("code %s", code)
		}
	}
	if want := map[string]string{"9990310068": "2024-02-15", string(OtherFlagNHS): "2025-10-17"}; !reflect.DeepEqual(subjects, want) {
		t.Errorf("subjects %v, want %v", subjects, want)
	}
	if flags[0]["id"] == flags[1]["id"] {
		t.Errorf("two Flags, one id: %v", flags[0]["id"])
	}
}

// A failing service: 500 with an OperationOutcome coded from
// England-SpineErrorOrWarningCode.
func TestFGMServiceFails(t *testing.T) {
	r := newRaw(t)
	res, body, _ := r.fgm(t, "9990310033")
	if res.StatusCode != 500 || res.Header.Get("Content-Type") != "application/fhir+json" {
		t.Fatalf("%d %q %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if got := outcomeIssue(t, body); got != (issue{"error", "exception", cpisErrors, "INTERNAL_SERVER_ERROR", "Unexpected internal server error"}) {
		t.Errorf("issue %+v", got)
	}
	if q := r.s.FGMQueries(); len(q) != 1 || q[0].NHS != "9990310033" {
		t.Errorf("the failed query was not recorded: %+v", q)
	}
}

// issue is an OperationOutcome's one issue, flattened.
type issue struct{ severity, code, system, detail, display string }

func outcomeIssue(t *testing.T, body []byte) issue {
	t.Helper()
	var oo struct {
		ResourceType string
		Issue        []struct {
			Severity, Code string
			Details        struct {
				Coding []struct{ System, Code, Display string }
			}
		}
	}
	if err := json.Unmarshal(body, &oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) != 1 ||
		len(oo.Issue[0].Details.Coding) != 1 {
		t.Fatalf("not an OperationOutcome of one issue: %s", body)
	}
	is, c := oo.Issue[0], oo.Issue[0].Details.Coding[0]
	return issue{is.Severity, is.Code, c.System, c.Code, c.Display}
}

// The guide's search errors ("Errorhandling"), with the table's words,
// checked in CP-IS's order (token, TraceID, role, patient); none is
// recorded as a query.
func TestFGMRefusals(t *testing.T) {
	r := newRaw(t)
	const q = fgmQuery + "9990310017"
	cpisViewer := r.tokenFor(t, cpis.Role{ID: "555000200011-01", OrgCode: "RXX01", OrgName: "Sandbox General Hospital",
		JobRole: "Staff Nurse", Activity: []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag, cpis.SilentRead}})
	summaryOnly := r.tokenFor(t, cpis.Role{ID: "555000200012-01", OrgCode: "RXX01", OrgName: "Sandbox General Hospital",
		JobRole: "Health Visitor", Activity: []cpis.ActivityCode{cpis.ViewSummary}})
	bearer := func(tok string) func(map[string]string) {
		return func(h map[string]string) { h["Authorization"] = "Bearer " + tok }
	}
	const id = "?patient:identifier="
	r.refuses(t, FGMPath, r.fgmHeaders, []refusal{
		{"no token", q, func(h map[string]string) { delete(h, "Authorization") }, 403, "ACCESS_DENIED"},
		{"bad token", q, bearer("nope"), 403, "ACCESS_DENIED"},
		{"not a bearer token", q, func(h map[string]string) { h["Authorization"] = "Basic " + r.token }, 403, "ACCESS_DENIED"},
		{"no token, no TraceID", q, func(h map[string]string) { delete(h, "Authorization"); delete(h, "TraceID") }, 403, "ACCESS_DENIED"},
		{"no TraceID", q, func(h map[string]string) { delete(h, "TraceID") }, 400, "PRECONDITION_FAILED"},
		{"blank TraceID", q, func(h map[string]string) { h["TraceID"] = "  " }, 400, "PRECONDITION_FAILED"},
		{"no TraceID, no B0370", q, func(h map[string]string) { bearer(cpisViewer)(h); delete(h, "TraceID") }, 400, "PRECONDITION_FAILED"},
		{"no B0370", q, bearer(cpisViewer), 403, "ACCESS_DENIED"},
		{"no B0370, bad number", "/Flag" + id + "https://fhir.nhs.uk/Id/nhs-number%7C1234567890", bearer(cpisViewer), 403, "ACCESS_DENIED"},
		{"no parameter", "/Flag", nil, 400, "INVALID_SEARCH_DATA"},
		{"another parameter only", "/Flag?patient=9990310017", nil, 400, "INVALID_SEARCH_DATA"},
		{"empty parameter", "/Flag" + id, nil, 400, "INVALID_SEARCH_DATA"},
		{"repeated parameter", q + "&patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990310017", nil, 400, "INVALID_SEARCH_DATA"},
		{"repeated, two numbers", q + "&patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990300011", nil, 400, "INVALID_SEARCH_DATA"},
		{"unparseable query", q + "&x=%zz", nil, 400, "INVALID_SEARCH_DATA"},
		{"wrong system", "/Flag" + id + "https://fhir.nhs.uk/Id/local-number%7C9990310017", nil, 400, "INVALID_SEARCH_DATA"},
		{"no system", "/Flag" + id + "9990310017", nil, 400, "INVALID_SEARCH_DATA"},
		{"empty system", "/Flag" + id + "%7C9990310017", nil, 400, "INVALID_SEARCH_DATA"},
		{"bad check digit", "/Flag" + id + "https://fhir.nhs.uk/Id/nhs-number%7C1234567890", nil, 400, "INVALID_SEARCH_DATA"},
		{"spaced number", "/Flag" + id + "https://fhir.nhs.uk/Id/nhs-number%7C999%20031%200017", nil, 400, "INVALID_SEARCH_DATA"},
		{"nine digits", "/Flag" + id + "https://fhir.nhs.uk/Id/nhs-number%7C999031001", nil, 400, "INVALID_SEARCH_DATA"},
		{"no number", "/Flag" + id + "https://fhir.nhs.uk/Id/nhs-number%7C", nil, 400, "INVALID_SEARCH_DATA"},
	})
	if n := r.s.FGMQueries(); len(n) != 0 {
		t.Errorf("refused requests recorded: %+v", n)
	}

	// Each error as the guide's table words it, from CP-IS's code system.
	for _, tt := range []struct {
		name   string
		path   string
		mutate func(map[string]string)
		want   issue
	}{
		{"no TraceID", q, func(h map[string]string) { delete(h, "TraceID") },
			issue{"error", "invalid", cpisErrors, "PRECONDITION_FAILED", "Missing or invalid head parameter"}},
		{"no B0370", q, bearer(cpisViewer),
			issue{"error", "forbidden", cpisErrors, "ACCESS_DENIED", "The sender or receiver's ASID is not authorised for this interaction"}},
		{"bad number", "/Flag" + id + "https://fhir.nhs.uk/Id/nhs-number%7C1234567890", nil,
			issue{"error", "invalid", cpisErrors, "INVALID_SEARCH_DATA", "Invalid NHS number"}},
	} {
		h := r.fgmHeaders()
		if tt.mutate != nil {
			tt.mutate(h)
		}
		_, body := r.do("GET", FGMPath+tt.path, h)
		if got := outcomeIssue(t, body); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}

	// B0370 alone is enough: the query needs neither B0264 nor B0107.
	h := r.fgmHeaders()
	bearer(summaryOnly)(h)
	if res, body := r.do("GET", FGMPath+q, h); res.StatusCode != 200 {
		t.Errorf("B0370 only: %d %s", res.StatusCode, body)
	}
}

// Every query is recorded with who and what; none is a CP-IS access or
// notifies anyone.
func TestFGMQueriesRecorded(t *testing.T) {
	r := newRaw(t)
	before := r.s.Accesses("9990276579") // Poppy: a CP-IS plan and 3 past accesses
	if len(before) != 3 {
		t.Fatalf("seeded accesses %d", len(before))
	}
	visitor := cpis.Role{ID: "555000200013-01", OrgCode: "RXX07", OrgName: "Sandbox Community Trust",
		JobRole: "Health Visitor", Activity: []cpis.ActivityCode{cpis.ViewSummary}}
	r.searchset(t, "9990276579", 0)
	r.searchset(t, "9990310017", 1)
	h := r.fgmHeaders()
	h["Authorization"] = "Bearer " + r.tokenFor(t, visitor)
	if res, body := r.do("GET", FGMPath+fgmQuery+"9990310017", h); res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	want := []FGMQuery{
		{NHS: "9990276579", UserID: DemoUser.ID, RoleID: DemoUser.Roles[0].ID, At: day0},
		{NHS: "9990310017", UserID: DemoUser.ID, RoleID: DemoUser.Roles[0].ID, At: day0},
		{NHS: "9990310017", UserID: "555000200013", RoleID: "555000200013-01", At: day0},
	}
	if got := r.s.FGMQueries(); !reflect.DeepEqual(got, want) {
		t.Errorf("queries\n got %+v\nwant %+v", got, want)
	}
	if after := r.s.Accesses("9990276579"); !reflect.DeepEqual(after, before) {
		t.Errorf("CP-IS history changed: %+v", after)
	}
	if a := r.s.Accesses("9990310017"); len(a) != 0 {
		t.Errorf("CP-IS accesses for the FGM-IS patient: %+v", a)
	}
	if n := r.s.Notifications(); len(n) != 0 {
		t.Errorf("notified: %+v", n)
	}
	// FGMQueries hands out a copy.
	r.s.FGMQueries()[0].UserID = "changed"
	if r.s.FGMQueries()[0].UserID != DemoUser.ID {
		t.Error("FGMQueries shares its records")
	}
}

// Fault.Only "fgm" fails FGM-IS alone; a fault on another service leaves
// it answering.
func TestFGMFaultOnly(t *testing.T) {
	r := newRaw(t)
	res, err := r.hc.Post(r.s.URL()+AdminPath+"/fault", "application/json", strings.NewReader(`{"mode":"5xx","only":"fgm"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("POST fault: %d %s", res.StatusCode, body)
	}
	if res, _ := r.do("GET", FGMPath+fgmQuery+"9990310017", r.fgmHeaders()); res.StatusCode != 503 {
		t.Errorf("FGM-IS under its fault: %d", res.StatusCode)
	}
	if res, body := r.do("GET", PDSPath+"/Patient/9990310017", r.pdsHeaders()); res.StatusCode != 200 {
		t.Errorf("PDS under FGM-IS's fault: %d %s", res.StatusCode, body)
	}
	if res, body := r.do("GET", CPISPath+"/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990276579", r.cpisHeaders()); res.StatusCode != 200 {
		t.Errorf("CP-IS under FGM-IS's fault: %d %s", res.StatusCode, body)
	}
	for _, other := range []string{"pds", "cpis", "identity"} {
		r.s.SetFault(Fault{Mode: Fault5xx, Only: other})
		if res, body := r.do("GET", FGMPath+fgmQuery+"9990310017", r.fgmHeaders()); res.StatusCode != 200 {
			t.Errorf("FGM-IS under %s's fault: %d %s", other, res.StatusCode, body)
		}
	}
	r.s.SetFault(Fault{Mode: Fault5xx})
	if res, _ := r.do("GET", FGMPath+fgmQuery+"9990310017", r.fgmHeaders()); res.StatusCode != 503 {
		t.Errorf("FGM-IS under a fault on every service: %d", res.StatusCode)
	}
	var f Fault
	if err := json.Unmarshal([]byte(`{"mode":"hang","only":"fgm"}`), &f); err != nil || f.Only != "fgm" {
		t.Errorf("only fgm: %+v %v", f, err)
	}
}

// syncBuffer is a log sink the server's goroutines write to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The log line carries the route pattern, never the query with the NHS
// number.
func TestFGMLogsNoNHSNumber(t *testing.T) {
	var logs syncBuffer
	l := logrus.New()
	l.SetLevel(logrus.DebugLevel)
	l.Out = &logs
	r := newRawWith(t, Options{Now: func() time.Time { return day0 }, Log: l})
	r.searchset(t, "9990310017", 1)
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(logs.String(), FGMPath) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := logs.String()
	if strings.Contains(out, "9990310017") || strings.Contains(out, "nhs-number") {
		t.Errorf("the query is logged: %s", out)
	}
	if !strings.Contains(out, "route="+FGMPath+"/Flag ") {
		t.Errorf("no log line with the route pattern: %s", out)
	}
}

// The FGM-IS patients are what the README says, each for its case, and
// the demo user may query.
func TestFGMSeed(t *testing.T) {
	ps := Seed(day0)
	byNHS := map[cpis.NHSNumber]SeedPatient{}
	for _, p := range ps {
		byNHS[p.NHS] = p
	}
	applies := func(p SeedPatient) bool {
		return cpis.FGMApplies(cpis.Patient{NHS: p.NHS, BirthDate: p.BirthDate, Gender: p.Gender, Verified: true}, day0)
	}
	for _, tt := range []struct {
		nhs     cpis.NHSNumber
		age     int
		flags   int
		fails   bool
		applies bool
	}{
		{"9990310017", 8, 1, false, true},
		{"9990310025", 18, 1, false, false},
		{"9990310033", 6, 0, true, true},
		{"9990310041", 11, 1, false, true},
		{"9990310068", 9, 2, false, true},
		{"9990300011", 4, 0, false, true},  // Isla MORGAN: a girl without a flag
		{"9990275831", 9, 0, false, false}, // Leo CPISTEST: a boy
	} {
		p, ok := byNHS[tt.nhs]
		if !ok {
			t.Errorf("%s: not seeded", tt.nhs)
			continue
		}
		if a := cpis.AgeOn(p.BirthDate, day0); a != tt.age || len(p.FGM) != tt.flags || p.FGMFails != tt.fails || applies(p) != tt.applies {
			t.Errorf("%s: aged %d, %d flags, fails %v, the kiosk asks %v", tt.nhs, a, len(p.FGM), p.FGMFails, applies(p))
		}
		for _, f := range p.FGM {
			if !f.Assessed.After(p.BirthDate) || !f.Assessed.Before(day0) {
				t.Errorf("%s: assessed %v, born %v", tt.nhs, f.Assessed, p.BirthDate)
			}
		}
	}
	// Just over 18: four days ago she was 17.
	if a := cpis.AgeOn(byNHS["9990310025"].BirthDate, day0.AddDate(0, 0, -4)); a != 17 {
		t.Errorf("the 18-year-old was %d four days ago", a)
	}
	// Every other patient has no flag, as the README says.
	fgmPatients := []cpis.NHSNumber{"9990310017", "9990310025", "9990310033", "9990310041", "9990310068"}
	for _, p := range ps {
		if !slices.Contains(fgmPatients, p.NHS) && (len(p.FGM) > 0 || p.FGMFails) {
			t.Errorf("%s: FGM-IS data", p.NHS)
		}
	}
	if n, err := cpis.ParseNHSNumber(string(OtherFlagNHS)); err != nil || n != OtherFlagNHS {
		t.Errorf("OtherFlagNHS: %v", err)
	}
	if _, ok := byNHS[OtherFlagNHS]; ok {
		t.Error("OtherFlagNHS is a seed patient's")
	}
	role := DemoUser.Roles[0]
	if !role.Has(cpis.PerformTrace) || !role.Has(cpis.ViewFlag) || !role.Has(cpis.ViewSummary) || len(role.Activity) != 3 {
		t.Errorf("the demo user's activity codes: %v", role.Activity)
	}
}
