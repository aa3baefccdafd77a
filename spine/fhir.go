package spine

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The FHIR R4 decoders. They take outside input, so they are fuzzed
// (FuzzDecodePatient, FuzzDecodeBundle) and must never panic. They are
// tolerant of anything missing, as the public PDS sandbox's minimal record
// (9000000033) has no name, gender or birth date, and strict about anything
// that could put the wrong patient or a hidden plan on screen.

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

type extension struct {
	URL       string `json:"url"`
	ValueDate string `json:"valueDate"`
}

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

type patientResource struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id"`
	Identifier   []identifier `json:"identifier"`
	Meta         meta         `json:"meta"`
	Name         []humanName  `json:"name"`
	Gender       string       `json:"gender"`
	BirthDate    string       `json:"birthDate"`
	Address      []address    `json:"address"`
}

// bundleOf is a searchset Bundle of T, or the OperationOutcome that came
// instead: both are read in one pass, as the body is read only once.
type bundleOf[T any] struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		Resource *T `json:"resource"`
	} `json:"entry"`
	Issue []outcomeIssue `json:"issue"`
}

type outcomeIssue struct {
	Severity    string          `json:"severity"`
	Code        string          `json:"code"`
	Details     codeableConcept `json:"details"`
	Diagnostics string          `json:"diagnostics"`
}

type operationOutcome struct {
	ResourceType string         `json:"resourceType"`
	Issue        []outcomeIssue `json:"issue"`
}

// decodeOutcome reads the Spine code and diagnostics of an
// OperationOutcome's first issue; ok is false when body is not one.
func decodeOutcome(body []byte) (code, diagnostics string, ok bool) {
	var oo operationOutcome
	if json.Unmarshal(body, &oo) != nil || oo.ResourceType != "OperationOutcome" {
		return "", "", false
	}
	code, diagnostics = firstIssue(oo.Issue)
	return code, diagnostics, true
}

// firstIssue is the Spine code and diagnostics of an OperationOutcome's
// first issue.
func firstIssue(issues []outcomeIssue) (code, diagnostics string) {
	if len(issues) == 0 {
		return "", ""
	}
	is := issues[0]
	for _, c := range is.Details.Coding {
		if c.Code != "" {
			code = c.Code
			break
		}
	}
	return code, is.Diagnostics
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

// decodePatient reads a PDS Patient (personal-demographics.yaml,
// components/schemas/Patient.yaml). now picks the current name and address.
func decodePatient(body []byte, now time.Time) (cpis.Patient, error) {
	var r patientResource
	if err := json.Unmarshal(body, &r); err != nil {
		return cpis.Patient{}, fmt.Errorf("%w: reading Patient: %w", ErrBadResponse, err)
	}
	return r.patient(now)
}

func (r *patientResource) patient(now time.Time) (cpis.Patient, error) {
	if r.ResourceType != "Patient" {
		return cpis.Patient{}, fmt.Errorf("%w: expected a Patient, got %.40q", ErrBadResponse, r.ResourceType)
	}
	raw := r.ID
	for _, id := range r.Identifier {
		if id.System == SystemNHSNumber && id.Value != "" {
			raw = id.Value
			break
		}
	}
	nhs, err := cpis.ParseNHSNumber(raw)
	if err != nil {
		// Never the number itself in the message: it may be a real one.
		return cpis.Patient{}, fmt.Errorf("%w: the Patient has no valid NHS number", ErrBadResponse)
	}
	p := cpis.Patient{NHS: nhs, Gender: cpis.Unknown}
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

// decodeBundle reads a searchset Bundle of T and returns its entries'
// resources. An OperationOutcome where a Bundle was expected is how PDS
// says TOO_MANY_MATCHES.
func decodeBundle[T any](body []byte) ([]T, error) {
	var b bundleOf[T]
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("%w: reading Bundle: %w", ErrBadResponse, err)
	}
	switch b.ResourceType {
	case "Bundle":
	case "OperationOutcome":
		code, _ := firstIssue(b.Issue)
		if code == "TOO_MANY_MATCHES" {
			return nil, ErrTooManyMatches
		}
		return nil, fmt.Errorf("%w: an OperationOutcome (%.40q) instead of a Bundle", ErrBadResponse, code)
	default:
		return nil, fmt.Errorf("%w: expected a Bundle, got %.40q", ErrBadResponse, b.ResourceType)
	}
	if b.Type != "" && b.Type != "searchset" {
		return nil, fmt.Errorf("%w: expected a searchset Bundle, got %.40q", ErrBadResponse, b.Type)
	}
	out := make([]T, 0, len(b.Entry))
	for _, e := range b.Entry {
		if e.Resource != nil {
			out = append(out, *e.Resource)
		}
	}
	return out, nil
}

// decodeSearch reads a PDS search answer: a searchset of Patients, best
// match first (personal-demographics.yaml, search-patient).
func decodeSearch(body []byte, now time.Time) ([]cpis.Patient, error) {
	res, err := decodeBundle[patientResource](body)
	if err != nil {
		return nil, err
	}
	var out []cpis.Patient
	for _, r := range res {
		if r.ResourceType == "OperationOutcome" {
			continue // a warning riding along with the matches
		}
		p, err := r.patient(now)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
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

type careTeam struct {
	ResourceType string            `json:"resourceType"`
	Category     []codeableConcept `json:"category"`
	Subject      *reference        `json:"subject"`
	Period       period            `json:"period"`
	Extension    []extension       `json:"extension"`
	Managing     []reference       `json:"managingOrganization"`
	Contained    []contained       `json:"contained"`
}

// planType reads the plan type from the category; the earlier public
// draft's CarePlan codes CPPI, LACI and UCPI are accepted too.
func (ct *careTeam) planType() (cpis.PlanType, bool) {
	for _, cat := range ct.Category {
		for _, c := range cat.Coding {
			if c.System != SystemPlanType && c.System != "" {
				continue
			}
			switch code := strings.TrimSuffix(c.Code, "I"); code {
			case "CPP", "LAC", "UCP", "UCPP":
				if code == "UCP" {
					code = "UCPP"
				}
				return cpis.PlanType(code), true
			}
		}
	}
	return "", false
}

// decodePlans reads the CareTeam searchset (shape in cpis.go). A CareTeam
// whose plan type cannot be read, or that names another patient, fails
// the whole answer: dropping it could hide a Child Care Alert.
func decodePlans(body []byte, nhs cpis.NHSNumber) ([]cpis.Plan, error) {
	res, err := decodeBundle[careTeam](body)
	if err != nil {
		return nil, err
	}
	var out []cpis.Plan
	for _, ct := range res {
		if ct.ResourceType != "CareTeam" {
			continue // an OperationOutcome warning, say
		}
		if s := ct.Subject; s != nil && s.Identifier != nil && s.Identifier.Value != "" &&
			(s.Identifier.Value != nhs.Digits() || (s.Identifier.System != "" && s.Identifier.System != SystemNHSNumber)) {
			return nil, fmt.Errorf("%w: a plan for another patient", ErrBadResponse)
		}
		t, ok := ct.planType()
		if !ok {
			return nil, fmt.Errorf("%w: a CareTeam without a known plan type", ErrBadResponse)
		}
		p := cpis.Plan{Type: t}
		if p.Start, err = parseDate(ct.Period.Start); err != nil {
			return nil, fmt.Errorf("%w: reading plan start: %w", ErrBadResponse, err)
		}
		if p.End, err = parseDate(ct.Period.End); err != nil {
			return nil, fmt.Errorf("%w: reading plan end: %w", ErrBadResponse, err)
		}
		for _, e := range ct.Extension {
			if e.URL == ExtExpectedDeliveryDate {
				if p.DueDate, err = parseDate(e.ValueDate); err != nil {
					return nil, fmt.Errorf("%w: reading due date: %w", ErrBadResponse, err)
				}
			}
		}
		for _, m := range ct.Managing {
			if org := findContained(ct.Contained, m.Reference); org != nil && org.ResourceType == "Organization" {
				p.Authority = authority(org)
				break
			}
			if m.Display != "" && p.Authority.Name == "" {
				p.Authority.Name = m.Display
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func authority(org *contained) cpis.LocalAuthority {
	la := cpis.LocalAuthority{Name: org.Name}
	for _, id := range org.Identifier {
		if id.System == SystemODS || (la.ODS == "" && id.System == "") {
			la.ODS = id.Value
		}
	}
	for _, c := range org.Contact {
		phone := ""
		for _, t := range c.Telecom {
			if t.System == "phone" || t.System == "" {
				phone = t.Value
				break
			}
		}
		for _, pc := range c.Purpose.Coding {
			switch {
			case pc.Code == "WP" && la.OfficeHours == "":
				la.OfficeHours = phone
			case pc.Code == "EC" && la.OutOfHours == "":
				la.OutOfHours = phone
			}
		}
	}
	return la
}

type auditEvent struct {
	ResourceType string `json:"resourceType"`
	Type         coding `json:"type"`
	Recorded     string `json:"recorded"`
	Agent        []struct {
		Who *reference `json:"who"`
	} `json:"agent"`
	Contained []contained `json:"contained"`
}

// OnBehalfSuffix marks an access made by a system for a named person, the
// basis of replay after downtime (spine-interfaces.md, "A query may be
// made by a system on a clinician's behalf").
const OnBehalfSuffix = " (on behalf, system)"

// decodeHistory reads the AuditEvent searchset (shape in cpis.go) into at
// most cpis.MaxHistory accesses, newest first.
func decodeHistory(body []byte) ([]cpis.Access, error) {
	res, err := decodeBundle[auditEvent](body)
	if err != nil {
		return nil, err
	}
	var out []cpis.Access
	for _, ev := range res {
		if ev.ResourceType != "AuditEvent" || (ev.Type.Code != "" && ev.Type.Code != "access") {
			continue
		}
		when, err := time.Parse(time.RFC3339, ev.Recorded)
		if err != nil {
			return nil, fmt.Errorf("%w: reading AuditEvent.recorded: %w", ErrBadResponse, err)
		}
		a := cpis.Access{When: when}
		system := false
		for _, ag := range ev.Agent {
			if ag.Who == nil {
				continue
			}
			c := findContained(ev.Contained, ag.Who.Reference)
			switch {
			case c != nil && c.ResourceType == "PractitionerRole":
				if c.Practitioner != nil {
					a.Who = c.Practitioner.Display
				}
				if c.Organization != nil {
					a.Organisation = c.Organization.Display
				}
				for _, cc := range c.Code {
					if cc.Text != "" {
						a.Role = cc.Text
						break
					}
					if len(cc.Coding) > 0 && cc.Coding[0].Display != "" {
						a.Role = cc.Coding[0].Display
						break
					}
				}
			case c != nil && c.ResourceType == "Device":
				system = true
				if a.Organisation == "" && c.Owner != nil {
					a.Organisation = c.Owner.Display
				}
			case c == nil && a.Who == "":
				a.Who = ag.Who.Display
			}
		}
		if system {
			a.Who += OnBehalfSuffix
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].When.After(out[j].When) })
	if len(out) > cpis.MaxHistory {
		out = out[:cpis.MaxHistory]
	}
	return out, nil
}
