package spine

import (
	"fmt"
	"strings"

	"github.com/nhs-cpis/kiosk/cpis"
)

type extension struct {
	URL       string `json:"url"`
	ValueDate string `json:"valueDate"`
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

// decodePlans reads the CareTeam searchset (shape in cpis.go). A CareTeam
// whose plan type cannot be read, or that names another patient, fails
// the whole answer: dropping it could hide a Child Care Alert.
func decodePlans(body []byte, nhs cpis.NHSNumber) ([]cpis.Plan, error) {
	return decodeBundle(body,
		// Anything else (an OperationOutcome warning, say) is passed over.
		func(ct *careTeam) bool { return ct.ResourceType == "CareTeam" },
		func(ct *careTeam) (cpis.Plan, error) { return ct.plan(nhs) })
}

// plan reads one CareTeam of the patient nhs.
func (ct *careTeam) plan(nhs cpis.NHSNumber) (cpis.Plan, error) {
	if s := ct.Subject; s != nil && s.Identifier != nil && s.Identifier.Value != "" &&
		(s.Identifier.Value != nhs.Digits() || (s.Identifier.System != "" && s.Identifier.System != SystemNHSNumber)) {
		return cpis.Plan{}, fmt.Errorf("%w: a plan for another patient", ErrBadResponse)
	}
	t, ok := ct.planType()
	if !ok {
		return cpis.Plan{}, fmt.Errorf("%w: a CareTeam without a known plan type", ErrBadResponse)
	}
	p := cpis.Plan{Type: t}
	var err error
	if p.Start, err = parseDate(ct.Period.Start); err != nil {
		return cpis.Plan{}, fmt.Errorf("%w: reading plan start: %w", ErrBadResponse, err)
	}
	if p.End, err = parseDate(ct.Period.End); err != nil {
		return cpis.Plan{}, fmt.Errorf("%w: reading plan end: %w", ErrBadResponse, err)
	}
	for _, e := range ct.Extension {
		if e.URL == ExtExpectedDeliveryDate {
			if p.DueDate, err = parseDate(e.ValueDate); err != nil {
				return cpis.Plan{}, fmt.Errorf("%w: reading due date: %w", ErrBadResponse, err)
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
	return p, nil
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

// authority reads the local authority from its contained Organization:
// the ODS code, and the WP and EC phone numbers (SystemContactPurpose).
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
