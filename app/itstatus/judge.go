package itstatus

import (
	"github.com/nhs-cpis/kiosk/app/build"
)

// lineJudge makes status lines from the facts: most judge one line; the
// Spine's endpoints and the database's lines are each judged together.
type lineJudge struct {
	ids   []string // the lines it makes, in order
	judge func(statusFacts) []StatusLine
}

// one is the judge of a single line: judge is handed the line with its id
// and title, and fills in the rest.
func one(id string, judge func(l StatusLine, f statusFacts) StatusLine) lineJudge {
	return lineJudge{ids: []string{id}, judge: func(f statusFacts) []StatusLine {
		return []StatusLine{judge(newLine(id), f)}
	}}
}

// judges are the status lines in the order the screen lists them, each
// with the judge that makes it.
var judges = []lineJudge{
	one("reader", judgeReader),
	one("pcsc", judgePCSC),
	one("identity_software", judgeIdentity),
	one("baseline.os", judgeOS),
	one("baseline.kernel", judgeKernel),
	one("baseline.display", judgeDisplay),
	one("baseline.screen", judgeScreen),
	one("baseline.gl_renderer", judgeGL),
	one("baseline.tls_roots", judgeTLSRoots),
	one("baseline.timezone", judgeTimeZone),
	{ids: endpointLineIDs, judge: judgeEndpoints},
	one("spine.certificate", judgeCert),
	one("clock", judgeClock),
	{ids: storeLineIDs, judge: judgeStore},
	one("disk", judgeDisk),
	one("logs", judgeLogs),
}

// LineIDs are the status lines in their documented order
// (packaging/README.md, "Status JSON"): the judges' order. Scripts match on
// these ids.
var LineIDs = func() []string {
	var ids []string
	for _, j := range judges {
		ids = append(ids, j.ids...)
	}
	return ids
}()

// titles are the lines' titles, by id.
var titles = map[string]string{
	"reader":               "Smartcard reader and card",
	"pcsc":                 "PC/SC service",
	"identity_software":    "NHS identity software",
	"baseline.os":          "Operating system",
	"baseline.kernel":      "Kernel",
	"baseline.display":     "Display",
	"baseline.screen":      "Screen size",
	"baseline.gl_renderer": "Graphics (OpenGL) renderer",
	"baseline.tls_roots":   "TLS trust (CA certificates)",
	"baseline.timezone":    "Time zone",
	"spine.pds":            "Spine: PDS (patient trace)",
	"spine.cpis":           "Spine: CP-IS (Child Care Alerts)",
	"spine.fgm":            "Spine: FGM-IS (FGM indicator)",
	"spine.identity":       "NHS CIS2 sign-in",
	"spine.token":          "API platform: token exchange",
	"spine.certificate":    "Spine TLS certificates",
	"clock":                "Clock (against the Spine)",
	"queue":                "Offline queue",
	"dead_letters":         "Dead letters",
	"review":               "Retrospective review list",
	"last_check":           "Last successful check",
	"fgm_last":             "Last FGM-IS query",
	"disk":                 "Disk space (data folder)",
	"logs":                 "Logs",
}

// newLine is the line with the id and its title, not yet judged.
func newLine(id string) StatusLine {
	return StatusLine{ID: id, Title: titles[id]}
}

// judge turns the facts into the status lines, in the order the screen
// lists them.
func judge(f statusFacts) []StatusLine {
	var lines []StatusLine
	for _, j := range judges {
		lines = append(lines, j.judge(f)...)
	}
	return lines
}

func newStatus(f statusFacts, source string) Status {
	lines := judge(f)
	return Status{Schema: StatusSchema, Version: build.Version, Commit: build.Commit, Checked: f.Now, Source: source,
		DataDir: f.DataDir, LogDir: f.LogDir, Lines: lines, Overall: overall(lines)}
}
