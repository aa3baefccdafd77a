package spine

import (
	"context"
	"fmt"
	"net/http"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The FGM Information Sharing FHIR R4 API (FGM-IS), as NHS England's
// FGM-IS implementation guide publishes it (pages Build/APIusage,
// Build/Headers, Build/Errorhandling, Design/Interactions,
// Design/Data-mapping; backed up in the public repository
// NHSDigital/IOPS-FHIR-Simplifier-Backup, guide
// Female-Genital-Mutilation-Implementation-Guide2). The facts are gathered
// in the project's reference/spine-interfaces.md, which wins where the two
// differ. The kiosk only queries:
//
//	GET {FGMBase}/Flag?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}
//
// with the request headers Authorization: Bearer and TraceID, and no
// others. It answers a searchset Bundle of at most one Flag (no record:
// total 0, no entries) or an OperationOutcome coded, as CP-IS's are, from
// England-SpineErrorOrWarningCode: 400 INVALID_SEARCH_DATA, 400
// PRECONDITION_FAILED, 403 ACCESS_DENIED. The Flag's shape is in
// fhirflag.go.

// FGMAnswer is FGM-IS's answer for one NHS number.
type FGMAnswer struct {
	// Flags are the active FGM-IS indicators for this NHS number, each
	// with Queried the client's clock when the answer came.
	Flags []cpis.FGMFlag
	// Ignored says why entries of the answer were not used (or were used
	// with something missing), one line per entry, in words that hold no
	// patient data, for IT: "a Flag with another code", "a Flag for
	// another NHS number", "a Flag that is not active", "a Flag with no
	// readable subject", "a Flag with an unreadable assessment date" …
	Ignored []string
}

// fgmHeaders are the only request headers FGM-IS is sent ("Headers":
// "Authorization: Bearer [access token]", "TraceID: [yourRef]"). Nothing
// else goes: no Accept (the guide names none, and CP-IS sends none), no
// X-Request-ID, no role header (the user and role come from the token).
func fgmHeaders(s Session, traceID string) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+s.Token)
	h.Set("TraceID", traceID)
	return h
}

// FGMFlags searches FGM-IS for the indicator "Family history of female
// genital mutilation": GET
// {FGMBase}/Flag?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs},
// with exactly the headers Authorization: Bearer {s.Token} and TraceID:
// {traceID}. It notifies nobody, so, like a PDS request, it is sent again
// after a dropped connection or a gateway failure (Config.PDSAttempts),
// with the same TraceID. traceID is the id the kiosk's own audit record
// carries; an empty one is replaced by a new UUID.
//
// Only an active Flag coded SNOMED CT cpis.FGMCode whose subject.identifier
// is this NHS number counts; every other entry is noted in Ignored, never
// in Flags. No flag is an FGMAnswer with no Flags and a nil error. Errors
// are *Error, classified as CP-IS's are (errors.go), with Service "fgm"
// once a request was made; without Config.FGMBase, or for a malformed NHS
// number or trace id, the error is ErrInvalid and nothing is sent.
func (c *Client) FGMFlags(ctx context.Context, s Session, nhs cpis.NHSNumber, traceID string) (FGMAnswer, error) {
	const op = "searching FGM-IS"
	if c.cfg.FGMBase == "" {
		return FGMAnswer{}, &Error{Op: op, Err: fmt.Errorf("%w: FGM-IS is not configured", ErrInvalid)}
	}
	if n, err := cpis.ParseNHSNumber(string(nhs)); err != nil || n != nhs {
		// The guide wants a PDS-verified number: anything else is the
		// kiosk's mistake, and never sent.
		return FGMAnswer{}, &Error{Op: op, Err: fmt.Errorf("%w: not a valid NHS number", ErrInvalid)}
	}
	tid, ok := traceIDFor(traceID)
	if !ok {
		return FGMAnswer{}, &Error{Op: op, Err: fmt.Errorf("%w: a trace id no header can carry", ErrInvalid)}
	}
	a, err := c.do(ctx, call{
		op: op, service: "fgm", method: http.MethodGet,
		url:      c.cfg.FGMBase + "/Flag?" + patientIdentifier(nhs),
		header:   fgmHeaders(s, tid),
		traceID:  tid,
		attempts: c.cfg.PDSAttempts,
	})
	if err != nil {
		return FGMAnswer{}, err
	}
	ans, err := decodeFlags(a.body, nhs, c.now())
	if err != nil {
		return FGMAnswer{}, wrapDecode(op, a, err)
	}
	return ans, nil
}
