package itstatus

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/nhs-cpis/kiosk/app/build"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/logging"
)

// The diagnostics bundle is what IT sends to the supplier or the service
// desk: the status, the last logs, the configuration without secrets, and
// the build. It leaves the machine, so it holds no patient details: the
// logs were redacted when written and are redacted again on the way in;
// the database, the key and the sandbox's state never go in.

// bundleLogLimit bounds the logs in a bundle: the current file and as many
// of the newest rotated ones as fit.
const bundleLogLimit = 20 << 20

// bundleDir is where the status screen saves bundles.
func bundleDir(dataDir string) string { return filepath.Join(dataDir, "bundles") }

// bundleName is a new bundle's file name, stamped with the time.
func bundleName(now time.Time) string {
	return "cpis-kiosk-diagnostics-" + now.Format("20060102-150405") + ".zip"
}

// WriteBundle writes the bundle to path, mode 0600, replacing nothing: an
// existing file is an error.
func WriteBundle(path string, st Status, cfg config.Config) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing diagnostics bundle: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing diagnostics bundle: %w", cerr)
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	z := zip.NewWriter(f)
	add := func(name string, b []byte) error {
		w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: st.Checked})
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	var js bytes.Buffer
	if err := st.WriteJSON(&js); err != nil {
		return fmt.Errorf("writing diagnostics bundle: %w", err)
	}
	var txt bytes.Buffer
	st.WriteText(&txt)
	conf, err := redactedConfig(cfg)
	if err != nil {
		return fmt.Errorf("writing diagnostics bundle: %w", err)
	}
	entries := []struct {
		name string
		b    []byte
	}{
		{"README.txt", []byte(bundleReadme)},
		{"status.json", js.Bytes()},
		{"status.txt", txt.Bytes()},
		{"config.toml", conf},
		{"build.txt", buildInfo()},
		{"files.txt", folderListing(cfg.DataDir)},
	}
	for _, e := range entries {
		if err := add(e.name, e.b); err != nil {
			return fmt.Errorf("writing diagnostics bundle: %w", err)
		}
	}
	logs, err := recentLogs(logging.Dir(cfg.DataDir), bundleLogLimit)
	if err != nil {
		return fmt.Errorf("writing diagnostics bundle: %w", err)
	}
	for _, l := range logs {
		if err := add("logs/"+l.name, logging.ScrubLog(l.b)); err != nil {
			return fmt.Errorf("writing diagnostics bundle: %w", err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("writing diagnostics bundle: %w", err)
	}
	return nil
}

const bundleReadme = `CP-IS kiosk diagnostics bundle

status.json   the IT status (keys documented in packaging/README.md)
status.txt    the same, as cpis-kiosk status prints it
config.toml   the configuration in effect, secrets removed
build.txt     version, commit, Go version and module versions
files.txt     the data folder's file names and sizes (never their contents)
logs/         the newest logs, JSON, one entry a line

It holds no patient details: no NHS number, name, date of birth or
passcode is logged, and the logs are scrubbed again as they are added.
The database, its key and the sandbox's certificates are never included.
`

type logFile struct {
	name string
	b    []byte
}

// recentLogs reads the current log and the newest rotated ones (gunzipped)
// until limit bytes.
func recentLogs(dir string, limit int) ([]logFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	type cand struct {
		name string
		mod  time.Time
	}
	var cs []cand
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(n, "kiosk") || !(strings.HasSuffix(n, ".log") || strings.HasSuffix(n, ".log.gz")) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		cs = append(cs, cand{n, info.ModTime()})
	}
	// The current file first, then the rotated ones newest first.
	sort.Slice(cs, func(i, j int) bool {
		if (cs[i].name == logging.FileName) != (cs[j].name == logging.FileName) {
			return cs[i].name == logging.FileName
		}
		return cs[i].mod.After(cs[j].mod)
	})
	var out []logFile
	total := 0
	for _, c := range cs {
		b, err := os.ReadFile(filepath.Join(dir, c.name))
		if err != nil {
			continue
		}
		name := c.name
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				continue
			}
			b, err = io.ReadAll(io.LimitReader(zr, int64(limit)))
			if err != nil {
				continue
			}
			name = strings.TrimSuffix(name, ".gz")
		}
		if total+len(b) > limit {
			if len(out) > 0 {
				break
			}
			b = b[len(b)-limit:] // the newest part of an oversized current file
		}
		total += len(b)
		out = append(out, logFile{name, b})
	}
	return out, nil
}

// secretKey matches configuration keys whose values must not leave the
// machine. The configuration holds none today (the key is a file, and only
// its folder is named); this keeps it so when one is added.
var secretKey = regexp.MustCompile(`(?i)(token|secret|password|passphrase|credential|private|api_?key)`)

// redactedConfig is the configuration in effect as TOML, with the value of
// any secret-looking key replaced.
func redactedConfig(cfg config.Config) ([]byte, error) {
	m, err := config.Tree(cfg)
	if err != nil {
		return nil, err
	}
	scrubSecrets(m)
	var out bytes.Buffer
	out.WriteString("# The configuration in effect (defaults filled in); secrets removed.\n")
	if err := toml.NewEncoder(&out).Encode(m); err != nil {
		return nil, fmt.Errorf("encoding configuration: %w", err)
	}
	return out.Bytes(), nil
}

func scrubSecrets(m map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			scrubSecrets(sub)
			continue
		}
		if secretKey.MatchString(k) {
			m[k] = "[removed]"
		}
	}
}

// buildInfo is the version, the commit and what the binary was built from.
func buildInfo() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "cpis-kiosk %s (commit %s)\n%s %s/%s\n\n", build.Version, build.Commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.WriteString(bi.String())
	} else {
		b.WriteString("no build information in this binary\n")
	}
	return []byte(b.String())
}

// folderListing lists the data folder's files: names, sizes, modes and
// times; never their contents.
func folderListing(dir string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", dir)
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fmt.Fprintf(&b, "  %s: cannot be read\n", p)
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		fmt.Fprintf(&b, "  %-60s %10d  %s  %s\n", rel, info.Size(), info.Mode(), info.ModTime().UTC().Format(time.RFC3339))
		return nil
	})
	return []byte(b.String())
}
