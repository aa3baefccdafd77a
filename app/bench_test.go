package app

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

// latencies are the network delays each benchmark runs under: loopback,
// and a delay per request like a Spine across the country.
var latencies = []time.Duration{0, 20 * time.Millisecond}

func withLatency(b *testing.B, fn func(b *testing.B, s *sandbox.Server)) {
	for _, d := range latencies {
		b.Run("latency="+d.String(), func(b *testing.B) {
			s, _, _ := kiosktest.StartSandbox(b)
			if d > 0 {
				s.SetFault(sandbox.Fault{Mode: sandbox.FaultSlow, Delay: d})
			}
			fn(b, s)
		})
	}
}

// BenchmarkCheck is the kiosk's whole check, from a submitted NHS number to
// the alert's view model: the PDS retrieve, the one CP-IS query and the
// access history, each audited.
func BenchmarkCheck(b *testing.B) { withLatency(b, benchCheck) }

// BenchmarkPlainSequential is the baseline: a plain net/http client making
// the same three published requests (PDS retrieve, CP-IS CareTeam,
// AuditEvent with includes) one after another, with only the published
// headers, and decoding each body.
func BenchmarkPlainSequential(b *testing.B) { withLatency(b, benchPlain) }

func benchCheck(b *testing.B, s *sandbox.Server) {
	c, sess := kiosktest.ClientFor(b, s)
	chk := &check.Checker{Spine: c, Audit: &kiosktest.MemAudit{}, Setting: cpis.EmergencyDepartment, Now: time.Now, Log: kiosktest.Quiet()}
	ctx := context.Background()
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		nhs := TestPatients[i%2]
		p := check.NewPresentation(start)
		if _, err := chk.Trace(ctx, sess, nhs, p); err != nil {
			b.Fatalf("trace: %v", err)
		}
		a, err := chk.Open(ctx, sess, nhs, p)
		if err != nil || len(a.Plans) == 0 {
			b.Fatalf("open: %v", err)
		}
		d = append(d, time.Since(start))
	}
	kiosktest.ReportLatency(b, d)
}

func benchPlain(b *testing.B, s *sandbox.Server) {
	_, sess := kiosktest.ClientFor(b, s)
	get := kiosktest.PlainGet(b, s, sess.Token)
	pds, cp := s.Bases()
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		nhs := TestPatients[i%2].Digits()
		id := url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|" + nhs)
		trace := uuid.NewString()
		cpisHeaders := map[string]string{"TraceID": trace, "IsUnscheduledAccessEvent": "true"}
		get(pds+"/Patient/"+nhs, map[string]string{"X-Request-ID": uuid.NewString(), "NHSD-Session-URID": sess.Role.ID,
			"NHSD-End-User-Organisation-ODS": sess.Role.OrgCode})
		get(cp+"/CareTeam?patient:identifier="+id, cpisHeaders)
		get(cp+"/AuditEvent?patient:identifier="+id+"&_include="+url.QueryEscape("AuditEvent:entity-type=http://terminology.hl7.org/CodeSystem/v3-RoleClass|ASSIGNED"), cpisHeaders)
		d = append(d, time.Since(start))
	}
	kiosktest.ReportLatency(b, d)
}
