package ui

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/nhs-cpis/kiosk/cpis"
)

// A barcode scanner is a keyboard that types ten digits (perhaps with
// spaces or hyphens, as wristbands print them) and Enter, each key within
// a few milliseconds of the last. A scan is always a new patient: on any
// signed-in screen it starts a new check for the number scanned, the
// previous child's result gone at once, wherever the focus was. Its keys
// never press a focused button (a space or an Enter among its digits is
// the scan's, not the button's) and never reach any field but the NHS
// number: digits that went into another field are taken out again.

// scanGap is the longest pause between a scanner's keys. Scanners type a
// key every 0 to 10 ms; nobody types ten digits and Enter with each key
// within 60 ms of the last.
const scanGap = 60 * time.Millisecond

// scanDigits is how many digits a scan carries: an NHS number.
const scanDigits = 10

// scanBurst is the keys arriving fast enough to be a scanner's.
type scanBurst struct {
	digits []rune
	last   time.Time
	// into is the field the burst was typed into, and what it held
	// before: a scan puts it back (nil: a button or nothing had focus, or
	// the NHS number field, where the digits belong).
	into   *textField
	before string
}

// fresh reports whether a key now continues the burst.
func (b *scanBurst) fresh(now time.Time) bool {
	return len(b.digits) > 0 && now.Sub(b.last) <= scanGap
}

// scans reports whether a scan may start a check: someone is signed in.
func (w *Window) scans() bool {
	return w.view.Session.Gate == cpis.GateOpen && w.view.Banner.User != ""
}

// scanRune watches every rune typed on a signed-in screen, into field
// (nil: a button or nothing had focus). It reports whether the rune was
// taken as part of a scan; a field still receives its runes, which a scan
// takes out again.
func (w *Window) scanRune(field *textField, r rune) bool {
	if !w.scans() {
		return false
	}
	now, b := w.now(), &w.burst
	switch {
	case r >= '0' && r <= '9':
		if !b.fresh(now) {
			*b = scanBurst{}
			if field != nil && field != w.nhs {
				b.into, b.before = field, field.Text
			}
		}
		b.digits = append(b.digits, r)
		b.last = now
		return field == nil
	case (r == ' ' || r == '-') && b.fresh(now):
		b.last = now
		return field == nil
	}
	*b = scanBurst{}
	return false
}

// scanKey sees every key first. The Enter that ends a scan starts the
// check for the number scanned; a space among a scan's digits is the
// scan's. It reports whether it took the key.
func (w *Window) scanKey(ev *fyne.KeyEvent) bool {
	if !w.scans() {
		return false
	}
	now, b := w.now(), &w.burst
	switch ev.Name {
	case fyne.KeySpace:
		if b.fresh(now) {
			b.last = now
			return true
		}
	case fyne.KeyReturn, fyne.KeyEnter:
		if b.fresh(now) && len(b.digits) == scanDigits {
			scanned := *b
			*b = scanBurst{}
			if scanned.into != nil {
				scanned.into.SetText(scanned.before)
			}
			w.submitScan(string(scanned.digits))
			return true
		}
		*b = scanBurst{}
	case fyne.KeyTab, fyne.KeyBackspace, fyne.KeyDelete, fyne.KeyEscape, fyne.KeyUp, fyne.KeyDown,
		fyne.KeyLeft, fyne.KeyRight, fyne.KeyPageUp, fyne.KeyPageDown, fyne.KeyHome, fyne.KeyEnd:
		*b = scanBurst{}
	}
	// A printable key comes as a key and then as a rune (scanRune), which
	// decides.
	return false
}

// submitScan starts the check for a scanned number from any signed-in
// screen, or while the Spine is down records the presentation.
func (w *Window) submitScan(nhs string) {
	w.nhs.SetText(nhs)
	if w.view.Downtime != nil {
		w.act.RecordPresentation(nhs, cpis.SearchQuery{})
		return
	}
	w.act.TraceNHS(nhs)
}
