package spine

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

var longNumber = regexp.MustCompile(`[0-9]{5,}`)

// "Logs never contain an NHS number, a name or a passcode. A test proves
// it." (DESIGN.md) Here for the client and the sandbox together, across
// successes, refusals and faults, with errors returned counted as log
// lines too, since callers log them.
func TestLogsAndErrorsHoldNoPatientData(t *testing.T) {
	e := newEnv(t, func(_ *sandbox.Options, c *Config) { c.Timeout = 300 * time.Millisecond })
	var errs []error
	keep := func(_ any, err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	seeds := e.sb.Patients()
	for _, p := range seeds[:20] {
		_, err := e.client.Patient(ctx(t), e.sess, p.NHS)
		keep(nil, err)
		keep(e.client.Plans(ctx(t), e.sess, p.NHS, uuid.NewString()))
		keep(e.client.History(ctx(t), e.sess, p.NHS, uuid.NewString()))
		if !p.BirthDate.IsZero() {
			keep(e.client.Search(ctx(t), e.sess, cpis.SearchQuery{Family: p.Family, Given: p.Given, BirthDate: p.BirthDate, Postcode: p.Postcode}, 10))
		}
	}
	keep(e.client.Search(ctx(t), e.sess, cpis.SearchQuery{Family: "SMITH", BirthDate: seeds[len(seeds)-1].BirthDate}, 50))
	for _, f := range []sandbox.FaultMode{sandbox.Fault5xx, sandbox.FaultMalformed, sandbox.FaultHang, sandbox.FaultRefuse, sandbox.FaultDrop} {
		e.sb.SetFault(sandbox.Fault{Mode: f})
		keep(e.client.Patient(ctx(t), e.sess, "9990276579"))
		keep(e.client.Plans(ctx(t), e.sess, "9990276579", ""))
	}
	// A caller's trace id that is not a UUID is not logged as it is.
	e.sb.SetFault(sandbox.Fault{})
	keep(e.client.Plans(ctx(t), e.sess, "9990276579", "9990276579"))
	e.sb.SetFault(sandbox.Fault{})
	e.clock.Add(time.Hour) // the token expires
	keep(e.client.Patient(ctx(t), e.sess, "9990276579"))

	var forbidden []string
	for _, p := range seeds {
		forbidden = append(forbidden, p.NHS.Digits(), p.NHS.String())
		if p.Given != "" {
			forbidden = append(forbidden, p.Given)
		}
		if p.Family != "" && len(p.Family) > 3 {
			forbidden = append(forbidden, p.Family, strings.ToLower(p.Family))
		}
		if !p.BirthDate.IsZero() {
			forbidden = append(forbidden, p.BirthDate.Format(time.DateOnly))
		}
	}
	entries := e.logs.AllEntries()
	if len(entries) < 100 {
		t.Fatalf("only %d log lines: is logging on?", len(entries))
	}
	var lines []string
	for _, en := range entries {
		lines = append(lines, en.Message+" "+fmt.Sprint(en.Data))
		if en.Data["component"] == "sandbox" && en.Message == "request" {
			if r, _ := en.Data["route"].(string); longNumber.MatchString(r) {
				t.Errorf("route %q is a path, not a pattern", r)
			}
		}
	}
	for _, err := range errs {
		lines = append(lines, err.Error())
	}
	if len(errs) < 10 {
		t.Fatalf("only %d errors: the faults did not happen", len(errs))
	}
	for _, l := range lines {
		for _, f := range forbidden {
			if strings.Contains(l, f) {
				t.Errorf("%q appears in %q", f, l)
			}
		}
	}
}
