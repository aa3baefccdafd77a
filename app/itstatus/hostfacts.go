package itstatus

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// errNotChecked means a fact could not be looked at here: the tool that
// reads it is not installed, or there is no display in this session. It is
// said as "not checked", never taken for a failure.
var errNotChecked = errors.New("not checked")

// host reads facts about the machine for the status. Its fields let tests
// point it at a made-up file tree and fake commands.
type host struct {
	root   string // prefix for the files it reads; "" is the real root
	getenv func(string) string
	// run runs a command and returns its standard output; a command that is
	// not installed is errNotChecked.
	run  func(ctx context.Context, name string, args ...string) (string, error)
	goos string
}

func realHost() host {
	return host{getenv: os.Getenv, run: runCommand, goos: runtime.GOOS}
}

// commandTimeout bounds each helper program (glxinfo, xdpyinfo, dpkg-query):
// a wedged X server must not hold up the status.
const commandTimeout = 3 * time.Second

func runCommand(ctx context.Context, name string, args ...string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is not installed: %w", name, errNotChecked)
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout = &out
	err = cmd.Run()
	return out.String(), err
}

func (h host) file(p string) string { return filepath.Join(h.root, p) }

func (h host) read(p string) (string, error) {
	b, err := os.ReadFile(h.file(p))
	return string(b), err
}

// osRelease reads /etc/os-release (freedesktop.org os-release(5)).
func (h host) osRelease() (id, version, pretty string, err error) {
	if h.goos != "linux" {
		return h.goos, "", h.goos, errNotChecked
	}
	s, err := h.read("/etc/os-release")
	if err != nil {
		s, err = h.read("/usr/lib/os-release")
	}
	if err != nil {
		return "", "", "", fmt.Errorf("reading os-release: %w", err)
	}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			id = v
		case "VERSION_ID":
			version = v
		case "PRETTY_NAME":
			pretty = v
		}
	}
	return id, version, pretty, nil
}

func (h host) kernel() (string, error) {
	if h.goos != "linux" {
		return "", errNotChecked
	}
	s, err := h.read("/proc/sys/kernel/osrelease")
	if err != nil {
		return "", fmt.Errorf("reading the kernel release: %w", err)
	}
	return strings.TrimSpace(s), nil
}

// display is the graphical session this process would draw on.
func (h host) display() string {
	if h.goos == "windows" || h.goos == "darwin" {
		return "desktop"
	}
	if d := h.getenv("WAYLAND_DISPLAY"); d != "" {
		return "wayland " + d
	}
	return h.getenv("DISPLAY")
}

var dimensions = regexp.MustCompile(`dimensions:\s+(\d+)x(\d+) pixels`)

// screen asks the X server its size (xdpyinfo, Debian package x11-utils).
// An error that is not errNotChecked means the display did not answer.
func (h host) screen(ctx context.Context) (w, ht int, err error) {
	if h.getenv("DISPLAY") == "" {
		return 0, 0, errNotChecked
	}
	out, err := h.run(ctx, "xdpyinfo")
	if err != nil {
		if errors.Is(err, errNotChecked) {
			return 0, 0, err
		}
		return 0, 0, fmt.Errorf("the display does not answer: %w", err)
	}
	m := dimensions.FindStringSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("xdpyinfo gave no screen size: %w", errNotChecked)
	}
	w, _ = strconv.Atoi(m[1])
	ht, _ = strconv.Atoi(m[2])
	return w, ht, nil
}

var glRenderer = regexp.MustCompile(`(?m)^\s*OpenGL renderer string:\s*(.+)$`)

// glRenderer asks the GL driver its name (glxinfo, Debian package
// mesa-utils).
func (h host) glRenderer(ctx context.Context) (string, error) {
	if h.getenv("DISPLAY") == "" {
		return "", errNotChecked
	}
	out, err := h.run(ctx, "glxinfo", "-B")
	if err != nil {
		if errors.Is(err, errNotChecked) {
			return "", err
		}
		return "", fmt.Errorf("glxinfo failed: %w", err)
	}
	m := glRenderer.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("glxinfo named no renderer: %w", errNotChecked)
	}
	return strings.TrimSpace(m[1]), nil
}

// timeZone is the zone's IANA name: TZ, else /etc/timezone, else the
// target of /etc/localtime.
func (h host) timeZone() (string, error) {
	if tz := strings.TrimPrefix(h.getenv("TZ"), ":"); tz != "" {
		return tz, nil
	}
	if h.goos != "linux" {
		return time.Local.String(), nil
	}
	if s, err := h.read("/etc/timezone"); err == nil && strings.TrimSpace(s) != "" {
		return strings.TrimSpace(s), nil
	}
	if t, err := os.Readlink(h.file("/etc/localtime")); err == nil {
		if _, zone, ok := strings.Cut(t, "zoneinfo/"); ok {
			return zone, nil
		}
	}
	return "", fmt.Errorf("the time zone is not set: %w", errNotChecked)
}

// tlsRoots counts the certificates in the first CA bundle that exists.
func (h host) tlsRoots(files []string) (file string, n int, err error) {
	if h.goos == "windows" || h.goos == "darwin" {
		return "the system's certificate store", 0, errNotChecked
	}
	for _, f := range files {
		b, err := os.ReadFile(h.file(f))
		if err != nil {
			continue
		}
		return f, countPEM(b), nil
	}
	return "", 0, fmt.Errorf("no CA bundle at %s", strings.Join(files, ", "))
}

func countPEM(b []byte) int {
	n := 0
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return n
		}
		if blk.Type == "CERTIFICATE" {
			n++
		}
	}
}

// pcscd says whether the PC/SC daemon's process is alive, from its pid
// file, for the PC/SC line's detail. Whether it answers is the reader's
// business (device.Status.ServiceUp).
func (h host) pcscd() (running bool, detail string) {
	switch h.goos {
	case "windows":
		return false, "the Smart Card service (SCardSvr)"
	case "linux":
	default:
		return false, "the PC/SC service"
	}
	pid, err := h.read("/run/pcscd/pcscd.pid")
	if err != nil {
		if _, serr := os.Stat(h.file("/run/pcscd/pcscd.comm")); serr == nil {
			return false, "pcscd (socket present, no pid file: socket activation)"
		}
		return false, "pcscd is not running"
	}
	pid = strings.TrimSpace(strings.TrimRight(pid, "\x00")) // pcscd ends it with a NUL
	if _, err := os.Stat(h.file("/proc/" + pid)); err != nil {
		return false, "pcscd is not running (its pid file, " + pid + ", is left from an earlier run)"
	}
	return true, "pcscd is running (pid " + pid + ")"
}

// identityProduct is one of the NHS's smartcard identity programs and the
// places it installs.
type identityProduct struct {
	name     string
	packages []string // Debian package names
	dirs     []string // install folders (Windows paths use %ProgramFiles% and %ProgramFiles(x86)%)
}

// identityProducts are the NHS identity programs and where they install:
// NHS Identity Agent (legacy, under HSCIC or NHS Digital), NHS Credential
// Management 3.x with NHS Smartcard Connect (digital.nhs.uk, "NHS Smartcard
// Connect"), and the open-source Linux identity agent from the NHSbuntu
// project.
var identityProducts = []identityProduct{
	{name: "NHS Credential Management (Smartcard Connect)",
		packages: []string{"nhs-credential-management", "nhs-smartcard-connect"},
		dirs: []string{"/opt/nhs/credential-management", "/opt/nhs/smartcard-connect", "/opt/NHS/SmartcardConnect",
			`%ProgramFiles%\NHS England\NHS Credential Management`, `%ProgramFiles%\NHS Digital\NHS Credential Management`,
			`%ProgramFiles(x86)%\NHS Digital\NHS Credential Management`, `%ProgramFiles%\NHS Digital\NHS Smartcard Connect`}},
	{name: "NHS Identity Agent",
		packages: []string{"nhs-identity-agent", "identityagent"},
		dirs: []string{"/opt/nhs/identity-agent", "/opt/nhs-identity-agent", "/usr/lib/nhs-identity-agent", "/usr/share/nhs-identity-agent",
			`%ProgramFiles(x86)%\HSCIC\Identity Agent`, `%ProgramFiles%\HSCIC\Identity Agent`,
			`%ProgramFiles(x86)%\NHS Digital\Identity Agent`, `%ProgramFiles%\NHS Digital\Identity Agent`}},
}

// identityFound is an NHS identity program found on this machine.
type identityFound struct {
	Name, Where, Version string
}

// identitySoftware looks for the NHS identity programs where they install:
// Debian packages, then install folders (with a VERSION or version.txt in
// them, where there is one).
func (h host) identitySoftware(ctx context.Context) []identityFound {
	var found []identityFound
	for _, p := range identityProducts {
		if f, ok := h.findIdentity(ctx, p); ok {
			found = append(found, f)
		}
	}
	return found
}

func (h host) findIdentity(ctx context.Context, p identityProduct) (identityFound, bool) {
	if h.goos == "linux" {
		for _, pkg := range p.packages {
			out, err := h.run(ctx, "dpkg-query", "-W", "-f=${Status}|${Version}", pkg)
			if st, ver, ok := strings.Cut(strings.TrimSpace(out), "|"); err == nil && ok && strings.HasSuffix(st, " installed") {
				return identityFound{Name: p.name, Where: "Debian package " + pkg, Version: ver}, true
			}
		}
	}
	for _, d := range p.dirs {
		win := strings.Contains(d, `\`)
		if win != (h.goos == "windows") {
			continue
		}
		dir := d
		if win {
			dir = strings.NewReplacer("%ProgramFiles%", h.getenv("ProgramFiles"),
				"%ProgramFiles(x86)%", h.getenv("ProgramFiles(x86)")).Replace(d)
		} else {
			dir = h.file(d)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		f := identityFound{Name: p.name, Where: d}
		for _, vf := range []string{"VERSION", "version.txt", "Version.txt"} {
			if b, err := os.ReadFile(filepath.Join(dir, vf)); err == nil {
				f.Version = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
				break
			}
		}
		return f, true
	}
	return identityFound{}, false
}
