package waiting_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/app/waiting"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
	"github.com/nhs-cpis/kiosk/store"
)

// replayEnv is a replayer wired as the kiosk wires it, against the real
// sandbox over HTTPS and a real database.
type replayEnv struct {
	sb     *sandbox.Server
	client *spine.Client
	sess   check.Session
	db     *store.DB
	link   *waiting.Link
	rep    *waiting.Replayer
	base   time.Time
	n      int
}

func newReplayEnv(t testing.TB, opts sandbox.Options, log logrus.FieldLogger) *replayEnv {
	t.Helper()
	return newReplayEnvAt(t, opts, log, t.TempDir())
}

// newReplayEnvAt keeps its database in dir, laid out as DrillPaths says.
func newReplayEnvAt(t testing.TB, opts sandbox.Options, log logrus.FieldLogger, dir string) *replayEnv {
	t.Helper()
	sb, _, _ := kiosktest.StartSandboxWith(t, opts)
	where, err := waiting.SandboxOf(sb, kiosktest.KeyFile(t))
	if err != nil {
		t.Fatal(err)
	}
	client, sess, err := where.Connect(context.Background(), log)
	if err != nil {
		t.Fatal(err)
	}
	dbPath, keyPath := waiting.DrillPaths(dir)
	db, err := accountability.OpenStore(dbPath, keyPath, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rep := waiting.NewReplayer(db, client, log)
	rep.Use(&sess) // the checks are made in a signed-in user's name
	rep.Backoff = waiting.Backoff{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond}
	link := waiting.NewLink(client.Reachable, log)
	link.Backoff = waiting.Backoff{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond}
	rep.Link = link
	return &replayEnv{sb: sb, client: client, sess: sess, db: db, link: link, rep: rep,
		base: time.Now().Add(-2 * time.Hour).Truncate(time.Second)}
}

// present queues a presentation, one a minute, by NHS number or, with
// nhs empty, by the demographics in q.
func (e *replayEnv) present(t testing.TB, nhs string, q cpis.SearchQuery) store.Presentation {
	t.Helper()
	p := store.Presentation{Key: uuid.NewString(), At: e.base.Add(time.Duration(e.n) * time.Minute),
		Setting: string(cpis.EmergencyDepartment), OrgCode: "RXX01", OrgName: "Sandbox General Hospital",
		UserID: "555000000042", UserName: "Night Nurse (on duty)", RoleID: "555000000042-01", JobRole: "Staff Nurse",
		NHS: nhs, Family: q.Family, Given: q.Given, BirthDate: q.BirthDate, Gender: string(q.Gender), Postcode: q.Postcode,
		Check: "Required: under 18"}
	e.n++
	if _, err := e.db.Enqueue(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// run starts link and replayer, waits for the queue to empty and stops them.
func (e *replayEnv) run(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e.link.Start(ctx)
	e.rep.Start(ctx)
	err := e.rep.WaitEmpty(ctx)
	if err := e.rep.Shutdown(ctx); err != nil {
		t.Errorf("replayer Shutdown: %v", err)
	}
	if err := e.link.Shutdown(ctx); err != nil {
		t.Errorf("link Shutdown: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (e *replayEnv) replayEvents(t testing.TB) []store.Event {
	t.Helper()
	var out []store.Event
	if err := e.db.Events(func(ev store.Event) error {
		if ev.Kind == "replay" {
			out = append(out, ev)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *replayEnv) patient(t testing.TB, family string) sandbox.SeedPatient {
	for _, p := range e.sb.Patients() {
		if p.Family == family {
			return p
		}
	}
	t.Fatalf("no seed patient %s", family)
	return sandbox.SeedPatient{}
}

var withAlert = []string{"9990276579", "9990275831", "9990300011", "9990300038", "9990300046", "9990300097"}

// Replay in presentation order, each alert notified once, after the
// presentation (the Spine records the time of the call), by the member of
// staff in the token; a query made before a crash, after its intent was
// recorded, is found in the access history and not made again (its
// answer is lost, so the lead reviews it); the logs name no one.
func TestReplayInOrderNotifiesOnce(t *testing.T) {
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	e := newReplayEnv(t, sandbox.Options{}, log)
	var ps []store.Presentation
	for _, nhs := range append(withAlert, "9990300100", "9990300062", "9990276579") {
		ps = append(ps, e.present(t, nhs, cpis.SearchQuery{}))
	}
	// The kiosk crashed last time between the CP-IS query and Complete:
	// it had recorded its intent, and the Spine has already notified.
	head, _, err := e.db.Head()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.MarkIntent(head.Seq, store.Intent{RoleID: e.sess.Role.ID, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Plans(context.Background(), e.sess.Spine(), cpis.NHSNumber(ps[0].NHS),
		ps[0].Key); err != nil {
		t.Fatal(err)
	}
	var progress []int
	var mu sync.Mutex
	e.rep.OnProgress = func(done, total int) {
		mu.Lock()
		progress = append(progress, done, total)
		mu.Unlock()
	}
	e.run(t)

	notes := e.sb.Notifications()
	var alerts []store.Presentation
	for _, p := range ps {
		if p.NHS != "9990300100" && p.NHS != "9990300062" {
			alerts = append(alerts, p)
		}
	}
	if len(notes) != len(alerts) {
		t.Fatalf("%d notifications, want %d", len(notes), len(alerts))
	}
	for i, p := range alerts {
		n := notes[i]
		// The published API carries no presentation time and no "on behalf
		// of": the Spine records the time of the call and the user in the
		// token, who makes the check; the kiosk's audit keeps who recorded
		// the presentation, and when.
		if n.TraceID != p.Key || n.At.Before(p.At) || n.UserID != e.sess.User.ID || string(n.NHS) != p.NHS {
			t.Errorf("notification %d = %+v, want key %s after %v by %s", i, n, p.Key, p.At, e.sess.User.ID)
		}
	}
	evs := e.replayEvents(t)
	if len(evs) != len(ps) {
		t.Fatalf("%d replay records, want %d", len(evs), len(ps))
	}
	for i, ev := range evs {
		if ev.TraceID != ps[i].Key || !ev.Replayed || ev.NHS != ps[i].NHS || ev.UserID != e.sess.User.ID {
			t.Errorf("replay record %d = %+v, want key %s checked by %s", i, ev, ps[i].Key, e.sess.User.ID)
		}
		alert := ps[i].NHS != "9990300100" && ps[i].NHS != "9990300062"
		if ev.Notified != alert {
			t.Errorf("replay record %d: Notified %v, want %v", i, ev.Notified, alert)
		}
	}
	items, _ := e.db.Reviews(true)
	if len(items) != len(alerts) {
		t.Fatalf("%d review items, want one per alert (%d)", len(items), len(alerts))
	}
	for i, it := range items {
		// Presented at one time by the nurse on duty, checked later in the
		// signed-in user's name: both on the item.
		if it.CheckedBy.UserID != e.sess.User.ID || it.CheckedAt.Before(it.P.At) || it.P.UserID != "555000000042" {
			t.Errorf("review item %d: checked by %+v at %v, presented %v by %s", i, it.CheckedBy, it.CheckedAt, it.P.At, it.P.UserID)
		}
		if i == 0 {
			if it.Kind != cpis.ResultAnswerLost || it.P.Key != alerts[0].Key || it.Alert != nil {
				t.Errorf("the crashed check's review item = %+v, want its answer lost", it)
			}
			continue
		}
		la := it.Alert.Authority()
		if it.Kind != cpis.ResultAlert || it.P.Key != alerts[i].Key || la.Name == "" || la.OfficeHours == "" || la.OutOfHours == "" {
			t.Errorf("review item %d = %+v", i, it)
		}
	}
	mu.Lock()
	if n := len(progress); n < 2 || progress[n-2] != len(ps) || progress[n-1] != len(ps) {
		t.Errorf("progress %v, want to end at %d/%d", progress, len(ps), len(ps))
	}
	mu.Unlock()
	if d, tot := e.rep.Progress(); d != 0 || tot != 0 {
		t.Errorf("Progress after the drain = %d/%d, want 0/0", d, tot)
	}
	assertNoPatientInLogs(t, hook, "Night Nurse", "CPISTEST", "MORGAN")
}

var nhsInLog = regexp.MustCompile(`\b9\d{9}\b|\b9\d\d \d{3} \d{4}\b`)

func assertNoPatientInLogs(t *testing.T, hook *logtest.Hook, names ...string) {
	t.Helper()
	if len(hook.AllEntries()) == 0 {
		t.Fatal("nothing was logged")
	}
	for _, en := range hook.AllEntries() {
		line, _ := en.String()
		if nhsInLog.MatchString(line) {
			t.Errorf("log line holds an NHS number: %s", line)
		}
		for _, n := range names {
			if regexp.MustCompile(`(?i)` + n).MatchString(line) {
				t.Errorf("log line holds %q: %s", n, line)
			}
		}
	}
}

// A search that does not find exactly one patient goes to the review list
// for a manual trace. One that does is checked only once the checking user
// confirms PDS's match is the child who presented: the CP-IS query tells
// the local authority, so it is never made on an unconfirmed match. A no
// goes to the review list as a manual trace, and so does every single
// match when nobody can be asked.
func TestReplayDemographics(t *testing.T) {
	log, hook := logtest.NewNullLogger()
	e := newReplayEnv(t, sandbox.Options{}, log)
	morgan, xiong := e.patient(t, "MORGAN"), e.patient(t, "XIONG")
	smithDOB := e.sb.Patients()[len(e.sb.Patients())-1].BirthDate
	ps := []store.Presentation{
		e.present(t, "", cpis.SearchQuery{Family: "Morgan", Given: "Isla", BirthDate: morgan.BirthDate, Gender: cpis.Female, Postcode: morgan.Postcode}),
		e.present(t, "", cpis.SearchQuery{Family: "NOBODYKNOWS", BirthDate: morgan.BirthDate}),
		e.present(t, "", cpis.SearchQuery{Family: "Smith", BirthDate: smithDOB}),
		e.present(t, "", cpis.SearchQuery{Family: "Smith", BirthDate: smithDOB, Gender: cpis.Male, Given: "Oliver"}),
		e.present(t, "", cpis.SearchQuery{Family: "Xiong", BirthDate: xiong.BirthDate}),
	}
	var asked []cpis.NHSNumber
	e.rep.Confirm = func(_ context.Context, p store.Presentation, pt cpis.Patient) (bool, error) {
		asked = append(asked, pt.NHS)
		for _, n := range e.sb.Notifications() {
			if n.NHS == pt.NHS {
				t.Errorf("asked to confirm a child whose local authority was told already")
			}
		}
		return p.Key == ps[0].Key, nil // MORGAN is the child; XIONG is not
	}
	e.run(t)

	if len(asked) != 2 || asked[0] != morgan.NHS || asked[1] != xiong.NHS {
		t.Errorf("asked to confirm %v, want MORGAN then XIONG", asked)
	}
	items, _ := e.db.Reviews(false)
	want := []struct {
		kind        cpis.Result
		reason, key string
	}{
		{cpis.ResultAlert, "", ps[0].Key},
		{cpis.ResultManualTrace, "no match on PDS", ps[1].Key},
		{cpis.ResultManualTrace, "more than one match on PDS", ps[2].Key},
		{cpis.ResultManualTrace, "more than one match on PDS", ps[3].Key},
		{cpis.ResultManualTrace, "the one match on PDS was not the child, said the checking user", ps[4].Key},
	}
	if len(items) != len(want) {
		t.Fatalf("review items %+v, want %d", items, len(want))
	}
	for i, w := range want {
		if it := items[i]; it.Kind != w.kind || it.Reason != w.reason || it.P.Key != w.key {
			t.Errorf("review item %d = %s %q %s, want %s %q %s", i, it.Kind, it.Reason, it.P.Key, w.kind, w.reason, w.key)
		}
	}
	if items[0].Alert == nil || items[0].Alert.NHS != morgan.NHS {
		t.Errorf("the traced patient's alert is not on the review list: %+v", items[0].Alert)
	}
	evs := e.replayEvents(t)
	if len(evs) != len(ps) || evs[0].NHS != morgan.NHS.Digits() || evs[4].Notified {
		t.Errorf("replay records %+v", evs)
	}
	if n := e.sb.Notifications(); len(n) != 1 || n[0].TraceID != ps[0].Key {
		t.Errorf("notifications %+v, want one for the confirmed MORGAN", n)
	}
	assertNoPatientInLogs(t, hook, "MORGAN", "XIONG", "NOBODYKNOWS", "Isla")

	t.Run("nobody to confirm", func(t *testing.T) {
		e := newReplayEnv(t, sandbox.Options{}, kiosktest.Quiet())
		p := e.present(t, "", cpis.SearchQuery{Family: "Morgan", Given: "Isla", BirthDate: morgan.BirthDate})
		e.run(t)
		items, _ := e.db.Reviews(false)
		if len(items) != 1 || items[0].Kind != cpis.ResultManualTrace || items[0].P.Key != p.Key ||
			items[0].Reason != "one match on PDS, not confirmed" {
			t.Fatalf("review items %+v", items)
		}
		if n := e.sb.Notifications(); len(n) != 0 {
			t.Fatalf("an unconfirmed match was notified: %+v", n)
		}
	})

	// The user pauses with the question on screen: the entry waits, with
	// no attempt counted against it, and nothing is asked of CP-IS.
	t.Run("paused while asked", func(t *testing.T) {
		e := newReplayEnv(t, sandbox.Options{}, kiosktest.Quiet())
		e.present(t, "", cpis.SearchQuery{Family: "Morgan", Given: "Isla", BirthDate: morgan.BirthDate})
		asked := make(chan struct{})
		e.rep.Confirm = func(ctx context.Context, _ store.Presentation, _ cpis.Patient) (bool, error) {
			e.rep.Use(nil)
			close(asked)
			return false, errors.New("paused")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e.link.Start(ctx)
		e.rep.Start(ctx)
		<-asked
		if err := e.rep.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		e.link.Shutdown(ctx)
		head, ok, err := e.db.Head()
		if err != nil || !ok || head.Attempts != 0 {
			t.Fatalf("after a pause the entry is %+v (queued %v, %v)", head, ok, err)
		}
		if n := e.sb.Notifications(); len(n) != 0 {
			t.Fatalf("notified while paused: %+v", n)
		}
	})
}

// An NHS number PDS does not know is moved aside for review; the entries
// behind it are replayed.
func TestReplayDeadLetterDoesNotBlock(t *testing.T) {
	e := newReplayEnv(t, sandbox.Options{}, kiosktest.Quiet())
	first := e.present(t, "9990276579", cpis.SearchQuery{})
	bad := e.present(t, "9111231130", cpis.SearchQuery{})
	last := e.present(t, "9990275831", cpis.SearchQuery{})
	e.run(t)

	dead, _ := e.db.DeadLetterPage(0, 10)
	if len(dead) != 1 || dead[0].LastError != "tracing on PDS: not found" {
		t.Fatalf("dead letters %+v", dead)
	}
	items, _ := e.db.Reviews(true)
	if len(items) != 3 || items[1].Kind != cpis.ResultDeadLetter || items[1].P.Key != bad.Key {
		t.Fatalf("review items %+v", items)
	}
	for _, p := range []store.Presentation{first, last} {
		if e.sb.NotificationsForTrace(p.Key) != 1 {
			t.Errorf("%s not notified once", p.Key)
		}
	}
}

// An entry that cannot be read (damaged on disk) is set aside as found,
// with an audit record, and counted for IT with the dead letters; the
// children behind it are checked, and it is never lost from the file.
func TestReplayUnreadableEntryDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	dbPath, keyPath := waiting.DrillPaths(dir)
	e := newReplayEnvAt(t, sandbox.Options{}, kiosktest.Quiet(), dir)
	first := e.present(t, "9990276579", cpis.SearchQuery{})
	e.present(t, "9990275831", cpis.SearchQuery{})
	last := e.present(t, "9990300011", cpis.SearchQuery{})
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	kiosktest.FlipByte(t, dbPath, "queue", 2)
	db, err := accountability.OpenStore(dbPath, keyPath, kiosktest.Quiet())
	if err != nil {
		t.Fatalf("a damaged waiting check stopped the database opening: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	e.db, e.rep.Queue = db, db
	if c, err := db.Counts(); err != nil || c.Queued != 3 {
		t.Fatalf("counts with a damaged entry: %+v %v", c, err)
	}
	e.run(t)

	for _, p := range []store.Presentation{first, last} {
		if e.sb.NotificationsForTrace(p.Key) != 1 {
			t.Errorf("%s not notified once", p.Key)
		}
	}
	c, err := db.Counts()
	if err != nil || c.Queued != 0 || c.Dead != 1 {
		t.Fatalf("after the replay: %+v %v", c, err)
	}
	var setAside int
	db.Events(func(ev store.Event) error {
		if ev.Kind == cpis.EventDeadLetter && strings.Contains(ev.Outcome, "could not be read") {
			setAside++
		}
		return nil
	})
	if setAside != 1 {
		t.Errorf("%d audit records of the entry set aside, want 1", setAside)
	}
}

// A full disk, on a real file system that fills: the kiosk never makes a
// notifying query it could not record first, stops the checks and says
// why when a record cannot be written, loses nothing waiting, and once
// the disk has room finishes every check with no child's local authority
// told twice for one presentation.
func TestReplayFullDiskFailsClosed(t *testing.T) {
	dir := kiosktest.SmallDisk(t, 1<<20)
	e := newReplayEnvAt(t, sandbox.Options{}, kiosktest.Quiet(), dir)
	e.rep.PDSInterval = -1
	var ps []store.Presentation
	for i := 0; i < 40; i++ {
		ps = append(ps, e.present(t, withAlert[i%len(withAlert)], cpis.SearchQuery{}))
	}
	free := kiosktest.FillDisk(t, dir)
	// Writes go on into pages the file already holds until none is left:
	// use them up, so that the first record the replay needs is the one
	// that cannot be written, the intent.
	for i := 0; ; i++ {
		if _, err := e.db.Append(store.Event{Kind: cpis.EventConfigChanged, Result: cpis.ResultDone, Outcome: "filling the pages the file holds"}); err != nil {
			break
		}
		if i == 1000 {
			t.Fatal("the store went on writing on a full disk")
		}
	}
	stopped := make(chan error, 4)
	e.rep.OnStopped = func(err error) { stopped <- err }

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e.link.Start(ctx)
	e.rep.Start(ctx)
	select {
	case err := <-stopped:
		if !errors.Is(err, check.ErrNotRecorded) {
			t.Fatalf("stopped because %v", err)
		}
		if !strings.Contains(err.Error(), "intent") {
			t.Fatalf("stopped at %v, not at the intent", err)
		}
	case <-ctx.Done():
		t.Fatal("the checks went on with the disk full")
	}
	if _, on := e.rep.Checking(); on {
		t.Fatal("still checking after a record could not be written")
	}
	c, err := e.db.Counts()
	if err != nil || c.Queued == 0 {
		t.Fatalf("with the disk full: %+v %v (the disk filled only after every check?)", c, err)
	}
	// Every query CP-IS saw has the kiosk's record of the intent before it.
	intents := map[string]bool{}
	if err := e.db.Events(func(ev store.Event) error {
		if ev.Kind == cpis.EventCheckIntent {
			intents[ev.TraceID] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if e.sb.NotificationsForTrace(p.Key) > 0 && !intents[p.Key] {
			t.Fatalf("presentation %s was notified with no record of the intent", p.Key)
		}
	}

	free()
	e.rep.Use(&e.sess)
	if err := e.rep.WaitEmpty(ctx); err != nil {
		t.Fatal(err)
	}
	e.rep.Shutdown(ctx)
	e.link.Shutdown(ctx)
	for _, p := range ps {
		if n := e.sb.NotificationsForTrace(p.Key); n > 1 {
			t.Errorf("presentation %s notified %d times", p.Key, n)
		}
	}
	if c, err := e.db.Counts(); err != nil || c.Queued != 0 || c.Dead != 0 {
		t.Errorf("after the disk had room: %+v %v", c, err)
	}
	if n := e.sb.NotificationsForTrace(ps[0].Key); n != 1 {
		t.Errorf("the first child, whose intent could not be written, was notified %d times after the disk had room, want 1", n)
	}
}

// recordingAfter is a real timer that remembers what it was asked to wait.
type recordingAfter struct {
	mu    sync.Mutex
	waits []time.Duration
	asked chan time.Duration
}

func (r *recordingAfter) after(d time.Duration) <-chan time.Time {
	r.mu.Lock()
	r.waits = append(r.waits, d)
	r.mu.Unlock()
	select {
	case r.asked <- d:
	default:
	}
	return time.After(d)
}

// A 429 is waited out for as long as Retry-After says, without calling
// the Spine down; nothing is lost.
func TestReplayObeysRetryAfter(t *testing.T) {
	e := newReplayEnv(t, sandbox.Options{}, kiosktest.Quiet())
	rec := &recordingAfter{asked: make(chan time.Duration, 100)}
	e.rep.After = rec.after
	e.rep.Poll = time.Hour
	ch := newChanges()
	e.link.OnChange = ch.on
	var ps []store.Presentation
	for _, nhs := range withAlert[:3] {
		ps = append(ps, e.present(t, nhs, cpis.SearchQuery{}))
	}
	e.sb.SetFault(sandbox.Fault{Mode: sandbox.Fault429, RetryAfter: time.Second})
	go func() {
		for d := range rec.asked {
			if d == time.Second {
				e.sb.SetFault(sandbox.Fault{})
				return
			}
		}
	}()
	e.run(t)

	rec.mu.Lock()
	waits := rec.waits
	rec.mu.Unlock()
	if len(waits) == 0 || waits[0] != time.Second {
		t.Errorf("waits %v, want the first to be Retry-After's 1s", waits)
	}
	if got := ch.all(); len(got) != 0 {
		t.Errorf("the link changed %v on a 429", got)
	}
	rows, _ := e.db.QueuePage(0, 10)
	for _, p := range ps {
		if e.sb.NotificationsForTrace(p.Key) != 1 {
			t.Errorf("%s notified %d times", p.Key, e.sb.NotificationsForTrace(p.Key))
		}
	}
	if len(rows) != 0 || len(e.replayEvents(t)) != len(ps) {
		t.Errorf("left in the queue: %+v", rows)
	}
}

// The Spine fails mid-drain: the replayer backs off, the link goes down
// and comes back, and the drain resumes where it stopped.
func TestReplayResumesAfter5xx(t *testing.T) {
	e := newReplayEnv(t, sandbox.Options{}, kiosktest.Quiet())
	ch := newChanges()
	e.link.OnChange = ch.on
	var ps []store.Presentation
	for i := 0; i < 8; i++ {
		ps = append(ps, e.present(t, withAlert[i%len(withAlert)], cpis.SearchQuery{}))
	}
	probeFailed := make(chan struct{}, 64)
	probe := e.link.Probe
	e.link.Probe = func(ctx context.Context) error {
		err := probe(ctx)
		if err != nil {
			select {
			case probeFailed <- struct{}{}:
			default:
			}
		}
		return err
	}
	var once sync.Once
	e.rep.OnProgress = func(done, _ int) {
		if done == 3 {
			once.Do(func() {
				e.sb.SetFault(sandbox.Fault{Mode: sandbox.Fault5xx})
				changed := e.link.Changed()
				go func() {
					// Down, and a few probes fail before the Spine is back.
					waits := []<-chan struct{}{changed, probeFailed, probeFailed, probeFailed}
					for _, w := range waits {
						select {
						case <-w:
						case <-t.Context().Done():
							return
						}
					}
					e.sb.SetFault(sandbox.Fault{})
				}()
			})
		}
	}
	e.run(t)

	if got := ch.all(); len(got) < 2 || got[0] || !got[len(got)-1] {
		t.Errorf("link changes %v, want down then live", got)
	}
	evs := e.replayEvents(t)
	if len(evs) != len(ps) {
		t.Fatalf("%d replayed, want %d", len(evs), len(ps))
	}
	for i, p := range ps {
		if evs[i].TraceID != p.Key {
			t.Errorf("replay %d out of order", i)
		}
		if n := e.sb.NotificationsForTrace(p.Key); n != 1 {
			t.Errorf("entry %d notified %d times", i, n)
		}
	}
}

// PDS allows 5 requests a second: paced, the sandbox's limit never
// refuses the replay; unpaced, it refuses and nothing is lost.
func TestReplayPacesPDS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		paced    bool
	}{{"paced", 0, true}, {"unpaced", -1, false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newReplayEnv(t, sandbox.Options{RateLimit: true}, kiosktest.Quiet())
			e.rep.PDSInterval = tc.interval
			var ps []store.Presentation
			for i := 0; i < 12; i++ {
				ps = append(ps, e.present(t, withAlert[i%len(withAlert)], cpis.SearchQuery{}))
			}
			e.run(t)
			if th := e.sb.Throttled(); tc.paced && th != 0 {
				t.Errorf("paced replay was refused %d times by PDS's limit", th)
			} else if !tc.paced && th == 0 {
				t.Log("the unpaced replay never met the limit (slow machine?)")
			}
			if evs := e.replayEvents(t); len(evs) != len(ps) {
				t.Errorf("%d replayed, want %d", len(evs), len(ps))
			}
			for _, p := range ps {
				if n := e.sb.NotificationsForTrace(p.Key); n != 1 {
					t.Errorf("%s notified %d times", p.Key, n)
				}
			}
		})
	}
}

// Nothing is checked in nobody's name (the CP-IS guide: "Unattended access
// is NOT a suitable pattern"): with nobody checking, the children wait;
// a session the Spine refuses stops the checks rather than retrying in its
// name, and moves nothing aside; once a signed-in user agrees, each child
// is checked once.
func TestReplayOnlyInASignedInUsersName(t *testing.T) {
	e := newReplayEnv(t, sandbox.Options{}, kiosktest.Quiet())
	p := e.present(t, "9990276579", cpis.SearchQuery{})
	e.rep.Use(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e.link.Start(ctx)
	e.rep.Start(ctx)
	e.rep.Kick()
	if err := e.rep.WaitEmpty(shortCtx(t, 500*time.Millisecond)); err == nil {
		t.Fatal("the queue drained with nobody signed in")
	}
	refused := e.sess
	refused.Token = "expired"
	e.rep.Use(&refused)
	if err := e.rep.WaitEmpty(shortCtx(t, 500*time.Millisecond)); err == nil {
		t.Fatal("the queue drained under a refused session")
	}
	if _, on := e.rep.Checking(); on {
		t.Error("a refused session goes on being used")
	}
	if n := e.sb.NotificationsForTrace(p.Key); n != 0 {
		t.Fatalf("%d notifications before anyone could check", n)
	}
	if dead, _ := e.db.DeadLetterPage(0, 10); len(dead) != 0 {
		t.Errorf("an access denied moved the entry aside: %+v", dead)
	}
	e.rep.Use(&e.sess)
	if err := e.rep.WaitEmpty(ctx); err != nil {
		t.Fatal(err)
	}
	e.rep.Shutdown(ctx)
	e.link.Shutdown(ctx)
	if n := e.sb.NotificationsForTrace(p.Key); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
}

func shortCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// BenchmarkReplay is the replayer's throughput against the sandbox with
// no rate limit and no pacing: trace, the durable intent, the one CP-IS
// query per entry, and the durable Complete.
func BenchmarkReplay(b *testing.B) {
	e := newReplayEnv(b, sandbox.Options{}, kiosktest.Quiet())
	e.rep.PDSInterval = -1
	for i := 0; i < b.N; i++ {
		e.present(b, withAlert[i%len(withAlert)], cpis.SearchQuery{})
	}
	b.ResetTimer()
	start := time.Now()
	e.run(b)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "entries/s")
}

// BenchmarkReplayPlainClient is the baseline: a plain net/http client
// making the same two requests per entry one after another, with no store
// and no checks.
func BenchmarkReplayPlainClient(b *testing.B) {
	e := newReplayEnv(b, sandbox.Options{}, kiosktest.Quiet())
	get := kiosktest.PlainGet(b, e.sb, e.sess.Token)
	pds, cp := e.sb.Bases()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		nhs := withAlert[i%len(withAlert)]
		id := url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|" + nhs)
		// What the replayer sends: the PDS retrieve, then the one CP-IS
		// query, with the published headers only.
		get(pds+"/Patient/"+nhs, map[string]string{"X-Request-ID": uuid.NewString(), "NHSD-Session-URID": e.sess.Role.ID,
			"NHSD-End-User-Organisation-ODS": e.sess.Role.OrgCode})
		get(cp+"/CareTeam?patient:identifier="+id, map[string]string{"TraceID": uuid.NewString(), "IsUnscheduledAccessEvent": "true"})
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "entries/s")
}

// "Plans are judged as they stood when the child presented": a plan that
// ended 400 days before the check, but 300 days before a presentation 100
// days ago, was visible then (guide: "have been one of the above in the
// previous 365 days") and goes to the review list as found; the Spine, which
// no longer shows it, notifies nobody.
func TestReplayJudgesPlansAtPresentation(t *testing.T) {
	e := newReplayEnv(t, sandbox.Options{}, kiosktest.Quiet())
	e.base = time.Now().AddDate(0, 0, -100)
	p := e.present(t, "9990300062", cpis.SearchQuery{})
	e.run(t)
	items, err := e.db.Reviews(true)
	if err != nil || len(items) != 1 || items[0].Kind != cpis.ResultAlert || items[0].P.Key != p.Key ||
		items[0].Alert == nil || len(items[0].Alert.Plans) != 1 {
		t.Fatalf("review items %+v, %v; want the plan visible at presentation", items, err)
	}
	if n := e.sb.NotificationsForTrace(p.Key); n != 0 {
		t.Errorf("%d notifications for a plan CP-IS no longer shows", n)
	}
}

// The checks that wait cover FGM-IS too: after the PDS trace the
// replayer asks FGM-IS as the live check does (a girl under 18 on the day
// she presented; never a boy), in the checking user's name, audited; a flag
// found later puts the child on the review list whatever CP-IS said
// (issue: "a flag found on a later check goes on the review list").
func TestReplayAsksFGMIS(t *testing.T) {
	e := newReplayEnv(t, sandbox.Options{}, kiosktest.Quiet())
	lily := e.present(t, "9990310017", cpis.SearchQuery{}) // a girl with a flag, no CP-IS record
	isla := e.present(t, "9990300011", cpis.SearchQuery{}) // a girl without, with a CPP
	leo := e.present(t, "9990275831", cpis.SearchQuery{})  // a boy
	e.run(t)

	var asked []cpis.NHSNumber
	for _, q := range e.sb.FGMQueries() {
		asked = append(asked, q.NHS)
		if q.UserID != e.sess.User.ID {
			t.Errorf("FGM-IS asked in %s's name, not the checking user's", q.UserID)
		}
	}
	if !slices.Equal(asked, []cpis.NHSNumber{"9990310017", "9990300011"}) {
		t.Errorf("FGM-IS asked about %v, want the two girls only", asked)
	}
	items, err := e.db.Reviews(false)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]store.ReviewItem{}
	for _, it := range items {
		byKey[it.P.Key] = it
	}
	if it, ok := byKey[lily.Key]; !ok || it.FGM == nil || it.FGM.Assessed.IsZero() || it.Kind != cpis.ResultNoAlert {
		t.Errorf("Lily's review item: %+v (on the list: %v), want her FGM-IS flag beside no alert", it, ok)
	}
	if it := byKey[isla.Key]; it.FGM != nil || it.Kind != cpis.ResultAlert {
		t.Errorf("Isla's review item: %+v, want her alert and no flag", it)
	}
	if _, ok := byKey[leo.Key]; !ok {
		t.Error("Leo's alert is not on the review list")
	}
	var results []cpis.Result
	if err := e.db.Events(func(ev store.Event) error {
		if ev.Kind == cpis.EventFGMQuery {
			results = append(results, ev.Result)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(results, []cpis.Result{cpis.ResultFGMFlag, cpis.ResultNoFGMFlag}) {
		t.Errorf("FGM-IS audited as %v", results)
	}
}
