package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"

	"go.etcd.io/bbolt"
)

// chainEvents are six records a minute apart, so a break can be placed in
// time by its neighbours.
func chainEvents() []Event {
	t0 := time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC)
	kinds := []cpis.EventKind{"login", "trace", "silent-check", "alert-opened", "trace", "card-removed"}
	out := make([]Event, len(kinds))
	for i, k := range kinds {
		out[i] = Event{At: t0.Add(time.Duration(i) * time.Minute), Kind: k, UserID: "555000000010",
			UserName: "Alex Morgan", RoleID: "555000000010-01", JobRole: "Staff Nurse", OrgCode: "RXX01",
			Setting: "emergency-department", Outcome: fmt.Sprint("step ", i+1)}
		if k != "login" && k != "card-removed" {
			out[i].NHS = "9990276579"
		}
	}
	return out
}

// chainDB writes chainEvents to a real database file and closes it.
func chainDB(t *testing.T) (dbPath, keyPath string) {
	t.Helper()
	dbPath, keyPath = paths(t)
	db := mustOpen(t, dbPath, keyPath)
	appendAll(t, db, chainEvents())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dbPath, keyPath
}

// verifyFile reopens the file and verifies it; Events must agree.
func verifyFile(t *testing.T, dbPath, keyPath string) (Report, *Break) {
	t.Helper()
	db := mustOpen(t, dbPath, keyPath)
	defer db.Close()
	rep, err := db.Verify()
	var brk *Break
	if err != nil && !errors.As(err, &brk) {
		t.Fatalf("Verify: %v", err)
	}
	evErr := db.Events(func(Event) error { return nil })
	switch {
	case brk == nil && evErr != nil:
		t.Errorf("Verify passed but Events failed: %v", evErr)
	case brk != nil && !errors.Is(evErr, ErrTampered):
		t.Errorf("Verify found %v but Events gave %v", brk, evErr)
	}
	if brk != nil && !errors.Is(brk, ErrTampered) {
		t.Errorf("a Break does not match ErrTampered")
	}
	return rep, brk
}

func TestChainVerifiesIntactLog(t *testing.T) {
	dbPath, keyPath := chainDB(t)
	rep, brk := verifyFile(t, dbPath, keyPath)
	if brk != nil {
		t.Fatalf("an untouched log does not verify: %v", brk)
	}
	if rep.Records != 6 || rep.First != 1 || rep.Last != 6 || !rep.LastAt.Equal(chainEvents()[5].At) {
		t.Errorf("report %+v", rep)
	}
	// An empty log verifies too.
	p, k := paths(t)
	db := mustOpen(t, p, k)
	defer db.Close()
	if rep, err := db.Verify(); err != nil || rep.Records != 0 {
		t.Errorf("empty log: %+v %v", rep, err)
	}
}

func TestChainTamperingCaught(t *testing.T) {
	get := func(b *bbolt.Bucket, n uint64) []byte { return bytes.Clone(b.Get(seqKey(n))) }
	tests := []struct {
		name     string
		edit     func(audit, meta *bbolt.Bucket) error
		seq      uint64
		kind     string
		found    uint64
		readable bool // the broken record's own time can still be told
	}{
		{"a byte of the sealed event altered", func(b, _ *bbolt.Bucket) error {
			v := get(b, 3)
			v[len(v)-5] ^= 0x40
			return b.Put(seqKey(3), v)
		}, 3, BreakAltered, 0, false},
		{"a byte of the link altered", func(b, _ *bbolt.Bucket) error {
			v := get(b, 4)
			v[20] ^= 1
			return b.Put(seqKey(4), v)
		}, 4, BreakAltered, 0, false},
		{"a record removed", func(b, _ *bbolt.Bucket) error {
			return b.Delete(seqKey(3))
		}, 3, BreakMissing, 0, false},
		{"a record removed and the rest renumbered", func(b, _ *bbolt.Bucket) error {
			for n := uint64(3); n < 6; n++ {
				if err := b.Put(seqKey(n), get(b, n+1)); err != nil {
					return err
				}
			}
			return b.Delete(seqKey(6))
		}, 3, BreakReordered, 4, true},
		{"two records swapped", func(b, _ *bbolt.Bucket) error {
			two, five := get(b, 2), get(b, 5)
			if err := b.Put(seqKey(2), five); err != nil {
				return err
			}
			return b.Put(seqKey(5), two)
		}, 2, BreakReordered, 5, true},
		{"a record's sealed value replaced by another's", func(b, _ *bbolt.Bucket) error {
			v2, v5 := get(b, 2), get(b, 5)
			return b.Put(seqKey(2), append(v2[:recordHeader:recordHeader], v5[recordHeader:]...))
		}, 2, BreakAltered, 0, false},
		{"a record copied over another", func(b, _ *bbolt.Bucket) error {
			return b.Put(seqKey(4), get(b, 2))
		}, 4, BreakReordered, 2, true},
		{"the last record removed", func(b, _ *bbolt.Bucket) error {
			return b.Delete(seqKey(6))
		}, 6, BreakTruncated, 0, false},
		{"the last two records removed", func(b, _ *bbolt.Bucket) error {
			if err := b.Delete(seqKey(6)); err != nil {
				return err
			}
			return b.Delete(seqKey(5))
		}, 5, BreakTruncated, 0, false},
		{"the last record removed and the head with it", func(b, meta *bbolt.Bucket) error {
			if err := b.Delete(seqKey(6)); err != nil {
				return err
			}
			return meta.Delete(metaAuditHead)
		}, 6, BreakHead, 0, false},
		{"the head moved back a record", func(b, meta *bbolt.Bucket) error {
			// What someone with the file but not the key can do: put the
			// previous record's number and hash in the head, and keep the
			// MAC as it was.
			v5 := get(b, 5)
			r, _ := parseRecord(v5)
			h := linkHash(sha256.New(), 5, r.prev, r.sealed)
			head := bytes.Clone(meta.Get(metaAuditHead))
			copy(head[:8], seqKey(5))
			copy(head[8:40], h[:])
			if err := b.Delete(seqKey(6)); err != nil {
				return err
			}
			return meta.Put(metaAuditHead, head)
		}, 6, BreakHead, 0, false},
		{"a record altered and the chain's hashes recomputed without the key", func(b, _ *bbolt.Bucket) error {
			// Replace record 3's sealed event by record 2's and relink
			// record 4 to the new hash: every hash agrees, the MAC does not.
			v3, v2 := get(b, 3), get(b, 2)
			forged := append(v3[:recordHeader:recordHeader], v2[recordHeader:]...)
			r3, _ := parseRecord(forged)
			h := linkHash(sha256.New(), 3, r3.prev, r3.sealed)
			v4 := get(b, 4)
			copy(v4[9:41], h[:])
			if err := b.Put(seqKey(3), forged); err != nil {
				return err
			}
			return b.Put(seqKey(4), v4)
		}, 3, BreakAltered, 0, false},
		{"a record that is not a chained record", func(b, _ *bbolt.Bucket) error {
			return b.Put(seqKey(2), []byte(`{"v":1,"sealed":"AAAA"}`))
		}, 2, BreakAltered, 0, false},
		{"a record added at the end", func(b, _ *bbolt.Bucket) error {
			return b.Put(seqKey(7), get(b, 6))
		}, 7, BreakReordered, 6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbPath, keyPath := chainDB(t)
			rawEdit(t, dbPath, tt.edit)
			_, brk := verifyFile(t, dbPath, keyPath)
			if brk == nil {
				t.Fatalf("%s went unnoticed", tt.name)
			}
			if brk.Seq != tt.seq || brk.Kind != tt.kind || brk.Found != tt.found {
				t.Errorf("break = record %d %s (found %d), want record %d %s (found %d): %v",
					brk.Seq, brk.Kind, brk.Found, tt.seq, tt.kind, tt.found, brk)
			}
			// The break is placed in time: by its own time when it can be
			// read, else by the intact record before it.
			events := chainEvents()
			switch {
			case tt.readable:
				if brk.At.IsZero() {
					t.Errorf("the record in the wrong place is readable, but no time was given: %v", brk)
				}
			case tt.seq > 1:
				if brk.After == nil || brk.After.Seq != tt.seq-1 || !brk.After.At.Equal(events[tt.seq-2].At) {
					t.Errorf("the break is not placed after record %d: %+v", tt.seq-1, brk.After)
				}
			}
			msg := brk.Error()
			if !strings.Contains(msg, fmt.Sprintf("record %d ", tt.seq)) || !strings.Contains(msg, "2026-06-20") {
				t.Errorf("the message does not name the record and its time: %s", msg)
			}
		})
	}
}

// An append after the tail was cut off chains onto nothing, so the cut
// stays visible; it never mends the chain.
func TestAppendAfterTamperingKeepsItVisible(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(audit, meta *bbolt.Bucket) error
	}{
		{"tail cut and counter wound back", func(b, _ *bbolt.Bucket) error {
			if err := b.Delete(seqKey(6)); err != nil {
				return err
			}
			return b.SetSequence(5)
		}},
		{"tail cut and head removed", func(b, meta *bbolt.Bucket) error {
			if err := b.Delete(seqKey(6)); err != nil {
				return err
			}
			if err := b.SetSequence(5); err != nil {
				return err
			}
			return meta.Delete(metaAuditHead)
		}},
		{"head not authentic", func(_, meta *bbolt.Bucket) error {
			head := bytes.Clone(meta.Get(metaAuditHead))
			head[len(head)-1] ^= 1
			return meta.Put(metaAuditHead, head)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dbPath, keyPath := chainDB(t)
			rawEdit(t, dbPath, tt.edit)
			db := mustOpen(t, dbPath, keyPath)
			seq, err := db.Append(Event{Kind: "login", UserID: "555000000011"})
			if err != nil {
				t.Fatal(err)
			}
			if seq < 6 {
				t.Errorf("the append took number %d, at or below a record that existed", seq)
			}
			db.Close()
			if _, brk := verifyFile(t, dbPath, keyPath); brk == nil {
				t.Fatal("an append hid the tampering")
			}
		})
	}
}

func TestPurgeKeepsChainVerifying(t *testing.T) {
	dbPath, keyPath := chainDB(t)
	db := mustOpen(t, dbPath, keyPath)
	events := chainEvents()
	cutoff := events[3].At // records 1 to 3 are older
	res, err := db.Purge(cutoff, "test")
	if err != nil {
		t.Fatal(err)
	}
	if res.Purged != 3 || res.First != 1 || res.Last != 3 || res.Seq != 7 {
		t.Errorf("purge result %+v", res)
	}
	rep, err := db.Verify()
	if err != nil {
		t.Fatalf("after a purge the log does not verify: %v", err)
	}
	if rep.Checkpoint != 3 || rep.First != 4 || rep.Last != 7 || rep.Records != 4 {
		t.Errorf("report after purge %+v", rep)
	}
	got := readAll(t, db)
	if len(got) != 4 || got[3].Kind != cpis.EventAuditPurged || !strings.Contains(got[3].Outcome, res.Checkpoint) {
		t.Errorf("after purge: %+v", got)
	}
	// Nothing more is old enough: no second purge record.
	if res, err := db.Purge(cutoff, "test"); err != nil || res.Purged != 0 {
		t.Errorf("second purge %+v %v", res, err)
	}
	// Purging everything leaves the purge record, still linked.
	if res, err := db.Purge(time.Now(), "test"); err != nil || res.Purged != 4 {
		t.Fatalf("purging all: %+v %v", res, err)
	}
	if _, err := db.Append(Event{Kind: "login"}); err != nil {
		t.Fatal(err)
	}
	if rep, err := db.Verify(); err != nil || rep.Records != 2 || rep.Checkpoint != 7 {
		t.Errorf("after purging all and appending: %+v %v", rep, err)
	}
	db.Close()
	if _, brk := verifyFile(t, dbPath, keyPath); brk != nil {
		t.Fatalf("after reopening: %v", brk)
	}
}

func TestPurgeTamperingCaught(t *testing.T) {
	var purged []byte // record 1 as it was, to put back
	tests := []struct {
		name string
		edit func(audit, meta *bbolt.Bucket) error
		seq  uint64
		kind string
	}{
		{"the first kept record removed", func(b, _ *bbolt.Bucket) error {
			return b.Delete(seqKey(4))
		}, 4, BreakMissing},
		{"the checkpoint removed", func(_, meta *bbolt.Bucket) error {
			return meta.Delete(metaCheckpoint)
		}, 1, BreakMissing},
		{"the checkpoint moved on", func(_, meta *bbolt.Bucket) error {
			cp := bytes.Clone(meta.Get(metaCheckpoint))
			copy(cp[:8], seqKey(4))
			return meta.Put(metaCheckpoint, cp)
		}, 5, BreakCheckpoint},
		{"a purged record put back", func(b, _ *bbolt.Bucket) error {
			return b.Put(seqKey(1), purged)
		}, 1, BreakReinstated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbPath, keyPath := chainDB(t)
			rawEdit(t, dbPath, func(b, _ *bbolt.Bucket) error {
				purged = bytes.Clone(b.Get(seqKey(1)))
				return nil
			})
			db := mustOpen(t, dbPath, keyPath)
			if _, err := db.Purge(chainEvents()[3].At, "test"); err != nil {
				t.Fatal(err)
			}
			db.Close()
			rawEdit(t, dbPath, tt.edit)
			_, brk := verifyFile(t, dbPath, keyPath)
			if brk == nil {
				t.Fatalf("%s went unnoticed", tt.name)
			}
			if brk.Seq != tt.seq || brk.Kind != tt.kind {
				t.Errorf("break = record %d %s, want record %d %s: %v", brk.Seq, brk.Kind, tt.seq, tt.kind, brk)
			}
		})
	}
}

// A log that does not verify is never purged: the purge would carry the
// evidence away.
func TestPurgeRefusesTamperedLog(t *testing.T) {
	dbPath, keyPath := chainDB(t)
	rawEdit(t, dbPath, func(b, _ *bbolt.Bucket) error { return b.Delete(seqKey(2)) })
	db := mustOpen(t, dbPath, keyPath)
	defer db.Close()
	if _, err := db.Purge(time.Now(), "test"); !errors.Is(err, ErrTampered) {
		t.Fatalf("Purge of a tampered log = %v, want ErrTampered", err)
	}
	var n int
	db.bolt.View(func(tx *bbolt.Tx) error { n = tx.Bucket(bucketAudit).Stats().KeyN; return nil })
	if n != 5 {
		t.Errorf("%d records left, want the 5 there were", n)
	}
}

// The MAC key is derived apart from the sealing key, from the key file:
// neither the database nor the sealing key gives it.
func TestChainKeyApart(t *testing.T) {
	master := bytes.Repeat([]byte{9}, keySize)
	c, err := newChain(master)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSealer(master)
	if err != nil {
		t.Fatal(err)
	}
	probe := s.seal([]byte("x"), []byte("y"), []byte("z"))
	if bytes.Equal(c.key, master) || bytes.Contains(probe, c.key) || len(c.key) != 32 {
		t.Errorf("chain key %x is not a key of its own", c.key)
	}
	other, _ := newChain(bytes.Repeat([]byte{8}, keySize))
	if bytes.Equal(other.key, c.key) {
		t.Error("two key files give the same MAC key")
	}
}

// A log from before the chain is refused by name, not taken for tampering.
func TestOldFormatRefused(t *testing.T) {
	dbPath, keyPath := chainDB(t)
	rawEdit(t, dbPath, func(b, meta *bbolt.Bucket) error {
		if err := meta.Delete(metaAuditHead); err != nil {
			return err
		}
		return b.Put(seqKey(1), []byte(`{"v":1,"sealed":"AAAA"}`))
	})
	if db, err := Open(dbPath, keyPath, nil); !errors.Is(err, ErrOldFormat) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("Open of a format 1 log = %v, want ErrOldFormat", err)
	}
}
