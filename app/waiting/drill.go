package waiting

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/logging"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
	"github.com/nhs-cpis/kiosk/store"
)

// The business-continuity drill: the guide asks that plans be "clear
// about the process that must be followed for patients who presented for
// care while systems were down when they come back online" (step 15), and
// that someone routinely checks that CP-IS works. The drill rehearses the
// whole downtime path on synthetic patients, apart from the live data.

// DrillOptions configures Drill.
type DrillOptions struct {
	Patients int // presentations to record; 100 when zero
	// Kill replays in a child process (Exe drill-replay ...) and kills it
	// with SIGKILL at random moments, at least DrillKills times.
	Kill bool
	// CPISOnly takes down CP-IS alone: PDS answers, so the first child is
	// traced and its check fails, as on a ward when only CP-IS is out.
	CPISOnly bool
	Exe      string // the cpis-kiosk binary, for Kill
	// ExeArgs go before "drill-replay": tests re-run the test binary with
	// "-test.run=... --".
	ExeArgs []string
	Log     logrus.FieldLogger
}

// DrillKills is how often Kill kills the replaying process.
const DrillKills = 5

// drillCase is one kind of synthetic presentation and what its replay
// must find.
type drillCase struct {
	p    store.Presentation // patient details only
	want cpis.Result        // ResultAlert, ResultNoAlert or ResultManualTrace
	// nhs is the child the replay checks on CP-IS (the current number of
	// a superseded one), and authorities how many local authorities its
	// one CP-IS query must notify: one for each with a visible plan.
	nhs         cpis.NHSNumber
	authorities int
}

// Drill runs the downtime drill in a temporary data folder with its own
// sandbox: it takes the Spine down, records the presentations, checks the
// database holds none of their NHS numbers in clear, brings the Spine
// back, replays (in a child process killed at random moments, with Kill)
// and checks that every presentation was replayed, every alert put on the
// review list, and that each child's local authorities were notified in
// the name of the member of staff on duty exactly as often as the child
// presented with a visible plan, counted by child and user through the
// sandbox's read-back (the published CP-IS API has no idempotency key,
// so notifications cannot be told apart by presentation). It prints one
// summary line and returns an error on any loss or duplicate.
//
// With Kill, a process killed after its CP-IS query and before recording
// the outcome replays that entry again, and the Spine notifies again: the
// drill then reports the duplicate. Only recording the intent before the
// query and reading the access history before asking again (DESIGN.md,
// "Checks that wait") can prevent it.
func Drill(ctx context.Context, out io.Writer, opts DrillOptions) (store.DrillResult, error) {
	start := time.Now()
	res, err := drill(ctx, out, opts)
	res.Killed, res.Took = opts.Kill, time.Since(start).Round(time.Second)
	return res, err
}

func drill(ctx context.Context, out io.Writer, opts DrillOptions) (store.DrillResult, error) {
	n := opts.Patients
	if n <= 0 {
		n = 100
	}
	log := opts.Log
	if log == nil {
		log = logging.Discard()
	}
	log = log.WithField("component", "drill")
	if opts.Kill && opts.Exe == "" {
		return store.DrillResult{}, errors.New("running the drill: Kill needs the kiosk binary (Exe)")
	}
	dir, err := os.MkdirTemp("", "cpis-drill-")
	if err != nil {
		return store.DrillResult{}, fmt.Errorf("making the drill folder: %w", err)
	}
	defer os.RemoveAll(dir)

	sb, err := sandbox.New(sandbox.Options{StateDir: filepath.Join(dir, "sandbox"), Log: log})
	if err != nil {
		return store.DrillResult{}, fmt.Errorf("preparing the drill's sandbox: %w", err)
	}
	if err := sb.Start("127.0.0.1:0"); err != nil {
		return store.DrillResult{}, fmt.Errorf("starting the drill's sandbox: %w", err)
	}
	defer sb.Close()
	dataDir := filepath.Join(dir, "data")
	where, err := SandboxOf(sb, filepath.Join(dataDir, "keys", "cis2-client.pem"))
	if err != nil {
		return store.DrillResult{}, err
	}
	dbPath, keyPath := DrillPaths(dataDir)
	db, err := store.Open(dbPath, keyPath, log)
	if err != nil {
		return store.DrillResult{}, fmt.Errorf("opening the drill's database: %w", err)
	}
	defer func() { db.Close() }()

	// The drill signs in its own test user, who makes the checks that
	// wait: nothing is checked in nobody's name.
	client, sess, err := where.Connect(ctx, log)
	if err != nil {
		return store.DrillResult{}, err
	}
	rep := NewReplayer(db, client, log)
	rep.Use(&sess)
	rep.Confirm = drillConfirm
	link := NewLink(client.Reachable, log)
	rep.Link = link
	link.Start(ctx)
	defer link.Shutdown(context.Background())
	checker := &check.Checker{Spine: client, Audit: db, Setting: cpis.EmergencyDepartment, Now: time.Now, Log: log}

	// The Spine, or CP-IS alone, goes down; presentations arrive, one a
	// minute.
	fault, why := sandbox.Fault{Mode: sandbox.FaultRefuse}, cpis.WaitSpineDown
	if opts.CPISOnly {
		fault, why = sandbox.Fault{Mode: sandbox.Fault5xx, Only: "cpis"}, cpis.WaitCPISDown
	}
	sb.SetFault(fault)
	cases := drillCases(sb.Patients(), n)
	start := time.Now().Add(-time.Duration(n) * time.Minute).Truncate(time.Second)
	var nhsNumbers, names []string
	for i := range cases {
		p := &cases[i].p
		p.Key, p.At, p.Why = uuid.NewString(), start.Add(time.Duration(i)*time.Minute), why
		p.Setting, p.OrgCode, p.OrgName = string(cpis.EmergencyDepartment), sess.Role.OrgCode, sess.Role.OrgName
		p.UserID, p.UserName, p.RoleID, p.JobRole = sess.User.ID, sess.User.Name, sess.Role.ID, sess.Role.JobRole
		if down, _ := link.Down(); !down && p.NHS != "" {
			// The first user action meets the dead service and puts the
			// link down; the rest go straight to the list.
			if err := firstAttempt(ctx, checker, sess, p, opts.CPISOnly); !link.Failed(err) {
				return store.DrillResult{}, fmt.Errorf("running the drill: the first check with the service down gave %v, not a downtime error", err)
			}
		}
		if _, err := db.Enqueue(*p); err != nil {
			return store.DrillResult{}, err
		}
		if p.NHS != "" {
			nhsNumbers = append(nhsNumbers, p.NHS)
		}
		if len(p.Family) >= 5 { // shorter strings turn up in ciphertext by chance
			names = append(names, p.Family)
		}
	}
	counts, err := db.Counts()
	if err != nil {
		return store.DrillResult{}, err
	}
	if err := inClear(dbPath, nhsNumbers, names); err != nil {
		return store.DrillResult{}, err
	}

	// The Spine comes back; the link notices by itself.
	sb.SetFault(sandbox.Fault{})
	if opts.Kill {
		if err := db.Close(); err != nil {
			return store.DrillResult{}, err
		}
		if err := drillKillReplay(ctx, opts, log, dataDir, where); err != nil {
			return store.DrillResult{}, err
		}
		if db, err = store.Open(dbPath, keyPath, log); err != nil {
			return store.DrillResult{}, fmt.Errorf("reopening the drill's database: %w", err)
		}
	} else {
		rep.Start(ctx)
		err := rep.WaitEmpty(ctx)
		rep.Shutdown(context.Background())
		if err != nil {
			return store.DrillResult{}, err
		}
	}
	return drillReport(out, db, sb, cases, counts.Queued)
}

// firstAttempt is the live check of the first child while the service is
// down: the trace, and with PDS answering, the check, which fails; the
// presentation then waits with the check's intent, as the kiosk keeps it.
func firstAttempt(ctx context.Context, checker *check.Checker, sess check.Session, p *store.Presentation, cpisOnly bool) error {
	pr := check.Presentation{At: p.At, Key: p.Key}
	pt, err := checker.Trace(ctx, sess, cpis.NHSNumber(p.NHS), pr)
	if err != nil || !cpisOnly {
		return err
	}
	at := time.Now()
	if _, err = checker.Open(ctx, sess, pt.NHS, pr.ForPatient(pt.NHS)); err != nil {
		p.Why, p.Intent = cpis.WaitOpenFailed, &store.Intent{RoleID: sess.Role.ID, At: at}
	}
	return err
}

// drillCases makes n presentations from the sandbox's synthetic patients,
// in turn: every traceable patient by NHS number, and searches that find
// one patient, none, and too many.
func drillCases(seed []sandbox.SeedPatient, n int) []drillCase {
	now := time.Now()
	byNHS := map[cpis.NHSNumber]sandbox.SeedPatient{}
	for _, p := range seed {
		byNHS[p.NHS] = p
	}
	var kinds []drillCase
	// expect is what the replay of a presentation of p must find: the
	// current record's plans as CP-IS serves them today.
	expect := func(pres store.Presentation, p sandbox.SeedPatient) drillCase {
		if p.SupersededBy != "" {
			p = byNHS[p.SupersededBy]
		}
		dc := drillCase{p: pres, want: cpis.ResultNoAlert, nhs: p.NHS}
		las := map[string]bool{}
		for _, pl := range cpis.VisiblePlans(p.Served(now), now) {
			las[pl.Authority.Name] = true
		}
		if len(las) > 0 {
			dc.want, dc.authorities = cpis.ResultAlert, len(las)
		}
		return dc
	}
	var smith sandbox.SeedPatient
	for _, p := range seed {
		switch {
		case p.NotOnPDS:
		case p.Family == "SMITH":
			smith = p
		default:
			kinds = append(kinds, expect(store.Presentation{NHS: p.NHS.Digits()}, p))
		}
		if p.Family == "MORGAN" || p.Family == "XIONG" {
			kinds = append(kinds, expect(store.Presentation{Family: p.Family, Given: p.Given,
				BirthDate: p.BirthDate, Gender: string(p.Gender), Postcode: p.Postcode}, p))
		}
	}
	kinds = append(kinds,
		drillCase{p: store.Presentation{Family: "NOBODYKNOWS", BirthDate: smith.BirthDate}, want: cpis.ResultManualTrace},
		drillCase{p: store.Presentation{Family: "SMITH", BirthDate: smith.BirthDate}, want: cpis.ResultManualTrace})
	out := make([]drillCase, n)
	for i := range out {
		out[i] = kinds[i%len(kinds)]
		out[i].p.Check = "Required: under 18"
	}
	return out
}

// inClear fails when the database file holds any of the strings as they
// are, or an NHS number as printed (999 027 6579).
func inClear(path string, nhsNumbers, names []string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the drill's database: %w", err)
	}
	for _, s := range append(append([]string{}, nhsNumbers...), names...) {
		forms := []string{s}
		if n, err := cpis.ParseNHSNumber(s); err == nil {
			forms = append(forms, n.Digits()[:3]+" "+n.Digits()[3:6]+" "+n.Digits()[6:])
		}
		for _, f := range forms {
			if bytes.Contains(raw, []byte(f)) {
				return errors.New("running the drill: the database file holds a patient's details in clear")
			}
		}
	}
	return nil
}

// drillKillReplay runs the replaying child, kills it at random moments
// DrillKills times, then lets the last one finish.
func drillKillReplay(ctx context.Context, opts DrillOptions, log logrus.FieldLogger, dataDir string, where Sandbox) error {
	args := append(append(append([]string{}, opts.ExeArgs...), "drill-replay", "--data", dataDir), where.Args()...)
	for kills := 0; ; {
		c, err := StartChild(ctx, opts.Exe, args, nil, nil)
		if err != nil {
			return err
		}
		if kills == DrillKills {
			if err := c.Wait(); err != nil {
				return fmt.Errorf("running the last replay: %w", err)
			}
			return nil
		}
		if !c.KillAtRandom(400 * time.Millisecond) {
			return fmt.Errorf("running the drill: the replay finished after %d of %d kills; use more patients", kills, DrillKills)
		}
		kills++
		log.WithField("kills", kills).Info("killed the replaying process")
	}
}

// drillReport checks the outcome against the cases and prints the
// summary line.
func drillReport(out io.Writer, db *store.DB, sb *sandbox.Server, cases []drillCase, queued int) (store.DrillResult, error) {
	replayed := map[string]int{}
	if err := db.Events(func(e store.Event) error {
		if e.Kind == cpis.EventReplay {
			replayed[e.TraceID]++
		}
		return nil
	}); err != nil {
		return store.DrillResult{}, err
	}
	// Notifications by child and user: the published API gives nothing
	// finer to count them by.
	type childUser struct {
		nhs  cpis.NHSNumber
		user string
	}
	notes := map[childUser][]sandbox.Notification{}
	for _, x := range sb.Notifications() {
		k := childUser{x.NHS, x.UserID}
		notes[k] = append(notes[k], x)
	}
	expected := map[childUser]int{}
	reviews, err := db.Reviews(false)
	if err != nil {
		return store.DrillResult{}, err
	}
	// An alert is on the review list with its plans, or, when the replay
	// was killed after CP-IS had the query and before its answer was
	// kept, as an answer lost: the lead looks the child up on the national
	// record, and the query is never made twice.
	alerts := map[string]bool{}
	for _, it := range reviews {
		if (it.Kind == cpis.ResultAlert && it.Alert != nil && len(it.Alert.Plans) > 0) || it.Kind == cpis.ResultAnswerLost {
			alerts[it.P.Key] = true
		}
	}
	c, err := db.Counts()
	if err != nil {
		return store.DrillResult{}, err
	}

	var problems []string
	lost, done, dups := 0, 0, 0
	for _, dc := range cases {
		p := dc.p
		switch replayed[p.Key] {
		case 0:
			lost++
			continue
		case 1:
			done++
		default:
			done++
			problems = append(problems, "a presentation was replayed more than once")
		}
		if dc.nhs != "" {
			expected[childUser{dc.nhs, p.UserID}] += dc.authorities
		}
		if dc.want == cpis.ResultAlert && !alerts[p.Key] {
			problems = append(problems, "an alert is missing from the review list")
		}
	}
	for k, want := range expected {
		got := len(notes[k])
		switch {
		case got > want:
			dups += got - want
			if want == 0 {
				problems = append(problems, "a patient without a visible alert was notified")
			}
		case got < want:
			problems = append(problems, "an alert was replayed without notifying the local authority")
		}
	}
	for k, ns := range notes {
		if _, ok := expected[k]; !ok {
			dups += len(ns)
			problems = append(problems, "a notification was made about a child, or in a name, that no presentation explains")
		}
	}
	if c.Dead > 0 {
		problems = append(problems, fmt.Sprintf("%d presentations were moved aside", c.Dead))
	}
	res := store.DrillResult{Patients: len(cases), Queued: queued, Replayed: done, Lost: lost, Duplicates: dups, Reviews: len(reviews)}
	fmt.Fprintf(out, "drill: %s\n", DrillSummary(res))
	if lost > 0 || dups > 0 || queued != len(cases) {
		problems = append(problems, fmt.Sprintf("%d lost, %d duplicate notifications", lost, dups))
	}
	if len(problems) > 0 {
		return res, fmt.Errorf("drill failed: %s", strings.Join(uniqueStrings(problems), "; "))
	}
	return res, nil
}

// DrillSummary is the drill's one line.
func DrillSummary(r store.DrillResult) string {
	return fmt.Sprintf("presented %d, queued %d, replayed %d, lost %d, duplicate notifications %d, review items %d",
		r.Patients, r.Queued, r.Replayed, r.Lost, r.Duplicates, r.Reviews)
}

func uniqueStrings(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// DrillReplay replays the queue in dataDir to the end, printing
// "replayed DONE/TOTAL" to out after each entry. A negative pdsInterval
// does not pace PDS.
func DrillReplay(ctx context.Context, out io.Writer, log logrus.FieldLogger, dataDir string, where Sandbox, pdsInterval time.Duration) error {
	dbPath, keyPath := DrillPaths(dataDir)
	db, err := store.Open(dbPath, keyPath, log)
	if err != nil {
		return err
	}
	defer db.Close()
	client, sess, err := where.Connect(ctx, log)
	if err != nil {
		return err
	}
	rep := NewReplayer(db, client, log)
	rep.Use(&sess) // the drill's own test user
	rep.Confirm = drillConfirm
	rep.PDSInterval = pdsInterval
	link := NewLink(client.Reachable, log)
	rep.Link = link
	rep.OnProgress = func(done, total int) { fmt.Fprintf(out, "replayed %d/%d\n", done, total) }
	link.Start(ctx)
	rep.Start(ctx)
	err = rep.WaitEmpty(ctx)
	rep.Shutdown(context.Background())
	link.Shutdown(context.Background())
	return err
}

// drillConfirm is the drill's test user confirming a child recorded by
// details: yes when PDS's one match has the family name and date of birth
// recorded, as a person comparing the two would answer.
func drillConfirm(_ context.Context, p store.Presentation, pt cpis.Patient) (bool, error) {
	return strings.EqualFold(p.Family, pt.Family) && p.BirthDate.Equal(pt.BirthDate), nil
}

// DrillPaths are the database and key files in a drill's data folder,
// laid out as the kiosk's own.
func DrillPaths(dataDir string) (db, key string) {
	return filepath.Join(dataDir, "kiosk.db"), filepath.Join(dataDir, "keys", "kiosk.key")
}
