package controller

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/store"
	"github.com/nhs-cpis/kiosk/ui"
)

func openTestDB(t *testing.T) *store.DB {
	t.Helper()
	dir := t.TempDir()
	db, err := accountability.OpenStore(filepath.Join(dir, "kiosk.db"), filepath.Join(dir, "keys", "kiosk.key"), kiosktest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// While the Spine is down the nurse records each child; "Recorded" comes
// only once the entry is in the queue.
func TestRecordWhileDownThenReview(t *testing.T) {
	db := openTestDB(t)
	f := newFakeSpine()
	k, v, _ := newTestKiosk(t, f, nurse)
	kicked := 0
	k.UseOffline(db, "Use the paper log.", func() { kicked++ })
	k.Downtime(true, time.Now(), "")

	k.RecordPresentation("999 027 6579", cpis.SearchQuery{})
	rv := waitFor(t, v, "recorded", func(v ui.View) bool { return v.Message != nil && v.Message.Good })
	if rv.Banner.Queued != 1 || rv.Downtime == nil || rv.Downtime.Fallback != "Use the paper log." {
		t.Fatalf("after recording: queued %d downtime %+v", rv.Banner.Queued, rv.Downtime)
	}
	k.RecordPresentation("", cpis.SearchQuery{Family: "Xiong", BirthDate: time.Date(2014, 5, 1, 0, 0, 0, 0, time.UTC), Gender: cpis.Female})
	waitFor(t, v, "the second recording", func(v ui.View) bool { return v.Banner.Queued == 2 })
	rows, err := db.QueuePage(0, 10)
	if err != nil || len(rows) != 2 || rows[0].Kind != "nhs-number" || rows[1].Kind != "demographics" {
		t.Fatalf("queue %+v %v", rows, err)
	}
	if kicked != 2 {
		t.Errorf("the replayer was kicked %d times, want 2", kicked)
	}
	k.RecordPresentation("", cpis.SearchQuery{Family: "Xiong"})
	mv := waitFor(t, v, "a refusal", func(v ui.View) bool { return v.Message != nil && !v.Message.Good })
	if !strings.Contains(mv.Message.Title, "date of birth") {
		t.Errorf("recording without a date of birth: %+v", mv.Message)
	}

	// The queue screen shows no patient details.
	k.ShowQueue()
	qv := waitFor(t, v, "the queue", func(v ui.View) bool { return v.Screen == ui.ScreenQueue && !v.Busy.Active })
	if qv.Screen != ui.ScreenQueue || len(qv.Queue) != 2 || qv.QueueMore != 0 {
		t.Fatalf("queue screen %v rows %d and %d more", qv.Screen, len(qv.Queue), qv.QueueMore)
	}

	// A replay found an alert for the first entry: it goes on the review list.
	head, _, _ := db.Head()
	alert := &cpis.Alert{NHS: "9990276579", Plans: []cpis.Plan{cpp}}
	if err := db.Complete(head.Seq, store.Outcome{Kind: cpis.ResultAlert, Review: true, NHS: "9990276579", Notified: true, Alert: alert}); err != nil {
		t.Fatal(err)
	}
	k.ShowReview()
	rl := waitFor(t, v, "the review list", func(v ui.View) bool { return v.Screen == ui.ScreenReview && !v.Busy.Active })
	if rl.Screen != ui.ScreenReview || len(rl.Reviews) != 1 || !rl.Reviews[0].AlertFound {
		t.Fatalf("review list %+v", rl.Reviews)
	}
	k.OpenReview(rl.Reviews[0].ID)
	d := waitFor(t, v, "the review item", func(v ui.View) bool { return v.Review != nil }).Review
	if d == nil || d.Alert == nil || d.NHS != "9990276579" || !d.CanSignOff {
		t.Fatalf("review item %+v", d)
	}
	k.SignOff(d.Row.ID, "Called Leeds duty social worker")
	sv := waitFor(t, v, "the sign-off", func(v ui.View) bool { return v.Message != nil && !v.Busy.Active })
	if sv.Message == nil || !sv.Message.Good || !sv.Reviews[0].SignedOff || sv.Banner.Review != 0 {
		t.Fatalf("after sign-off: %+v %+v", sv.Message, sv.Reviews)
	}
}

// A long queue is listed a page at a time: the oldest waiting, then the
// oldest moved aside, and a count of the rest.
func TestQueueScreenListsTheOldestAndCountsTheRest(t *testing.T) {
	db := openTestDB(t)
	at := time.Now().Add(-time.Hour)
	n := ui.QueueRowsShown + 5
	for i := range n {
		p := store.Presentation{Key: fmt.Sprintf("key-%d", i), At: at.Add(time.Duration(i) * time.Second),
			Setting: "emergency-department", OrgCode: "RXX01", UserID: "555000000010", NHS: "9990276579"}
		if _, err := db.Enqueue(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, seq := range []uint64{2, 9} {
		if err := db.DeadLetter(seq, "not found on PDS"); err != nil {
			t.Fatal(err)
		}
	}
	k, v, _ := newTestKiosk(t, newFakeSpine(), nurse)
	k.UseOffline(db, "", nil)
	k.ShowQueue()
	qv := waitFor(t, v, "the queue", func(v ui.View) bool { return v.Screen == ui.ScreenQueue && !v.Busy.Active && len(v.Queue) > 0 })
	// 205 presented: 203 wait, of which the oldest 200 are listed, and 2
	// were moved aside.
	if len(qv.Queue) != ui.QueueRowsShown+2 || qv.QueueMore != 3 {
		t.Fatalf("queue screen lists %d rows and %d more; want %d and 3", len(qv.Queue), qv.QueueMore, ui.QueueRowsShown+2)
	}
	waiting, dead := qv.Queue[:ui.QueueRowsShown], qv.Queue[ui.QueueRowsShown:]
	if waiting[0].Seq != 1 || waiting[1].Seq != 3 || waiting[ui.QueueRowsShown-1].Seq != uint64(ui.QueueRowsShown+2) {
		t.Errorf("waiting rows run %d, %d … %d; want the oldest, 1, 3 … %d", waiting[0].Seq, waiting[1].Seq,
			waiting[ui.QueueRowsShown-1].Seq, ui.QueueRowsShown+2)
	}
	if dead[0].Seq != 2 || dead[1].Seq != 9 || !strings.HasPrefix(dead[0].State, "moved aside: not found") {
		t.Errorf("moved-aside rows %+v", dead)
	}
}

// The review list shows alerts, so it needs B0107 (issue: "gated to users
// with B0107").
func TestReviewNeedsB0107(t *testing.T) {
	db := openTestDB(t)
	k, v, _ := newTestKiosk(t, newFakeSpine(), clerk)
	k.UseOffline(db, "", nil)
	k.ShowReview()
	mv := waitFor(t, v, "a refusal", func(v ui.View) bool { return v.Message != nil })
	if !strings.Contains(mv.Message.Title, "B0107") || k.View().Screen == ui.ScreenReview {
		t.Fatalf("clerk on the review list: %+v", mv.Message)
	}
}

// A live open that fails mid-way is recorded with the same key, so a query
// that did reach the Spine is not repeated by the replay.
func TestFailedOpenIsRecordedWithItsKey(t *testing.T) {
	db := openTestDB(t)
	f := newFakeSpine()
	f.patients[child.NHS] = child
	f.plans[child.NHS] = []cpis.Plan{cpp}
	k, v, _ := newTestKiosk(t, f, nurse)
	k.UseOffline(db, "", nil)
	k.TraceNHS("9990276579")
	waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	k.AskOpenAlert()
	f.mu.Lock()
	f.err = &spine.Error{Status: 503, Err: spine.ErrUnavailable}
	f.mu.Unlock()
	k.ConfirmOpenAlert()
	waitFor(t, v, "the failure", func(v ui.View) bool { return v.Message != nil && !v.Busy.Active })
	head, ok, err := db.Head()
	if err != nil || !ok {
		t.Fatalf("nothing queued: %v", err)
	}
	if len(f.opened) != 1 || head.P.Key != f.opened[0] || head.P.NHS != "9990276579" {
		t.Fatalf("queued key %q, the failed open used %+v", head.P.Key, f.opened)
	}
	// The query may have reached CP-IS: the entry carries its intent, so
	// the check later reads the access history before asking again.
	if in := head.P.Intent; in == nil || in.RoleID != nurse.Role.ID || in.At.IsZero() {
		t.Fatalf("the failed check was queued without its intent: %+v", in)
	}
}

// A role without B0107 traces a child it cannot check (guide step 12):
// the child is kept on the list of checks that wait, saying why, under the
// presentation's key and the current NHS number, and nothing is asked of
// CP-IS.
func TestRoleWithoutB0107KeepsTheChild(t *testing.T) {
	db := openTestDB(t)
	f := newFakeSpine()
	f.patients[child.NHS] = child
	k, v, _ := newTestKiosk(t, f, clerk)
	k.UseOffline(db, "", nil)
	k.TraceNHS("9990276579")
	pv := waitFor(t, v, "the patient", func(v ui.View) bool { return v.Screen == ui.ScreenPatient })
	if pv.CanOpen {
		t.Fatal("a role without B0107 is offered the check")
	}
	k.KeepForCheck()
	kv := waitFor(t, v, "kept", func(v ui.View) bool { return v.Message != nil && v.Message.Good })
	if kv.Screen != ui.ScreenEntry || kv.Patient != nil || kv.Banner.Queued != 1 {
		t.Fatalf("after keeping: screen %v patient %v queued %d", kv.Screen, kv.Patient, kv.Banner.Queued)
	}
	head, ok, err := db.Head()
	if err != nil || !ok {
		t.Fatalf("nothing kept: %v", err)
	}
	if p := head.P; p.Why != cpis.WaitNoViewFlag || p.NHS != "9990276579" || p.UserID != clerk.User.ID || p.Key == "" || p.Intent != nil {
		t.Fatalf("kept %+v", p)
	}
	if len(f.opened) != 0 {
		t.Fatalf("CP-IS was asked %d times", len(f.opened))
	}
	k.ShowQueue()
	qv := waitFor(t, v, "the list", func(v ui.View) bool { return v.Screen == ui.ScreenQueue && !v.Busy.Active && len(v.Queue) == 1 })
	if qv.Queue[0].Why != "Needs a role with B0107" {
		t.Errorf("the list says it waits because %q", qv.Queue[0].Why)
	}
}

// What the kiosk records says why each check waits: the Spine down, CP-IS
// alone down, the open that had no answer.
func TestRecordedChecksSayWhyTheyWait(t *testing.T) {
	db := openTestDB(t)
	f := newFakeSpine()
	k, v, _ := newTestKiosk(t, f, nurse)
	k.UseOffline(db, "", nil)
	for i, tc := range []struct {
		service string
		want    cpis.WaitReason
		banner  string
	}{{"", cpis.WaitSpineDown, ""}, {"pds", cpis.WaitSpineDown, ""}, {"cpis", cpis.WaitCPISDown, "CP-IS"}} {
		k.Downtime(true, time.Now(), tc.service)
		k.RecordPresentation("999 027 6579", cpis.SearchQuery{})
		rv := waitFor(t, v, "recorded", func(v ui.View) bool { return v.Banner.Queued == i+1 })
		if rv.Banner.DownService != tc.banner || rv.Downtime == nil || rv.Downtime.Service != tc.banner {
			t.Errorf("%q down: the banner names %q, the panel %+v", tc.service, rv.Banner.DownService, rv.Downtime)
		}
	}
	rows, err := db.QueuePage(0, 10)
	if err != nil || len(rows) != 3 {
		t.Fatalf("rows %+v %v", rows, err)
	}
	for i, want := range []cpis.WaitReason{cpis.WaitSpineDown, cpis.WaitSpineDown, cpis.WaitCPISDown} {
		if rows[i].Why != want {
			t.Errorf("entry %d waits because %q, want %q", i, rows[i].Why, want)
		}
	}
}

// fakeReplayer records in whose name the checks that wait are made.
type fakeReplayer struct {
	mu   sync.Mutex
	sess *check.Session
	uses int
}

func (f *fakeReplayer) Use(s *check.Session) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sess, f.uses = s, f.uses+1
}

func (f *fakeReplayer) Checking() (check.Session, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sess == nil {
		return check.Session{}, false
	}
	return *f.sess, true
}

// The children who wait are offered to a signed-in user with B0264 and
// B0107, and checked in that user's name only once they agree; pausing,
// signing out and a role without B0107 check none (DESIGN.md, "Checks that
// wait": "nothing is checked in nobody's name").
func TestWaitingChecksOfferedAndMadeInTheUsersName(t *testing.T) {
	db := openTestDB(t)
	k, v, _ := newTestKiosk(t, newFakeSpine(), nurse)
	k.UseOffline(db, "", nil)
	rep := &fakeReplayer{}
	k.UseReplayer(rep)
	if k.View().Offer != nil {
		t.Fatal("an offer with nobody waiting")
	}
	k.Downtime(true, time.Now(), "")
	k.RecordPresentation("9990276579", cpis.SearchQuery{})
	waitFor(t, v, "recorded", func(v ui.View) bool { return v.Message != nil && v.Message.Good })
	k.Downtime(false, time.Time{}, "")
	ov := k.View()
	if ov.Offer == nil || ov.Offer.Waiting != 1 || ov.Offer.Checking {
		t.Fatalf("offer %+v, want one child waiting, not yet checking", ov.Offer)
	}
	if _, on := rep.Checking(); on {
		t.Fatal("the checks started before the user agreed")
	}
	k.CheckWaiting()
	if s, on := rep.Checking(); !on || s.User.ID != nurse.User.ID || !k.View().Offer.Checking {
		t.Fatalf("checking %v as %v, offer %+v", on, s.User.ID, k.View().Offer)
	}
	k.PauseWaiting()
	if _, on := rep.Checking(); on {
		t.Fatal("the checks go on after the pause")
	}
	// The replayer stops by itself when it cannot write its record of a
	// check: the user is told, and offered the checks again.
	k.CheckWaiting()
	rep.Use(nil)
	k.WaitingStopped(errors.New("no space left on device"))
	if sv := k.View(); sv.Message == nil || !strings.Contains(sv.Message.Next, "IT service desk") || sv.Offer == nil || sv.Offer.Checking {
		t.Fatalf("after the checks stopped: message %+v offer %+v", sv.Message, sv.Offer)
	}
	k.CheckWaiting()
	k.SignOut(ui.SessionView{Gate: cpis.GateInsertCard})
	if _, on := rep.Checking(); on || k.View().Offer != nil {
		t.Fatal("the checks go on in the name of someone who signed out")
	}

	// A role without B0107 is offered nothing and can start nothing.
	k.SignIn(clerk)
	k.CheckWaiting()
	if _, on := rep.Checking(); on || k.View().Offer != nil {
		t.Fatal("a role without B0107 checks the children who wait")
	}
}

// A waiting child recorded by details whom PDS matched once is shown to
// the checking user, the recorded details beside the national record, and
// the replayer hears their answer; a pause withdraws the question.
func TestWaitingMatchIsConfirmedByTheCheckingUser(t *testing.T) {
	db := openTestDB(t)
	k, v, _ := newTestKiosk(t, newFakeSpine(), nurse)
	k.UseOffline(db, "", nil)
	rep := &fakeReplayer{}
	k.UseReplayer(rep)
	k.Downtime(true, time.Now(), "")
	q := cpis.SearchQuery{Family: "Test", Given: "Amelia", BirthDate: child.BirthDate, Gender: cpis.Female}
	k.RecordPresentation("", q)
	waitFor(t, v, "recorded", func(v ui.View) bool { return v.Message != nil && v.Message.Good })
	k.Downtime(false, time.Time{}, "")
	p, _, err := db.Head()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.ConfirmMatch(k.ctx, p.P, child); err == nil {
		t.Fatal("asked to confirm before the user agreed to check")
	}
	k.CheckWaiting()

	ask := func() chan bool {
		answers := make(chan bool, 1)
		go func() {
			yes, err := k.ConfirmMatch(k.ctx, p.P, child)
			if err != nil {
				close(answers)
				return
			}
			answers <- yes
		}()
		waitFor(t, v, "the question", func(v ui.View) bool { return v.Offer != nil && v.Offer.Confirm })
		return answers
	}
	answers := ask()
	k.ShowMatch()
	mv := k.View()
	if mv.Screen != ui.ScreenMatch || mv.Match == nil || mv.Match.Patient.NHS != child.NHS ||
		mv.Match.Recorded.Family != "Test" || !mv.Match.Presented.Equal(p.P.At) || !strings.Contains(mv.Match.RecordedBy, nurse.User.Name) {
		t.Fatalf("the question on screen: %v %+v", mv.Screen, mv.Match)
	}
	k.AnswerMatch(true)
	if yes, ok := <-answers; !ok || !yes {
		t.Fatalf("the replayer heard %v (answered %v)", yes, ok)
	}
	if av := k.View(); av.Match != nil || av.Screen != ui.ScreenEntry {
		t.Fatalf("after the answer: screen %v match %+v", av.Screen, av.Match)
	}

	answers = ask()
	k.PauseWaiting()
	if _, ok := <-answers; ok {
		t.Fatal("a paused question was answered")
	}
	if k.View().Match != nil {
		t.Fatal("the question stayed on screen after the pause")
	}
}
