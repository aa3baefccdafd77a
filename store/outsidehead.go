package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The audit head kept outside the database: the number and hash of the
// newest audit record, under the chain's MAC, in a file beside the key
// (kiosk.head), where a copy of kiosk.db put back does not bring it back
// with it. It is rewritten after each commit that appends a record,
// without a sync of its own: after a crash it may lag the database, never
// lead it. So a database whose head is older than the file's is an older
// copy put back (a rollback), and a key whose file names records beside a
// database with none has lost its database (DESIGN.md, audit).

// Errors about the database as a whole.
var (
	// ErrNoDatabase means the key is there and its head file names audit
	// records, but the database file is missing or new: it was deleted,
	// emptied or never restored. The kiosk does not start afresh by
	// itself.
	ErrNoDatabase = errors.New("the key's database held audit records, but kiosk.db is missing or new: " +
		"restore kiosk.db from the last backup, or start afresh on purpose (cpis-kiosk data start-afresh --reason TEXT)")
	// ErrRolledBack means the database is older than the head kept beside
	// its key: an older copy was put back, which would undo what was
	// recorded since (a sign-off, a check).
	ErrRolledBack = errors.New("the database is older than the record kept beside its key: an older copy was put back")
)

// RollbackError says how far back the database is.
type RollbackError struct {
	Kept, Found uint64 // the newest record the head file names; the database's newest
	// Foreign: the head file is not this key's (altered, or left from
	// another key), so how far back cannot be told.
	Foreign bool
}

func (e *RollbackError) Error() string {
	if e.Foreign {
		return fmt.Sprintf("%v, or the key or the database was swapped: the head kept beside the key is not this key's "+
			"(if that was meant: cpis-kiosk data accept --reason TEXT)", ErrRolledBack)
	}
	if e.Found == e.Kept {
		return fmt.Sprintf("%v (its record %d is not the one kept beside the key; if the restore was intended: cpis-kiosk data accept --reason TEXT)",
			ErrRolledBack, e.Kept)
	}
	return fmt.Sprintf("%v (it ends at audit record %d, the key's head file at %d; if the restore was intended: cpis-kiosk data accept --reason TEXT)",
		ErrRolledBack, e.Found, e.Kept)
}

func (e *RollbackError) Unwrap() error { return ErrRolledBack }

const outsideLabel = "outside-head"

// headFile is the head file's path, beside the key.
func headFile(keyPath string) string { return filepath.Join(filepath.Dir(keyPath), "kiosk.head") }

// readOutsideHead reads the head file: present reports whether there is
// one worth reading (a file cut short by a crash is as none); ok whether
// its MAC is this key's.
func (db *DB) readOutsideHead() (a anchor, present, ok bool) {
	v, err := os.ReadFile(db.headPath)
	if err != nil || len(v) != 72 {
		return anchor{}, false, false
	}
	return db.chain.parseAnchor(outsideLabel, v)
}

// noteHead writes the head file for the record just committed, unless a
// newer one was written already.
func (db *DB) noteHead(a anchor) {
	db.headMu.Lock()
	defer db.headMu.Unlock()
	// While rolled back, the file keeps the evidence until IT accepts.
	if a.n <= db.headN || db.rollback != nil {
		return
	}
	if err := writeFileAtomic(db.headPath, db.chain.anchorValue(outsideLabel, a)); err != nil {
		db.log.WithError(err).Warn("could not keep the audit head beside the key; a rollback may go unnoticed")
		return
	}
	db.headN = a.n
}

// writeFileAtomic replaces path with data by a rename, so a reader sees
// the old file or the new, never half of one.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// checkOutsideHead compares the database's head with the file's, at Open.
// A database with no records beside a file that names some is
// ErrNoDatabase, unless afresh; an older one sets the rollback that Verify
// and Rollback report. keyExisted is false when Open made the key.
func (db *DB) checkOutsideHead(hasData, keyExisted, afresh bool) error {
	kept, present, ok := db.readOutsideHead()
	if present && !ok {
		// Another key's head, or one altered: as a rollback, for IT to
		// look at and accept.
		db.rollback = &RollbackError{Foreign: true}
		return nil
	}
	var found anchor
	var hasHead, headOK, otherLine bool
	if err := db.view(func(tx *bbolt.Tx) error {
		if m := tx.Bucket(bucketMeta); m != nil {
			found, hasHead, headOK = db.chain.readAnchor(m, metaAuditHead, "head")
		}
		// A database gone on past the kept record must still hold it, or
		// it went on from an older copy.
		if a := tx.Bucket(bucketAudit); a != nil && present && ok && found.n > kept.n {
			if v := a.Get(seqKey(kept.n)); v != nil {
				r, parsed := parseRecord(v)
				otherLine = !parsed || linkHash(sha256.New(), r.n, r.prev, r.sealed) != kept.hash
			}
		}
		return nil
	}); err != nil {
		return err
	}
	switch {
	case !present:
	case !hasData && keyExisted && kept.n > 0 && !afresh:
		return ErrNoDatabase
	case hasHead && headOK && (found.n < kept.n || (found.n == kept.n && found.hash != kept.hash) || otherLine):
		db.headMu.Lock()
		db.rollback = &RollbackError{Kept: kept.n, Found: found.n}
		db.headMu.Unlock()
		return nil
	}
	if hasHead && headOK {
		db.noteHead(found)
	}
	return nil
}

// Rollback is the database's rollback, found at Open; nil when none.
func (db *DB) Rollback() error {
	db.headMu.Lock()
	defer db.headMu.Unlock()
	if db.rollback == nil {
		return nil
	}
	return db.rollback
}

// Accept takes the database as it is after a restore that was meant: it
// records who and why in the audit log, and the head beside the key
// follows the database from then on. by names the operating-system user
// and any name given.
func (db *DB) Accept(by, reason string) (uint64, error) {
	db.headMu.Lock()
	was := db.rollback
	db.rollback, db.headN = nil, 0 // the file may name a later record: write it anew
	db.headMu.Unlock()
	outcome := "database accepted: " + reason
	if was != nil {
		outcome += " (" + was.Error() + ")"
	}
	// Its commit writes the head beside the key.
	seq, err := db.Append(Event{At: time.Now(), Kind: cpis.EventDataAccepted, UserName: by, Result: cpis.ResultDone, Outcome: outcome})
	if err != nil {
		db.headMu.Lock()
		db.rollback = was
		db.headMu.Unlock()
		return 0, err
	}
	return seq, nil
}

// Lost reports ErrNoDatabase when the database at path is not there while
// its key is, and the head beside the key names records, without opening
// or making anything: for the IT status.
func Lost(path, keyPath string) error { return missingWithKey(path, keyPath, false) }

// missingWithKey refuses, before bbolt makes a new file, a database that
// is not there while its key is, and the head beside the key names
// records: the kiosk does not start afresh by itself.
func missingWithKey(path, keyPath string, afresh bool) error {
	if afresh {
		return nil
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(keyPath); err != nil {
		return nil
	}
	if v, err := os.ReadFile(headFile(keyPath)); err != nil || len(v) != 72 {
		return nil
	}
	return ErrNoDatabase
}
