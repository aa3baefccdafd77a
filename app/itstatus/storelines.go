package itstatus

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// The database's lines: the offline queue, the dead letters, the review
// list and the last successful check.

// Thresholds, each documented with its line in packaging/README.md.
const (
	// queueRed: a presentation waiting longer than a shift is a child
	// whose alert nobody has seen.
	queueRed = 12 * time.Hour
	// lastCheckAmber: no successful check for this long is worth a look
	// (a selftest proves the path).
	lastCheckAmber = 7 * 24 * time.Hour
)

// storeLineIDs are the lines read from the database; when the running kiosk
// holds it, they come from its snapshot.
var storeLineIDs = []string{"queue", "dead_letters", "review", "last_check", "fgm_last"}

// judgeStore makes the database's lines, which are judged together: when
// the database cannot be read, each says so.
func judgeStore(f statusFacts) []StatusLine {
	s := f.Store
	switch s.State {
	case storeLocked:
		return lockedStoreLines(f)
	case storeMissing:
		return uniformStore(StateAmber, "No database yet in "+f.DataDir+": the kiosk has not run with this data folder.",
			"Start the kiosk once, or check data_dir in the configuration points at the kiosk's folder.")
	case storeFailed:
		return uniformStore(StateRed, "The kiosk's database cannot be read: "+describeStoreErr(s.Err),
			"Call IT: the kiosk will not start until this is fixed. Do not delete the database or its key.")
	}
	c := s.Counts
	return []StatusLine{
		judgeQueue(newLine("queue"), f),
		waitingLine(newLine("dead_letters"), "dead", c.Dead, "None.",
			plural(c.Dead, "presentation could not be replayed and was", "presentations could not be replayed and were")+" moved aside.",
			"Each is on the review list: the safeguarding lead traces the child by hand. `cpis-kiosk queue list` shows why."),
		waitingLine(newLine("review"), "open", c.OpenReview, "Nothing waits for review.",
			plural(c.OpenReview, "item waits", "items wait")+" for the safeguarding lead's review.",
			"A safeguarding lead (a role with B0107) works through them and signs each off: \"To review\" on the banner."),
		judgeLastCheck(newLine("last_check"), f),
		judgeLastFGM(newLine("fgm_last"), f),
	}
}

// judgeLastFGM is how the last FGM-IS query went: staff are shown nothing
// when it fails, so IT hears of it here (and in the log, by trace id).
func judgeLastFGM(l StatusLine, f statusFacts) StatusLine {
	e := f.Store.LastFGM
	when := e.At.In(f.Now.Location()).Format("2 Jan 15:04")
	switch e.Result {
	case "":
		l.State, l.Detail = StateGreen, "No FGM-IS query yet: it is asked after each trace of a girl under 18."
	case cpis.ResultFailed:
		l.State, l.Detail = StateAmber, "The last FGM-IS query, at "+when+", got no answer ("+e.Outcome+"). Staff were shown nothing."
		l.Next = "Look at the \"Spine: FGM-IS\" line and the log's warnings (trace id, no patient details). If FGM-IS keeps failing, call the NHS national service desk."
	case cpis.ResultRefused:
		l.State, l.Detail = StateAmber, "The last FGM-IS query, at "+when+", was refused: the role lacked B0370 (View Summary Health Records)."
		l.Next = "Ask the registration authority to add B0370 to the roles that check children; `cpis-kiosk staff checks` lists who lacks it."
	default:
		l.State, l.Detail = StateGreen, "The last FGM-IS query, at "+when+", was answered."
	}
	return l
}

func judgeQueue(l StatusLine, f statusFacts) StatusLine {
	c := f.Store.Counts
	l.Metrics = map[string]float64{"queued": float64(c.Queued)}
	if c.Queued == 0 {
		l.State, l.Detail = StateGreen, "Empty: every presentation recorded during downtime has been checked."
	} else {
		age := f.Now.Sub(c.Oldest)
		l.Metrics["oldest_age_seconds"] = math.Round(age.Seconds())
		l.State = StateAmber
		l.Detail = fmt.Sprintf("%d waiting for the Spine; the oldest for %s.", c.Queued, roundDur(age))
		l.Next = "They are checked by themselves when the Spine is back. Follow the downtime process meanwhile; `cpis-kiosk queue list` shows them."
		if age > queueRed {
			l.State = StateRed
			l.Next = "A child presented over 12 hours ago has not been checked. Follow the downtime process for the queued children now, and call IT about the Spine link."
		}
	}
	if !c.LastReplay.IsZero() {
		l.Detail += " Last replayed " + c.LastReplay.In(f.Now.Location()).Format("2 Jan 15:04") + "."
		l.Metrics["last_replay_age_seconds"] = math.Round(f.Now.Sub(c.LastReplay).Seconds())
	}
	return l
}

// waitingLine is a line for what waits for someone: green with none, amber
// with any; its count is the metric.
func waitingLine(l StatusLine, metric string, n int, none, some, next string) StatusLine {
	l.Metrics = map[string]float64{metric: float64(n)}
	if n == 0 {
		l.State, l.Detail = StateGreen, none
		return l
	}
	l.State, l.Detail, l.Next = StateAmber, some, next
	return l
}

func judgeLastCheck(l StatusLine, f statusFacts) StatusLine {
	s := f.Store
	if s.AuditErr != nil {
		// The kiosk still starts and checks: only this line is red.
		l.State, l.Detail = StateRed, "An audit record among the newest has been altered or removed, so the last check cannot be read."
		l.Next = "Run `cpis-kiosk audit verify`, which names the record, and call IT: the audit must be investigated. The kiosk keeps working."
		return l
	}
	if !s.LastCheckOK {
		l.State, l.Detail = StateAmber, "No successful check has been made with this data folder."
		l.Next = "Run `cpis-kiosk selftest` (or, with a card, `selftest --card`) to prove the path end to end."
		return l
	}
	age := f.Now.Sub(s.LastCheck)
	l.Metrics = map[string]float64{"age_seconds": math.Round(age.Seconds())}
	l.Detail = fmt.Sprintf("%s (%s ago).", s.LastCheck.In(f.Now.Location()).Format("2 Jan 15:04"), roundDur(age))
	l.State = StateGreen
	if age > lastCheckAmber {
		l.State = StateAmber
		l.Next = "No check for a week: run `cpis-kiosk selftest` to prove the path still works."
	}
	return l
}

// lockedStoreLines are the database's lines while the kiosk runs: from its
// snapshot when that is fresh, else a plain pointer to its screen. Never a
// wait on the lock.
func lockedStoreLines(f statusFacts) []StatusLine {
	if out := fromSnapshot(f.Store.Snapshot, f.Now, storeLineIDs); len(out) == len(storeLineIDs) {
		return out
	}
	return uniformStore(StateAmber, "The kiosk is running and holds its database: see its status screen (\"IT status\").",
		"Open the IT status screen on the kiosk, or stop the kiosk and run this again.")
}

// uniformStore is every database line saying the same.
func uniformStore(st StatusState, detail, next string) []StatusLine {
	out := make([]StatusLine, len(storeLineIDs))
	for i, id := range storeLineIDs {
		out[i] = newLine(id)
		out[i].State, out[i].Detail, out[i].Next = st, detail, next
	}
	return out
}

func describeStoreErr(err error) string {
	switch {
	case errors.Is(err, store.ErrKeyMissing):
		return "its encryption key is missing."
	case errors.Is(err, store.ErrKeyMismatch):
		return "the key file is not this database's key."
	case errors.Is(err, store.ErrKeyPermissions):
		return "the key file can be read by others."
	case errors.Is(err, store.ErrNoDatabase):
		return "kiosk.db is missing while its key is there. Restore it from the last backup, or start afresh on purpose (cpis-kiosk data start-afresh)."
	case errors.Is(err, store.ErrRolledBack):
		return "it is an older copy put back (cpis-kiosk audit verify says how far). If the restore was meant: cpis-kiosk data accept."
	case errors.Is(err, store.ErrCorrupt):
		return "the file is damaged. Stop the kiosk, move kiosk.db aside and restore the last backup."
	}
	return "it could not be opened."
}
