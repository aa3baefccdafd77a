// Package app wires the kiosk together: configuration, lifecycle, the check
// use case, the window's controller and the command line.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/build"
	"github.com/nhs-cpis/kiosk/store"
)

// The command line: one binary, `cpis-kiosk`, with a command per family
// in a file of its own (cmd_*.go). This file holds the root, the flags
// every command shares, and how an outcome becomes an exit code.

// Exit codes, the same for every command.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed, or found something red
	exitUsage   = 2 // the command line itself was wrong
)

// Main runs the command line and returns the exit code.
func Main(args []string) int {
	return run(args, os.Stdout, os.Stderr)
}

func run(args []string, stdout, stderr io.Writer) int {
	// The one place that listens for SIGINT and SIGTERM: each command gets
	// the context from cobra and stops cleanly when it is cancelled. After
	// the first signal the default action returns, so a second Ctrl-C ends
	// a command that does not watch the context.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)

	root := newRootCmd()
	// Cobra reports the command line's errors (unknown commands and flags,
	// wrong arguments) before any command runs; what a command returns is
	// its own failure, unless it says it is a usage error.
	ran := false
	root.PersistentPreRun = func(*cobra.Command, []string) { ran = true }
	root.SetArgs(args)
	root.SetIn(os.Stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	var usage usageError
	switch {
	case err == nil:
		return exitOK
	case !ran || errors.As(err, &usage):
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", cmd.CommandPath(), err, cmd.CommandPath())
		return exitUsage
	case !errors.Is(err, errReported):
		fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
	}
	return exitFailure
}

// usageError is a command line that a command itself refuses: it exits 2.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// errReported is a failure already printed in full: it exits 1 with no
// further message.
var errReported = errors.New("reported")

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "cpis-kiosk",
		Short: "The CP-IS Child Care Alert check for unscheduled care",
		Long: `cpis-kiosk: the CP-IS Child Care Alert check for unscheduled care.

With no command it opens the kiosk window. With no Spine configured the
kiosk runs its embedded sandbox over HTTPS on loopback, with a demo user.

Every command takes --config FILE (TOML, see README; or CPIS_CONFIG) and
--log-level (debug, info, warn, error). CPIS_DATA_DIR overrides the data
folder.`,
		Args:          subcommandArgs,
		RunE:          runKiosk,
		SilenceErrors: true, // run prints them, with the exit code's words
		SilenceUsage:  true,
	}
	f := root.PersistentFlags()
	f.String("config", os.Getenv("CPIS_CONFIG"), "TOML configuration `FILE`; CPIS_CONFIG sets the default")
	f.String("log-level", "info", "log `LEVEL`: debug, info, warn, error")
	_ = root.MarkPersistentFlagFilename("config", "toml")
	completeWords(root, "log-level", "debug", "info", "warn", "error")

	root.AddCommand(
		newRunCmd(),
		newSelftestCmd(),
		newSandboxCmd(),
		newCardCmd(),
		newVCardCmd(),
		newSigninCmd(),
		newQueueCmd(),
		newReviewCmd(),
		newDrillCmd(),
		newDrillReplayCmd(),
		newAuditCmd(),
		newDataCmd(),
		newStaffCmd(),
		newReadinessCmd(),
		newStatusCmd(),
		newServiceCmd(),
		newVersionCmd(),
	)
	return root
}

// newRunCmd is `cpis-kiosk run`, the window by name, as earlier versions
// accepted it.
func newRunCmd() *cobra.Command {
	return &cobra.Command{Use: "run", Short: "Open the kiosk window", Hidden: true, Args: cobra.NoArgs, RunE: runKiosk}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and commit",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "cpis-kiosk %s (commit %s)\n", build.Version, build.Commit)
		},
	}
}

// group is a command that only holds others, such as `queue`: alone it is
// a usage error that names them.
func group(use, short string, cmds ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  subcommandArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{fmt.Errorf("say %s", subcommandNames(cmd))}
		},
	}
	g.AddCommand(cmds...)
	return g
}

// subcommandArgs refuses a word that is none of the command's
// subcommands, with cobra's suggestions.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if names := subcommandNames(cmd); names != "" && cmd.HasParent() {
		msg += ": say " + names
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += " (did you mean " + strings.Join(s, " or ") + "?)"
	}
	return errors.New(msg)
}

// subcommandNames lists the visible subcommands: "list or replay".
func subcommandNames(cmd *cobra.Command) string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" && c.Name() != "completion" {
			names = append(names, c.Name())
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// completeWords offers words for a flag's value in shell completion.
func completeWords(cmd *cobra.Command, flag string, words ...string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(words, cobra.ShellCompDirectiveNoFileComp))
}

// runE is what cobra runs for a command.
type runE = func(cmd *cobra.Command, args []string) error

// withEnv is a command's run: fn with the configuration and the logger
// set up (setup), closed after it.
func withEnv(fn func(*cobra.Command, env) error) runE {
	return func(cmd *cobra.Command, _ []string) error {
		e, err := setup(cmd)
		if err != nil {
			return err
		}
		defer e.Close()
		return fn(cmd, e)
	}
}

// withProgram is a command's run: fn with the kiosk's parts open, the
// store, the Spine client and, with no Spine configured, the embedded
// sandbox. Its arguments are cmd.Flags().Args().
func withProgram(fn func(*cobra.Command, *Program) error) runE {
	return withEnv(func(cmd *cobra.Command, e env) error {
		p, err := openProgram(e.cfg, e.setting, e.log)
		if err != nil {
			return err
		}
		defer p.Close()
		return fn(cmd, p)
	})
}

// withDB is a command's run with the database open alone, without the
// Spine or the sandbox. Like the queue commands these need the kiosk
// stopped (one process holds the database); they say so rather than wait.
func withDB(fn func(*cobra.Command, env, *store.DB) error) runE {
	return withEnv(func(cmd *cobra.Command, e env) error {
		db, err := openStore(e.cfg, e.log)
		if err != nil {
			return err
		}
		defer db.Close()
		return fn(cmd, e, db)
	})
}

// withStore is the run of an accountability command: fn with the
// database open alone (withDB).
func withStore(fn func(*cobra.Command, *accountability.Accountability) error) runE {
	return withDB(func(cmd *cobra.Command, e env, db *store.DB) error {
		return fn(cmd, newAccountability(db, e.cfg, e.setting, e.log))
	})
}
