package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"go.etcd.io/bbolt"
)

// ErrCorrupt means the database file is damaged where bbolt keeps its own
// structure (a page's kind, the free list, a branch), so nothing in it can
// be trusted to read. bbolt panics on such pages; the store turns that
// into this error, so that every command can say so and stop.
var ErrCorrupt = errors.New("the kiosk database file is damaged and cannot be read; " +
	"stop the kiosk, move kiosk.db aside and restore the last backup (README, Troubleshooting)")

// view and update are bbolt's View and Update, with a damaged page's
// panic returned as ErrCorrupt. bbolt rolls the transaction back as the
// panic passes, so the database is left as it was.
func (db *DB) view(fn func(*bbolt.Tx) error) error {
	return guard(func() error { return db.bolt.View(fn) })
}

func (db *DB) update(fn func(*bbolt.Tx) error) error {
	return guard(func() error { return db.bolt.Update(fn) })
}

// guard runs fn, turning a panic from bbolt into ErrCorrupt.
func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (%v)", ErrCorrupt, r)
		}
	}()
	return fn()
}

// bbolt's layout, for checkFreelist: a page starts with its id (8 bytes)
// and its kind (2 bytes); a meta page's body follows the 16-byte header.
const (
	boltMagic        = 0xED0CDAED
	boltFreelistPage = 0x10
)

// checkFreelist reads the newer of the file's two meta pages and the page
// it names as the free list, before bbolt does: bbolt panics on a free
// list page of the wrong kind while it holds the file's lock, and a lock
// taken in a panic is never given back in this process. Anything else
// wrong is left to bbolt, which says so with an error.
func checkFreelist(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // bbolt says what is wrong
	}
	defer f.Close()
	ps := os.Getpagesize()
	buf := make([]byte, 2*ps)
	if n, _ := io.ReadFull(f, buf); n < 2*ps {
		return nil
	}
	var txid, freelist uint64
	var size uint32
	for i := 0; i < 2; i++ {
		m := buf[i*ps:]
		if binary.LittleEndian.Uint32(m[16:]) != boltMagic {
			continue
		}
		if t := binary.LittleEndian.Uint64(m[64:]); t >= txid {
			txid, freelist, size = t, binary.LittleEndian.Uint64(m[48:]), binary.LittleEndian.Uint32(m[24:])
		}
	}
	if size == 0 || freelist == ^uint64(0) {
		return nil
	}
	head := make([]byte, 16)
	if _, err := f.ReadAt(head, int64(freelist)*int64(size)); err != nil {
		return fmt.Errorf("%w (the free list, page %d, is past the end of the file)", ErrCorrupt, freelist)
	}
	if kind := binary.LittleEndian.Uint16(head[8:]); kind != boltFreelistPage {
		return fmt.Errorf("%w (page %d should be the free list and is not)", ErrCorrupt, freelist)
	}
	return nil
}
