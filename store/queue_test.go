package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"pgregory.net/rapid"

	"github.com/nhs-cpis/kiosk/cpis"
)

// presentations are one by NHS number and one by demographics, as the
// kiosk records them while the Spine is down.
var presentations = []Presentation{
	{Key: "0f8c3b5e-1c2d-4e6f-8a9b-0c1d2e3f4a5b", At: time.Date(2026, 6, 20, 9, 15, 0, 0, time.UTC),
		Setting: "emergency-department", OrgCode: "RR8", OrgName: "Leeds General Infirmary",
		UserID: "555021935107", UserName: "Nightingale Florence", RoleID: "555021936108", JobRole: "R8000",
		NHS: "9990276579", Check: "Required: under 18"},
	{Key: "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d", At: time.Date(2026, 6, 20, 9, 40, 0, 0, time.UTC),
		Setting: "emergency-department", OrgCode: "RR8", OrgName: "Leeds General Infirmary",
		UserID: "555021935107", UserName: "Nightingale Florence", RoleID: "555021936108", JobRole: "R8000",
		Family: "Featherstonehaugh", Given: "Peregrine", BirthDate: time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC),
		Gender: "male", Postcode: "LS1 4AP", Check: "Required: under 18"},
}

var leedsAlert = &cpis.Alert{NHS: "9990276579", Plans: []cpis.Plan{{
	Type: cpis.CPP, Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
	Authority: cpis.LocalAuthority{Name: "Leeds City Council", ODS: "L0383", OfficeHours: "01632 960101", OutOfHours: "01632 960102"},
}}, History: []cpis.Access{{Who: "Sam Patel"}}}

func enqueueAll(t testing.TB, db *DB, ps []Presentation) []uint64 {
	t.Helper()
	var seqs []uint64
	for _, p := range ps {
		seq, err := db.Enqueue(p)
		if err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
		seqs = append(seqs, seq)
	}
	return seqs
}

func events(t testing.TB, db *DB, kind cpis.EventKind) []Event {
	t.Helper()
	var out []Event
	if err := db.Events(func(e Event) error {
		if e.Kind == kind {
			out = append(out, e)
		}
		return nil
	}); err != nil {
		t.Fatalf("Events: %v", err)
	}
	return out
}

func TestQueueKeepsOrderSealedAcrossReopen(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	seqs := enqueueAll(t, db, presentations)
	if seqs[0] != 1 || seqs[1] != 2 {
		t.Errorf("sequence numbers %v, want [1 2]", seqs)
	}
	db.Close()

	raw, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"9990276579", "999 027 6579", "Featherstonehaugh", "Peregrine", "2019-04-01",
		"LS1 4AP", "Nightingale", "555021935107", "Leeds General", `"nhs"`, "nhs-number"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the database file holds %q in clear", secret)
		}
	}

	db = mustOpen(t, dbPath, keyPath)
	defer db.Close()
	head, ok, err := db.Head()
	if err != nil || !ok || head.Seq != 1 || !reflect.DeepEqual(head.P, presentations[0]) {
		t.Fatalf("Head after reopen = %+v, %v, %v; want the first presentation", head, ok, err)
	}
	rows, err := pages(db.QueuePage, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []QueueRow{
		{Seq: 1, At: presentations[0].At, Kind: "nhs-number"},
		{Seq: 2, At: presentations[1].At, Kind: "demographics"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("QueuePage = %+v, want %+v", rows, want)
	}
	c, err := db.Counts()
	if err != nil || c.Queued != 2 || !c.Oldest.Equal(presentations[0].At) || !c.LastReplay.IsZero() {
		t.Errorf("Counts = %+v, %v", c, err)
	}
	// Each enqueue was audited, without the patient in the outcome.
	q := events(t, db, "queued")
	if len(q) != 2 || q[0].TraceID != presentations[0].Key || q[1].Outcome != "queued: demographics" {
		t.Errorf("queued audit records = %+v", q)
	}
	// Numbering carries on after a reopen.
	if seq, err := db.Enqueue(presentations[0]); err != nil || seq != 3 {
		t.Errorf("Enqueue after reopen = %d, %v; want 3", seq, err)
	}
}

func TestEnqueueRefusesIncomplete(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	defer db.Close()
	noKey := presentations[0]
	noKey.Key = ""
	noWay := presentations[1]
	noWay.BirthDate = time.Time{}
	for _, p := range []Presentation{noKey, noWay, {}} {
		if _, err := db.Enqueue(p); !errors.Is(err, ErrIncomplete) {
			t.Errorf("Enqueue(%+v) = %v, want ErrIncomplete", p, err)
		}
	}
	if c, _ := db.Counts(); c.Queued != 0 || len(events(t, db, "queued")) != 0 {
		t.Errorf("a refused presentation left a trace: %+v", c)
	}
}

func TestCompleteOnceWithReviewAndAudit(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	at := time.Date(2026, 6, 21, 8, 0, 0, 0, time.UTC)
	db.now = func() time.Time { return at }
	seqs := enqueueAll(t, db, presentations)

	if err := db.Attempted(seqs[0], "spine unavailable"); err != nil {
		t.Fatal(err)
	}
	if err := db.Complete(seqs[0], Outcome{Kind: cpis.ResultAlert, Review: true, NHS: "9990276579", Notified: true, Alert: leedsAlert}); err != nil {
		t.Fatal(err)
	}
	if err := db.Complete(seqs[0], Outcome{Kind: cpis.ResultAlert, Review: true, NHS: "9990276579", Notified: true, Alert: leedsAlert}); !errors.Is(err, ErrNotQueued) {
		t.Errorf("second Complete = %v, want ErrNotQueued", err)
	}
	if err := db.Complete(seqs[1], Outcome{Kind: cpis.ResultManualTrace, Review: true, Reason: "no match on PDS"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = mustOpen(t, dbPath, keyPath)
	defer db.Close()

	if _, ok, err := db.Head(); ok || err != nil {
		t.Errorf("Head after completing everything: ok %v, %v", ok, err)
	}
	rs, err := db.Reviews(true)
	if err != nil || len(rs) != 2 {
		t.Fatalf("Reviews = %+v, %v", rs, err)
	}
	wantAlert := &cpis.Alert{NHS: leedsAlert.NHS, Plans: leedsAlert.Plans} // no history kept
	if rs[0].ID != 1 || rs[0].Kind != cpis.ResultAlert || !reflect.DeepEqual(rs[0].Alert, wantAlert) ||
		!reflect.DeepEqual(rs[0].P, presentations[0]) || !rs[0].Created.Equal(at) {
		t.Errorf("alert review item = %+v", rs[0])
	}
	if rs[1].Kind != cpis.ResultManualTrace || rs[1].Reason != "no match on PDS" || rs[1].Alert != nil {
		t.Errorf("manual trace review item = %+v", rs[1])
	}
	rep := events(t, db, "replay")
	if len(rep) != 2 {
		t.Fatalf("replay audit records = %+v", rep)
	}
	if e := rep[0]; !e.Replayed || !e.Notified || e.NHS != "9990276579" || e.TraceID != presentations[0].Key ||
		e.UserName != "Nightingale Florence" || e.Outcome != "alert (presented 2026-06-20T09:15:00Z)" {
		t.Errorf("replay audit record = %+v", e)
	}
	c, err := db.Counts()
	if err != nil || c.Queued != 0 || c.OpenReview != 2 || !c.LastReplay.Equal(at) {
		t.Errorf("Counts = %+v, %v", c, err)
	}
}

// A Complete that fails changes nothing: the entry stays, no review item,
// no audit record.
func TestCompleteOfMissingEntryWritesNothing(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	defer db.Close()
	enqueueAll(t, db, presentations[:1])
	if err := db.Complete(9, Outcome{Kind: cpis.ResultAlert, Review: true, Alert: leedsAlert}); !errors.Is(err, ErrNotQueued) {
		t.Errorf("Complete(9) = %v", err)
	}
	if err := db.Complete(1, Outcome{Kind: "maybe"}); err == nil {
		t.Error("Complete with an unknown outcome succeeded")
	}
	if rs, _ := db.Reviews(false); len(rs) != 0 || len(events(t, db, "replay")) != 0 {
		t.Errorf("a failed Complete left %d review items", len(rs))
	}
	if c, _ := db.Counts(); c.Queued != 1 {
		t.Errorf("Queued = %d", c.Queued)
	}
}

func TestDeadLetterMovesAside(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	defer db.Close()
	seqs := enqueueAll(t, db, presentations)
	if err := db.Attempted(seqs[0], "not found"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeadLetter(seqs[0], "not found on PDS"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeadLetter(seqs[0], "not found on PDS"); !errors.Is(err, ErrNotQueued) {
		t.Errorf("second DeadLetter = %v", err)
	}
	head, ok, err := db.Head()
	if err != nil || !ok || head.Seq != seqs[1] {
		t.Errorf("Head = %d, %v, %v; want the next entry", head.Seq, ok, err)
	}
	dead, err := pages(db.DeadLetterPage, 10)
	if err != nil || len(dead) != 1 || dead[0].Seq != seqs[0] || dead[0].Attempts != 1 || dead[0].LastError != "not found on PDS" {
		t.Errorf("DeadLetterPage = %+v, %v", dead, err)
	}
	rs, _ := db.Reviews(true)
	if len(rs) != 1 || rs[0].Kind != cpis.ResultDeadLetter || rs[0].Reason != "not found on PDS" || rs[0].P.Key != presentations[0].Key {
		t.Errorf("Reviews = %+v", rs)
	}
	if d := events(t, db, "dead-letter"); len(d) != 1 || d[0].TraceID != presentations[0].Key {
		t.Errorf("dead-letter audit = %+v", d)
	}
	if c, _ := db.Counts(); c.Queued != 1 || c.Dead != 1 || c.OpenReview != 1 {
		t.Errorf("Counts = %+v", c)
	}
}

func TestAttemptsSurviveReopen(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	enqueueAll(t, db, presentations[:1])
	for range 3 {
		if err := db.Attempted(1, "spine unavailable"); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Attempted(7, "x"); !errors.Is(err, ErrNotQueued) {
		t.Errorf("Attempted(7) = %v", err)
	}
	db.Close()
	db = mustOpen(t, dbPath, keyPath)
	defer db.Close()
	rows, _ := db.QueuePage(0, 10)
	if len(rows) != 1 || rows[0].Attempts != 3 || rows[0].LastError != "spine unavailable" {
		t.Errorf("QueuePage = %+v", rows)
	}
}

func TestSignOffOnce(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	defer db.Close()
	seqs := enqueueAll(t, db, presentations)
	db.Complete(seqs[0], Outcome{Kind: cpis.ResultAlert, Review: true, NHS: "9990276579", Notified: true, Alert: leedsAlert})
	db.Complete(seqs[1], Outcome{Kind: cpis.ResultManualTrace, Review: true, Reason: "more than one match on PDS"})

	at := time.Date(2026, 6, 22, 14, 0, 0, 0, time.UTC)
	if err := db.SignOff(1, "Mary Seacole", "Named Nurse Safeguarding", "LA informed by phone", at); err != nil {
		t.Fatal(err)
	}
	err := db.SignOff(1, "Someone Else", "Nurse", "", at.Add(time.Hour))
	if !errors.Is(err, ErrAlreadySignedOff) {
		t.Errorf("second SignOff = %v, want ErrAlreadySignedOff", err)
	}
	if err := db.SignOff(9, "Mary Seacole", "Lead", "", at); !errors.Is(err, ErrNoSuchReview) {
		t.Errorf("SignOff(9) = %v, want ErrNoSuchReview", err)
	}
	open, _ := db.Reviews(true)
	all, _ := db.Reviews(false)
	if len(open) != 1 || open[0].ID != 2 || len(all) != 2 {
		t.Fatalf("open %+v, all %d", open, len(all))
	}
	if s := all[0]; !s.SignedOff || s.SignedBy != "Mary Seacole" || s.SignedRole != "Named Nurse Safeguarding" ||
		!s.SignedAt.Equal(at) || s.Note != "LA informed by phone" {
		t.Errorf("signed item = %+v", s)
	}
	so := events(t, db, "review-signed-off")
	if len(so) != 1 || so[0].UserName != "Mary Seacole" || so[0].NHS != "9990276579" || !so[0].At.Equal(at) {
		t.Errorf("sign-off audit = %+v", so)
	}
	if c, _ := db.Counts(); c.OpenReview != 1 {
		t.Errorf("OpenReview = %d", c.OpenReview)
	}
}

// A database holding a queue is refused with a missing or wrong key, and
// left as it was; the right key then reads the queue unharmed.
func TestQueueRefusedWithoutItsKey(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	enqueueAll(t, db, presentations)
	db.Close()
	before := fileHash(t, dbPath)
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}

	otherDB, otherKey := paths(t)
	mustOpen(t, otherDB, otherKey).Close()
	if _, err := Open(dbPath, otherKey, nil); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("Open with another key = %v, want ErrKeyMismatch", err)
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dbPath, keyPath, nil); !errors.Is(err, ErrKeyMissing) {
		t.Errorf("Open without the key = %v, want ErrKeyMissing", err)
	}
	if fileHash(t, dbPath) != before {
		t.Error("the database file changed when the key was refused")
	}

	if err := os.WriteFile(keyPath, key, 0o600); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dbPath, keyPath)
	defer db.Close()
	if rows, err := db.QueuePage(0, 10); err != nil || len(rows) != 2 {
		t.Errorf("QueuePage with the key restored = %+v, %v", rows, err)
	}
}

// Entries cannot be swapped, nor moved into the review list, unnoticed.
func TestQueueTamperingDetected(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(tx *bbolt.Tx) error
		read func(db *DB) error
	}{
		{"entries swapped", func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucketQueue)
			one, two := bytes.Clone(b.Get(seqKey(1))), bytes.Clone(b.Get(seqKey(2)))
			b.Put(seqKey(1), two)
			return b.Put(seqKey(2), one)
		}, func(db *DB) error { _, _, err := db.Head(); return err }},
		{"entry moved to the review list", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketReview).Put(seqKey(1), bytes.Clone(tx.Bucket(bucketQueue).Get(seqKey(1))))
		}, func(db *DB) error { _, err := db.Reviews(false); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dbPath, keyPath := paths(t)
			db := mustOpen(t, dbPath, keyPath)
			enqueueAll(t, db, presentations)
			db.Close()
			bdb, err := bbolt.Open(dbPath, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := bdb.Update(tt.edit); err != nil {
				t.Fatal(err)
			}
			bdb.Close()
			db = mustOpen(t, dbPath, keyPath)
			defer db.Close()
			if err := tt.read(db); !errors.Is(err, ErrTampered) {
				t.Errorf("after %s: %v, want ErrTampered", tt.name, err)
			}
		})
	}
}

// queueModel is what the queue should hold: keys in order.
type queueModel struct {
	t        *testing.T
	dbPath   string
	keyPath  string
	db       *DB
	queue    []modelEntry
	finished map[uint64]string // seq -> "complete" or "dead"
	keys     map[uint64]string
	attempts map[uint64]int
	next     int
}

type modelEntry struct {
	seq uint64
	key string
}

// A property test: under any interleaving of enqueue, complete, dead
// letter, failed attempt, sign-off and reopen, the queue keeps presentation order,
// every entry leaves it exactly once, and the audit log says so once.
func TestQueuePropertyOrderAndExactlyOnce(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		dbPath, keyPath := paths(t)
		m := &queueModel{t: t, dbPath: dbPath, keyPath: keyPath, db: mustOpen(t, dbPath, keyPath),
			finished: map[uint64]string{}, keys: map[uint64]string{}, attempts: map[uint64]int{}}
		defer func() { m.db.Close() }()
		rt.Repeat(map[string]func(*rapid.T){
			"enqueue": func(rt *rapid.T) {
				p := presentations[rapid.IntRange(0, 1).Draw(rt, "which")]
				m.next++
				p.Key = fmt.Sprintf("key-%d", m.next)
				seq, err := m.db.Enqueue(p)
				if err != nil {
					rt.Fatal(err)
				}
				if n := len(m.queue); n > 0 && seq <= m.queue[n-1].seq {
					rt.Fatalf("sequence %d after %d", seq, m.queue[n-1].seq)
				}
				m.queue = append(m.queue, modelEntry{seq, p.Key})
				m.keys[seq] = p.Key
			},
			"complete": func(rt *rapid.T) {
				i := m.pick(rt)
				o := rapid.SampledFrom([]Outcome{{Kind: cpis.ResultNoAlert}, {Kind: cpis.ResultAlert, Review: true, Alert: leedsAlert},
					{Kind: cpis.ResultManualTrace, Review: true, Reason: "no match on PDS"}}).Draw(rt, "outcome")
				if err := m.db.Complete(m.queue[i].seq, o); err != nil {
					rt.Fatal(err)
				}
				m.finish(i, "complete")
			},
			"deadLetter": func(rt *rapid.T) {
				i := m.pick(rt)
				if err := m.db.DeadLetter(m.queue[i].seq, "not found on PDS"); err != nil {
					rt.Fatal(err)
				}
				m.finish(i, "dead")
			},
			"attempt": func(rt *rapid.T) {
				i := m.pick(rt)
				if err := m.db.Attempted(m.queue[i].seq, "spine unavailable"); err != nil {
					rt.Fatal(err)
				}
				m.attempts[m.queue[i].seq]++
			},
			"finishAgain": func(rt *rapid.T) {
				if len(m.finished) == 0 {
					rt.Skip("nothing finished yet")
				}
				var seqs []uint64
				for s := range m.finished {
					seqs = append(seqs, s)
				}
				seq := rapid.SampledFrom(seqs).Draw(rt, "seq")
				if err := m.db.Complete(seq, Outcome{Kind: cpis.ResultNoAlert}); !errors.Is(err, ErrNotQueued) {
					rt.Fatalf("Complete of finished entry %d = %v", seq, err)
				}
				if err := m.db.DeadLetter(seq, "again"); !errors.Is(err, ErrNotQueued) {
					rt.Fatalf("DeadLetter of finished entry %d = %v", seq, err)
				}
			},
			"signOff": func(rt *rapid.T) {
				open, err := m.db.Reviews(true)
				if err != nil {
					rt.Fatal(err)
				}
				if len(open) == 0 {
					rt.Skip("nothing to sign off")
				}
				id := rapid.SampledFrom(open).Draw(rt, "item").ID
				if err := m.db.SignOff(id, "Mary Seacole", "Lead", "", time.Now()); err != nil {
					rt.Fatal(err)
				}
				if err := m.db.SignOff(id, "Mary Seacole", "Lead", "", time.Now()); !errors.Is(err, ErrAlreadySignedOff) {
					rt.Fatalf("second sign-off = %v", err)
				}
			},
			"reopen": func(rt *rapid.T) {
				if err := m.db.Close(); err != nil {
					rt.Fatal(err)
				}
				m.db = mustOpen(t, m.dbPath, m.keyPath)
			},
			"": m.check,
		})
		m.checkAudit(rt)
	})
}

// pick chooses a queued entry, usually the head as the replayer does,
// sometimes any other.
func (m *queueModel) pick(rt *rapid.T) int {
	if len(m.queue) == 0 {
		rt.Skip("queue empty")
	}
	if rapid.Bool().Draw(rt, "head") {
		return 0
	}
	return rapid.IntRange(0, len(m.queue)-1).Draw(rt, "index")
}

func (m *queueModel) finish(i int, how string) {
	m.finished[m.queue[i].seq] = how
	m.queue = append(m.queue[:i:i], m.queue[i+1:]...)
}

func (m *queueModel) check(rt *rapid.T) {
	rows, err := pages(m.db.QueuePage, rapid.IntRange(1, 4).Draw(rt, "page"))
	if err != nil {
		rt.Fatal(err)
	}
	if len(rows) != len(m.queue) {
		rt.Fatalf("queue holds %d entries, want %d", len(rows), len(m.queue))
	}
	for i, r := range rows {
		if r.Seq != m.queue[i].seq || r.Attempts != m.attempts[r.Seq] {
			rt.Fatalf("entry %d is %d with %d attempts, want %d with %d", i, r.Seq, r.Attempts, m.queue[i].seq, m.attempts[m.queue[i].seq])
		}
	}
	head, ok, err := m.db.Head()
	if err != nil || ok != (len(m.queue) > 0) || (ok && head.P.Key != m.queue[0].key) {
		rt.Fatalf("Head = %+v, %v, %v", head, ok, err)
	}
	dead, err := pages(m.db.DeadLetterPage, rapid.IntRange(1, 4).Draw(rt, "deadPage"))
	if err != nil {
		rt.Fatal(err)
	}
	var wantDead []uint64
	for seq, how := range m.finished {
		if how == "dead" {
			wantDead = append(wantDead, seq)
		}
	}
	slices.Sort(wantDead)
	for i, r := range dead {
		if i >= len(wantDead) || r.Seq != wantDead[i] {
			rt.Fatalf("dead letters %+v, want %v", dead, wantDead)
		}
	}
	c, err := m.db.Counts()
	open, err2 := m.db.Reviews(true)
	if err != nil || err2 != nil || c.Queued != len(m.queue) || c.Dead != len(wantDead) || len(dead) != len(wantDead) || c.OpenReview != len(open) {
		rt.Fatalf("Counts = %+v (%v) with %d open review items (%v), %d queued, %d dead letters", c, err, len(open), err2, len(m.queue), len(wantDead))
	}
}

// checkAudit: each presentation queued once, and each finished entry
// replayed or moved aside once.
func (m *queueModel) checkAudit(rt *rapid.T) {
	count := map[string]int{}
	err := m.db.Events(func(e Event) error {
		count[string(e.Kind)+" "+e.TraceID]++
		return nil
	})
	if err != nil {
		rt.Fatal(err)
	}
	for seq, key := range m.keys {
		if count["queued "+key] != 1 {
			rt.Fatalf("%s queued %d times in the audit", key, count["queued "+key])
		}
		var replay, dead int
		switch m.finished[seq] {
		case "complete":
			replay = 1
		case "dead":
			dead = 1
		}
		if count["replay "+key] != replay || count["dead-letter "+key] != dead {
			rt.Fatalf("%s: %d replay and %d dead-letter records, want %d and %d",
				key, count["replay "+key], count["dead-letter "+key], replay, dead)
		}
	}
}
