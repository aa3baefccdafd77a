package sandbox

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
)

// CP-IS FHIR R4. The resource shape is the one documented in
// spine/cpis.go (a CareTeam per plan, AuditEvents for accesses), after
// the earlier public draft of the API (spine-interfaces.md).

// AccessRecord is one recorded access to a child's Child Care Alert.
type AccessRecord struct {
	NHS        cpis.NHSNumber `json:"nhs"`
	At         time.Time      `json:"at"`
	UserID     string         `json:"user_id"`
	UserName   string         `json:"user_name"`
	RoleID     string         `json:"role_id"`
	JobRole    string         `json:"job_role"`
	OrgCode    string         `json:"org_code"`
	OrgName    string         `json:"org_name"`
	OnBehalfOf string         `json:"on_behalf_of,omitempty"` // a system queried for this person
}

// who is the person the 24-hour rule counts: the named responsible person
// when a system queried on their behalf.
func (a AccessRecord) who() string {
	if a.OnBehalfOf != "" {
		return "on-behalf:" + a.OnBehalfOf
	}
	return a.UserID
}

// Notification is the "Access to Service Notification" the local
// authority would receive through MESH (spine-interfaces.md).
type Notification struct {
	NHS            cpis.NHSNumber      `json:"nhs"`
	IdempotencyKey string              `json:"idempotency_key,omitempty"`
	PresentedAt    time.Time           `json:"presented_at"`
	At             time.Time           `json:"at"`
	UserID         string              `json:"user_id"`
	RoleID         string              `json:"role_id"`
	OrgCode        string              `json:"org_code"`
	OnBehalfOf     string              `json:"on_behalf_of,omitempty"` // a system queried for this person
	LocalAuthority cpis.LocalAuthority `json:"local_authority"`
}

// Notifications lists every notification sent, oldest first.
func (s *Server) Notifications() []Notification {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return append([]Notification{}, s.notifications...)
}

// NotificationsFor counts the notifications made under an idempotency key.
func (s *Server) NotificationsFor(key string) int {
	return s.countNotifications(func(x Notification) bool { return x.IdempotencyKey == key })
}

// NotificationCount counts the notifications about a patient.
func (s *Server) NotificationCount(nhs cpis.NHSNumber) int {
	return s.countNotifications(func(x Notification) bool { return x.NHS == nhs })
}

func (s *Server) countNotifications(match func(Notification) bool) int {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	n := 0
	for _, x := range s.notifications {
		if match(x) {
			n++
		}
	}
	return n
}

// Accesses lists every recorded access to the patient's alert, oldest
// first, before the 24-hour rule and the cap of 25.
func (s *Server) Accesses(nhs cpis.NHSNumber) []AccessRecord {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return append([]AccessRecord{}, s.accesses[nhs]...)
}

// cpisRequest reads what both CP-IS queries need: the caller, the
// patient and IsUnscheduledAccessEvent. false means it has answered.
func (s *Server) cpisRequest(w http.ResponseWriter, r *http.Request) (session, cpis.NHSNumber, bool, bool) {
	// B0170 (silent read) may read without notifying; B0107 may do both.
	sess, ok := s.authorise(w, r, cpis.ViewFlag, cpis.SilentRead)
	if !ok {
		return session{}, "", false, false
	}
	trace := r.Header.Get("TraceID")
	if trace == "" {
		writeOutcome(w, http.StatusBadRequest, "MISSING_VALUE", "Missing value - 'TraceID' header")
		return session{}, "", false, false
	}
	if _, err := uuid.Parse(trace); err != nil {
		writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Invalid value in header 'TraceID': it must be a UUID")
		return session{}, "", false, false
	}
	var unscheduled bool
	switch strings.ToLower(r.Header.Get("IsUnscheduledAccessEvent")) {
	case "true":
		unscheduled = true
	case "false":
	case "":
		writeOutcome(w, http.StatusBadRequest, "MISSING_VALUE", "Missing value - 'IsUnscheduledAccessEvent' header")
		return session{}, "", false, false
	default:
		writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Invalid value in header 'IsUnscheduledAccessEvent': true or false")
		return session{}, "", false, false
	}
	if unscheduled && !sess.role.Has(cpis.ViewFlag) {
		writeOutcome(w, http.StatusForbidden, "ACCESS_DENIED", "An unscheduled access needs activity code B0107")
		return session{}, "", false, false
	}
	id := r.URL.Query().Get("patient:identifier")
	if id == "" {
		writeOutcome(w, http.StatusBadRequest, "MISSING_VALUE", "Missing value - 'patient:identifier'")
		return session{}, "", false, false
	}
	system, value, found := strings.Cut(id, "|")
	nhs, valid := strictNHS(value)
	if !found || system != "https://fhir.nhs.uk/Id/nhs-number" || !valid {
		writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Invalid value in 'patient:identifier': https://fhir.nhs.uk/Id/nhs-number|{a valid NHS number}")
		return session{}, "", false, false
	}
	return sess, nhs, unscheduled, true
}

// getCareTeams lists every plan for the patient. IsUnscheduledAccessEvent:
// true on a patient with plans records the access and notifies the local
// authority, once per Idempotency-Key.
func (s *Server) getCareTeams(w http.ResponseWriter, r *http.Request) {
	sess, nhs, unscheduled, ok := s.cpisRequest(w, r)
	if !ok {
		return
	}
	now := s.opts.Now()
	presented := now
	if v := r.Header.Get("X-Presentation-Time"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Invalid value in header 'X-Presentation-Time': RFC 3339")
			return
		}
		presented = t
	}
	key := r.Header.Get("Idempotency-Key")
	onBehalf := strings.TrimSpace(r.Header.Get("X-On-Behalf-Of"))
	if len(key) > 200 || len(onBehalf) > 100 {
		writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Idempotency-Key or X-On-Behalf-Of is too long")
		return
	}
	var plans []cpis.Plan
	if p := s.patients[nhs]; p != nil {
		plans = p.Plans
	}
	if unscheduled && len(plans) > 0 {
		s.record(sess, nhs, plans, key, onBehalf, presented, now)
	}
	entries := make([]any, 0, len(plans))
	for i, p := range plans {
		entries = append(entries, match(nhs.Digits()+"/plan/"+strconv.Itoa(i), careTeamJSON(nhs, p)))
	}
	writeJSON(w, http.StatusOK, fhirJSON, searchset(now, entries))
}

// record keeps the access and sends the notification, unless the
// idempotency key has been seen: a retried or replayed query is the same
// presentation and must not notify twice.
func (s *Server) record(sess session, nhs cpis.NHSNumber, plans []cpis.Plan, key, onBehalf string, presented, now time.Time) {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	if key != "" {
		if s.idempotency[key] {
			return
		}
		s.idempotency[key] = true
	}
	s.accesses[nhs] = append(s.accesses[nhs], AccessRecord{
		NHS: nhs, At: now, UserID: sess.user.ID, UserName: sess.user.Name, RoleID: sess.role.ID,
		JobRole: sess.role.JobRole, OrgCode: sess.role.OrgCode, OrgName: sess.role.OrgName, OnBehalfOf: onBehalf,
	})
	s.notifications = append(s.notifications, Notification{
		NHS: nhs, IdempotencyKey: key, PresentedAt: presented, At: now,
		UserID: sess.user.ID, RoleID: sess.role.ID, OrgCode: sess.role.OrgCode, OnBehalfOf: onBehalf,
		LocalAuthority: responsible(plans, now),
	})
}

// responsible is the local authority of the most recent visible plan, or
// of the most recent plan when none is visible.
func responsible(plans []cpis.Plan, now time.Time) cpis.LocalAuthority {
	if v := cpis.VisiblePlans(plans, now); len(v) > 0 {
		return v[0].Authority
	}
	latest := plans[0]
	for _, p := range plans[1:] {
		if p.Start.After(latest.Start) {
			latest = p
		}
	}
	return latest.Authority
}

func careTeamJSON(nhs cpis.NHSNumber, p cpis.Plan) map[string]any {
	status := "active"
	per := map[string]any{}
	if !p.Start.IsZero() {
		per["start"] = p.Start.Format(time.DateOnly)
	}
	if !p.End.IsZero() {
		per["end"] = p.End.Format(time.DateOnly)
		status = "inactive"
	}
	ct := map[string]any{
		"resourceType": "CareTeam",
		"status":       status,
		"subject":      map[string]any{"identifier": map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs.Digits()}},
		"category": []any{map[string]any{"coding": []any{map[string]any{
			"system": "https://fhir.nhs.uk/CodeSystem/CPIS-PlanType", "code": string(p.Type), "display": p.Type.Words(),
		}}}},
		"period":               per,
		"managingOrganization": []any{map[string]any{"reference": "#la"}},
		"contained":            []any{organizationJSON(p.Authority)},
	}
	if p.Type == cpis.UCPP && !p.DueDate.IsZero() {
		ct["extension"] = []any{map[string]any{
			"url":       "https://fhir.nhs.uk/StructureDefinition/Extension-CPIS-ExpectedDeliveryDate",
			"valueDate": p.DueDate.Format(time.DateOnly),
		}}
	}
	return ct
}

func organizationJSON(la cpis.LocalAuthority) map[string]any {
	contact := func(code, display, phone string) map[string]any {
		return map[string]any{
			"purpose": map[string]any{"coding": []any{map[string]any{
				"system": "http://terminology.hl7.org/CodeSystem/v3-AddressUse", "code": code, "display": display,
			}}},
			"telecom": []any{map[string]any{"system": "phone", "value": phone}},
		}
	}
	return map[string]any{
		"resourceType": "Organization", "id": "la", "name": la.Name,
		"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": la.ODS}},
		"contact": []any{
			contact("WP", "work place (office hours)", la.OfficeHours),
			contact("EC", "emergency contact (out of hours)", la.OutOfHours),
		},
	}
}

// getAuditEvents lists the previous accesses, read silently whatever
// IsUnscheduledAccessEvent says: only the CareTeam query records.
func (s *Server) getAuditEvents(w http.ResponseWriter, r *http.Request) {
	sess, nhs, _, ok := s.cpisRequest(w, r)
	if !ok {
		return
	}
	now := s.opts.Now()
	s.dmu.Lock()
	listed := history(s.accesses[nhs], sess.user.ID)
	s.dmu.Unlock()
	entries := make([]any, 0, len(listed))
	for _, a := range listed {
		entries = append(entries, match(a.NHS.Digits()+a.UserID+a.At.String(), auditEventJSON(a)))
	}
	writeJSON(w, http.StatusOK, fhirJSON, searchset(now, entries))
}

// match is a searchset entry for a CP-IS resource; its fullUrl is a UUID
// made from name, so that a resource keeps the same one from query to
// query.
func match(name string, resource map[string]any) map[string]any {
	return map[string]any{
		"fullUrl":  "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceOID, []byte(name)).String(),
		"search":   map[string]any{"mode": "match"},
		"resource": resource,
	}
}

// history applies CP-IS's rules to the recorded accesses (oldest first):
// a repeat by the same person within 24 hours of the access listed is
// not listed again; newest first; at most cpis.MaxHistory; and the
// requester's own access is always among them, taking the last row when
// newer accesses by others would push it out.
func history(all []AccessRecord, requester string) []AccessRecord {
	last := map[string]time.Time{}
	var kept []AccessRecord
	for _, a := range all {
		if t, ok := last[a.who()]; ok && a.At.Sub(t) < 24*time.Hour {
			continue
		}
		last[a.who()] = a.At
		kept = append(kept, a)
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].At.After(kept[j].At) })
	if len(kept) <= cpis.MaxHistory {
		return kept
	}
	out := kept[:cpis.MaxHistory:cpis.MaxHistory]
	for _, a := range out {
		if a.UserID == requester && a.OnBehalfOf == "" {
			return out
		}
	}
	for _, a := range kept[cpis.MaxHistory:] {
		if a.UserID == requester && a.OnBehalfOf == "" {
			out[cpis.MaxHistory-1] = a
			break
		}
	}
	return out
}

func auditEventJSON(a AccessRecord) map[string]any {
	person := a.UserName
	if a.OnBehalfOf != "" {
		person = a.OnBehalfOf
	}
	pr := map[string]any{
		"resourceType": "PractitionerRole", "id": "pr",
		"identifier":   []any{map[string]any{"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": a.RoleID}},
		"practitioner": map[string]any{"display": person},
		"organization": map[string]any{"display": a.OrgName,
			"identifier": map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": a.OrgCode}},
		"code": []any{map[string]any{"text": a.JobRole}},
	}
	agents := []any{map[string]any{"who": map[string]any{"reference": "#pr"}, "requestor": true}}
	contained := []any{pr}
	if a.OnBehalfOf != "" {
		agents = append(agents, map[string]any{"who": map[string]any{"reference": "#dev"}, "requestor": false})
		contained = append(contained, map[string]any{
			"resourceType": "Device", "id": "dev",
			"deviceName": []any{map[string]any{"name": "CP-IS kiosk", "type": "user-friendly-name"}},
			"owner":      map[string]any{"display": a.OrgName},
		})
	}
	return map[string]any{
		"resourceType": "AuditEvent",
		"type":         map[string]any{"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "access", "display": "Access"},
		"recorded":     a.At.UTC().Format(time.RFC3339),
		"agent":        agents,
		"contained":    contained,
		"entity": []any{map[string]any{"what": map[string]any{"identifier": map[string]any{
			"system": "https://fhir.nhs.uk/Id/nhs-number", "value": a.NHS.Digits()}}}},
	}
}
