package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/kardianos/service"

	"github.com/nhs-cpis/kiosk/packaging"
)

// The kiosk as a managed service (kardianos/service).
//
// On Linux with systemd it is a per-user unit in the kiosk user's graphical
// session (packaging/cpis-kiosk.service, restart on failure): the window
// needs the user's display, which a system service does not have. Where
// systemd is not the init system, kardianos/service offers System V init:
// a script in /etc/init.d and links in /etc/rc?.d, which run the kiosk as
// root on the display named at install. kardianos/service removes only the
// script on uninstall; uninstall here removes the links, the pid file and
// the script's output files too, so nothing is left behind.
//
// On Windows a service runs in session 0 and cannot draw on the desktop
// (kardianos/service issues 81 and 326): the window starts at logon
// instead (packaging/README.md), and the kiosk refuses to run its window as
// a Windows service.

// DefaultServiceName is the service's name: the unit cpis-kiosk.service,
// or the script /etc/init.d/cpis-kiosk.
const DefaultServiceName = "cpis-kiosk"

// serviceOptions say which service to act on and how to install it. Every
// path is a field so that a test can install under a name of its own.
type serviceOptions struct {
	Name       string
	Executable string   // default: this binary
	Args       []string // the kiosk's arguments in the service
	Env        map[string]string
	// SysVRoot is the folder holding init.d and rc?.d ("/etc"), where
	// kardianos/service writes the System V script and its links (its
	// paths are fixed; this names them for the clean-up and its tests).
	SysVRoot string
	// RunDir and LogDir are where the System V script keeps its pid file
	// and its output (kardianos/service's defaults).
	RunDir, LogDir string
}

func (o *serviceOptions) defaults() {
	if o.Name == "" {
		o.Name = DefaultServiceName
	}
	if o.SysVRoot == "" {
		o.SysVRoot = "/etc"
	}
	if o.RunDir == "" {
		o.RunDir = "/var/run"
	}
	if o.LogDir == "" {
		o.LogDir = "/var/log"
	}
}

// errNotInteractive is why the kiosk window refuses to run as a Windows
// service: a service runs in session 0 and cannot draw on the desktop.
var errNotInteractive = errors.New("the kiosk window cannot run as a Windows service (session 0 has no desktop): start it at logon instead, see packaging/README.md")

// serviceProgram is kardianos/service's Interface. Start and Stop do
// nothing: the kiosk's lifecycle is the window's (runWindow), which runs in
// the run-wait on the main goroutine, as Fyne needs, and stops when the
// command line's context is cancelled by SIGTERM.
type serviceProgram struct{}

func (serviceProgram) Start(s service.Service) error {
	if runtime.GOOS == "windows" && !service.Interactive() {
		return errNotInteractive
	}
	return nil
}

func (serviceProgram) Stop(service.Service) error { return nil }

// usesSystemd reports whether kardianos/service chose systemd here.
func usesSystemd() bool {
	s := service.ChosenSystem()
	return s != nil && s.String() == "linux-systemd"
}

// newService builds the service. run, when set, is the run-wait: it runs
// on the calling goroutine inside Service.Run.
func newService(o serviceOptions, run func()) (service.Service, error) {
	o.defaults()
	cfg := &service.Config{
		Name:        o.Name,
		DisplayName: "CP-IS Child Care Alert kiosk",
		Description: "The CP-IS Child Care Alert check for unscheduled care.",
		Executable:  o.Executable,
		Arguments:   o.Args,
		EnvVars:     o.Env,
		Option:      service.KeyValue{"Restart": "on-failure"},
	}
	if usesSystemd() {
		cfg.Option["UserService"] = true
		cfg.Option["SystemdScript"] = userUnitTemplate(o.Args)
	}
	if run != nil {
		cfg.Option["RunWait"] = run
	}
	return service.New(serviceProgram{}, cfg)
}

// userUnitTemplate is packaging/cpis-kiosk.service as a kardianos/service
// template: the same unit, with this binary's path and arguments in
// ExecStart and the configuration it names in ConditionPathExists.
func userUnitTemplate(args []string) string {
	var out []string
	for _, line := range strings.Split(packaging.UserUnit, "\n") {
		switch {
		case strings.HasPrefix(line, "ExecStart="):
			line = "ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}"
		case strings.HasPrefix(line, "ConditionPathExists="):
			if cfg := argValue(args, "--config"); cfg != "" {
				line = "ConditionPathExists=" + cfg
			} else {
				continue
			}
		case strings.HasPrefix(line, "Description="):
			line = "Description={{Description}}"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func argValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// runManaged runs the kiosk window inside the service's run-wait. Run from
// a terminal it behaves exactly as the window alone; under the service
// manager, the manager's SIGTERM cancels ctx, which closes the window.
func (p *Program) runManaged(ctx context.Context) error {
	var werr error
	svc, err := newService(serviceOptions{}, func() { werr = p.runWindow(ctx) })
	if err != nil {
		return fmt.Errorf("preparing the service: %w", err)
	}
	if err := svc.Run(); err != nil {
		return err
	}
	return werr
}

// installArgs are the service's arguments and environment: the
// configuration by absolute path (the default, for a systemd user unit,
// is ~/.config/cpis-kiosk/kiosk.toml); for System V, the display, and the
// data folder when CPIS_DATA_DIR is set at install.
func installArgs(config, display string) ([]string, map[string]string) {
	var args []string
	env := map[string]string{}
	switch {
	case config != "":
		if abs, err := filepath.Abs(config); err == nil {
			config = abs
		}
		args = []string{"--config", config}
	case usesSystemd():
		args = []string{"--config", "%h/.config/cpis-kiosk/kiosk.toml"}
	}
	if !usesSystemd() {
		env["DISPLAY"] = display
		env["LANG"] = "en_US.UTF-8"
		if d := os.Getenv("CPIS_DATA_DIR"); d != "" {
			env["CPIS_DATA_DIR"] = d
		}
	}
	return args, env
}

// controlService does one action and says what it did.
func controlService(action string, o serviceOptions) (string, error) {
	o.defaults()
	if !validServiceName.MatchString(o.Name) {
		return "", fmt.Errorf("the name %q may hold only letters, digits, '.', '_' and '-'", o.Name)
	}
	svc, err := newService(o, nil)
	if err != nil {
		return "", err
	}
	platform := svc.Platform()
	switch action {
	case "install":
		if !usesSystemd() && os.Geteuid() != 0 {
			return "", errors.New("installing a System V service needs root (this system has no systemd user services)")
		}
		if err := svc.Install(); err != nil {
			return "", err
		}
		where := "a System V script, " + sysvScript(o) + ", with links in " + filepath.Join(o.SysVRoot, "rc?.d")
		if d := o.Env["DISPLAY"]; d != "" {
			where += "; the kiosk runs as root on display " + d
		}
		if usesSystemd() {
			where = "a systemd user unit (~/.config/systemd/user/" + o.Name + ".service); start it with `cpis-kiosk service start`"
		}
		return fmt.Sprintf("installed %s on %s: %s", o.Name, platform, where), nil
	case "uninstall":
		return uninstallService(svc, o)
	case "start", "stop":
		if !usesSystemd() && !fileExists(sysvScript(o)) {
			return "", fmt.Errorf("%s is not installed", o.Name)
		}
		if action == "start" {
			err = svc.Start()
		} else {
			err = svc.Stop()
		}
		if err != nil {
			return "", err
		}
		return o.Name + ": " + map[string]string{"start": "started", "stop": "stopped"}[action], nil
	case "status":
		return serviceStatus(svc, o)
	}
	return "", fmt.Errorf("unknown action %q: say install, uninstall, start, stop or status", action)
}

var validServiceName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func serviceStatus(svc service.Service, o serviceOptions) (string, error) {
	if !usesSystemd() && !fileExists(sysvScript(o)) {
		return o.Name + ": not installed", nil
	}
	st, err := svc.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		return o.Name + ": not installed", nil
	case err != nil && st == service.StatusUnknown && !usesSystemd():
		// The System V script's status exits 1 when the kiosk is stopped.
		return o.Name + ": stopped (" + svc.Platform() + ")", nil
	case err != nil:
		return "", err
	case st == service.StatusRunning:
		return o.Name + ": running (" + svc.Platform() + ")", nil
	}
	return o.Name + ": stopped (" + svc.Platform() + ")", nil
}

// uninstallService stops the kiosk if it runs, removes the service, and on
// System V removes what kardianos/service leaves: the rc?.d links, the pid
// file and the script's output files.
func uninstallService(svc service.Service, o serviceOptions) (string, error) {
	if st, err := svc.Status(); err == nil && st == service.StatusRunning {
		if err := svc.Stop(); err != nil {
			return "", fmt.Errorf("stopping before uninstall: %w", err)
		}
	}
	uerr := svc.Uninstall()
	if usesSystemd() {
		if uerr != nil {
			return "", uerr
		}
		return "uninstalled " + o.Name, nil
	}
	removed, err := removeSysVLeftovers(o)
	if err != nil {
		return "", err
	}
	if uerr != nil && removed == 0 {
		if errors.Is(uerr, os.ErrNotExist) {
			return "", fmt.Errorf("%s is not installed", o.Name)
		}
		return "", uerr
	}
	return fmt.Sprintf("uninstalled %s (and %d links and files kardianos/service leaves behind)", o.Name, removed), nil
}

func sysvScript(o serviceOptions) string { return filepath.Join(o.SysVRoot, "init.d", o.Name) }

// removeSysVLeftovers removes the rc?.d links to this service's script
// (only links that point at it, whatever their S/K number), the pid file
// and the output files, and returns how many it removed.
func removeSysVLeftovers(o serviceOptions) (int, error) {
	script := sysvScript(o)
	link := regexp.MustCompile(`^[SK][0-9]{2}` + regexp.QuoteMeta(o.Name) + `$`)
	dirs, _ := filepath.Glob(filepath.Join(o.SysVRoot, "rc?.d"))
	n := 0
	var errs []error
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !link.MatchString(e.Name()) || e.Type()&os.ModeSymlink == 0 {
				continue
			}
			p := filepath.Join(d, e.Name())
			t, err := os.Readlink(p)
			if err != nil {
				continue
			}
			if !filepath.IsAbs(t) {
				t = filepath.Join(d, t)
			}
			if filepath.Clean(t) != script {
				continue
			}
			if err := os.Remove(p); err != nil {
				errs = append(errs, err)
				continue
			}
			n++
		}
	}
	for _, f := range []string{filepath.Join(o.RunDir, o.Name+".pid"), filepath.Join(o.LogDir, o.Name+".log"), filepath.Join(o.LogDir, o.Name+".err")} {
		if err := os.Remove(f); err == nil {
			n++
		} else if !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	// The script itself, should kardianos/service have left it.
	if err := os.Remove(script); err == nil {
		n++
	}
	return n, errors.Join(errs...)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
