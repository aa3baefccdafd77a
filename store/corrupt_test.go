package store

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// A database file damaged where bbolt keeps its own structure, or cut
// short, is ErrCorrupt from Open or from the first read: never a panic,
// never a fresh database in its place.
func TestDamagedFileIsCorruptNotAPanic(t *testing.T) {
	damage := map[string]func(b []byte) []byte{
		"page kinds flipped": func(b []byte) []byte {
			ps := os.Getpagesize()
			for pg := 2; pg < len(b)/ps; pg++ {
				b[pg*ps+8] ^= 0xff
			}
			return b
		},
		"leaf and branch kinds flipped": func(b []byte) []byte {
			// The free list stays whole, so bbolt opens the file and
			// meets the damage on the first read (its panic, guarded).
			ps := os.Getpagesize()
			for pg := 2; pg < len(b)/ps; pg++ {
				if kind := b[pg*ps+8]; kind == 0x01 || kind == 0x02 {
					b[pg*ps+8] = 0x40
				}
			}
			return b
		},
		"meta pages zeroed": func(b []byte) []byte {
			clear(b[:2*os.Getpagesize()])
			return b
		},
		"cut short": func(b []byte) []byte { return b[:100] },
		"emptied":   func(b []byte) []byte { return b[:0] },
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			dbPath, keyPath := paths(t)
			db := mustOpen(t, dbPath, keyPath)
			for i := 0; i < 300; i++ {
				if _, err := db.Append(Event{At: time.Now(), Kind: cpis.EventTrace, Result: cpis.ResultFound, Outcome: "found"}); err != nil {
					t.Fatal(err)
				}
			}
			p := presentations[0]
			if _, err := db.Enqueue(p); err != nil {
				t.Fatal(err)
			}
			db.Close()
			b, err := os.ReadFile(dbPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dbPath, fn(b), 0o600); err != nil {
				t.Fatal(err)
			}
			db, err = Open(dbPath, keyPath, nil)
			if err == nil {
				defer db.Close()
				_, err = db.Verify()
				if err == nil {
					_, err = db.Counts()
				}
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("a damaged file gave %v, want ErrCorrupt", err)
			}
		})
	}
}
