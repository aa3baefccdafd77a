package spine

import (
	"errors"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

var fuzzNow = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

func addFixtures(f *testing.F) {
	for _, name := range []string{
		"pds-public-9000000009.json", "pds-public-9000000025.json", "pds-public-9000000033.json",
		"pds-public-not-found.json", "pds-public-too-many-matches.json",
	} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":` + string(fixture(f, "pds-public-9000000009.json")) + `}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"CareTeam",` +
		`"category":[{"coding":[{"system":"https://fhir.nhs.uk/CodeSystem/CPIS-PlanType","code":"UCPP"}]}],` +
		`"period":{"start":"2025-01-01"},"extension":[{"url":"https://fhir.nhs.uk/StructureDefinition/Extension-CPIS-ExpectedDeliveryDate","valueDate":"2026-02-01"}],` +
		`"managingOrganization":[{"reference":"#la"}],"contained":[{"resourceType":"Organization","id":"la","name":"X",` +
		`"contact":[{"purpose":{"coding":[{"code":"EC"}]},"telecom":[{"system":"phone","value":"01632 960000"}]}]}]}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"AuditEvent","type":{"code":"access"},` +
		`"recorded":"2026-01-15T10:00:00Z","agent":[{"who":{"reference":"#pr"}},{"who":{"reference":"#dev"}}],"contained":[` +
		`{"resourceType":"PractitionerRole","id":"pr","practitioner":{"display":"A"},"organization":{"display":"B"},"code":[{"text":"C"}]},` +
		`{"resourceType":"Device","id":"dev"}]}}]}`))
	f.Add([]byte(`{"resourceType":"Patient","name":[{"given":null}],"address":[{"period":{"start":"x"}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":null},{}]}`))
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

// The searchset decoders (PDS search, CP-IS CareTeam and AuditEvent) must
// never panic, and the history is capped and newest first.
func FuzzDecodeBundle(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := decodeSearch(body, fuzzNow); err != nil && !errors.Is(err, ErrBadResponse) && !errors.Is(err, ErrTooManyMatches) {
			t.Fatalf("search: %v", err)
		}
		plans, err := decodePlans(body, "9990276579")
		if err != nil && !errors.Is(err, ErrBadResponse) && !errors.Is(err, ErrTooManyMatches) {
			t.Fatalf("plans: %v", err)
		}
		for _, p := range plans {
			if _, err := cpis.ParsePlanType(string(p.Type)); err != nil {
				t.Fatalf("accepted an unknown plan type %q", p.Type)
			}
		}
		hist, err := decodeHistory(body)
		if err != nil && !errors.Is(err, ErrBadResponse) && !errors.Is(err, ErrTooManyMatches) {
			t.Fatalf("history: %v", err)
		}
		if len(hist) > cpis.MaxHistory {
			t.Fatalf("%d history rows", len(hist))
		}
		for i := 1; i < len(hist); i++ {
			if hist[i].When.After(hist[i-1].When) {
				t.Fatal("history not newest first")
			}
		}
		_, _, _ = decodeOutcome(body)
	})
}

func TestDecodePlansRefusesWhatCouldHideAnAlert(t *testing.T) {
	for name, body := range map[string]string{
		"unknown plan type": `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"CareTeam",` +
			`"category":[{"coding":[{"system":"https://fhir.nhs.uk/CodeSystem/CPIS-PlanType","code":"XYZ"}]}]}}]}`,
		"another patient": `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"CareTeam",` +
			`"subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990275831"}},` +
			`"category":[{"coding":[{"code":"CPP"}]}]}}]}`,
		"bad end date": `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"CareTeam",` +
			`"category":[{"coding":[{"code":"LAC"}]}],"period":{"end":"2025-13-45"}}]}`,
	} {
		if _, err := decodePlans([]byte(body), "9990276579"); !errors.Is(err, ErrBadResponse) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// The earlier public draft's CarePlan codes still read.
	plans, err := decodePlans([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"CareTeam",`+
		`"category":[{"coding":[{"code":"UCPI"}]}]}}]}`), "9990276579")
	if err != nil || len(plans) != 1 || plans[0].Type != cpis.UCPP {
		t.Errorf("UCPI: %+v %v", plans, err)
	}
}
