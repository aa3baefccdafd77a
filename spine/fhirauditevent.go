package spine

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// auditEvent is one earlier access, as the consumer guide publishes it
// (the cpis-auditevent-bundle-01 example): an agent of type PAT for the
// patient and one of type ASSIGNED for the viewer, whose who is a
// reference to a PractitionerRole included as its own Bundle entry.
// agent.requestor is not read: the published example sends it as a
// string ("true") where FHIR has a boolean.
type auditEvent struct {
	Recorded string `json:"recorded"` // Date & Time
	Agent    []struct {
		Type *codeableConcept `json:"type"`
		Who  *reference       `json:"who"`
	} `json:"agent"`
}

// practitionerRole is the viewer, included by the search
// (_include=AuditEvent:entity-type=...|ASSIGNED) ("Data-mapping",
// "Child Protection Information Previously Viewed By").
type practitionerRole struct {
	Identifier   []identifier      `json:"identifier"`   // the SDS role profile id
	Practitioner *reference        `json:"practitioner"` // display: Viewer's Name
	Organization *reference        `json:"organization"` // display: Organisation
	Code         []codeableConcept `json:"code"`         // coding.display: Role
}

// historyResource is an entry of the AuditEvent searchset: an AuditEvent
// or an included PractitionerRole.
type historyResource struct {
	resourceHead
	auditEvent
	practitionerRole
}

// Agent types on a CP-IS AuditEvent (HL7 v3 RoleClass).
const (
	agentPatient = "PAT"
	agentViewer  = "ASSIGNED"
)

// decodeHistory reads the AuditEvent searchset with its included
// PractitionerRoles into at most cpis.MaxHistory accesses, newest first:
// one row per AuditEvent. A viewer whose PractitionerRole is not in the
// Bundle (or cannot be read) leaves the row with its time and empty
// viewer fields; the row is never dropped. An AuditEvent about another
// patient fails the whole answer.
func decodeHistory(body []byte, nhs cpis.NHSNumber) ([]cpis.Access, error) {
	b, err := readSearchset(body)
	if err != nil {
		return nil, err
	}
	type roleEntry struct {
		fullURL, id string
		pr          *practitionerRole
	}
	var (
		events []*auditEvent
		roles  []roleEntry
	)
	for _, e := range b.Entry {
		if len(e.Resource) == 0 || string(e.Resource) == "null" {
			continue
		}
		// One pass per entry: an AuditEvent and a PractitionerRole share
		// no field, so both are read into one value.
		var r historyResource
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			var h resourceHead
			if json.Unmarshal(e.Resource, &h) != nil {
				return nil, fmt.Errorf("%w: reading a Bundle entry: %w", ErrBadResponse, err)
			}
			switch h.ResourceType {
			case "AuditEvent":
				return nil, fmt.Errorf("%w: reading an AuditEvent: %w", ErrBadResponse, err)
			case "PractitionerRole":
				// An unreadable viewer leaves the row without a name.
				roles = append(roles, roleEntry{fullURL: e.FullURL, id: h.ID})
			}
			continue
		}
		switch r.ResourceType {
		case "AuditEvent":
			events = append(events, &r.auditEvent)
		case "PractitionerRole":
			roles = append(roles, roleEntry{fullURL: e.FullURL, id: r.ID, pr: &r.practitionerRole})
		}
	}
	resolve := func(ref string) *practitionerRole {
		for _, r := range roles {
			if refersTo(ref, r.fullURL, "PractitionerRole", r.id) {
				return r.pr
			}
		}
		return nil
	}

	out := make([]cpis.Access, 0, len(events))
	for _, ev := range events {
		a, err := ev.access(nhs, resolve)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].When.After(out[j].When) })
	if len(out) > cpis.MaxHistory {
		out = out[:cpis.MaxHistory]
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// access reads one row: when from recorded, the viewer from the
// ASSIGNED agent's PractitionerRole.
func (ev *auditEvent) access(nhs cpis.NHSNumber, resolve func(string) *practitionerRole) (cpis.Access, error) {
	when, err := time.Parse(time.RFC3339, ev.Recorded)
	if err != nil {
		return cpis.Access{}, fmt.Errorf("%w: reading AuditEvent.recorded: %w", ErrBadResponse, err)
	}
	a := cpis.Access{When: when.UTC()}
	viewerFound := false
	for _, ag := range ev.Agent {
		if ag.Type == nil || ag.Who == nil {
			continue
		}
		switch {
		case ag.Type.has(SystemRoleClass, agentPatient):
			if id := ag.Who.Identifier; id != nil && id.Value != "" && id.Value != nhs.Digits() {
				return cpis.Access{}, fmt.Errorf("%w: an access to another patient's record", ErrBadResponse)
			}
		case ag.Type.has(SystemRoleClass, agentViewer) && !viewerFound:
			viewerFound = true
			if pr := resolve(ag.Who.Reference); pr != nil {
				pr.fill(&a)
			}
		}
	}
	return a, nil
}

// fill puts the viewer's name, role, organisation and role profile id
// into a.
func (pr *practitionerRole) fill(a *cpis.Access) {
	if pr.Practitioner != nil {
		a.Who = strings.TrimSpace(pr.Practitioner.Display)
	}
	if pr.Organization != nil {
		a.Organisation = strings.TrimSpace(pr.Organization.Display)
	}
	for _, cc := range pr.Code {
		for _, c := range cc.Coding {
			if d := strings.TrimSpace(c.Display); d != "" && a.Role == "" {
				a.Role = d
			}
		}
	}
	for _, id := range pr.Identifier {
		if id.System == SystemRoleProfile && id.Value != "" {
			a.RoleProfileID = id.Value
			break
		}
	}
}
