package app

import (
	"bytes"
	"context"
	"flag"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/app/waiting"
)

var drillLine = regexp.MustCompile(`^drill: presented (\d+), queued (\d+), replayed (\d+), lost 0, duplicate notifications 0, review items (\d+)\n$`)

func checkDrillOutput(t *testing.T, out string, n int) {
	t.Helper()
	m := drillLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("drill printed %q", out)
	}
	for _, s := range m[1:4] {
		if s != strconv.Itoa(n) {
			t.Errorf("drill printed %q, want %d presented, queued and replayed", out, n)
		}
	}
	if r, _ := strconv.Atoi(m[4]); r == 0 || r >= n {
		t.Errorf("drill printed %q: review items should be the alerts and manual traces", out)
	}
}

func TestDrill(t *testing.T) {
	log, hook := logtest.NewNullLogger()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := waiting.Drill(ctx, &out, waiting.DrillOptions{Patients: 25, Log: log})
	if err != nil {
		t.Fatalf("Drill: %v (printed %q)", err, out.String())
	}
	if res.Patients != 25 || res.Lost != 0 || res.Duplicates != 0 || res.Queued != 25 {
		t.Errorf("drill result %+v", res)
	}
	checkDrillOutput(t, out.String(), 25)
	assertNoPatientInLogs(t, hook, "CPISTEST", "MORGAN", "XIONG", "Poppy")
}

// The drill with its replaying process killed at random moments: here the
// process is this test binary, re-run as TestDrillChild.
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
	checkDrillOutput(t, out.String(), 30)
}

// TestDrillChild is the drill's replaying process, as the hidden
// drill-replay command runs it.
func TestDrillChild(t *testing.T) {
	if os.Getenv("CPIS_DRILL_CHILD") == "" {
		t.Skip("run by TestDrillKill")
	}
	args := flag.Args()
	if len(args) == 0 || args[0] != "drill-replay" {
		os.Exit(2)
	}
	os.Exit(waiting.DrillReplayChild(args[1:]))
}
