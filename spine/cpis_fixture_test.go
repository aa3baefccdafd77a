package spine

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The CP-IS client against fixtures written by hand from the published
// guide (testdata/README.md), served over TLS by a server that is not our
// sandbox: the client needs nothing of ours.

// answerCPIS answers as the guide's examples do: Date (net/http adds it)
// and Content-Type application/fhir+json, nothing else.
func answerCPIS(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// cpisFixtureServer answers every request with the fixture and status,
// and keeps the last request seen.
type cpisFixtureServer struct {
	mu     sync.Mutex
	status int
	body   []byte
	reqs   []*http.Request
}

func (s *cpisFixtureServer) set(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *cpisFixtureServer) last() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return nil
	}
	return s.reqs[len(s.reqs)-1]
}

func (s *cpisFixtureServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func newCPISFixtureServer(t *testing.T) (*cpisFixtureServer, *Client) {
	t.Helper()
	s := &cpisFixtureServer{status: 200}
	c := publicPDS(t, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(r.Context()))
		status, body := s.status, s.body
		s.mu.Unlock()
		answerCPIS(w, status, body)
	})
	return s, c
}

var (
	leedsLA      = cpis.LocalAuthority{Name: "Leeds City Council", OfficeHours: "01632 960101", OutOfHours: "01632 960102"}
	manchesterLA = cpis.LocalAuthority{Name: "Manchester City Council", OfficeHours: "01632 960201", OutOfHours: "01632 960202"}
	bristolLA    = cpis.LocalAuthority{Name: "Bristol City Council", OfficeHours: "01632 960401", OutOfHours: "01632 960402"}
	cornwallLA   = cpis.LocalAuthority{Name: "Cornwall Council", OfficeHours: "01632 960601", OutOfHours: "01632 960602"}
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// careTeamFixtures are the CareTeam fixtures and, field by field, what the
// client must read from them.
var careTeamFixtures = []struct {
	file string
	nhs  cpis.NHSNumber
	want []cpis.Plan
}{
	{"cpis-careteam-found.json", "9990300054", []cpis.Plan{
		{Type: cpis.CPP, Start: day("2024-05-25"), End: day("2025-06-29"), Authority: leedsLA},
	}},
	{"cpis-careteam-two-authorities.json", "9990300143", []cpis.Plan{
		{Type: cpis.CPP, Start: day("2025-10-17"), Authority: leedsLA},
		{Type: cpis.LAC, Start: day("2025-03-21"), Authority: manchesterLA},
	}},
	{"cpis-careteam-unknown-category.json", "9990300151", []cpis.Plan{
		{Type: cpis.CPP, Start: day("2025-12-01"), Authority: bristolLA},
		{Type: cpis.PlanUnknown, Start: day("2025-12-26"), Authority: cornwallLA,
			Category: "http://snomed.info/sct|999000000000000101 Synthetic plan type outside England-ChildProtectionPlan"},
	}},
	{"cpis-careteam-missing-fields.json", "9990276579", []cpis.Plan{
		// No telecom, no end.
		{Type: cpis.CPP, Start: day("2025-09-17"), Authority: cpis.LocalAuthority{Name: "Leeds City Council"}},
		// No period.
		{Type: cpis.LAC, Authority: manchesterLA},
		// No name, only the emergency duty number.
		{Type: cpis.UCPP, Start: day("2025-11-02"), End: day("2025-12-20"), Authority: cpis.LocalAuthority{OutOfHours: "01632 960502"}},
		// No subject; an email marked work passed over; a start date of a
		// year only is an unknown date.
		{Type: cpis.CPP, Authority: cpis.LocalAuthority{Name: "Bristol City Council", OfficeHours: "01632 960401"}},
		// No category at all.
		{Type: cpis.PlanUnknown, Category: "(no category)", Authority: cpis.LocalAuthority{Name: "Kent County Council", OfficeHours: "01632 960501"}},
	}},
	{"cpis-careteam-no-record.json", "9990300100", nil},
}

func TestPlansFromFixtures(t *testing.T) {
	srv, c := newCPISFixtureServer(t)
	for _, tt := range careTeamFixtures {
		t.Run(tt.file, func(t *testing.T) {
			srv.set(200, fixture(t, tt.file))
			got, err := c.Plans(ctx(t), Session{Token: "tok"}, tt.nhs, "trace-"+tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if got != nil {
					t.Fatalf("no record: %+v, want nil", got)
				}
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d plans, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Errorf("plan %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// An unrecognised plan is a Child Care Alert like any other: shown beside
// the known one, never the reason for "no alert".
func TestUnknownCategoryIsShownBesideTheKnownPlan(t *testing.T) {
	srv, c := newCPISFixtureServer(t)
	srv.set(200, fixture(t, "cpis-careteam-unknown-category.json"))
	plans, err := c.Plans(ctx(t), Session{Token: "tok"}, "9990300151", "")
	if err != nil {
		t.Fatal(err)
	}
	visible := cpis.VisiblePlans(plans, day0)
	if len(visible) != 2 || visible[0].Type != cpis.PlanUnknown || visible[1].Type != cpis.CPP {
		t.Fatalf("visible %+v: want the unrecognised plan (newer) and the CPP", visible)
	}
	if visible[0].Type.Label() != "Child Care Alert of an unrecognised type" || !strings.Contains(visible[0].Category, "999000000000000101") {
		t.Errorf("unrecognised plan %q %q", visible[0].Type.Label(), visible[0].Category)
	}
	// Only an unrecognised plan: still an alert.
	srv.set(200, []byte(`{"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"resource":{"resourceType":"CareTeam",`+
		`"category":[{"coding":[{"system":"http://snomed.info/sct","code":"1","display":"x"}]}],"name":"Kent County Council"}}]}`))
	plans, err = c.Plans(ctx(t), Session{Token: "tok"}, "9990300151", "")
	if err != nil || len(cpis.VisiblePlans(plans, day0)) != 1 || plans[0].Category != "http://snomed.info/sct|1 x" {
		t.Fatalf("%+v %v", plans, err)
	}
	// A local code system is not the ValueSet's, whatever its code says.
	srv.set(200, []byte(`{"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"resource":{"resourceType":"CareTeam",`+
		`"category":[{"coding":[{"system":"https://fhir.nhs.uk/CodeSystem/CPIS-PlanType","code":"CPP"}]}]}}]}`))
	plans, err = c.Plans(ctx(t), Session{Token: "tok"}, "9990300151", "")
	if err != nil || len(plans) != 1 || plans[0].Type != cpis.PlanUnknown {
		t.Fatalf("a local code system: %+v %v", plans, err)
	}
}

var historyFixtures = []struct {
	file string
	nhs  cpis.NHSNumber
	want []cpis.Access
}{
	{"cpis-auditevent-with-includes.json", "9990275831", []cpis.Access{
		{When: time.Date(2026, 1, 13, 10, 0, 0, 0, time.UTC), Who: "Sam Patel", Role: "Staff Nurse",
			Organisation: "Leeds Teaching Hospitals (synthetic)", RoleProfileID: "555000100001-01"},
		{When: time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC), Who: "Dr Aisha Rahman", Role: "Specialty Registrar",
			Organisation: "Manchester Royal Infirmary (synthetic)", RoleProfileID: "555000100002-01"},
	}},
	{"cpis-auditevent-missing-practitionerrole.json", "9990276579", []cpis.Access{
		{When: time.Date(2026, 1, 14, 16, 40, 5, 0, time.UTC), Who: "Grace Ellis", Role: "Midwife",
			Organisation: "Birmingham Women's Hospital (synthetic)", RoleProfileID: "555000100004-01"},
		// Resolved by the absolute reference matching the entry's fullUrl.
		{When: time.Date(2026, 1, 13, 11, 2, 44, 0, time.UTC), Who: "Grace Ellis", Role: "Midwife",
			Organisation: "Birmingham Women's Hospital (synthetic)", RoleProfileID: "555000100004-01"},
		// Its PractitionerRole is not in the Bundle: the time, nothing else.
		{When: time.Date(2026, 1, 12, 8, 15, 30, 0, time.UTC)},
	}},
	{"cpis-careteam-no-record.json", "9990300100", nil},
}

func TestHistoryFromFixtures(t *testing.T) {
	srv, c := newCPISFixtureServer(t)
	for _, tt := range historyFixtures {
		t.Run(tt.file, func(t *testing.T) {
			srv.set(200, fixture(t, tt.file))
			got, err := c.History(ctx(t), Session{Token: "tok"}, tt.nhs, "trace")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d rows, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// "Request headers, and only these: Authorization: Bearer {token},
// TraceID: {uuid}, IsUnscheduledAccessEvent: true|false" (spine-
// interfaces.md; guide, "Headers"). Besides them only what net/http's
// transport itself sends.
func TestCPISHeadersOnTheWireAreThePublishedThree(t *testing.T) {
	srv, c := newCPISFixtureServer(t)
	// What net/http's transport itself sends.
	transport := map[string]bool{"User-Agent": true, "Accept-Encoding": true}
	check := func(name string, wantPath string, wantQuery url.Values, trace string) {
		t.Helper()
		r := srv.last()
		if r.Method != http.MethodGet || r.URL.Path != wantPath {
			t.Errorf("%s: %s %s, want GET %s", name, r.Method, r.URL.Path, wantPath)
		}
		if got := r.URL.Query(); len(got) != len(wantQuery) {
			t.Errorf("%s: query %v, want %v", name, got, wantQuery)
		}
		for k, v := range wantQuery {
			if got := r.URL.Query()[k]; len(got) != 1 || got[0] != v[0] {
				t.Errorf("%s: %s = %q, want %q", name, k, got, v)
			}
		}
		want := map[string]string{"Authorization": "Bearer tok", "Traceid": trace, "Isunscheduledaccessevent": "true"}
		for k, v := range r.Header {
			ck := http.CanonicalHeaderKey(k)
			if transport[ck] {
				continue
			}
			w, ok := want[ck]
			if !ok {
				t.Errorf("%s: header %s: %q is not one of the published three", name, ck, v)
				continue
			}
			if len(v) != 1 || v[0] != w {
				t.Errorf("%s: %s = %q, want %q", name, ck, v, w)
			}
			delete(want, ck)
		}
		for k := range want {
			t.Errorf("%s: header %s missing", name, k)
		}
	}
	sess := Session{Token: "tok", RoleID: "555000000001-01", ODS: "RXX01"}
	trace := uuid.NewString()
	srv.set(200, fixture(t, "cpis-careteam-found.json"))
	if _, err := c.Plans(ctx(t), sess, "9990300054", trace); err != nil {
		t.Fatal(err)
	}
	check("CareTeam", "/cpis/FHIR/R4/CareTeam",
		url.Values{"patient:identifier": {"https://fhir.nhs.uk/Id/nhs-number|9990300054"}}, trace)

	srv.set(200, fixture(t, "cpis-auditevent-with-includes.json"))
	if _, err := c.History(ctx(t), sess, "9990275831", trace); err != nil {
		t.Fatal(err)
	}
	check("AuditEvent", "/cpis/FHIR/R4/AuditEvent", url.Values{
		"patient:identifier": {"https://fhir.nhs.uk/Id/nhs-number|9990275831"},
		"_include":           {"AuditEvent:entity-type=http://terminology.hl7.org/CodeSystem/v3-RoleClass|ASSIGNED"},
	}, trace)

	// No trace id from the caller: a UUID, as the guide recommends.
	srv.set(200, fixture(t, "cpis-careteam-no-record.json"))
	if _, err := c.Plans(ctx(t), sess, "9990300100", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(srv.last().Header.Get("TraceID")); err != nil {
		t.Errorf("TraceID %q is not a UUID", srv.last().Header.Get("TraceID"))
	}
	// A trace id no header can carry is refused before sending.
	n := srv.count()
	if _, err := c.Plans(ctx(t), sess, "9990300100", "a\r\nX-Other: 1"); !errors.Is(err, ErrInvalid) || srv.count() != n {
		t.Errorf("a trace id with a line break: %v", err)
	}
}

// The guide's three errors ("Errorhandling"), each to its class whatever
// the status, as its own CareTeam example carries ACCESS_DENIED under a
// 400.
func TestCPISErrorsFromFixtures(t *testing.T) {
	srv, c := newCPISFixtureServer(t)
	tests := []struct {
		file   string
		status int
		code   string
		class  error
	}{
		{"cpis-error-invalid-search-data.json", 400, "INVALID_SEARCH_DATA", ErrInvalid},
		{"cpis-error-precondition-failed.json", 400, "PRECONDITION_FAILED", ErrPrecondition},
		{"cpis-error-access-denied.json", 403, "ACCESS_DENIED", ErrAccessDenied},
		{"cpis-error-access-denied.json", 400, "ACCESS_DENIED", ErrAccessDenied},
	}
	for _, tt := range tests {
		srv.set(tt.status, fixture(t, tt.file))
		for name, call := range map[string]func() error{
			"Plans":   func() error { _, err := c.Plans(ctx(t), Session{Token: "tok"}, "9990276579", "trace-1"); return err },
			"History": func() error { _, err := c.History(ctx(t), Session{Token: "tok"}, "9990276579", "trace-1"); return err },
		} {
			err := call()
			var se *Error
			if !errors.Is(err, tt.class) || Retryable(err) || !errors.As(err, &se) ||
				se.Status != tt.status || se.Code != tt.code || se.TraceID != "trace-1" || se.RequestID != "" {
				t.Errorf("%s, HTTP %d, %s: %#v", tt.file, tt.status, name, err)
			}
		}
	}
	// PRECONDITION_FAILED is the kiosk's own fault: none of the others.
	if errors.Is(ErrPrecondition, ErrInvalid) || errors.Is(ErrPrecondition, ErrAccessDenied) {
		t.Error("ErrPrecondition is another class too")
	}
}

// Whatever a broken server sends, the client neither panics nor reads
// "no alert": a malformed body, one over the size limit, and a 200 that
// is not a searchset Bundle are all ErrBadResponse, which is retryable
// (a Spine fault), and so is a plan for another child.
func TestCPISBadAnswersAreRetryable(t *testing.T) {
	srv, c := newCPISFixtureServer(t)
	big := append([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"CareTeam","name":"`),
		[]byte(strings.Repeat("x", DefaultMaxBody))...)
	big = append(big, `"}}]}`...)
	for name, body := range map[string][]byte{
		"cut off":             fixture(t, "cpis-careteam-found.json")[:300],
		"over 4 MiB":          big,
		"not JSON":            []byte("<html>proxy login</html>"),
		"a collection":        []byte(`{"resourceType":"Bundle","type":"collection","entry":[]}`),
		"no Bundle type":      []byte(`{"resourceType":"Bundle","total":0}`),
		"a CareTeam":          []byte(`{"resourceType":"CareTeam","name":"Leeds City Council"}`),
		"an OperationOutcome": fixture(t, "cpis-error-access-denied.json"),
		"JSON null":           []byte(`null`),
		"an array":            []byte(`[]`),
		"entry not a list":    []byte(`{"resourceType":"Bundle","type":"searchset","entry":{}}`),
		"another child": []byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"CareTeam",` +
			`"subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990275831"}}}}]}`),
		"a bad end date": []byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"CareTeam",` +
			`"period":{"end":"2025-13-45"}}}]}`),
	} {
		srv.set(200, body)
		plans, err := c.Plans(ctx(t), Session{Token: "tok"}, "9990276579", "")
		if !errors.Is(err, ErrBadResponse) || !Retryable(err) || plans != nil {
			t.Errorf("%s: %v %v, want retryable ErrBadResponse", name, plans, err)
		}
	}
	for name, body := range map[string][]byte{
		"cut off":    fixture(t, "cpis-auditevent-with-includes.json")[:500],
		"over 4 MiB": big,
		"a bad recorded": []byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"AuditEvent",` +
			`"recorded":"yesterday"}}]}`),
		"another child's access": []byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"AuditEvent",` +
			`"recorded":"2026-01-12T08:15:30+00:00","agent":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleClass","code":"PAT"}]},` +
			`"who":{"identifier":{"value":"9990275831"}}}]}}]}`),
	} {
		srv.set(200, body)
		if _, err := c.History(ctx(t), Session{Token: "tok"}, "9990276579", ""); !errors.Is(err, ErrBadResponse) || !Retryable(err) {
			t.Errorf("history, %s: %v, want retryable ErrBadResponse", name, err)
		}
	}
}

// A CareTeam query is sent once: a second one would be a second access
// and a second notification to the local authority.
func TestCPISIsNeverRetriedByTheClient(t *testing.T) {
	srv, c := newCPISFixtureServer(t)
	srv.set(503, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient"}]}`))
	if _, err := c.Plans(ctx(t), Session{Token: "tok"}, "9990276579", ""); !errors.Is(err, ErrUnavailable) {
		t.Fatal(err)
	}
	if n := srv.count(); n != 1 {
		t.Fatalf("the CareTeam query was sent %d times", n)
	}
}
