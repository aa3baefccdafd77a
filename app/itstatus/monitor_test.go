package itstatus

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/config"
)

// The monitor checks at once, then each time its timer fires, writing the
// snapshot every time; Shutdown stops it between checks. The timer is
// driven by the test.
func TestMonitorChecksOnItsTimer(t *testing.T) {
	cfg := config.Config{DataDir: t.TempDir()}
	b, _ := LoadBaseline("")
	log := logrus.New()
	log.SetOutput(io.Discard)
	waits, fire := make(chan time.Duration), make(chan time.Time)
	m := &Monitor{cfg: cfg, log: log, now: time.Now, every: snapshotEvery,
		probe: &statusProbe{cfg: cfg, baseline: b, host: host{root: t.TempDir(), getenv: func(string) string { return "" },
			run: func(context.Context, string, ...string) (string, error) { return "", errNotChecked }, goos: "linux"}},
		after: func(d time.Duration) <-chan time.Time {
			waits <- d
			return fire
		}}
	snapshot := filepath.Join(cfg.DataDir, snapshotName)
	m.Start(context.Background())
	if d := <-waits; d <= 0 || d > snapshotEvery {
		t.Errorf("after the first check it waits %v, want up to %v", d, snapshotEvery)
	}
	m.mu.Lock()
	checked := m.last.Checked
	m.mu.Unlock()
	if checked.IsZero() {
		t.Fatal("no check at Start")
	}
	if err := os.Remove(snapshot); err != nil {
		t.Fatalf("no snapshot after the first check: %v", err)
	}
	fire <- time.Now()
	<-waits
	if _, err := os.Stat(snapshot); err != nil {
		t.Errorf("no snapshot after the timer fired: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
