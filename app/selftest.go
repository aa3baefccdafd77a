package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/controller"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
)

// TestPatients are the guide's two test records (step 19): "Please use NHS
// Numbers 9990276579 and 9990275831 for these purposes."
var TestPatients = []cpis.NHSNumber{"9990276579", "9990275831"}

// selftestFailure is returned once the failures have been printed.
type selftestFailure struct{ n int }

func (f *selftestFailure) Error() string { return fmt.Sprintf("selftest: %d failures", f.n) }

// Unwrap says the failures are already printed.
func (f *selftestFailure) Unwrap() error { return errReported }

// ErrSelftestNeedsSandbox means selftest without a card was asked of a real
// Spine, where the demo identity is refused.
var ErrSelftestNeedsSandbox = errors.New("selftest without a smartcard runs only on the embedded sandbox: remove [spine] from the configuration")

type selftestOptions struct {
	repeat int
	card   bool
	role   string
	stdin  io.Reader
}

// selftest traces both test patients, opens each alert (the one CP-IS
// query, which notifies) and checks that the sandbox recorded exactly one
// notification per opened alert, and none for the trace. Without a card it
// signs in the sandbox's documented test identity; with one it proves the
// card holder's own access (guide step 19).
func (p *Program) selftest(ctx context.Context, out io.Writer, o selftestOptions) error {
	if !p.cfg.Embedded() && !o.card {
		return ErrSelftestNeedsSandbox
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var sess check.Session
	var err error
	if o.card {
		sess, err = p.cardSession(ctx, o)
	} else {
		sess, err = p.signIn(ctx)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "selftest: signed in as %s, %s (%s), codes %s\n", sess.User.Name, sess.Role.JobRole,
		sess.Role.OrgCode, cpis.JoinCodes(sess.Role.Activity))
	failures := 0
	for _, nhs := range TestPatients {
		if line, err := p.checkOne(ctx, sess, nhs); err != nil {
			failures++
			fmt.Fprintf(out, "FAIL %s: %s\n", nhs, err)
		} else {
			fmt.Fprintf(out, "ok   %s\n", line)
		}
	}
	if failures > 0 {
		fmt.Fprintf(out, "selftest: FAILED (%d of %d patients)\n", failures, len(TestPatients))
		return &selftestFailure{failures}
	}
	fmt.Fprintf(out, "selftest: passed (%d patients, each alert opened with exactly one notification)\n", len(TestPatients))
	if o.repeat > 0 {
		return p.timeChecks(ctx, out, sess, o.repeat)
	}
	return nil
}

func (p *Program) checkOne(ctx context.Context, sess check.Session, nhs cpis.NHSNumber) (string, error) {
	pres := check.NewPresentation(time.Now())
	pt, err := p.check.Trace(ctx, sess, nhs, pres)
	if err != nil {
		return "", fmt.Errorf("trace: %s", controller.MessageFor(err).Title)
	}
	nhs = pt.NHS // the current number, should the test number ever be superseded
	fgm := p.fgmWords(ctx, sess, pt, pres)
	if p.sandbox != nil {
		if n := p.sandbox.NotificationsForTrace(pres.Key); n != 0 {
			return "", fmt.Errorf("the trace notified the local authority %d times", n)
		}
	}
	alert, err := p.check.Open(ctx, sess, nhs, pres)
	if err != nil {
		return "", fmt.Errorf("open: %s", controller.MessageFor(err).Title)
	}
	if len(alert.Plans) == 0 {
		return "", errors.New("no Child Care Alert found, but the test patient has one")
	}
	notes := "notifications 1"
	if p.sandbox == nil {
		notes = "notification sent"
	} else if n := p.sandbox.NotificationsForTrace(pres.Key); n != 1 {
		return "", fmt.Errorf("opening the alert recorded %d notifications, want exactly 1", n)
	}
	if len(alert.History) == 0 {
		return "", errors.New("the access history does not list this access")
	}
	la := alert.Authority()
	return fmt.Sprintf("%s  %-32s  %-34s  history %2d rows  %s  %s",
		nhs, alert.Plans[0].Type.Label(), la.Name, len(alert.History), notes, fgm), nil
}

// fgmWords asks FGM-IS about the traced patient as the window does and
// says what came back: staff and IT see their own access with B0370.
func (p *Program) fgmWords(ctx context.Context, sess check.Session, pt cpis.Patient, pres check.Presentation) string {
	switch {
	case !pt.Verified:
		return "FGM-IS not asked (NHS number not verified)"
	case pt.Gender == cpis.Male:
		return "FGM-IS not asked (male)"
	case !cpis.FGMApplies(pt, pres.At):
		return "FGM-IS not asked (18 or over)"
	}
	f, err := p.check.FGM(ctx, sess, pt, pres)
	switch {
	case err != nil:
		return "FGM-IS FAILED: " + controller.MessageFor(err).Title
	case f != nil:
		return "FGM-IS flag, assessed " + f.Assessed.Format("2006-01-02")
	}
	return "FGM-IS no flag"
}

// timeChecks repeats the whole check (trace, then open)
// and prints the latency percentiles and the resident memory afterwards.
func (p *Program) timeChecks(ctx context.Context, out io.Writer, sess check.Session, n int) error {
	d := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		nhs := TestPatients[i%len(TestPatients)]
		start := time.Now()
		pres := check.NewPresentation(start)
		if _, err := p.check.Trace(ctx, sess, nhs, pres); err != nil {
			return fmt.Errorf("timing check %d: %w", i, err)
		}
		if _, err := p.check.Open(ctx, sess, nhs, pres); err != nil {
			return fmt.Errorf("timing check %d: %w", i, err)
		}
		d = append(d, time.Since(start))
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	fmt.Fprintf(out, "checks %d  p50 %.2f ms  p99 %.2f ms  rss %s\n", n,
		ms(percentile(d, 50)), ms(percentile(d, 99)), residentMemory())
	return nil
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	if i > 0 {
		i--
	}
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// residentMemory is VmRSS from /proc, or "n/a" where there is none.
func residentMemory() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "n/a"
}

// cardSession signs in with the card in the reader and picks the role.
func (p *Program) cardSession(ctx context.Context, o selftestOptions) (sess check.Session, err error) {
	err = p.withReader(ctx, func(r *device.Reader) error {
		who, a, err := cardLogin(ctx, p, r, o.stdin)
		if err != nil {
			return err
		}
		for _, role := range who.User.Roles {
			if a.Token != "" && ((o.role == "" && cpis.UsableHere(role) == nil) || role.ID == o.role) {
				sess = check.Session{User: who.User, Role: role, Token: a.Token, Expires: a.Expires}
				return nil
			}
		}
		return errors.New("no usable role on this card for the check (codes B0264 and B0107 are needed)")
	})
	return sess, err
}
