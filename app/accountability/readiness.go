package accountability

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// Go-live readiness (the guide's steps 8 to 26, ahead of the "go/no go"
// call of step 25: "held to ensure that the crucial actions have been
// completed"). Each item is judged from evidence the kiosk holds: its
// configuration, the audit log, the staff checks, the drill's record.
// What the kiosk cannot see (a briefing, a policy, a call) the project
// lead records, with who and when, and that record is audited too.

// Readiness statuses.
const (
	StatusReady      = "ready"
	StatusNotReady   = "not ready"
	StatusNotChecked = "not checked"
)

// EvidenceWindow is how recent evidence must be: a month of routine use.
const EvidenceWindow = 30 * 24 * time.Hour

// EvidenceTime is how the readiness page writes the time of its evidence.
const EvidenceTime = "02 Jan 2006 15:04"

// ReadinessItem is one line of the readiness page.
type ReadinessItem struct {
	ID       string
	Steps    string // the guide's steps: "Step 19"
	Title    string
	Status   string
	Evidence string
	// Manual items are recorded by the project lead; By and At say who
	// and when.
	Manual bool
	By     string
	At     time.Time
}

// with is the item judged: its status and the evidence for it.
func (it ReadinessItem) with(status, evidence string) ReadinessItem {
	it.Status, it.Evidence = status, evidence
	return it
}

// Readiness builds the readiness page from the evidence now.
func (a *Accountability) Readiness() ([]ReadinessItem, error) {
	ev, err := a.evidence()
	if err != nil {
		return nil, err
	}
	items := []ReadinessItem{a.careSettingItem(), a.spineItem(ev), a.fgmItem(ev), a.baselineItem(), ev.readerItem(),
		a.staffItem(), ev.drillItem(), ev.auditItem()}
	for _, m := range manualItems {
		items = append(items, ev.manualItem(m))
	}
	return items, nil
}

// Ready counts the items that are ready.
func Ready(items []ReadinessItem) int {
	n := 0
	for _, it := range items {
		if it.Status == StatusReady {
			n++
		}
	}
	return n
}

// manualItems are what the kiosk cannot see for itself.
var manualItems = []ReadinessItem{
	{ID: "briefing", Steps: "Step 4", Title: "Project team attended the CP-IS briefing", Manual: true},
	{ID: "continuity", Steps: "Steps 15, 21", Title: "Business continuity plans updated for CP-IS", Manual: true},
	{ID: "ig", Steps: "Step 22", Title: "IG procedure (SOP, privacy statement) updated", Manual: true},
	{ID: "go-no-go", Steps: "Step 25", Title: "Go/no go call held with the implementation manager", Manual: true},
}

// ErrUnknownItem means a readiness record named an item that is not one
// the project lead records.
var ErrUnknownItem = errors.New("not a readiness item the project lead records")

// ReadinessItemIDs are the ids `readiness record` takes.
func ReadinessItemIDs() []string {
	ids := make([]string, len(manualItems))
	for i, m := range manualItems {
		ids[i] = m.ID
	}
	return ids
}

// RecordReadiness records a manual item as done by the named person, in
// the audit log.
func (a *Accountability) RecordReadiness(id, by, note string, s check.Session) error {
	found := false
	for _, m := range manualItems {
		found = found || m.ID == id
	}
	if !found {
		return fmt.Errorf("recording %q: %w (use %s)", id, ErrUnknownItem, strings.Join(ReadinessItemIDs(), ", "))
	}
	if strings.TrimSpace(by) == "" {
		return fmt.Errorf("recording %q: say who did it (--by NAME)", id)
	}
	_, err := a.Log.Append(store.Event{At: a.Now(), Kind: cpis.EventReadiness, UserID: s.User.ID, UserName: strings.TrimSpace(by),
		RoleID: s.Role.ID, JobRole: s.Role.JobRole, OrgCode: s.Role.OrgCode, Setting: string(a.Setting),
		Result: cpis.ResultDone, Item: id, Outcome: strings.TrimSpace(note)})
	if err != nil {
		return fmt.Errorf("recording %q: %w", id, err)
	}
	return nil
}
