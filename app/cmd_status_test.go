package app

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/itstatus"
)

// `cpis-kiosk status --json` on this machine: real probes, the embedded
// sandbox, pcscd; every documented line is there, and the exit code says
// whether any is red.
func TestStatusCommandJSON(t *testing.T) {
	dir, _, _ := selftestIn(t)
	start := time.Now()
	code, out, _ := cli(t, "status", "--json")
	took := time.Since(start)
	var st itstatus.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var ids []string
	for _, l := range st.Lines {
		ids = append(ids, l.ID)
		if l.State != itstatus.StateGreen && l.State != itstatus.StateAmber && l.State != itstatus.StateRed {
			t.Errorf("%s: state %q", l.ID, l.State)
		}
	}
	if !slices.Equal(ids, itstatus.LineIDs) {
		t.Errorf("ids %v\nwant %v", ids, itstatus.LineIDs)
	}
	if (st.Overall == itstatus.StateRed) != (code == 1) || (code != 0 && code != 1) {
		t.Errorf("overall %s, exit %d", st.Overall, code)
	}
	if st.Schema != itstatus.StatusSchema || st.Source != "command" || st.DataDir != dir {
		t.Errorf("header: %+v", st)
	}
	for _, id := range []string{"spine.pds", "spine.cpis", "spine.identity", "spine.certificate", "clock", "queue", "last_check", "disk", "logs"} {
		if l := statusLine(t, st, id); l.State != itstatus.StateGreen {
			t.Errorf("%s on a fresh sandbox after a selftest: %s %q", id, l.State, l.Detail)
		}
	}
	t.Logf("status --json took %s, overall %s", took.Round(time.Millisecond), st.Overall)
}

func statusLine(t *testing.T, s itstatus.Status, id string) itstatus.StatusLine {
	t.Helper()
	l, ok := s.Line(id)
	if !ok {
		t.Fatalf("no line %s", id)
	}
	return l
}
