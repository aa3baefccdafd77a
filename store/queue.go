package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"go.etcd.io/bbolt"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The offline queue: what the kiosk records while the Spine is down, so
// that the trace and the check can be replayed in order when it is back
// (DESIGN.md, the downtime paragraph; the guide's steps 15 and 21: a plan
// "for patients who presented for care while systems were down").
//
// The queue holds what is needed to redo the trace and nothing more: who
// presented, when, where and who was on duty. It never holds alert
// content; whatever a replay finds goes to the review list (review.go).

// Errors about queue entries.
var (
	// ErrNotQueued means the entry is no longer in the queue: it was
	// completed or moved aside already. A replay that gets it must not
	// record the outcome a second time.
	ErrNotQueued = errors.New("the entry is no longer in the offline queue")
	// ErrIncomplete means a presentation lacks what a replay needs: its
	// key, its time, or a way to trace the patient (an NHS number, or
	// family name and date of birth).
	ErrIncomplete = errors.New("the presentation lacks what a replay needs")
)

// Presentation is a patient who presented while the Spine was down:
// enough to redo the trace and the check on their behalf, and no alert
// content.
type Presentation struct {
	// Key identifies the presentation (a UUID): the audit records about it
	// carry it, and its CP-IS queries send it as their TraceID. When a
	// live attempt was made first, it is that presentation's key, and the
	// entry carries the attempt's Intent.
	Key     string    `json:"key"`
	At      time.Time `json:"at"` // when the patient presented
	Setting string    `json:"setting"`
	OrgCode string    `json:"org_code"`
	OrgName string    `json:"org_name,omitempty"`
	// The member of staff on duty, on whose behalf the replay queries.
	UserID   string `json:"user_id"`
	UserName string `json:"user_name"`
	RoleID   string `json:"role_id"`
	JobRole  string `json:"job_role"`
	// NHS is the number typed or scanned; empty when only demographics
	// were taken.
	NHS       string    `json:"nhs,omitempty"`
	Family    string    `json:"family,omitempty"`
	Given     string    `json:"given,omitempty"`
	BirthDate time.Time `json:"birth_date,omitzero"`
	Gender    string    `json:"gender,omitempty"`
	Postcode  string    `json:"postcode,omitempty"`
	// Check is the who-to-check answer as staff saw it, in words.
	Check string `json:"check,omitempty"`
	// Why is why the check waits; an entry written before reasons were
	// kept has none.
	Why cpis.WaitReason `json:"why,omitempty"`
	// Intent is set once a notifying CP-IS query may have been made for
	// this presentation: before it, durably. While it is set, the outcome
	// of that query is unknown until the access history says.
	Intent *Intent `json:"intent,omitempty"`
}

// Kind is how the patient is to be traced: "nhs-number" or "demographics".
func (p Presentation) Kind() string {
	if p.NHS != "" {
		return "nhs-number"
	}
	return "demographics"
}

// QueuedEntry is one entry of the queue with its replay attempts.
type QueuedEntry struct {
	Seq       uint64       `json:"-"`
	Attempts  int          `json:"attempts"`
	LastError string       `json:"last_error,omitempty"` // an error class, never an error's text
	P         Presentation `json:"p"`
}

// Intent is a notifying CP-IS query about to be made: by which role
// profile (the access history names it), and when.
type Intent struct {
	RoleID string    `json:"role_id"`
	At     time.Time `json:"at"`
}

// QueueRow is what IT sees of an entry: no patient details.
type QueueRow struct {
	Seq       uint64
	At        time.Time
	Kind      string // "nhs-number" or "demographics"
	Why       cpis.WaitReason
	Attempts  int
	LastError string // for a dead letter, why it was moved aside
}

// Counts are the queue and review figures for the banner and IT.
type Counts struct {
	Queued     int
	Dead       int
	OpenReview int
	Oldest     time.Time // the oldest queued presentation; zero when none
	LastReplay time.Time // the last entry replayed; zero when none yet
}

// Outcome is what a replay found, for Complete.
type Outcome struct {
	Kind cpis.Result // ResultNoAlert, ResultAlert or ResultManualTrace
	// Review puts the presentation on the retrospective review list; the
	// caller decides (cpis.NeedsReview).
	Review   bool
	NHS      string // the number traced, when PDS found exactly one patient
	Notified bool   // the unscheduled query was made: the local authority was told
	// Alert is the visible plans, for cpis.ResultAlert; any access history is
	// dropped.
	Alert *cpis.Alert
	// Reason says why a manual trace is needed, in words without patient
	// details: "no match on PDS", "more than one match on PDS".
	Reason string
	// FGM is the FGM-IS indicator the later check found: it puts the
	// presentation on the review list whatever CP-IS said.
	FGM *cpis.FGMFlag
	// By is the member of staff in whose name the check was made; the
	// audit record is theirs, beside the presentation's time and who
	// recorded it.
	By Actor
}

// Actor is a member of staff as the audit names them.
type Actor struct {
	UserID   string `json:"user_id,omitempty"`
	UserName string `json:"user_name,omitempty"`
	RoleID   string `json:"role_id,omitempty"`
	JobRole  string `json:"job_role,omitempty"`
}

var metaLastReplay = []byte("last-replay")

// The queue's and the dead letters' sizes, kept in step with the buckets
// in the same transactions, so that Counts reads two numbers instead of
// every page of a long queue. A database written before they were kept
// is counted once, when it is opened (countOnce).
var (
	metaQueued = []byte("queued")
	metaDead   = []byte("dead-letters")
)

// queueFill is how full the queue's pages are made. Entries only ever go
// on the end, so full pages rather than bbolt's half-full default keep
// the queue on fewer pages, as appendTx does for the audit log.
const queueFill = 0.9

func count(tx *bbolt.Tx, key []byte) uint64 {
	if v := tx.Bucket(bucketMeta).Get(key); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func addCount(tx *bbolt.Tx, key []byte, delta int) error {
	n := int64(count(tx, key)) + int64(delta)
	if err := tx.Bucket(bucketMeta).Put(key, seqKey(uint64(max(n, 0)))); err != nil {
		return fmt.Errorf("counting %s: %w", key, err)
	}
	return nil
}

// countOnce stores the queue's and the dead letters' sizes when the
// database has none yet, counting the entries a single time.
func countOnce(tx *bbolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	for _, c := range []struct{ key, bucket []byte }{{metaQueued, bucketQueue}, {metaDead, bucketDead}} {
		if meta.Get(c.key) != nil {
			continue
		}
		n := tx.Bucket(c.bucket).Stats().KeyN
		if err := meta.Put(c.key, seqKey(uint64(n))); err != nil {
			return fmt.Errorf("counting %s: %w", c.bucket, err)
		}
	}
	return nil
}

// Enqueue records a presentation at the tail of the queue and returns its
// number. The entry and the audit record of it commit together, and are on
// disk when Enqueue returns.
func (db *DB) Enqueue(p Presentation) (uint64, error) {
	if p.Key == "" || p.At.IsZero() || (p.NHS == "" && (p.Family == "" || p.BirthDate.IsZero())) {
		return 0, fmt.Errorf("queueing presentation: %w", ErrIncomplete)
	}
	var seq uint64
	err := db.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketQueue)
		b.FillPercent = queueFill
		var err error
		if seq, err = b.NextSequence(); err != nil {
			return fmt.Errorf("numbering entry: %w", err)
		}
		if err := db.putSealed(b, bucketQueue, seqKey(seq), QueuedEntry{P: p}); err != nil {
			return err
		}
		if err := addCount(tx, metaQueued, 1); err != nil {
			return err
		}
		_, err = db.appendTx(tx, eventFor(p, Event{Kind: cpis.EventQueued, NHS: p.NHS, Result: cpis.ResultDone, Why: p.Why, Outcome: "queued: " + p.Kind() + whyWords(p.Why)}))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("queueing presentation: %w", err)
	}
	return seq, nil
}

// Head is the oldest entry; false when the queue is empty. An entry that
// cannot be opened is an *UnreadableError, for SetAside.
func (db *DB) Head() (QueuedEntry, bool, error) {
	var e QueuedEntry
	var ok bool
	err := db.view(func(tx *bbolt.Tx) error {
		k, v := tx.Bucket(bucketQueue).Cursor().First()
		if k == nil {
			return nil
		}
		ok = true
		var err error
		if e, err = db.openEntry(bucketQueue, k, v); err != nil {
			// Whatever is wrong with it (damaged, another key, not an
			// entry), it is this entry's fault: SetAside, and go on.
			return &UnreadableError{Seq: binary.BigEndian.Uint64(k), Err: err}
		}
		return nil
	})
	if err != nil {
		return QueuedEntry{}, false, fmt.Errorf("reading queue: %w", err)
	}
	return e, ok, nil
}

// QueuePage lists up to limit queued entries numbered after after, oldest
// first, without patient details. The first page is after 0; the next is
// after the last row's Seq. Only the rows returned are decrypted.
func (db *DB) QueuePage(after uint64, limit int) ([]QueueRow, error) {
	rows, err := db.page(bucketQueue, after, limit)
	if err != nil {
		return nil, fmt.Errorf("reading queue: %w", err)
	}
	return rows, nil
}

// DeadLetterPage lists up to limit entries moved aside, numbered after
// after, oldest first, with the reason in LastError; paged as QueuePage.
func (db *DB) DeadLetterPage(after uint64, limit int) ([]QueueRow, error) {
	rows, err := db.page(bucketDead, after, limit)
	if err != nil {
		return nil, fmt.Errorf("reading dead letters: %w", err)
	}
	return rows, nil
}

// page reads up to limit rows of bucket after entry number after, in one
// short read transaction.
func (db *DB) page(bucket []byte, after uint64, limit int) ([]QueueRow, error) {
	if limit < 1 {
		return nil, fmt.Errorf("page of %d rows: at least one is needed", limit)
	}
	if after == math.MaxUint64 {
		return nil, nil
	}
	rows := make([]QueueRow, 0, min(limit, 256))
	err := db.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(rows) < limit; k, v = c.Next() {
			e, err := db.openEntry(bucket, k, v)
			if err != nil {
				return err
			}
			rows = append(rows, QueueRow{Seq: e.Seq, At: e.P.At, Kind: e.P.Kind(), Why: e.P.Why, Attempts: e.Attempts, LastError: e.LastError})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// Counts reads the figures for the banner and the status screen.
func (db *DB) Counts() (Counts, error) {
	var c Counts
	err := db.view(func(tx *bbolt.Tx) error {
		q := tx.Bucket(bucketQueue)
		c.Queued, c.Dead = int(count(tx, metaQueued)), int(count(tx, metaDead))
		if k, v := q.Cursor().First(); k != nil {
			// An unreadable head is set aside by the replayer; until then
			// the oldest is not known.
			if e, err := db.openEntry(bucketQueue, k, v); err == nil {
				c.Oldest = e.P.At
			}
		}
		if v := tx.Bucket(bucketMeta).Get(metaLastReplay); v != nil {
			if err := c.LastReplay.UnmarshalText(v); err != nil {
				return fmt.Errorf("reading last replay time: %w", err)
			}
		}
		c.OpenReview = int(count(tx, metaOpenReviews))
		return nil
	})
	if err != nil {
		return Counts{}, fmt.Errorf("counting queue and reviews: %w", err)
	}
	return c, nil
}

// Attempted records a failed replay attempt. class is the error's class
// ("spine unavailable"), never its text, which could echo what was sent.
func (db *DB) Attempted(seq uint64, class string) error {
	err := db.update(func(tx *bbolt.Tx) error {
		_, err := db.changeEntry(tx, seq, func(e *QueuedEntry) {
			e.Attempts++
			e.LastError = class
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("recording replay attempt %d: %w", seq, err)
	}
	return nil
}

// MarkIntent records, before a notifying CP-IS query for entry seq, who is
// about to make it and when: durable, and audited in the same
// transaction. A query is never made without it, so a crash or a lost
// answer afterwards is settled from the access history, not by asking
// again.
func (db *DB) MarkIntent(seq uint64, in Intent) error {
	err := db.update(func(tx *bbolt.Tx) error {
		e, err := db.changeEntry(tx, seq, func(e *QueuedEntry) { e.P.Intent = &in })
		if err != nil {
			return err
		}
		_, err = db.appendTx(tx, eventFor(e.P, Event{At: in.At, Kind: cpis.EventCheckIntent, NHS: e.P.NHS, Replayed: true,
			RoleID: in.RoleID, Result: cpis.ResultDone, Outcome: "about to make the notifying CP-IS query"}))
		return err
	})
	if err != nil {
		return fmt.Errorf("recording the intent to check entry %d: %w", seq, err)
	}
	return nil
}

// Complete records what the replay of entry seq found. In one
// transaction it removes the entry from the queue, adds a review item for
// an alert or a manual trace, writes the audit record and stamps the last
// replay time: an entry leaves the queue only with its outcome recorded.
// A second Complete of the same entry is ErrNotQueued.
func (db *DB) Complete(seq uint64, o Outcome) error {
	if !o.Kind.Known() {
		return fmt.Errorf("completing entry %d: unknown outcome %q", seq, o.Kind)
	}
	err := db.update(func(tx *bbolt.Tx) error {
		e, err := db.takeEntry(tx, seq)
		if err != nil {
			return err
		}
		now := db.now()
		if o.Review {
			it := ReviewItem{Created: now, Kind: o.Kind, P: e.P, Reason: o.Reason, CheckedBy: o.By, CheckedAt: now, FGM: o.FGM}
			if o.Alert != nil {
				// Alert content, kept here and only here, sealed: the
				// safeguarding lead reviews after the event what staff
				// would have seen at the time (DESIGN.md, the downtime
				// paragraph), so the list holds what the lead needs to
				// act (the plans with their dates and the local
				// authority's name and numbers) and nothing more: no
				// access history. The queue itself never holds alert
				// content.
				it.Alert = &cpis.Alert{NHS: o.Alert.NHS, Plans: o.Alert.Plans}
			}
			if err := db.addReviewTx(tx, it); err != nil {
				return err
			}
		}
		outcome := string(o.Kind)
		if o.Reason != "" {
			outcome += ": " + o.Reason
		}
		outcome += " (presented " + e.P.At.UTC().Format(time.RFC3339) + ")"
		ev := eventFor(e.P, Event{At: now, Kind: cpis.EventReplay, NHS: o.NHS, Notified: o.Notified, Replayed: true,
			Result: o.Kind, Why: e.P.Why, Presented: e.P.At, RecordedBy: e.P.UserID, Outcome: outcome})
		if o.By.UserID != "" {
			ev.UserID, ev.UserName, ev.RoleID, ev.JobRole = o.By.UserID, o.By.UserName, o.By.RoleID, o.By.JobRole
		}
		if _, err := db.appendTx(tx, ev); err != nil {
			return err
		}
		stamp, err := now.MarshalText()
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(metaLastReplay, stamp)
	})
	if err != nil {
		return fmt.Errorf("completing entry %d: %w", seq, err)
	}
	return nil
}

// DeadLetter moves entry seq aside after a permanent failure, so that it
// never blocks the rest of the queue, and puts it on the review list for
// someone to trace by hand. reason is a class in words ("not found on
// PDS"), never an error's text. One transaction, audited.
func (db *DB) DeadLetter(seq uint64, reason string) error {
	err := db.update(func(tx *bbolt.Tx) error {
		e, err := db.takeEntry(tx, seq)
		if err != nil {
			return err
		}
		e.LastError = reason
		if err := db.putSealed(tx.Bucket(bucketDead), bucketDead, seqKey(seq), e); err != nil {
			return err
		}
		if err := addCount(tx, metaDead, 1); err != nil {
			return err
		}
		now := db.now()
		if err := db.addReviewTx(tx, ReviewItem{Created: now, Kind: cpis.ResultDeadLetter, P: e.P, Reason: reason}); err != nil {
			return err
		}
		_, err = db.appendTx(tx, eventFor(e.P, Event{At: now, Kind: cpis.EventDeadLetter, NHS: e.P.NHS, Replayed: true,
			Result: cpis.ResultDeadLetter, Outcome: reason}))
		return err
	})
	if err != nil {
		return fmt.Errorf("moving entry %d aside: %w", seq, err)
	}
	return nil
}

// whyWords is the reason a check waits, for the audit record's words.
func whyWords(w cpis.WaitReason) string {
	if w == "" {
		return ""
	}
	return " (" + w.Words() + ")"
}

// eventFor fills an audit record's who and where from the presentation:
// the member of staff on duty, on whose behalf the replay acts.
func eventFor(p Presentation, e Event) Event {
	e.UserID, e.UserName, e.RoleID, e.JobRole = p.UserID, p.UserName, p.RoleID, p.JobRole
	e.OrgCode, e.Setting, e.TraceID = p.OrgCode, p.Setting, p.Key
	return e
}

// entry reads and opens entry seq of the queue inside a transaction.
func (db *DB) entry(b *bbolt.Bucket, seq uint64) (QueuedEntry, error) {
	k := seqKey(seq)
	v := b.Get(k)
	if v == nil {
		return QueuedEntry{}, ErrNotQueued
	}
	return db.openEntry(bucketQueue, k, v)
}

// changeEntry applies change to entry seq inside tx, stores it, and
// returns it as stored.
func (db *DB) changeEntry(tx *bbolt.Tx, seq uint64, change func(*QueuedEntry)) (QueuedEntry, error) {
	b := tx.Bucket(bucketQueue)
	e, err := db.entry(b, seq)
	if err != nil {
		return QueuedEntry{}, err
	}
	change(&e)
	return e, db.putSealed(b, bucketQueue, seqKey(seq), e)
}

// takeEntry removes entry seq from the queue inside tx and returns it.
func (db *DB) takeEntry(tx *bbolt.Tx, seq uint64) (QueuedEntry, error) {
	q := tx.Bucket(bucketQueue)
	e, err := db.entry(q, seq)
	if err != nil {
		return QueuedEntry{}, err
	}
	if err := q.Delete(seqKey(seq)); err != nil {
		return QueuedEntry{}, fmt.Errorf("removing entry: %w", err)
	}
	if err := addCount(tx, metaQueued, -1); err != nil {
		return QueuedEntry{}, err
	}
	return e, nil
}

func (db *DB) openEntry(bucket, k, v []byte) (QueuedEntry, error) {
	if len(k) != 8 {
		return QueuedEntry{}, fmt.Errorf("%s key %x: %w", bucket, k, ErrTampered)
	}
	var e QueuedEntry
	if err := db.openSealed(bucket, k, v, &e); err != nil {
		return QueuedEntry{}, err
	}
	e.Seq = binary.BigEndian.Uint64(k)
	return e, nil
}

// putSealed stores v as JSON sealed under the key and bucket, in the same
// envelope as the audit log's records.
func (db *DB) putSealed(b *bbolt.Bucket, bucket, key []byte, v any) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding record: %w", err)
	}
	val, err := json.Marshal(envelope{V: envelopeV1, Sealed: db.seal.seal(bucket, key, plain)})
	if err != nil {
		return fmt.Errorf("encoding record: %w", err)
	}
	if err := b.Put(key, val); err != nil {
		return fmt.Errorf("storing record: %w", err)
	}
	return nil
}

// openSealed authenticates and decodes a record stored by putSealed. The
// result is copied out of the transaction's pages.
func (db *DB) openSealed(bucket, k, v []byte, dst any) error {
	name := fmt.Sprintf("%x", k) // a staff record's key is a MAC
	if len(k) == 8 {
		name = fmt.Sprint(binary.BigEndian.Uint64(k))
	}
	var env envelope
	if err := json.Unmarshal(v, &env); err != nil || env.V != envelopeV1 || env.Sealed == nil {
		return fmt.Errorf("%s record %s: %w", bucket, name, ErrTampered)
	}
	plain, err := db.seal.open(bucket, k, env.Sealed)
	if err != nil {
		return fmt.Errorf("%s record %s: %w", bucket, name, err)
	}
	if err := json.Unmarshal(plain, dst); err != nil {
		return fmt.Errorf("decoding %s record %s: %w", bucket, name, err)
	}
	return nil
}
