package spine

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
)

// publicPDS serves the testdata fixtures the way the public PDS sandbox
// and the CP-IS guide answer them: an httptest TLS server that is not our
// sandbox, to show the client needs nothing of ours.
func publicPDS(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	return publicServer(t, h, func(*Config) {})
}

// publicServer is publicPDS with the client's Config changed by opt.
func publicServer(t *testing.T, h http.HandlerFunc, opt func(*Config)) *Client {
	t.Helper()
	ts := httptest.NewTLSServer(h)
	t.Cleanup(ts.Close)
	pool := ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	cfg := Config{
		PDSBase:  ts.URL + "/personal-demographics/FHIR/R4",
		CPISBase: ts.URL + "/cpis/FHIR/R4",
		RootCAs:  pool, Timeout: time.Second,
	}
	opt(&cfg)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// echo answers like PDS: X-Request-ID echoed, application/fhir+json.
func echo(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
	w.Header().Set("Content-Type", "application/fhir+json")
	w.Header().Set("ETag", `W/"2"`)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func TestPublicSandboxShapes(t *testing.T) {
	c := publicPDS(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/personal-demographics/FHIR/R4/Patient/9000000009":
			echo(w, r, 200, fixture(t, "pds-public-9000000009.json"))
		case "/personal-demographics/FHIR/R4/Patient/9000000025":
			echo(w, r, 200, fixture(t, "pds-public-9000000025.json"))
		case "/personal-demographics/FHIR/R4/Patient/9000000033":
			echo(w, r, 200, fixture(t, "pds-public-9000000033.json"))
		case "/personal-demographics/FHIR/R4/Patient":
			echo(w, r, 200, fixture(t, "pds-public-too-many-matches.json"))
		default:
			echo(w, r, 404, fixture(t, "pds-public-not-found.json"))
		}
	})
	s := Session{Token: "t", RoleID: "r"}
	born := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }

	tests := []struct {
		nhs  cpis.NHSNumber
		want cpis.Patient
	}{
		// The name and address periods ended in 2021: still the ones to show.
		{"9000000009", cpis.Patient{NHS: "9000000009", Given: "Jane", Family: "Smith", Gender: cpis.Female,
			BirthDate: born("2010-10-22"), Postcode: "LS1 6AE", Verified: true}},
		{"9000000025", cpis.Patient{NHS: "9000000025", Given: "Janet", Family: "Smythe", Gender: cpis.Female,
			BirthDate: born("2005-06-16"), Restricted: true, Verified: true}},
		// No verification status on its identifier: not verified.
		{"9000000033", cpis.Patient{NHS: "9000000033", Gender: cpis.Unknown}},
	}
	for _, tt := range tests {
		got, err := c.Patient(ctx(t), s, tt.nhs)
		if err != nil {
			t.Fatalf("%s: %v", tt.nhs, err)
		}
		if got != tt.want {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tt.nhs, got, tt.want)
		}
	}
	_, err := c.Patient(ctx(t), s, "9111231130")
	var se *Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &se) || se.Code != "RESOURCE_NOT_FOUND" {
		t.Errorf("9111231130: %v", err)
	}
	_, err = c.Search(ctx(t), s, cpis.SearchQuery{Family: "Sm*", BirthDate: born("2010-10-22")}, 1)
	if !errors.Is(err, ErrTooManyMatches) || Retryable(err) {
		t.Errorf("search: %v", err)
	}
}

func TestSearchSendsTheSpecParameters(t *testing.T) {
	var got string
	var hdr http.Header
	c := publicPDS(t, func(w http.ResponseWriter, r *http.Request) {
		got, hdr = r.URL.RawQuery, r.Header.Clone()
		echo(w, r, 200, []byte(`{"resourceType":"Bundle","type":"searchset","total":0}`))
	})
	q := cpis.SearchQuery{Family: "Smith", Given: "Jane", Gender: cpis.Female,
		BirthDate: time.Date(2010, 10, 22, 0, 0, 0, 0, time.UTC), Postcode: "LS1 6AE"}
	pts, err := c.Search(ctx(t), Session{Token: "tok", RoleID: "role", ODS: "RXX01"}, q, 10)
	if err != nil || pts != nil {
		t.Fatalf("%v %v", pts, err)
	}
	want := "_max-results=10&address-postalcode=LS1+6AE&birthdate=eq2010-10-22&family=Smith&gender=female&given=Jane"
	if got != want {
		t.Errorf("query\n got %s\nwant %s", got, want)
	}
	for k, v := range map[string]string{
		"Authorization": "Bearer tok", "NHSD-Session-URID": "role", "NHSD-End-User-Organisation-ODS": "RXX01",
		"Accept": "application/fhir+json",
	} {
		if hdr.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, hdr.Get(k), v)
		}
	}
}

// Answers a broken or hostile server might give, and their classes.
func TestBrokenAnswers(t *testing.T) {
	httpDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name  string
		h     http.HandlerFunc
		class error
		retry bool
		after time.Duration // at least
	}{
		{"request id not ours", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "6f1e4a86-0000-4000-8000-000000000000")
			w.Header().Set("Content-Type", "application/fhir+json")
			_, _ = w.Write(fixture(t, "pds-public-9000000009.json"))
		}, ErrBadResponse, true, 0},
		{"HTML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>proxy login</html>"))
		}, ErrBadResponse, true, 0},
		{"not a Patient", func(w http.ResponseWriter, r *http.Request) {
			echo(w, r, 200, []byte(`{"resourceType":"Bundle"}`))
		}, ErrBadResponse, true, 0},
		{"503 with an HTTP-date", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", httpDate)
			echo(w, r, 503, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient"}]}`))
		}, ErrUnavailable, true, 60 * time.Second},
		{"408", func(w http.ResponseWriter, r *http.Request) {
			echo(w, r, 408, []byte(`{}`))
		}, ErrUnavailable, true, 0},
		{"400 with an OperationOutcome", func(w http.ResponseWriter, r *http.Request) {
			echo(w, r, 400, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"value","details":{"coding":[{"code":"INVALID_RESOURCE_ID"}]},"diagnostics":"Invalid resource ID"}]}`))
		}, ErrInvalid, false, 0},
		{"403", func(w http.ResponseWriter, r *http.Request) {
			echo(w, r, 403, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden","details":{"coding":[{"code":"ACCESS_DENIED"}]}}]}`))
		}, ErrAccessDenied, false, 0},
		{"invalidated", func(w http.ResponseWriter, r *http.Request) {
			echo(w, r, 404, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","details":{"coding":[{"code":"INVALIDATED_RESOURCE"}]}}]}`))
		}, ErrNotFound, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := publicPDS(t, tt.h)
			_, err := c.Patient(ctx(t), Session{Token: "t"}, "9000000009")
			if !errors.Is(err, tt.class) || Retryable(err) != tt.retry {
				t.Fatalf("err = %v, want %v (retryable %v)", err, tt.class, tt.retry)
			}
			if RetryAfter(err) < tt.after || (tt.after > 0 && RetryAfter(err) > 91*time.Second) {
				t.Errorf("RetryAfter = %v, want about %v", RetryAfter(err), tt.after)
			}
			if strings.Contains(err.Error(), "9000000009") {
				t.Errorf("the error names the NHS number: %v", err)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-3":                            0,
		"soon":                          0,
		"Thu, 15 Jan 2026 10:02:00 GMT": 2 * time.Minute,
		"Thu, 15 Jan 2026 09:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

// "A superseded record: retrieving an old NHS number can return a patient
// whose id is a different (the current) NHS number. From then on use the
// returned number" (spine-interfaces.md, "PDS FHIR R4").
func TestPublicPatientSuperseded(t *testing.T) {
	c := publicPDS(t, func(w http.ResponseWriter, r *http.Request) {
		echo(w, r, 200, fixture(t, "pds-public-9000000009.json"))
	})
	p, err := c.Patient(ctx(t), Session{Token: "t"}, "9000000017")
	if err != nil {
		t.Fatal(err)
	}
	if p.NHS != "9000000009" || p.Superseded != "9000000017" || p.Family != "Smith" {
		t.Fatalf("got %+v, want the patient under 9000000009, superseding 9000000017", p)
	}
	p, err = c.Patient(ctx(t), Session{Token: "t"}, "9000000009")
	if err != nil || p.Superseded != "" {
		t.Fatalf("the current number: %+v %v", p, err)
	}
}

// The headers of a PDS call: X-Request-ID a UUID, the token, the role and
// the organisation ("NHSD-End-User-Organisation-ODS is mandatory for an
// app that serves several organisations").
func TestPatientSendsTheSpecHeaders(t *testing.T) {
	var hdr http.Header
	c := publicPDS(t, func(w http.ResponseWriter, r *http.Request) {
		hdr = r.Header.Clone()
		echo(w, r, 200, fixture(t, "pds-public-9000000009.json"))
	})
	if _, err := c.Patient(ctx(t), Session{Token: "tok", RoleID: "role", ODS: "RXX01"}, "9000000009"); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"Authorization": "Bearer tok", "NHSD-Session-URID": "role", "NHSD-End-User-Organisation-ODS": "RXX01",
		"Accept": "application/fhir+json",
	} {
		if hdr.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, hdr.Get(k), v)
		}
	}
	if _, err := uuid.Parse(hdr.Get("X-Request-ID")); err != nil {
		t.Errorf("X-Request-ID %q is not a UUID", hdr.Get("X-Request-ID"))
	}
}

// "X-Request-ID is used to de-duplicate, so a retry of the same request
// reuses its id" (spine-interfaces.md): the client's own second attempt,
// after a gateway error or a dropped connection, carries the same id; a
// new request has a new one.
func TestPDSRetryReusesRequestID(t *testing.T) {
	for _, first := range []string{"503", "502 with Retry-After 1", "dropped connection"} {
		t.Run(first, func(t *testing.T) {
			var mu sync.Mutex
			var ids []string
			c := publicPDS(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				ids = append(ids, r.Header.Get("X-Request-ID"))
				n := len(ids)
				mu.Unlock()
				if n%2 == 1 {
					switch first {
					case "503":
						echo(w, r, 503, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient"}]}`))
					case "502 with Retry-After 1":
						w.Header().Set("Retry-After", "1")
						echo(w, r, 502, []byte(`{}`))
					default:
						panic(http.ErrAbortHandler)
					}
					return
				}
				echo(w, r, 200, fixture(t, "pds-public-9000000009.json"))
			})
			if _, err := c.Patient(ctx(t), Session{Token: "t"}, "9000000009"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Patient(ctx(t), Session{Token: "t"}, "9000000009"); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(ids) != 4 || ids[0] != ids[1] || ids[2] != ids[3] || ids[0] == ids[2] || ids[0] == "" {
				t.Fatalf("X-Request-IDs %q: want each request's id twice, and two requests' ids different", ids)
			}
		})
	}
}

// A retry is for a blip, not for a timeout (the user has waited already)
// nor a refusal, and never past the attempts configured.
func TestPDSRetryLimits(t *testing.T) {
	var mu sync.Mutex
	n := 0
	status := 503
	c := publicServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		if status == 503 {
			w.Header().Set("Retry-After", "30")
		}
		echo(w, r, status, []byte(`{}`))
	}, func(c *Config) { c.PDSAttempts = 3 })
	count := func() int { mu.Lock(); defer mu.Unlock(); v := n; n = 0; return v }

	// Retry-After 30 s: left to the caller.
	_, err := c.Patient(ctx(t), Session{Token: "t"}, "9000000009")
	if !errors.Is(err, ErrUnavailable) || RetryAfter(err) != 30*time.Second || count() != 1 {
		t.Errorf("503 with Retry-After 30: %v, sent %d times", err, n)
	}
	for _, s := range []int{400, 403, 404, 429} {
		status = s
		if _, err := c.Patient(ctx(t), Session{Token: "t"}, "9000000009"); err == nil || count() != 1 {
			t.Errorf("%d: %v, sent more than once", s, err)
		}
	}
	status = 504
	if _, err := c.Patient(ctx(t), Session{Token: "t"}, "9000000009"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("504: %v", err)
	}
	if got := count(); got != 3 {
		t.Errorf("504 sent %d times, want the 3 attempts configured", got)
	}

	// A timeout has used the user's wait already: not sent again.
	var slow int
	var smu sync.Mutex
	release := make(chan struct{})
	defer close(release)
	c = publicServer(t, func(w http.ResponseWriter, r *http.Request) {
		smu.Lock()
		slow++
		smu.Unlock()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}, func(c *Config) { c.Timeout = 150 * time.Millisecond })
	if _, err := c.Patient(ctx(t), Session{Token: "t"}, "9000000009"); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout: %v", err)
	}
	smu.Lock()
	defer smu.Unlock()
	if slow != 1 {
		t.Errorf("a timed-out request was sent %d times", slow)
	}
}

// TOO_MANY_MATCHES "the specification gives it as HTTP 200, older
// sandboxes as 400: accept both" (spine-interfaces.md).
func TestSearchTooManyMatchesAt200And400(t *testing.T) {
	for _, status := range []int{200, 400} {
		c := publicPDS(t, func(w http.ResponseWriter, r *http.Request) {
			echo(w, r, status, fixture(t, "pds-public-too-many-matches.json"))
		})
		q := cpis.SearchQuery{Family: "Smith", BirthDate: time.Date(2010, 10, 22, 0, 0, 0, 0, time.UTC)}
		_, err := c.Search(ctx(t), Session{Token: "t"}, q, 10)
		var se *Error
		if !errors.Is(err, ErrTooManyMatches) || Retryable(err) || !errors.As(err, &se) || se.Code != "TOO_MANY_MATCHES" {
			t.Errorf("HTTP %d: %v", status, err)
		}
	}
}

// The NHS number is verified only when its own identifier carries
// Extension-UKCore-NHSNumberVerificationStatus with code 01, "Number
// present and verified" (personal-demographics.yaml, as the fixture
// pds-public-9000000009.json has it); any other status, or the extension
// anywhere else, is not verified, and a status the kiosk cannot read
// leaves the patient readable.
func TestPatientVerificationStatus(t *testing.T) {
	const (
		ext = `"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"`
		sys = `"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatus"`
	)
	status := func(coding string) string {
		return `[{` + ext + `,"valueCodeableConcept":{"coding":[` + coding + `]}}]`
	}
	patient := func(extension string) []byte {
		return []byte(`{"resourceType":"Patient","id":"9000000009","identifier":[` +
			`{"system":"https://fhir.nhs.uk/Id/other","value":"X1","extension":` + status(`{`+sys+`,"code":"01"}`) + `},` +
			`{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009","extension":` + extension + `}]}`)
	}
	for _, tt := range []struct {
		name      string
		extension string
		want      bool
	}{
		{"01 Number present and verified", status(`{` + sys + `,"version":"1.0.0","code":"01","display":"Number present and verified"}`), true},
		{"01 without a system (PDS's default)", status(`{"code":"01"}`), true},
		{"02 Number present but not traced", status(`{` + sys + `,"code":"02","display":"Number present but not traced"}`), false},
		{"01 from another code system", status(`{"system":"https://example.org/status","code":"01"}`), false},
		{"01 under another extension", `[{"url":"https://example.org/other","valueCodeableConcept":{"coding":[{` + sys + `,"code":"01"}]}}]`, false},
		{"no extension", `[]`, false},
		{"an extension that is not a list", `{"url":"x"}`, false},
	} {
		p, err := decodePatient(patient(tt.extension), day0)
		if err != nil || p.NHS != "9000000009" {
			t.Errorf("%s: %+v %v", tt.name, p, err)
			continue
		}
		if p.Verified != tt.want {
			t.Errorf("%s: Verified = %v, want %v", tt.name, p.Verified, tt.want)
		}
	}
	// The status on the PDS sandbox's own fixture, through the client.
	c := publicPDS(t, func(w http.ResponseWriter, r *http.Request) {
		b := fixture(t, "pds-public-9000000009.json")
		if r.URL.Path == "/personal-demographics/FHIR/R4/Patient/9000000017" {
			b = []byte(strings.Replace(string(b), `"code": "01"`, `"code": "02"`, 1))
		}
		echo(w, r, 200, b)
	})
	if p, err := c.Patient(ctx(t), Session{Token: "t"}, "9000000009"); err != nil || !p.Verified {
		t.Errorf("verified fixture: %+v %v", p, err)
	}
	if p, err := c.Patient(ctx(t), Session{Token: "t"}, "9000000017"); err != nil || p.Verified {
		t.Errorf("the fixture with status 02: %+v %v", p, err)
	}
}
