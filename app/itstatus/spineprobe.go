package itstatus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

// endpoint is one Spine service to probe.
type endpoint struct {
	ID, Title string
	// URL is what the probe asks for: a route that goes through the
	// service's front door without a token and without patient details, so
	// the answer (a 401 or 400) shows the service is there and costs it
	// nothing.
	URL string
}

// Endpoints are the national services the kiosk uses, as configured or
// as the embedded sandbox serves them (CAFile: the sandbox's CA).
type Endpoints struct {
	PDS, CPIS, FGM, Issuer, Token, CAFile string
}

// SandboxEndpoints are the embedded sandbox's services.
func SandboxEndpoints(s *sandbox.Server) Endpoints {
	e := Endpoints{FGM: s.FGMBase(), Issuer: s.Issuer(), Token: s.PlatformTokenURL(), CAFile: s.CAFile()}
	e.PDS, e.CPIS = s.Bases()
	return e
}

// spineEndpoints are the probes: PDS's, CP-IS's and FGM-IS's search
// routes with no parameters and no token, the CIS2 issuer's discovery document, and the
// API platform's token endpoint with no form (a 400 or 405 is it there).
func spineEndpoints(e Endpoints) []endpoint {
	eps := []endpoint{
		{ID: "spine.pds", Title: titles["spine.pds"], URL: strings.TrimRight(e.PDS, "/") + "/Patient"},
		{ID: "spine.cpis", Title: titles["spine.cpis"], URL: strings.TrimRight(e.CPIS, "/") + "/CareTeam"},
	}
	if e.FGM != "" {
		eps = append(eps, endpoint{ID: "spine.fgm", Title: titles["spine.fgm"], URL: strings.TrimRight(e.FGM, "/") + "/Flag"})
	}
	if e.Issuer != "" {
		eps = append(eps, endpoint{ID: "spine.identity", Title: titles["spine.identity"],
			URL: strings.TrimRight(e.Issuer, "/") + "/.well-known/openid-configuration"})
	}
	if e.Token != "" {
		eps = append(eps, endpoint{ID: "spine.token", Title: titles["spine.token"], URL: e.Token})
	}
	return eps
}

// probeClient is an HTTP client for the probes: a fresh connection every
// time (so the TLS handshake and its certificate are part of what is
// measured), the given roots only, and the Spine's own timeout.
func probeClient(roots *x509.CertPool, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:             http.ProxyFromEnvironment,
		TLSClientConfig:   &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DisableKeepAlives: true,
		ForceAttemptHTTP2: false,
		DialContext:       (&net.Dialer{Timeout: timeout}).DialContext,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// spineRoots is the pool the kiosk's Spine client trusts for this
// configuration: the sandbox's own CA when embedded, spine.ca_file when
// set, else the system's roots.
func spineRoots(cfg config.Config, sandboxCA string) (*x509.CertPool, error) {
	switch {
	case cfg.Embedded() && sandboxCA != "":
		return spine.LoadCA(sandboxCA)
	case cfg.Spine.CAFile != "":
		return spine.LoadCA(cfg.Spine.CAFile)
	}
	return x509.SystemCertPool()
}

// probeEndpoint makes one request and notes how long it took, the status,
// the server's certificate and its clock.
func probeEndpoint(ctx context.Context, c *http.Client, e endpoint, now func() time.Time) endpointFacts {
	f := endpointFacts{ID: e.ID, Title: e.Title, URL: e.URL}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL, nil)
	if err != nil {
		f.Err = fmt.Errorf("the address %q cannot be used: %w", e.URL, err)
		return f
	}
	// PDS refuses a request without X-Request-ID (a 400 is still an
	// answer, but a correct request is the kinder probe).
	req.Header.Set("X-Request-ID", uuid.NewString())
	req.Header.Set("Accept", "application/fhir+json")
	start := now()
	resp, err := c.Do(req)
	f.Latency = now().Sub(start)
	if err != nil {
		f.Err = err
		return f
	}
	resp.Body.Close()
	f.Status = resp.StatusCode
	f.Mid = start.Add(f.Latency / 2)
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		f.Date = d
	}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		f.Cert = resp.TLS.PeerCertificates[0]
	}
	return f
}
