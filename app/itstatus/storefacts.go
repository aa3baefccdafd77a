package itstatus

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// dbFacts reads the queue figures and the last successful check from an
// open database.
func dbFacts(db *store.DB) storeFacts {
	if err := db.Rollback(); err != nil {
		return storeFacts{State: storeFailed, Err: err}
	}
	c, err := db.Counts()
	if err != nil {
		return storeFacts{State: storeFailed, Err: err}
	}
	f := storeFacts{State: storeOpen, Counts: c}
	e, ok, err := db.LastEvent(func(e store.Event) bool { return cpis.SuccessfulCheck(e.Kind, e.Result) })
	switch {
	case errors.Is(err, store.ErrTampered):
		// One altered record is the audit's fault, not the database's:
		// the queue and review lines stand.
		f.AuditErr = err
		return f
	case err != nil:
		return storeFacts{State: storeFailed, Err: err}
	}
	f.LastCheck, f.LastCheckOK = e.At, ok
	if f.LastFGM, _, err = db.LastEvent(func(e store.Event) bool { return e.Kind == cpis.EventFGMQuery }); err != nil {
		f.AuditErr = err
	}
	return f
}

// folderFacts reads them from the data folder for the command line: the
// database if it is free, the running kiosk's snapshot if the kiosk holds
// it. It never waits longer than the database's lock timeout (a second).
func folderFacts(cfg config.Config, log logrus.FieldLogger) storeFacts {
	path := filepath.Join(cfg.DataDir, "kiosk.db")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := store.Lost(path, filepath.Join(cfg.KeyDir, "kiosk.key")); err != nil {
			return storeFacts{State: storeFailed, Err: err}
		}
		return storeFacts{State: storeMissing}
	}
	db, err := store.Open(path, filepath.Join(cfg.KeyDir, "kiosk.key"), log)
	if errors.Is(err, store.ErrLocked) {
		snap, serr := readSnapshot(cfg.DataDir)
		return storeFacts{State: storeLocked, Snapshot: snap, SnapshotErr: serr}
	}
	if err != nil {
		return storeFacts{State: storeFailed, Err: err}
	}
	defer db.Close()
	return dbFacts(db)
}
