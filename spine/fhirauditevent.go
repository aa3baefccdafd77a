package spine

import (
	"fmt"
	"sort"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

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
	out, err := decodeBundle(body,
		func(ev *auditEvent) bool {
			return ev.ResourceType == "AuditEvent" && (ev.Type.Code == "" || ev.Type.Code == "access")
		},
		(*auditEvent).access)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].When.After(out[j].When) })
	if len(out) > cpis.MaxHistory {
		out = out[:cpis.MaxHistory]
	}
	return out, nil
}

// access reads one access: who (a PractitionerRole, or the agent's
// display), their role and organisation, and whether a Device made it on
// their behalf.
func (ev *auditEvent) access() (cpis.Access, error) {
	when, err := time.Parse(time.RFC3339, ev.Recorded)
	if err != nil {
		return cpis.Access{}, fmt.Errorf("%w: reading AuditEvent.recorded: %w", ErrBadResponse, err)
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
	return a, nil
}
