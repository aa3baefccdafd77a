package waiting_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/app/waiting"
)

// The drill with its replay in this process, with the whole Spine down
// and with CP-IS alone down while PDS answers (guide step 15: the process
// for patients who presented while systems were down). The drill with the
// replaying process killed runs the kiosk's own command line as that
// process, so it is tested beside the command line, in package app.
func TestDrill(t *testing.T) {
	for _, cpisOnly := range []bool{false, true} {
		t.Run(map[bool]string{false: "spine down", true: "cpis down"}[cpisOnly], func(t *testing.T) {
			log, hook := logtest.NewNullLogger()
			var out bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := waiting.Drill(ctx, &out, waiting.DrillOptions{Patients: 25, CPISOnly: cpisOnly, Log: log})
			if err != nil {
				t.Fatalf("Drill: %v (printed %q)", err, out.String())
			}
			if res.Patients != 25 || res.Lost != 0 || res.Duplicates != 0 || res.Queued != 25 {
				t.Errorf("drill result %+v", res)
			}
			kiosktest.CheckDrillOutput(t, out.String(), 25)
			assertNoPatientInLogs(t, hook, "CPISTEST", "MORGAN", "XIONG", "Poppy")
		})
	}
}
