package spine

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

func TestPlansReturnsEveryPlanWithItsAuthority(t *testing.T) {
	e := newEnv(t)
	for _, sp := range e.sb.Patients() {
		if sp.NotOnPDS {
			continue
		}
		got, err := e.client.Plans(ctx(t), e.sess, sp.NHS, Access{})
		if err != nil {
			t.Fatalf("%s: %v", sp.Shows, err)
		}
		if len(got) != len(sp.Plans) {
			t.Fatalf("%s: %d plans, want %d", sp.Shows, len(got), len(sp.Plans))
		}
		for i := range got {
			if got[i] != sp.Plans[i] {
				t.Errorf("%s:\ngot  %+v\nwant %+v", sp.Shows, got[i], sp.Plans[i])
			}
		}
	}
	if n := len(e.sb.Notifications()); n != 0 {
		t.Errorf("silent reads made %d notifications", n)
	}
}

// The guide: visible while current, for 365 days after ending, and an
// unborn-child plan until 28 days after the due date.
func TestPlansVisibility(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		nhs     cpis.NHSNumber
		visible bool
	}{
		{"9990276579", true},  // guide test patient, CPP
		{"9990275831", true},  // guide test patient, LAC
		{"9990300046", true},  // UCPP current
		{"9990300054", true},  // CPP ended 200 days ago
		{"9990300062", false}, // LAC ended 400 days ago
		{"9990300070", true},  // UCPP due 10 days ago
		{"9990300089", false}, // UCPP due 40 days ago
		{"9990300097", true},  // restricted, CPP
		{"9990300100", false}, // no record
		{"9000000009", false}, // no record
	}
	for _, tt := range tests {
		plans, err := e.client.Plans(ctx(t), e.sess, tt.nhs, Access{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(cpis.VisiblePlans(plans, day0)) > 0; got != tt.visible {
			t.Errorf("%s: visible = %v, want %v (%+v)", tt.nhs, got, tt.visible, plans)
		}
	}
}

func TestPlansNoRecordIsNilNil(t *testing.T) {
	e := newEnv(t)
	plans, err := e.client.Plans(ctx(t), e.sess, "9990300100", Access{Unscheduled: true, IdempotencyKey: uuid.NewString()})
	if plans != nil || err != nil {
		t.Fatalf("plans, err = %v, %v", plans, err)
	}
	if n := e.sb.NotificationCount("9990300100"); n != 0 {
		t.Errorf("no record, yet %d notifications", n)
	}
	hist, err := e.client.History(ctx(t), e.sess, "9990300100")
	if hist != nil || err != nil {
		t.Fatalf("history, err = %v, %v", hist, err)
	}
}

func TestUnscheduledNotifiesOncePerKey(t *testing.T) {
	e := newEnv(t)
	nhs := cpis.NHSNumber("9990276579")
	if _, err := e.client.Plans(ctx(t), e.sess, nhs, Access{PresentedAt: day0}); err != nil {
		t.Fatal(err)
	}
	if n := e.sb.NotificationCount(nhs); n != 0 {
		t.Fatalf("silent read notified %d times", n)
	}
	key := uuid.NewString()
	presented := day0.Add(-3 * time.Hour)
	for range 2 {
		if _, err := e.client.Plans(ctx(t), e.sess, nhs, Access{Unscheduled: true, IdempotencyKey: key, PresentedAt: presented}); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sb.NotificationsFor(key); n != 1 {
		t.Fatalf("same key twice: %d notifications, want 1", n)
	}
	if n := e.sb.NotificationCount(nhs); n != 1 {
		t.Fatalf("%d notifications, want 1", n)
	}
	got := e.sb.Notifications()[0]
	want := sandbox.Notification{NHS: nhs, IdempotencyKey: key, PresentedAt: presented, At: day0,
		UserID: sandbox.DemoUser.ID, RoleID: sandbox.DemoUser.Roles[0].ID, OrgCode: "RXX01", LocalAuthority: sandbox.Leeds}
	if !got.PresentedAt.Equal(want.PresentedAt) {
		t.Errorf("presented at %v, want %v", got.PresentedAt, want.PresentedAt)
	}
	got.PresentedAt = want.PresentedAt
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// A new presentation is a new notification.
	if _, err := e.client.Plans(ctx(t), e.sess, nhs, Access{Unscheduled: true, IdempotencyKey: uuid.NewString()}); err != nil {
		t.Fatal(err)
	}
	if n := e.sb.NotificationCount(nhs); n != 2 {
		t.Fatalf("%d notifications, want 2", n)
	}
}

func TestHistoryCappedNewestFirstWithRequester(t *testing.T) {
	e := newEnv(t)
	nhs := cpis.NHSNumber("9990300119") // 30 past accesses
	hist, err := e.client.History(ctx(t), e.sess, nhs)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != cpis.MaxHistory {
		t.Fatalf("%d rows, want %d", len(hist), cpis.MaxHistory)
	}
	for i := 1; i < len(hist); i++ {
		if !hist[i-1].When.After(hist[i].When) {
			t.Fatalf("row %d (%v) not older than row %d (%v)", i, hist[i].When, i-1, hist[i-1].When)
		}
	}
	if hist[0].Who == "" || hist[0].Role == "" || hist[0].Organisation == "" {
		t.Errorf("row without who, role or organisation: %+v", hist[0])
	}
	if n := e.sb.NotificationCount(nhs); n != 0 {
		t.Fatalf("reading history notified %d times", n)
	}

	if _, err := e.client.Plans(ctx(t), e.sess, nhs, Access{Unscheduled: true}); err != nil {
		t.Fatal(err)
	}
	hist, err = e.client.History(ctx(t), e.sess, nhs)
	if err != nil {
		t.Fatal(err)
	}
	want := cpis.Access{When: day0, Who: sandbox.DemoUser.Name, Role: "Staff Nurse", Organisation: "Sandbox General Hospital"}
	if len(hist) != cpis.MaxHistory || hist[0] != want {
		t.Fatalf("%d rows, first %+v; want %d, first %+v", len(hist), hist[0], cpis.MaxHistory, want)
	}
}

// "A repeat query by the same user on the same record within 24 hours is
// listed once (the first)" (spine-interfaces.md).
func TestHistory24HourRule(t *testing.T) {
	e := newEnv(t, func(o *sandbox.Options, _ *Config) { o.TokenTTL = 48 * time.Hour })
	nhs := cpis.NHSNumber("9990300011") // no earlier accesses
	open := func() {
		t.Helper()
		if _, err := e.client.Plans(ctx(t), e.sess, nhs, Access{Unscheduled: true}); err != nil {
			t.Fatal(err)
		}
	}
	count := func() []cpis.Access {
		t.Helper()
		h, err := e.client.History(ctx(t), e.sess, nhs)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	open()
	first := e.clock.Now()
	e.clock.Add(time.Hour)
	open()
	e.clock.Add(22 * time.Hour) // 23 hours after the first
	open()
	if h := count(); len(h) != 1 || !h[0].When.Equal(first) {
		t.Fatalf("within 24 hours: %+v, want the first only", h)
	}
	e.clock.Add(2 * time.Hour) // 25 hours after the first
	open()
	if h := count(); len(h) != 2 {
		t.Fatalf("after 24 hours: %d rows, want 2", len(h))
	}
	if n := e.sb.NotificationCount(nhs); n != 4 {
		t.Errorf("every unscheduled access notifies: %d, want 4", n)
	}
}

func TestHistoryOnBehalf(t *testing.T) {
	e := newEnv(t)
	nhs := cpis.NHSNumber("9990275831")
	if _, err := e.client.Plans(ctx(t), e.sess, nhs, Access{Unscheduled: true, OnBehalfOf: "Sam Patel"}); err != nil {
		t.Fatal(err)
	}
	h, err := e.client.History(ctx(t), e.sess, nhs)
	if err != nil {
		t.Fatal(err)
	}
	if h[0].Who != "Sam Patel"+OnBehalfSuffix || h[0].Organisation != "Sandbox General Hospital" {
		t.Fatalf("first row %+v", h[0])
	}
}

func TestCPISRefusesUnknownRole(t *testing.T) {
	e := newEnv(t)
	_, err := e.client.Plans(ctx(t), Session{Token: e.sess.Token, RoleID: "no-such-role"}, "9990276579", Access{})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown role: %v", err)
	}
}
