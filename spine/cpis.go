package spine

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The CP-IS FHIR R4 API, as NHS England's "Child Protection - Information
// Sharing (CP-IS) API Consumer Implementation" guide publishes it (pages
// Interactions, Headers, Data-mapping, Errorhandling; backed up in the
// public repository NHSDigital/IOPS-FHIR-Simplifier-Backup). The facts
// are gathered in the project's reference/spine-interfaces.md.
//
//	GET {CPISBase}/CareTeam?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}
//	GET {CPISBase}/AuditEvent?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}
//	    &_include=AuditEvent:entity-type=http://terminology.hl7.org/CodeSystem/v3-RoleClass|ASSIGNED
//
// with the request headers Authorization: Bearer, TraceID and
// IsUnscheduledAccessEvent, and no others. Both answer a searchset Bundle
// (no record: total 0, no entries) or an OperationOutcome coded from
// England-SpineErrorOrWarningCode. The resource shapes are in
// fhircareteam.go and fhirauditevent.go.

// cpisHeaders are the only request headers CP-IS is sent ("Headers":
// "Authorization: Bearer [access token]", "TraceID: [yourRef]",
// "IsUnscheduledAccessEvent: [boolean]"). The kiosk runs only in
// unscheduled care, so IsUnscheduledAccessEvent is always true: the
// Spine records the access and notifies the child's local authority.
// Nothing else goes: no Accept, no X-Request-ID, no role header (CP-IS
// takes the user, role and organisation from the token) and no
// presentation time (CP-IS records the time of the call).
func cpisHeaders(s Session, traceID string) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+s.Token)
	h.Set("TraceID", traceID)
	h.Set("IsUnscheduledAccessEvent", "true")
	return h
}

// traceIDFor is the TraceID to send: the caller's, which the kiosk's own
// audit record carries, or a new UUID when the caller has none, as the
// Spine refuses a request without one and a check must not fail for
// want of it. ok is false for an id no header can carry.
func traceIDFor(traceID string) (string, bool) {
	if traceID == "" {
		return uuid.NewString(), true
	}
	if len(traceID) > 200 || strings.ContainsFunc(traceID, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return "", false
	}
	return traceID, true
}

func patientIdentifier(nhs cpis.NHSNumber) string {
	return url.Values{"patient:identifier": {SystemNHSNumber + "|" + nhs.Digits()}}.Encode()
}

// includeViewers is the search-with-includes the consumer SHALL use to
// have each access's viewer included as a PractitionerRole entry
// ("Interactions", "Query for AuditEvent information").
const includeViewers = "AuditEvent:entity-type=" + SystemRoleClass + "|" + agentViewer

// Plans asks CP-IS for the patient's plans: GET
// {CPISBase}/CareTeam?patient:identifier=... This is the unscheduled
// access: the Spine records it at the time of the call, under the user
// and role in the token, and notifies the child's local authority. It is
// sent once, as a request net/http cannot replay, and never retried here, as a
// second query is a second notification; after a failure whose outcome is
// unknown (a timeout, a dropped connection) the access may have been
// recorded.
//
// traceID goes out as TraceID; pass the id the kiosk's own audit record
// carries. It returns every plan CP-IS lists, visible or not, one per
// CareTeam, a category the kiosk does not know as cpis.PlanUnknown; the
// caller keeps the visible ones with cpis.VisiblePlans. No record gives
// nil, nil.
func (c *Client) Plans(ctx context.Context, s Session, nhs cpis.NHSNumber, traceID string) ([]cpis.Plan, error) {
	return cpisSearch(ctx, c, "checking for a Child Care Alert", s, nhs, traceID,
		"/CareTeam?"+patientIdentifier(nhs), true, decodePlans)
}

// History reads the previous accesses to the patient's Child Care Alert:
// GET {CPISBase}/AuditEvent?patient:identifier=...&_include=..., with
// each viewer's PractitionerRole included. At most cpis.MaxHistory rows,
// newest first, one per AuditEvent; no record gives nil, nil.
func (c *Client) History(ctx context.Context, s Session, nhs cpis.NHSNumber, traceID string) ([]cpis.Access, error) {
	q := patientIdentifier(nhs) + "&" + url.Values{"_include": {includeViewers}}.Encode()
	return cpisSearch(ctx, c, "reading access history", s, nhs, traceID, "/AuditEvent?"+q, false, decodeHistory)
}

// cpisSearch sends one CP-IS search, never retried by the client (with
// notifies, as a request net/http's transport cannot resend either), and
// decodes its searchset.
func cpisSearch[T any](ctx context.Context, c *Client, op string, s Session, nhs cpis.NHSNumber, traceID, pathAndQuery string,
	notifies bool, decode func([]byte, cpis.NHSNumber) (T, error)) (T, error) {
	var zero T
	ans, err := c.cpisSend(ctx, op, s, nhs, traceID, pathAndQuery, notifies)
	if err != nil {
		return zero, err
	}
	v, err := decode(ans.body, nhs)
	if err != nil {
		return zero, wrapDecode(op, ans, err)
	}
	return v, nil
}

// cpisSend sends one CP-IS search with the published headers.
func (c *Client) cpisSend(ctx context.Context, op string, s Session, nhs cpis.NHSNumber, traceID, pathAndQuery string, notifies bool) (answer, error) {
	if n, err := cpis.ParseNHSNumber(string(nhs)); err != nil || n != nhs {
		// The guide wants a PDS-verified number: anything else is the
		// kiosk's mistake, and never sent.
		return answer{}, &Error{Op: op, Err: ErrInvalid}
	}
	tid, ok := traceIDFor(traceID)
	if !ok {
		return answer{}, &Error{Op: op, Err: ErrInvalid}
	}
	return c.do(ctx, call{
		op: op, service: "cpis", method: http.MethodGet,
		url:     c.cfg.CPISBase + pathAndQuery,
		header:  cpisHeaders(s, tid),
		traceID: tid,
		once:    notifies,
	})
}
