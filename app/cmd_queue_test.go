package app

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/store"
)

// `queue list` prints a queue longer than a page whole, oldest first, each
// entry once, and the entries moved aside after it.
func TestListQueuePages(t *testing.T) {
	db := kiosktest.DB(t)
	n := listPage + 3
	at := time.Now().Add(-time.Hour)
	for i := range n {
		p := store.Presentation{Key: fmt.Sprintf("key-%d", i), At: at, Setting: "emergency-department", UserID: "555000000010", NHS: "9990276579"}
		if _, err := db.Enqueue(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, seq := range []uint64{5, uint64(listPage)} {
		if err := db.DeadLetter(seq, "not found on PDS"); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := (&Program{db: db}).listQueue(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[0], fmt.Sprintf("queued %d, dead letters 2", n-2)) {
		t.Errorf("first line %q", lines[0])
	}
	var waiting, dead []uint64
	for _, l := range lines[1:] {
		seq, err := strconv.ParseUint(strings.Fields(l)[0], 10, 64)
		if err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if strings.Contains(l, "DEAD LETTER: not found on PDS") {
			dead = append(dead, seq)
		} else {
			waiting = append(waiting, seq)
		}
	}
	if len(waiting) != n-2 || len(dead) != 2 || dead[0] != 5 || dead[1] != uint64(listPage) {
		t.Fatalf("%d waiting and dead letters %v; want %d and [5 %d]", len(waiting), dead, n-2, listPage)
	}
	for i := 1; i < len(waiting); i++ {
		if waiting[i] <= waiting[i-1] {
			t.Fatalf("entry %d listed after %d", waiting[i], waiting[i-1])
		}
	}
}
