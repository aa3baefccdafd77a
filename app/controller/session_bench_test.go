package controller

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device/vcard"
	"github.com/nhs-cpis/kiosk/store"
	"github.com/nhs-cpis/kiosk/ui"
)

// BenchmarkCardInsertToPrompt is from the virtual card connecting to the
// vpcd reader, through real pcscd, to the sign-in's prompt: the sandbox's
// authenticator asking for the passcode (with CIS2, the browser opening).
// Compare BenchmarkInsertToEvent in device, pcscd's own notification.
func BenchmarkCardInsertToPrompt(b *testing.B) {
	benchCards(b, func(rig *cardRig, u vcard.User) (time.Duration, time.Duration) {
		start := time.Now()
		pull := rig.insert(u.ID)
		rig.gate(cpis.GatePasscode)
		prompt := time.Since(start)
		pull()
		rig.gate(cpis.GateInsertCard)
		return prompt, 0
	})
}

// BenchmarkCardInsertToReady is the kiosk's whole sign-in through real
// pcscd: from the virtual card connecting to the vpcd reader to the
// session being ready, with the passcode submitted the moment it is asked
// for (no human typing time): the card's VERIFY, the OpenID Connect code
// flow with PKCE through the sandbox's authenticator and the loopback,
// the ID token's checks, and the API platform's token exchange. Compare
// BenchmarkInsertToEvent in device, pcscd's own notification latency.
func BenchmarkCardInsertToReady(b *testing.B) {
	benchCards(b, func(rig *cardRig, u vcard.User) (time.Duration, time.Duration) {
		start := time.Now()
		pull := rig.insert(u.ID)
		rig.gate(cpis.GatePasscode)
		rig.k.SubmitPasscode(u.Passcode)
		rig.gate(cpis.GateOpen)
		ready := time.Since(start)
		pull()
		rig.gate(cpis.GateInsertCard)
		return ready, 0
	})
}

// BenchmarkCardRemoveToWiped is from the card leaving the reader to the
// View without the patient being handed to the window.
func BenchmarkCardRemoveToWiped(b *testing.B) {
	benchCards(b, func(rig *cardRig, u vcard.User) (time.Duration, time.Duration) {
		pull := rig.insert(u.ID)
		rig.gate(cpis.GatePasscode)
		rig.k.SubmitPasscode(u.Passcode)
		rig.gate(cpis.GateOpen)
		rig.k.TraceNHS("9990276579")
		waitFor(rig.t, rig.views, "the patient", func(v ui.View) bool { return v.Patient != nil })
		start := time.Now()
		pull()
		rig.gate(cpis.GateInsertCard)
		return 0, time.Since(start)
	})
}

func benchCards(b *testing.B, cycle func(*cardRig, vcard.User) (time.Duration, time.Duration)) {
	rig := newCardRigOn(b, 0, 0, 0)
	u, _ := vcard.Find(nurseCard)
	var d []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in, out := cycle(rig, u)
		d = append(d, in+out)
	}
	kiosktest.ReportLatency(b, d)
}

// BenchmarkQueued100k is the memory of a kiosk whose offline queue holds
// 100,000 presentations, after reading the counts and the queue screen's
// rows as loadQueue does: the oldest ui.QueueRowsShown waiting and moved
// aside. rss-anon-MB is the process's own memory, rss-file-MB the files
// mapped in: the program, and the database's pages that were read. Run it
// alone: building the queue writes 100,000 durable records.
func BenchmarkQueued100k(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	db, err := accountability.OpenStore(filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key"), kiosktest.Quiet())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	at := time.Now().Add(-time.Hour)
	for i := 0; i < n; i++ {
		p := store.Presentation{Key: fmt.Sprintf("k%06d", i), At: at, Setting: "emergency-department", OrgCode: "RXX01",
			UserID: "555000000010", UserName: "Alex Morgan", RoleID: "555000000010-01", JobRole: "Staff Nurse", NHS: "9990276579"}
		if _, err := db.Enqueue(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := db.Counts()
		if err != nil || c.Queued != n {
			b.Fatalf("counts %+v %v", c, err)
		}
		rows, err := db.QueuePage(0, ui.QueueRowsShown)
		if err != nil || len(rows) != ui.QueueRowsShown {
			b.Fatalf("rows %d %v", len(rows), err)
		}
		if dead, err := db.DeadLetterPage(0, ui.QueueRowsShown); err != nil || len(dead) != 0 {
			b.Fatalf("dead letters %d %v", len(dead), err)
		}
	}
	runtime.GC()
	b.ReportMetric(rssMB(), "rss-MB")
	anon, file := rssSplitMB()
	b.ReportMetric(anon, "rss-anon-MB")
	b.ReportMetric(file, "rss-file-MB")
}

// rssSplitMB is the resident memory in two parts: the process's own
// (heap, stacks) and the files mapped in.
func rssSplitMB() (anon, file float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb float64
		if _, err := fmt.Sscanf(line, "RssAnon: %f kB", &kb); err == nil {
			anon = kb / 1024
		}
		if _, err := fmt.Sscanf(line, "RssFile: %f kB", &kb); err == nil {
			file = kb / 1024
		}
	}
	return anon, file
}

func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, rss int64
	fmt.Sscan(string(b), &size, &rss)
	return float64(rss*int64(os.Getpagesize())) / (1 << 20)
}
