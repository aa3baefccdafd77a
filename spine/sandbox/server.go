// Package sandbox is the embedded Spine sandbox: PDS FHIR R4, CP-IS FHIR
// R4, FGM-IS's Flag query and a CIS2-shaped identity service, served over
// HTTPS on loopback with synthetic data (see Seed), so that a newcomer
// runs the kiosk and it works, and so that tests run the real client over
// real TLS.
//
// It answers as the published interfaces say and nothing more: PDS after
// its public specification, CP-IS exactly as NHS England's CP-IS API
// Consumer Implementation guide publishes it (see cpis.go), and FGM-IS as
// its FHIR guide and spine-interfaces.md say (see fgm.go), so that
// pointing the kiosk at a real endpoint is a configuration change. The
// spine package's tests hold it to fixtures written by hand from the
// guide. Beyond the interfaces it records every access and local
// authority notification, and every FGM-IS query, for tests to read back
// (which child, which user and role profile, when), applies CP-IS's
// 24-hour rule and 28 days after a due date, and can be told to fail
// (SetFault): refuse connections, hang, answer 5xx, 429 with Retry-After,
// malformed or oversized bodies, or do the request and then drop the
// answer.
//
// Its TLS certificate is signed by its own CA, made once in
// Options.StateDir and reused, which the kiosk trusts explicitly
// (CAFile). Access records, notifications, FGM-IS queries and tokens live
// in memory and start afresh with each process.
//
// Its logs (component=sandbox) carry the method, the route pattern (never
// the path, which holds the NHS number), the status and the request id;
// never an NHS number, a name or a date of birth.
package sandbox

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine/internal/logs"
)

// Base paths, as on the real API platform (spine-interfaces.md).
const (
	PDSPath   = "/personal-demographics/FHIR/R4"
	CPISPath  = "/cpis/FHIR/R4"
	FGMPath   = "/fgm/FHIR/R4"
	AdminPath = "/_sandbox"
)

// DefaultTokenTTL is how long a sandbox token lasts.
const DefaultTokenTTL = 15 * time.Minute

// Options configures a Server.
type Options struct {
	// StateDir holds the CA and server certificate; required.
	StateDir string
	// Now is the sandbox's clock for records, tokens and the seed data's
	// ages; time.Now when nil. TLS and rate limiting use the real clock.
	Now func() time.Time
	// TokenTTL is how long an access token lasts. When zero: DefaultTokenTTL
	// for the /identity routes, and 599 seconds for the API platform's
	// (platform.go), which otherwise lasts TokenTTL too.
	TokenTTL time.Duration
	Log      logrus.FieldLogger
	// RateLimit turns on PDS's 5 requests a second (429 past it).
	RateLimit bool
}

// Server is the sandbox. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	log     logrus.FieldLogger
	cert    tls.Certificate
	handler http.Handler
	closing chan struct{}

	// mu guards the listener's life and the fault.
	mu         sync.Mutex
	addr       string
	srv        *http.Server
	closed     bool
	fault      Fault
	faultGen   uint64
	rateLimit  bool
	rateWindow time.Time
	rateCount  int
	throttled  int

	// dmu guards the records.
	dmu           sync.Mutex
	seed          []SeedPatient
	patients      map[cpis.NHSNumber]*SeedPatient
	accesses      map[cpis.NHSNumber][]AccessRecord
	notifications []Notification
	fgmQueries    []FGMQuery
	users         map[string]cpis.User
	tokens        map[string]token
	cards         map[string]card
	cis2          cis2State     // the OpenID provider (cis2.go)
	platform      platformState // the API platform (platform.go)
	jtis          map[string]time.Time
}

// New makes the sandbox, its certificates (or reuses those in StateDir)
// and its records; Start serves it.
func New(opts Options) (*Server, error) {
	if opts.StateDir == "" {
		return nil, errors.New("making sandbox: no state directory")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	platform := newPlatformState(opts.TokenTTL)
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	cert, err := loadOrCreatePKI(opts.StateDir)
	if err != nil {
		return nil, fmt.Errorf("making sandbox: %w", err)
	}
	cis2, err := newCIS2State()
	if err != nil {
		return nil, fmt.Errorf("making sandbox: %w", err)
	}
	s := &Server{
		opts:      opts,
		log:       logs.Component(opts.Log, "sandbox"),
		cert:      cert,
		closing:   make(chan struct{}),
		rateLimit: opts.RateLimit,
		patients:  map[cpis.NHSNumber]*SeedPatient{},
		accesses:  map[cpis.NHSNumber][]AccessRecord{},
		users:     map[string]cpis.User{DemoUser.ID: DemoUser},
		tokens:    map[string]token{},
		cards:     map[string]card{},
		cis2:      cis2,
		platform:  platform,
		jtis:      map[string]time.Time{},
	}
	now := opts.Now()
	s.seed = Seed(now)
	for i := range s.seed {
		p := &s.seed[i]
		s.patients[p.NHS] = p
		if p.PastAccesses > 0 {
			s.accesses[p.NHS] = seedAccesses(p.NHS, p.PastAccesses, now)
		}
	}
	s.handler = s.routes()
	return s, nil
}

// route kinds, for wrap.
type routeKind int

const (
	routeAdmin routeKind = iota
	routePDS
	routeCPIS
	routeIdentity
	routeFGM
)

// service is the kind's name as Fault.Only gives it.
func (k routeKind) service() string {
	return [...]string{"admin", "pds", "cpis", "identity", "fgm"}[k]
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	spine := func(pattern string, h http.HandlerFunc, kind routeKind) {
		mux.Handle(pattern, s.wrap(pattern, h, kind))
	}
	spine("GET "+PDSPath+"/Patient/{id}", s.getPatient, routePDS)
	spine("GET "+PDSPath+"/Patient", s.searchPatients, routePDS)
	spine("GET "+CPISPath+"/CareTeam", s.getCareTeams, routeCPIS)
	spine("GET "+CPISPath+"/AuditEvent", s.getAuditEvents, routeCPIS)
	spine("GET "+FGMPath+"/Flag", s.getFlags, routeFGM)
	spine("GET "+CIS2Path+"/.well-known/openid-configuration", s.cis2Discovery, routeIdentity)
	spine("GET "+CIS2Path+"/jwks", s.cis2JWKS, routeIdentity)
	spine("GET "+CIS2Path+"/authorize", s.cis2Authorize, routeIdentity)
	spine("POST "+CIS2Path+"/authorize", s.cis2Authorize, routeIdentity)
	spine("POST "+CIS2Path+"/authorize/card", s.cis2Card, routeIdentity)
	spine("POST "+CIS2Path+"/authorize/demo", s.cis2Demo, routeIdentity)
	spine("POST "+CIS2Path+"/token", s.cis2Token, routeIdentity)
	spine("POST "+CIS2Path+"/revoke", s.cis2Revoke, routeIdentity)
	spine("GET "+CIS2Path+"/logout", s.cis2Logout, routeIdentity)
	spine("POST "+CIS2Path+"/logout", s.cis2Logout, routeIdentity)
	spine("POST "+PlatformTokenPath, s.platformToken, routeIdentity)
	admin := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, s.wrap(pattern, s.loopbackOnly(h), routeAdmin))
	}
	admin("GET "+AdminPath+"/fault", s.adminGetFault)
	admin("POST "+AdminPath+"/fault", s.adminSetFault)
	admin("POST "+AdminPath+"/ratelimit", s.adminRateLimit)
	admin("GET "+AdminPath+"/notifications", s.adminNotifications)
	admin("GET "+AdminPath+"/accesses", s.adminAccesses)
	mux.Handle("/", s.wrap("/", func(w http.ResponseWriter, r *http.Request) {
		writeOutcome(w, http.StatusNotFound, "NOT_FOUND", "No such endpoint in the sandbox")
	}, routeAdmin))
	return mux
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves in
// the background.
func (s *Server) Start(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errors.New("starting sandbox: it is closed")
	case s.addr != "":
		return errors.New("starting sandbox: already started")
	}
	if err := s.listen(addr); err != nil {
		return fmt.Errorf("starting sandbox: %w", err)
	}
	s.log.WithField("addr", s.addr).Info("sandbox listening")
	return nil
}

// listen serves on addr; s.mu is held. A new http.Server each time: the
// refuse fault closes the old one with all its connections.
func (s *Server) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.addr = ln.Addr().String()
	srv := &http.Server{
		Handler:           s.handler,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          newStdLogger(s.log),
	}
	s.srv = srv
	go func() {
		if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.WithError(err).Warn("sandbox stopped serving")
		}
	}()
	return nil
}

// URL is the sandbox's base, https://127.0.0.1:PORT.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "https://" + s.addr
}

// Bases are PDS's and CP-IS's bases, for spine.Config.
func (s *Server) Bases() (pds, cpisBase string) {
	u := s.URL()
	return u + PDSPath, u + CPISPath
}

// FGMBase is FGM-IS's base, for the kiosk's FGM-IS client.
func (s *Server) FGMBase() string { return s.URL() + FGMPath }

// CAFile is the CA certificate the kiosk must trust, and nothing else.
func (s *Server) CAFile() string { return filepath.Join(s.opts.StateDir, CAFileName) }

// Patients is the seed table as this sandbox serves it.
func (s *Server) Patients() []SeedPatient {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return append([]SeedPatient(nil), s.seed...)
}

// Close stops serving and releases any request held by a fault.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.faultGen++
	close(s.closing)
	if s.srv != nil {
		err := s.srv.Close()
		s.srv = nil
		return err
	}
	return nil
}

// statusWriter remembers the status for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// wrap adds to a handler: the log line, PDS's echoed request ids and,
// for the Spine routes, the fault and (for PDS) the rate limit.
func (s *Server) wrap(pattern string, h http.HandlerFunc, kind routeKind) http.Handler {
	route := pattern
	if _, r, ok := strings.Cut(pattern, " "); ok {
		route = r
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		// PDS echoes X-Request-ID and X-Correlation-ID
		// (personal-demographics.yaml); CP-IS and FGM-IS answer only Date
		// and Content-Type (each guide's "Headers", "Responses").
		if kind != routeCPIS && kind != routeFGM {
			if v := r.Header.Get("X-Request-ID"); v != "" && len(v) <= 200 {
				w.Header().Set("X-Request-ID", v)
			}
			if v := r.Header.Get("X-Correlation-ID"); v != "" && len(v) <= 200 {
				w.Header().Set("X-Correlation-ID", v)
			}
		}
		defer func() {
			// Only ids that are UUIDs are logged: a header is the caller's
			// text and could hold anything, an NHS number included.
			s.log.WithFields(logrus.Fields{
				"method": r.Method, "route": route, "status": sw.status,
				"request_id": loggableID(r.Header.Get("X-Request-ID")),
				"trace_id":   loggableID(r.Header.Get("TraceID")),
				"duration":   time.Since(start).Round(time.Millisecond),
			}).Debug("request")
		}()
		if kind != routeAdmin {
			switch s.applyFault(sw, r, kind) {
			case faultAnswered:
				return
			case faultDropAfter:
				// The request is done in full (the access recorded, the
				// local authority notified), then the answer is lost.
				h(&discardWriter{header: http.Header{}}, r)
				sw.status = -1
				panic(http.ErrAbortHandler)
			}
			if kind == routePDS && !s.allowRate(sw) {
				return
			}
		}
		h(sw, r)
	})
}

// discardWriter takes an answer that is never sent.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func loggableID(v string) string {
	if v == "" {
		return ""
	}
	if _, err := uuid.Parse(v); err != nil {
		return "(not a UUID)"
	}
	return v
}

// loopbackOnly keeps the admin API to this machine.
func (s *Server) loopbackOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeOutcome(w, http.StatusForbidden, "ACCESS_DENIED", "The sandbox admin API is for this machine only")
			return
		}
		h(w, r)
	}
}

func (s *Server) adminGetFault(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.fault
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, "application/json", f)
}

func (s *Server) adminSetFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&f); err != nil {
		writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Fault: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, "application/json", f)
	if f.Mode == FaultRefuse {
		// After this answer has gone: the fault closes this very connection.
		go s.SetFault(f)
		return
	}
	s.SetFault(f)
}

func (s *Server) adminRateLimit(w http.ResponseWriter, r *http.Request) {
	var v struct {
		Enabled bool `json:"enabled"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&v); err != nil {
		writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "Rate limit: "+err.Error())
		return
	}
	s.SetRateLimit(v.Enabled)
	writeJSON(w, http.StatusOK, "application/json", v)
}

func (s *Server) adminNotifications(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", s.Notifications())
}

func (s *Server) adminAccesses(w http.ResponseWriter, r *http.Request) {
	nhs, err := cpis.ParseNHSNumber(r.URL.Query().Get("nhs"))
	if err != nil {
		writeOutcome(w, http.StatusBadRequest, "INVALID_VALUE", "nhs: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, "application/json", s.Accesses(nhs))
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"resourceType":"OperationOutcome"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// FHIR content type (FHIR R4 http, "application/fhir+json").
const fhirJSON = "application/fhir+json"

// writeOutcome answers an OperationOutcome in the PDS shape: details coded
// from Spine-ErrorOrWarningCode, with diagnostics (personal-demographics.yaml,
// components/schemas/OperationOutcome.yaml). Diagnostics never echo the NHS
// number sent.
func writeOutcome(w http.ResponseWriter, status int, code, diagnostics string) {
	severity, issue := "error", "processing"
	switch code {
	case "MISSING_VALUE":
		issue = "required"
	case "INVALID_VALUE", "INVALID_RESOURCE_ID", "INVALID_SEARCH_DATA":
		issue = "value"
	case "ADDITIONAL_PROPERTIES":
		issue = "structure"
	case "RESOURCE_NOT_FOUND", "NOT_FOUND":
		issue = "not-found"
	case "ACCESS_DENIED":
		issue = "forbidden"
	case "TOO_MANY_MATCHES":
		severity, issue = "information", "multiple-matches"
	case "TOO_MANY_REQUESTS":
		issue = "throttled"
	case "SERVICE_UNAVAILABLE":
		issue = "transient"
	}
	is := map[string]any{
		"severity": severity,
		"code":     issue,
		"details": map[string]any{"coding": []map[string]any{{
			"system": "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode", "version": "1",
			"code": code, "display": display(code),
		}}},
	}
	if diagnostics != "" {
		is["diagnostics"] = diagnostics
	}
	writeJSON(w, status, fhirJSON, map[string]any{"resourceType": "OperationOutcome", "issue": []any{is}})
}

func display(code string) string {
	switch code {
	case "MISSING_VALUE":
		return "Required value is missing"
	case "INVALID_VALUE":
		return "Provided value is invalid"
	case "INVALID_RESOURCE_ID":
		return "Resource Id is invalid"
	case "RESOURCE_NOT_FOUND", "NOT_FOUND":
		return "Resource not found"
	case "ACCESS_DENIED":
		return "Access Denied - Unauthorised"
	case "TOO_MANY_MATCHES":
		return "Too Many Matches"
	case "TOO_MANY_REQUESTS":
		return "You have exceeded your application's rate limit"
	case "SERVICE_UNAVAILABLE":
		return "Service unavailable"
	case "ADDITIONAL_PROPERTIES":
		return "Additional properties are not allowed"
	}
	return code
}

// stdLogger carries net/http's own messages (TLS handshake errors, say)
// into the sandbox log at debug level; they hold addresses, not patients.
type stdLogger struct{ log logrus.FieldLogger }

func (l stdLogger) Write(p []byte) (int, error) {
	l.log.Debug(strings.TrimSpace(string(p)))
	return len(p), nil
}

func newStdLogger(l logrus.FieldLogger) *stdlog.Logger { return stdlog.New(stdLogger{l}, "", 0) }
