package itstatus

import (
	"fmt"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/app/accountability"
)

// BaselineEvidence is the readiness page's view of the environment
// baseline (WES, guide step 13): the IT status's baseline lines, from the
// snapshot the running kiosk keeps of its last status check (snapshot.go). With no
// snapshot, or one older than a month, the baseline counts as not passed:
// the page says to open the IT status.
func BaselineEvidence(dataDir string, now func() time.Time) func() (bool, string) {
	return func() (bool, string) {
		st, err := readSnapshot(dataDir)
		if err != nil || st == nil {
			return false, "No IT status check found: open the IT status screen in the kiosk, or run cpis-kiosk status while it runs."
		}
		var total, pass int
		var failing []string
		for _, l := range st.Lines {
			if !strings.HasPrefix(l.ID, "baseline.") {
				continue
			}
			total++
			if l.Result == ResultPass {
				pass++
			} else {
				failing = append(failing, l.Title+" ("+l.Result+")")
			}
		}
		when := st.Checked.Local().Format(accountability.EvidenceTime)
		switch {
		case total == 0:
			return false, "The IT status check of " + when + " holds no baseline items."
		case now().Sub(st.Checked) > accountability.EvidenceWindow:
			return false, "The last IT status check, " + when + ", is more than 30 days old: open the IT status screen."
		case len(failing) > 0:
			return false, fmt.Sprintf("IT status of %s: %d of %d baseline items pass; not passing: %s.", when, pass, total,
				strings.Join(failing, ", "))
		}
		return true, fmt.Sprintf("IT status of %s: all %d baseline items pass.", when, total)
	}
}
