package spine

import (
	"encoding/json"
	"fmt"
)

// rawBundle is a searchset Bundle whose entries are read one by one, by
// their resourceType, or the OperationOutcome that came instead: both are
// read in one pass, as the body is read only once.
type rawBundle struct {
	ResourceType string         `json:"resourceType"`
	Type         string         `json:"type"`
	Entry        []rawEntry     `json:"entry"`
	Issue        []outcomeIssue `json:"issue"`
}

type rawEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
}

// resourceHead is what every resource starts with.
type resourceHead struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
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
// first issue. The code is read from the Spine's own code systems (PDS's
// Spine-ErrorOrWarningCode, CP-IS's England-SpineErrorOrWarningCode) in
// preference to any other coding riding along.
func firstIssue(issues []outcomeIssue) (code, diagnostics string) {
	if len(issues) == 0 {
		return "", ""
	}
	is := issues[0]
	for _, c := range is.Details.Coding {
		if c.Code != "" && (c.System == SystemSpineError || c.System == SystemCPISError) {
			return c.Code, is.Diagnostics
		}
	}
	for _, c := range is.Details.Coding {
		if c.Code != "" {
			return c.Code, is.Diagnostics
		}
	}
	return "", is.Diagnostics
}

// readSearchset reads body as a searchset Bundle (FHIR R4 search: every
// search answers Bundle.type "searchset"). An OperationOutcome where a
// Bundle was expected is how PDS says TOO_MANY_MATCHES; anything else
// that is not a searchset Bundle is ErrBadResponse.
func readSearchset(body []byte) (*rawBundle, error) {
	var b rawBundle
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
	if b.Type != "searchset" {
		return nil, fmt.Errorf("%w: expected a searchset Bundle, got %.40q", ErrBadResponse, b.Type)
	}
	return &b, nil
}

// each calls fn with every entry's resource head, in order; entries with
// no resource are passed over.
func (b *rawBundle) each(fn func(e rawEntry, h resourceHead) error) error {
	for _, e := range b.Entry {
		if len(e.Resource) == 0 || string(e.Resource) == "null" {
			continue
		}
		var h resourceHead
		if err := json.Unmarshal(e.Resource, &h); err != nil {
			return fmt.Errorf("%w: reading a Bundle entry: %w", ErrBadResponse, err)
		}
		if err := fn(e, h); err != nil {
			return err
		}
	}
	return nil
}

// decodeBundle reads a searchset Bundle and turns each entry whose
// resourceType is want into a V with read, in order. Other resources (an
// OperationOutcome warning riding along, say) are passed over; the first
// error from read fails the whole answer.
func decodeBundle[T, V any](body []byte, want string, read func(*T) (V, error)) ([]V, error) {
	b, err := readSearchset(body)
	if err != nil {
		return nil, err
	}
	var out []V
	err = b.each(func(e rawEntry, h resourceHead) error {
		if h.ResourceType != want {
			return nil
		}
		var r T
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			return fmt.Errorf("%w: reading a %s: %w", ErrBadResponse, want, err)
		}
		v, err := read(&r)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
