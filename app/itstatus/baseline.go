package itstatus

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/nhs-cpis/kiosk/packaging"
)

// Baseline is the environment baseline (the local Warranted Environment
// Specification, WES) a kiosk PC is checked against: packaging/baseline.toml
// documents each item. IT may point the configuration's baseline_file at
// their own copy.
type Baseline struct {
	Name string `toml:"name"`
	OS   struct {
		ID          []string `toml:"id"`
		Version     []string `toml:"version"`
		WarnVersion []string `toml:"warn_version"`
	} `toml:"os"`
	Kernel struct {
		Min string `toml:"min"`
	} `toml:"kernel"`
	Display struct {
		Required bool `toml:"required"`
	} `toml:"display"`
	GL struct {
		Software []string `toml:"software"`
	} `toml:"gl"`
	Screen struct {
		MinWidth  int `toml:"min_width"`
		MinHeight int `toml:"min_height"`
	} `toml:"screen"`
	TLS struct {
		Bundle   []string `toml:"bundle"`
		MinRoots int      `toml:"min_roots"`
	} `toml:"tls"`
	TimeZone struct {
		Allowed []string `toml:"allowed"`
	} `toml:"timezone"`

	// From is where the baseline was read: a file, or "built in".
	From string `toml:"-"`
}

// builtInBaseline is the baseline shipped in packaging/, used when the
// configuration names no other.
const builtInBaseline = "built in"

// LoadBaseline reads the baseline file, or the built-in one when path is
// empty. Unknown keys are refused, as in the configuration, so a typo
// cannot silently drop a check.
func LoadBaseline(path string) (Baseline, error) {
	var b Baseline
	var md toml.MetaData
	var err error
	if path == "" {
		md, err = toml.Decode(string(packaging.Baseline), &b)
		b.From = builtInBaseline
	} else {
		md, err = toml.DecodeFile(path, &b)
		b.From = path
	}
	if err != nil {
		return b, fmt.Errorf("reading the environment baseline %s: %w", b.From, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return b, fmt.Errorf("reading the environment baseline %s: unknown settings %s", b.From, strings.Join(keys, ", "))
	}
	return b, nil
}

// versionAtLeast compares dotted release numbers ("6.18.44-fc" against
// "6.1") by their leading numbers.
func versionAtLeast(have, min string) bool {
	h, m := versionParts(have), versionParts(min)
	for i := range max(len(h), len(m)) {
		var a, b int
		if i < len(h) {
			a = h[i]
		}
		if i < len(m) {
			b = m[i]
		}
		if a != b {
			return a > b
		}
	}
	return true
}

func versionParts(s string) []int {
	var out []int
	for _, p := range strings.Split(s, ".") {
		end := 0
		for end < len(p) && p[end] >= '0' && p[end] <= '9' {
			end++
		}
		if end == 0 {
			break
		}
		n, _ := strconv.Atoi(p[:end])
		out = append(out, n)
		if end < len(p) {
			break
		}
	}
	return out
}
