package spine

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The embedded sandbox held to the fixtures written from the published
// guide: what it serves for its matching patients has the same structure
// (the same set of JSON paths) and decodes to the same values. This fails
// when the sandbox drifts from the published shape, even if the client
// drifted with it.

// jsonPaths is the set of paths to the leaves of a JSON document, arrays
// written as [] ("entry[].resource.telecom[].use").
func jsonPaths(t *testing.T, body []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	set := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				set[prefix+"{}"] = true
			}
			for k, c := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, c)
			}
		case []any:
			if len(x) == 0 {
				set[prefix+"[]"] = true
			}
			for _, c := range x {
				walk(prefix+"[]", c)
			}
		default:
			set[prefix] = true
		}
	}
	walk("", v)
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func sameStrings(a, b []string) (onlyA, onlyB []string) {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	for _, x := range a {
		if !mb[x] {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !ma[x] {
			onlyB = append(onlyB, x)
		}
	}
	return onlyA, onlyB
}

// rawCPIS sends a CP-IS request to the sandbox as the guide shows one,
// and returns the answer as sent.
func rawCPIS(t *testing.T, e *env, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	pool, err := LoadCA(e.sb.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	_, base := e.sb.Bases()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func TestSandboxServesThePublishedShape(t *testing.T) {
	const include = "&_include=AuditEvent:entity-type=http://terminology.hl7.org/CodeSystem/v3-RoleClass%7CASSIGNED"
	query := func(nhs cpis.NHSNumber) string {
		return "?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C" + nhs.Digits()
	}
	tests := []struct {
		file string
		nhs  cpis.NHSNumber
		path string
	}{
		{"cpis-careteam-found.json", "9990300054", "/CareTeam"},
		{"cpis-careteam-two-authorities.json", "9990300143", "/CareTeam"},
		{"cpis-careteam-unknown-category.json", "9990300151", "/CareTeam"},
		{"cpis-careteam-no-record.json", "9990300100", "/CareTeam"},
		{"cpis-auditevent-with-includes.json", "9990275831", "/AuditEvent"},
	}
	e := newEnv(t) // the sandbox's day is the fixtures' day, day0
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			q := query(tt.nhs)
			if tt.path == "/AuditEvent" {
				q += include
			}
			res, got := rawCPIS(t, e, tt.path+q, map[string]string{
				"Authorization": "Bearer " + e.sess.Token, "TraceID": uuid.NewString(), "IsUnscheduledAccessEvent": "true",
			})
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/fhir+json" || res.Header.Get("Date") == "" {
				t.Fatalf("%d, Content-Type %q, Date %q: %s", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Date"), got)
			}
			if v := res.Header.Get("X-Request-ID"); v != "" {
				t.Errorf("CP-IS answered an X-Request-ID %q: the guide's answers carry Date and Content-Type", v)
			}
			want := fixture(t, tt.file)
			onlySandbox, onlyFixture := sameStrings(jsonPaths(t, got), jsonPaths(t, want))
			if len(onlySandbox)+len(onlyFixture) > 0 {
				t.Errorf("the sandbox's structure differs from the published one\n only in the sandbox: %q\n only in the fixture: %q",
					onlySandbox, onlyFixture)
			}
			if tt.path == "/CareTeam" {
				g, err := decodePlans(got, tt.nhs)
				if err != nil {
					t.Fatal(err)
				}
				w, err := decodePlans(want, tt.nhs)
				if err != nil {
					t.Fatal(err)
				}
				if len(g) != len(w) {
					t.Fatalf("sandbox %+v\nfixture %+v", g, w)
				}
				for i := range w {
					if g[i] != w[i] {
						t.Errorf("plan %d:\n sandbox %+v\n fixture %+v", i, g[i], w[i])
					}
				}
				return
			}
			g, err := decodeHistory(got, tt.nhs)
			if err != nil {
				t.Fatal(err)
			}
			w, err := decodeHistory(want, tt.nhs)
			if err != nil {
				t.Fatal(err)
			}
			if len(g) != len(w) {
				t.Fatalf("sandbox %+v\nfixture %+v", g, w)
			}
			for i := range w {
				if g[i] != w[i] {
					t.Errorf("row %d:\n sandbox %+v\n fixture %+v", i, g[i], w[i])
				}
			}
		})
	}
}

// The sandbox's errors are the guide's, in the guide's shape.
func TestSandboxErrorsArePublishedShape(t *testing.T) {
	e := newEnv(t)
	good := "?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990276579"
	tests := []struct {
		name   string
		path   string
		header map[string]string
		status int
		file   string
		class  error
	}{
		{"a malformed NHS number", "/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number%7C1234567890",
			map[string]string{"Authorization": "Bearer " + e.sess.Token, "TraceID": "t1"}, 400, "cpis-error-invalid-search-data.json", ErrInvalid},
		{"no TraceID", "/CareTeam" + good,
			map[string]string{"Authorization": "Bearer " + e.sess.Token}, 400, "cpis-error-precondition-failed.json", ErrPrecondition},
		{"IsUnscheduledAccessEvent neither true nor false", "/AuditEvent" + good,
			map[string]string{"Authorization": "Bearer " + e.sess.Token, "TraceID": "t1", "IsUnscheduledAccessEvent": "yes"}, 400,
			"cpis-error-precondition-failed.json", ErrPrecondition},
		{"a bad token", "/CareTeam" + good,
			map[string]string{"Authorization": "Bearer nope", "TraceID": "t1"}, 403, "cpis-error-access-denied.json", ErrAccessDenied},
		{"no token", "/AuditEvent" + good,
			map[string]string{"TraceID": "t1"}, 403, "cpis-error-access-denied.json", ErrAccessDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, got := rawCPIS(t, e, tt.path, tt.header)
			if res.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", res.StatusCode, got, tt.status)
			}
			want := fixture(t, tt.file)
			onlySandbox, onlyFixture := sameStrings(jsonPaths(t, got), jsonPaths(t, want))
			if len(onlySandbox)+len(onlyFixture) > 0 {
				t.Errorf("structure differs\n only in the sandbox: %q\n only in the fixture: %q", onlySandbox, onlyFixture)
			}
			gc, _, _ := decodeOutcome(got)
			wc, _, _ := decodeOutcome(want)
			class, _ := classifyStatus(res.StatusCode, gc)
			if gc != wc || class != tt.class {
				t.Errorf("code %q (%v), want %q (%v)", gc, class, wc, tt.class)
			}
			if !strings.Contains(string(got), SystemCPISError) {
				t.Errorf("not coded from %s: %s", SystemCPISError, got)
			}
		})
	}
	if n := len(e.sb.Notifications()); n != 0 {
		t.Errorf("refused requests notified %d times", n)
	}
}
