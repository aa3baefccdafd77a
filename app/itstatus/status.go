// Package itstatus is what IT sees: every status line (reader, PC/SC,
// identity software, the environment baseline, the Spine link, the checks
// that wait, disk and logs) judged from facts gathered by probes, the
// snapshot a running kiosk writes for the command line, and the
// diagnostics bundle.
package itstatus

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// This file is the IT status model: one list of lines, each green, amber or
// red with a plain next step, that feeds both the kiosk's status screen and
// `cpis-kiosk status [--json]`. The probes that gather the facts are in
// statusprobe.go; judge.go and the *lines.go files judge them, which keeps
// the judging testable with made-up facts.

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

// overall is the worst state of the lines: green when there are none.
func overall(lines []StatusLine) StatusState {
	st := StateGreen
	for _, l := range lines {
		st = worst(st, l.State)
	}
	return st
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
