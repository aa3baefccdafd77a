package waiting

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/time/rate"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/internal/lifecycle"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/store"
)

// Queue is the offline queue: the kiosk fills it while the Spine is down,
// the Replayer drains it when the Spine is back.
type Queue interface {
	Enqueue(p store.Presentation) (uint64, error)
	Head() (store.QueuedEntry, bool, error)
	Attempted(seq uint64, class string) error
	MarkIntent(seq uint64, in store.Intent) error
	Complete(seq uint64, o store.Outcome) error
	DeadLetter(seq uint64, reason string) error
	SetAside(seq uint64) error
	Counts() (store.Counts, error)
}

var _ Queue = (*store.DB)(nil)

// Defaults for the Replayer.
const (
	// DefaultPDSInterval paces PDS requests. PDS allows 5 a second per
	// application (spine-interfaces.md); a little under that, so that a
	// server counting in fixed one-second windows never sees a sixth
	// request through clock jitter.
	DefaultPDSInterval = 220 * time.Millisecond
	// DefaultPoll is how often an idle replayer looks at the queue
	// without being kicked: a net under a missed Kick.
	DefaultPoll = time.Minute
)

// Replayer replays the offline queue, oldest presentation first, while
// the Spine link is live: for each entry it traces the patient on PDS and
// makes the one CP-IS query, the unscheduled one that records the access
// and notifies the local authority of a child with a visible plan, with
// the entry's key as its TraceID. It checks only in the name of the
// signed-in member of staff given to Use, and none while nobody is.
//
// An entry leaves the queue only in the transaction that records its
// outcome (store.DB.Complete), so a crash at any point replays it again.
// The published CP-IS API has no idempotency key: the Spine records the
// time of each call and notifies on each. So the intent is recorded before
// each notifying query (store.DB.MarkIntent), and an entry that carries
// one reads the access history before asking again (DESIGN.md, "Checks
// that wait"). A permanent
// failure (PDS does not know the NHS number, the request is refused as
// invalid) moves the entry aside (store.DB.DeadLetter) so one bad entry
// never blocks the rest; anything else is retried with backoff.
type Replayer struct {
	Queue Queue
	Spine check.Spine
	// Audit keeps the record of each FGM-IS query the replayer makes; the
	// queue itself when it keeps records (the store does).
	Audit check.Audit
	// Link, when set, is told of retryable failures, and the replayer
	// waits for it to be live before each entry.
	Link *Link
	Log  logrus.FieldLogger
	// OnProgress hears (done, total) from the replayer's goroutine after
	// each entry, and (n, n) when the queue is empty again.
	OnProgress func(done, total int)
	// OnStopped hears, from the replayer's goroutine, why the checks
	// stopped by themselves: check.ErrNotRecorded when the kiosk could not
	// write its record of a check before making it.
	OnStopped func(err error)
	// Confirm asks the checking user whether a child recorded by details,
	// whom PDS matched to one patient, is that patient, before the CP-IS
	// query tells anyone; it blocks until they answer. A no, or no Confirm,
	// puts the child on the review list to be traced by hand; an error
	// (they paused, signed out) leaves the entry waiting.
	Confirm func(ctx context.Context, p store.Presentation, pt cpis.Patient) (bool, error)

	Now         func() time.Time
	After       func(time.Duration) <-chan time.Time // the backoff timer
	Backoff     Backoff
	PDSInterval time.Duration // DefaultPDSInterval when zero; negative for no pacing
	Poll        time.Duration // DefaultPoll when zero

	limOnce sync.Once
	lim     *rate.Limiter
	kick    chan struct{}

	mu          sync.Mutex
	sess        *check.Session
	done, total int
	emptied     chan struct{} // closed and replaced whenever a drain finds the queue empty

	life lifecycle.Loop
}

// NewReplayer makes a replayer with the defaults; set Link, OnProgress
// and the rest before Start.
func NewReplayer(q Queue, sp check.Spine, log logrus.FieldLogger) *Replayer {
	if log == nil {
		log = logging.Discard()
	}
	audit, _ := q.(check.Audit)
	return &Replayer{
		Queue: q, Spine: sp, Audit: audit, Log: log.WithField("component", "replay"),
		Now: time.Now, After: time.After, Backoff: DefaultBackoff,
		kick: make(chan struct{}, 1), emptied: make(chan struct{}),
	}
}

// Start runs the replayer's one goroutine until Shutdown or ctx ends.
func (r *Replayer) Start(ctx context.Context) { r.life.Start(ctx, r.run) }

// Shutdown stops the replayer and waits for it, or for ctx. An entry
// being replayed stays in the queue, to be replayed again.
func (r *Replayer) Shutdown(ctx context.Context) error { return r.life.Shutdown(ctx) }

// Use makes the checks that wait in s's name from now on: a signed-in
// member of staff with B0264 and B0107 who has agreed to check them. nil
// stops them after the entry in hand: unattended access is not allowed by
// the national APIs, so nothing is checked in nobody's name.
func (r *Replayer) Use(s *check.Session) {
	r.mu.Lock()
	if s != nil {
		c := *s
		s = &c
	}
	r.sess = s
	r.mu.Unlock()
	r.Kick()
}

// Checking reports whether the checks that wait are being made, in whose
// name.
func (r *Replayer) Checking() (check.Session, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sess == nil {
		return check.Session{}, false
	}
	return *r.sess, true
}

// Kick asks for a drain now: after an enqueue, or from IT's "replay now".
func (r *Replayer) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// WaitEmpty returns once the queue is empty, looking again each time a
// drain of the running replayer finds it so, or with ctx's error.
func (r *Replayer) WaitEmpty(ctx context.Context) error {
	for {
		r.mu.Lock()
		emptied := r.emptied
		r.mu.Unlock()
		c, err := r.Queue.Counts()
		if err != nil {
			return err
		}
		if c.Queued == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the replay: %w (%d still queued)", ctx.Err(), c.Queued)
		case <-emptied:
		}
	}
}

// Progress is how far the current drain has come; (0, 0) when idle.
func (r *Replayer) Progress() (done, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done, r.total
}

func (r *Replayer) run(ctx context.Context) {
	poll := r.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	for {
		r.drain(ctx)
		var linkChanged <-chan struct{}
		if r.Link != nil {
			linkChanged = r.Link.Changed()
		}
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-linkChanged:
		case <-r.After(poll):
		}
	}
}

// drain replays entries until the queue is empty or ctx ends.
func (r *Replayer) drain(ctx context.Context) {
	started := false
	retry := r.Backoff.New()
	for ctx.Err() == nil {
		if _, ok := r.Checking(); !ok {
			return // nobody to check in the name of: wait for Use
		}
		if r.Link != nil && r.Link.WaitLive(ctx) != nil {
			return
		}
		e, ok, err := r.Queue.Head()
		var bad *store.UnreadableError
		if errors.As(err, &bad) {
			// Kept as found, for IT; the children behind it go on.
			r.Log.WithField("seq", bad.Seq).WithError(err).Error("a waiting check cannot be read: setting it aside")
			if err = r.Queue.SetAside(bad.Seq); err == nil {
				continue
			}
		}
		if err != nil {
			r.Log.WithError(err).Error("reading the offline queue")
			return
		}
		if !ok {
			r.progress(false, true)
			return
		}
		if !started {
			started = true
			r.progress(false, false)
		}
		err = r.replayOne(ctx, e)
		if errors.Is(err, check.ErrNotRecorded) {
			r.stopped(e, err)
			return
		}
		if errors.Is(err, ErrNobodyChecking) {
			return
		}
		if err == nil {
			retry.Reset()
			r.progress(true, false)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		wait := r.failed(e, err, retry.NextBackOff())
		select {
		case <-ctx.Done():
			return
		case <-r.After(wait):
		}
	}
}

// stopped stops the checks that wait when the kiosk cannot write its own
// records: no check is made that it could not record, and an outcome it
// could not record is settled later from the access history, because the
// entry keeps its intent.
func (r *Replayer) stopped(e store.QueuedEntry, err error) {
	r.Log.WithFields(logrus.Fields{"seq": e.Seq, "key": e.P.Key}).WithError(err).
		Error("could not write the kiosk's record: the checks that wait have stopped")
	r.Use(nil)
	if r.OnStopped != nil {
		r.OnStopped(err)
	}
}

// notRecorded marks a failure to write the kiosk's own record.
func notRecorded(err error) error { return fmt.Errorf("%w: %w", check.ErrNotRecorded, err) }

// progress counts a finished entry and tells OnProgress; at the end of a
// drain it reports (n, n) and resets to idle.
func (r *Replayer) progress(finishedOne, empty bool) {
	queued := 0
	if !empty {
		c, err := r.Queue.Counts()
		if err != nil {
			r.Log.WithError(err).Warn("counting the offline queue")
		}
		queued = c.Queued
	}
	r.mu.Lock()
	if finishedOne {
		r.done++
	}
	r.total = r.done + queued
	done, total := r.done, r.total
	if empty {
		r.done, r.total = 0, 0
		close(r.emptied)
		r.emptied = make(chan struct{})
	}
	r.mu.Unlock()
	if r.OnProgress != nil && (total > 0 || finishedOne) {
		r.OnProgress(done, total)
	}
}

// failed records a failed attempt and says how long to wait before the
// next: a 429's Retry-After as asked (the Spine is up, only busy, so the
// link is not told); otherwise wait, the backoff's next step, or for other
// retryable failures the Retry-After when longer, and the link goes down.
func (r *Replayer) failed(e store.QueuedEntry, err error, wait time.Duration) time.Duration {
	class := check.Outcome(err)
	if aerr := r.Queue.Attempted(e.Seq, class); aerr != nil && !errors.Is(aerr, store.ErrNotQueued) {
		r.Log.WithError(aerr).Error("recording a replay attempt")
	}
	var se *spine.Error
	switch {
	case errors.As(err, &se) && se.Status == http.StatusTooManyRequests && se.RetryAfter > 0:
		wait = se.RetryAfter
	case errors.Is(err, spine.ErrAccessDenied):
		// The checker's session is no longer accepted: stop, and let them
		// sign in again rather than retry in their name.
		r.Use(nil)
	case spine.Retryable(err):
		if r.Link != nil {
			r.Link.Failed(err)
		}
		wait = max(wait, spine.RetryAfter(err))
	}
	// err is a spine error or a store error: neither message holds an
	// NHS number or a name.
	r.Log.WithFields(logrus.Fields{"seq": e.Seq, "key": e.P.Key, "class": class, "wait": wait}).
		WithError(err).Warn("replay attempt failed; will retry")
	return wait
}

// replayOne replays one entry. nil means it left the queue, completed or
// moved aside; an error means it stays for another attempt.
func (r *Replayer) replayOne(ctx context.Context, e store.QueuedEntry) error {
	s, err := r.session(ctx)
	if err != nil {
		return err
	}
	ss := s.Spine()
	p := e.P

	var nhs cpis.NHSNumber
	var fgm *cpis.FGMFlag
	if p.NHS != "" {
		if nhs, err = cpis.ParseNHSNumber(p.NHS); err != nil {
			return r.deadLetter(e, "not a valid NHS number")
		}
		if err := r.pdsWait(ctx); err != nil {
			return err
		}
		pt, err := r.Spine.Patient(ctx, ss, nhs)
		if err != nil {
			return r.permanent(e, "tracing on PDS", err)
		}
		// A superseded number: CP-IS is asked with the current one.
		nhs = pt.NHS
		fgm = r.askFGM(ctx, s, pt, p)
	} else {
		q := cpis.SearchQuery{Family: p.Family, Given: p.Given, BirthDate: p.BirthDate,
			Gender: cpis.Gender(p.Gender), Postcode: p.Postcode}
		if err := r.pdsWait(ctx); err != nil {
			return err
		}
		// Two is enough to know the answer is not one patient.
		pts, err := r.Spine.Search(ctx, ss, q, 2)
		switch {
		case errors.Is(err, spine.ErrTooManyMatches) || (err == nil && len(pts) > 1):
			return r.complete(e, store.Outcome{Kind: cpis.ResultManualTrace, Reason: "more than one match on PDS"})
		case err != nil:
			return r.permanent(e, "searching PDS", err)
		case len(pts) == 0:
			return r.complete(e, store.Outcome{Kind: cpis.ResultManualTrace, Reason: "no match on PDS"})
		}
		// One match is not yet the child: a person confirms it before the
		// local authority is told.
		if r.Confirm == nil {
			return r.complete(e, store.Outcome{Kind: cpis.ResultManualTrace, Reason: "one match on PDS, not confirmed"})
		}
		yes, err := r.Confirm(ctx, p, pts[0])
		switch {
		case err != nil:
			if _, on := r.Checking(); !on {
				return ErrNobodyChecking
			}
			return err
		case !yes:
			return r.complete(e, store.Outcome{Kind: cpis.ResultManualTrace, Reason: "the one match on PDS was not the child, said the checking user"})
		}
		nhs = pts[0].NHS
		fgm = r.askFGM(ctx, s, pts[0], p)
	}

	// A notifying query may already have been made (a crash, a timeout, a
	// live attempt whose answer was lost): the access history says whether
	// it reached CP-IS, and then it is not made again.
	if p.Intent != nil {
		done, err := r.accessedSince(ctx, ss, nhs, p)
		if err != nil {
			return r.permanent(e, "reading the access history", err)
		}
		if done {
			return r.complete(e, store.Outcome{Kind: cpis.ResultAnswerLost, NHS: nhs.Digits(), Notified: true, FGM: fgm,
				Reason: "CP-IS recorded this check, but its answer was lost: look the child up on the national record"})
		}
	}
	// The intent first, durably: never a notifying query without it. When
	// it cannot be written (a full disk), no check is made, and none
	// after it, until someone has looked.
	if err := r.Queue.MarkIntent(e.Seq, store.Intent{RoleID: s.Role.ID, At: r.Now()}); err != nil {
		return notRecorded(err)
	}
	// The one CP-IS query, the unscheduled one: there is no silent
	// pre-check in unscheduled care. CP-IS notifies only about a child
	// with a plan it still shows.
	plans, err := r.Spine.Plans(ctx, ss, nhs, p.Key)
	if err != nil {
		return r.permanent(e, "opening the Child Care Alert", err)
	}
	// The access history is not read: nobody is at the screen to see it,
	// the review list does not keep it, and the lead who opens the alert
	// later sees it as it stands then.
	// CP-IS notified if it shows a plan now. The alert is judged as the
	// plans stood when the child presented (a plan visible then but lapsed
	// since is still found), and a plan visible now is never hidden.
	now := r.Now()
	o := store.Outcome{Kind: cpis.ResultNoAlert, NHS: nhs.Digits(), Notified: len(cpis.VisiblePlans(plans, now)) > 0, FGM: fgm}
	if judged := visibleThenOrNow(plans, p.At, now); len(judged) > 0 {
		o.Kind, o.Alert = cpis.ResultAlert, &cpis.Alert{NHS: nhs, Plans: judged}
	}
	return r.complete(e, o)
}

// askFGM asks FGM-IS about the traced child as the live check does
// (check.Checker.FGM: who is asked, B0370, each query audited), for the
// child's age on the day they presented. A failure is logged for IT and
// does not hold up the CP-IS check: FGM-IS notifies nobody and a flag
// found later goes to the lead's review.
func (r *Replayer) askFGM(ctx context.Context, s check.Session, pt cpis.Patient, p store.Presentation) *cpis.FGMFlag {
	if r.Audit == nil {
		return nil
	}
	c := check.Checker{Spine: r.Spine, Audit: r.Audit, Setting: cpis.Setting(p.Setting), Log: r.Log, Now: r.Now}
	f, err := c.FGM(ctx, s, pt, check.Presentation{At: p.At, NHS: pt.NHS, Key: p.Key})
	if err != nil {
		r.Log.WithError(err).WithField("key", p.Key).Warn("FGM-IS not asked or not answered for a waiting check")
	}
	return f
}

// visibleThenOrNow is the plans visible on the day the child presented,
// then any others visible today.
func visibleThenOrNow(plans []cpis.Plan, presented, now time.Time) []cpis.Plan {
	out := cpis.VisiblePlans(plans, presented)
	for _, p := range cpis.VisiblePlans(plans, now) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// accessedSince reports whether the child's access history lists an access
// by the intent's role profile since the intent. CP-IS lists a repeat
// access by the same user within 24 hours only once, at the first, so an
// access by the role profile in the 24 hours before the intent counts
// too: a repeat cannot be told apart from it, and the local authority
// already knows of this user's access to the child today.
func (r *Replayer) accessedSince(ctx context.Context, ss spine.Session, nhs cpis.NHSNumber, p store.Presentation) (bool, error) {
	hist, err := r.Spine.History(ctx, ss, nhs, p.Key)
	if err != nil {
		return false, err
	}
	since := p.Intent.At.Add(-24 * time.Hour)
	for _, a := range hist {
		if a.RoleProfileID == p.Intent.RoleID && !a.When.Before(since) {
			return true, nil
		}
	}
	return false, nil
}

// permanent moves the entry aside when err is the Spine refusing this
// entry for good, and otherwise returns err for a retry. An access denied
// is the kiosk's credential, not the entry, so it is retried.
func (r *Replayer) permanent(e store.QueuedEntry, doing string, err error) error {
	if errors.Is(err, spine.ErrNotFound) || errors.Is(err, spine.ErrInvalid) {
		return r.deadLetter(e, doing+": "+check.Outcome(err))
	}
	return fmt.Errorf("%s: %w", doing, err)
}

func (r *Replayer) deadLetter(e store.QueuedEntry, reason string) error {
	if err := r.Queue.DeadLetter(e.Seq, reason); err != nil && !errors.Is(err, store.ErrNotQueued) {
		return notRecorded(err)
	}
	r.Log.WithFields(logrus.Fields{"seq": e.Seq, "key": e.P.Key, "reason": reason}).
		Warn("moved a queue entry aside for review")
	return nil
}

func (r *Replayer) complete(e store.QueuedEntry, o store.Outcome) error {
	o.Review = cpis.NeedsReview(o.Kind) || o.FGM != nil
	if s, ok := r.Checking(); ok {
		o.By = store.Actor{UserID: s.User.ID, UserName: s.User.Name, RoleID: s.Role.ID, JobRole: s.Role.JobRole}
	}
	if err := r.Queue.Complete(e.Seq, o); err != nil && !errors.Is(err, store.ErrNotQueued) {
		return notRecorded(err)
	}
	r.Log.WithFields(logrus.Fields{"seq": e.Seq, "key": e.P.Key, "outcome": o.Kind, "notified": o.Notified}).
		Info("replayed a presentation")
	return nil
}

func (r *Replayer) pdsWait(ctx context.Context) error {
	r.limOnce.Do(func() {
		switch {
		case r.PDSInterval < 0:
			r.lim = rate.NewLimiter(rate.Inf, 1)
		case r.PDSInterval == 0:
			r.lim = rate.NewLimiter(rate.Every(DefaultPDSInterval), 1)
		default:
			r.lim = rate.NewLimiter(rate.Every(r.PDSInterval), 1)
		}
	})
	return r.lim.Wait(ctx)
}

func (r *Replayer) session(context.Context) (check.Session, error) {
	s, ok := r.Checking()
	if !ok {
		return check.Session{}, ErrNobodyChecking
	}
	return s, nil
}

// ErrNobodyChecking means no signed-in member of staff is making the
// checks that wait: they wait for one.
var ErrNobodyChecking = errors.New("nobody signed in is checking the children who wait")
