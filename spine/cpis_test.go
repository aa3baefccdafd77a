package spine

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

// The client against the embedded sandbox: what CP-IS does beyond the
// shapes (spine-interfaces.md, "CP-IS behaviour worth copying exactly").

func TestPlansReturnsWhatCPISServes(t *testing.T) {
	e := newEnv(t)
	for _, sp := range e.sb.Patients() {
		if sp.NotOnPDS || sp.SupersededBy != "" {
			continue
		}
		got, err := e.client.Plans(ctx(t), e.sess, sp.NHS, uuid.NewString())
		if err != nil {
			t.Fatalf("%s: %v", sp.Shows, err)
		}
		want := sp.Served(day0)
		if len(got) != len(want) {
			t.Fatalf("%s: %d plans, want %d", sp.Shows, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s:\ngot  %+v\nwant %+v", sp.Shows, got[i], want[i])
			}
		}
	}
}

// The guide: visible while current and for 365 days after ending (the
// kiosk's rule); an unborn-child plan until 28 days after the due date
// (CP-IS's, as only CP-IS holds the due date).
func TestPlansVisibility(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		nhs     cpis.NHSNumber
		visible int
	}{
		{"9990276579", 1}, // guide test patient, CPP
		{"9990275831", 1}, // guide test patient, LAC
		{"9990300046", 1}, // UCPP, due in 60 days
		{"9990300054", 1}, // CPP ended 200 days ago
		{"9990300062", 0}, // LAC ended 400 days ago: returned, not visible
		{"9990300070", 1}, // UCPP due 10 days ago: still returned
		{"9990300089", 0}, // UCPP due 40 days ago: CP-IS no longer returns it
		{"9990300097", 1}, // restricted, CPP
		{"9990300100", 0}, // no record
		{"9000000009", 0}, // no record
		{"9990300143", 2}, // CPP in Leeds, LAC in Manchester
		{"9990300151", 2}, // CPP beside an unrecognised plan
		{"9990300186", 1}, // the current number of a superseded one
	}
	for _, tt := range tests {
		plans, err := e.client.Plans(ctx(t), e.sess, tt.nhs, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := len(cpis.VisiblePlans(plans, day0)); got != tt.visible {
			t.Errorf("%s: %d visible, want %d (%+v)", tt.nhs, got, tt.visible, plans)
		}
	}
	// Past 28 days after the due date CP-IS stops returning the plan, to
	// the day.
	var sophie sandbox.SeedPatient
	for _, p := range e.sb.Patients() {
		if p.NHS == "9990300070" {
			sophie = p
		}
	}
	if len(sophie.Served(sophie.DueDate.AddDate(0, 0, 28))) != 1 || len(sophie.Served(sophie.DueDate.AddDate(0, 0, 29))) != 0 {
		t.Error("the unborn-child plan is not served until exactly 28 days after the due date")
	}
}

func TestPlansNoRecordIsNilNil(t *testing.T) {
	e := newEnv(t)
	plans, err := e.client.Plans(ctx(t), e.sess, "9990300100", uuid.NewString())
	if plans != nil || err != nil {
		t.Fatalf("plans, err = %v, %v", plans, err)
	}
	if n := e.sb.NotificationCount("9990300100"); n != 0 {
		t.Errorf("no record, yet %d notifications", n)
	}
	hist, err := e.client.History(ctx(t), e.sess, "9990300100", uuid.NewString())
	if hist != nil || err != nil {
		t.Fatalf("history, err = %v, %v", hist, err)
	}
}

// Every unscheduled CareTeam query is recorded at the time of the call,
// under the user and role in the token, and notifies every local
// authority with a visible plan: each query, as often as it is made.
func TestUnscheduledQueryNotifiesEachAuthority(t *testing.T) {
	e := newEnv(t, func(o *sandbox.Options, _ *Config) { o.TokenTTL = 48 * time.Hour })
	nhs := cpis.NHSNumber("9990300143") // CPP in Leeds, LAC in Manchester
	trace := uuid.NewString()
	if _, err := e.client.Plans(ctx(t), e.sess, nhs, trace); err != nil {
		t.Fatal(err)
	}
	role := sandbox.DemoUser.Roles[0]
	got := e.sb.NotificationsBy(nhs, sandbox.DemoUser.ID)
	if len(got) != 2 {
		t.Fatalf("%d notifications, want one to each of the two authorities: %+v", len(got), got)
	}
	for i, la := range []cpis.LocalAuthority{sandbox.Leeds, sandbox.Manchester} {
		want := sandbox.Notification{NHS: nhs, At: day0, UserID: sandbox.DemoUser.ID, RoleID: role.ID, OrgCode: role.OrgCode,
			LocalAuthority: la, TraceID: trace}
		if got[i] != want {
			t.Errorf("notification %d:\n got %+v\nwant %+v", i, got[i], want)
		}
	}
	acc := e.sb.Accesses(nhs)
	if len(acc) != 1 || !acc[0].At.Equal(day0) || acc[0].UserID != sandbox.DemoUser.ID || acc[0].RoleID != role.ID || acc[0].Scheduled {
		t.Fatalf("accesses %+v", acc)
	}
	// A second query an hour later is a second access and notifies again:
	// the published API has no idempotency key.
	e.clock.Add(time.Hour)
	if _, err := e.client.Plans(ctx(t), e.sess, nhs, trace); err != nil {
		t.Fatal(err)
	}
	if n := len(e.sb.NotificationsBy(nhs, sandbox.DemoUser.ID)); n != 4 {
		t.Fatalf("%d notifications after two queries, want 4", n)
	}
	if n := e.sb.NotificationsForTrace(trace); n != 4 {
		t.Errorf("the trace id does not de-duplicate: %d, want 4", n)
	}
	if ns := e.sb.Notifications(); !ns[3].At.Equal(day0.Add(time.Hour)) {
		t.Errorf("recorded at %v, not the time of the call", ns[3].At)
	}
	// A record with no visible plan is recorded but notifies no one.
	if _, err := e.client.Plans(ctx(t), e.sess, "9990300062", ""); err != nil {
		t.Fatal(err)
	}
	if n := e.sb.NotificationCount("9990300062"); n != 0 || len(e.sb.Accesses("9990300062")) != 1 {
		t.Errorf("LAC ended 400 days ago: %d notifications, %d accesses", n, len(e.sb.Accesses("9990300062")))
	}
}

func TestHistoryCappedNewestFirstWithRequester(t *testing.T) {
	e := newEnv(t)
	nhs := cpis.NHSNumber("9990300119") // 30 past accesses
	hist, err := e.client.History(ctx(t), e.sess, nhs, "")
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
	for _, h := range hist {
		if h.Who == "" || h.Role == "" || h.Organisation == "" || h.RoleProfileID == "" {
			t.Fatalf("row without who, role, organisation or role profile: %+v", h)
		}
	}
	if n := e.sb.NotificationCount(nhs); n != 0 {
		t.Fatalf("reading history notified %d times", n)
	}

	if _, err := e.client.Plans(ctx(t), e.sess, nhs, ""); err != nil {
		t.Fatal(err)
	}
	hist, err = e.client.History(ctx(t), e.sess, nhs, "")
	if err != nil {
		t.Fatal(err)
	}
	role := sandbox.DemoUser.Roles[0]
	want := cpis.Access{When: day0, Who: sandbox.DemoUser.Name, Role: role.JobRole, Organisation: role.OrgName, RoleProfileID: role.ID}
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
		if _, err := e.client.Plans(ctx(t), e.sess, nhs, ""); err != nil {
			t.Fatal(err)
		}
	}
	rows := func() []cpis.Access {
		t.Helper()
		h, err := e.client.History(ctx(t), e.sess, nhs, "")
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
	if h := rows(); len(h) != 1 || !h[0].When.Equal(first) {
		t.Fatalf("within 24 hours: %+v, want the first only", h)
	}
	e.clock.Add(2 * time.Hour) // 25 hours after the first
	open()
	if h := rows(); len(h) != 2 {
		t.Fatalf("after 24 hours: %d rows, want 2", len(h))
	}
	if n := e.sb.NotificationCount(nhs); n != 4 {
		t.Errorf("every unscheduled access notifies: %d, want 4", n)
	}
}

// "record the access, then drop the answer": the query reached CP-IS, the
// local authority was told, and the kiosk heard nothing. The client says
// so as a retryable failure, and nothing sends the query again: neither
// the client nor net/http's transport, which would resend a GET whose
// kept-alive connection the server closed (it did, here, before the
// CareTeam query went as a request the transport cannot replay).
func TestDropAfterRecord(t *testing.T) {
	e := newEnv(t)
	nhs := cpis.NHSNumber("9990276579")
	e.sb.SetFault(sandbox.Fault{Mode: sandbox.FaultDrop})
	_, err := e.client.Plans(ctx(t), e.sess, nhs, "trace-drop")
	if !errors.Is(err, ErrUnavailable) || !Retryable(err) {
		t.Fatalf("err = %v, want a retryable ErrUnavailable", err)
	}
	if n := e.sb.NotificationsForTrace("trace-drop"); n != 1 {
		t.Errorf("%d notifications, want the one the dropped query made", n)
	}
	if n := len(e.sb.Accesses(nhs)); n != 4 { // three seeded, and this
		t.Errorf("%d accesses, want 4", n)
	}
	e.sb.SetFault(sandbox.Fault{})
	// What the kiosk can learn afterwards: its access is in the history.
	hist, err := e.client.History(ctx(t), e.sess, nhs, "")
	if err != nil || len(hist) == 0 || hist[0].RoleProfileID != sandbox.DemoUser.Roles[0].ID || !hist[0].When.Equal(day0) {
		t.Fatalf("history after the drop: %+v %v", hist, err)
	}
}

// CP-IS takes the user and role from the token: no role header is sent,
// and none is needed.
func TestCPISRoleFromToken(t *testing.T) {
	e := newEnv(t)
	s := Session{Token: e.sess.Token, RoleID: "no-such-role", ODS: "nowhere"}
	if _, err := e.client.Plans(ctx(t), s, "9990276579", ""); err != nil {
		t.Fatalf("a role id the token does not hold: %v", err)
	}
	acc := e.sb.Accesses("9990276579")
	if last := acc[len(acc)-1]; last.RoleID != sandbox.DemoUser.Roles[0].ID {
		t.Errorf("recorded under role %q", last.RoleID)
	}
	if _, err := e.client.Plans(ctx(t), Session{Token: "expired"}, "9990276579", ""); !errors.Is(err, ErrAccessDenied) || Retryable(err) {
		t.Errorf("a bad token: %v", err)
	}
}
