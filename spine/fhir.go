package spine

import (
	"strings"
	"time"
)

// The FHIR R4 decoders, one file for each resource the kiosk reads
// (fhir*.go); this one holds the datatypes they share. They take outside
// input, so they are fuzzed (fuzz_test.go) and must never panic. They are
// tolerant of anything missing, as the public PDS sandbox's minimal record
// (9000000033) has no name, gender or birth date and a CareTeam may lack
// its numbers, and strict about anything that could put the wrong patient
// on screen. Nothing CP-IS returns is dropped for being unrecognised.

// Systems and codes the kiosk reads.
const (
	// SystemNHSNumber identifies an NHS number (PDS Identifier.yaml; the
	// CP-IS search parameter patient:identifier).
	SystemNHSNumber = "https://fhir.nhs.uk/Id/nhs-number"
	// SystemSpineError is the code system of PDS OperationOutcome details
	// (personal-demographics.yaml, OperationOutcome.yaml).
	SystemSpineError = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode"
	// SystemCPISError is the code system of CP-IS OperationOutcome details
	// (CP-IS consumer guide, "Errorhandling"): not the PDS one.
	SystemCPISError = "https://fhir.nhs.uk/CodeSystem/England-SpineErrorOrWarningCode"
	// SystemSNOMED codes the plan type in CareTeam.category (ValueSet
	// England-ChildProtectionPlan) and the viewer's job role in
	// PractitionerRole.code.
	SystemSNOMED = "http://snomed.info/sct"
	// SystemRoleClass types the agents of a CP-IS AuditEvent: PAT the
	// patient, ASSIGNED the member of staff who viewed.
	SystemRoleClass = "http://terminology.hl7.org/CodeSystem/v3-RoleClass"
	// SystemRoleProfile identifies a viewer's SDS role profile on the
	// included PractitionerRole.
	SystemRoleProfile = "https://fhir.nhs.uk/Id/sds-role-profile-id"
	// SystemLifecycle types a CP-IS AuditEvent ("Access/View Record
	// Lifecycle Event", ISO 21089).
	SystemLifecycle = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"
)

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

// String is the coding as "system|code display", for telling IT what the
// kiosk did not recognise.
func (c coding) String() string {
	s := c.System + "|" + c.Code
	if c.Display != "" {
		s += " " + c.Display
	}
	return s
}

type codeableConcept struct {
	Coding []coding `json:"coding"`
	Text   string   `json:"text"`
}

// has reports whether one of the codings is system|code.
func (cc *codeableConcept) has(system, code string) bool {
	for _, c := range cc.Coding {
		if c.System == system && c.Code == code {
			return true
		}
	}
	return false
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

type contactPoint struct {
	System string `json:"system"`
	Value  string `json:"value"`
	Use    string `json:"use"`
}

// parseDate reads a FHIR date or dateTime as a calendar date at UTC
// midnight. Partial dates ("2015", "2015-03") give the zero time: an
// unknown date of birth makes the kiosk check, and an unknown plan date
// keeps the plan visible, which are the safe sides.
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

// refersTo reports whether a literal reference ("PractitionerRole/42f7",
// or the same as an absolute URL) points at the Bundle entry with this
// fullUrl, resource type and id (FHIR R4 Bundle, "Resolving references
// in Bundles": by fullUrl, or by type and id).
func refersTo(ref, fullURL, resourceType, id string) bool {
	if ref == "" {
		return false
	}
	if ref == fullURL || (fullURL != "" && !strings.Contains(ref, "://") && strings.HasSuffix(fullURL, "/"+ref)) {
		return true
	}
	if resourceType == "" || id == "" {
		return false
	}
	rel := resourceType + "/" + id
	return ref == rel || strings.HasSuffix(ref, "/"+rel)
}
