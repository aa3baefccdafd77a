package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// FGM Information Sharing (FGM-IS): the query for a girl's FGM indicator,
// as spine-interfaces.md ("FGM Information Sharing") and the FGM-IS FHIR
// guide (pages Interactions, APIusage, Headers, Data-mapping and
// Errorhandling) give it, and nothing more; where the two differ,
// spine-interfaces.md wins:
//
//   - GET {FGMPath}/Flag?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs},
//     the one interaction the kiosk makes (the guide's POST and PUT, which
//     add and remove an indicator, are not served);
//   - request headers Authorization and TraceID, both required; no other
//     header is read;
//   - the role must hold B0370 "View Summary Health Records";
//   - errors are the guide's search-interaction table, built as CP-IS
//     builds its own (writeCPISOutcome): 400 INVALID_SEARCH_DATA, 400
//     PRECONDITION_FAILED, 403 ACCESS_DENIED;
//   - the answer is a searchset Bundle of Flags with code, status,
//     subject.identifier (the NHS number, no reference) and period.start
//     (the assessment date, YYYY-MM-DD); no flag, an empty searchset;
//   - responses carry Date and Content-Type only: TraceID is not echoed.
//
// A query notifies no one and is not a CP-IS access. The sandbox records
// it (FGMQueries) for tests, as it records CP-IS's accesses.

// FGMDisplay is the display of cpis.FGMCode in a Flag
// (spine-interfaces.md; the guide's Data-mapping words it "Family history
// of FGM (female genital mutilation)").
const FGMDisplay = "Family history of female genital mutilation"

// FGMQuery is one FGM-IS query the sandbox answered: the NHS number asked
// about, who asked (user and role profile, from the token) and when (the
// time of the call, by the sandbox's clock).
type FGMQuery struct {
	NHS    cpis.NHSNumber `json:"nhs"`
	UserID string         `json:"user_id"`
	RoleID string         `json:"role_id"`
	At     time.Time      `json:"at"`
}

// FGMQueries lists every FGM-IS query that passed the checks of headers,
// role and NHS number, oldest first, the failing patient's included.
func (s *Server) FGMQueries() []FGMQuery {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return append([]FGMQuery{}, s.fgmQueries...)
}

// The FGM-IS guide's errors ("Errorhandling", "Search interaction"), with
// the table's words as display as CP-IS's are. Its INVALID_SEARCH_DATA and
// PRECONDITION_FAILED read as CP-IS's; its ACCESS_DENIED reads otherwise.
var (
	fgmInvalidSearch = errInvalidSearch
	fgmPrecondition  = errPrecondition
	fgmAccessDenied  = cpisError{http.StatusForbidden, "forbidden", "ACCESS_DENIED",
		"The sender or receiver's ASID is not authorised for this interaction", ""}
	// fgmFailed is a failing service's answer, which the guide does not
	// list: Spine's INTERNAL_SERVER_ERROR.
	fgmFailed = cpisError{http.StatusInternalServerError, "exception", "INTERNAL_SERVER_ERROR",
		"Unexpected internal server error", ""}
)

// getFlags answers the FGM-IS query. The checks run in CP-IS's order: the
// token, the TraceID, the role's B0370, then the patient.
func (s *Server) getFlags(w http.ResponseWriter, r *http.Request) {
	sess, known := s.tokenSession(r)
	if !known {
		writeCPISOutcome(w, fgmAccessDenied)
		return
	}
	if strings.TrimSpace(r.Header.Get("TraceID")) == "" {
		writeCPISOutcome(w, fgmPrecondition)
		return
	}
	if !sess.role.Has(cpis.ViewSummary) {
		writeCPISOutcome(w, fgmAccessDenied)
		return
	}
	nhs, ok := fgmPatient(r.URL.RawQuery)
	if !ok {
		writeCPISOutcome(w, fgmInvalidSearch)
		return
	}
	now := s.opts.Now()
	s.dmu.Lock()
	s.fgmQueries = append(s.fgmQueries, FGMQuery{NHS: nhs, UserID: sess.user.ID, RoleID: sess.role.ID, At: now})
	s.dmu.Unlock()
	p := s.patients[nhs] // the seed never changes after New
	if p != nil && p.FGMFails {
		writeCPISOutcome(w, fgmFailed)
		return
	}
	base := "https://" + r.Host + FGMPath
	var entries []any
	if p != nil {
		for i, f := range p.FGM {
			id := stableID(nhs.Digits(), "Flag", fmt.Sprint(i))
			entries = append(entries, map[string]any{
				"fullUrl":  base + "/Flag/" + id,
				"resource": flagJSON(id, nhs, f),
				"search":   map[string]any{"mode": "match"},
			})
		}
	}
	writeJSON(w, http.StatusOK, fhirJSON, cpisSearchset(base+"/Flag?"+r.URL.RawQuery, len(entries), entries))
}

// fgmPatient reads the one patient:identifier: the NHS number system and
// ten digits with a good check digit. A query that does not parse, or
// names the parameter twice, is refused.
func fgmPatient(rawQuery string) (cpis.NHSNumber, bool) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil || len(q["patient:identifier"]) != 1 {
		return "", false
	}
	system, value, found := strings.Cut(q.Get("patient:identifier"), "|")
	nhs, valid := strictNHS(value)
	if !found || system != "https://fhir.nhs.uk/Id/nhs-number" || !valid {
		return "", false
	}
	return nhs, true
}

// flagJSON is one Flag as the guide's Data-mapping has it: status, code,
// subject.identifier and period.start; nothing else.
func flagJSON(id string, nhs cpis.NHSNumber, f SeedFlag) map[string]any {
	code, display, status, subject := f.Code, f.Display, f.Status, f.For
	if code == "" {
		code = cpis.FGMCode
	}
	if display == "" && code == cpis.FGMCode {
		display = FGMDisplay
	}
	if status == "" {
		status = "active"
	}
	if subject == "" {
		subject = nhs
	}
	coding := map[string]any{"system": "http://snomed.info/sct", "code": code}
	if display != "" {
		coding["display"] = display
	}
	return map[string]any{
		"resourceType": "Flag",
		"id":           id,
		"status":       status,
		"code":         map[string]any{"coding": []any{coding}},
		"subject": map[string]any{"identifier": map[string]any{
			"system": "https://fhir.nhs.uk/Id/nhs-number", "value": subject.Digits(),
		}},
		"period": map[string]any{"start": f.Assessed.Format(time.DateOnly)},
	}
}
