package sandbox

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
)

// CP-IS FHIR R4, exactly as NHS England's CP-IS API Consumer
// Implementation guide publishes it (pages Interactions, Headers,
// Data-mapping, Errorhandling and the example Bundles
// cpis-careteam-bundle-01, cpis-empty-bundle-01, cpis-auditevent-bundle-01
// and cpis-opoutcome-01) and nothing more:
//
//   - request headers Authorization and TraceID are required; a missing
//     IsUnscheduledAccessEvent is unscheduled care ("If the
//     IsUnscheduledAccessEvent is omitted, it is assumed that the CP-IS
//     Query originated from unscheduled care"), "false" is scheduled
//     care; no other header is read;
//   - errors are the guide's three: 400 INVALID_SEARCH_DATA, 400
//     PRECONDITION_FAILED, 403 ACCESS_DENIED;
//   - a CareTeam per plan, AuditEvents with their PractitionerRoles
//     included as entries of their own.
//
// What the guide leaves to the Spine is done as CP-IS does it
// (spine-interfaces.md, "CP-IS behaviour worth copying exactly"): every
// CareTeam query on a record is recorded at the time of the call under
// the user and role in the token; an unscheduled one notifies every
// local authority with a visible plan; the history lists a repeat by the
// same user within 24 hours once, and always includes the requester.

// AccessRecord is one recorded access to a child's Child Care Alert.
type AccessRecord struct {
	NHS       cpis.NHSNumber `json:"nhs"`
	At        time.Time      `json:"at"`
	UserID    string         `json:"user_id"`
	UserName  string         `json:"user_name"`
	RoleID    string         `json:"role_id"` // the SDS role profile id
	JobRole   string         `json:"job_role"`
	OrgCode   string         `json:"org_code"`
	OrgName   string         `json:"org_name"`
	Scheduled bool           `json:"scheduled,omitempty"` // IsUnscheduledAccessEvent: false
	TraceID   string         `json:"trace_id,omitempty"`
}

// Notification is the "Access to Service Notification" a local authority
// would receive through MESH (spine-interfaces.md): which child, who
// (user and role profile, from the token), when (the time of the call),
// and to which authority. TraceID is the request's, for tests to tie a
// notification to the query that made it.
type Notification struct {
	NHS            cpis.NHSNumber      `json:"nhs"`
	At             time.Time           `json:"at"`
	UserID         string              `json:"user_id"`
	RoleID         string              `json:"role_id"`
	OrgCode        string              `json:"org_code"`
	LocalAuthority cpis.LocalAuthority `json:"local_authority"`
	TraceID        string              `json:"trace_id,omitempty"`
}

// Notifications lists every notification sent, oldest first.
func (s *Server) Notifications() []Notification {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return append([]Notification{}, s.notifications...)
}

// NotificationCount counts the notifications about a patient.
func (s *Server) NotificationCount(nhs cpis.NHSNumber) int {
	return len(s.notificationsWhere(func(x Notification) bool { return x.NHS == nhs }))
}

// NotificationsBy lists the notifications about a patient made in a
// user's name, oldest first.
func (s *Server) NotificationsBy(nhs cpis.NHSNumber, userID string) []Notification {
	return s.notificationsWhere(func(x Notification) bool { return x.NHS == nhs && x.UserID == userID })
}

// NotificationsForTrace counts the notifications made by requests that
// carried this TraceID. The Spine does not de-duplicate on it: two
// queries with the same TraceID notify twice, and count twice here.
func (s *Server) NotificationsForTrace(traceID string) int {
	return len(s.notificationsWhere(func(x Notification) bool { return x.TraceID == traceID }))
}

func (s *Server) notificationsWhere(match func(Notification) bool) []Notification {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	var out []Notification
	for _, x := range s.notifications {
		if match(x) {
			out = append(out, x)
		}
	}
	return out
}

// Accesses lists every recorded access to the patient's alert, oldest
// first, before the 24-hour rule and the cap of 25.
func (s *Server) Accesses(nhs cpis.NHSNumber) []AccessRecord {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return append([]AccessRecord{}, s.accesses[nhs]...)
}

// The guide's error answers ("Errorhandling", "Search interaction"),
// each with its HTTP status, issue type and display.
type cpisError struct {
	status        int
	issue, code   string
	display, diag string
}

var (
	errInvalidSearch = cpisError{http.StatusBadRequest, "invalid", "INVALID_SEARCH_DATA", "Invalid NHS number", ""}
	errPrecondition  = cpisError{http.StatusBadRequest, "invalid", "PRECONDITION_FAILED", "Missing or invalid head parameter", ""}
	errAccessDenied  = cpisError{http.StatusForbidden, "forbidden", "ACCESS_DENIED", "Access has been denied to process this request", ""}
)

// writeCPISOutcome answers a CP-IS error in the shape of the guide's
// example (cpis-opoutcome-01): one issue, details coded from
// England-SpineErrorOrWarningCode with the table's words as display.
func writeCPISOutcome(w http.ResponseWriter, e cpisError) {
	is := map[string]any{
		"severity": "error",
		"code":     e.issue,
		"details": map[string]any{"coding": []any{map[string]any{
			"system":  "https://fhir.nhs.uk/CodeSystem/England-SpineErrorOrWarningCode",
			"code":    e.code,
			"display": e.display,
		}}},
	}
	writeJSON(w, e.status, fhirJSON, map[string]any{
		"resourceType": "OperationOutcome", "id": uuid.NewString(), "issue": []any{is},
	})
}

// cpisRequest reads what both CP-IS searches need: the caller (from the
// token), the TraceID, IsUnscheduledAccessEvent and the patient. false
// means it has answered.
func (s *Server) cpisRequest(w http.ResponseWriter, r *http.Request) (sess session, nhs cpis.NHSNumber, unscheduled bool, traceID string, ok bool) {
	sess, known := s.tokenSession(r)
	if !known {
		writeCPISOutcome(w, errAccessDenied)
		return
	}
	traceID = strings.TrimSpace(r.Header.Get("TraceID"))
	if traceID == "" {
		writeCPISOutcome(w, errPrecondition)
		return
	}
	switch r.Header.Get("IsUnscheduledAccessEvent") {
	case "", "true":
		unscheduled = true
	case "false":
	default:
		writeCPISOutcome(w, errPrecondition)
		return
	}
	// National RBAC: B0107 views and notifies; B0170 is the silent read of
	// scheduled care.
	if !sess.role.Has(cpis.ViewFlag) && !(sess.role.Has(cpis.SilentRead) && !unscheduled) {
		writeCPISOutcome(w, errAccessDenied)
		return
	}
	system, value, found := strings.Cut(r.URL.Query().Get("patient:identifier"), "|")
	nhs, valid := strictNHS(value)
	if !found || system != "https://fhir.nhs.uk/Id/nhs-number" || !valid {
		writeCPISOutcome(w, errInvalidSearch)
		return
	}
	return sess, nhs, unscheduled, traceID, true
}

// getCareTeams lists every plan CP-IS returns for the patient today. On a
// patient with a record it records the access; an unscheduled one
// notifies every local authority with a visible plan.
func (s *Server) getCareTeams(w http.ResponseWriter, r *http.Request) {
	sess, nhs, unscheduled, traceID, ok := s.cpisRequest(w, r)
	if !ok {
		return
	}
	now := s.opts.Now()
	var (
		plans []cpis.Plan
		p     = s.patients[nhs] // the seed never changes after New
	)
	if p != nil {
		plans = p.Served(now)
	}
	if len(plans) > 0 {
		s.record(sess, nhs, plans, unscheduled, traceID, now)
	}
	base := "https://" + r.Host + CPISPath
	entries := make([]any, 0, len(plans))
	for i, pl := range plans {
		id := stableID(nhs.Digits(), "CareTeam", fmt.Sprint(i))
		entries = append(entries, map[string]any{
			"fullUrl":  base + "/CareTeam/" + id,
			"resource": careTeamJSON(id, p, pl),
			"search":   map[string]any{"mode": "match"},
		})
	}
	writeJSON(w, http.StatusOK, fhirJSON, cpisSearchset(base+"/CareTeam?"+r.URL.RawQuery, len(entries), entries))
}

// record keeps the access and, when unscheduled, sends one notification
// to each local authority with a visible plan.
func (s *Server) record(sess session, nhs cpis.NHSNumber, plans []cpis.Plan, unscheduled bool, traceID string, now time.Time) {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.accesses[nhs] = append(s.accesses[nhs], AccessRecord{
		NHS: nhs, At: now, UserID: sess.user.ID, UserName: sess.user.Name, RoleID: sess.role.ID,
		JobRole: sess.role.JobRole, OrgCode: sess.role.OrgCode, OrgName: sess.role.OrgName,
		Scheduled: !unscheduled, TraceID: traceID,
	})
	if !unscheduled {
		return
	}
	seen := map[string]bool{}
	for _, pl := range cpis.VisiblePlans(plans, now) {
		if seen[pl.Authority.Name] {
			continue
		}
		seen[pl.Authority.Name] = true
		s.notifications = append(s.notifications, Notification{
			NHS: nhs, At: now, UserID: sess.user.ID, RoleID: sess.role.ID, OrgCode: sess.role.OrgCode,
			LocalAuthority: pl.Authority, TraceID: traceID,
		})
	}
}

// SNOMED CT codes of ValueSet England-ChildProtectionPlan, with their
// displays as the ValueSet's expansion gives them.
var planCodings = map[cpis.PlanType][2]string{
	cpis.CPP:  {"342191000000101", "Subject to child protection plan"},
	cpis.LAC:  {"764841000000100", "Looked after child"},
	cpis.UCPP: {"818901000000100", "Unborn child subject to child protection plan"},
}

// careTeamJSON is one plan in the shape of the guide's example: category,
// name, subject, telecom (work, mobile) and period; nothing else. A part
// the seed does not have is left out, as a real answer would.
func careTeamJSON(id string, p *SeedPatient, pl cpis.Plan) map[string]any {
	ct := map[string]any{"resourceType": "CareTeam", "id": id}
	var c map[string]any
	if code, ok := planCodings[pl.Type]; ok {
		c = map[string]any{"system": "http://snomed.info/sct", "code": code[0], "display": code[1]}
	} else {
		// "system|code display"
		system, rest, _ := strings.Cut(pl.Category, "|")
		code, display, _ := strings.Cut(rest, " ")
		c = map[string]any{"system": system, "code": code, "display": display}
	}
	ct["category"] = []any{map[string]any{"coding": []any{c}}}
	if pl.Authority.Name != "" {
		ct["name"] = pl.Authority.Name
	}
	subject := map[string]any{"identifier": map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": p.NHS.Digits()}}
	if name := strings.TrimSpace(p.Given + " " + strings.ToUpper(p.Family)); name != "" {
		subject["display"] = name
	}
	ct["subject"] = subject
	var telecom []any
	for _, t := range []struct{ number, use string }{{pl.Authority.OfficeHours, "work"}, {pl.Authority.OutOfHours, "mobile"}} {
		if t.number != "" {
			telecom = append(telecom, map[string]any{"system": "phone", "value": t.number, "use": t.use})
		}
	}
	if len(telecom) > 0 {
		ct["telecom"] = telecom
	}
	per := map[string]any{}
	if !pl.Start.IsZero() {
		per["start"] = pl.Start.Format(time.DateOnly)
	}
	if !pl.End.IsZero() {
		per["end"] = pl.End.Format(time.DateOnly)
	}
	if len(per) > 0 {
		ct["period"] = per
	}
	return ct
}

// cpisSearchset is a searchset Bundle as the guide's examples have it:
// an id, total (the matches, not the included), a self link and the
// entries.
func cpisSearchset(self string, total int, entries []any) map[string]any {
	b := map[string]any{
		"resourceType": "Bundle", "id": uuid.NewString(), "type": "searchset", "total": total,
		"link": []any{map[string]any{"relation": "self", "url": self}},
	}
	if len(entries) > 0 {
		b["entry"] = entries
	}
	return b
}

// stableID is a UUID made from its parts, so that a resource keeps its id
// from query to query.
func stableID(parts ...string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(strings.Join(parts, "/"))).String()
}

// includeViewers is the _include the guide's consumer SHALL send; only
// with it does the answer include the viewers' PractitionerRoles, as FHIR
// search-with-includes works.
const includeViewers = "AuditEvent:entity-type=http://terminology.hl7.org/CodeSystem/v3-RoleClass|ASSIGNED"

// getAuditEvents lists the previous accesses, as the guide's example: an
// AuditEvent per access and, with the _include, a PractitionerRole entry
// per viewer. Reading the history records nothing and notifies no one.
func (s *Server) getAuditEvents(w http.ResponseWriter, r *http.Request) {
	sess, nhs, _, _, ok := s.cpisRequest(w, r)
	if !ok {
		return
	}
	include := false
	for _, v := range r.URL.Query()["_include"] {
		include = include || v == includeViewers
	}
	s.dmu.Lock()
	listed := history(s.accesses[nhs], sess.user.ID)
	s.dmu.Unlock()
	base := "https://" + r.Host + CPISPath
	entries := make([]any, 0, 2*len(listed))
	var included []any
	seen := map[string]bool{}
	for _, a := range listed {
		roleID := stableID("PractitionerRole", a.UserID, a.RoleID)
		id := stableID(a.NHS.Digits(), "AuditEvent", a.UserID, a.At.Format(time.RFC3339Nano))
		entries = append(entries, map[string]any{
			"fullUrl":  base + "/AuditEvent/" + id,
			"resource": auditEventJSON(id, roleID, a),
			"search":   map[string]any{"mode": "match"},
		})
		if include && !seen[roleID] {
			seen[roleID] = true
			included = append(included, map[string]any{
				"fullUrl":  base + "/PractitionerRole/" + roleID,
				"resource": practitionerRoleJSON(roleID, a),
				"search":   map[string]any{"mode": "include"},
			})
		}
	}
	writeJSON(w, http.StatusOK, fhirJSON, cpisSearchset(base+"/AuditEvent?"+r.URL.RawQuery, len(listed), append(entries, included...)))
}

// history applies CP-IS's rules to the recorded accesses (oldest first):
// a repeat by the same user within 24 hours of the access listed is
// not listed again; newest first; at most cpis.MaxHistory; and the
// requester's own access is always among them, taking the last row when
// newer accesses by others would push it out.
func history(all []AccessRecord, requester string) []AccessRecord {
	last := map[string]time.Time{}
	var kept []AccessRecord
	for _, a := range all {
		if t, ok := last[a.UserID]; ok && a.At.Sub(t) < 24*time.Hour {
			continue
		}
		last[a.UserID] = a.At
		kept = append(kept, a)
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].At.After(kept[j].At) })
	if len(kept) <= cpis.MaxHistory {
		return kept
	}
	out := kept[:cpis.MaxHistory:cpis.MaxHistory]
	for _, a := range out {
		if a.UserID == requester {
			return out
		}
	}
	for _, a := range kept[cpis.MaxHistory:] {
		if a.UserID == requester {
			out[cpis.MaxHistory-1] = a
			break
		}
	}
	return out
}

// auditEventJSON is one access in the shape of the guide's example,
// agent.requestor as a string included, as the example sends it.
func auditEventJSON(id, roleID string, a AccessRecord) map[string]any {
	ref := map[string]any{"reference": "PractitionerRole/" + roleID}
	roleClass := func(code, display string) map[string]any {
		return map[string]any{"coding": []any{map[string]any{
			"system": "http://terminology.hl7.org/CodeSystem/v3-RoleClass", "code": code, "display": display,
		}}}
	}
	return map[string]any{
		"resourceType": "AuditEvent",
		"id":           id,
		"type": map[string]any{
			"system":  "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle",
			"display": "Access/View Record Lifecycle Event",
		},
		// As the example writes it: an offset, not "Z".
		"recorded": a.At.UTC().Format("2006-01-02T15:04:05-07:00"),
		"agent": []any{
			map[string]any{
				"type":      roleClass("PAT", "patient"),
				"who":       map[string]any{"identifier": map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": a.NHS.Digits()}},
				"requestor": "false",
			},
			map[string]any{"type": roleClass("ASSIGNED", "assigned entity"), "who": ref, "requestor": "true"},
		},
		"source": map[string]any{"observer": ref},
	}
}

// practitionerRoleJSON is the viewer, as the guide's example includes it.
func practitionerRoleJSON(id string, a AccessRecord) map[string]any {
	return map[string]any{
		"resourceType": "PractitionerRole",
		"id":           id,
		"identifier":   []any{map[string]any{"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": a.RoleID}},
		"practitioner": map[string]any{"display": a.UserName},
		"organization": map[string]any{"display": a.OrgName},
		"code": []any{map[string]any{"coding": []any{map[string]any{
			"system": "http://snomed.info/sct", "code": jobRoleCode(a.JobRole), "display": a.JobRole,
		}}}},
	}
}

// jobRoleCode is a made-up SNOMED-shaped code for a sandbox job role, like
// the sandbox's made-up ODS codes: not a SNOMED CT concept. The kiosk
// reads only the display.
func jobRoleCode(role string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(role))
	return fmt.Sprintf("99900%010d", h.Sum32())
}
