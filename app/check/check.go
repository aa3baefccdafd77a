// Package check is the CP-IS check itself: trace the presenting patient on
// PDS, then the CP-IS query and the access history, each audited. It holds
// no state between calls, so the window, selftest and the checks that wait
// use it the same way.
package check

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/store"
)

// Spine is what the check needs of the national services.
type Spine interface {
	Patient(ctx context.Context, s spine.Session, nhs cpis.NHSNumber) (cpis.Patient, error)
	Search(ctx context.Context, s spine.Session, q cpis.SearchQuery, max int) ([]cpis.Patient, error)
	Plans(ctx context.Context, s spine.Session, nhs cpis.NHSNumber, traceID string) ([]cpis.Plan, error)
	History(ctx context.Context, s spine.Session, nhs cpis.NHSNumber, traceID string) ([]cpis.Access, error)
	FGMFlags(ctx context.Context, s spine.Session, nhs cpis.NHSNumber, traceID string) (spine.FGMAnswer, error)
}

// Audit keeps the local record of what the kiosk did.
type Audit interface {
	Append(e store.Event) (uint64, error)
}

var (
	_ Spine = (*spine.Client)(nil)
	_ Audit = (*store.DB)(nil)
)

// Session is the member of staff at the kiosk and the role they chose.
type Session struct {
	User    cpis.User
	Role    cpis.Role
	Token   string
	Expires time.Time
	Demo    bool
}

func (s Session) Spine() spine.Session {
	return spine.Session{Token: s.Token, RoleID: s.Role.ID, ODS: s.Role.OrgCode}
}

// MaxMatches is the most a demographic search lists; PDS allows 1 to 50.
const MaxMatches = 10

// Presentation ties a trace to a patient actually presenting: the guide
// says CP-IS "should only be searched for and/or viewed when the child
// actually presents at an unscheduled care setting".
type Presentation struct {
	At  time.Time
	NHS cpis.NHSNumber
	// Key identifies the presentation: the audit records about it carry it
	// (store.Event.TraceID), and the CP-IS queries send it as their TraceID
	// so that the Spine's logs and the kiosk's can be matched. It does not
	// make the Spine de-duplicate anything: the published API has no
	// idempotency key, and every CareTeam query notifies.
	Key string
}

// NewPresentation starts a presentation now.
func NewPresentation(now time.Time) Presentation {
	return Presentation{At: now, Key: uuid.NewString()}
}

// ForPatient is the presentation of the given patient.
func (p Presentation) ForPatient(nhs cpis.NHSNumber) Presentation {
	p.NHS = nhs
	return p
}

// Checker is the check itself: trace, then open. It holds no state
// between calls, so the window and selftest use it the same way.
type Checker struct {
	Spine   Spine
	Audit   Audit
	Setting cpis.Setting
	Now     func() time.Time
	Log     logrus.FieldLogger
	// Link, when set, hears whether each Spine call got through, so that
	// the first failed user action puts the kiosk into downtime mode.
	Link SpineLink
}

// SpineLink is told how each call to the Spine went.
type SpineLink interface {
	Failed(err error) bool
	Succeeded()
}

// observe tells the link how a Spine call went.
func (c *Checker) observe(err error) {
	if c.Link == nil {
		return
	}
	if err == nil {
		c.Link.Succeeded()
		return
	}
	if !errors.Is(err, context.Canceled) {
		c.Link.Failed(err)
	}
}

// Trace retrieves the patient from PDS. It asks nothing of CP-IS: the
// published API has no existence-only call, and IsUnscheduledAccessEvent
// false means scheduled care, which this kiosk never is.
func (c *Checker) Trace(ctx context.Context, s Session, nhs cpis.NHSNumber, p Presentation) (cpis.Patient, error) {
	if err := cpis.Permit(s.Role, cpis.ActTrace); err != nil {
		c.Record(s, Refusal(store.Event{Kind: cpis.EventTrace, NHS: nhs.Digits()}, err))
		return cpis.Patient{}, fmt.Errorf("tracing patient: %w", err)
	}
	pt, err := c.Spine.Patient(ctx, s.Spine(), nhs)
	c.observe(err)
	if err != nil {
		c.Record(s, failure(store.Event{Kind: cpis.EventTrace, NHS: nhs.Digits()}, err))
		return cpis.Patient{}, fmt.Errorf("tracing patient: %w", err)
	}
	c.Record(s, store.Event{Kind: cpis.EventTrace, NHS: nhs.Digits(), TraceID: p.Key, Result: cpis.ResultFound, Outcome: "found"})
	return pt, nil
}

// Search finds patients on PDS by family name, date of birth, gender and
// postcode.
func (c *Checker) Search(ctx context.Context, s Session, q cpis.SearchQuery) ([]cpis.Patient, error) {
	if err := cpis.Permit(s.Role, cpis.ActTrace); err != nil {
		c.Record(s, Refusal(store.Event{Kind: cpis.EventSearch}, err))
		return nil, fmt.Errorf("searching for patient: %w", err)
	}
	pts, err := c.Spine.Search(ctx, s.Spine(), q, MaxMatches)
	c.observe(err)
	if err != nil {
		c.Record(s, failure(store.Event{Kind: cpis.EventSearch}, err))
		return nil, fmt.Errorf("searching for patient: %w", err)
	}
	c.Record(s, store.Event{Kind: cpis.EventSearch, Result: cpis.ResultFound, Outcome: fmt.Sprintf("%d matches", len(pts))})
	return pts, nil
}

// Open opens the Child Care Alert: the unscheduled access query that
// records the access and notifies the local authority, then the access
// history. Only the visible plans are kept; nothing else of the response.
func (c *Checker) Open(ctx context.Context, s Session, nhs cpis.NHSNumber, p Presentation) (cpis.Alert, error) {
	if err := cpis.Permit(s.Role, cpis.ActOpenAlert); err != nil {
		c.Record(s, Refusal(store.Event{Kind: cpis.EventAlertOpened, NHS: nhs.Digits()}, err))
		return cpis.Alert{}, fmt.Errorf("opening Child Care Alert: %w", err)
	}
	// The kiosk's own record first: it never tells a local authority
	// without one.
	intent := store.Event{Kind: cpis.EventCheckIntent, NHS: nhs.Digits(), TraceID: p.Key, Result: cpis.ResultDone,
		Outcome: "about to make the notifying CP-IS query"}
	if err := c.record(s, intent); err != nil {
		return cpis.Alert{}, fmt.Errorf("opening Child Care Alert: %w: %w", ErrNotRecorded, err)
	}
	plans, err := c.Spine.Plans(ctx, s.Spine(), nhs, p.Key)
	c.observe(err)
	if err != nil {
		// A timeout or a dropped connection may still have reached the
		// Spine, recorded the access and notified: the record says the
		// outcome is unknown only by its class, and its trace id is the
		// one the Spine logged.
		c.Record(s, failure(store.Event{Kind: cpis.EventAlertOpened, NHS: nhs.Digits(), TraceID: p.Key}, err))
		return cpis.Alert{}, fmt.Errorf("opening Child Care Alert: %w", err)
	}
	alert := cpis.Alert{NHS: nhs, Plans: cpis.VisiblePlans(plans, c.Now())}
	for _, pl := range alert.Plans {
		if pl.Type == cpis.PlanUnknown {
			// Shown as a Child Care Alert all the same; IT hears of the
			// category so the kiosk can learn it. No patient data.
			c.Log.WithFields(logrus.Fields{"trace_id": p.Key, "category": pl.Category}).
				Warn("CP-IS returned a plan of a category the kiosk does not know")
		}
	}
	e := store.Event{Kind: cpis.EventAlertOpened, NHS: nhs.Digits(), TraceID: p.Key, Notified: true, Result: cpis.ResultNoAlert, Outcome: "opened"}
	if len(alert.Plans) > 0 {
		e.Result = cpis.ResultAlert
	}
	c.Record(s, e)
	if len(alert.Plans) == 0 {
		return alert, nil // no alert: no access history to show
	}
	hist, err := c.Spine.History(ctx, s.Spine(), nhs, p.Key)
	c.observe(err)
	if err != nil {
		return alert, &HistoryError{Err: err}
	}
	if len(hist) > cpis.MaxHistory {
		hist = hist[:cpis.MaxHistory]
	}
	alert.History = hist
	return alert, nil
}

// FGM asks FGM-IS about a traced patient, by itself, right after the PDS
// trace: only for a verified NHS number of someone under 18 on the day
// she presented who is not male (cpis.FGMApplies), and only with B0370 (refused and audited, the
// code named). It notifies nobody and needs no confirmation. Every query
// is audited; nothing is kept beyond the answer. It returns the flag when
// FGM-IS holds one, nil when it holds none or the query was not made; an
// error is for IT and the log, never the nurse's screen, which shows
// nothing when there is no flag.
func (c *Checker) FGM(ctx context.Context, s Session, pt cpis.Patient, p Presentation) (*cpis.FGMFlag, error) {
	// Her age on the day she presented: a check that waited is asked
	// about as it would have been then.
	if !cpis.FGMApplies(pt, p.At) {
		return nil, nil
	}
	ev := store.Event{Kind: cpis.EventFGMQuery, NHS: pt.NHS.Digits(), TraceID: p.Key}
	if err := cpis.Permit(s.Role, cpis.ActFGM); err != nil {
		c.Record(s, Refusal(ev, err))
		return nil, fmt.Errorf("checking FGM-IS: %w", err)
	}
	ans, err := c.Spine.FGMFlags(ctx, s.Spine(), pt.NHS, p.Key)
	if err != nil {
		c.Record(s, failure(ev, err))
		c.Log.WithError(err).WithField("trace_id", p.Key).Warn("FGM-IS query failed: nothing shown to the user")
		return nil, fmt.Errorf("checking FGM-IS: %w", err)
	}
	if len(ans.Ignored) > 0 {
		c.Log.WithFields(logrus.Fields{"trace_id": p.Key, "ignored": ans.Ignored}).
			Warn("FGM-IS answered entries the kiosk does not show")
	}
	ev.Result, ev.Outcome = cpis.ResultNoFGMFlag, "no flag"
	if len(ans.Flags) == 0 {
		c.Record(s, ev)
		return nil, nil
	}
	ev.Result, ev.Outcome = cpis.ResultFGMFlag, "flag"
	c.Record(s, ev)
	f := ans.Flags[0]
	for _, g := range ans.Flags[1:] {
		if g.Assessed.After(f.Assessed) {
			f = g // the latest assessment
		}
	}
	return &f, nil
}

// HistoryError is an alert whose check succeeded but whose access history
// could not be read: the alert stands, and is shown without it.
type HistoryError struct{ Err error }

func (e *HistoryError) Error() string { return "reading access history: " + e.Err.Error() }
func (e *HistoryError) Unwrap() error { return e.Err }

// ErrNotRecorded means the kiosk could not write its own record of a
// check it was about to make (a full or failing disk), so it did not make
// it: the kiosk never tells a local authority without its own record.
var ErrNotRecorded = errors.New("the kiosk could not record the check it was about to make, so it did not make it")

// Record appends e to the audit log as done by s, now, in this setting. A
// record that cannot be written is logged for IT and the work goes on:
// only the record before a notifying query stops it (Open).
func (c *Checker) Record(s Session, e store.Event) {
	if err := c.record(s, e); err != nil {
		c.Log.WithError(err).WithField("event", e.Kind).Error("writing audit record")
	}
}

func (c *Checker) record(s Session, e store.Event) error {
	e.At = c.Now()
	e.UserID, e.UserName = s.User.ID, s.User.Name
	e.RoleID, e.JobRole, e.OrgCode = s.Role.ID, s.Role.JobRole, s.Role.OrgCode
	e.Setting = string(c.Setting)
	// The role's codes, so the staff checks can say which are missing.
	for _, a := range s.Role.Activity {
		e.Codes = append(e.Codes, string(a))
	}
	_, err := c.Audit.Append(e)
	return err
}

// refusal is e as a refused action: the codes the role lacked come from
// the error's type, never its words.
func Refusal(e store.Event, err error) store.Event {
	e.Result, e.Outcome = cpis.ResultRefused, "refused: "+err.Error()
	var pe *cpis.PermissionError
	if errors.As(err, &pe) {
		e.Missing = []cpis.ActivityCode{pe.Missing}
	}
	return e
}

// failure is e as a call that got no usable answer.
func failure(e store.Event, err error) store.Event {
	e.Result, e.Outcome = cpis.ResultFailed, Outcome(err)
	if errors.Is(err, spine.ErrNotFound) {
		e.Result = cpis.ResultNotFound
	}
	return e
}

// outcome is the audit word for an error: its class, never its text, which
// could in principle echo what the server was sent.
func Outcome(err error) string {
	switch {
	case errors.Is(err, spine.ErrNotFound):
		return "not found"
	case errors.Is(err, spine.ErrTooManyMatches):
		return "too many matches"
	case errors.Is(err, spine.ErrAccessDenied):
		return "access denied"
	case errors.Is(err, spine.ErrInvalid):
		return "rejected as invalid"
	case errors.Is(err, spine.ErrPrecondition):
		return "rejected: the kiosk's request headers"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case spine.Retryable(err):
		return "spine unavailable"
	}
	return "error"
}
