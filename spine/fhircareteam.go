package spine

import (
	"fmt"

	"github.com/nhs-cpis/kiosk/cpis"
)

// careTeam is one CP-IS plan as the consumer guide publishes it
// ("Data-mapping", "Current Child Protection Information"; the
// cpis-careteam-bundle-01 example): no meta profile, no contained
// resources, no extension.
type careTeam struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Category     []codeableConcept `json:"category"` // Type of plan
	Name         string            `json:"name"`     // Responsible Local Authority
	Subject      *reference        `json:"subject"`  // identifier: the NHS number
	Telecom      []contactPoint    `json:"telecom"`  // work: office hours; mobile: emergency duty
	Period       *period           `json:"period"`   // Start Date, End Date
}

// The plan types of ValueSet England-ChildProtectionPlan, all SNOMED CT
// (CP-IS consumer guide, "Profiles: CareTeam": "CP-IS applications SHALL
// use SNOMED CT codes from [ValueSet England-ChildProtectionPlan] in
// CareTeam.category").
var planCodes = map[string]cpis.PlanType{
	"342191000000101": cpis.CPP,  // Subject to child protection plan
	"764841000000100": cpis.LAC,  // Looked after child
	"818901000000100": cpis.UCPP, // Unborn child subject to child protection plan
}

// Telecom uses for the local authority's two numbers ("Data-mapping":
// "Emergency Duty Tel Number: CareTeam.telecom.value where
// CareTeam.telecom.use = mobile"; "Office Hours Tel Number: ... use =
// work").
const (
	useOfficeHours = "work"
	useOutOfHours  = "mobile"
)

// decodePlans reads the CareTeam searchset: one plan per CareTeam, every
// one kept. A CareTeam whose category the kiosk does not know is a
// cpis.PlanUnknown, never dropped; one missing its name, numbers or
// period keeps what it has. A CareTeam that names another patient fails
// the whole answer.
func decodePlans(body []byte, nhs cpis.NHSNumber) ([]cpis.Plan, error) {
	return decodeBundle(body, "CareTeam", func(ct *careTeam) (cpis.Plan, error) { return ct.plan(nhs) })
}

// plan reads one CareTeam of the patient nhs.
func (ct *careTeam) plan(nhs cpis.NHSNumber) (cpis.Plan, error) {
	if s := ct.Subject; s != nil && s.Identifier != nil && s.Identifier.Value != "" &&
		(s.Identifier.Value != nhs.Digits() || (s.Identifier.System != "" && s.Identifier.System != SystemNHSNumber)) {
		return cpis.Plan{}, fmt.Errorf("%w: a plan for another patient", ErrBadResponse)
	}
	p := cpis.Plan{Authority: cpis.LocalAuthority{Name: ct.Name}}
	p.Type, p.Category = ct.planType()
	if ct.Period != nil {
		var err error
		if p.Start, err = parseDate(ct.Period.Start); err != nil {
			return cpis.Plan{}, fmt.Errorf("%w: reading CareTeam.period.start: %w", ErrBadResponse, err)
		}
		if p.End, err = parseDate(ct.Period.End); err != nil {
			return cpis.Plan{}, fmt.Errorf("%w: reading CareTeam.period.end: %w", ErrBadResponse, err)
		}
	}
	for _, t := range ct.Telecom {
		if t.System != "phone" && t.System != "" {
			continue // an email or fax number is not one to dial
		}
		switch {
		case t.Use == useOfficeHours && p.Authority.OfficeHours == "":
			p.Authority.OfficeHours = t.Value
		case t.Use == useOutOfHours && p.Authority.OutOfHours == "":
			p.Authority.OutOfHours = t.Value
		}
	}
	return p, nil
}

// planType reads the plan type from the first SNOMED CT coding of the
// ValueSet in any category. Without one the plan is a cpis.PlanUnknown,
// with the first coding it came with (or none) kept for IT.
func (ct *careTeam) planType() (cpis.PlanType, string) {
	for _, cat := range ct.Category {
		for _, c := range cat.Coding {
			if t, ok := planCodes[c.Code]; ok && c.System == SystemSNOMED {
				return t, ""
			}
		}
	}
	for _, cat := range ct.Category {
		for _, c := range cat.Coding {
			return cpis.PlanUnknown, c.String()
		}
		if cat.Text != "" {
			return cpis.PlanUnknown, "(no coding) " + cat.Text
		}
	}
	return cpis.PlanUnknown, "(no category)"
}
