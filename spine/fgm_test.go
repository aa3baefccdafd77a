package spine

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The FGM-IS client against fixtures written by hand from the FGM-IS
// implementation guide (testdata/README.md, "FGM-IS"), served over TLS by
// a server that is not our sandbox.

// fgmQueried is the client's clock in these tests: Queried is read from it.
var fgmQueried = time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)

// fgmServer answers every request with one status and body, as the guide's
// answers come (Content-Type application/fhir+json; net/http adds Date),
// and keeps every request seen; a handler, when set, answers instead.
type fgmServer struct {
	cpisFixtureServer
	handler func(n int, w http.ResponseWriter, r *http.Request) // n: the request's number, from 1
}

// newFGMServer is an FGM-IS fixture server and a client whose FGMBase
// (given with a trailing slash, which New trims) points at it, with the
// clock at fgmQueried; opt changes the client's Config further.
func newFGMServer(t *testing.T, opt func(*Config)) (*fgmServer, *Client) {
	t.Helper()
	s := &fgmServer{cpisFixtureServer: cpisFixtureServer{status: 200}}
	c := publicServer(t, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(r.Context()))
		n, status, body, h := len(s.reqs), s.status, s.body, s.handler
		s.mu.Unlock()
		if h != nil {
			h(n, w, r)
			return
		}
		answerCPIS(w, status, body)
	}, func(cfg *Config) {
		cfg.FGMBase = strings.TrimSuffix(cfg.CPISBase, "/cpis/FHIR/R4") + "/fgm/FHIR/R4/"
		if opt != nil {
			opt(cfg)
		}
	})
	c.now = func() time.Time { return fgmQueried }
	return s, c
}

func (s *fgmServer) first() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs[0]
}

func (s *fgmServer) handle(h func(n int, w http.ResponseWriter, r *http.Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = h
}

func fgmFixture(t testing.TB, name string) []byte {
	t.Helper()
	return fixture(t, filepath.Join("fgm", name))
}

// "GET /Flag?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs};
// headers Authorization and TraceID only" (spine-interfaces.md; guide,
// "Interactions" and "Headers"): the exact path and query, and on the
// wire exactly those two headers besides what net/http's transport itself
// sends.
func TestFGMRequestIsThePublishedOne(t *testing.T) {
	srv, c := newFGMServer(t, nil)
	srv.set(200, fgmFixture(t, "flag-found.json"))
	trace := uuid.NewString()
	if _, err := c.FGMFlags(ctx(t), Session{Token: "tok", RoleID: "555000000001-01", ODS: "RXX01"}, "9990700001", trace); err != nil {
		t.Fatal(err)
	}
	r := srv.last()
	if r.Method != http.MethodGet || r.URL.Path != "/fgm/FHIR/R4/Flag" || r.ContentLength != 0 {
		t.Errorf("%s %s (%d bytes), want GET /fgm/FHIR/R4/Flag and no body", r.Method, r.URL.Path, r.ContentLength)
	}
	// The token's ':' and '|' percent-encoded; one parameter, nothing else.
	if want := "patient%3Aidentifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9990700001"; r.URL.RawQuery != want {
		t.Errorf("query\n got %s\nwant %s", r.URL.RawQuery, want)
	}
	if q := r.URL.Query(); len(q) != 1 || len(q["patient:identifier"]) != 1 ||
		q.Get("patient:identifier") != "https://fhir.nhs.uk/Id/nhs-number|9990700001" {
		t.Errorf("decoded query %v", q)
	}
	transport := map[string]bool{"User-Agent": true, "Accept-Encoding": true}
	want := map[string]string{"Authorization": "Bearer tok", "Traceid": trace}
	for k, v := range r.Header {
		ck := http.CanonicalHeaderKey(k)
		if transport[ck] {
			continue
		}
		w, ok := want[ck]
		if !ok {
			t.Errorf("header %s: %q is not one of the published two", ck, v)
			continue
		}
		if len(v) != 1 || v[0] != w {
			t.Errorf("%s = %q, want %q", ck, v, w)
		}
		delete(want, ck)
	}
	for k := range want {
		t.Errorf("header %s missing", k)
	}

	// No trace id from the caller: a UUID, as the guide recommends.
	if _, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(srv.last().Header.Get("TraceID")); err != nil {
		t.Errorf("TraceID %q is not a UUID", srv.last().Header.Get("TraceID"))
	}
	// A trace id no header can carry, or a number that is not an NHS
	// number, is refused before sending.
	n := srv.count()
	if _, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", "a\r\nX-Other: 1"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a trace id with a line break: %v", err)
	}
	for _, bad := range []cpis.NHSNumber{"1234567890", "999 070 0001", ""} {
		if _, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, bad, ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("NHS number %q: %v, want ErrInvalid", bad, err)
		}
	}
	if srv.count() != n {
		t.Errorf("%d refused requests were sent", srv.count()-n)
	}
}

// Without Config.FGMBase the client refuses, as ErrInvalid saying FGM-IS
// is not configured, and sends nothing anywhere; a base that is not https
// is refused by New, and a trailing slash is trimmed.
func TestFGMUnconfigured(t *testing.T) {
	srv, c := newFGMServer(t, func(cfg *Config) { cfg.FGMBase = "" })
	srv.set(200, fgmFixture(t, "flag-found.json"))
	ans, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", "")
	var se *Error
	if !errors.Is(err, ErrInvalid) || Retryable(err) || !errors.As(err, &se) || !strings.Contains(err.Error(), "FGM-IS is not configured") {
		t.Errorf("err = %v, want ErrInvalid: FGM-IS is not configured", err)
	}
	if ans.Flags != nil || ans.Ignored != nil {
		t.Errorf("answer %+v from no request", ans)
	}
	if n := srv.count(); n != 0 {
		t.Errorf("the unconfigured client sent %d requests", n)
	}

	base := Config{PDSBase: "https://pds.example.org/FHIR/R4", CPISBase: "https://cpis.example.org/FHIR/R4", RootCAs: x509.NewCertPool()}
	for in, want := range map[string]string{
		"":                                    "",
		"https://fgm-is.example.org/FHIR/R4":  "https://fgm-is.example.org/FHIR/R4",
		"https://fgm-is.example.org/FHIR/R4/": "https://fgm-is.example.org/FHIR/R4",
	} {
		cfg := base
		cfg.FGMBase = in
		c, err := New(cfg)
		if err != nil {
			t.Errorf("FGMBase %q: %v", in, err)
		} else if c.cfg.FGMBase != want {
			t.Errorf("FGMBase %q: base %q, want %q", in, c.cfg.FGMBase, want)
		}
	}
	for _, in := range []string{"http://fgm-is.example.org/FHIR/R4", "fgm-is.example.org/FHIR/R4", "https:///FHIR/R4", "://x"} {
		cfg := base
		cfg.FGMBase = in
		if _, err := New(cfg); err == nil {
			t.Errorf("FGMBase %q accepted", in)
		}
	}
}

// flagFixtures are the searchset fixtures and what the client must make
// of each: the flags that count, and why the others do not.
var flagFixtures = []struct {
	file    string
	nhs     cpis.NHSNumber
	flags   []time.Time // each flag's Assessed
	ignored []string
}{
	{"flag-found.json", "9990700001", []time.Time{day("2023-04-12")}, nil},
	{"flag-not-found.json", "9990700028", nil, nil},
	{"flag-another-code.json", "9990700036", nil, []string{"a Flag with another code"}},
	{"flag-another-nhs-number.json", "9990700044", []time.Time{day("2025-07-08")}, []string{"a Flag for another NHS number"}},
	{"flag-removed.json", "9990700060", nil, []string{"a Flag that is not active"}},
}

func TestFGMFlagsFromFixtures(t *testing.T) {
	srv, c := newFGMServer(t, nil)
	for _, tt := range flagFixtures {
		t.Run(tt.file, func(t *testing.T) {
			srv.set(200, fgmFixture(t, tt.file))
			ans, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, tt.nhs, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(ans.Flags) != len(tt.flags) {
				t.Fatalf("%d flags, want %d: %+v", len(ans.Flags), len(tt.flags), ans)
			}
			for i, f := range ans.Flags {
				want := cpis.FGMFlag{NHS: tt.nhs, Assessed: tt.flags[i], Queried: fgmQueried}
				if f != want {
					t.Errorf("flag %d:\n got %+v\nwant %+v", i, f, want)
				}
			}
			if strings.Join(ans.Ignored, "; ") != strings.Join(tt.ignored, "; ") {
				t.Errorf("Ignored %q, want %q", ans.Ignored, tt.ignored)
			}
		})
	}
}

// The guide's three search errors ("Errorhandling"), classified as CP-IS's
// are, by the code as well as the status: ACCESS_DENIED under a 400 is
// still access denied. None is sent twice.
func TestFGMErrorsFromFixtures(t *testing.T) {
	srv, c := newFGMServer(t, nil)
	for _, tt := range []struct {
		file   string
		status int
		code   string
		class  error
	}{
		{"error-invalid-search-data.json", 400, "INVALID_SEARCH_DATA", ErrInvalid},
		{"error-precondition-failed.json", 400, "PRECONDITION_FAILED", ErrPrecondition},
		{"error-access-denied.json", 403, "ACCESS_DENIED", ErrAccessDenied},
		{"error-access-denied.json", 400, "ACCESS_DENIED", ErrAccessDenied},
	} {
		srv.set(tt.status, fgmFixture(t, tt.file))
		n := srv.count()
		ans, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", "trace-1")
		var se *Error
		if !errors.Is(err, tt.class) || Retryable(err) || !errors.As(err, &se) || se.Service != "fgm" || ServiceOf(err) != "fgm" ||
			se.Status != tt.status || se.Code != tt.code || se.TraceID != "trace-1" || se.RequestID != "" || se.Op != "searching FGM-IS" {
			t.Errorf("%s under %d: %#v", tt.file, tt.status, err)
		}
		if tt.class != ErrAccessDenied && errors.Is(err, ErrAccessDenied) {
			t.Errorf("%s under %d is access denied too", tt.file, tt.status)
		}
		if ans.Flags != nil {
			t.Errorf("%s: flags %+v with an error", tt.file, ans.Flags)
		}
		if sent := srv.count() - n; sent != 1 {
			t.Errorf("%s under %d: sent %d times", tt.file, tt.status, sent)
		}
	}
	// The guide's diagnostics is kept for the caller, out of the message.
	srv.set(403, fgmFixture(t, "error-access-denied.json"))
	_, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", "")
	var se *Error
	if !errors.As(err, &se) || se.Diagnostics != "The sender or receiver's ASID is not authorised for this interaction" ||
		strings.Contains(err.Error(), "ASID") {
		t.Errorf("diagnostics: %#v", err)
	}
}

// Whatever a broken server sends, the client neither panics nor reads "no
// flag": a malformed body, one over MaxBody, and a 200 that is not a
// searchset Bundle are ErrBadResponse, which is retryable (a Spine fault).
func TestFGMBadAnswersAreRetryable(t *testing.T) {
	const maxBody = 4096
	srv, c := newFGMServer(t, func(cfg *Config) { cfg.MaxBody = maxBody })
	found := fgmFixture(t, "flag-found.json")
	// The same answer padded with JSON whitespace past the limit: only
	// its size is wrong.
	big := append([]byte("{"+strings.Repeat(" ", maxBody)), found[1:]...)
	if _, err := decodeFlags(big, "9990700001", fgmQueried); err != nil {
		t.Fatalf("the padded answer does not decode: %v", err)
	}
	for name, body := range map[string][]byte{
		"malformed.json":      fgmFixture(t, "malformed.json"),
		"over MaxBody":        big,
		"not JSON":            []byte("<html>proxy login</html>"),
		"a Flag, no Bundle":   []byte(`{"resourceType":"Flag","status":"active"}`),
		"a collection":        []byte(`{"resourceType":"Bundle","type":"collection","entry":[]}`),
		"no Bundle type":      []byte(`{"resourceType":"Bundle","total":0}`),
		"an OperationOutcome": fgmFixture(t, "error-access-denied.json"),
		"PDS's TOO_MANY_MATCHES": []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"multiple-matches",` +
			`"details":{"coding":[{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode","code":"TOO_MANY_MATCHES"}]}}]}`),
		"JSON null":           []byte(`null`),
		"an array":            []byte(`[]`),
		"entry not a list":    []byte(`{"resourceType":"Bundle","type":"searchset","entry":{}}`),
		"a resource a string": []byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":"Flag"}]}`),
	} {
		srv.set(200, body)
		ans, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", "")
		var se *Error
		if !errors.Is(err, ErrBadResponse) || !Retryable(err) || errors.Is(err, ErrTooManyMatches) ||
			!errors.As(err, &se) || se.Service != "fgm" || ans.Flags != nil {
			t.Errorf("%s: %+v %v, want retryable ErrBadResponse", name, ans, err)
		}
	}
	// Just under the limit is an answer.
	srv.set(200, found)
	if ans, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", ""); err != nil || len(ans.Flags) != 1 {
		t.Errorf("the answer under the limit: %+v %v", ans, err)
	}
	// Not FHIR JSON.
	srv.handle(func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write(found)
	})
	if _, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", ""); !errors.Is(err, ErrBadResponse) {
		t.Errorf("text/html: %v", err)
	}
}

// searchset wraps entries in an FGM-IS answer.
func searchset(total int, entries ...string) []byte {
	return []byte(fmt.Sprintf(`{"resourceType":"Bundle","type":"searchset","total":%d,"entry":[%s]}`, total, strings.Join(entries, ",")))
}

// flagEntry is a Flag entry for 9990700001 with fields replaced or, given
// as "", left out.
func flagEntry(fields map[string]string) string {
	f := map[string]string{
		"status":  `"active"`,
		"code":    `{"coding":[{"system":"http://snomed.info/sct","code":"902961000000107","display":"Family history of FGM (female genital mutilation)"}]}`,
		"subject": `{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990700001"}}`,
		"period":  `{"start":"2023-04-12"}`,
	}
	for k, v := range fields {
		f[k] = v
	}
	var b strings.Builder
	b.WriteString(`{"resource":{"resourceType":"Flag"`)
	for _, k := range []string{"status", "code", "subject", "period"} {
		if f[k] != "" {
			b.WriteString(`,"` + k + `":` + f[k])
		}
	}
	b.WriteString(`},"search":{"mode":"match"}}`)
	return b.String()
}

// Only an active Flag coded 902961000000107 about the NHS number asked
// for counts; everything else is noted in Ignored, never a flag, in words
// that hold no patient data. The search's own OperationOutcome is passed
// over silently.
func TestFGMIgnoredEntries(t *testing.T) {
	srv, c := newFGMServer(t, nil)
	good := flagEntry(nil)
	outcome := `{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational"}]},"search":{"mode":"outcome"}}`
	for _, tt := range []struct {
		name    string
		body    []byte
		flags   []time.Time
		ignored []string
	}{
		{"the search's OperationOutcome", searchset(1, outcome, good), []time.Time{day("2023-04-12")}, nil},
		{"an OperationOutcome as a match", searchset(1, strings.Replace(outcome, `"outcome"}`, `"match"}`, 1), good),
			[]time.Time{day("2023-04-12")}, []string{"an OperationOutcome that is not the search's outcome"}},
		{"a Patient entry", searchset(1, `{"resource":{"resourceType":"Patient","id":"9990700001"}}`, good),
			[]time.Time{day("2023-04-12")}, []string{"a Patient entry, not a Flag"}},
		{"an entry of no plain type", searchset(0, `{"resource":{"resourceType":"9990700001"}}`), nil, []string{"an entry that is not a Flag"}},
		{"an entry with no resource", searchset(0, `{"fullUrl":"x"}`), nil, []string{"an entry with no resource"}},
		{"entered in error", searchset(1, flagEntry(map[string]string{"status": `"entered-in-error"`})), nil, []string{"a Flag that is not active"}},
		{"no status", searchset(1, flagEntry(map[string]string{"status": ""})), nil, []string{"a Flag with no readable status"}},
		{"a status not a string", searchset(1, flagEntry(map[string]string{"status": `true`})), nil, []string{"a Flag with no readable status"}},
		{"no code", searchset(1, flagEntry(map[string]string{"code": ""})), nil, []string{"a Flag with no code"}},
		{"a code not an object", searchset(1, flagEntry(map[string]string{"code": `"902961000000107"`})), nil, []string{"a Flag with an unreadable code"}},
		{"the code from another system", searchset(1, flagEntry(map[string]string{"code": `{"coding":[{"system":"http://example.org","code":"902961000000107"}]}`})),
			nil, []string{"a Flag with another code"}},
		{"no subject", searchset(1, flagEntry(map[string]string{"subject": ""})), nil, []string{"a Flag with no readable subject"}},
		{"a subject by reference only", searchset(1, flagEntry(map[string]string{"subject": `{"reference":"Patient/9990700001"}`})),
			nil, []string{"a Flag with no readable subject"}},
		{"a subject identifier not a string", searchset(1, flagEntry(map[string]string{"subject": `{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":9990700001}}`})),
			nil, []string{"a Flag with no readable subject"}},
		{"a subject by another identifier", searchset(1, flagEntry(map[string]string{"subject": `{"identifier":{"system":"https://example.org/id","value":"9990700001"}}`})),
			nil, []string{"a Flag whose subject is not an NHS number"}},
		{"another NHS number, spaced", searchset(1, flagEntry(map[string]string{"subject": `{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 070 0001"}}`})),
			nil, []string{"a Flag for another NHS number"}},
		{"a dateTime", searchset(1, flagEntry(map[string]string{"period": `{"start":"2019-03-04T23:30:00-05:00"}`})), []time.Time{day("2019-03-04")}, nil},
		{"a year only", searchset(1, flagEntry(map[string]string{"period": `{"start":"2019"}`})),
			[]time.Time{{}}, []string{"a Flag with an unreadable assessment date"}},
		{"no such day", searchset(1, flagEntry(map[string]string{"period": `{"start":"2019-13-45"}`})),
			[]time.Time{{}}, []string{"a Flag with an unreadable assessment date"}},
		{"a period not an object", searchset(1, flagEntry(map[string]string{"period": `"2019-03-04"`})),
			[]time.Time{{}}, []string{"a Flag with an unreadable assessment date"}},
		{"no period", searchset(1, flagEntry(map[string]string{"period": ""})), []time.Time{{}}, []string{"a Flag with no assessment date"}},
		{"a period with no start", searchset(1, flagEntry(map[string]string{"period": `{"end":"2025-01-01"}`})), []time.Time{{}}, []string{"a Flag with no assessment date"}},
		{"a total above the Flags carried", searchset(2, good), []time.Time{day("2023-04-12")}, []string{"a Bundle.total (2) above the Flags the answer carries (1)"}},
	} {
		srv.set(200, tt.body)
		ans, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", "")
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var got []time.Time
		for _, f := range ans.Flags {
			if f.NHS != "9990700001" || !f.Queried.Equal(fgmQueried) {
				t.Errorf("%s: flag %+v", tt.name, f)
			}
			got = append(got, f.Assessed)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.flags) {
			t.Errorf("%s: flags assessed %v, want %v", tt.name, got, tt.flags)
		}
		if strings.Join(ans.Ignored, "; ") != strings.Join(tt.ignored, "; ") {
			t.Errorf("%s: Ignored %q, want %q", tt.name, ans.Ignored, tt.ignored)
		}
		for _, s := range ans.Ignored {
			if longNumber.MatchString(s) {
				t.Errorf("%s: Ignored %q holds a number", tt.name, s)
			}
		}
	}
}

// The query notifies nobody, so it is sent again like a PDS request after
// a dropped connection or a gateway failure, with the same TraceID; a
// refusal, a 429 and a timeout are not sent again, and the Spine being
// unavailable is retryable ErrUnavailable.
func TestFGMRetriesWithOneTraceID(t *testing.T) {
	for _, first := range []string{"503", "dropped connection"} {
		t.Run(first, func(t *testing.T) {
			srv, c := newFGMServer(t, nil)
			srv.handle(func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					if first == "503" {
						answerCPIS(w, 503, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient"}]}`))
						return
					}
					panic(http.ErrAbortHandler)
				}
				answerCPIS(w, 200, fgmFixture(t, "flag-found.json"))
			})
			ans, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", "trace-7")
			if err != nil || len(ans.Flags) != 1 {
				t.Fatalf("%+v %v", ans, err)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if len(srv.reqs) != 2 || srv.reqs[0].Header.Get("TraceID") != "trace-7" || srv.reqs[1].Header.Get("TraceID") != "trace-7" {
				t.Fatalf("sent %d times; want twice with TraceID trace-7", len(srv.reqs))
			}
		})
	}

	// A new UUID, made once for both attempts.
	srv, c := newFGMServer(t, nil)
	srv.handle(func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			panic(http.ErrAbortHandler)
		}
		answerCPIS(w, 200, fgmFixture(t, "flag-not-found.json"))
	})
	if _, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", ""); err != nil {
		t.Fatal(err)
	}
	if a, b := srv.first().Header.Get("TraceID"), srv.last().Header.Get("TraceID"); srv.count() != 2 || a != b || a == "" {
		t.Errorf("TraceIDs %q and %q over %d attempts", a, b, srv.count())
	}

	for _, tt := range []struct {
		name     string
		attempts int
		h        func(w http.ResponseWriter)
		class    error
		sent     int
	}{
		{"dropped every time", 0, func(http.ResponseWriter) { panic(http.ErrAbortHandler) }, ErrUnavailable, DefaultPDSAttempts},
		{"504 with PDSAttempts 3", 3, func(w http.ResponseWriter) { answerCPIS(w, 504, []byte(`{}`)) }, ErrUnavailable, 3},
		{"503 with PDSAttempts 1", 1, func(w http.ResponseWriter) { answerCPIS(w, 503, []byte(`{}`)) }, ErrUnavailable, 1},
		{"500", 0, func(w http.ResponseWriter) { answerCPIS(w, 500, []byte(`{}`)) }, ErrUnavailable, 1},
		{"429", 0, func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "30")
			answerCPIS(w, 429, []byte(`{}`))
		}, ErrUnavailable, 1},
		{"400", 0, func(w http.ResponseWriter) { answerCPIS(w, 400, fgmFixture(t, "error-invalid-search-data.json")) }, ErrInvalid, 1},
	} {
		srv, c := newFGMServer(t, func(cfg *Config) { cfg.PDSAttempts = tt.attempts })
		srv.handle(func(_ int, w http.ResponseWriter, _ *http.Request) { tt.h(w) })
		_, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", "")
		if !errors.Is(err, tt.class) || Retryable(err) != (tt.class == ErrUnavailable) || ServiceOf(err) != "fgm" {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.class)
		}
		if n := srv.count(); n != tt.sent {
			t.Errorf("%s: sent %d times, want %d", tt.name, n, tt.sent)
		}
	}

	// A timeout has used the user's wait already: not sent again.
	release := make(chan struct{})
	defer close(release)
	srv, c = newFGMServer(t, func(cfg *Config) { cfg.Timeout = 150 * time.Millisecond })
	srv.handle(func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	if _, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, "9990700001", ""); !errors.Is(err, ErrUnavailable) || srv.count() != 1 {
		t.Errorf("timeout: %v, sent %d times", err, srv.count())
	}
}

// No log line and no error holds the NHS number, across a flag found, each
// refusal, a garbage answer and a dropped connection; the lines do carry
// the TraceID and status.
func TestFGMLogsHoldNoNHSNumber(t *testing.T) {
	logger, hook := logtest.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	srv, c := newFGMServer(t, func(cfg *Config) { cfg.Log = logger })
	const nhs = cpis.NHSNumber("9990700001")
	trace := uuid.NewString()
	var errs []error
	for _, a := range []struct {
		status int
		body   []byte
	}{
		{200, fgmFixture(t, "flag-found.json")},
		{200, fgmFixture(t, "flag-another-nhs-number.json")},
		{400, fgmFixture(t, "error-invalid-search-data.json")},
		{400, fgmFixture(t, "error-precondition-failed.json")},
		{403, fgmFixture(t, "error-access-denied.json")},
		{200, fgmFixture(t, "malformed.json")},
		{503, []byte(`{}`)},
	} {
		srv.set(a.status, a.body)
		if _, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, nhs, trace); err != nil {
			errs = append(errs, err)
		}
	}
	srv.handle(func(int, http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	if _, err := c.FGMFlags(ctx(t), Session{Token: "tok"}, nhs, trace); err != nil {
		errs = append(errs, err)
	}
	if len(errs) != 6 {
		t.Fatalf("%d errors, want 6: %v", len(errs), errs)
	}
	entries := hook.AllEntries()
	if len(entries) < 8 {
		t.Fatalf("only %d log lines: is logging on?", len(entries))
	}
	lines := []string{}
	traced := false
	for _, e := range entries {
		lines = append(lines, e.Message+" "+fmt.Sprint(e.Data))
		if e.Data["service"] == "fgm" && e.Data["trace_id"] == trace && e.Data["status"] != nil {
			traced = true
		}
	}
	if !traced {
		t.Error("no log line carries the FGM-IS TraceID and status")
	}
	for _, err := range errs {
		lines = append(lines, err.Error())
	}
	for _, l := range lines {
		for _, f := range []string{nhs.Digits(), nhs.String(), "9990700052"} {
			if strings.Contains(l, f) {
				t.Errorf("%q appears in %q", f, l)
			}
		}
	}
}

// The Flag decoder must never panic; it fails only as ErrBadResponse, and
// every flag it returns is about the NHS number asked for.
func FuzzDecodeFlags(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "fgm", "*.json"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(searchset(3, flagEntry(map[string]string{"period": `{"start":null}`}), `{"resource":null}`, `{"resource":{"resourceType":7}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ans, err := decodeFlags(body, "9990700044", fgmQueried)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("error outside ErrBadResponse: %v", err)
			}
			return
		}
		for _, fl := range ans.Flags {
			if fl.NHS != "9990700044" {
				t.Fatalf("a flag for %q", fl.NHS)
			}
		}
	})
}
