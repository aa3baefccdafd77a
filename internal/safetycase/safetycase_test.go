package safetycase

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The module's root, from this package's folder.
const root = "../.."

// TestHazardLogNamesRealTests: every hazard's risk follows the matrix,
// every named test exists, and every hazard without a test is open with a
// reason (DCB0129: each control is evidenced).
func TestHazardLogNamesRealTests(t *testing.T) {
	l, err := Load(filepath.Join(root, "docs", "safety", "hazards.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Hazards) == 0 {
		t.Fatal("the hazard log is empty")
	}
	for _, err := range Check(l, root) {
		t.Error(err)
	}
}

// TestHazardLogCoversTheIssue: the paths a review named must each have a
// hazard, found by its title.
func TestHazardLogCoversTheIssue(t *testing.T) {
	l, err := Load(filepath.Join(root, "docs", "safety", "hazards.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var titles strings.Builder
	for _, h := range l.Hazards {
		titles.WriteString(strings.ToLower(h.Title) + "\n")
	}
	for _, want := range []string{"down", "category", "two local authorities", "b0107", "visibility", "superseded",
		"scanned on a result screen", "last patient", "idles", "scan presses", "demographic match", "timeout",
		"scheduled-care", "no care setting", "logs", "unattended screen", "diagnostics bundle", "on disk", "utc",
		"wrong patient", "start-up", "disk fills", "due date", "referral"} {
		if !strings.Contains(titles.String(), want) {
			t.Errorf("no hazard's title mentions %q", want)
		}
	}
}

// TestCheckCatchesAMissingTest: the checker itself fails a log that names a
// test that is not there, a closed hazard with none, a wrong risk and an
// open hazard without a reason.
func TestCheckCatchesAMissingTest(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "pkg"), 0o755)
	os.WriteFile(filepath.Join(dir, "pkg", "a_test.go"), []byte("package pkg\n\nfunc TestThere(t *testing.T) {}\n"), 0o644)
	m := Matrix{Table: [][]int{{1, 1, 2, 2, 3}, {1, 2, 2, 3, 4}, {2, 2, 3, 3, 4}, {2, 3, 3, 4, 5}, {3, 4, 4, 5, 5}}}
	ok := Hazard{ID: "H1", Title: "t", Cause: "c", Effect: "e", Severity: 4, Likelihood: 4, Risk: 4, Design: []string{"d"},
		Tests: []string{"pkg.TestThere"}, ResidualSeverity: 4, ResidualLikelihood: 1, ResidualRisk: 2, Status: "closed"}
	if errs := Check(Log{Matrix: m, Hazards: []Hazard{ok}}, dir); len(errs) != 0 {
		t.Fatalf("a good log: %v", errs)
	}
	for name, change := range map[string]func(*Hazard){
		"missing test":     func(h *Hazard) { h.Tests = []string{"pkg.TestNotThere"} },
		"missing package":  func(h *Hazard) { h.Tests = []string{"nopkg.TestThere"} },
		"closed, no tests": func(h *Hazard) { h.Tests = nil },
		"wrong risk":       func(h *Hazard) { h.Risk = 2 },
		"wrong residual":   func(h *Hazard) { h.ResidualRisk = 4 },
		"open, no reason":  func(h *Hazard) { h.Tests = nil; h.Status = "open" },
		"bad status":       func(h *Hazard) { h.Status = "done" },
		"not a test name":  func(h *Hazard) { h.Tests = []string{"pkg.There"} },
	} {
		h := ok
		change(&h)
		if errs := Check(Log{Matrix: m, Hazards: []Hazard{h}}, dir); len(errs) == 0 {
			t.Errorf("%s: passed", name)
		}
	}
	open := ok
	open.Tests, open.Status, open.Reason = nil, "open", "open: issue 12"
	if errs := Check(Log{Matrix: m, Hazards: []Hazard{open}}, dir); len(errs) != 0 {
		t.Errorf("open with a reason and no test: %v", errs)
	}
}
