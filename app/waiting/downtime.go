// Package waiting keeps the checks that wait: the Spine link that says when
// the national services are down, the replayer that does each waiting check
// once the link is back, and the downtime drill that proves neither loses
// nor repeats one.
package waiting

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/internal/lifecycle"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/spine"
)

// Backoff is the schedule of waits between failed attempts: Min, doubling
// at each failure up to Max (backoff.ExponentialBackOff), each wait drawn
// from the upper half of its step, so that kiosks which lost the Spine
// together do not all knock on it in the same second when it returns.
//
// The draw is the kiosk's own: the library's jitter is spread evenly about
// the step, so it overshoots Max, and it draws from math/rand/v2 with no
// way for a test to fix it.
type Backoff struct {
	Min, Max time.Duration
	// Rand is in [0, 1); math/rand/v2 when nil. A field so tests can fix it.
	Rand func() float64
}

// DefaultBackoff starts at a second and waits at most 30 seconds: a nurse
// sees the Spine back within half a minute of its return.
var DefaultBackoff = Backoff{Min: time.Second, Max: 30 * time.Second}

// New starts the schedule, for one run of failures: NextBackOff before
// each wait, Reset after a success. DefaultBackoff's steps when Min is not
// set.
func (b Backoff) New() backoff.BackOff {
	if b.Min <= 0 {
		b.Min, b.Max = DefaultBackoff.Min, DefaultBackoff.Max
	}
	j := &jittered{
		steps: backoff.ExponentialBackOff{InitialInterval: min(b.Min, b.Max), Multiplier: 2, MaxInterval: b.Max},
		rand:  b.Rand,
	}
	if j.rand == nil {
		j.rand = rand.Float64
	}
	j.Reset()
	return j
}

// jittered draws each wait from the upper half of the library's step.
type jittered struct {
	steps backoff.ExponentialBackOff // RandomizationFactor 0: the bare steps
	rand  func() float64
}

func (j *jittered) NextBackOff() time.Duration {
	d := j.steps.NextBackOff()
	return d/2 + time.Duration(j.rand()*float64(d/2))
}

func (j *jittered) Reset() { j.steps.Reset() }

// DefaultProbeTimeout bounds one probe of the Spine.
const DefaultProbeTimeout = 5 * time.Second

// Link is the kiosk's view of the Spine link: live, or down since a time.
//
// One failed user action puts it down at once, so the nurse is offered
// the downtime path straight away and never waits on a dead Spine twice.
// While it is down, its goroutine probes the Spine with backoff and puts
// it live again when the Spine answers. Only failures that mean "no usable
// answer" count (spine.Retryable: refused, timed out, TLS, 5xx, 429,
// malformed): a 4xx with an OperationOutcome is the Spine working.
type Link struct {
	// Probe makes one cheap request; nil means the Spine answered usably.
	Probe func(ctx context.Context) error
	// OnChange, when set, hears the new state after each change (a
	// change of the failing service too: read it with Service), in
	// order, from the link's own goroutine, so it may call the Link's
	// methods and take the caller's locks. A change undone before the
	// goroutine sees it is not reported.
	OnChange func(live bool, since time.Time)
	Log      logrus.FieldLogger
	Backoff  Backoff
	// Now and After are the clock and the backoff timer, fields so that
	// tests can drive them.
	Now          func() time.Time
	After        func(time.Duration) <-chan time.Time
	ProbeTimeout time.Duration

	mu      sync.Mutex
	down    bool
	since   time.Time
	service string        // the service whose failure put it down
	changed chan struct{} // closed and replaced at every change

	life lifecycle.Loop
}

// NewLink makes a link, live, that probes with probe while down.
func NewLink(probe func(ctx context.Context) error, log logrus.FieldLogger) *Link {
	if log == nil {
		log = logging.Discard()
	}
	l := &Link{
		Probe: probe, Log: log.WithField("component", "link"), Backoff: DefaultBackoff,
		Now: time.Now, After: time.After, ProbeTimeout: DefaultProbeTimeout,
		changed: make(chan struct{}),
	}
	l.since = l.Now()
	return l
}

// Failed records a failed Spine call and reports whether it counted as
// downtime. The first one puts the link down.
func (l *Link) Failed(err error) bool {
	if err == nil || !spine.Retryable(err) {
		return false
	}
	l.set(false, spine.ServiceOf(err))
	return true
}

// Succeeded records that the Spine answered; a down link is live again.
func (l *Link) Succeeded() { l.set(true, "") }

// Service is the service that last failed while the link is down ("pds",
// "cpis"), empty when live or not known. A CP-IS outage is
// downtime for the check even while PDS answers.
func (l *Link) Service() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.service
}

// Down reports whether the link is down, and since when it has been in
// its present state.
func (l *Link) Down() (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.down, l.since
}

// Changed is closed at the next change of state: wait on it, then read
// Down.
func (l *Link) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// WaitLive returns when the link is live, or with the context's error.
func (l *Link) WaitLive(ctx context.Context) error {
	for {
		ch := l.Changed()
		if down, _ := l.Down(); !down {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// set changes the state; while down, a failure of another service is a
// change too, with the same since.
func (l *Link) set(live bool, service string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down == !live && (live || service == "" || service == l.service) {
		return
	}
	was := l.down
	l.service = service
	close(l.changed)
	l.changed = make(chan struct{})
	if was == !live {
		return
	}
	l.down, l.since = !live, l.Now()
	if live {
		l.Log.Info("Spine link live again")
	} else {
		l.Log.Warn("Spine link down: new presentations go to the offline queue")
	}
}

// Start runs the link's goroutine until Shutdown or ctx ends.
func (l *Link) Start(ctx context.Context) { l.life.Start(ctx, l.run) }

// Shutdown stops the goroutine and waits for it, or for ctx.
func (l *Link) Shutdown(ctx context.Context) error { return l.life.Shutdown(ctx) }

// run tells OnChange of each change and, while the link is down, probes.
func (l *Link) run(ctx context.Context) {
	reported, reportedService := false, "" // live, as OnChange would assume before any call
	wait := l.Backoff.New()
	for {
		ch := l.Changed()
		down, since := l.Down()
		if service := l.Service(); down != reported || service != reportedService {
			if down != reported {
				wait.Reset()
			}
			reported, reportedService = down, service
			if l.OnChange != nil {
				l.OnChange(!down, since)
			}
		}
		if !down {
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-ch:
			continue // live again through a user's action
		case <-ctx.Done():
			return
		case <-l.After(wait.NextBackOff()):
		}
		if l.probe(ctx) {
			l.Succeeded()
		}
	}
}

// probe reports whether the Spine answered: with success, or with a
// refusal it made itself (a 4xx with an OperationOutcome), which is the
// Spine working.
func (l *Link) probe(ctx context.Context) bool {
	if l.Probe == nil {
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, l.ProbeTimeout)
	defer cancel()
	err := l.Probe(pctx)
	if err == nil {
		return true
	}
	var se *spine.Error
	answered := errors.As(err, &se) && se.Status != 0 && !spine.Retryable(err)
	l.Log.WithFields(logrus.Fields{"answered": answered, "service": spine.ServiceOf(err)}).Debug("probed the Spine")
	if !answered && ctx.Err() == nil {
		l.set(false, spine.ServiceOf(err))
	}
	return answered && ctx.Err() == nil
}
