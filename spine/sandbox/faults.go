package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultMode is a way for the sandbox to fail, so that tests and
// demonstrations can show the kiosk's business-continuity path.
type FaultMode int

// The faults. They apply to the PDS, CP-IS, FGM-IS and identity routes,
// never to the admin API.
const (
	// FaultNone: answer normally.
	FaultNone FaultMode = iota
	// FaultRefuse: stop accepting connections (the listener and every open
	// connection are closed). Clearing the fault listens again on the same
	// port; with a Delay it clears itself after that long, which is how a
	// process using the admin API gets the port back.
	FaultRefuse
	// FaultHang: hold each request until the client gives up, or until
	// Delay passes, then drop the connection without an answer.
	FaultHang
	// Fault5xx: 503 with an OperationOutcome (and Retry-After when set).
	Fault5xx
	// Fault429: 429 with Retry-After in seconds (1 when RetryAfter is zero).
	Fault429
	// FaultMalformed: 200 with a FHIR body cut off part-way.
	FaultMalformed
	// FaultOversized: 200 with a body over 2 MiB.
	FaultOversized
	// FaultSlow: wait Delay, then answer normally.
	FaultSlow
	// FaultDrop: do the request in full (a CP-IS query records the access
	// and notifies the local authority), then close the connection
	// without an answer: the client cannot know what happened.
	FaultDrop
)

var faultNames = []string{"none", "refuse", "hang", "5xx", "429", "malformed", "oversized", "slow", "drop"}

func (m FaultMode) String() string {
	if m >= 0 && int(m) < len(faultNames) {
		return faultNames[m]
	}
	return "FaultMode(" + strconv.Itoa(int(m)) + ")"
}

// ParseFaultMode reads a mode's name: none, refuse, hang, 5xx, 429,
// malformed, oversized, slow or drop.
func ParseFaultMode(s string) (FaultMode, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return FaultNone, nil
	}
	for i, n := range faultNames {
		if n == s {
			return FaultMode(i), nil
		}
	}
	return FaultNone, fmt.Errorf("unknown fault mode %q (one of %s)", s, strings.Join(faultNames, ", "))
}

// MarshalText writes the mode's name.
func (m FaultMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads the mode's name.
func (m *FaultMode) UnmarshalText(b []byte) error {
	v, err := ParseFaultMode(string(b))
	*m = v
	return err
}

// OversizedBody is how much FaultOversized sends: over 4 MiB, the
// client's default limit.
const OversizedBody = 4<<20 + 64<<10

// Fault is the sandbox's current failure. In JSON (the admin API, POST
// /_sandbox/fault) it reads {"mode": "429", "retry_after": "2s", "delay":
// "500ms"}.
type Fault struct {
	Mode       FaultMode
	RetryAfter time.Duration
	Delay      time.Duration
	// Only limits the fault to one service: "pds", "cpis", "fgm" or
	// "identity"; empty for all. FaultRefuse closes the one listener, so
	// it is never limited.
	Only string
}

type faultJSON struct {
	Mode       FaultMode `json:"mode"`
	RetryAfter string    `json:"retry_after,omitempty"`
	Delay      string    `json:"delay,omitempty"`
	Only       string    `json:"only,omitempty"`
}

// MarshalJSON writes durations as Go duration strings.
func (f Fault) MarshalJSON() ([]byte, error) {
	j := faultJSON{Mode: f.Mode, Only: f.Only}
	if f.RetryAfter != 0 {
		j.RetryAfter = f.RetryAfter.String()
	}
	if f.Delay != 0 {
		j.Delay = f.Delay.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the mode by name and durations as "1.5s".
func (f *Fault) UnmarshalJSON(b []byte) error {
	var j faultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	out := Fault{Mode: j.Mode, Only: j.Only}
	switch j.Only {
	case "", "pds", "cpis", "fgm", "identity":
	default:
		return fmt.Errorf("unknown service %q (pds, cpis, fgm or identity)", j.Only)
	}
	for _, d := range []struct {
		s   string
		dst *time.Duration
	}{{j.RetryAfter, &out.RetryAfter}, {j.Delay, &out.Delay}} {
		if d.s == "" {
			continue
		}
		v, err := time.ParseDuration(d.s)
		if err != nil || v < 0 {
			return fmt.Errorf("reading duration %q", d.s)
		}
		*d.dst = v
	}
	*f = out
	return nil
}

// SetFault makes the sandbox fail in the given way until the next
// SetFault; Fault{} clears it.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultGen++
	s.fault = f
	if s.closed || s.addr == "" {
		return
	}
	s.log.WithField("fault", f.Mode.String()).Info("fault set")
	if f.Mode == FaultRefuse {
		if s.srv != nil {
			_ = s.srv.Close()
			s.srv = nil
		}
		if f.Delay > 0 {
			gen := s.faultGen
			time.AfterFunc(f.Delay, func() {
				s.mu.Lock()
				stale := gen != s.faultGen
				s.mu.Unlock()
				if !stale {
					s.SetFault(Fault{})
				}
			})
		}
		return
	}
	if s.srv == nil {
		if err := s.listen(s.addr); err != nil {
			s.log.WithError(err).Error("listening again after the refuse fault")
		}
	}
}

// SetRateLimit turns PDS's 5 requests a second on or off.
func (s *Server) SetRateLimit(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimit, s.rateCount = on, 0
}

// Throttled counts the PDS requests refused with 429 by the rate limit
// (not by Fault429), for tests of a client's pacing.
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// PDSRateLimit is PDS's limit per application (spine-interfaces.md).
const PDSRateLimit = 5

// allowRate applies the rate limit in one-second windows of the real
// clock; false means it answered 429.
func (s *Server) allowRate(w http.ResponseWriter) bool {
	s.mu.Lock()
	on := s.rateLimit
	now := time.Now()
	if now.Sub(s.rateWindow) >= time.Second {
		s.rateWindow, s.rateCount = now, 0
	}
	s.rateCount++
	over := on && s.rateCount > PDSRateLimit
	if over {
		s.throttled++
	}
	s.mu.Unlock()
	if !over {
		return true
	}
	w.Header().Set("Retry-After", "1")
	writeOutcome(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "More than 5 requests in a second")
	return false
}

// faultResult is what applyFault did.
type faultResult int

const (
	faultPass      faultResult = iota // answer normally
	faultAnswered                     // the fault answered, or dropped, the request
	faultDropAfter                    // do the request, then drop the answer
)

// applyFault acts out the current fault on a request to the kind's
// service.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, kind routeKind) faultResult {
	s.mu.Lock()
	f := s.fault
	s.mu.Unlock()
	if f.Only != "" && f.Mode != FaultRefuse && f.Only != kind.service() {
		return faultPass
	}
	switch f.Mode {
	case FaultRefuse:
		// A request that raced the close of the listener.
		panic(http.ErrAbortHandler)
	case FaultHang:
		var after <-chan time.Time
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			defer t.Stop()
			after = t.C
		}
		select {
		case <-r.Context().Done():
		case <-after:
		case <-s.closing:
		}
		panic(http.ErrAbortHandler) // no answer at all
	case Fault5xx:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", seconds(f.RetryAfter))
		}
		writeOutcome(w, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "The sandbox was told to fail (5xx)")
		return faultAnswered
	case Fault429:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		w.Header().Set("Retry-After", seconds(ra))
		writeOutcome(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "The sandbox was told to fail (429)")
		return faultAnswered
	case FaultMalformed:
		w.Header().Set("Content-Type", fhirJSON)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Pat`))
		return faultAnswered
	case FaultOversized:
		w.Header().Set("Content-Type", fhirJSON)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"resourceType":"Patient","id":"`))
		pad := []byte(strings.Repeat("x", 64<<10))
		for n := 0; n < OversizedBody; n += len(pad) {
			if _, err := w.Write(pad); err != nil {
				return faultAnswered // the client stopped reading, as it should
			}
		}
		_, _ = w.Write([]byte(`"}`))
		return faultAnswered
	case FaultDrop:
		return faultDropAfter
	case FaultSlow:
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return faultAnswered
		case <-s.closing:
			return faultAnswered
		}
	}
	return faultPass
}

// seconds formats Retry-After as whole seconds, rounded up.
func seconds(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}
