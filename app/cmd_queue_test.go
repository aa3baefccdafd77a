package app

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// `queue replay` on the embedded sandbox checks every waiting child in the
// sandbox's test user's name and exits 0 only when none still waits; a
// child recorded by details goes to review, since nobody at the command
// line can confirm PDS's match.
func TestQueueReplayCommand(t *testing.T) {
	t.Setenv("CPIS_CONFIG", "")
	dir := t.TempDir()
	t.Setenv("CPIS_DATA_DIR", dir)
	db, err := accountability.OpenStore(filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key"), kiosktest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour)
	on := store.Presentation{At: at, Setting: string(cpis.EmergencyDepartment), OrgCode: "RXX01", UserID: "555000000042",
		UserName: "Night Nurse", RoleID: "555000000042-01", JobRole: "Staff Nurse", Why: cpis.WaitSpineDown}
	byNumber, byDetails := on, on
	byNumber.Key, byNumber.NHS = uuid.NewString(), "9990276579"
	byDetails.Key, byDetails.Family, byDetails.BirthDate = uuid.NewString(), "Xiong", time.Date(2014, 10, 30, 0, 0, 0, 0, time.UTC)
	for _, p := range []store.Presentation{byNumber, byDetails} {
		if _, err := db.Enqueue(p); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	code, out, errOut := cli(t, "queue", "list")
	if code != 0 || !strings.Contains(out, "queued 2,") || strings.Count(out, "Spine down") != 2 {
		t.Fatalf("queue list exited %d, without why each waits\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = cli(t, "queue", "replay")
	if code != 0 || !strings.Contains(out, "queued 0, dead letters 0, open review items 2") {
		t.Fatalf("queue replay exited %d\n%s\n%s", code, out, errOut)
	}
	db, err = accountability.OpenStore(filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key"), kiosktest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	items, err := db.Reviews(true)
	if err != nil || len(items) != 2 || items[1].Kind != cpis.ResultManualTrace || items[1].Reason != "one match on PDS, not confirmed" {
		t.Fatalf("review items %+v %v", items, err)
	}
	for _, s := range []string{"9990276579", "999 027 6579", "Xiong", "XIONG"} {
		if strings.Contains(out+errOut, s) {
			t.Errorf("queue replay printed %q", s)
		}
	}
}

// A key file that is not the database's own stops every command with one
// plain sentence and a non-zero exit, never a panic, and the waiting
// checks stay as they were.
func TestWrongKeyIsAPlainRefusal(t *testing.T) {
	t.Setenv("CPIS_CONFIG", "")
	dir := t.TempDir()
	t.Setenv("CPIS_DATA_DIR", dir)
	if code, out, errOut := cli(t, "queue", "list"); code != 0 {
		t.Fatalf("queue list on a new folder exited %d\n%s\n%s", code, out, errOut)
	}
	other := make([]byte, 32)
	rand.Read(other)
	if err := os.WriteFile(filepath.Join(dir, "keys", "kiosk.key"), other, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"queue", "list"}, {"queue", "replay"}, {"review", "list"}, {"selftest"}} {
		code, _, errOut := cli(t, args...)
		if code == 0 || !strings.Contains(errOut, "the key file does not belong to this database") || strings.Contains(errOut, "panic") {
			t.Errorf("%v with the wrong key: exit %d, %q", args, code, errOut)
		}
	}
}

// A data folder other users can open is made the kiosk user's alone, and
// the log says so.
func TestOpenDataFolderMadePrivate(t *testing.T) {
	t.Setenv("CPIS_CONFIG", "")
	dir := t.TempDir()
	t.Setenv("CPIS_DATA_DIR", dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := cli(t, "queue", "list")
	if code != 0 || !strings.Contains(errOut, "now the kiosk user's alone") {
		t.Fatalf("a 0755 data folder: exit %d, %q", code, errOut)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the data folder is %v after the kiosk opened it (%v)", fi.Mode(), err)
	}
}

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

// A database file damaged where bbolt keeps its structure: every command
// says so in one plain sentence and exits non-zero, none panics, and the
// IT status still works and names the fault.
func TestDamagedDatabaseCommands(t *testing.T) {
	t.Setenv("CPIS_CONFIG", "")
	dir := t.TempDir()
	t.Setenv("CPIS_DATA_DIR", dir)
	if code, out, errOut := cli(t, "queue", "list"); code != 0 {
		t.Fatalf("queue list on a new folder exited %d\n%s\n%s", code, out, errOut)
	}
	path := filepath.Join(dir, "kiosk.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := os.Getpagesize()
	for pg := 2; pg < len(b)/ps; pg++ {
		b[pg*ps+8] ^= 0xff // each page's kind
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"queue", "list"}, {"audit", "verify"}, {"review", "list"}, {"selftest"}} {
		code, _, errOut := cli(t, args...)
		if code == 0 || !strings.Contains(errOut, "damaged") || strings.Contains(errOut, "goroutine") {
			t.Errorf("%v on a damaged database: exit %d, %q", args, code, errOut)
		}
	}
	code, out, errOut := cli(t, "status")
	if code == 0 || !strings.Contains(out, "the file is damaged") {
		t.Errorf("status on a damaged database: exit %d\n%s\n%s", code, out, errOut)
	}
	bundle := filepath.Join(t.TempDir(), "diag.zip")
	cli(t, "status", "--bundle", bundle)
	if fi, err := os.Stat(bundle); err != nil || fi.Size() == 0 {
		t.Errorf("no diagnostics bundle beside a damaged database: %v", err)
	}
}

// Never a silent fresh start, and a rollback refused: with the key and
// the head beside it, a deleted database stops every command until
// `data start-afresh`; an older copy put back is reported by `audit
// verify` and refused by the kiosk's commands until `data accept`.
func TestDataCommands(t *testing.T) {
	t.Setenv("CPIS_CONFIG", "")
	dir := t.TempDir()
	t.Setenv("CPIS_DATA_DIR", dir)
	dbPath := filepath.Join(dir, "kiosk.db")
	if code, out, errOut := cli(t, "selftest"); code != 0 {
		t.Fatalf("selftest exited %d\n%s\n%s", code, out, errOut)
	}
	old, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := cli(t, "selftest"); code != 0 {
		t.Fatalf("selftest exited %d\n%s\n%s", code, out, errOut)
	}

	// An older copy put back.
	if err := os.WriteFile(dbPath, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := cli(t, "audit", "verify"); code == 0 || !strings.Contains(out, "an older copy was put back") {
		t.Fatalf("audit verify after a rollback: exit %d\n%s", code, out)
	}
	if code, _, errOut := cli(t, "selftest"); code == 0 || !strings.Contains(errOut, "data accept --reason") {
		t.Fatalf("selftest on a rolled-back database: exit %d\n%s", code, errOut)
	}
	if code, out, _ := cli(t, "status"); code == 0 || !strings.Contains(out, "an older copy put back") {
		t.Fatalf("status on a rolled-back database: exit %d\n%s", code, out)
	}
	if code, out, errOut := cli(t, "data", "accept", "--reason", "restored from last night's backup (INC0001)"); code != 0 {
		t.Fatalf("data accept exited %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := cli(t, "audit", "verify"); code != 0 {
		t.Fatalf("audit verify after data accept: exit %d\n%s", code, out)
	}

	// The database gone, its key still there.
	if err := os.Remove(dbPath); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"selftest"}, {"queue", "list"}, {"audit", "verify"}} {
		if code, _, errOut := cli(t, args...); code == 0 || !strings.Contains(errOut, "start afresh on purpose") {
			t.Errorf("%v with the database gone: exit %d, %q", args, code, errOut)
		}
	}
	if code, out, _ := cli(t, "status"); code == 0 || !strings.Contains(out, "kiosk.db is missing while its key is there") {
		t.Errorf("status with the database gone: exit %d\n%s", code, out)
	}
	if code, _, errOut := cli(t, "data", "start-afresh"); code == 0 || !strings.Contains(errOut, "reason") {
		t.Errorf("start-afresh without a reason: exit %d, %q", code, errOut)
	}
	if code, out, errOut := cli(t, "data", "start-afresh", "--reason", "disk replaced, no backup (INC0002)"); code != 0 {
		t.Fatalf("data start-afresh exited %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := cli(t, "audit", "export")
	if code != 0 || !strings.Contains(out, "data-accepted") || !strings.Contains(out, "INC0002") || !strings.Contains(out, "command line (") {
		t.Fatalf("the new database's first record: exit %d\n%s\n%s", code, out, errOut)
	}
}
