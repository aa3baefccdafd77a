// Package spine is the kiosk's client for the national services it uses:
// the Personal Demographics Service (PDS FHIR R4) to trace a patient, the
// Child Protection – Information Sharing service (CP-IS FHIR R4) to read
// Child Care Alerts and their access history. Staff sign in through NHS
// CIS2 with the subpackage cis2.
//
// The facts about the real interfaces are in the project's
// reference/spine-interfaces.md; the PDS ones come from the public
// specification (NHSDigital/personal-demographics-service-api,
// specification/personal-demographics.yaml). The client works unchanged
// against any server that follows them, the embedded sandbox
// (spine/sandbox) included.
//
// Every failure is classified once, here, into a sentinel error (see
// errors.go): the UI and the replayer decide with errors.Is and Retryable.
// No error message and no log line carries an NHS number, a name or a date
// of birth; the X-Request-ID (PDS) or TraceID (CP-IS) stands in for them.
package spine

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/spine/internal/logs"
)

// Defaults for Config.
const (
	// DefaultTimeout bounds one request, answer body included.
	DefaultTimeout = 8 * time.Second
	// DefaultMaxBody is the largest answer read. A PDS search of 50
	// patients is well under 200 KiB, and 25 accesses with their
	// PractitionerRoles under 50 KiB; anything over 4 MiB is not an
	// answer the kiosk can use.
	DefaultMaxBody = 4 << 20
	// DefaultPDSAttempts is how often the client sends one PDS request
	// when the connection drops or a gateway fails: once more, with the
	// same X-Request-ID, so that PDS can tell it is the same request.
	DefaultPDSAttempts = 2
	// retryPause is the wait before that second attempt; a Retry-After
	// longer than maxRetryWait is left to the caller instead.
	retryPause   = 100 * time.Millisecond
	maxRetryWait = time.Second
)

// Config says where the services are and whom to trust.
type Config struct {
	PDSBase  string // e.g. https://int.api.service.nhs.uk/personal-demographics/FHIR/R4
	CPISBase string // e.g. https://int.api.service.nhs.uk/cpis/FHIR/R4
	// FGMBase is FGM-IS's FHIR R4 base, e.g. https://…/FHIR/R4. It is
	// optional: without it FGMFlags refuses (ErrInvalid) and sends nothing.
	FGMBase string
	// RootCAs is the only trust: the sandbox's own CA, or for a real
	// endpoint a pool the operator chose (x509.SystemCertPool, say).
	RootCAs *x509.CertPool
	Timeout time.Duration // per attempt; DefaultTimeout when zero
	MaxBody int64         // DefaultMaxBody when zero
	// PDSAttempts is how often one PDS request may be sent (see
	// DefaultPDSAttempts, the value when zero; 1 turns the retry off).
	// CP-IS requests are sent once, always: a second CareTeam query is a
	// second access and a second notification to the local authority.
	// The FGM-IS query, which notifies nobody, is sent as often as a PDS
	// one, with the same TraceID each time.
	PDSAttempts int
	Log         logrus.FieldLogger
}

// LoadCA reads PEM certificates into a pool, for Config.RootCAs.
func LoadCA(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("reading CA file %s: no PEM certificate in it", file)
	}
	return pool, nil
}

// Session is the signed-in member of staff, sent with every PDS and CP-IS
// call.
type Session struct {
	Token  string // the API platform's access token (docs/SIGNIN.md)
	RoleID string // the selected role's person_roleid: NHSD-Session-URID
	ODS    string // the role's organisation: NHSD-End-User-Organisation-ODS
}

// Client talks to PDS and CP-IS. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
	log  logrus.FieldLogger
	now  func() time.Time
}

// New checks the configuration and builds a client that verifies TLS
// against cfg.RootCAs only.
func New(cfg Config) (*Client, error) {
	if cfg.RootCAs == nil {
		return nil, errors.New("configuring Spine client: no CA to trust (RootCAs)")
	}
	for _, b := range []struct{ name, url string }{{"PDS", cfg.PDSBase}, {"CP-IS", cfg.CPISBase}} {
		u, err := url.Parse(b.url)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("configuring Spine client: the %s base URL must be an https:// URL", b.name)
		}
	}
	if cfg.FGMBase != "" {
		u, err := url.Parse(cfg.FGMBase)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, errors.New("configuring Spine client: the FGM-IS base URL must be an https:// URL")
		}
	}
	cfg.PDSBase = strings.TrimRight(cfg.PDSBase, "/")
	cfg.CPISBase = strings.TrimRight(cfg.CPISBase, "/")
	cfg.FGMBase = strings.TrimRight(cfg.FGMBase, "/")
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.PDSAttempts <= 0 {
		cfg.PDSAttempts = DefaultPDSAttempts
	}
	return &Client{
		cfg:  cfg,
		http: &http.Client{Transport: Transport(cfg.RootCAs)},
		log:  logs.Component(cfg.Log, "spine"),
		now:  time.Now,
	}, nil
}

// Transport is how the kiosk reaches the national services: TLS 1.2 or
// later against the given roots only; HTTP/1.1 with a few kept-alive
// connections (the check's requests go out in parallel, and on short hops
// HTTP/1.1 answers sooner than HTTP/2). The sign-in uses it too.
func Transport(roots *x509.CertPool) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	tr.ForceAttemptHTTP2 = false
	tr.MaxIdleConnsPerHost = 4
	return tr
}

// unreplayable is an empty request body with no way to rewind it, which
// net/http's transport never sends twice.
type unreplayable struct{}

func (unreplayable) Read([]byte) (int, error) { return 0, io.EOF }
func (unreplayable) Close() error             { return nil }

// call is one request.
type call struct {
	op      string // "-ing" phrase for errors: "retrieving patient"
	service string // for logs: "pds", "cpis", "fgm"
	method  string
	url     string
	header  http.Header
	body    any // JSON-encoded when not nil
	// requestID sends an X-Request-ID (PDS), one per call,
	// the same on every attempt, and checks the answer echoes it.
	requestID bool
	// traceID is the TraceID header already in header (CP-IS), for logs
	// and errors.
	traceID string
	// attempts is how often the request may be sent when the connection
	// drops or a gateway fails; 0 or 1 sends it once.
	attempts int
	// once sends the request so that nothing beneath the client can send
	// it a second time (see unreplayable).
	once bool
}

// answer is a 2xx response, read whole.
type answer struct {
	service   string // the call's
	status    int
	requestID string
	traceID   string
	body      []byte
}

// do sends one request and classifies whatever goes wrong. Only 2xx
// answers come back without error. A call with attempts > 1 is sent again,
// with the same X-Request-ID, after a dropped connection or a 502, 503 or
// 504 with no Retry-After longer than a second; never after a timeout,
// which has already used the user's wait.
func (c *Client) do(ctx context.Context, cl call) (answer, error) {
	reqID := ""
	if cl.requestID {
		reqID = uuid.NewString()
	}
	for attempt := 1; ; attempt++ {
		a, err := c.attempt(ctx, cl, reqID)
		a.service = cl.service
		if err == nil || attempt >= cl.attempts || !worthAnotherTry(err) {
			return a, ofService(err, cl.service)
		}
		wait := max(retryPause, RetryAfter(err))
		c.log.WithFields(logrus.Fields{"op": cl.op, "service": cl.service, "request_id": reqID, "attempt": attempt + 1}).
			WithError(err).Info("sending the request again")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return answer{}, &Error{Op: cl.op, Service: cl.service, RequestID: reqID, TraceID: cl.traceID, Err: ctx.Err()}
		case <-t.C:
		}
	}
}

// ofService names the service on err, a *Error from an attempt.
func ofService(err error, service string) error {
	var e *Error
	if errors.As(err, &e) && e.Service == "" {
		e.Service = service
	}
	return err
}

// worthAnotherTry reports whether a failed attempt may be sent once more
// (see do): no answer at all, short of a timeout or a certificate that
// did not verify; or a gateway error with no long Retry-After.
func worthAnotherTry(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Status {
	case 0:
		return errors.Is(err, ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return e.RetryAfter <= maxRetryWait
	}
	return false
}

// attempt sends the request once, with its own timeout.
func (c *Client) attempt(ctx context.Context, cl call, reqID string) (answer, error) {
	fail := func(status int, class error, detail error) error {
		e := &Error{Op: cl.op, Status: status, RequestID: reqID, TraceID: cl.traceID, Err: class}
		if detail != nil {
			e.Err = fmt.Errorf("%w: %w", class, detail)
		}
		return e
	}
	if err := ctx.Err(); err != nil {
		return answer{}, &Error{Op: cl.op, RequestID: reqID, TraceID: cl.traceID, Err: err}
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	var body io.Reader
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return answer{}, fail(0, ErrInvalid, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(rctx, cl.method, cl.url, body)
	if err != nil {
		// The URL is not in the message: it can hold an NHS number.
		return answer{}, fail(0, ErrInvalid, errors.New("building the request"))
	}
	for k, v := range cl.header {
		req.Header[k] = v
	}
	if reqID != "" {
		req.Header.Set("X-Request-ID", reqID)
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	log := c.log.WithFields(logrus.Fields{"op": cl.op, "service": cl.service})
	if reqID != "" {
		log = log.WithField("request_id", reqID)
	}
	if cl.traceID != "" {
		log = log.WithField("trace_id", loggableID(cl.traceID))
	}
	start := c.now()

	if cl.once {
		// net/http's transport sends a GET again, unasked, when a
		// kept-alive connection turns out to have been closed by the
		// server: for the CareTeam query that would be a second access
		// and a second notification to the local authority. It resends
		// only a request it can replay, and a request with a body it
		// cannot rewind is not one; an empty body goes out as none.
		req.Body = unreplayable{}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
			// The caller gave up (shutdown, a new patient): not the Spine's fault.
			return answer{}, &Error{Op: cl.op, RequestID: reqID, TraceID: cl.traceID, Err: ctx.Err()}
		}
		cerr := classifyTransport(err)
		if rctx.Err() != nil && !errors.Is(cerr, context.DeadlineExceeded) {
			cerr = fmt.Errorf("%w: %w", cerr, rctx.Err())
		}
		log.WithError(cerr).Warn("no answer from the Spine")
		return answer{}, &Error{Op: cl.op, RequestID: reqID, TraceID: cl.traceID, Err: cerr}
	}
	defer resp.Body.Close()
	log = log.WithField("status", resp.StatusCode)

	b, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return answer{}, &Error{Op: cl.op, Status: resp.StatusCode, RequestID: reqID, TraceID: cl.traceID, Err: ctx.Err()}
		}
		log.WithError(err).Warn("answer cut short")
		return answer{}, &Error{Op: cl.op, Status: resp.StatusCode, RequestID: reqID, TraceID: cl.traceID, Err: classifyTransport(err)}
	}
	log = log.WithField("duration", c.now().Sub(start).Round(time.Millisecond))
	if int64(len(b)) > c.cfg.MaxBody {
		log.Warn("answer over the size limit")
		return answer{}, fail(resp.StatusCode, ErrBadResponse, fmt.Errorf("the answer is larger than %d bytes", c.cfg.MaxBody))
	}
	if echo := resp.Header.Get("X-Request-ID"); reqID != "" && echo != "" && echo != reqID {
		log.Warn("answer for another request (X-Request-ID)")
		return answer{}, fail(resp.StatusCode, ErrBadResponse, errors.New("the answer is for another request (X-Request-ID)"))
	}

	// A success is decoded once, by its reader; PDS's 200 with
	// TOO_MANY_MATCHES is found there (readSearchset).
	var code, diag string
	if resp.StatusCode >= 300 {
		code, diag, _ = decodeOutcome(b)
	}
	class, failed := classifyStatus(resp.StatusCode, code)
	if failed {
		e := &Error{Op: cl.op, Status: resp.StatusCode, Code: code, Diagnostics: diag, RequestID: reqID, TraceID: cl.traceID, Err: class}
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
		l := log.WithField("code", code)
		if Retryable(e) {
			l.Warn("the Spine is unavailable")
		} else {
			l.Info("the Spine refused the request")
		}
		return answer{}, e
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		log.Warn("answer is not JSON")
		return answer{}, fail(resp.StatusCode, ErrBadResponse, errors.New("the answer is not FHIR JSON"))
	}
	log.Debug("answered")
	return answer{status: resp.StatusCode, requestID: reqID, traceID: cl.traceID, body: b}, nil
}

// loggableID is an id fit for a log line: a UUID as it is, anything else
// not at all, as a caller's id could in principle hold anything.
func loggableID(v string) string {
	if _, err := uuid.Parse(v); err != nil {
		return "(not a UUID)"
	}
	return v
}

// isJSON accepts application/fhir+json (the FHIR R4 JSON type PDS sends)
// and plain application/json.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/fhir+json" || mt == "application/json")
}

// pdsHeaders are the headers every PDS call carries besides X-Request-ID
// (personal-demographics.yaml; spine-interfaces.md, "PDS FHIR R4").
func pdsHeaders(s Session) http.Header {
	h := http.Header{}
	h.Set("Accept", "application/fhir+json")
	h.Set("Authorization", "Bearer "+s.Token)
	if s.RoleID != "" {
		h.Set("NHSD-Session-URID", s.RoleID)
	}
	if s.ODS != "" {
		h.Set("NHSD-End-User-Organisation-ODS", s.ODS)
	}
	return h
}

// wrapDecode puts a decoding failure into an *Error so that callers get
// the same shape whatever went wrong.
func wrapDecode(op string, a answer, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Service: a.service, Status: a.status, RequestID: a.requestID, TraceID: a.traceID, Err: err}
	if errors.Is(err, ErrTooManyMatches) {
		e.Code = "TOO_MANY_MATCHES"
	}
	return e
}
