package spine

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

type meta struct {
	VersionID string   `json:"versionId"`
	Security  []coding `json:"security"`
}

type humanName struct {
	Use    string   `json:"use"`
	Period *period  `json:"period"`
	Given  []string `json:"given"`
	Family string   `json:"family"`
}

type address struct {
	Use        string  `json:"use"`
	Period     *period `json:"period"`
	PostalCode string  `json:"postalCode"`
}

// nhsIdentifier is a Patient.identifier with its extensions, where PDS
// marks the NHS number's verification status
// (personal-demographics.yaml, schemas/extensions/NHSNumberVerificationStatus.yaml).
// The extensions are read on their own, so that one the kiosk cannot read
// leaves the patient readable, as not verified.
type nhsIdentifier struct {
	identifier
	Extension json.RawMessage `json:"extension"`
}

// The NHS number's verification status (UK Core
// Extension-UKCore-NHSNumberVerificationStatus), and its code "01",
// "Number present and verified". PDS gives the code system as the coding's
// default: a coding without one is read as of this system.
const (
	extNHSNumberVerification    = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
	systemNHSNumberVerification = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatus"
	nhsNumberVerified           = "01"
)

// verified reports whether the identifier carries the verification
// status 01, "Number present and verified".
func (id *nhsIdentifier) verified() bool {
	var exts []struct {
		URL                  string           `json:"url"`
		ValueCodeableConcept *codeableConcept `json:"valueCodeableConcept"`
	}
	if len(id.Extension) == 0 || json.Unmarshal(id.Extension, &exts) != nil {
		return false
	}
	for _, x := range exts {
		if x.URL != extNHSNumberVerification || x.ValueCodeableConcept == nil {
			continue
		}
		for _, c := range x.ValueCodeableConcept.Coding {
			if c.Code == nhsNumberVerified && (c.System == systemNHSNumberVerification || c.System == "") {
				return true
			}
		}
	}
	return false
}

type patientResource struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Identifier   []nhsIdentifier `json:"identifier"`
	Meta         meta            `json:"meta"`
	Name         []humanName     `json:"name"`
	Gender       string          `json:"gender"`
	BirthDate    string          `json:"birthDate"`
	Address      []address       `json:"address"`
}

// decodePatient reads a PDS Patient (personal-demographics.yaml,
// components/schemas/Patient.yaml). now picks the current name and address.
func decodePatient(body []byte, now time.Time) (cpis.Patient, error) {
	var r patientResource
	if err := json.Unmarshal(body, &r); err != nil {
		return cpis.Patient{}, fmt.Errorf("%w: reading Patient: %w", ErrBadResponse, err)
	}
	return r.patient(now)
}

// decodeSearch reads a PDS search answer: a searchset of Patients, best
// match first (personal-demographics.yaml, search-patient).
func decodeSearch(body []byte, now time.Time) ([]cpis.Patient, error) {
	// An OperationOutcome may ride along with the matches as a warning: only
	// the Patients are read.
	return decodeBundle(body, "Patient",
		func(r *patientResource) (cpis.Patient, error) { return r.patient(now) })
}

func (r *patientResource) patient(now time.Time) (cpis.Patient, error) {
	if r.ResourceType != "Patient" {
		return cpis.Patient{}, fmt.Errorf("%w: expected a Patient, got %.40q", ErrBadResponse, r.ResourceType)
	}
	raw, verified := r.ID, false
	for i := range r.Identifier {
		if id := &r.Identifier[i]; id.System == SystemNHSNumber && id.Value != "" {
			raw, verified = id.Value, id.verified()
			break
		}
	}
	nhs, err := cpis.ParseNHSNumber(raw)
	if err != nil {
		// Never the number itself in the message: it may be a real one.
		return cpis.Patient{}, fmt.Errorf("%w: the Patient has no valid NHS number", ErrBadResponse)
	}
	p := cpis.Patient{NHS: nhs, Gender: cpis.Unknown, Verified: verified}
	switch g := cpis.Gender(r.Gender); g {
	case cpis.Male, cpis.Female, cpis.Other, cpis.Unknown:
		p.Gender = g
	}
	if bd, err := parseDate(r.BirthDate); err == nil {
		p.BirthDate = bd
	}
	if n := pickName(r.Name, now); n != nil {
		p.Given = strings.Join(n.Given, " ")
		p.Family = n.Family
	}
	// meta.security R is "restricted", V "very restricted"; both hide the
	// location (PDS Meta.yaml; spine-interfaces.md).
	for _, s := range r.Meta.Security {
		if s.Code == "R" || s.Code == "V" {
			p.Restricted = true
		}
	}
	if !p.Restricted {
		p.Postcode = pickPostcode(r.Address, now)
	}
	return p, nil
}

// pickName prefers a current usual name (PDS's main name; the public
// examples mark it "usual"), then a current official one, then any
// current name, then the first.
func pickName(names []humanName, now time.Time) *humanName {
	if len(names) == 0 {
		return nil
	}
	for _, use := range []string{"usual", "official", ""} {
		for i := range names {
			n := &names[i]
			if (use == "" || n.Use == use) && n.Period.current(now) {
				return n
			}
		}
	}
	return &names[0]
}

// pickPostcode prefers the current home address, then any home address,
// then any address with a postcode.
func pickPostcode(addrs []address, now time.Time) string {
	for _, pass := range []func(a *address) bool{
		func(a *address) bool { return a.Use == "home" && a.Period.current(now) },
		func(a *address) bool { return a.Use == "home" },
		func(a *address) bool { return true },
	} {
		for i := range addrs {
			if a := &addrs[i]; a.PostalCode != "" && pass(a) {
				return strings.TrimSpace(a.PostalCode)
			}
		}
	}
	return ""
}
