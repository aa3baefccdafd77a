package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/app/waiting"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// The commands for the checks that wait: `queue list|replay`, `review
// list|sign-off`, `drill downtime`, and the drill's hidden child. The queue
// and review commands need the kiosk stopped (one process holds the
// database); they say so rather than wait.

func newQueueCmd() *cobra.Command {
	return group("queue", "The offline queue: counts, ages, states; replay now",
		newQueueListCmd(), newQueueReplayCmd())
}

// newQueueListCmd is `cpis-kiosk queue list`: counts, ages and states
// only, no patient details.
func newQueueListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "Counts, ages and states of the queue (no patient details)",
		Args:  cobra.NoArgs,
		RunE: withProgram(func(cmd *cobra.Command, p *Program) error {
			return p.listQueue(cmd.OutOrStdout())
		}),
	}
}

// newQueueReplayCmd is `cpis-kiosk queue replay`.
func newQueueReplayCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "replay",
		Short: "Replay the queue now, with a progress bar",
		Args:  cobra.NoArgs,
		RunE: withProgram(func(cmd *cobra.Command, p *Program) error {
			return p.replayNow(cmd.Context(), cmd.OutOrStdout())
		}),
	}
}

func (p *Program) listQueue(out io.Writer) error {
	c, err := p.db.Counts()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "queued %d, dead letters %d, open review items %d", c.Queued, c.Dead, c.OpenReview)
	if !c.Oldest.IsZero() {
		fmt.Fprintf(out, ", oldest %s ago", time.Since(c.Oldest).Round(time.Second))
	}
	if !c.LastReplay.IsZero() {
		fmt.Fprintf(out, ", last replay %s", c.LastReplay.Format("2006-01-02 15:04:05"))
	}
	fmt.Fprintln(out)
	err = eachPage(p.db.QueuePage, func(r store.QueueRow) {
		fmt.Fprintf(out, "%6d  presented %s (%s ago)  %-12s  %-23s  attempts %d  %s\n", r.Seq, r.At.Format("2006-01-02 15:04"),
			time.Since(r.At).Round(time.Minute), r.Kind, r.Why.Words(), r.Attempts, r.LastError)
	})
	if err != nil {
		return err
	}
	return eachPage(p.db.DeadLetterPage, func(r store.QueueRow) {
		fmt.Fprintf(out, "%6d  presented %s  %-12s  DEAD LETTER: %s\n", r.Seq, r.At.Format("2006-01-02 15:04"), r.Kind, r.LastError)
	})
}

// listPage is how many rows `queue list` reads at a time: it prints each
// page before reading the next, so a long queue is never held whole.
const listPage = 500

// eachPage calls fn for every row of a paged list, oldest first.
func eachPage(read func(after uint64, limit int) ([]store.QueueRow, error), fn func(store.QueueRow)) error {
	var after uint64
	for {
		rows, err := read(after, listPage)
		if err != nil || len(rows) == 0 {
			return err
		}
		for _, r := range rows {
			fn(r)
		}
		after = rows[len(rows)-1].Seq
	}
}

// replayNow drains the queue once, with a progress bar on the terminal,
// until it is empty or ctx is cancelled.
func (p *Program) replayNow(ctx context.Context, out io.Writer) error {
	c, err := p.db.Counts()
	if err != nil {
		return err
	}
	if c.Queued == 0 {
		fmt.Fprintln(out, "the queue is empty")
		return nil
	}
	// Every check is made in a signed-in user's name. At the command line
	// that can only be the embedded sandbox's test user; against a real
	// Spine the checks are made at the kiosk, by staff who sign in.
	sess, err := p.signIn(ctx)
	if err != nil {
		return fmt.Errorf("the checks that wait are made at the kiosk by a signed-in member of staff with codes B0264 and B0107: %w", err)
	}
	fmt.Fprintf(out, "checking %d children who wait, in the name of %s (the sandbox's test user)\n", c.Queued, sess.User.Name)
	rep := waiting.NewReplayer(p.db, p.client, p.log)
	rep.Use(&sess)
	// Nobody at the command line can confirm a child recorded by details:
	// one match on PDS goes to the review list for a manual trace.
	stopped := make(chan error, 1)
	rep.OnStopped = func(err error) { stopped <- err }
	finished := make(chan struct{})
	var once bool
	rep.OnProgress = func(done, total int) {
		fmt.Fprintf(out, "\rreplaying %s %d/%d", bar(done, total, 30), done, total)
		if done >= total && !once {
			once = true
			close(finished)
		}
	}
	rep.Start(ctx)
	rep.Kick()
	var why error
	select {
	case <-finished:
	case why = <-stopped:
	case <-ctx.Done():
		why = ctx.Err()
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	rep.Shutdown(sctx)
	if c, err = p.db.Counts(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nqueued %d, dead letters %d, open review items %d\n", c.Queued, c.Dead, c.OpenReview)
	if c.Queued > 0 {
		return fmt.Errorf("%d children still wait for their check: %w", c.Queued, cmp.Or(why, errors.New("stopped")))
	}
	return nil
}

func bar(done, total, width int) string {
	n := 0
	if total > 0 {
		n = done * width / total
	}
	b := make([]byte, width)
	for i := range b {
		b[i] = '.'
		if i < n {
			b[i] = '#'
		}
	}
	return "[" + string(b) + "]"
}

func newReviewCmd() *cobra.Command {
	return group("review", "The retrospective review list (signing off is on the kiosk's screen)",
		newReviewListCmd(), newReviewSignOffCmd())
}

// newReviewListCmd is `cpis-kiosk review list`.
func newReviewListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "The review list, open items and signed-off ones",
		Args:  cobra.NoArgs,
		RunE: withProgram(func(cmd *cobra.Command, p *Program) error {
			items, err := p.db.Reviews(false)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, it := range items {
				state := "OPEN"
				if it.SignedOff {
					state = fmt.Sprintf("signed off by %s at %s: %s", it.SignedBy, it.SignedAt.Format("2006-01-02 15:04"), it.Note)
				}
				fmt.Fprintf(out, "%5d  %-12s presented %s by %s  %s  %s\n", it.ID, it.Kind, it.P.At.Format("2006-01-02 15:04"), it.P.UserName, it.Reason, state)
			}
			if len(items) == 0 {
				fmt.Fprintln(out, "the review list is empty")
			}
			return nil
		}),
	}
}

// newReviewSignOffCmd is `cpis-kiosk review sign-off`, kept to say where
// it went: a review item is signed off on the review screen by a
// signed-in member of staff with B0107.
func newReviewSignOffCmd() *cobra.Command {
	return screensOnly("sign-off", "review items are signed off on the kiosk's review screen (To review, on the banner) "+
		"by a signed-in member of staff whose role has code B0107")
}

func newDrillCmd() *cobra.Command {
	return group("drill", "Business-continuity drills", newDrillDowntimeCmd())
}

// newDrillDowntimeCmd is `cpis-kiosk drill downtime [--patients N]
// [--kill]`: the drill runs in an isolated folder with its own sandbox;
// its result then goes in the real data folder's audit, as go-live
// evidence (guide steps 15, 21). The database is opened first, so a
// running kiosk stops it before the drill takes a minute for nothing.
func newDrillDowntimeCmd() *cobra.Command {
	var o waiting.DrillOptions
	cmd := &cobra.Command{
		Use:   "downtime",
		Short: "A downtime drill in an isolated folder; its result is audited",
		Long: `A business-continuity drill in an isolated folder with its own sandbox:
it takes the Spine down (or CP-IS alone, with --cpis-only), records synthetic presentations, checks that the
database holds none of their NHS numbers in clear, brings the Spine back
and replays, then prints what was presented, queued, replayed and lost.
It exits 1 on any loss or duplicate notification. The result is recorded
in the kiosk's audit, for the readiness page.`,
		Args: cobra.NoArgs,
		RunE: withStore(func(cmd *cobra.Command, a *accountability.Accountability) error {
			return drillRecorded(cmd, a, o)
		}),
	}
	cmd.Flags().IntVar(&o.Patients, "patients", 100, "how many synthetic presentations to record (`N`)")
	cmd.Flags().BoolVar(&o.Kill, "kill", false, "kill the replaying process with SIGKILL at random moments, at least 5 times")
	cmd.Flags().BoolVar(&o.CPISOnly, "cpis-only", false, "take down CP-IS alone, with PDS answering, instead of the whole Spine")
	return cmd
}

// drillRecorded runs the drill and records its result, passed or failed.
func drillRecorded(cmd *cobra.Command, a *accountability.Accountability, o waiting.DrillOptions) error {
	out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program: %w", err)
	}
	o.Exe, o.Log = exe, drillLog(stderr)
	res, derr := waiting.Drill(cmd.Context(), out, o)
	e := store.Event{At: a.Now(), Kind: cpis.EventDrill, UserName: commandLine().User.Name,
		Setting: string(a.Setting), Drill: &res, Result: cpis.ResultPassed, Outcome: drillWords(res)}
	if derr != nil {
		e.Result, e.Outcome = cpis.ResultFailed, "failed: "+e.Outcome
		fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), derr)
	} else {
		e.Outcome = "passed: " + e.Outcome
	}
	seq, err := a.Log.Append(e)
	if err != nil {
		return fmt.Errorf("recording the drill's result: %w", err)
	}
	fmt.Fprintf(out, "drill result recorded in the kiosk's audit (record %d)\n", seq)
	if derr != nil {
		return errReported
	}
	return nil
}

// drillWords is a drill's result in words, for the audit's readers.
func drillWords(r store.DrillResult) string {
	killed := ""
	if r.Killed {
		killed = ", replay killed"
	}
	return fmt.Sprintf("%s (%d patients%s, %s)", waiting.DrillSummary(r), r.Patients, killed, r.Took)
}

// newDrillReplayCmd is the drill's own child process, not for people: it
// replays the drill's queue to the end, and `drill downtime --kill` kills
// it at random moments.
func newDrillReplayCmd() *cobra.Command {
	var data string
	var where waiting.Sandbox
	cmd := &cobra.Command{
		Use:    "drill-replay --data DIR",
		Short:  "Replay the drill's queue (the drill's child process)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if data == "" {
				return usageError{errors.New("--data is needed")}
			}
			return waiting.DrillReplay(cmd.Context(), cmd.OutOrStdout(), drillLog(cmd.ErrOrStderr()), data, where, 0)
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "the drill's data `folder`")
	cmd.Flags().StringVar(&where.PDS, "pds", "", "PDS base `URL`")
	cmd.Flags().StringVar(&where.CPIS, "cpis", "", "CP-IS base `URL`")
	cmd.Flags().StringVar(&where.FGM, "fgm", "", "FGM-IS base `URL`")
	cmd.Flags().StringVar(&where.Issuer, "issuer", "", "CIS2 issuer `URL`")
	cmd.Flags().StringVar(&where.Token, "token", "", "API platform token endpoint `URL`")
	cmd.Flags().StringVar(&where.CAFile, "ca", "", "CA `file` to trust")
	cmd.Flags().StringVar(&where.KeyFile, "key", "", "the drill's sign-in key `file`")
	return cmd
}

// drillLog is the drill's logger: warnings and worse, redacted, on
// standard error; the drill's data is synthetic and its folder temporary.
func drillLog(w io.Writer) *logrus.Logger {
	log := logrus.New()
	log.SetOutput(w)
	log.SetLevel(logrus.WarnLevel)
	log.SetFormatter(logging.Redactor{Next: &logrus.TextFormatter{}})
	return log
}
