// Package itstatus is what IT sees: every status line (reader, PC/SC,
// identity software, the environment baseline, the Spine link, the checks
// that wait, disk and logs) judged from facts gathered by probes, the
// snapshot a running kiosk writes for the command line, and the
// diagnostics bundle.
package itstatus

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/app/build"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/store"
)

// This file is the IT status model: one list of lines, each green, amber or
// red with a plain next step, that feeds both the kiosk's status screen and
// `cpis-kiosk status [--json]`. The probes that gather the facts are in
// statusprobe.go; here the facts are judged, which keeps the judging
// testable with made-up facts.

// StatusState is how one part of the kiosk stands.
type StatusState string

// The states, worst last.
const (
	StateGreen StatusState = "green" // working
	StateAmber StatusState = "amber" // works, or could not be checked: look at it
	StateRed   StatusState = "red"   // broken: checks cannot be made, or will fail
)

func (s StatusState) rank() int {
	switch s {
	case StateRed:
		return 2
	case StateAmber:
		return 1
	}
	return 0
}

func worst(a, b StatusState) StatusState {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// StatusSchema is the version of the JSON below. It changes only when a key
// is renamed or removed; new keys and new lines may be added within it.
const StatusSchema = 1

// Status is the whole IT status. Its JSON (`cpis-kiosk status --json`) is
// documented in packaging/README.md, "Status JSON"; the keys are stable.
// It holds no patient details: counts, times, names of readers and hosts.
type Status struct {
	Schema  int         `json:"schema"`
	Version string      `json:"version"`
	Commit  string      `json:"commit"`
	Checked time.Time   `json:"checked"`
	Overall StatusState `json:"overall"`
	// Source is who checked: "kiosk" (the running kiosk's own check) or
	// "command" (cpis-kiosk status).
	Source  string       `json:"source"`
	DataDir string       `json:"data_dir"`
	LogDir  string       `json:"log_dir"`
	Lines   []StatusLine `json:"lines"`
}

// StatusLine is one thing IT looks at.
type StatusLine struct {
	// ID is stable ("reader", "spine.pds", "baseline.os"…): scripts match on it.
	ID    string      `json:"id"`
	Title string      `json:"title"`
	State StatusState `json:"state"`
	// Result is the baseline items' verdict: pass, warn, fail or not-checked.
	Result string `json:"result,omitempty"`
	// Detail is what was found, in words.
	Detail string `json:"detail"`
	// Next is what to do, in plain words; empty when green.
	Next string `json:"next,omitempty"`
	// Metrics are the line's figures, by documented names (latency_ms,
	// days_left, skew_seconds, queued…).
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// Line returns the line with the id, and false when there is none.
func (s Status) Line(id string) (StatusLine, bool) {
	for _, l := range s.Lines {
		if l.ID == id {
			return l, true
		}
	}
	return StatusLine{}, false
}

// Thresholds. Each is documented with the line in packaging/README.md.
const (
	// spineSlow: an answer slower than this makes a check (three round
	// trips) take seconds.
	spineSlow = time.Second
	// certWarnDays: a certificate this close to expiry needs renewing now.
	certWarnDays = 30
	// skewAmber and skewRed: the Spine's tokens and audit times go wrong
	// with a clock this far out; beyond skewRed, logins start to fail.
	skewAmber = 30 * time.Second
	skewRed   = 5 * time.Minute
	// diskAmber and diskRed: free space in the data folder. Below diskRed
	// the queue may be unable to record a presentation.
	diskAmber = 1 << 30
	diskRed   = 100 << 20
	// queueRed: a presentation waiting longer than a shift is a child
	// whose alert nobody has seen.
	queueRed = 12 * time.Hour
	// lastCheckAmber: no successful check for this long is worth a look
	// (a selftest proves the path).
	lastCheckAmber = 7 * 24 * time.Hour
	// snapshotFresh: a running kiosk writes its status every 30 seconds; an
	// older snapshot means it is not writing any more.
	snapshotFresh = 2 * time.Minute
)

// statusFacts are what the probes found, before they are judged.
type statusFacts struct {
	Now     time.Time
	DataDir string

	// The smartcard reader as device.Reader sees it, and pcscd's process.
	Readers       device.Status
	WantReader    string // the configuration's reader, if any
	DaemonRunning bool
	DaemonDetail  string

	Identity []identityFound

	Baseline Baseline
	Host     hostFacts

	Spine []endpointFacts

	Store storeFacts

	DiskFree uint64
	DiskErr  error

	LogDir   string
	LogBytes int64
	LogErr   error
}

// hostFacts are the environment baseline's raw facts.
type hostFacts struct {
	OSID, OSVersion, OSPretty string
	OSErr                     error
	Kernel                    string
	KernelErr                 error
	Display                   string
	ScreenW, ScreenH          int
	ScreenErr                 error
	GL                        string
	GLErr                     error
	TZ                        string
	TZErr                     error
	RootsFile                 string
	Roots                     int
	RootsErr                  error
	SpineCA                   string // the configured spine.ca_file, if any
	SpineCAErr                error
}

// endpointFacts is one Spine endpoint's probe.
type endpointFacts struct {
	ID, Title, URL string
	Status         int           // the HTTP status; 0 when there was no answer
	Latency        time.Duration // request to answer
	Err            error         // no answer: refused, timed out, TLS
	Cert           *x509.Certificate
	Date           time.Time // the answer's Date header
	Mid            time.Time // the local time half-way through the request
}

// storeState says how the database could be read.
type storeState int

const (
	storeOpen    storeState = iota // read directly
	storeLocked                    // the running kiosk holds it
	storeMissing                   // no database yet in this data folder
	storeFailed                    // it could not be opened (key, corruption)
)

type storeFacts struct {
	State       storeState
	Err         error
	Counts      store.Counts
	LastCheck   time.Time // the last successful silent check or opened alert
	LastCheckOK bool
	// Snapshot is the running kiosk's last status, when the database is
	// locked; SnapshotErr says why there is none.
	Snapshot    *Status
	SnapshotErr error
}

// judge turns the facts into the status lines, in the order the screen
// lists them.
func judge(f statusFacts) []StatusLine {
	lines := []StatusLine{judgeReader(f), judgePCSC(f), judgeIdentity(f)}
	lines = append(lines, judgeBaseline(f.Baseline, f.Host)...)
	lines = append(lines, judgeSpine(f)...)
	lines = append(lines, judgeStore(f)...)
	lines = append(lines, judgeDisk(f), judgeLogs(f))
	return lines
}

func newStatus(f statusFacts, source string) Status {
	s := Status{Schema: StatusSchema, Version: build.Version, Commit: build.Commit, Checked: f.Now, Source: source,
		DataDir: f.DataDir, LogDir: f.LogDir, Lines: judge(f), Overall: StateGreen}
	for _, l := range s.Lines {
		s.Overall = worst(s.Overall, l.State)
	}
	return s
}

func judgeReader(f statusFacts) StatusLine {
	l := StatusLine{ID: "reader", Title: "Smartcard reader and card"}
	rs := f.Readers
	cards := 0
	var names []string
	matched := f.WantReader == ""
	for _, r := range rs.Readers {
		card := "no card"
		if r.CardPresent {
			card, cards = "card in", cards+1
		}
		names = append(names, r.Name+": "+card)
		if f.WantReader != "" && strings.Contains(r.Name, f.WantReader) {
			matched = true
		}
	}
	l.Metrics = map[string]float64{"readers": float64(len(rs.Readers)), "cards": float64(cards)}
	switch {
	case !rs.ServiceUp:
		l.State, l.Detail = StateRed, "No reader can be seen: the PC/SC service does not answer."
		l.Next = "Start the PC/SC service (see the PC/SC line), then look again."
	case len(rs.Readers) == 0:
		l.State, l.Detail = StateRed, "No smartcard reader is attached."
		l.Next = "Plug the reader in (try another USB port). `cpis-kiosk card readers` lists what the PC sees."
	case !matched:
		l.State, l.Detail = StateRed, fmt.Sprintf("No reader's name holds %q (the configuration's reader). Attached: %s.", f.WantReader, strings.Join(names, "; "))
		l.Next = "Plug in the configured reader, or correct `reader` in the configuration."
	default:
		l.State, l.Detail = StateGreen, strings.Join(names, "; ")
		if cards == 0 {
			l.Detail += ". Insert a smartcard to sign in."
		}
	}
	return l
}

func judgePCSC(f statusFacts) StatusLine {
	l := StatusLine{ID: "pcsc", Title: "PC/SC service"}
	rs := f.Readers
	if rs.ServiceUp {
		l.State, l.Detail = StateGreen, "Answering"
		if f.DaemonDetail != "" {
			l.Detail = "Answering: " + f.DaemonDetail
		}
		if rs.HotPlug {
			l.Detail += "; readers plugged in are noticed at once."
		} else {
			l.Detail += "; the reader list is polled."
		}
		return l
	}
	l.State = StateRed
	l.Detail = "The PC/SC service does not answer"
	if f.DaemonDetail != "" {
		l.Detail += ": " + f.DaemonDetail
	}
	l.Detail += ". Without it no smartcard can be read."
	if strings.Contains(f.DaemonDetail, "SCardSvr") {
		l.Next = "Start the Smart Card service (services.msc, \"Smart Card\"), and set it to start automatically."
	} else {
		l.Next = "Start it: `systemctl start pcscd.socket` (without systemd: `service pcscd start`). Install it with `apt install pcscd` if it is missing."
	}
	return l
}

func judgeIdentity(f statusFacts) StatusLine {
	l := StatusLine{ID: "identity_software", Title: "NHS identity software"}
	if len(f.Identity) == 0 {
		l.State = StateAmber
		l.Detail = "Neither NHS Credential Management (Smartcard Connect) nor NHS Identity Agent was found where they install."
		l.Next = "The kiosk reads the smartcard itself. If local policy puts the NHS identity software on every Spine PC, install NHS Credential Management from the NHS England download site."
		return l
	}
	var parts []string
	for _, s := range f.Identity {
		v := s.Version
		if v == "" {
			v = "version not known"
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", s.Name, v, s.Where))
	}
	l.State, l.Detail = StateGreen, strings.Join(parts, "; ")
	return l
}

// baseline results and their states.
const (
	ResultPass       = "pass"
	ResultWarn       = "warn"
	resultFail       = "fail"
	resultNotChecked = "not-checked"
)

func baselineLine(id, title, result, detail, next string) StatusLine {
	st := StateGreen
	switch result {
	case ResultWarn, resultNotChecked:
		st = StateAmber
	case resultFail:
		st = StateRed
	}
	if result == ResultPass {
		next = ""
	}
	return StatusLine{ID: id, Title: title, State: st, Result: result, Detail: detail, Next: next}
}

func judgeBaseline(b Baseline, h hostFacts) []StatusLine {
	var out []StatusLine
	against := " (baseline: " + b.From + ")"

	// Operating system.
	switch {
	case errors.Is(h.OSErr, errNotChecked):
		out = append(out, baselineLine("baseline.os", "Operating system", resultNotChecked,
			"Not checked on "+h.OSPretty+".", "Check the PC against the baseline by hand."))
	case h.OSErr != nil:
		out = append(out, baselineLine("baseline.os", "Operating system", resultFail,
			"The operating system could not be read.", "Check /etc/os-release exists; the PC may not be a supported build."))
	default:
		res := resultFail
		if contains(b.OS.ID, h.OSID) && contains(b.OS.Version, h.OSVersion) {
			res = ResultPass
		} else if contains(b.OS.ID, h.OSID) && contains(b.OS.WarnVersion, h.OSVersion) {
			res = ResultWarn
		}
		out = append(out, baselineLine("baseline.os", "Operating system", res,
			fmt.Sprintf("%s (%s %s); the baseline wants %s %s%s", nonEmpty(h.OSPretty, h.OSID), h.OSID, h.OSVersion,
				strings.Join(b.OS.ID, "/"), strings.Join(b.OS.Version, "/"), against),
			"Rebuild the PC from the supported image, or agree an exception and record it in the baseline file."))
	}

	// Kernel.
	switch {
	case errors.Is(h.KernelErr, errNotChecked):
		out = append(out, baselineLine("baseline.kernel", "Kernel", resultNotChecked, "Not checked on this system.", ""))
	case h.KernelErr != nil:
		out = append(out, baselineLine("baseline.kernel", "Kernel", resultFail, "The kernel release could not be read.", "Call the desktop team."))
	default:
		res := ResultPass
		if b.Kernel.Min != "" && !versionAtLeast(h.Kernel, b.Kernel.Min) {
			res = ResultWarn
		}
		out = append(out, baselineLine("baseline.kernel", "Kernel", res,
			fmt.Sprintf("%s; the baseline wants %s or newer", h.Kernel, nonEmpty(b.Kernel.Min, "any")),
			"Apply the operating system's updates and restart."))
	}

	// Display and screen size: xdpyinfo answers both.
	switch {
	case h.Display == "":
		res := resultNotChecked
		out = append(out, baselineLine("baseline.display", "Display", res,
			"Not checked: this session has no display (DISPLAY is not set), as over SSH.",
			"Look at the kiosk's own status screen, or run the command in the kiosk user's desktop session."))
	case h.ScreenErr != nil && !errors.Is(h.ScreenErr, errNotChecked):
		res := ResultWarn
		if b.Display.Required {
			res = resultFail
		}
		out = append(out, baselineLine("baseline.display", "Display", res,
			"The display "+h.Display+" does not answer.",
			"Check the kiosk user is logged in to the desktop and the screen is connected."))
	default:
		out = append(out, baselineLine("baseline.display", "Display", ResultPass, "Graphical session on "+h.Display+".", ""))
	}
	noDisplay := "Look at the kiosk's own status screen, or run the command in the kiosk user's desktop session."
	switch {
	case h.Display == "":
		out = append(out, baselineLine("baseline.screen", "Screen size", resultNotChecked, "Not checked: no display in this session.", noDisplay))
	case h.ScreenErr != nil:
		out = append(out, baselineLine("baseline.screen", "Screen size", resultNotChecked,
			"Not checked: xdpyinfo (Debian package x11-utils) is not installed.",
			"Install x11-utils to check it, or check the screen is at least the baseline's size by hand."))
	default:
		res := ResultPass
		if h.ScreenW < b.Screen.MinWidth || h.ScreenH < b.Screen.MinHeight {
			res = resultFail
		}
		l := baselineLine("baseline.screen", "Screen size", res,
			fmt.Sprintf("%dx%d; the baseline wants at least %dx%d", h.ScreenW, h.ScreenH, b.Screen.MinWidth, b.Screen.MinHeight),
			"Use a larger screen or a higher resolution: at this size parts of the alert are cut off.")
		l.Metrics = map[string]float64{"width": float64(h.ScreenW), "height": float64(h.ScreenH)}
		out = append(out, l)
	}

	// GL renderer.
	switch {
	case h.Display == "":
		out = append(out, baselineLine("baseline.gl_renderer", "Graphics (OpenGL) renderer", resultNotChecked,
			"Not checked: no display in this session.", noDisplay))
	case h.GLErr != nil && errors.Is(h.GLErr, errNotChecked):
		out = append(out, baselineLine("baseline.gl_renderer", "Graphics (OpenGL) renderer", resultNotChecked,
			"Not checked: glxinfo (Debian package mesa-utils) is not installed.", "Install mesa-utils to check it."))
	case h.GLErr != nil:
		out = append(out, baselineLine("baseline.gl_renderer", "Graphics (OpenGL) renderer", resultFail,
			"OpenGL does not work on this display.", "Install the graphics driver for this PC; the kiosk window needs OpenGL."))
	default:
		res := ResultPass
		for _, s := range b.GL.Software {
			if strings.Contains(strings.ToLower(h.GL), strings.ToLower(s)) {
				res = ResultWarn
			}
		}
		out = append(out, baselineLine("baseline.gl_renderer", "Graphics (OpenGL) renderer", res, h.GL,
			"This renderer draws in software: it works, slowly. Install the PC's graphics driver."))
	}

	// TLS roots, and the configured Spine CA.
	switch {
	case h.SpineCAErr != nil:
		out = append(out, baselineLine("baseline.tls_roots", "TLS trust (CA certificates)", resultFail,
			"The Spine CA file "+h.SpineCA+" cannot be used.", "Restore the file named by spine.ca_file, or correct the setting."))
	case errors.Is(h.RootsErr, errNotChecked):
		out = append(out, baselineLine("baseline.tls_roots", "TLS trust (CA certificates)", ResultPass, "Uses "+h.RootsFile+".", ""))
	case h.RootsErr != nil:
		out = append(out, baselineLine("baseline.tls_roots", "TLS trust (CA certificates)", resultFail,
			"No CA bundle: "+h.RootsErr.Error()+".", "Install the CA certificates: `apt install ca-certificates`."))
	default:
		res := ResultPass
		if h.Roots < b.TLS.MinRoots {
			res = resultFail
		}
		detail := fmt.Sprintf("%d certificates in %s; the baseline wants at least %d", h.Roots, h.RootsFile, b.TLS.MinRoots)
		if h.SpineCA != "" {
			detail += "; the Spine CA is " + h.SpineCA
		}
		l := baselineLine("baseline.tls_roots", "TLS trust (CA certificates)", res, detail,
			"Reinstall the CA certificates: `apt install --reinstall ca-certificates`.")
		l.Metrics = map[string]float64{"roots": float64(h.Roots)}
		out = append(out, l)
	}

	// Time zone.
	switch {
	case h.TZErr != nil:
		out = append(out, baselineLine("baseline.timezone", "Time zone", resultNotChecked, "The time zone is not set.",
			"Set it: `timedatectl set-timezone Europe/London` (or link /etc/localtime)."))
	default:
		res := ResultPass
		if len(b.TimeZone.Allowed) > 0 && !contains(b.TimeZone.Allowed, h.TZ) {
			res = ResultWarn
		}
		out = append(out, baselineLine("baseline.timezone", "Time zone", res,
			fmt.Sprintf("%s; the baseline wants %s", h.TZ, strings.Join(b.TimeZone.Allowed, " or ")),
			"Set the time zone: `timedatectl set-timezone Europe/London`; screens show times in local time."))
	}
	return out
}

func judgeSpine(f statusFacts) []StatusLine {
	var out []StatusLine
	for _, e := range f.Spine {
		l := StatusLine{ID: e.ID, Title: e.Title}
		switch {
		case e.Err != nil:
			l.State, l.Detail, l.Next = StateRed, "No answer from "+hostOf(e.URL)+": "+describeNetErr(e.Err)+".", nextForNetErr(e.Err)
		case e.Status >= 500 || e.Status == 429:
			l.State = StateAmber
			l.Detail = fmt.Sprintf("Answers from %s in %s, but with an error (HTTP %d).", hostOf(e.URL), durMS(e.Latency), e.Status)
			l.Next = "The service is busy or failing: checks may fail. If it lasts, follow the downtime process and call the NHS national service desk."
		case e.Latency > spineSlow:
			l.State = StateAmber
			l.Detail = fmt.Sprintf("Answers from %s, slowly: %s.", hostOf(e.URL), durMS(e.Latency))
			l.Next = "Checks will be slow. Look at the network between this PC and the Spine (HSCN link, proxy)."
		default:
			l.State = StateGreen
			l.Detail = fmt.Sprintf("Answers from %s in %s.", hostOf(e.URL), durMS(e.Latency))
		}
		if e.Err == nil {
			l.Metrics = map[string]float64{"latency_ms": roundTo(float64(e.Latency)/float64(time.Millisecond), 1), "http_status": float64(e.Status)}
		}
		out = append(out, l)
	}
	return append(out, judgeCert(f), judgeClock(f))
}

func judgeCert(f statusFacts) StatusLine {
	l := StatusLine{ID: "spine.certificate", Title: "Spine TLS certificates"}
	var soonest *x509.Certificate
	var host string
	for _, e := range f.Spine {
		var inv x509.CertificateInvalidError
		if errors.As(e.Err, &inv) && inv.Reason == x509.Expired {
			l.State = StateRed
			l.Detail = "The certificate of " + hostOf(e.URL) + " has expired"
			if inv.Cert != nil {
				l.Detail += " (on " + inv.Cert.NotAfter.UTC().Format("2 Jan 2006") + ")"
			}
			l.Detail += ": the kiosk will not connect to it."
			l.Next = "If the PC's clock is right, the Spine endpoint's certificate must be renewed: call the NHS national service desk. Check the clock line first."
			l.Metrics = map[string]float64{"days_left": 0}
			return l
		}
		if e.Cert != nil && (soonest == nil || e.Cert.NotAfter.Before(soonest.NotAfter)) {
			soonest, host = e.Cert, hostOf(e.URL)
		}
	}
	if soonest == nil {
		l.State, l.Detail = StateAmber, "Not checked: no Spine endpoint answered."
		l.Next = "See the Spine lines above."
		return l
	}
	days := math.Floor(soonest.NotAfter.Sub(f.Now).Hours() / 24)
	l.Metrics = map[string]float64{"days_left": days}
	exp := soonest.NotAfter.UTC().Format("2 Jan 2006")
	switch {
	case days < certWarnDays:
		l.State = StateAmber
		l.Detail = fmt.Sprintf("The certificate of %s expires in %.0f days (%s).", host, days, exp)
		l.Next = "Ask for the certificate to be renewed before it expires: after that the kiosk cannot reach the Spine."
	default:
		l.State = StateGreen
		l.Detail = fmt.Sprintf("Valid; the first to expire is %s's, in %.0f days (%s).", host, days, exp)
	}
	return l
}

func judgeClock(f statusFacts) StatusLine {
	l := StatusLine{ID: "clock", Title: "Clock (against the Spine)"}
	for _, e := range f.Spine {
		if e.Err != nil || e.Date.IsZero() {
			continue
		}
		// The Date header has whole seconds: up to a second of the skew is
		// the header's rounding, and is not counted.
		skew := e.Date.Sub(e.Mid)
		abs := skew
		if abs < 0 {
			abs = -abs
		}
		if abs < time.Second {
			skew, abs = 0, 0
		}
		l.Metrics = map[string]float64{"skew_seconds": math.Round(skew.Seconds())}
		dir := "behind"
		if skew < 0 {
			dir = "ahead of"
		}
		switch {
		case abs > skewRed:
			l.State = StateRed
			l.Detail = fmt.Sprintf("This PC's clock is %s %s %s's.", roundDur(abs), dir, hostOf(e.URL))
			l.Next = "Set the clock right now (enable NTP: `timedatectl set-ntp true`): sign-in and the audit times go wrong."
		case abs > skewAmber:
			l.State = StateAmber
			l.Detail = fmt.Sprintf("This PC's clock is %s %s %s's.", roundDur(abs), dir, hostOf(e.URL))
			l.Next = "Turn on time synchronisation (NTP): `timedatectl set-ntp true`."
		default:
			l.State = StateGreen
			l.Detail = "Within a second or so of " + hostOf(e.URL) + "'s."
			if abs > 0 {
				l.Detail = fmt.Sprintf("%s %s %s's: within limits.", roundDur(abs), dir, hostOf(e.URL))
			}
		}
		return l
	}
	l.State, l.Detail, l.Next = StateAmber, "Not checked: no Spine endpoint answered.", "See the Spine lines above."
	return l
}

// storeLineIDs are the lines read from the database; when the running kiosk
// holds it, they come from its snapshot.
var storeLineIDs = []string{"queue", "dead_letters", "review", "last_check"}

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
	q := StatusLine{ID: "queue", Title: "Offline queue", Metrics: map[string]float64{"queued": float64(c.Queued)}}
	switch {
	case c.Queued == 0:
		q.State, q.Detail = StateGreen, "Empty: every presentation recorded during downtime has been checked."
	default:
		age := f.Now.Sub(c.Oldest)
		q.Metrics["oldest_age_seconds"] = math.Round(age.Seconds())
		q.State = StateAmber
		q.Detail = fmt.Sprintf("%d waiting for the Spine; the oldest for %s.", c.Queued, roundDur(age))
		q.Next = "They are checked by themselves when the Spine is back. Follow the downtime process meanwhile; `cpis-kiosk queue list` shows them."
		if age > queueRed {
			q.State = StateRed
			q.Next = "A child presented over 12 hours ago has not been checked. Follow the downtime process for the queued children now, and call IT about the Spine link."
		}
	}
	if !c.LastReplay.IsZero() {
		q.Detail += " Last replayed " + c.LastReplay.In(f.Now.Location()).Format("2 Jan 15:04") + "."
		q.Metrics["last_replay_age_seconds"] = math.Round(f.Now.Sub(c.LastReplay).Seconds())
	}

	d := StatusLine{ID: "dead_letters", Title: "Dead letters", Metrics: map[string]float64{"dead": float64(c.Dead)}}
	if c.Dead == 0 {
		d.State, d.Detail = StateGreen, "None."
	} else {
		d.State = StateAmber
		d.Detail = plural(c.Dead, "presentation could not be replayed and was", "presentations could not be replayed and were") + " moved aside."
		d.Next = "Each is on the review list: the safeguarding lead traces the child by hand. `cpis-kiosk queue list` shows why."
	}

	r := StatusLine{ID: "review", Title: "Retrospective review list", Metrics: map[string]float64{"open": float64(c.OpenReview)}}
	if c.OpenReview == 0 {
		r.State, r.Detail = StateGreen, "Nothing waits for review."
	} else {
		r.State = StateAmber
		r.Detail = plural(c.OpenReview, "item waits", "items wait") + " for the safeguarding lead's review."
		r.Next = "A safeguarding lead (a role with B0107) works through them and signs each off: \"To review\" on the banner."
	}

	lc := StatusLine{ID: "last_check", Title: "Last successful check"}
	switch {
	case !s.LastCheckOK:
		lc.State, lc.Detail = StateAmber, "No successful check has been made with this data folder."
		lc.Next = "Run `cpis-kiosk selftest` (or, with a card, `selftest --card`) to prove the path end to end."
	default:
		age := f.Now.Sub(s.LastCheck)
		lc.Metrics = map[string]float64{"age_seconds": math.Round(age.Seconds())}
		lc.Detail = fmt.Sprintf("%s (%s ago).", s.LastCheck.In(f.Now.Location()).Format("2 Jan 15:04"), roundDur(age))
		lc.State = StateGreen
		if age > lastCheckAmber {
			lc.State = StateAmber
			lc.Next = "No check for a week: run `cpis-kiosk selftest` to prove the path still works."
		}
	}
	return []StatusLine{q, d, r, lc}
}

// lockedStoreLines are the database's lines while the kiosk runs: from its
// snapshot when that is fresh, else a plain pointer to its screen. Never a
// wait on the lock.
func lockedStoreLines(f statusFacts) []StatusLine {
	s := f.Store
	if snap := s.Snapshot; snap != nil && f.Now.Sub(snap.Checked) <= snapshotFresh {
		age := roundDur(f.Now.Sub(snap.Checked))
		var out []StatusLine
		for _, id := range storeLineIDs {
			l, ok := snap.Line(id)
			if !ok {
				continue
			}
			l.Detail += " (From the running kiosk, " + age + " ago.)"
			out = append(out, l)
		}
		if len(out) == len(storeLineIDs) {
			return out
		}
	}
	return uniformStore(StateAmber, "The kiosk is running and holds its database: see its status screen (\"IT status\").",
		"Open the IT status screen on the kiosk, or stop the kiosk and run this again.")
}

func uniformStore(st StatusState, detail, next string) []StatusLine {
	titles := map[string]string{"queue": "Offline queue", "dead_letters": "Dead letters",
		"review": "Retrospective review list", "last_check": "Last successful check"}
	out := make([]StatusLine, len(storeLineIDs))
	for i, id := range storeLineIDs {
		out[i] = StatusLine{ID: id, Title: titles[id], State: st, Detail: detail, Next: next}
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
	}
	return "it could not be opened."
}

func judgeDisk(f statusFacts) StatusLine {
	l := StatusLine{ID: "disk", Title: "Disk space (data folder)"}
	if f.DiskErr != nil {
		l.State, l.Detail = StateAmber, "Not checked: "+f.DataDir+" cannot be measured."
		l.Next = "Check the data folder exists and the disk is mounted."
		return l
	}
	l.Metrics = map[string]float64{"free_bytes": float64(f.DiskFree)}
	l.Detail = fmt.Sprintf("%s free in %s.", bytesWord(f.DiskFree), f.DataDir)
	switch {
	case f.DiskFree < diskRed:
		l.State = StateRed
		l.Next = "Free space now: the offline queue may be unable to record presentations. Delete old files, or move data_dir to a larger disk."
	case f.DiskFree < diskAmber:
		l.State = StateAmber
		l.Next = "Free some space soon (old diagnostics bundles are in " + filepath.Join(f.DataDir, "bundles") + ")."
	default:
		l.State = StateGreen
	}
	return l
}

func judgeLogs(f statusFacts) StatusLine {
	l := StatusLine{ID: "logs", Title: "Logs"}
	where := fmt.Sprintf("JSON in %s (%s, a new file every %d MB, %d kept, compressed); text on standard error",
		f.LogDir, logging.FileName, logging.MaxMB, logging.MaxBackups)
	switch {
	case f.LogErr != nil:
		l.State, l.Detail = StateAmber, "No log file yet. "+where+"."
		l.Next = "Check the data folder can be written; the kiosk logs there when it runs."
	default:
		l.State, l.Detail = StateGreen, where+fmt.Sprintf("; the current file is %s.", bytesWord(uint64(f.LogBytes)))
		l.Metrics = map[string]float64{"bytes": float64(f.LogBytes)}
	}
	return l
}

// ---- output ----

// WriteJSON writes the status as indented JSON.
func (s Status) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteText writes the status for a person at a terminal.
func (s Status) WriteText(w io.Writer) {
	fmt.Fprintf(w, "CP-IS kiosk status: %s   (version %s, commit %s; checked %s)\n", strings.ToUpper(string(s.Overall)),
		s.Version, s.Commit, s.Checked.Local().Format("2006-01-02 15:04:05"))
	for _, l := range s.Lines {
		fmt.Fprintf(w, "  %-7s %-32s %s\n", marker(l.State), l.Title, l.Detail)
		if l.Next != "" {
			fmt.Fprintf(w, "  %-7s %-32s next: %s\n", "", "", l.Next)
		}
	}
	fmt.Fprintf(w, "Data folder %s; logs in %s.\n", s.DataDir, s.LogDir)
}

func marker(s StatusState) string {
	switch s {
	case StateRed:
		return "[FAULT]"
	case StateAmber:
		return "[CHECK]"
	}
	return "[ OK  ]"
}

// ---- the running kiosk's snapshot ----

// snapshotName is the running kiosk's status in its data folder, rewritten
// every snapshotEvery, read by `cpis-kiosk status` while the kiosk holds
// the database. Mode 0600; it holds no patient details.
const (
	snapshotName  = "status.json"
	snapshotEvery = 30 * time.Second
)

func WriteSnapshot(dataDir string, s Status) error {
	tmp, err := os.CreateTemp(dataDir, ".status-*.json")
	if err != nil {
		return fmt.Errorf("writing status snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		err = s.WriteJSON(tmp)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dataDir, snapshotName))
	}
	if err != nil {
		return fmt.Errorf("writing status snapshot: %w", err)
	}
	return nil
}

func readSnapshot(dataDir string) (*Status, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, snapshotName))
	if err != nil {
		return nil, err
	}
	var s Status
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading status snapshot: %w", err)
	}
	return &s, nil
}

// ---- words ----

// plural is "1 item waits" or "3 items wait".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func nonEmpty(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func durMS(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func roundTo(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// roundDur says a duration the way a person would: "45 s", "12 min",
// "3 h 20 min", "4 days".
func roundDur(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m > 0 {
			return fmt.Sprintf("%d h %d min", h, m)
		}
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func bytesWord(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// LineIDs are the status lines in their documented order
// (packaging/README.md, "Status JSON"). Scripts match on these ids.
var LineIDs = []string{
	"reader", "pcsc", "identity_software",
	"baseline.os", "baseline.kernel", "baseline.display", "baseline.screen", "baseline.gl_renderer",
	"baseline.tls_roots", "baseline.timezone",
	"spine.pds", "spine.cpis", "spine.identity", "spine.certificate", "clock",
	"queue", "dead_letters", "review", "last_check",
	"disk", "logs",
}
