package sandbox

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
)

var day0 = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// raw is a sandbox and a plain net/http client trusting its CA, to send
// the requests the kiosk's client never would.
type raw struct {
	t     *testing.T
	s     *Server
	hc    *http.Client
	token string
}

func newRaw(t *testing.T) *raw {
	t.Helper()
	return newRawWith(t, Options{Now: func() time.Time { return day0 }})
}

// newRawWith is newRaw on a sandbox with opts.
func newRawWith(t *testing.T, opts Options) *raw {
	t.Helper()
	s, pool := startTLS(t, opts)
	r := &raw{t: t, s: s, hc: &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	// The demo user's token, as the API platform issues it after a CIS2
	// sign-in (that path: cis2_test.go, platform_test.go).
	r.token = r.tokenFor(t, DemoUser.Roles[0])
	return r
}

// startTLS starts a sandbox with opts (in a temporary state folder when
// none is given) until the test ends, and a pool trusting its CA alone.
func startTLS(t *testing.T, opts Options) (*Server, *x509.CertPool) {
	t.Helper()
	if opts.StateDir == "" {
		opts.StateDir = t.TempDir()
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	pem, err := os.ReadFile(s.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return s, pool
}

// tokenFor signs in a user with the one role, as the registration
// authority would have set them up, and returns the token.
func (r *raw) tokenFor(t *testing.T, role cpis.Role) string {
	t.Helper()
	u := cpis.User{ID: strings.TrimSuffix(role.ID, "-01"), Name: "Test " + role.JobRole, Roles: []cpis.Role{role}}
	tok := randomToken(32)
	r.s.dmu.Lock()
	r.s.users[u.ID] = u
	r.s.tokens[tok] = token{userID: u.ID, roleID: role.ID, expires: day0.Add(time.Hour)}
	r.s.dmu.Unlock()
	return tok
}

func (r *raw) do(method, path string, h map[string]string) (*http.Response, []byte) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.s.URL()+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := r.hc.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// pdsHeaders are a well-formed PDS request's headers.
func (r *raw) pdsHeaders() map[string]string {
	return map[string]string{
		"X-Request-ID": uuid.NewString(), "Authorization": "Bearer " + r.token,
		"NHSD-Session-URID": DemoUser.Roles[0].ID,
	}
}

// cpisHeaders are a CP-IS request's headers as the guide lists them, and
// only those.
func (r *raw) cpisHeaders() map[string]string {
	return map[string]string{"Authorization": "Bearer " + r.token, "TraceID": uuid.NewString(), "IsUnscheduledAccessEvent": "true"}
}

// The code systems of OperationOutcome details: PDS's and CP-IS's.
const (
	pdsErrors  = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode"
	cpisErrors = "https://fhir.nhs.uk/CodeSystem/England-SpineErrorOrWarningCode"
)

// spineCode is the Spine-ErrorOrWarningCode of an OperationOutcome, from
// PDS's code system or CP-IS's.
func spineCode(t *testing.T, body []byte) string {
	t.Helper()
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Details struct {
				Coding []struct{ System, Code string }
			}
		}
	}
	if err := json.Unmarshal(body, &oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 ||
		len(oo.Issue[0].Details.Coding) == 0 {
		t.Fatalf("not a Spine OperationOutcome: %s", body)
	}
	c := oo.Issue[0].Details.Coding[0]
	if c.System != pdsErrors && c.System != cpisErrors {
		t.Fatalf("not a Spine code system: %s", body)
	}
	return c.Code
}

// refusal is a request the sandbox must refuse: its path under the
// service's base, what to change in well-formed headers, and the answer.
type refusal struct {
	name   string
	path   string
	mutate func(h map[string]string)
	status int
	code   string
}

// refuses sends each refusal with the headers from good, changed by its
// mutate, and checks the status and Spine code, and that no answer echoes
// the number 1234567890 sent in some of them.
func (r *raw) refuses(t *testing.T, base string, good func() map[string]string, tests []refusal) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := good()
			if tt.mutate != nil {
				tt.mutate(h)
			}
			res, body := r.do("GET", base+tt.path, h)
			if res.StatusCode != tt.status || spineCode(t, body) != tt.code {
				t.Fatalf("%d %s, want %d %s", res.StatusCode, body, tt.status, tt.code)
			}
			if strings.Contains(string(body), "1234567890") {
				t.Errorf("the number is echoed: %s", body)
			}
		})
	}
}

func TestPDSRequestID(t *testing.T) {
	r := newRaw(t)
	h := r.pdsHeaders()
	delete(h, "X-Request-ID")
	res, body := r.do("GET", PDSPath+"/Patient/9990276579", h)
	if res.StatusCode != 400 || spineCode(t, body) != "MISSING_VALUE" {
		t.Fatalf("missing X-Request-ID: %d %s", res.StatusCode, body)
	}
	h["X-Request-ID"] = "1234"
	res, body = r.do("GET", PDSPath+"/Patient/9990276579", h)
	if res.StatusCode != 400 || spineCode(t, body) != "INVALID_VALUE" {
		t.Fatalf("X-Request-ID not a UUID: %d %s", res.StatusCode, body)
	}

	h = r.pdsHeaders()
	h["X-Correlation-ID"] = "corr-1"
	res, body = r.do("GET", PDSPath+"/Patient/9990276579", h)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	for k, want := range map[string]string{
		"X-Request-ID": h["X-Request-ID"], "X-Correlation-ID": "corr-1",
		"Content-Type": "application/fhir+json", "ETag": `W/"1"`,
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	var p struct {
		ResourceType, ID, BirthDate string
		Meta                        struct{ Security []struct{ Code string } }
	}
	if err := json.Unmarshal(body, &p); err != nil || p.ResourceType != "Patient" || p.ID != "9990276579" ||
		p.Meta.Security[0].Code != "U" || p.BirthDate != "2019-12-06" {
		t.Errorf("patient %+v %v", p, err)
	}
}

func TestPDSErrors(t *testing.T) {
	r := newRaw(t)
	r.refuses(t, PDSPath, r.pdsHeaders, []refusal{
		{"malformed NHS number", "/Patient/1234567890", nil, 400, "INVALID_RESOURCE_ID"},
		{"spaced NHS number", "/Patient/999%20027%206579", nil, 400, "INVALID_RESOURCE_ID"},
		{"not found", "/Patient/9111231130", nil, 404, "RESOURCE_NOT_FOUND"},
		{"unknown valid number", "/Patient/9876543210", nil, 404, "RESOURCE_NOT_FOUND"},
		{"no token", "/Patient/9990276579", func(h map[string]string) { delete(h, "Authorization") }, 401, "ACCESS_DENIED"},
		{"bad token", "/Patient/9990276579", func(h map[string]string) { h["Authorization"] = "Bearer nope" }, 401, "ACCESS_DENIED"},
		{"another's role", "/Patient/9990276579", func(h map[string]string) { h["NHSD-Session-URID"] = "555000100001-01" }, 400, "INVALID_VALUE"},
		{"search without birthdate", "/Patient?family=Smith", nil, 400, "MISSING_VALUE"},
		{"search without family", "/Patient?birthdate=eq2010-10-22", nil, 400, "MISSING_VALUE"},
		{"search with bad date", "/Patient?family=Smith&birthdate=22/10/2010", nil, 400, "INVALID_VALUE"},
		{"search with _max-results 0", "/Patient?family=Smith&birthdate=eq2010-10-22&_max-results=0", nil, 400, "INVALID_VALUE"},
		{"search with _max-results 51", "/Patient?family=Smith&birthdate=eq2010-10-22&_max-results=51", nil, 400, "INVALID_VALUE"},
		{"search with unknown parameter", "/Patient?family=Smith&birthdate=eq2010-10-22&colour=red", nil, 400, "ADDITIONAL_PROPERTIES"},
		{"search with bad gender", "/Patient?family=Smith&birthdate=eq2010-10-22&gender=mal", nil, 400, "INVALID_VALUE"},
		{"too many SMITHs", "/Patient?family=SMITH&birthdate=eq" + day0.AddDate(-SmithAge, 0, 0).Format(time.DateOnly), nil, 200, "TOO_MANY_MATCHES"},
	})
}

func TestPDSSearch(t *testing.T) {
	r := newRaw(t)
	born := day0.AddDate(-SmithAge, 0, 0).Format(time.DateOnly)
	search := func(q string) (int, []float64) {
		t.Helper()
		res, body := r.do("GET", PDSPath+"/Patient?"+q, r.pdsHeaders())
		var b struct {
			ResourceType, Type string
			Total              int
			Entry              []struct {
				FullURL string
				Search  struct{ Score float64 }
			}
		}
		if res.StatusCode != 200 || json.Unmarshal(body, &b) != nil || b.ResourceType != "Bundle" || b.Type != "searchset" {
			t.Fatalf("%s: %d %s", q, res.StatusCode, body)
		}
		var scores []float64
		for _, e := range b.Entry {
			scores = append(scores, e.Search.Score)
			if !strings.HasPrefix(e.FullURL, r.s.URL()+PDSPath+"/Patient/") {
				t.Errorf("fullUrl %q", e.FullURL)
			}
		}
		if b.Total != len(b.Entry) {
			t.Errorf("total %d, %d entries", b.Total, len(b.Entry))
		}
		return len(b.Entry), scores
	}
	if n, scores := search("family=smith&gender=female&birthdate=eq" + born + "&_max-results=50"); n != SmithCount/2 || scores[0] != 1 {
		t.Errorf("female SMITHs: %d %v", n, scores)
	}
	if n, _ := search("family=Sm*&birthdate=ge" + born + "&birthdate=le" + born + "&address-postalcode=ls11aa"); n != 1 {
		t.Errorf("wildcard, range and postcode: %d", n)
	}
	if n, _ := search("family=Smith&birthdate=2010-10-22"); n != 1 {
		t.Errorf("the public sandbox's Jane Smith: %d", n)
	}
	if n, _ := search("family=Nobody&birthdate=eq2010-10-22"); n != 0 {
		t.Errorf("no match: %d", n)
	}
}

// The guide's errors ("Errorhandling"): 400 INVALID_SEARCH_DATA, 400
// PRECONDITION_FAILED, 403 ACCESS_DENIED, and nothing else required: no
// header the guide does not list.
func TestCPISRefusals(t *testing.T) {
	r := newRaw(t)
	const q = "?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990276579"
	traceOnly := r.tokenFor(t, cpis.Role{ID: "555000200001-01", OrgCode: "RXX01", OrgName: "Sandbox General Hospital",
		JobRole: "Receptionist", Activity: []cpis.ActivityCode{cpis.PerformTrace}})
	silentOnly := r.tokenFor(t, cpis.Role{ID: "555000200002-01", OrgCode: "RXX01", OrgName: "Sandbox General Hospital",
		JobRole: "Outpatients Nurse", Activity: []cpis.ActivityCode{cpis.SilentRead}})
	r.refuses(t, CPISPath, r.cpisHeaders, []refusal{
		{"no token", "/CareTeam" + q, func(h map[string]string) { delete(h, "Authorization") }, 403, "ACCESS_DENIED"},
		{"bad token", "/AuditEvent" + q, func(h map[string]string) { h["Authorization"] = "Bearer nope" }, 403, "ACCESS_DENIED"},
		{"no B0107", "/CareTeam" + q, func(h map[string]string) { h["Authorization"] = "Bearer " + traceOnly }, 403, "ACCESS_DENIED"},
		{"B0170 unscheduled", "/CareTeam" + q, func(h map[string]string) { h["Authorization"] = "Bearer " + silentOnly }, 403, "ACCESS_DENIED"},
		{"no TraceID", "/CareTeam" + q, func(h map[string]string) { delete(h, "TraceID") }, 400, "PRECONDITION_FAILED"},
		{"IsUnscheduledAccessEvent maybe", "/CareTeam" + q, func(h map[string]string) { h["IsUnscheduledAccessEvent"] = "maybe" }, 400, "PRECONDITION_FAILED"},
		{"IsUnscheduledAccessEvent 1", "/AuditEvent" + q, func(h map[string]string) { h["IsUnscheduledAccessEvent"] = "1" }, 400, "PRECONDITION_FAILED"},
		{"no patient", "/CareTeam", nil, 400, "INVALID_SEARCH_DATA"},
		{"wrong system", "/CareTeam?patient:identifier=urn:x%7C9990276579", nil, 400, "INVALID_SEARCH_DATA"},
		{"bad number", "/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C1234567890", nil, 400, "INVALID_SEARCH_DATA"},
		{"spaced number", "/AuditEvent?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C999%20027%206579", nil, 400, "INVALID_SEARCH_DATA"},
	})
	if n := len(r.s.Notifications()); n != 0 {
		t.Errorf("refused requests notified %d times", n)
	}
	// B0170 may read in scheduled care, and that notifies no one.
	h := r.cpisHeaders()
	h["Authorization"], h["IsUnscheduledAccessEvent"] = "Bearer "+silentOnly, "false"
	if res, body := r.do("GET", CPISPath+"/CareTeam"+q, h); res.StatusCode != 200 {
		t.Fatalf("scheduled read with B0170: %d %s", res.StatusCode, body)
	}
}

// "If the IsUnscheduledAccessEvent is omitted, it is assumed that the
// CP-IS Query originated from unscheduled care" (guide, "Headers"); false
// records a scheduled access and notifies no one. The answer carries Date
// and Content-Type, and no PDS headers.
func TestCPISAccessEvents(t *testing.T) {
	r := newRaw(t)
	const q = "?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990276579"
	h := r.cpisHeaders()
	delete(h, "IsUnscheduledAccessEvent")
	h["X-Request-ID"] = uuid.NewString() // not CP-IS's: not echoed
	res, body := r.do("GET", CPISPath+"/CareTeam"+q, h)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"CareTeam"`) || res.Header.Get("Content-Type") != "application/fhir+json" ||
		res.Header.Get("Date") == "" || res.Header.Get("X-Request-ID") != "" {
		t.Fatalf("%d %v %s", res.StatusCode, res.Header, body)
	}
	if n := r.s.NotificationCount("9990276579"); n != 1 {
		t.Fatalf("no IsUnscheduledAccessEvent: %d notifications, want 1", n)
	}
	h = r.cpisHeaders()
	h["IsUnscheduledAccessEvent"] = "false"
	if res, body := r.do("GET", CPISPath+"/CareTeam"+q, h); res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if n := r.s.NotificationCount("9990276579"); n != 1 {
		t.Fatalf("false: %d notifications, want still 1", n)
	}
	acc := r.s.Accesses("9990276579")
	if len(acc) != 5 || acc[3].Scheduled || !acc[4].Scheduled || acc[4].UserID != DemoUser.ID || !acc[4].At.Equal(day0) {
		t.Fatalf("accesses %+v", acc[3:])
	}
	// The history without the _include: AuditEvents only, as FHIR search
	// works; with it, each viewer's PractitionerRole once.
	count := func(body []byte, rt string) int { return strings.Count(string(body), `"resourceType":"`+rt+`"`) }
	_, body = r.do("GET", CPISPath+"/AuditEvent"+q, r.cpisHeaders())
	if count(body, "AuditEvent") != 4 || count(body, "PractitionerRole") != 0 {
		t.Errorf("without _include: %s", body)
	}
	_, body = r.do("GET", CPISPath+"/AuditEvent"+q+
		"&_include=AuditEvent:entity-type=http://terminology.hl7.org/CodeSystem/v3-RoleClass%7CASSIGNED", r.cpisHeaders())
	if count(body, "AuditEvent") != 4 || count(body, "PractitionerRole") != 4 { // 3 seeded viewers and the demo user
		t.Errorf("with _include: %s", body)
	}
	if n := r.s.NotificationCount("9990276579"); n != 1 {
		t.Errorf("reading the history notified: %d", n)
	}
}

// A child with plans from two local authorities: each is told.
func TestCPISNotifiesEveryAuthority(t *testing.T) {
	r := newRaw(t)
	trace := uuid.NewString()
	h := r.cpisHeaders()
	h["TraceID"] = trace
	r.do("GET", CPISPath+"/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990300143", h)
	ns := r.s.NotificationsBy("9990300143", DemoUser.ID)
	if len(ns) != 2 || ns[0].LocalAuthority != Leeds || ns[1].LocalAuthority != Manchester ||
		ns[0].RoleID != DemoUser.Roles[0].ID || ns[0].TraceID != trace || !ns[1].At.Equal(day0) {
		t.Fatalf("%+v", ns)
	}
}

// "record the access, then drop the answer".
func TestFaultDrop(t *testing.T) {
	r := newRaw(t)
	r.s.SetFault(Fault{Mode: FaultDrop})
	req, _ := http.NewRequest("GET", r.s.URL()+CPISPath+"/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990300011", nil)
	for k, v := range r.cpisHeaders() {
		req.Header.Set(k, v)
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: r.hc.Transport.(*http.Transport).TLSClientConfig, DisableKeepAlives: true}}
	if res, err := hc.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("answered %d", res.StatusCode)
	}
	if n := r.s.NotificationCount("9990300011"); n != 1 || len(r.s.Accesses("9990300011")) != 1 {
		t.Fatalf("%d notifications, %d accesses: want the access recorded and notified", n, len(r.s.Accesses("9990300011")))
	}
}

// A superseded number: PDS answers the current record under its own id.
func TestPDSSuperseded(t *testing.T) {
	r := newRaw(t)
	res, body := r.do("GET", PDSPath+"/Patient/9990300178", r.pdsHeaders())
	var p struct {
		ResourceType, ID string
		Identifier       []struct{ System, Value string }
	}
	if res.StatusCode != 200 || json.Unmarshal(body, &p) != nil || p.ID != "9990300186" || p.Identifier[0].Value != "9990300186" {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}

func TestAdminAPI(t *testing.T) {
	r := newRaw(t)
	post := func(path, body string) (*http.Response, []byte) {
		t.Helper()
		res, err := r.hc.Post(r.s.URL()+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	res, body := post(AdminPath+"/fault", `{"mode":"429","retry_after":"4s"}`)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	res, _ = r.do("GET", PDSPath+"/Patient/9990276579", r.pdsHeaders())
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "4" {
		t.Fatalf("after POST fault: %d Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// The admin API is never faulted.
	res, body = r.do("GET", AdminPath+"/fault", nil)
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"mode":"429"`)) {
		t.Fatalf("GET fault: %d %s", res.StatusCode, body)
	}
	if res, body = post(AdminPath+"/fault", `{"mode":"sideways"}`); res.StatusCode != 400 {
		t.Fatalf("unknown mode: %d %s", res.StatusCode, body)
	}
	r.s.SetFault(Fault{})

	h := r.cpisHeaders()
	h["TraceID"] = "trace-1"
	r.do("GET", CPISPath+"/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990276579", h)
	var ns []Notification
	res, body = r.do("GET", AdminPath+"/notifications", nil)
	if res.StatusCode != 200 || json.Unmarshal(body, &ns) != nil || len(ns) != 1 || ns[0].TraceID != "trace-1" ||
		ns[0].LocalAuthority != Leeds || ns[0].UserID != DemoUser.ID || ns[0].NHS != "9990276579" {
		t.Fatalf("notifications: %d %s", res.StatusCode, body)
	}
	var as []AccessRecord
	res, body = r.do("GET", AdminPath+"/accesses?nhs=9990276579", nil)
	if res.StatusCode != 200 || json.Unmarshal(body, &as) != nil || len(as) != 4 || as[3].UserID != DemoUser.ID {
		t.Fatalf("accesses: %d %s", res.StatusCode, body)
	}
	if res, _ = post(AdminPath+"/ratelimit", `{"enabled":true}`); res.StatusCode != 200 {
		t.Fatalf("ratelimit: %d", res.StatusCode)
	}
	limited := false
	for range 2 * PDSRateLimit {
		if res, _ := r.do("GET", PDSPath+"/Patient/9990276579", r.pdsHeaders()); res.StatusCode == 429 {
			limited = true
		}
	}
	if !limited {
		t.Error("the rate limit never answered 429")
	}
}

func TestFaultJSON(t *testing.T) {
	for _, f := range []Fault{{}, {Mode: FaultHang, Delay: 1500 * time.Millisecond}, {Mode: Fault429, RetryAfter: 3 * time.Second}} {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		var back Fault
		if err := json.Unmarshal(b, &back); err != nil || back != f {
			t.Errorf("%s -> %+v %v, want %+v", b, back, err, f)
		}
	}
	for m := FaultNone; m <= FaultDrop; m++ {
		if got, err := ParseFaultMode(m.String()); err != nil || got != m {
			t.Errorf("%v: %v %v", m, got, err)
		}
	}
}

func TestPKIFilesAndReuse(t *testing.T) {
	dir := t.TempDir()
	if _, err := New(Options{StateDir: dir}); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{CAFileName: 0o644, ServerCertName: 0o644, ServerKeyFileName: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v %v, want %v", name, fi.Mode(), err, mode)
		}
	}
	ca, _ := os.ReadFile(filepath.Join(dir, CAFileName))
	block, _ := pem.Decode(ca)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !cert.IsCA || cert.NotAfter.Before(time.Now().Add(9*365*24*time.Hour)) {
		t.Errorf("CA %v, not after %v", err, cert.NotAfter)
	}
	if _, err := New(Options{StateDir: dir}); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, CAFileName)); !bytes.Equal(ca, again) {
		t.Error("the CA was made again")
	}
	// A damaged set is made afresh rather than served half-broken.
	if err := os.WriteFile(filepath.Join(dir, ServerCertName), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{StateDir: dir}); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, CAFileName)); bytes.Equal(ca, again) {
		t.Error("a damaged set was kept")
	}
}

func TestSeed(t *testing.T) {
	ps := Seed(day0)
	seen := map[cpis.NHSNumber]bool{}
	families := map[string]int{}
	for _, p := range ps {
		if n, err := cpis.ParseNHSNumber(string(p.NHS)); err != nil || n != p.NHS || !p.NHS.IsTest() {
			t.Errorf("%s: not a valid test-range NHS number: %v", p.NHS, err)
		}
		if seen[p.NHS] {
			t.Errorf("%s twice", p.NHS)
		}
		seen[p.NHS] = true
		families[strings.ToUpper(p.Family)]++
		if p.Shows == "" {
			t.Errorf("%s: no description", p.NHS)
		}
		for _, pl := range p.Plans {
			la := pl.Authority
			if la.Name == "" || !strings.HasPrefix(la.OfficeHours, "01632 960") || !strings.HasPrefix(la.OutOfHours, "01632 960") {
				t.Errorf("%s: authority %+v", p.NHS, la)
			}
		}
	}
	if families["SMITH"] != SmithCount+1 || families["XIONG"] != 1 { // the public sandbox's Jane Smith too
		t.Errorf("families %v", families)
	}
	age := func(nhs cpis.NHSNumber) int {
		for _, p := range ps {
			if p.NHS == nhs {
				return cpis.AgeOn(p.BirthDate, day0)
			}
		}
		return -2
	}
	for nhs, want := range map[cpis.NHSNumber]int{"9990276579": 6, "9990275831": 9, "9990300046": 27, "9990300127": 34} {
		if got := age(nhs); got != want {
			t.Errorf("%s aged %d, want %d", nhs, got, want)
		}
	}
	// Ten years on, the guide's test patients are still children.
	later := Seed(day0.AddDate(10, 0, 0))
	for _, p := range later[:2] {
		if a := cpis.AgeOn(p.BirthDate, day0.AddDate(10, 0, 0)); a >= 18 {
			t.Errorf("%s aged %d", p.NHS, a)
		}
	}
}

func TestHistoryRules(t *testing.T) {
	rec := func(user string, at time.Time) AccessRecord {
		return AccessRecord{NHS: "9990276579", UserID: user, At: at}
	}
	var all []AccessRecord
	// The requester first, then 30 others, a day apart each.
	all = append(all, rec("me", day0.Add(-40*24*time.Hour)))
	for i := 30; i > 0; i-- {
		all = append(all, rec("other", day0.Add(-time.Duration(i)*24*time.Hour)))
	}
	got := history(all, "me")
	if len(got) != cpis.MaxHistory || got[cpis.MaxHistory-1].UserID != "me" || got[0].At != day0.Add(-24*time.Hour) {
		t.Fatalf("requester not kept: %d rows, last %+v", len(got), got[len(got)-1])
	}
	if got := history(all, "someone else"); got[cpis.MaxHistory-1].UserID != "other" {
		t.Fatal("kept a row for nobody")
	}
	// Same person within 24 hours: the first only.
	all = []AccessRecord{rec("a", day0), rec("a", day0.Add(23*time.Hour)), rec("b", day0.Add(time.Hour)),
		rec("b", day0.Add(2*time.Hour)), rec("a", day0.Add(24*time.Hour))}
	got = history(all, "a")
	if len(got) != 3 || got[0].At != day0.Add(24*time.Hour) || got[1].UserID != "b" || got[2].At != day0 {
		t.Fatalf("24-hour rule: %+v", got)
	}
}
