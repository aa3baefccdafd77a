package app

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
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
// the alert's view model: PDS retrieve and silent CP-IS check together, then
// the notifying open and the access history.
func BenchmarkCheck(b *testing.B) { withLatency(b, benchCheck) }

// BenchmarkPlainSequential is the baseline: a plain net/http client making
// the same four requests one after another and decoding each body.
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
		t, err := chk.Trace(ctx, sess, nhs, p)
		if err != nil || !t.Present {
			b.Fatalf("trace: %v", err)
		}
		if _, err := chk.Open(ctx, sess, nhs, p); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	kiosktest.ReportLatency(b, d)
}

func benchPlain(b *testing.B, s *sandbox.Server) {
	_, sess := kiosktest.ClientFor(b, s)
	pool, _ := spine.LoadCA(s.CAFile())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	pds, cp, _ := s.Bases()
	get := func(u string, h map[string]string) {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+sess.Token)
		req.Header.Set("X-Request-ID", uuid.NewString())
		req.Header.Set("NHSD-Session-URID", sess.Role.ID)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var body any
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%s: %d %v", u, resp.StatusCode, err)
		}
	}
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		nhs := TestPatients[i%2].Digits()
		id := url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|" + nhs)
		get(pds+"/Patient/"+nhs, nil)
		get(cp+"/CareTeam?patient:identifier="+id, map[string]string{"TraceID": uuid.NewString(), "IsUnscheduledAccessEvent": "false"})
		get(cp+"/CareTeam?patient:identifier="+id, map[string]string{"TraceID": uuid.NewString(), "IsUnscheduledAccessEvent": "true", "Idempotency-Key": uuid.NewString()})
		get(cp+"/AuditEvent?patient:identifier="+id, map[string]string{"TraceID": uuid.NewString(), "IsUnscheduledAccessEvent": "false"})
		d = append(d, time.Since(start))
	}
	kiosktest.ReportLatency(b, d)
}
