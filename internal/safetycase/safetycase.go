// Package safetycase reads the kiosk's hazard log (docs/safety/hazards.toml,
// DCB0129 style) and checks it against the code: every risk follows the
// stated matrix, and every test a control names exists in the tree. The
// report that runs those tests is cmd/safety-report beneath it.
package safetycase

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Log is the hazard log.
type Log struct {
	Matrix  Matrix   `toml:"matrix"`
	Hazards []Hazard `toml:"hazard"`
}

// Matrix turns severity and likelihood (1 to 5 each) into risk (1 to 5).
type Matrix struct {
	Severity   []string `toml:"severity"`
	Likelihood []string `toml:"likelihood"`
	RiskNames  []string `toml:"risk"`
	// Table rows are likelihood 1..5, columns severity 1..5.
	Table [][]int `toml:"table"`
}

// Risk is the matrix's risk for a severity and a likelihood; 0 when either
// is out of range.
func (m Matrix) Risk(severity, likelihood int) int {
	if likelihood < 1 || likelihood > len(m.Table) || severity < 1 || severity > len(m.Table[likelihood-1]) {
		return 0
	}
	return m.Table[likelihood-1][severity-1]
}

// Hazard is one entry of the log.
type Hazard struct {
	ID                 string   `toml:"id"`
	Title              string   `toml:"title"`
	Cause              string   `toml:"cause"`
	Effect             string   `toml:"effect"`
	Severity           int      `toml:"severity"`
	Likelihood         int      `toml:"likelihood"`
	Risk               int      `toml:"risk"`
	Design             []string `toml:"design"`
	Tests              []string `toml:"tests"`
	Training           []string `toml:"training"`
	ResidualSeverity   int      `toml:"residual_severity"`
	ResidualLikelihood int      `toml:"residual_likelihood"`
	ResidualRisk       int      `toml:"residual_risk"`
	Status             string   `toml:"status"`
	Reason             string   `toml:"reason"`
}

// Load reads the hazard log, refusing unknown keys so that a misspelt
// field cannot pass for a missing control.
func Load(path string) (Log, error) {
	var l Log
	md, err := toml.DecodeFile(path, &l)
	if err != nil {
		return l, fmt.Errorf("reading hazard log: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return l, fmt.Errorf("reading hazard log: unknown keys %v", und)
	}
	return l, nil
}

// TestRef is a named Go test: the package path within the module and the
// test function.
type TestRef struct {
	Package string // "ui", "app/controller"; "" is the module root
	Name    string // "TestGolden"
}

func (r TestRef) String() string { return r.Package + "." + r.Name }

var testName = regexp.MustCompile(`^Test[A-Za-z0-9_]*$`)

// ParseTest reads "package/path.TestName".
func ParseTest(s string) (TestRef, error) {
	i := strings.LastIndex(s, ".")
	if i <= 0 || !testName.MatchString(s[i+1:]) {
		return TestRef{}, fmt.Errorf("%q is not package/path.TestName", s)
	}
	return TestRef{Package: s[:i], Name: s[i+1:]}, nil
}

// Check returns every way the log falls short, each naming its hazard;
// root is the module's folder, where the named tests are looked for.
func Check(l Log, root string) []error {
	var errs []error
	bad := func(h Hazard, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", h.ID, fmt.Sprintf(format, a...)))
	}
	if len(l.Matrix.Table) != 5 {
		errs = append(errs, errors.New("matrix: the table needs 5 rows (likelihood 1 to 5)"))
	}
	for i, row := range l.Matrix.Table {
		if len(row) != 5 {
			errs = append(errs, fmt.Errorf("matrix: row %d needs 5 columns (severity 1 to 5)", i+1))
		}
	}
	seen := map[string]bool{}
	found := map[string]map[string]bool{}
	for _, h := range l.Hazards {
		if h.ID == "" || seen[h.ID] {
			bad(h, "needs a unique id")
		}
		seen[h.ID] = true
		for field, v := range map[string]string{"title": h.Title, "cause": h.Cause, "effect": h.Effect} {
			if strings.TrimSpace(v) == "" {
				bad(h, "no %s", field)
			}
		}
		if r := l.Matrix.Risk(h.Severity, h.Likelihood); r == 0 || r != h.Risk {
			bad(h, "risk %d, but the matrix gives %d for severity %d, likelihood %d", h.Risk, r, h.Severity, h.Likelihood)
		}
		if r := l.Matrix.Risk(h.ResidualSeverity, h.ResidualLikelihood); r == 0 || r != h.ResidualRisk {
			bad(h, "residual risk %d, but the matrix gives %d for severity %d, likelihood %d",
				h.ResidualRisk, r, h.ResidualSeverity, h.ResidualLikelihood)
		}
		if h.ResidualRisk > h.Risk {
			bad(h, "residual risk %d above the risk %d", h.ResidualRisk, h.Risk)
		}
		if len(h.Design) == 0 {
			bad(h, "no control in design")
		}
		switch h.Status {
		case "closed":
			if len(h.Tests) == 0 {
				bad(h, "closed with no test: name the tests that prove its controls, or mark it open with a reason")
			}
		case "open":
			if !strings.HasPrefix(h.Reason, "open: ") || len(strings.TrimSpace(strings.TrimPrefix(h.Reason, "open: "))) == 0 {
				bad(h, `open without a reason ("open: issue N (...)" or "open: why")`)
			}
		default:
			bad(h, "status %q: closed or open", h.Status)
		}
		for _, s := range h.Tests {
			ref, err := ParseTest(s)
			if err != nil {
				bad(h, "%v", err)
				continue
			}
			if found[ref.Package] == nil {
				found[ref.Package], err = TestsIn(filepath.Join(root, filepath.FromSlash(ref.Package)))
				if err != nil {
					bad(h, "%s: %v", s, err)
					continue
				}
			}
			if !found[ref.Package][ref.Name] {
				bad(h, "names %s, but there is no func %s( in %s's _test.go files", s, ref.Name, packageDir(ref.Package))
			}
		}
	}
	return errs
}

func packageDir(p string) string {
	if p == "" {
		return "the module root"
	}
	return p
}

var funcTest = regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]*)\(`)

// TestsIn lists the test functions declared in a folder's _test.go files.
func TestsIn(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no _test.go files in %s", dir)
	}
	out := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, m := range funcTest.FindAllSubmatch(b, -1) {
			out[string(m[1])] = true
		}
	}
	return out, nil
}

// ByPackage groups every named test by its package, each list sorted and
// without repeats, for one `go test -run` per package.
func (l Log) ByPackage() map[string][]string {
	sets := map[string]map[string]bool{}
	for _, h := range l.Hazards {
		for _, s := range h.Tests {
			ref, err := ParseTest(s)
			if err != nil {
				continue
			}
			if sets[ref.Package] == nil {
				sets[ref.Package] = map[string]bool{}
			}
			sets[ref.Package][ref.Name] = true
		}
	}
	out := map[string][]string{}
	for p, set := range sets {
		for n := range set {
			out[p] = append(out[p], n)
		}
		sort.Strings(out[p])
	}
	return out
}
