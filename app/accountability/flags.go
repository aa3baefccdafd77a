package accountability

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// What routine audit looks for.
const (
	// FlagNoPresentation: an alert opened with no trace by the same user
	// for the same NHS number in the hours before: CP-IS must be looked at
	// only when the child presents (guide step 20).
	FlagNoPresentation = "no-presentation"
	// FlagManyOpens: more alerts opened by one user in an hour than one
	// person checking presenting children plausibly opens.
	FlagManyOpens = "many-opens"
	// FlagOutOfHours: access while the care setting is closed.
	FlagOutOfHours = "out-of-hours"
)

// Thresholds of the flags.
const (
	PresentationWindow = 4 * time.Hour
	ManyOpensWindow    = time.Hour
	ManyOpensLimit     = 10 // more than this many in the window is flagged
)

// Flag is one thing routine audit should look at.
type Flag struct {
	Kind     string
	At       time.Time
	UserID   string
	UserName string
	NHS      string
	Detail   string
	Seq      uint64 // the record that raised it
}

// Flags looks through events (oldest first) for what routine audit looks
// for. Replayed checks are the kiosk's own, made after downtime on behalf
// of the member of staff on duty, and are not flagged.
func Flags(events []store.Event, hours config.OpeningHours, loc *time.Location) []Flag {
	var out []Flag
	lastTrace := map[string]time.Time{} // user|nhs -> last trace found
	// A burst is a user's opens within the window; it raises one flag,
	// which grows while the burst lasts.
	type burst struct {
		times   []time.Time
		flagged int // index in out of the burst's flag; -1 when none
		most    int
	}
	opens := map[string]*burst{}
	for _, e := range events {
		if e.Replayed {
			continue
		}
		live := e.Kind == cpis.EventTrace || e.Kind == cpis.EventSearch || (e.Kind == cpis.EventAlertOpened && e.Notified)
		if live && !hours.Open(e.At.In(loc)) {
			out = append(out, Flag{Kind: FlagOutOfHours, At: e.At, UserID: e.UserID, UserName: e.UserName,
				NHS: e.NHS, Seq: e.Seq, Detail: fmt.Sprintf("%s at %s, outside opening hours %s",
					KindWords(e.Kind), e.At.In(loc).Format("15:04"), hours)})
		}
		switch {
		case e.Kind == cpis.EventTrace && e.Result == cpis.ResultFound:
			lastTrace[e.UserID+"|"+e.NHS] = e.At
		case e.Kind == cpis.EventAlertOpened && e.Notified:
			t, ok := lastTrace[e.UserID+"|"+e.NHS]
			if !ok || e.At.Sub(t) > PresentationWindow || e.At.Before(t) {
				out = append(out, Flag{Kind: FlagNoPresentation, At: e.At, UserID: e.UserID, UserName: e.UserName,
					NHS: e.NHS, Seq: e.Seq, Detail: fmt.Sprintf("alert opened with no trace of the patient by the same user in the %s before",
						hoursWords(PresentationWindow))})
			}
			b := opens[e.UserID]
			if b == nil {
				b = &burst{flagged: -1}
				opens[e.UserID] = b
			}
			keep := b.times[:0]
			for _, t := range b.times {
				if e.At.Sub(t) < ManyOpensWindow {
					keep = append(keep, t)
				}
			}
			b.times = append(keep, e.At)
			switch {
			case len(b.times) <= ManyOpensLimit:
				b.flagged, b.most = -1, 0
			case b.flagged < 0:
				b.flagged = len(out)
				out = append(out, Flag{Kind: FlagManyOpens, At: b.times[0], UserID: e.UserID, UserName: e.UserName, Seq: e.Seq})
			}
			if b.flagged >= 0 && len(b.times) > b.most {
				b.most = len(b.times)
				out[b.flagged].Detail = fmt.Sprintf("%d alerts opened between %s and %s (more than %d in an %s)", b.most,
					b.times[0].In(loc).Format("15:04"), e.At.In(loc).Format("15:04"), ManyOpensLimit, hoursWords(ManyOpensWindow))
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Flag) int {
		if c := strings.Compare(flagOrder(x.Kind), flagOrder(y.Kind)); c != 0 {
			return c
		}
		return x.At.Compare(y.At)
	})
	return out
}

func flagOrder(k string) string {
	return map[string]string{FlagNoPresentation: "1", FlagManyOpens: "2", FlagOutOfHours: "3"}[k]
}

func hoursWords(d time.Duration) string {
	if d == time.Hour {
		return "hour"
	}
	return fmt.Sprintf("%d hours", int(d.Hours()))
}
