package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/app/waiting"
	"github.com/nhs-cpis/kiosk/store"

	"github.com/sirupsen/logrus"
)

// runQueue is `cpis-kiosk queue list|replay`: the offline queue for IT.
// The list shows counts, ages and states only: no patient details.
func runQueue(p *Program, sub string, out io.Writer) error {
	switch sub {
	case "list":
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
		rows, err := p.db.QueueInfo()
		dead, derr := p.db.DeadLetters()
		if err = errors.Join(err, derr); err != nil {
			return err
		}
		for _, r := range rows {
			fmt.Fprintf(out, "%6d  presented %s (%s ago)  %-12s  attempts %d  %s\n", r.Seq, r.At.Format("2006-01-02 15:04"),
				time.Since(r.At).Round(time.Minute), r.Kind, r.Attempts, r.LastError)
		}
		for _, r := range dead {
			fmt.Fprintf(out, "%6d  presented %s  %-12s  DEAD LETTER: %s\n", r.Seq, r.At.Format("2006-01-02 15:04"), r.Kind, r.LastError)
		}
		return nil
	case "replay":
		return p.replayNow(out)
	}
	return fmt.Errorf("queue: unknown command %q: use list or replay", sub)
}

// replayNow drains the queue once, with a progress bar on the terminal.
func (p *Program) replayNow(out io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := p.db.Counts()
	if err != nil {
		return err
	}
	if c.Queued == 0 {
		fmt.Fprintln(out, "the queue is empty")
		return nil
	}
	rep := waiting.NewReplayer(p.db, p.client, p.signIn, p.log)
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
	select {
	case <-finished:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep.Shutdown(sctx)
	c, _ = p.db.Counts()
	fmt.Fprintf(out, "\nqueued %d, dead letters %d, open review items %d\n", c.Queued, c.Dead, c.OpenReview)
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

// runReview is `cpis-kiosk review list|sign-off ID --note TEXT`.
func runReview(p *Program, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("review: use list, or sign-off ID --note TEXT --by NAME")
	}
	switch args[0] {
	case "list":
		items, err := p.db.Reviews(false)
		if err != nil {
			return err
		}
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
	case "sign-off":
		fs := flag.NewFlagSet("review sign-off", flag.ContinueOnError)
		note := fs.String("note", "", "the action taken")
		by := fs.String("by", os.Getenv("USER"), "who signs off")
		if len(args) < 2 {
			return errors.New("review sign-off: give the item's number")
		}
		id, err := strconv.ParseUint(args[1], 10, 64)
		if err != nil {
			return fmt.Errorf("review sign-off: %q is not an item number", args[1])
		}
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		if *note == "" {
			return errors.New("review sign-off: say what was done with --note")
		}
		if err := p.db.SignOff(id, *by, "command line", *note, time.Now()); err != nil {
			return fmt.Errorf("signing off item %d: %w", id, err)
		}
		fmt.Fprintf(out, "item %d signed off\n", id)
		return nil
	}
	return fmt.Errorf("review: unknown command %q", args[0])
}

// runDrill is `cpis-kiosk drill downtime [--patients N] [--kill]`.
func runDrill(args []string, stdout, stderr io.Writer) int {
	patients, kill, ok := drillFlags(args, stderr)
	if !ok {
		return 2
	}
	if _, err := drillDowntime(patients, kill, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "cpis-kiosk drill: %v\n", err)
		return 1
	}
	return 0
}

// drillFlags reads `drill downtime [--patients N] [--kill]`.
func drillFlags(args []string, stderr io.Writer) (patients int, kill, ok bool) {
	if len(args) == 0 || args[0] != "downtime" {
		fmt.Fprintln(stderr, "cpis-kiosk drill: say downtime")
		return 0, false, false
	}
	fs := flag.NewFlagSet("cpis-kiosk drill downtime", flag.ContinueOnError)
	fs.SetOutput(stderr)
	drillOptions(fs, &patients, &kill)
	if err := fs.Parse(args[1:]); err != nil {
		return 0, false, false
	}
	return patients, kill, true
}

// drillOptions registers the drill's own flags.
func drillOptions(fs *flag.FlagSet, patients *int, kill *bool) {
	fs.IntVar(patients, "patients", 100, "how many synthetic presentations to record")
	fs.BoolVar(kill, "kill", false, "kill the replaying process with SIGKILL at random moments, at least 5 times")
}

// drillDowntime runs the downtime drill in a folder of its own.
func drillDowntime(patients int, kill bool, stdout, stderr io.Writer) (store.DrillResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return store.DrillResult{}, fmt.Errorf("finding this program: %w", err)
	}
	log := logrus.New()
	log.SetOutput(stderr)
	log.SetLevel(logrus.WarnLevel)
	log.SetFormatter(logging.Redactor{Next: &logrus.TextFormatter{}})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return waiting.Drill(ctx, stdout, waiting.DrillOptions{Patients: patients, Kill: kill, Exe: exe, Log: log})
}
