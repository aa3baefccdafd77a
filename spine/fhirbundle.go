package spine

import (
	"encoding/json"
	"fmt"
)

// bundleOf is a searchset Bundle of T, or the OperationOutcome that came
// instead: both are read in one pass, as the body is read only once.
type bundleOf[T any] struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		Resource *T `json:"resource"`
	} `json:"entry"`
	Issue []outcomeIssue `json:"issue"`
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
// first issue.
func firstIssue(issues []outcomeIssue) (code, diagnostics string) {
	if len(issues) == 0 {
		return "", ""
	}
	is := issues[0]
	for _, c := range is.Details.Coding {
		if c.Code != "" {
			code = c.Code
			break
		}
	}
	return code, is.Diagnostics
}

// decodeBundle reads a searchset Bundle of T and turns each entry's
// resource that keep accepts into a V with read, in order. What keep
// refuses (an OperationOutcome warning riding along, say) is passed over;
// the first error from read fails the whole answer. An OperationOutcome
// where a Bundle was expected is how PDS says TOO_MANY_MATCHES.
func decodeBundle[T, V any](body []byte, keep func(*T) bool, read func(*T) (V, error)) ([]V, error) {
	var b bundleOf[T]
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
	if b.Type != "" && b.Type != "searchset" {
		return nil, fmt.Errorf("%w: expected a searchset Bundle, got %.40q", ErrBadResponse, b.Type)
	}
	var out []V
	for _, e := range b.Entry {
		if e.Resource == nil || !keep(e.Resource) {
			continue
		}
		v, err := read(e.Resource)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
