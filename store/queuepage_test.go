package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/nhs-cpis/kiosk/cpis"
)

// pages reads a whole list page by page, limit rows at a time, as the
// queue screen and the command line do.
func pages(read func(after uint64, limit int) ([]QueueRow, error), limit int) ([]QueueRow, error) {
	var all []QueueRow
	var after uint64
	for {
		rows, err := read(after, limit)
		if err != nil || len(rows) == 0 {
			return all, err
		}
		if len(rows) > limit || rows[0].Seq <= after {
			return all, fmt.Errorf("the page after %d of %d rows gave %v", after, limit, seqs(rows))
		}
		all = append(all, rows...)
		after = rows[len(rows)-1].Seq
	}
}

func seqs(rows []QueueRow) []uint64 {
	out := []uint64{}
	for _, r := range rows {
		out = append(out, r.Seq)
	}
	return out
}

// editRaw changes the closed database behind the store's back.
func editRaw(t *testing.T, dbPath string, edit func(tx *bbolt.Tx) error) {
	t.Helper()
	bdb, err := bbolt.Open(dbPath, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(edit); err != nil {
		t.Fatal(err)
	}
}

// queueWithGaps queues seven presentations, completes the first and moves
// the third and sixth aside: the queue holds 2, 4, 5 and 7.
func queueWithGaps(t *testing.T, db *DB) {
	t.Helper()
	for i := range 7 {
		p := presentations[i%2]
		p.At = p.At.Add(time.Duration(i) * time.Minute)
		if _, err := db.Enqueue(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Complete(1, Outcome{Kind: cpis.ResultNoAlert}); err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{3, 6} {
		if err := db.DeadLetter(seq, "not found on PDS"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestQueuePageOrderAfterAndLimit(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	defer db.Close()
	queueWithGaps(t, db)

	for _, tt := range []struct {
		after uint64
		limit int
		want  []uint64
	}{
		{0, 2, []uint64{2, 4}},
		{4, 2, []uint64{5, 7}},     // after the last row of the page before
		{3, 10, []uint64{4, 5, 7}}, // after a number no longer queued
		{1, 1, []uint64{2}},
		{7, 2, []uint64{}},
		{100, 2, []uint64{}},
		{math.MaxUint64, 2, []uint64{}}, // no wrapping round to the start
	} {
		rows, err := db.QueuePage(tt.after, tt.limit)
		if err != nil || !reflect.DeepEqual(seqs(rows), tt.want) {
			t.Errorf("QueuePage(%d, %d) = %v, %v; want %v", tt.after, tt.limit, seqs(rows), err, tt.want)
		}
	}
	if _, err := db.QueuePage(0, 0); err == nil {
		t.Error("QueuePage with a limit of 0 gave no error")
	}

	whole, err := db.QueuePage(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []QueueRow{
		{Seq: 2, At: presentations[1].At.Add(time.Minute), Kind: "demographics"},
		{Seq: 4, At: presentations[1].At.Add(3 * time.Minute), Kind: "demographics"},
		{Seq: 5, At: presentations[0].At.Add(4 * time.Minute), Kind: "nhs-number"},
		{Seq: 7, At: presentations[0].At.Add(6 * time.Minute), Kind: "nhs-number"},
	}
	if !reflect.DeepEqual(whole, want) {
		t.Errorf("QueuePage(0, 100) = %+v, want %+v", whole, want)
	}
	for limit := 1; limit <= 5; limit++ {
		if rows, err := pages(db.QueuePage, limit); err != nil || !reflect.DeepEqual(rows, whole) {
			t.Errorf("paging %d at a time = %v, %v; want %v", limit, seqs(rows), err, seqs(whole))
		}
	}

	dead, err := db.DeadLetterPage(0, 1)
	if err != nil || len(dead) != 1 || dead[0].Seq != 3 || dead[0].LastError != "not found on PDS" || dead[0].Kind != "nhs-number" {
		t.Errorf("DeadLetterPage(0, 1) = %+v, %v", dead, err)
	}
	if dead, err := db.DeadLetterPage(3, 1); err != nil || !reflect.DeepEqual(seqs(dead), []uint64{6}) {
		t.Errorf("DeadLetterPage(3, 1) = %v, %v; want [6]", seqs(dead), err)
	}
	if dead, err := db.DeadLetterPage(6, 1); err != nil || len(dead) != 0 {
		t.Errorf("DeadLetterPage(6, 1) = %v, %v; want none", seqs(dead), err)
	}
	if c, err := db.Counts(); err != nil || c.Queued != 4 || c.Dead != 2 || !c.Oldest.Equal(want[0].At) {
		t.Errorf("Counts = %+v, %v; want 4 queued, 2 dead letters", c, err)
	}
}

// A page decrypts only its own rows: a tampered row fails the page that
// holds it, with ErrTampered and no panic, and no other page.
func TestQueuePageTampered(t *testing.T) {
	flipSealed := func(bucket []byte, seq uint64) func(tx *bbolt.Tx) error {
		return func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucket)
			var env envelope
			if err := json.Unmarshal(b.Get(seqKey(seq)), &env); err != nil {
				return err
			}
			env.Sealed[len(env.Sealed)/2] ^= 1
			v, err := json.Marshal(env)
			if err != nil {
				return err
			}
			return b.Put(seqKey(seq), v)
		}
	}
	for _, tt := range []struct {
		name   string
		edit   func(tx *bbolt.Tx) error
		read   func(db *DB, after uint64, limit int) ([]QueueRow, error)
		bad    int // the page after 0 of this many rows holds the harm
		before int // a page of this many rows stops short of it
	}{
		{"a byte of a sealed entry flipped", flipSealed(bucketQueue, 4), (*DB).QueuePage, 2, 1},
		{"an entry that is not a sealed record", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketQueue).Put(seqKey(4), []byte("not a record"))
		}, (*DB).QueuePage, 2, 1},
		{"an entry under another's number", func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucketQueue)
			return b.Put(seqKey(5), bytes.Clone(b.Get(seqKey(7))))
		}, (*DB).QueuePage, 3, 2},
		{"an entry under a key that is not a number", func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucketQueue)
			return b.Put(append(seqKey(4), 0), bytes.Clone(b.Get(seqKey(4))))
		}, (*DB).QueuePage, 3, 2},
		{"a byte of a dead letter flipped", flipSealed(bucketDead, 6), (*DB).DeadLetterPage, 2, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dbPath, keyPath := paths(t)
			db := mustOpen(t, dbPath, keyPath)
			queueWithGaps(t, db)
			db.Close()
			editRaw(t, dbPath, tt.edit)
			db = mustOpen(t, dbPath, keyPath)
			defer db.Close()

			if rows, err := tt.read(db, 0, tt.bad); !errors.Is(err, ErrTampered) || rows != nil {
				t.Errorf("the page holding the harm = %v, %v; want ErrTampered", seqs(rows), err)
			}
			if _, err := tt.read(db, 0, 100); !errors.Is(err, ErrTampered) {
				t.Errorf("the whole list = %v; want ErrTampered", err)
			}
			if rows, err := tt.read(db, 0, tt.before); err != nil || len(rows) != tt.before {
				t.Errorf("a page before the harm = %v, %v; want %d rows", seqs(rows), err, tt.before)
			}
		})
	}
}

// A database written before the counts were kept is counted once when
// it is opened; the counts then keep step.
func TestCountsCountedOnceWhenMissing(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	queueWithGaps(t, db)
	db.Close()
	editRaw(t, dbPath, func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Delete(metaQueued); err != nil {
			return err
		}
		return meta.Delete(metaDead)
	})
	db = mustOpen(t, dbPath, keyPath)
	defer db.Close()
	if c, err := db.Counts(); err != nil || c.Queued != 4 || c.Dead != 2 {
		t.Fatalf("Counts after reopening = %+v, %v; want 4 queued, 2 dead letters", c, err)
	}
	if _, err := db.Enqueue(presentations[0]); err != nil {
		t.Fatal(err)
	}
	if err := db.DeadLetter(2, "not found on PDS"); err != nil {
		t.Fatal(err)
	}
	if c, err := db.Counts(); err != nil || c.Queued != 4 || c.Dead != 3 {
		t.Errorf("Counts = %+v, %v; want 4 queued, 3 dead letters", c, err)
	}
}
