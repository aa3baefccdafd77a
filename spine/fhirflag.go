package spine

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// flagResource is one FGM-IS indicator as the guide publishes it
// ("Data-mapping"): Flag.code the SNOMED CT code 902961000000107,
// Flag.status, Flag.period.start the assessment date (YYYY-MM-DD), and
// Flag.subject.identifier the NHS number (spine-interfaces.md; "a resource
// reference is not required for FGM-IS"). A removed indicator has a status
// other than active and the removal reason extension, which is not read.
// Each field is kept raw and read on its own, so that one the kiosk
// cannot read is named for IT and leaves the others readable.
type flagResource struct {
	ResourceType string          `json:"resourceType"`
	Status       json.RawMessage `json:"status"`
	Code         json.RawMessage `json:"code"`
	Subject      json.RawMessage `json:"subject"`
	Period       json.RawMessage `json:"period"`
}

// flagSearchExtras are the parts of the searchset readSearchset does not
// keep: Bundle.total and each entry's search.mode.
type flagSearchExtras struct {
	Total *int `json:"total"`
	Entry []struct {
		Search struct {
			Mode string `json:"mode"`
		} `json:"search"`
	} `json:"entry"`
}

// plainType is a resourceType fit to name in Ignored.
var plainType = regexp.MustCompile(`^[A-Z][A-Za-z]{0,39}$`)

// decodeFlags reads the FGM-IS searchset for the NHS number nhs. A Flag
// counts when it is active, coded SNOMED CT cpis.FGMCode and about nhs
// (subject.identifier, system nhs-number); every other entry goes to
// Ignored, but for the search's own OperationOutcome (search.mode
// outcome), which is passed over. An answer that is not a searchset
// Bundle, or an entry that is not a resource at all, is ErrBadResponse.
func decodeFlags(body []byte, nhs cpis.NHSNumber, queried time.Time) (FGMAnswer, error) {
	b, err := readSearchset(body)
	if errors.Is(err, ErrTooManyMatches) {
		// PDS's code, which FGM-IS never sends.
		return FGMAnswer{}, fmt.Errorf("%w: an OperationOutcome (TOO_MANY_MATCHES) instead of a Bundle", ErrBadResponse)
	}
	if err != nil {
		return FGMAnswer{}, err
	}
	var extras flagSearchExtras
	if err := json.Unmarshal(body, &extras); err != nil || len(extras.Entry) != len(b.Entry) {
		// readSearchset has read the same entries: only a search or
		// total of the wrong type fails here.
		extras = flagSearchExtras{}
	}

	var ans FGMAnswer
	seen := 0
	for i, e := range b.Entry {
		if len(e.Resource) == 0 || string(e.Resource) == "null" {
			ans.Ignored = append(ans.Ignored, "an entry with no resource")
			continue
		}
		var r flagResource
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			return FGMAnswer{}, fmt.Errorf("%w: reading a Bundle entry: %w", ErrBadResponse, err)
		}
		mode := ""
		if i < len(extras.Entry) {
			mode = extras.Entry[i].Search.Mode
		}
		switch {
		case r.ResourceType == "Flag":
			seen++
			f, notes := r.flag(nhs)
			ans.Ignored = append(ans.Ignored, notes...)
			if f != nil {
				f.Queried = queried
				ans.Flags = append(ans.Flags, *f)
			}
		case r.ResourceType == "OperationOutcome" && mode == "outcome":
			// Information about the search itself (FHIR R4 search,
			// "search.mode outcome"): nothing about the patient.
		case r.ResourceType == "OperationOutcome":
			ans.Ignored = append(ans.Ignored, "an OperationOutcome that is not the search's outcome")
		case plainType.MatchString(r.ResourceType):
			ans.Ignored = append(ans.Ignored, "a "+r.ResourceType+" entry, not a Flag")
		default:
			ans.Ignored = append(ans.Ignored, "an entry that is not a Flag")
		}
	}
	if extras.Total != nil && *extras.Total > seen {
		// Bundle.total counts the matches: more than the Flags carried
		// means one may be missing from the answer.
		ans.Ignored = append(ans.Ignored, fmt.Sprintf("a Bundle.total (%d) above the Flags the answer carries (%d)", *extras.Total, seen))
	}
	return ans, nil
}

// flag reads one Flag: the indicator when it counts for nhs, and why not
// (or what was missing from it) in notes.
func (r *flagResource) flag(nhs cpis.NHSNumber) (*cpis.FGMFlag, []string) {
	var subject struct {
		Identifier *identifier `json:"identifier"`
	}
	if json.Unmarshal(r.Subject, &subject) != nil || subject.Identifier == nil || subject.Identifier.Value == "" {
		return nil, []string{"a Flag with no readable subject"}
	}
	if subject.Identifier.System != SystemNHSNumber {
		return nil, []string{"a Flag whose subject is not an NHS number"}
	}
	if subject.Identifier.Value != nhs.Digits() {
		return nil, []string{"a Flag for another NHS number"}
	}
	var code codeableConcept
	if len(r.Code) == 0 || string(r.Code) == "null" {
		return nil, []string{"a Flag with no code"}
	}
	if json.Unmarshal(r.Code, &code) != nil {
		return nil, []string{"a Flag with an unreadable code"}
	}
	if !code.has(SystemSNOMED, cpis.FGMCode) {
		return nil, []string{"a Flag with another code"}
	}
	var status string
	if json.Unmarshal(r.Status, &status) != nil || status == "" {
		return nil, []string{"a Flag with no readable status"}
	}
	if status != "active" {
		return nil, []string{"a Flag that is not active"}
	}

	f := &cpis.FGMFlag{NHS: nhs}
	var p period
	if len(r.Period) == 0 || string(r.Period) == "null" {
		return f, []string{"a Flag with no assessment date"}
	}
	if json.Unmarshal(r.Period, &p) != nil {
		return f, []string{"a Flag with an unreadable assessment date"}
	}
	if p.Start == "" {
		return f, []string{"a Flag with no assessment date"}
	}
	d, err := parseDate(p.Start)
	if err != nil || d.IsZero() {
		// A partial date ("2019") is no calendar date either.
		return f, []string{"a Flag with an unreadable assessment date"}
	}
	f.Assessed = d
	return f, nil
}
