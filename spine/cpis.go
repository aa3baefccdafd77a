package spine

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The CP-IS FHIR R4 shape the kiosk reads.
//
// The real CP-IS FHIR API is still being introduced and its profiles are
// not public (spine-interfaces.md, "CP-IS FHIR R4"). The endpoints and
// headers are the published ones; the resource shape below is ours, taken
// from the earlier public draft of the same API, which modelled a plan
// with its period and responsible local authority, the authority with its
// EC (out of hours) and WP (office hours) phone contacts, and accesses as
// AuditEvents of type "access" whose agent is a PractitionerRole or a
// Device acting for a named responsible person. The draft used a CarePlan
// with codes CPPI/LACI/UCPI; the published query is on CareTeam, so a plan
// is a CareTeam here, and the draft's codes are still accepted.
//
// GET {CPISBase}/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}
// answers a searchset Bundle, one CareTeam per plan:
//
//	{
//	  "resourceType": "CareTeam",
//	  "subject": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990276579"}},
//	  "category": [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/CPIS-PlanType", "code": "CPP"}]}],
//	  "period": {"start": "2025-01-10", "end": "2025-09-30"},
//	  "extension": [{"url": "https://fhir.nhs.uk/StructureDefinition/Extension-CPIS-ExpectedDeliveryDate",
//	                 "valueDate": "2026-03-01"}],            // UCPP only
//	  "managingOrganization": [{"reference": "#la"}],
//	  "contained": [{
//	    "resourceType": "Organization", "id": "la", "name": "Leeds City Council",
//	    "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "L0383"}],
//	    "contact": [
//	      {"purpose": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-AddressUse", "code": "WP"}]},
//	       "telecom": [{"system": "phone", "value": "01632 960101"}]},
//	      {"purpose": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-AddressUse", "code": "EC"}]},
//	       "telecom": [{"system": "phone", "value": "01632 960102"}]}]}]
//	}
//
// GET {CPISBase}/AuditEvent?patient:identifier=... answers a searchset of
// the previous accesses:
//
//	{
//	  "resourceType": "AuditEvent",
//	  "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "access"},
//	  "recorded": "2026-01-15T10:04:05Z",
//	  "agent": [{"who": {"reference": "#pr"}, "requestor": true}],
//	  "contained": [{"resourceType": "PractitionerRole", "id": "pr",
//	    "practitioner": {"display": "Sam Patel"},
//	    "organization": {"display": "Sandbox General Hospital"},
//	    "code": [{"text": "Staff Nurse"}]}]
//	}
//
// An access made by a system for a named person has a second agent whose
// who is "#dev", a contained Device (owner: the organisation), and is shown
// as "Sam Patel (on behalf, system)".
//
// No CP-IS record is a 200 with an empty searchset, never an error.

// Access is how a CP-IS query is made.
type Access struct {
	// Unscheduled sends IsUnscheduledAccessEvent: true, which records the
	// access and notifies the child's local authority. False is the silent
	// read.
	Unscheduled bool
	// IdempotencyKey, PresentedAt and OnBehalfOf go out as the headers
	// Idempotency-Key, X-Presentation-Time and X-On-Behalf-Of. They are the
	// embedded sandbox's extension, pending the real API's publication: a
	// retried or replayed query notifies once, with the time the patient
	// presented, recorded against the person who was on duty.
	IdempotencyKey string
	PresentedAt    time.Time
	OnBehalfOf     string
}

// cpisHeaders adds what CP-IS asks for on top of the FHIR headers
// (spine-interfaces.md, "CP-IS FHIR R4": Authorization, TraceID,
// IsUnscheduledAccessEvent).
func cpisHeaders(s Session, unscheduled bool) http.Header {
	h := fhirHeaders(s)
	h.Set("TraceID", uuid.NewString())
	h.Set("IsUnscheduledAccessEvent", strconv.FormatBool(unscheduled))
	return h
}

func patientIdentifier(nhs cpis.NHSNumber) string {
	return url.Values{"patient:identifier": {SystemNHSNumber + "|" + nhs.Digits()}}.Encode()
}

// Plans asks CP-IS for the patient's plans: GET
// {CPISBase}/CareTeam?patient:identifier=... It returns every plan the
// server lists, visible or not; the caller keeps the visible ones with
// cpis.VisiblePlans. No record gives nil, nil.
func (c *Client) Plans(ctx context.Context, s Session, nhs cpis.NHSNumber, a Access) ([]cpis.Plan, error) {
	const op = "checking for a Child Care Alert"
	if _, err := cpis.ParseNHSNumber(string(nhs)); err != nil {
		return nil, &Error{Op: op, Err: ErrInvalid}
	}
	h := cpisHeaders(s, a.Unscheduled)
	if a.IdempotencyKey != "" {
		h.Set("Idempotency-Key", a.IdempotencyKey)
	}
	if !a.PresentedAt.IsZero() {
		h.Set("X-Presentation-Time", a.PresentedAt.UTC().Format(time.RFC3339))
	}
	if a.OnBehalfOf != "" {
		h.Set("X-On-Behalf-Of", a.OnBehalfOf)
	}
	ans, err := c.do(ctx, call{
		op: op, service: "cpis", method: http.MethodGet,
		url:    c.cfg.CPISBase + "/CareTeam?" + patientIdentifier(nhs),
		header: h,
	})
	if err != nil {
		return nil, err
	}
	plans, err := decodePlans(ans.body, nhs)
	if err != nil {
		return nil, wrapDecode(op, ans, err)
	}
	return plans, nil
}

// History reads the previous accesses to the patient's Child Care Alert,
// silently: GET {CPISBase}/AuditEvent?patient:identifier=... with
// IsUnscheduledAccessEvent: false. At most cpis.MaxHistory, newest first;
// no record gives nil, nil.
func (c *Client) History(ctx context.Context, s Session, nhs cpis.NHSNumber) ([]cpis.Access, error) {
	const op = "reading access history"
	if _, err := cpis.ParseNHSNumber(string(nhs)); err != nil {
		return nil, &Error{Op: op, Err: ErrInvalid}
	}
	ans, err := c.do(ctx, call{
		op: op, service: "cpis", method: http.MethodGet,
		url:    c.cfg.CPISBase + "/AuditEvent?" + patientIdentifier(nhs),
		header: cpisHeaders(s, false),
	})
	if err != nil {
		return nil, err
	}
	hist, err := decodeHistory(ans.body)
	if err != nil {
		return nil, wrapDecode(op, ans, err)
	}
	return hist, nil
}
