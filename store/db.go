package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrLocked means another process (a second kiosk, or a command run while
// the kiosk is up) holds the database open. bbolt allows one writer per
// file; Open gives up after a second rather than hang.
var ErrLocked = errors.New("the kiosk database is in use by another kiosk process; " +
	"only one may open it at a time: stop the other one, or ask the running kiosk")

// Buckets. Every bucket is made once, in Open, so no later transaction has
// to wonder whether its bucket exists.
var (
	bucketAudit  = []byte("audit")
	bucketMeta   = []byte("meta")
	bucketQueue  = []byte("queue")  // presentations waiting for replay, oldest first
	bucketDead   = []byte("dead")   // queue entries moved aside on a permanent failure
	bucketReview = []byte("review") // the safeguarding lead's retrospective review list
	bucketStaff  = []byte("staff")  // who has proven their access on the test patients (staff.go)
)

// buckets lists every bucket Open makes.
var buckets = [][]byte{bucketAudit, bucketMeta, bucketQueue, bucketDead, bucketReview, bucketStaff}

// The key check: a known text sealed under the key when the database is
// first used, so that a different key file is told apart from tampering
// with one record.
var metaKeyCheck = []byte("key-check")

const keyCheckText = "cpis-kiosk key check"

// openTimeout is how long Open waits for another process's lock: long
// enough to ride out a kiosk that is just closing, short enough that a
// command run beside a live kiosk fails while the user is still looking.
const openTimeout = time.Second

// boltOptions are bbolt's settings for the kiosk's database: its
// defaults, which sync every commit and the freelist with it, with a
// bounded wait for the lock. The map grows as the file does: a larger
// InitialMmapSize would spare a remap each time the file doubles, but on
// Windows it makes the file that size at once. A remap waits for the
// reads open at that moment, which is why long lists are read a page per
// transaction (Events, QueuePage).
func boltOptions() *bbolt.Options { return &bbolt.Options{Timeout: openTimeout} }

// DB is the kiosk's database with its key. It is safe for concurrent use.
type DB struct {
	bolt  *bbolt.DB
	seal  *sealer
	chain *chain // the audit log's hash chain and MAC key
	log   logrus.FieldLogger
	now   func() time.Time // the clock, a field so tests can set it

	mu    sync.Mutex
	staff StaffRule // the owner's rule for the staff records (staff.go)

	headPath string // the audit head kept beside the key (outsidehead.go)
	headMu   sync.Mutex
	headN    uint64         // the record the head file names, as last written
	rollback *RollbackError // found at Open; nil when none
}

// Open opens (or creates) the database at path, sealed under the key in
// keyPath. The key lives apart from the database, in a folder of mode 0700
// and a file of mode 0600. A key is created only for a database that holds
// nothing yet; for one that holds records, a missing key is ErrKeyMissing,
// another database's key ErrKeyMismatch, a key others can read
// ErrKeyPermissions. A database held by another process is ErrLocked.
//
// When Open refuses because of the key, it has not written to the
// database file.
func Open(path string, keyPath string, log logrus.FieldLogger) (*DB, error) {
	return open(path, keyPath, log, false)
}

// OpenAfresh opens the database at path as Open does, and where Open
// would refuse a key whose database is missing or new (ErrNoDatabase),
// makes a new one under the same key: IT has said so, and the new
// database's first record says who and why.
func OpenAfresh(path, keyPath string, log logrus.FieldLogger, by, reason string) (*DB, error) {
	db, err := open(path, keyPath, log, true)
	if err != nil {
		return nil, err
	}
	if _, err := db.Accept(by, "started afresh: "+reason); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func open(path string, keyPath string, log logrus.FieldLogger, afresh bool) (*DB, error) {
	if log == nil {
		l := logrus.New()
		l.Out = io.Discard
		log = l
	}
	if samePath(path, keyPath) {
		return nil, fmt.Errorf("opening database: the key file %s must be kept apart from the database", keyPath)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("making database folder: %w", err)
	}
	if err := missingWithKey(path, keyPath, afresh); err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	if err := emptiedWithKey(path, keyPath); err != nil {
		return nil, err
	}
	if err := checkFreelist(path); err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	var bdb *bbolt.DB
	err := guard(func() (err error) {
		bdb, err = bbolt.Open(path, 0o600, boltOptions())
		return err
	})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("opening database %s: %w", path, ErrLocked)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, bolterrors.ErrVersionMismatch):
		return nil, fmt.Errorf("opening database %s: %w (%v)", path, ErrCorrupt, err)
	case err != nil:
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	db := &DB{bolt: bdb, log: log, now: time.Now, headPath: headFile(keyPath)}
	if err := db.init(keyPath, afresh); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	return db, nil
}

// emptiedWithKey refuses a database file cut short (emptied, or less
// than bbolt's two meta pages) while its key is there: bbolt would make a
// fresh database in it, and the records it held would vanish without a
// word.
func emptiedWithKey(path, keyPath string) error {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() >= 2*int64(os.Getpagesize()) {
		return nil
	}
	if _, err := os.Stat(keyPath); err != nil {
		return nil // no key yet: a first start
	}
	return fmt.Errorf("opening database %s: the file is %d bytes, cut short: %w", path, fi.Size(), ErrCorrupt)
}

// init loads or creates the key and makes the buckets. Everything that can
// refuse happens in a read transaction first: a write transaction rewrites
// bbolt's meta page even when it changes nothing, and a refused database
// must be left exactly as it was found.
func (db *DB) init(keyPath string, afresh bool) error {
	var hasData, oldAudit bool
	var check []byte
	err := db.view(func(tx *bbolt.Tx) error {
		if m := tx.Bucket(bucketMeta); m != nil {
			check = bytes.Clone(m.Get(metaKeyCheck))
		}
		if a := tx.Bucket(bucketAudit); a != nil {
			// Format 1 records were sealed JSON: they begin with "{".
			_, v := a.Cursor().First()
			m := tx.Bucket(bucketMeta)
			oldAudit = len(v) > 0 && v[0] == '{' && (m == nil || m.Get(metaAuditHead) == nil)
		}
		return tx.ForEach(func(_ []byte, b *bbolt.Bucket) error {
			if k, _ := b.Cursor().First(); k != nil || b.Sequence() > 0 {
				hasData = true
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("inspecting database: %w", err)
	}

	key, err := readKey(keyPath)
	keyExisted := err == nil
	switch {
	case errors.Is(err, fs.ErrNotExist) && hasData:
		return fmt.Errorf("reading key %s: %w", keyPath, ErrKeyMissing)
	case errors.Is(err, fs.ErrNotExist):
		if key, err = createKey(keyPath); err != nil {
			return fmt.Errorf("creating key %s: %w", keyPath, err)
		}
		db.log.WithField("key", keyPath).Info("created a new database key: back it up apart from the database, as without it the records cannot be read")
	case err != nil:
		return fmt.Errorf("reading key: %w", err)
	}
	if db.seal, err = newSealer(key); err != nil {
		return err
	}
	if db.chain, err = newChain(key); err != nil {
		return err
	}
	clear(key)

	switch {
	case check != nil:
		plain, err := db.seal.open(bucketMeta, metaKeyCheck, check)
		if err != nil || string(plain) != keyCheckText {
			return fmt.Errorf("checking key %s: %w", keyPath, ErrKeyMismatch)
		}
	case hasData:
		// Records with no key check were not written by this package:
		// no key can be shown to be theirs.
		return fmt.Errorf("checking key %s: the database holds records but no key check: %w", keyPath, ErrKeyMismatch)
	}
	if oldAudit {
		return fmt.Errorf("opening database: %w", ErrOldFormat)
	}
	if err := db.checkOutsideHead(hasData, keyExisted, afresh); err != nil {
		return fmt.Errorf("opening database: %w", err)
	}

	err = db.update(func(tx *bbolt.Tx) error {
		for _, name := range buckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("making bucket %s: %w", name, err)
			}
		}
		if check == nil {
			if err := tx.Bucket(bucketMeta).Put(metaKeyCheck, db.seal.seal(bucketMeta, metaKeyCheck, []byte(keyCheckText))); err != nil {
				return fmt.Errorf("storing key check: %w", err)
			}
		}
		return countOnce(tx)
	})
	if err != nil {
		return fmt.Errorf("initialising database: %w", err)
	}
	return nil
}

// samePath reports whether two paths name the same file, as far as can be
// told before either exists.
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	if aa == bb {
		return true
	}
	fa, err1 := os.Stat(aa)
	fb, err2 := os.Stat(bb)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// Close closes the database; the DB must not be used afterwards.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("closing database: %w", err)
	}
	return nil
}
