package app

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kardianos/service"
)

// sysvFiles lists what a System V service install can touch: init.d and
// every rc?.d in full, and the service's pid and output files.
func sysvFiles(t *testing.T, o serviceOptions) []string {
	t.Helper()
	var out []string
	dirs, _ := filepath.Glob(filepath.Join(o.SysVRoot, "rc?.d"))
	for _, d := range append(dirs, filepath.Join(o.SysVRoot, "init.d")) {
		ents, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			out = append(out, filepath.Join(d, e.Name()))
		}
	}
	for _, f := range []string{filepath.Join(o.RunDir, o.Name+".pid"), filepath.Join(o.LogDir, o.Name+".log"), filepath.Join(o.LogDir, o.Name+".err")} {
		if fileExists(f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// The service on this machine (System V: there is no systemd here), under
// a name of its own: install writes the init script and its rc links;
// start runs the service's run-wait (this test binary, as
// TestServiceChild); stop sends SIGTERM, which it handles; uninstall
// leaves the machine exactly as it was, links, pid file and output
// included, which kardianos/service alone does not.
func TestServiceInstallUninstallLeavesNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it writes /etc/init.d")
	}
	if usesSystemd() {
		t.Skip("systemd: the service is a user unit, tested by hand (packaging/README.md)")
	}
	name := fmt.Sprintf("cpis-kiosk-test-%d", os.Getpid())
	marker := filepath.Join(t.TempDir(), "child")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	o := serviceOptions{Name: name, Executable: exe,
		Args: []string{"-test.run=TestServiceChild", "-test.v"},
		Env:  map[string]string{"CPIS_SERVICE_CHILD": marker, "CPIS_SERVICE_NAME": name}}
	o.defaults()
	before := sysvFiles(t, o)
	t.Cleanup(func() {
		// Whatever happened, leave nothing behind.
		svc, err := newService(o, nil)
		if err == nil {
			svc.Stop()
			svc.Uninstall()
		}
		removeSysVLeftovers(o)
	})

	out, err := controlService("install", o)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	t.Log(out)
	installed := sysvFiles(t, o)
	added := diff(installed, before)
	if len(added) != 8 || !slices.Contains(added, "/etc/init.d/"+name) || !slices.Contains(added, "/etc/rc2.d/S50"+name) ||
		!slices.Contains(added, "/etc/rc0.d/K02"+name) {
		t.Fatalf("install added %v", added)
	}
	script, _ := os.ReadFile("/etc/init.d/" + name)
	if !bytes.Contains(script, []byte("export CPIS_SERVICE_CHILD="+marker)) || !bytes.Contains(script, []byte(exe)) {
		t.Fatalf("init script:\n%s", script)
	}
	if _, err := controlService("install", o); err == nil {
		t.Error("installing twice succeeded")
	}
	if out, err := controlService("status", o); err != nil || !strings.Contains(out, "stopped") {
		t.Errorf("status after install: %q %v", out, err)
	}

	if _, err := controlService("start", o); err != nil {
		t.Fatalf("start: %v", err)
	}
	waitFile(t, marker, "running")
	if out, err := controlService("status", o); err != nil || !strings.Contains(out, "running") {
		t.Errorf("status while running: %q %v", out, err)
	}
	if _, err := controlService("stop", o); err != nil {
		t.Fatalf("stop: %v", err)
	}
	waitFile(t, marker, "stopped cleanly")

	// Started again and left running: uninstall stops it first.
	os.Remove(marker)
	if _, err := controlService("start", o); err != nil {
		t.Fatalf("second start: %v", err)
	}
	waitFile(t, marker, "running")
	out, err = controlService("uninstall", o)
	if err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	t.Log(out)
	waitFile(t, marker, "stopped cleanly")
	if after := sysvFiles(t, o); !slices.Equal(after, before) {
		t.Fatalf("uninstall left the machine changed:\nadded %v\nremoved %v", diff(after, before), diff(before, after))
	}
	if _, err := controlService("uninstall", o); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("uninstalling twice: %v", err)
	}
	var so, se bytes.Buffer
	if code := run([]string{"service", "status", "--name", name}, &so, &se); code != 0 || !strings.Contains(so.String(), "not installed") {
		t.Errorf("service status after uninstall: %d %q %q", code, so.String(), se.String())
	}
}

// The links that kardianos/service leaves are removed only when they point
// at this service's script: another service's links stay.
func TestRemoveSysVLeftoversOnlyOurs(t *testing.T) {
	root := t.TempDir()
	o := serviceOptions{Name: "cpis-kiosk", SysVRoot: filepath.Join(root, "etc"), RunDir: filepath.Join(root, "run"), LogDir: filepath.Join(root, "log")}
	o.defaults()
	for _, d := range []string{"etc/init.d", "etc/rc2.d", "etc/rc0.d", "run", "log"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	script := filepath.Join(o.SysVRoot, "init.d", "cpis-kiosk")
	os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)
	other := filepath.Join(o.SysVRoot, "init.d", "cpis-kiosk-other")
	os.WriteFile(other, []byte("#!/bin/sh\n"), 0o755)
	os.Symlink(script, filepath.Join(o.SysVRoot, "rc2.d", "S50cpis-kiosk"))
	os.Symlink("../init.d/cpis-kiosk", filepath.Join(o.SysVRoot, "rc0.d", "K02cpis-kiosk"))
	os.Symlink(other, filepath.Join(o.SysVRoot, "rc2.d", "S50cpis-kiosk-other"))
	os.Symlink(other, filepath.Join(o.SysVRoot, "rc0.d", "K01cpis-kiosk")) // our name, another target
	os.WriteFile(filepath.Join(o.RunDir, "cpis-kiosk.pid"), []byte("1\n"), 0o644)
	os.WriteFile(filepath.Join(o.LogDir, "cpis-kiosk.err"), nil, 0o644)
	n, err := removeSysVLeftovers(o)
	if err != nil || n != 5 {
		t.Fatalf("removed %d, %v", n, err)
	}
	for _, keep := range []string{other, filepath.Join(o.SysVRoot, "rc2.d", "S50cpis-kiosk-other"), filepath.Join(o.SysVRoot, "rc0.d", "K01cpis-kiosk")} {
		if _, err := os.Lstat(keep); err != nil {
			t.Errorf("%s was removed", keep)
		}
	}
}

// The user unit that `service install` writes under systemd is the
// packaged unit with this binary's path and arguments.
func TestUserUnitTemplate(t *testing.T) {
	u := userUnitTemplate([]string{"--config", "/home/kiosk/k.toml"})
	for _, want := range []string{"ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}", "Restart=on-failure",
		"KillSignal=SIGTERM", "WantedBy=graphical-session.target", "ConditionPathExists=/home/kiosk/k.toml", "Description={{Description}}"} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	if strings.Contains(u, "/usr/bin/cpis-kiosk") {
		t.Errorf("unit keeps the packaged path:\n%s", u)
	}
	if strings.Contains(userUnitTemplate(nil), "ConditionPathExists") {
		t.Error("a unit with no configuration still waits for one")
	}
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func waitFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(path); strings.Contains(string(b), want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(path)
	t.Fatalf("%s never said %q (it says %q)", path, want, b)
}

// TestServiceChild is the service's program when the test above starts it
// through the init system: the kardianos/service run-wait, as the kiosk
// runs its window there, until SIGTERM.
func TestServiceChild(t *testing.T) {
	marker := os.Getenv("CPIS_SERVICE_CHILD")
	if marker == "" {
		t.Skip("run by TestServiceInstallUninstallLeavesNothing")
	}
	svc, err := newService(serviceOptions{Name: os.Getenv("CPIS_SERVICE_NAME")}, func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		os.WriteFile(marker, []byte("running\n"), 0o644)
		<-sig
		os.WriteFile(marker, []byte("stopped cleanly\n"), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Run(); err != nil {
		t.Fatal(err)
	}
	_ = service.Interactive()
}
