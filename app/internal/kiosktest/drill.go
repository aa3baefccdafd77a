package kiosktest

import (
	"regexp"
	"strconv"
	"testing"
)

var drillLine = regexp.MustCompile(`^drill: presented (\d+), queued (\d+), replayed (\d+), lost 0, duplicate notifications 0, review items (\d+)\n$`)

// CheckDrillOutput fails the test unless out is the downtime drill's one
// line for n patients, all queued and replayed, none lost or notified
// twice, with the alerts and manual traces (some, not all) on the review
// list.
func CheckDrillOutput(t testing.TB, out string, n int) {
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
