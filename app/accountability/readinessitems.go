package accountability

import (
	"errors"
	"fmt"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// The readiness items, one function each, judged from the evidence.

// evidence is what the audit log says, read once for the whole page.
type evidence struct {
	now time.Time
	loc *time.Location
	// verr is why the log does not verify. While it does not, nothing in
	// it is evidence, and the fields below are empty.
	verr   error
	report store.Report
	// The last successful call to the Spine, smartcard sign-in, and drill.
	lastSpine, lastCard, lastDrill store.Event
	// The last FGM-IS query that got an answer, and the last that did not
	// (failed, or refused for want of B0370).
	lastFGM, lastFGMFault store.Event
	// manual holds the project lead's last record of each manual item.
	manual map[string]store.Event
}

// evidence reads the audit log for the readiness page: a log that does not
// verify is evidence of that alone.
func (a *Accountability) evidence() (evidence, error) {
	ev := evidence{now: a.Now(), loc: a.Loc, manual: map[string]store.Event{}}
	if ev.report, ev.verr = a.Log.Verify(); ev.verr != nil {
		return ev, nil
	}
	err := a.Log.Events(func(e store.Event) error {
		switch {
		case spineOK(e):
			ev.lastSpine = e
		case (e.Kind == cpis.EventLogin && e.Result == cpis.ResultDone) || e.Kind == cpis.EventUnlock:
			ev.lastCard = e
		case e.Kind == cpis.EventDrill:
			ev.lastDrill = e
		case e.Kind == cpis.EventFGMQuery && (e.Result == cpis.ResultFGMFlag || e.Result == cpis.ResultNoFGMFlag):
			ev.lastFGM = e
		case e.Kind == cpis.EventFGMQuery:
			ev.lastFGMFault = e
		case e.Kind == cpis.EventReadiness:
			ev.manual[e.Item] = e
		}
		return nil
	})
	return ev, err
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

func (ev evidence) when(t time.Time) string { return t.In(ev.loc).Format(EvidenceTime) }

func (ev evidence) recent(t time.Time) bool { return !t.IsZero() && ev.now.Sub(t) <= EvidenceWindow }

// untrusted is an item drawn from a log that does not verify.
func untrusted(it ReadinessItem) ReadinessItem {
	return it.with(StatusNotReady, "The audit log does not verify, so it cannot be evidence: run cpis-kiosk audit verify.")
}

func (a *Accountability) careSettingItem() ReadinessItem {
	it := ReadinessItem{ID: "care-setting", Steps: "Step 2", Title: "Care setting configured and in scope"}
	return it.with(StatusReady, fmt.Sprintf("%s at %s (%s): one of the seven unscheduled care settings.",
		a.Setting.Name(), a.Cfg.Organisation.Name, a.Cfg.Organisation.ODS))
}

// spineItem: a recent answer from the real Spine, not the embedded sandbox.
func (a *Accountability) spineItem(ev evidence) ReadinessItem {
	it := ReadinessItem{ID: "spine", Steps: "Steps 8, 10", Title: "Spine reachable"}
	last := ev.lastSpine
	switch {
	case ev.verr != nil:
		return untrusted(it)
	case a.Cfg.Embedded():
		it = it.with(StatusNotReady, "The kiosk runs on its embedded sandbox: configure [spine] with the real endpoints.")
		if last.Seq != 0 {
			it.Evidence += " Last successful check on the sandbox: " + ev.when(last.At) + "."
		}
		return it
	case ev.recent(last.At):
		return it.with(StatusReady, "Last successful check: "+ev.when(last.At)+" ("+KindWords(last.Kind)+").")
	case last.Seq != 0:
		return it.with(StatusNotReady, "No successful check in the last 30 days; the last was "+ev.when(last.At)+".")
	}
	return it.with(StatusNotReady, "No successful check yet: run cpis-kiosk selftest --card.")
}

// fgmItem: FGM-IS answered lately, so staff roles hold B0370 and the
// kiosk reaches it (spine-interfaces.md, "FGM Information Sharing").
func (a *Accountability) fgmItem(ev evidence) ReadinessItem {
	it := ReadinessItem{ID: "fgm", Steps: "FGM-IS", Title: "FGM-IS answers, and staff roles have B0370"}
	last, fault := ev.lastFGM, ev.lastFGMFault
	switch {
	case ev.verr != nil:
		return untrusted(it)
	case a.Cfg.Embedded():
		return it.with(StatusNotReady, "The kiosk runs on its embedded sandbox: configure spine.fgm with the real endpoint.")
	case ev.recent(last.At) && fault.At.Before(last.At):
		return it.with(StatusReady, "Last FGM-IS answer: "+ev.when(last.At)+".")
	case fault.Result == cpis.ResultRefused:
		return it.with(StatusNotReady, "The last FGM-IS query was refused on "+ev.when(fault.At)+
			": the role lacked B0370 (View Summary Health Records). Ask the registration authority to add it to the roles that check children.")
	case fault.Seq != 0:
		return it.with(StatusNotReady, "The last FGM-IS query failed on "+ev.when(fault.At)+": see the IT status screen.")
	}
	return it.with(StatusNotReady, "No FGM-IS answer yet: check a girl under 18 with cpis-kiosk selftest --card.")
}

// baselineItem is the IT status's word on the environment baseline.
func (a *Accountability) baselineItem() ReadinessItem {
	it := ReadinessItem{ID: "baseline", Steps: "Steps 13, 14", Title: "Environment baseline (WES) passed"}
	if a.Baseline == nil {
		return it.with(StatusNotChecked, "Not checked: the IT status's baseline check is not wired in to this page.")
	}
	ok, detail := a.Baseline()
	if !ok {
		return it.with(StatusNotReady, detail)
	}
	return it.with(StatusReady, detail)
}

// readerItem: a recent smartcard sign-in proves the reader.
func (ev evidence) readerItem() ReadinessItem {
	it := ReadinessItem{ID: "reader", Steps: "Step 11", Title: "Smartcard reader working"}
	switch {
	case ev.verr != nil:
		return untrusted(it)
	case ev.recent(ev.lastCard.At):
		return it.with(StatusReady, "Last smartcard sign-in: "+ev.when(ev.lastCard.At)+".")
	}
	return it.with(StatusNotReady, "No smartcard sign-in in the last 30 days.")
}

// staffItem: someone has opened both test patients' alerts (the staff
// records, which the store keeps beside the audit).
func (a *Accountability) staffItem() ReadinessItem {
	it := ReadinessItem{ID: "staff", Steps: "Steps 12, 18, 19", Title: "Staff access proven on the test patients"}
	verified, pending, err := a.StaffLists()
	switch {
	case err != nil:
		return it.with(StatusNotReady, "The staff checks cannot be read.")
	case len(verified) > 0:
		return it.with(StatusReady, fmt.Sprintf("%d proven, %d seen but not yet proven.", len(verified), len(pending)))
	}
	return it.with(StatusNotReady, fmt.Sprintf("Nobody has yet opened the alerts of both test patients (%s); %d seen at the kiosk.",
		trainingWords(), len(pending)))
}

// drillItem: the last downtime drill passed, lately.
func (ev evidence) drillItem() ReadinessItem {
	it := ReadinessItem{ID: "drill", Steps: "Steps 15, 21", Title: "Downtime drill passed in the last 30 days"}
	last := ev.lastDrill
	switch {
	case ev.verr != nil:
		return untrusted(it)
	case last.Seq == 0:
		return it.with(StatusNotReady, "No drill recorded: run cpis-kiosk drill downtime.")
	case last.Result != cpis.ResultPassed:
		return it.with(StatusNotReady, "The last drill, "+ev.when(last.At)+", failed: "+last.Outcome)
	case !ev.recent(last.At):
		return it.with(StatusNotReady, "The last drill passed on "+ev.when(last.At)+", more than 30 days ago.")
	}
	return it.with(StatusReady, ev.when(last.At)+": "+last.Outcome)
}

// auditItem: the log verifies, or where it breaks.
func (ev evidence) auditItem() ReadinessItem {
	it := ReadinessItem{ID: "audit", Steps: "Steps 17, 27", Title: "Audit log verifies"}
	var brk *store.Break
	switch {
	case errors.As(ev.verr, &brk):
		return it.with(StatusNotReady, "It does not: "+brk.Error()+".")
	case ev.verr != nil:
		return it.with(StatusNotReady, "It cannot be read.")
	}
	rep := ev.report
	words := fmt.Sprintf("%d records, chain and MACs intact", rep.Records)
	if rep.Records > 0 {
		words += fmt.Sprintf(" (records %d to %d)", rep.First, rep.Last)
	}
	return it.with(StatusReady, words+".")
}

// manualItem is it as the project lead last recorded it.
func (ev evidence) manualItem(it ReadinessItem) ReadinessItem {
	e, ok := ev.manual[it.ID]
	switch {
	case ev.verr != nil:
		return untrusted(it)
	case !ok:
		return it.with(StatusNotReady, "Not yet recorded by the project lead.")
	}
	it.By, it.At = e.UserName, e.At
	it = it.with(StatusReady, "Recorded by "+e.UserName+", "+ev.when(e.At)+".")
	if e.Outcome != "" {
		it.Evidence += " " + e.Outcome
	}
	return it
}
