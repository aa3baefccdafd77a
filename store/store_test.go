package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"go.etcd.io/bbolt"
)

// paths gives a database and a key file kept apart, as the kiosk lays
// them out: <data>/kiosk.db and <data>/keys/kiosk.key.
func paths(t testing.TB) (db, key string) {
	dir := t.TempDir()
	return filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key")
}

func mustOpen(t testing.TB, dbPath, keyPath string) *DB {
	t.Helper()
	db, err := Open(dbPath, keyPath, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// The guide's two test patients and a staff member: what must never be
// found in the file in clear.
var sample = []Event{
	{At: time.Date(2026, 6, 20, 9, 15, 0, 0, time.UTC), Kind: "login", UserID: "555021935107",
		UserName: "Nightingale Florence", RoleID: "555021936108", JobRole: "R8000", OrgCode: "RR8",
		Setting: "emergency-department", Outcome: "demo identity"},
	{At: time.Date(2026, 6, 20, 9, 16, 0, 0, time.UTC), Kind: "trace", UserID: "555021935107",
		UserName: "Nightingale Florence", RoleID: "555021936108", JobRole: "R8000", OrgCode: "RR8",
		Setting: "emergency-department", NHS: "9990276579", Outcome: "found"},
	{At: time.Date(2026, 6, 20, 9, 17, 0, 0, time.UTC), Kind: "alert-opened", UserID: "555021935107",
		UserName: "Nightingale Florence", RoleID: "555021936108", JobRole: "R8000", OrgCode: "RR8",
		Setting: "emergency-department", NHS: "9990275831", Notified: true,
		TraceID: "7f3c2a4e-9d1b-4c6e-8a2f-1b3d5e7f9a0c", Outcome: "opened"},
	{At: time.Date(2026, 6, 20, 11, 2, 0, 0, time.UTC), Kind: "alert-opened", UserID: "555021935107",
		UserName: "Nightingale Florence", RoleID: "555021936108", JobRole: "R8000", OrgCode: "RR8",
		Setting: "emergency-department", NHS: "9990275831", Notified: true, Replayed: true,
		TraceID: "0b6a9c1e-2f4d-4e8a-9c3b-5d7e1f2a4b6c", Outcome: "opened"},
}

func appendAll(t *testing.T, db *DB, events []Event) []Event {
	t.Helper()
	var want []Event
	for i, e := range events {
		seq, err := db.Append(e)
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		if seq != uint64(i+1) {
			t.Fatalf("Append #%d returned sequence %d", i+1, seq)
		}
		e.Seq = seq
		want = append(want, e)
	}
	return want
}

func readAll(t *testing.T, db *DB) []Event {
	t.Helper()
	var got []Event
	if err := db.Events(func(e Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatalf("Events: %v", err)
	}
	return got
}

func TestAuditIsSealedAndSurvivesReopen(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	want := appendAll(t, db, sample)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{
		"9990276579", "9990275831", "999 027 6579", "999 027 5831", // the patients
		"Nightingale", "Florence", "555021935107", // the member of staff
		`"nhs"`, "alert-opened", "7f3c2a4e", // anything of the event in clear
	} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the database file holds %q in clear", secret)
		}
	}

	db = mustOpen(t, dbPath, keyPath)
	defer db.Close()
	if got := readAll(t, db); !reflect.DeepEqual(got, want) {
		t.Errorf("after reopening, Events =\n%+v\nwant\n%+v", got, want)
	}
	// Numbering carries on after a reopen.
	if seq, err := db.Append(Event{Kind: "login"}); err != nil || seq != uint64(len(sample)+1) {
		t.Errorf("Append after reopen = %d, %v; want %d", seq, err, len(sample)+1)
	}
}

func TestNewKeyIsPrivate(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	db.Close()

	for _, c := range []struct {
		path string
		dir  bool
	}{{keyPath, false}, {filepath.Dir(keyPath), true}, {dbPath, false}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.IsDir() != c.dir {
			t.Errorf("%s: IsDir = %v", c.path, fi.IsDir())
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %04o, open to other users", c.path, fi.Mode().Perm())
		}
	}
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != keySize || bytes.Equal(key, make([]byte, keySize)) {
		t.Errorf("key file holds %d bytes %x", len(key), key)
	}
	// No temporary file is left beside the key.
	if ents, _ := os.ReadDir(filepath.Dir(keyPath)); len(ents) != 1 {
		t.Errorf("key folder holds %d entries, want the key alone", len(ents))
	}
}

func TestMissingKeyNeverReplaced(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	appendAll(t, db, sample)
	db.Close()
	before := fileHash(t, dbPath)
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}

	db, err := Open(dbPath, keyPath, nil)
	if !errors.Is(err, ErrKeyMissing) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("Open without the key = %v, want ErrKeyMissing", err)
	}
	if _, err := os.Stat(keyPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file was created over existing records: %v", err)
	}
	if fileHash(t, dbPath) != before {
		t.Errorf("the database file changed when the key was refused")
	}
}

// The key check alone is data: a database that was opened once under a key
// that is now missing (the key folder setting changed, say) is refused
// even before it holds an audit record.
func TestMissingKeyRefusedForUsedEmptyDatabase(t *testing.T) {
	dbPath, keyPath := paths(t)
	mustOpen(t, dbPath, keyPath).Close()
	elsewhere := filepath.Join(filepath.Dir(keyPath), "elsewhere.key")
	if _, err := Open(dbPath, elsewhere, nil); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("Open with the key elsewhere = %v, want ErrKeyMissing", err)
	}
	if _, err := os.Stat(elsewhere); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a new key was created: %v", err)
	}
}

func TestOtherKeyRefused(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	appendAll(t, db, sample)
	db.Close()
	before := fileHash(t, dbPath)

	otherDB, otherKey := paths(t)
	mustOpen(t, otherDB, otherKey).Close()

	db, err := Open(dbPath, otherKey, nil)
	if !errors.Is(err, ErrKeyMismatch) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("Open with another database's key = %v, want ErrKeyMismatch", err)
	}
	if fileHash(t, dbPath) != before {
		t.Errorf("the database file changed when the key was refused")
	}
	// The right key still opens it.
	db = mustOpen(t, dbPath, keyPath)
	defer db.Close()
	if got := readAll(t, db); len(got) != len(sample) {
		t.Errorf("read %d records with the right key, want %d", len(got), len(sample))
	}
}

func TestLooseKeyPermissionsRefused(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	appendAll(t, db, sample[:1])
	db.Close()
	before := fileHash(t, dbPath)

	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o660, 0o606} {
		if err := os.Chmod(keyPath, mode); err != nil {
			t.Fatal(err)
		}
		db, err := Open(dbPath, keyPath, nil)
		if !errors.Is(err, ErrKeyPermissions) {
			if db != nil {
				db.Close()
			}
			t.Errorf("Open with key mode %04o = %v, want ErrKeyPermissions", mode, err)
		}
	}
	if fileHash(t, dbPath) != before {
		t.Errorf("the database file changed when the key was refused")
	}
	for _, mode := range []fs.FileMode{0o600, 0o400} {
		if err := os.Chmod(keyPath, mode); err != nil {
			t.Fatal(err)
		}
		mustOpen(t, dbPath, keyPath).Close()
	}
}

func TestKeyFileNotAKey(t *testing.T) {
	dbPath, keyPath := paths(t)
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, []byte("0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dbPath, keyPath, nil); !errors.Is(err, ErrKeyInvalid) {
		t.Fatalf("Open with a 16-byte key file = %v, want ErrKeyInvalid", err)
	}
	if _, err := Open(dbPath, dbPath, nil); err == nil || !strings.Contains(err.Error(), "apart") {
		t.Fatalf("Open with the key file as the database = %v, want a refusal", err)
	}
}

// An existing key is used, not replaced, when the database is new (the
// database was moved away, or the key was provisioned first).
func TestExistingKeyKeptForNewDatabase(t *testing.T) {
	dbPath, keyPath := paths(t)
	mustOpen(t, dbPath, keyPath).Close()
	key, _ := os.ReadFile(keyPath)
	if err := os.Remove(dbPath); err != nil {
		t.Fatal(err)
	}
	db := mustOpen(t, dbPath, keyPath)
	appendAll(t, db, sample[:1])
	db.Close()
	if again, _ := os.ReadFile(keyPath); !bytes.Equal(again, key) {
		t.Errorf("the key file was replaced")
	}
	mustOpen(t, dbPath, keyPath).Close()
}

func TestSecondOpenIsLocked(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	defer db.Close()

	start := time.Now()
	second, err := Open(dbPath, keyPath, nil)
	took := time.Since(start)
	if second != nil {
		second.Close()
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if took > 2500*time.Millisecond {
		t.Errorf("second Open took %v to give up", took)
	}
	if !strings.Contains(err.Error(), "another kiosk process") {
		t.Errorf("message %q does not say what holds the lock", err)
	}
	// The first is unharmed.
	if _, err := db.Append(Event{Kind: "login"}); err != nil {
		t.Errorf("Append on the first DB: %v", err)
	}
}

// rawEdit changes the closed database behind the store's back, as someone
// with the file but not the key could.
func rawEdit(t *testing.T, dbPath string, edit func(audit, meta *bbolt.Bucket) error) {
	t.Helper()
	bdb, err := bbolt.Open(dbPath, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bbolt.Tx) error {
		return edit(tx.Bucket(bucketAudit), tx.Bucket(bucketMeta))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTamperingDetected(t *testing.T) {
	tests := []struct {
		name string
		edit func(audit, meta *bbolt.Bucket) error
	}{
		{"records swapped", func(b, _ *bbolt.Bucket) error {
			two, three := bytes.Clone(b.Get(seqKey(2))), bytes.Clone(b.Get(seqKey(3)))
			if err := b.Put(seqKey(2), three); err != nil {
				return err
			}
			return b.Put(seqKey(3), two)
		}},
		{"record copied to a new number", func(b, _ *bbolt.Bucket) error {
			return b.Put(seqKey(9), bytes.Clone(b.Get(seqKey(2))))
		}},
		{"one bit flipped", func(b, _ *bbolt.Bucket) error {
			v := bytes.Clone(b.Get(seqKey(2)))
			v[len(v)-len(v)/4] ^= 1 // inside the sealed event
			return b.Put(seqKey(2), v)
		}},
		{"record moved from another bucket", func(b, meta *bbolt.Bucket) error {
			v, err := json.Marshal(envelope{V: envelopeV1, Sealed: bytes.Clone(meta.Get(metaKeyCheck))})
			if err != nil {
				return err
			}
			return b.Put(seqKey(9), v)
		}},
		{"record truncated", func(b, _ *bbolt.Bucket) error {
			return b.Put(seqKey(2), []byte(`{"v":1,"sealed":"AAAA"}`))
		}},
		{"record not an envelope", func(b, _ *bbolt.Bucket) error {
			return b.Put(seqKey(2), []byte(`{"nhs":"9990276579"}`))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbPath, keyPath := paths(t)
			db := mustOpen(t, dbPath, keyPath)
			appendAll(t, db, sample)
			db.Close()
			rawEdit(t, dbPath, tt.edit)

			db = mustOpen(t, dbPath, keyPath)
			defer db.Close()
			err := db.Events(func(Event) error { return nil })
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("Events after %s = %v, want ErrTampered", tt.name, err)
			}
		})
	}
}

func TestSealBindsBucketAndKey(t *testing.T) {
	s, err := newSealer(bytes.Repeat([]byte{7}, keySize))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte(`{"nhs":"9990276579"}`)
	sealed := s.seal([]byte("audit"), seqKey(1), msg)
	if len(sealed) != len(msg)+12+16 {
		t.Errorf("sealed %d bytes into %d, want a 12-byte nonce and a 16-byte tag", len(msg), len(sealed))
	}
	if again := s.seal([]byte("audit"), seqKey(1), msg); bytes.Equal(again[:12], sealed[:12]) {
		t.Errorf("two seals share a nonce")
	}
	if got, err := s.open([]byte("audit"), seqKey(1), sealed); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open = %q, %v", got, err)
	}
	for _, c := range []struct {
		bucket string
		key    []byte
	}{
		{"audit", seqKey(2)},
		{"queue", seqKey(1)},
		{"audi", append([]byte("t"), seqKey(1)...)}, // same bytes, split differently
	} {
		if _, err := s.open([]byte(c.bucket), c.key, sealed); !errors.Is(err, ErrTampered) {
			t.Errorf("opened under %s/%x: %v", c.bucket, c.key, err)
		}
	}
	if _, err := s.open([]byte("audit"), seqKey(1), sealed[:10]); !errors.Is(err, ErrTampered) {
		t.Errorf("opened a truncated record: %v", err)
	}
}

func TestEventsPagesWithoutHoldingTheDatabase(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	defer db.Close()
	const n = 2*eventsPage + 17
	for i := 0; i < n; i++ {
		if _, err := db.Append(Event{Kind: "trace", NHS: "9990276579", Outcome: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var seen uint64
	err := db.Events(func(e Event) error {
		seen++
		if e.Seq != seen || (seen <= n && e.Outcome != fmt.Sprint(seen-1)) {
			return fmt.Errorf("record %d arrived as %d (%s)", seen, e.Seq, e.Outcome)
		}
		if seen%eventsPage == 0 {
			// Writing from inside the walk must not deadlock: no
			// transaction is open while fn runs.
			if _, err := db.Append(Event{Kind: "export"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != n+2 {
		t.Errorf("walked %d records, want %d (%d, and 2 appended during the walk)", seen, n+2, n)
	}

	stop := errors.New("stop")
	calls := 0
	err = db.Events(func(Event) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("Events returned %v after %d calls, want fn's error after 1", err, calls)
	}
}

// The audit record shares its transaction with the change it records:
// when the change is rolled back, so is the record and its number.
func TestAppendTxRollsBackWithTheChange(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	defer db.Close()
	failed := errors.New("queue write failed")
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if _, err := db.appendTx(tx, Event{Kind: "trace", NHS: "9990276579"}); err != nil {
			return err
		}
		return failed
	})
	if err != failed {
		t.Fatalf("Update = %v", err)
	}
	if got := readAll(t, db); len(got) != 0 {
		t.Errorf("a rolled-back record was kept: %+v", got)
	}
	if seq, _ := db.Append(Event{Kind: "login"}); seq != 1 {
		t.Errorf("next sequence = %d, want 1: the rolled-back one was used up", seq)
	}
}

func TestAppendStampsTime(t *testing.T) {
	dbPath, keyPath := paths(t)
	db := mustOpen(t, dbPath, keyPath)
	defer db.Close()
	at := time.Date(2026, 6, 20, 10, 0, 0, 0, time.UTC)
	db.now = func() time.Time { return at }
	if _, err := db.Append(Event{Kind: "login"}); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, db); len(got) != 1 || !got[0].At.Equal(at) {
		t.Errorf("Events = %+v, want one stamped %v", got, at)
	}
}

// Logs never carry an NHS number or a name (DESIGN.md, "Data and privacy").
func TestLogsNameNoOne(t *testing.T) {
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	dbPath, keyPath := paths(t)
	db, err := Open(dbPath, keyPath, log.WithField("component", "store"))
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, db, sample)
	readAll(t, db)
	db.Close()
	os.Remove(keyPath)
	if db, err := Open(dbPath, keyPath, log); err == nil {
		db.Close()
		t.Fatal("Open without the key succeeded")
	}

	if len(hook.AllEntries()) == 0 {
		t.Fatal("no log entries: the key's creation should be logged")
	}
	for _, e := range hook.AllEntries() {
		line, _ := e.String()
		for _, secret := range []string{"9990276579", "9990275831", "Nightingale"} {
			if strings.Contains(line, secret) {
				t.Errorf("log line holds %q: %s", secret, line)
			}
		}
	}
}
