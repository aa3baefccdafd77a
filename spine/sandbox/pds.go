package sandbox

import (
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
)

// PDS FHIR R4, after the public specification (NHSDigital/
// personal-demographics-service-api, specification/personal-demographics.yaml).

// pdsRequest checks what every PDS call needs: a UUID X-Request-ID, which
// PDS refuses a request without, and a role that may trace (B0264). false
// means it has answered.
func (s *Server) pdsRequest(w http.ResponseWriter, r *http.Request) bool {
	v := r.Header.Get("X-Request-ID")
	if v == "" {
		writeOutcome(w, http.StatusBadRequest, "MISSING_VALUE", "Missing value - 'X-Request-ID' header must be supplied")
		return false
	}
	if _, err := uuid.Parse(v); err != nil {
		writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Invalid value in header 'X-Request-ID': it must be a UUID")
		return false
	}
	_, ok := s.authorise(w, r, cpis.PerformTrace)
	return ok
}

// strictNHS accepts exactly ten digits with a good check digit, as a
// resource id must be.
func strictNHS(s string) (cpis.NHSNumber, bool) {
	if len(s) != 10 || strings.Trim(s, "0123456789") != "" {
		return "", false
	}
	n, err := cpis.ParseNHSNumber(s)
	return n, err == nil
}

func (s *Server) getPatient(w http.ResponseWriter, r *http.Request) {
	if !s.pdsRequest(w, r) {
		return
	}
	nhs, ok := strictNHS(r.PathValue("id"))
	if !ok {
		writeOutcome(w, http.StatusBadRequest, "INVALID_RESOURCE_ID", "Invalid resource ID: not a valid NHS number")
		return
	}
	p := s.patients[nhs] // the seed never changes after New
	if p != nil && p.SupersededBy != "" {
		// A superseded number: the current record, under its own id
		// (spine-interfaces.md, "A superseded record").
		p = s.patients[p.SupersededBy]
	}
	if p == nil || p.NotOnPDS {
		writeOutcome(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Patient record not found")
		return
	}
	w.Header().Set("ETag", `W/"1"`)
	writeJSON(w, http.StatusOK, fhirJSON, patientJSON(p))
}

// patientJSON is the Patient resource in the shape of the public
// examples (components/examples/Patient.json). A restricted patient has
// meta.security R and no address, telecom or registered GP.
func patientJSON(p *SeedPatient) map[string]any {
	sec := map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "U", "display": "unrestricted"}
	if p.Restricted {
		sec["code"], sec["display"] = "R", "restricted"
	}
	res := map[string]any{
		"resourceType": "Patient",
		"id":           p.NHS.Digits(),
		"identifier": []any{map[string]any{
			"system": "https://fhir.nhs.uk/Id/nhs-number",
			"value":  p.NHS.Digits(),
			"extension": []any{map[string]any{
				"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
				"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{
					"system":  "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatus",
					"version": "1.0.0", "code": "01", "display": "Number present and verified",
				}}},
			}},
		}},
		"meta": map[string]any{"versionId": "1", "security": []any{sec}},
	}
	since := "2000-01-01"
	if !p.BirthDate.IsZero() {
		since = p.BirthDate.Format(time.DateOnly)
		res["birthDate"] = since
	}
	if p.Given != "" || p.Family != "" {
		res["name"] = []any{map[string]any{
			"id": "1", "use": "usual", "period": map[string]any{"start": since},
			"given": strings.Fields(p.Given), "family": p.Family,
		}}
	}
	if p.Gender != "" {
		res["gender"] = string(p.Gender)
	}
	if !p.Restricted && p.Postcode != "" {
		res["address"] = []any{map[string]any{
			"id": "1", "use": "home", "period": map[string]any{"start": since},
			"line": []string{"1 Sandbox Street", "Synthetic Town"}, "postalCode": p.Postcode,
		}}
		res["telecom"] = []any{map[string]any{
			"id": "1", "period": map[string]any{"start": since}, "system": "phone", "value": "01632 960999", "use": "home",
		}}
		res["generalPractitioner"] = []any{map[string]any{
			"id": "1", "type": "Organization",
			"identifier": map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"},
		}}
	}
	return res
}

// searchParams are those PDS knows; any other is refused.
var searchParams = map[string]bool{
	"family": true, "given": true, "gender": true, "birthdate": true,
	"address-postalcode": true, "address-postcode": true, "_max-results": true,
	"_fuzzy-match": true, "_exact-match": true, "_history": true,
	"death-date": true, "general-practitioner": true, "email": true, "phone": true,
}

var dateParam = regexp.MustCompile(`^(eq|ge|le)?(\d{4}-\d{2}-\d{2})$`)

// searchPatients: family name and birth date are the minimum;
// _max-results is 1 to 50, 50 by default; more matches than that answer
// 200 with the TOO_MANY_MATCHES OperationOutcome, as PDS does. Matching
// ignores case, and spaces in postcodes, and takes "*" wildcards. With a
// postcode, restricted patients are never returned.
func (s *Server) searchPatients(w http.ResponseWriter, r *http.Request) {
	if !s.pdsRequest(w, r) {
		return
	}
	q := r.URL.Query()
	for k := range q {
		if !searchParams[k] {
			writeOutcome(w, http.StatusBadRequest, "ADDITIONAL_PROPERTIES", "Additional properties are not allowed ('"+safeParam(k)+"' was unexpected)")
			return
		}
	}
	family := strings.ToLower(q.Get("family"))
	if family == "" || len(q["birthdate"]) == 0 {
		writeOutcome(w, http.StatusBadRequest, "MISSING_VALUE", "Missing value - family name and birthdate are the minimum search")
		return
	}
	type bound struct {
		op  string
		day time.Time
	}
	var dates []bound
	for _, v := range q["birthdate"] {
		m := dateParam.FindStringSubmatch(v)
		var day time.Time
		var err error
		if m != nil {
			day, err = time.Parse(time.DateOnly, m[2])
		}
		if m == nil || err != nil {
			writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Invalid value in field 'birthdate': use eqYYYY-MM-DD")
			return
		}
		op := m[1]
		if op == "" {
			op = "eq"
		}
		dates = append(dates, bound{op, day})
	}
	gender := q.Get("gender")
	switch cpis.Gender(gender) {
	case "", cpis.Male, cpis.Female, cpis.Other, cpis.Unknown:
	default:
		writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Invalid value in field 'gender'")
		return
	}
	max := 50
	if v := q.Get("_max-results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Invalid value in field '_max-results': 1 to 50")
			return
		}
		max = n
	}
	postcode := normPostcode(q.Get("address-postalcode") + q.Get("address-postcode"))
	givens := q["given"]

	var matches []*SeedPatient
	for i := range s.seed {
		p := &s.seed[i]
		if p.NotOnPDS || p.Family == "" || !wildMatch(family, strings.ToLower(p.Family)) {
			continue
		}
		if gender != "" && string(p.Gender) != gender {
			continue
		}
		if postcode != "" && (p.Restricted || !wildMatch(postcode, normPostcode(p.Postcode))) {
			continue
		}
		ok := !p.BirthDate.IsZero()
		for _, b := range dates {
			switch b.op {
			case "eq":
				ok = ok && p.BirthDate.Equal(b.day)
			case "ge":
				ok = ok && !p.BirthDate.Before(b.day)
			case "le":
				ok = ok && !p.BirthDate.After(b.day)
			}
		}
		for _, g := range givens {
			found := false
			for _, pg := range strings.Fields(p.Given) {
				found = found || wildMatch(strings.ToLower(g), strings.ToLower(pg))
			}
			ok = ok && found
		}
		if ok {
			matches = append(matches, p)
		}
	}
	if len(matches) > max {
		writeOutcome(w, http.StatusOK, "TOO_MANY_MATCHES", "")
		return
	}
	base := "https://" + r.Host + PDSPath + "/Patient/"
	entries := make([]any, 0, len(matches))
	for _, p := range matches {
		entries = append(entries, map[string]any{
			"fullUrl":  base + p.NHS.Digits(),
			"search":   map[string]any{"score": 1},
			"resource": patientJSON(p),
		})
	}
	writeJSON(w, http.StatusOK, fhirJSON, searchset(s.opts.Now(), entries))
}

// searchset is a FHIR searchset Bundle.
func searchset(now time.Time, entries []any) map[string]any {
	b := map[string]any{
		"resourceType": "Bundle", "type": "searchset",
		"timestamp": now.UTC().Format(time.RFC3339), "total": len(entries),
	}
	if len(entries) > 0 {
		b["entry"] = entries
	}
	return b
}

// wildMatch matches a lower-case pattern with "*" wildcards.
func wildMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	ok, err := path.Match(strings.NewReplacer("?", `\?`, "[", `\[`, `\`, `\\`).Replace(pattern), s)
	return err == nil && ok
}

// safeParam keeps an unknown parameter's name fit to echo: short, and no
// digits, in case someone put an NHS number there.
func safeParam(k string) string {
	if len(k) > 40 {
		k = k[:40]
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '#'
		}
		return r
	}, k)
}
