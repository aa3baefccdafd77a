package spine

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

var fuzzNow = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// addFixtures seeds a fuzz target with every fixture in testdata and a
// few bodies at the edges.
func addFixtures(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
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
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":` + string(fixture(f, "pds-public-9000000009.json")) + `}]}`))
	f.Add([]byte(`{"resourceType":"Patient","name":[{"given":null}],"address":[{"period":{"start":"x"}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":null},{},{"resource":{"resourceType":7}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"AuditEvent","recorded":"2026-01-15T10:00:00Z",` +
		`"agent":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleClass","code":"ASSIGNED"}]},"who":{"reference":"PractitionerRole/"}}]}},` +
		`{"fullUrl":"","resource":{"resourceType":"PractitionerRole","practitioner":"not an object"}}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
}

// The PDS Patient decoder must never panic, and whatever it accepts has a
// valid NHS number.
func FuzzDecodePatient(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePatient(body, fuzzNow)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("error outside ErrBadResponse: %v", err)
			}
			return
		}
		if _, err := cpis.ParseNHSNumber(string(p.NHS)); err != nil {
			t.Fatalf("accepted a patient without a valid NHS number: %q", p.NHS)
		}
		if p.Restricted && p.Postcode != "" {
			t.Fatal("a restricted patient kept a postcode")
		}
	})
}

// The PDS search decoder must never panic.
func FuzzDecodeSearch(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := decodeSearch(body, fuzzNow); err != nil && !errors.Is(err, ErrBadResponse) && !errors.Is(err, ErrTooManyMatches) {
			t.Fatalf("search: %v", err)
		}
		_, _, _ = decodeOutcome(body)
	})
}

// The CareTeam decoder must never panic; it fails only as ErrBadResponse
// (or TOO_MANY_MATCHES, which is PDS's), and it keeps every CareTeam: each
// plan has one of the three types or is PlanUnknown with its coding kept.
func FuzzDecodeCareTeam(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		plans, err := decodePlans(body, "9990276579")
		if err != nil {
			if !errors.Is(err, ErrBadResponse) && !errors.Is(err, ErrTooManyMatches) {
				t.Fatalf("plans: %v", err)
			}
			return
		}
		for _, p := range plans {
			switch p.Type {
			case cpis.CPP, cpis.LAC, cpis.UCPP:
				if p.Category != "" {
					t.Fatalf("a known plan with a category %q", p.Category)
				}
			case cpis.PlanUnknown:
				if p.Category == "" {
					t.Fatal("an unrecognised plan without its coding")
				}
			default:
				t.Fatalf("a plan of type %q", p.Type)
			}
		}
	})
}

// The AuditEvent decoder must never panic; the history is capped and
// newest first.
func FuzzDecodeAuditEvent(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		hist, err := decodeHistory(body, "9990276579")
		if err != nil {
			if !errors.Is(err, ErrBadResponse) && !errors.Is(err, ErrTooManyMatches) {
				t.Fatalf("history: %v", err)
			}
			return
		}
		if len(hist) > cpis.MaxHistory {
			t.Fatalf("%d history rows", len(hist))
		}
		for i := 1; i < len(hist); i++ {
			if hist[i].When.After(hist[i-1].When) {
				t.Fatal("history not newest first")
			}
		}
	})
}
