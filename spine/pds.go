package spine

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/nhs-cpis/kiosk/cpis"
)

// MaxSearchResults is the most PDS returns to a healthcare worker
// (personal-demographics.yaml, _max-results: "between 1 and 50, and the
// default is 50").
const MaxSearchResults = 50

// Patient retrieves a patient from PDS: GET {PDSBase}/Patient/{nhs}. A
// restricted patient comes back with Restricted set and no postcode.
//
// A superseded record is followed: when PDS answers the number asked for
// with a patient whose id is another NHS number, that is the current
// number (spine-interfaces.md, "A superseded record"), and the patient
// comes back under it with Superseded set to the number asked for. From
// then on the caller uses the returned number, for CP-IS too.
//
// The request is sent again after a dropped connection or a gateway
// failure, with the same X-Request-ID (Config.PDSAttempts).
func (c *Client) Patient(ctx context.Context, s Session, nhs cpis.NHSNumber) (cpis.Patient, error) {
	const op = "retrieving patient"
	nhs, err := cpis.ParseNHSNumber(string(nhs))
	if err != nil {
		return cpis.Patient{}, &Error{Op: op, Err: fmt.Errorf("%w: %w", ErrInvalid, err)}
	}
	a, err := c.do(ctx, call{
		op: op, service: "pds", method: http.MethodGet,
		url:       c.cfg.PDSBase + "/Patient/" + url.PathEscape(nhs.Digits()),
		header:    pdsHeaders(s),
		requestID: true, attempts: c.cfg.PDSAttempts,
	})
	if err != nil {
		return cpis.Patient{}, err
	}
	p, err := decodePatient(a.body, c.now())
	if err != nil {
		return cpis.Patient{}, wrapDecode(op, a, err)
	}
	if p.NHS != nhs {
		p.Superseded = nhs
	}
	return p, nil
}

// Search finds patients on PDS by demographics: GET
// {PDSBase}/Patient?family=&given=&gender=&birthdate=eqYYYY-MM-DD&address-postalcode=&_max-results=N.
// Family name and date of birth are the minimum PDS accepts for a
// non-fuzzy search; without them Search returns ErrInvalid and sends
// nothing. max is clamped to 1..50. More matches than max give
// ErrTooManyMatches, whether PDS says so under HTTP 200 (as its
// specification gives it) or 400 (as older sandboxes do); none gives
// nil, nil.
func (c *Client) Search(ctx context.Context, s Session, q cpis.SearchQuery, max int) ([]cpis.Patient, error) {
	const op = "searching for patient"
	if strings.TrimSpace(q.Family) == "" || q.BirthDate.IsZero() {
		return nil, &Error{Op: op, Code: "MISSING_VALUE",
			Err: fmt.Errorf("%w: family name and date of birth are both needed", ErrInvalid)}
	}
	if max <= 0 || max > MaxSearchResults {
		max = MaxSearchResults
	}
	v := url.Values{}
	v.Set("family", q.Family)
	if q.Given != "" {
		v.Set("given", q.Given)
	}
	switch q.Gender {
	case cpis.Male, cpis.Female, cpis.Other, cpis.Unknown:
		v.Set("gender", string(q.Gender))
	}
	v.Set("birthdate", "eq"+q.BirthDate.Format("2006-01-02"))
	if q.Postcode != "" {
		v.Set("address-postalcode", q.Postcode)
	}
	v.Set("_max-results", strconv.Itoa(max))
	a, err := c.do(ctx, call{
		op: op, service: "pds", method: http.MethodGet,
		url:       c.cfg.PDSBase + "/Patient?" + v.Encode(),
		header:    pdsHeaders(s),
		requestID: true, attempts: c.cfg.PDSAttempts,
	})
	if err != nil {
		return nil, err
	}
	pts, err := decodeSearch(a.body, c.now())
	if err != nil {
		return nil, wrapDecode(op, a, err)
	}
	if len(pts) > max {
		// A server that ignored _max-results: the user must still narrow
		// the search rather than pick from a list cut short.
		return nil, wrapDecode(op, a, ErrTooManyMatches)
	}
	return pts, nil
}
