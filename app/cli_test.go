package app

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// walk calls fn for every command under root, root included.
func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// Every command has its help line and the shared flags (so `review`
// reads --config as `status` does); the drill's child process and the old
// `run` stay out of the help, and so do the commands the screens do
// instead, which say so.
func TestCommandTree(t *testing.T) {
	root := newRootCmd()
	hidden := map[string]bool{}
	walk(root, func(c *cobra.Command) {
		if c.Short == "" && !c.Hidden {
			t.Errorf("%s has no help text", c.CommandPath())
		}
		for _, name := range []string{"config", "log-level"} {
			if c.Flags().Lookup(name) == nil && c.InheritedFlags().Lookup(name) == nil && c.PersistentFlags().Lookup(name) == nil {
				t.Errorf("%s has no --%s", c.CommandPath(), name)
			}
		}
		if c.Hidden {
			hidden[c.Name()] = true
		}
	})
	if len(hidden) != 4 || !hidden["drill-replay"] || !hidden["run"] || !hidden["sign-off"] || !hidden["record"] {
		t.Errorf("hidden commands: %v", hidden)
	}
}

// Exit codes: 0 ok, 1 failure, 2 usage error; help and completion are
// not errors.
func TestExitCodes(t *testing.T) {
	t.Setenv("CPIS_DATA_DIR", t.TempDir())
	t.Setenv("CPIS_CONFIG", "")
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"--help"}, 0, "Usage:\n  cpis-kiosk [flags]\n  cpis-kiosk [command]", ""},
		{[]string{"help"}, 0, "Available Commands:", ""},
		{[]string{"status", "--help"}, 0, "--bundle FILE.zip", ""},
		{[]string{"version"}, 0, "cpis-kiosk ", ""},
		{[]string{"completion", "bash"}, 0, "bash completion", ""},
		{[]string{"nope"}, 2, "", `cpis-kiosk: unknown command "nope"`},
		{[]string{"queue"}, 2, "", "cpis-kiosk queue: say list or replay"},
		{[]string{"queue", "nope"}, 2, "", `unknown command "nope": say list or replay`},
		{[]string{"status", "--bogus"}, 2, "", "unknown flag: --bogus"},
		// The command line has no more power than the screens.
		{[]string{"readiness", "record", "briefing", "--by", "Anyone"}, 2, "", "recorded on the kiosk's readiness screen by a signed-in lead"},
		{[]string{"review", "sign-off", "1", "--note", "x", "--by", "Anyone"}, 2, "", "whose role has code B0107"},
		{[]string{"audit", "export", "--format", "xml"}, 2, "", `--format "xml": use csv or json`},
		{[]string{"audit", "verify", "--log-level", "loud"}, 2, "", "use debug, info, warn or error"},
		{[]string{"review", "list", "--config", "/nonexistent"}, 1, "", "cpis-kiosk review list: configuration error: reading /nonexistent"},
		{[]string{"staff", "checks", "--config", "/nonexistent"}, 1, "", "reading /nonexistent"},
	} {
		code, out, errOut := cli(t, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, out, errOut)
		}
	}
}
