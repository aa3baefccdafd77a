package app

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/app/waiting"
)

// The drill with its replaying process killed at random moments: here the
// process is this test binary, re-run as TestDrillChild, which runs the
// kiosk's own hidden drill-replay command.
func TestDrillKill(t *testing.T) {
	if os.Getenv("CPIS_DRILL_CHILD") != "" {
		t.Skip("in the child")
	}
	if testing.Short() {
		t.Skip("re-runs the test binary")
	}
	t.Setenv("CPIS_DRILL_CHILD", "1")
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := waiting.Drill(ctx, &out, waiting.DrillOptions{Patients: 30, Kill: true, Exe: os.Args[0],
		ExeArgs: []string{"-test.run=^TestDrillChild$", "--"}, Log: kiosktest.Quiet()})
	if err != nil {
		t.Fatalf("Drill: %v (printed %q)", err, out.String())
	}
	kiosktest.CheckDrillOutput(t, out.String(), 30)
}

// TestDrillChild is the drill's replaying process: the command line, given
// the drill-replay command the drill passes.
func TestDrillChild(t *testing.T) {
	if os.Getenv("CPIS_DRILL_CHILD") == "" {
		t.Skip("run by TestDrillKill")
	}
	args := flag.Args()
	if len(args) == 0 || args[0] != "drill-replay" {
		os.Exit(2)
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}
