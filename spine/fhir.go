package spine

import (
	"strings"
	"time"
)

// The FHIR R4 decoders, one file for each resource the kiosk reads
// (fhir*.go); this one holds the datatypes they share. They take outside
// input, so they are fuzzed (FuzzDecodePatient, FuzzDecodeBundle) and must
// never panic. They are tolerant of anything missing, as the public PDS
// sandbox's minimal record (9000000033) has no name, gender or birth date,
// and strict about anything that could put the wrong patient or a hidden
// plan on screen.

// Systems and codes the kiosk reads.
const (
	// SystemNHSNumber identifies an NHS number (PDS Identifier.yaml).
	SystemNHSNumber = "https://fhir.nhs.uk/Id/nhs-number"
	// SystemODS identifies an organisation by its ODS code.
	SystemODS = "https://fhir.nhs.uk/Id/ods-organization-code"
	// SystemSpineError is the code system of OperationOutcome details.
	SystemSpineError = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode"
	// SystemPlanType codes the CP-IS plan type on a CareTeam (see cpis.go).
	SystemPlanType = "https://fhir.nhs.uk/CodeSystem/CPIS-PlanType"
	// ExtExpectedDeliveryDate carries a UCPP mother's due date (see cpis.go).
	ExtExpectedDeliveryDate = "https://fhir.nhs.uk/StructureDefinition/Extension-CPIS-ExpectedDeliveryDate"
	// SystemContactPurpose codes a local authority contact: EC emergency
	// contact (out of hours), WP work place (office hours), as the earlier
	// public CP-IS draft used them (HL7 v3 AddressUse).
	SystemContactPurpose = "http://terminology.hl7.org/CodeSystem/v3-AddressUse"
)

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type codeableConcept struct {
	Coding []coding `json:"coding"`
	Text   string   `json:"text"`
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type reference struct {
	Reference  string      `json:"reference"`
	Display    string      `json:"display"`
	Identifier *identifier `json:"identifier"`
}

// contained is any resource the CP-IS resources hold in "contained": the
// local authority Organization, the accessing PractitionerRole or Device.
type contained struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Identifier   []identifier      `json:"identifier"`
	Contact      []orgContact      `json:"contact"`
	Practitioner *reference        `json:"practitioner"`
	Organization *reference        `json:"organization"`
	Code         []codeableConcept `json:"code"`
	DeviceName   []struct {
		Name string `json:"name"`
	} `json:"deviceName"`
	Owner *reference `json:"owner"`
}

type orgContact struct {
	Purpose codeableConcept `json:"purpose"`
	Telecom []struct {
		System string `json:"system"`
		Value  string `json:"value"`
	} `json:"telecom"`
}

func findContained(list []contained, ref string) *contained {
	id, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil
	}
	for i := range list {
		if list[i].ID == id {
			return &list[i]
		}
	}
	return nil
}

// parseDate reads a FHIR date or dateTime as a calendar date at UTC
// midnight. Partial dates ("2015", "2015-03") give the zero time: an
// unknown date of birth makes the kiosk check, which is the safe side.
func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) == len("2006-01-02") {
		return time.Parse(time.DateOnly, s)
	}
	if len(s) < len("2006-01-02") {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, err
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

// current reports whether a FHIR period covers the day; an absent period
// or bound is open.
func (p *period) current(day time.Time) bool {
	if p == nil {
		return true
	}
	if s, err := parseDate(p.Start); err == nil && !s.IsZero() && day.Before(s) {
		return false
	}
	if e, err := parseDate(p.End); err == nil && !e.IsZero() && day.After(e.Add(24*time.Hour-time.Nanosecond)) {
		return false
	}
	return true
}
