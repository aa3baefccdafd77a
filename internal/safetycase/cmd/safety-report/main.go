// Command safety-report runs every test the hazard log names, one
// `go test -run` per package and none skipped, and writes
// docs/safety/report.md and docs/safety/report.pdf with each control's
// result. It exits 1 when a named test fails or does not run.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/nhs-cpis/kiosk/internal/safetycase"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	if err := run(root); err != nil {
		fmt.Fprintln(os.Stderr, "safety-report:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	l, err := safetycase.Load(filepath.Join(root, "docs", "safety", "hazards.toml"))
	if err != nil {
		return err
	}
	if errs := safetycase.Check(l, root); len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(os.Stderr, "safety-report:", e)
		}
		return fmt.Errorf("the hazard log does not check (%d problems)", len(errs))
	}
	results := map[string]string{} // "pkg.TestName" -> pass, fail, not run
	byPkg := l.ByPackage()
	pkgs := make([]string, 0, len(byPkg))
	for p := range byPkg {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		names := byPkg[p]
		fmt.Fprintf(os.Stderr, "safety-report: %s: %d tests\n", packageArg(p), len(names))
		got, err := goTest(root, p, names)
		if err != nil {
			return err
		}
		for _, n := range names {
			r := got[n]
			if r == "" {
				r = "not run"
			}
			results[p+"."+n] = r
		}
	}
	md, failed := markdown(l, results)
	if err := os.WriteFile(filepath.Join(root, "docs", "safety", "report.md"), []byte(md), 0o644); err != nil {
		return fmt.Errorf("writing report.md: %w", err)
	}
	if err := writePDF(filepath.Join(root, "docs", "safety", "report.pdf"), md); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d named tests failed or did not run: see docs/safety/report.md", failed)
	}
	fmt.Fprintln(os.Stderr, "safety-report: every named test passed; docs/safety/report.md and report.pdf written")
	return nil
}

func packageArg(p string) string {
	if p == "" {
		return "."
	}
	return "./" + p
}

// goTest runs the named tests of one package (-p 1: card tests share one
// pcscd) and reads each top-level test's result from test2json.
func goTest(root, pkg string, names []string) (map[string]string, error) {
	cmd := exec.Command("go", "test", "-count=1", "-p", "1", "-json",
		"-run", "^("+strings.Join(names, "|")+")$", packageArg(pkg))
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	runErr := cmd.Run() // a failing test exits non-zero: read the events anyway
	got := map[string]string{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev struct{ Action, Test string }
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Test == "" || strings.Contains(ev.Test, "/") {
			continue
		}
		switch ev.Action {
		case "pass", "fail":
			got[ev.Test] = ev.Action
		case "skip":
			got[ev.Test] = "skipped"
		}
	}
	if len(got) == 0 && runErr != nil {
		return nil, fmt.Errorf("running %s: %w", packageArg(pkg), runErr)
	}
	return got, nil
}

func markdown(l safetycase.Log, results map[string]string) (string, int) {
	var b strings.Builder
	failed, total := 0, 0
	for _, r := range results {
		total++
		if r != "pass" {
			failed++
		}
	}
	open := 0
	for _, h := range l.Hazards {
		if h.Status == "open" {
			open++
		}
	}
	fmt.Fprintf(&b, "# CP-IS kiosk: hazard log test report\n\n")
	fmt.Fprintf(&b, "Generated %s by `scripts/safety-report` from `docs/safety/hazards.toml`.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "%d hazards (%d closed, %d open); %d named tests run, %d passed, %d failed or not run.\n\n",
		len(l.Hazards), len(l.Hazards)-open, open, total, total-failed, failed)
	fmt.Fprintf(&b, "Risk: severity x likelihood through the matrix in the hazard log (1 acceptable to 5 unacceptable).\n\n")
	fmt.Fprintf(&b, "| id | hazard | risk | residual | status | tests |\n|---|---|---|---|---|---|\n")
	for _, h := range l.Hazards {
		pass := 0
		for _, t := range h.Tests {
			if results[t] == "pass" {
				pass++
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %d/%d pass |\n", h.ID, h.Title, h.Risk, h.ResidualRisk, h.Status, pass, len(h.Tests))
	}
	for _, h := range l.Hazards {
		fmt.Fprintf(&b, "\n## %s %s\n\n", h.ID, h.Title)
		fmt.Fprintf(&b, "- Cause: %s\n- Effect on the child: %s\n", h.Cause, h.Effect)
		fmt.Fprintf(&b, "- Risk %d (severity %d, likelihood %d); residual %d (severity %d, likelihood %d)\n",
			h.Risk, h.Severity, h.Likelihood, h.ResidualRisk, h.ResidualSeverity, h.ResidualLikelihood)
		st := h.Status
		if h.Reason != "" {
			st += " (" + h.Reason + ")"
		}
		fmt.Fprintf(&b, "- Status: %s\n", st)
		for _, d := range h.Design {
			fmt.Fprintf(&b, "- Design: %s\n", d)
		}
		for _, t := range h.Training {
			fmt.Fprintf(&b, "- Training: %s\n", t)
		}
		for _, t := range h.Tests {
			fmt.Fprintf(&b, "- Test `%s`: **%s**\n", t, results[t])
		}
	}
	return b.String(), failed
}

// writePDF sets the Markdown down plainly: headings bold, table rows and
// list items as lines.
func writePDF(path, md string) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 15)
	pdf.AddPage()
	for _, line := range strings.Split(md, "\n") {
		line = strings.ReplaceAll(strings.ReplaceAll(line, "**", ""), "`", "")
		switch {
		case strings.HasPrefix(line, "# "):
			pdf.SetFont("Helvetica", "B", 16)
			pdf.MultiCell(0, 8, tr(line[2:]), "", "L", false)
		case strings.HasPrefix(line, "## "):
			pdf.Ln(2)
			pdf.SetFont("Helvetica", "B", 12)
			pdf.MultiCell(0, 6, tr(line[3:]), "", "L", false)
		case strings.HasPrefix(line, "|---"):
		case strings.HasPrefix(line, "|"):
			pdf.SetFont("Helvetica", "", 8)
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			pdf.MultiCell(0, 4, tr(strings.Join(cells, "  ·  ")), "B", "L", false)
		case line == "":
			pdf.Ln(2)
		default:
			pdf.SetFont("Helvetica", "", 9)
			pdf.MultiCell(0, 4.5, tr(line), "", "L", false)
		}
	}
	if err := pdf.OutputFileAndClose(path); err != nil {
		return fmt.Errorf("writing report.pdf: %w", err)
	}
	return nil
}
