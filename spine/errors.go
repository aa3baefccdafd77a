package spine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The classes of Spine failure. Every error the clients return wraps
// exactly one of them (or the caller's own context.Canceled), so the UI and
// the replayer decide with errors.Is and never read error strings.
var (
	// ErrNotFound means the Spine has no such record: HTTP 404, or the
	// Spine-ErrorOrWarningCode RESOURCE_NOT_FOUND or INVALIDATED_RESOURCE
	// (PDS never returns an invalidated record). CP-IS never answers it:
	// no record there is an empty searchset.
	ErrNotFound = errors.New("no such record on the Spine")
	// ErrInvalid means the Spine refused the request as malformed (HTTP
	// 400 and the other 4xx not listed below; CP-IS's INVALID_SEARCH_DATA,
	// "Invalid NHS number"), or the client refused to send it (a search
	// without family name and date of birth). Retrying the same request
	// cannot help.
	ErrInvalid = errors.New("the Spine refused the request as invalid")
	// ErrPrecondition means CP-IS refused the request's headers: 400
	// PRECONDITION_FAILED, "Missing or invalid head parameter" (CP-IS
	// consumer guide, "Errorhandling"). The fault is the kiosk's, not the
	// patient's or the Spine's: permanent, and for IT to see.
	ErrPrecondition = errors.New("the Spine refused the request's headers")
	// ErrAccessDenied means the token is missing, invalid or expired, or the
	// role may not do this: ACCESS_DENIED whatever the status (one of the
	// CP-IS guide's examples carries it under a 400), or HTTP 401 or 403.
	// The user must sign in again or choose another role.
	ErrAccessDenied = errors.New("the Spine denied access")
	// ErrTooManyMatches means a PDS search matched more patients than
	// _max-results: PDS answers an OperationOutcome whose code is
	// TOO_MANY_MATCHES, under HTTP 200 (personal-demographics.yaml,
	// search-patient) or, from older sandboxes, 400. The user must add
	// search details.
	ErrTooManyMatches = errors.New("too many patients match these details")
	// ErrUnavailable means the Spine could not be reached or did not
	// answer in time: connection refused or reset, a timeout, HTTP 408,
	// 429 (see RetryAfter) or 5xx. It is worth trying again later.
	ErrUnavailable = errors.New("the Spine is unavailable")
	// ErrBadResponse means the Spine answered something the kiosk cannot
	// trust: malformed JSON, the wrong content, a body over the size limit,
	// an X-Request-ID that is not ours, or a record for another patient. A
	// garbage answer comes from a broken service, so it is treated like
	// downtime and is retryable.
	ErrBadResponse = errors.New("the Spine sent an answer that cannot be used")
	// ErrCertificate means the server's TLS certificate did not verify
	// against the configured CA. Retryable, as IT may be mid-way through
	// changing certificates, but it should be shown to IT: it is also what
	// an interception looks like.
	ErrCertificate = errors.New("the Spine's certificate could not be verified")
)

// Error is a failed Spine call, classified once here. Its message never
// holds an NHS number, name or date of birth, so callers may log it: the
// server's Diagnostics, which can echo what it was sent, is kept out of
// Error() and left for the caller to show or drop.
type Error struct {
	Op          string // what the client was doing: "retrieving patient"
	Service     string // which service: "pds", "cpis", "fgm"; empty before any request
	Status      int    // the HTTP status, 0 when there was no answer
	Code        string // Spine-ErrorOrWarningCode from the OperationOutcome
	Diagnostics string // OperationOutcome issue[0].diagnostics
	RetryAfter  time.Duration
	RequestID   string // the X-Request-ID sent to PDS, for matching logs on both sides
	TraceID     string // the TraceID sent to CP-IS, likewise
	Err         error  // wraps one of the sentinels above
}

// ServiceOf is the service err came from ("pds", "cpis", "fgm"),
// empty when it did not come from a request.
func ServiceOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Service
	}
	return ""
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		b.WriteString(")")
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	if e.TraceID != "" {
		// The caller's id, printed only when it is a UUID.
		b.WriteString(" [trace " + loggableID(e.TraceID) + "]")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same request may succeed later: true for
// ErrUnavailable, ErrBadResponse and ErrCertificate; false for the 4xx
// classes (ErrPrecondition included), which retrying cannot mend.
func Retryable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadResponse) || errors.Is(err, ErrCertificate)
}

// RetryAfter is how long the Spine asked the client to wait (429 or 503
// with Retry-After), or zero.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// classifyStatus maps an HTTP status and Spine code to a class. ok is
// false for a 2xx without an error code. A 5xx, 408 or 429 is the Spine
// being unavailable whatever code it carries; otherwise the code decides
// before the status, as the CP-IS guide's own example carries
// ACCESS_DENIED under a 400.
func classifyStatus(status int, code string) (class error, ok bool) {
	if status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500 {
		return ErrUnavailable, true
	}
	switch code {
	case "TOO_MANY_MATCHES":
		return ErrTooManyMatches, true
	case "RESOURCE_NOT_FOUND", "INVALIDATED_RESOURCE":
		return ErrNotFound, true
	case "ACCESS_DENIED":
		return ErrAccessDenied, true
	case "PRECONDITION_FAILED":
		return ErrPrecondition, true
	case "INVALID_SEARCH_DATA":
		return ErrInvalid, true
	}
	switch {
	case status >= 200 && status < 300:
		return nil, false
	case status == http.StatusNotFound:
		return ErrNotFound, true
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrAccessDenied, true
	case status >= 400:
		return ErrInvalid, true
	}
	return ErrBadResponse, true // 1xx, 3xx: nothing a FHIR API should send
}

// classifyTransport turns a failure to get an answer into a class. The
// *url.Error is unwrapped first: its message holds the URL, and a PDS URL
// holds the NHS number.
func classifyTransport(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var (
		cve *tls.CertificateVerificationError
		uae x509.UnknownAuthorityError
		he  x509.HostnameError
		cie x509.CertificateInvalidError
	)
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &he) || errors.As(err, &cie) {
		return fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: no answer in time: %w", ErrUnavailable, err)
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP-date
// (RFC 9110, section 10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
