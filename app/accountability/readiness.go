package accountability

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"

	"github.com/go-pdf/fpdf"

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

// spineOK is an audit record of a call that got an answer from the Spine.
func spineOK(e store.Event) bool {
	switch e.Kind {
	case cpis.EventTrace:
		return e.Result == cpis.ResultFound || e.Result == cpis.ResultNotFound
	case cpis.EventReplay:
		return true
	}
	return cpis.SuccessfulCheck(e.Kind, e.Result)
}

// Readiness builds the readiness page from the evidence now.
func (a *Accountability) Readiness() ([]ReadinessItem, error) {
	now := a.Now()
	when := func(t time.Time) string { return t.In(a.Loc).Format("02 Jan 2006 15:04") }
	recent := func(t time.Time) bool { return !t.IsZero() && now.Sub(t) <= EvidenceWindow }

	rep, verr := a.Log.Verify()
	var lastSpine, lastCard, lastDrill store.Event
	manual := map[string]store.Event{}
	if verr == nil {
		err := a.Log.Events(func(e store.Event) error {
			switch {
			case spineOK(e):
				lastSpine = e
			case (e.Kind == cpis.EventLogin && e.Result == cpis.ResultDone) || e.Kind == cpis.EventUnlock:
				lastCard = e
			case e.Kind == cpis.EventDrill:
				lastDrill = e
			case e.Kind == cpis.EventReadiness:
				manual[e.Item] = e
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	untrusted := func(it ReadinessItem) ReadinessItem {
		it.Status, it.Evidence = StatusNotReady, "The audit log does not verify, so it cannot be evidence: run cpis-kiosk audit verify."
		return it
	}

	var items []ReadinessItem
	items = append(items, ReadinessItem{ID: "care-setting", Steps: "Step 2", Title: "Care setting configured and in scope",
		Status: StatusReady, Evidence: fmt.Sprintf("%s at %s (%s): one of the seven unscheduled care settings.",
			a.Setting.Name(), a.Cfg.Organisation.Name, a.Cfg.Organisation.ODS)})

	spine := ReadinessItem{ID: "spine", Steps: "Steps 8, 10", Title: "Spine reachable"}
	switch {
	case verr != nil:
		spine = untrusted(spine)
	case a.Cfg.Embedded():
		spine.Status, spine.Evidence = StatusNotReady, "The kiosk runs on its embedded sandbox: configure [spine] with the real endpoints."
		if lastSpine.Seq != 0 {
			spine.Evidence += " Last successful check on the sandbox: " + when(lastSpine.At) + "."
		}
	case recent(lastSpine.At):
		spine.Status, spine.Evidence = StatusReady, "Last successful check: "+when(lastSpine.At)+" ("+KindWords(lastSpine.Kind)+")."
	case lastSpine.Seq != 0:
		spine.Status, spine.Evidence = StatusNotReady, "No successful check in the last 30 days; the last was "+when(lastSpine.At)+"."
	default:
		spine.Status, spine.Evidence = StatusNotReady, "No successful check yet: run cpis-kiosk selftest --card."
	}
	items = append(items, spine)

	base := ReadinessItem{ID: "baseline", Steps: "Steps 13, 14", Title: "Environment baseline (WES) passed",
		Status: StatusNotChecked, Evidence: "Not checked: the IT status's baseline check is not wired in to this page."}
	if a.Baseline != nil {
		ok, detail := a.Baseline()
		base.Status, base.Evidence = StatusNotReady, detail
		if ok {
			base.Status = StatusReady
		}
	}
	items = append(items, base)

	reader := ReadinessItem{ID: "reader", Steps: "Step 11", Title: "Smartcard reader working"}
	switch {
	case verr != nil:
		reader = untrusted(reader)
	case recent(lastCard.At):
		reader.Status, reader.Evidence = StatusReady, "Last smartcard sign-in: "+when(lastCard.At)+"."
	default:
		reader.Status, reader.Evidence = StatusNotReady, "No smartcard sign-in in the last 30 days."
	}
	items = append(items, reader)

	staff := ReadinessItem{ID: "staff", Steps: "Steps 12, 18, 19", Title: "Staff access proven on the test patients"}
	verified, pending, serr := a.StaffLists()
	switch {
	case serr != nil:
		staff.Status, staff.Evidence = StatusNotReady, "The staff checks cannot be read."
	case len(verified) > 0:
		staff.Status = StatusReady
		staff.Evidence = fmt.Sprintf("%d proven, %d seen but not yet proven.", len(verified), len(pending))
	default:
		staff.Status = StatusNotReady
		staff.Evidence = fmt.Sprintf("Nobody has yet opened the alerts of both test patients (%s); %d seen at the kiosk.",
			trainingWords(), len(pending))
	}
	items = append(items, staff)

	drill := ReadinessItem{ID: "drill", Steps: "Steps 15, 21", Title: "Downtime drill passed in the last 30 days"}
	switch {
	case verr != nil:
		drill = untrusted(drill)
	case lastDrill.Seq == 0:
		drill.Status, drill.Evidence = StatusNotReady, "No drill recorded: run cpis-kiosk drill downtime."
	case lastDrill.Result != cpis.ResultPassed:
		drill.Status, drill.Evidence = StatusNotReady, "The last drill, "+when(lastDrill.At)+", failed: "+lastDrill.Outcome
	case !recent(lastDrill.At):
		drill.Status, drill.Evidence = StatusNotReady, "The last drill passed on "+when(lastDrill.At)+", more than 30 days ago."
	default:
		drill.Status, drill.Evidence = StatusReady, when(lastDrill.At)+": "+lastDrill.Outcome
	}
	items = append(items, drill)

	audit := ReadinessItem{ID: "audit", Steps: "Steps 17, 27", Title: "Audit log verifies"}
	var brk *store.Break
	switch {
	case errors.As(verr, &brk):
		audit.Status, audit.Evidence = StatusNotReady, "It does not: "+brk.Error()+"."
	case verr != nil:
		audit.Status, audit.Evidence = StatusNotReady, "It cannot be read."
	default:
		audit.Status = StatusReady
		audit.Evidence = fmt.Sprintf("%d records, chain and MACs intact", rep.Records)
		if rep.Records > 0 {
			audit.Evidence += fmt.Sprintf(" (records %d to %d)", rep.First, rep.Last)
		}
		audit.Evidence += "."
	}
	items = append(items, audit)

	for _, m := range manualItems {
		e, ok := manual[m.ID]
		switch {
		case verr != nil:
			m = untrusted(m)
		case ok:
			m.Status, m.By, m.At = StatusReady, e.UserName, e.At
			m.Evidence = "Recorded by " + e.UserName + ", " + when(e.At) + "."
			if e.Outcome != "" {
				m.Evidence += " " + e.Outcome
			}
		default:
			m.Status, m.Evidence = StatusNotReady, "Not yet recorded by the project lead."
		}
		items = append(items, m)
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

// WriteReadinessCSV writes the page as CSV.
func WriteReadinessCSV(w io.Writer, items []ReadinessItem, loc *time.Location) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"steps", "item", "title", "status", "evidence", "recorded_by", "recorded_at"})
	for _, it := range items {
		at := ""
		if !it.At.IsZero() {
			at = it.At.In(loc).Format(time.RFC3339)
		}
		cw.Write([]string{it.Steps, it.ID, it.Title, it.Status, it.Evidence, it.By, at})
	}
	cw.Flush()
	return cw.Error()
}

// ReadinessHeader is what the PDF says about where and when.
type ReadinessHeader struct {
	Organisation string
	Setting      string
	At           time.Time
	Creator      string // "cpis-kiosk 0.1.0+abc"
}

// WriteReadinessPDF writes the page as an A4 PDF for the go/no go call.
func WriteReadinessPDF(w io.Writer, items []ReadinessItem, h ReadinessHeader) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("CP-IS go-live readiness", true)
	pdf.SetCreator(h.Creator, true)
	pdf.SetCreationDate(h.At)
	pdf.SetModificationDate(h.At)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // core fonts are cp1252
	pdf.SetMargins(18, 18, 18)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AliasNbPages("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-14)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(0x4c, 0x62, 0x72)
		pdf.CellFormat(0, 6, tr(fmt.Sprintf("CP-IS go-live readiness · %s · page %d of {nb}", h.At.Format("02 Jan 2006 15:04"), pdf.PageNo())),
			"", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	width, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	text := width - left - right

	pdf.SetFillColor(0x00, 0x5e, 0xb8)
	pdf.SetTextColor(0xff, 0xff, 0xff)
	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(text, 12, tr("CP-IS go-live readiness"), "", 1, "L", true, 0, "")
	pdf.Ln(2)
	pdf.SetTextColor(0x21, 0x2b, 0x32)
	pdf.SetFont("Helvetica", "", 11)
	pdf.MultiCell(text, 5.5, tr(fmt.Sprintf("%s · %s\nEvidence as at %s. The guide's step 25: \"Do not go live without having this call.\"",
		h.Organisation, h.Setting, h.At.Format("02 Jan 2006 15:04"))), "", "L", false)
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.MultiCell(text, 6, tr(fmt.Sprintf("%d of %d items ready", Ready(items), len(items))), "", "L", false)
	pdf.Ln(3)

	for _, it := range items {
		if pdf.GetY() > 260 {
			pdf.AddPage()
		}
		switch it.Status {
		case StatusReady:
			pdf.SetFillColor(0x00, 0x7f, 0x3b)
		case StatusNotChecked:
			pdf.SetFillColor(0xff, 0xb8, 0x1c)
		default:
			pdf.SetFillColor(0xd5, 0x28, 0x1b)
		}
		y := pdf.GetY()
		pdf.Rect(left, y, 2, 6, "F")
		pdf.SetX(left + 4)
		pdf.SetFont("Helvetica", "B", 11)
		pdf.SetTextColor(0x21, 0x2b, 0x32)
		status := strings.ToUpper(it.Status)
		sw := pdf.GetStringWidth(status) + 4
		title := tr(it.Steps + " · " + it.Title)
		// A long title gives way to the status, never runs into it.
		for size := 11.0; pdf.GetStringWidth(title) > text-6-sw && size > 7; size -= 0.5 {
			pdf.SetFontSize(size)
		}
		pdf.CellFormat(text-4-sw, 6, title, "", 0, "L", false, 0, "")
		pdf.SetFontSize(11)
		pdf.CellFormat(sw, 6, status, "", 1, "R", false, 0, "")
		pdf.SetX(left + 4)
		pdf.SetFont("Helvetica", "", 10)
		pdf.SetTextColor(0x4c, 0x62, 0x72)
		pdf.MultiCell(text-4, 5, tr(it.Evidence), "", "L", false)
		pdf.Ln(2.5)
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("writing readiness PDF: %w", err)
	}
	return pdf.Output(w)
}

// PrintReadiness is the page on a terminal.
func PrintReadiness(out io.Writer, items []ReadinessItem) {
	for _, it := range items {
		fmt.Fprintf(out, "%-11s  %-16s  %s\n%13s %s\n", strings.ToUpper(it.Status), it.Steps, it.Title, "", it.Evidence)
	}
	fmt.Fprintf(out, "%s of %d items ready\n", strconv.Itoa(Ready(items)), len(items))
}
