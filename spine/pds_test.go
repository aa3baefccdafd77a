package spine

import (
	"errors"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

func TestPatientEachSeedKind(t *testing.T) {
	e := newEnv(t)
	date := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, sp := range e.sb.Patients() {
		if sp.Family == "SMITH" {
			continue // sixty of one kind; one is enough below
		}
		t.Run(string(sp.NHS), func(t *testing.T) {
			asked := sp.NHS
			if sp.SupersededBy != "" {
				sp = mustSeed(t, e, sp.SupersededBy)
			}
			p, err := e.client.Patient(ctx(t), e.sess, asked)
			if sp.NotOnPDS {
				if !errors.Is(err, ErrNotFound) || Retryable(err) {
					t.Fatalf("err = %v, want ErrNotFound, not retryable", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The sandbox serves every NHS number as verified (01).
			want := cpis.Patient{NHS: sp.NHS, Given: sp.Given, Family: sp.Family, Gender: sp.Gender,
				BirthDate: sp.BirthDate, Postcode: sp.Postcode, Restricted: sp.Restricted, Verified: true}
			if asked != sp.NHS {
				want.Superseded = asked
			}
			if want.Gender == "" {
				want.Gender = cpis.Unknown
			}
			if sp.Restricted {
				want.Postcode = ""
			}
			if p != want {
				t.Errorf("got  %+v\nwant %+v", p, want)
			}
		})
	}
	// The public PDS sandbox's restricted and minimal records and the
	// guide's test patient, spelled out.
	p, err := e.client.Patient(ctx(t), e.sess, "9000000025")
	if err != nil || !p.Restricted || p.Postcode != "" || p.BirthDate != date("2005-06-16") {
		t.Errorf("restricted: %+v %v", p, err)
	}
	p, err = e.client.Patient(ctx(t), e.sess, "9000000033")
	if err != nil || p.Family != "" || !p.BirthDate.IsZero() || p.Gender != cpis.Unknown || p.AgeOn(day0) != -1 {
		t.Errorf("minimal: %+v %v", p, err)
	}
	p, err = e.client.Patient(ctx(t), e.sess, "9990276579")
	if err != nil || p.AgeOn(day0) != 6 {
		t.Errorf("guide test patient: %+v %v", p, err)
	}
}

func TestPatientNotFound(t *testing.T) {
	e := newEnv(t)
	_, err := e.client.Patient(ctx(t), e.sess, "9111231130")
	var se *Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &se) || se.Status != 404 || se.Code != "RESOURCE_NOT_FOUND" {
		t.Fatalf("err = %#v", err)
	}
	if Retryable(err) {
		t.Error("a 404 is not retryable")
	}
}

func TestPatientRefusesMalformedNumberWithoutCalling(t *testing.T) {
	e := newEnv(t)
	_, err := e.client.Patient(ctx(t), e.sess, "1234567890")
	if !errors.Is(err, ErrInvalid) || Retryable(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	var xiong sandbox.SeedPatient
	for _, p := range e.sb.Patients() {
		if p.Family == "XIONG" {
			xiong = p
		}
	}
	tests := []struct {
		name  string
		q     cpis.SearchQuery
		max   int
		want  int
		class error
	}{
		{"single match", cpis.SearchQuery{Family: "xiong", BirthDate: xiong.BirthDate}, 10, 1, nil},
		{"single match with all details", cpis.SearchQuery{Family: "Xiong", Given: "mei", Gender: cpis.Female,
			BirthDate: xiong.BirthDate, Postcode: "ls73qb"}, 10, 1, nil},
		{"no match", cpis.SearchQuery{Family: "Nobody", BirthDate: xiong.BirthDate}, 10, 0, nil},
		{"wrong postcode", cpis.SearchQuery{Family: "Xiong", BirthDate: xiong.BirthDate, Postcode: "ZZ1 1ZZ"}, 10, 0, nil},
		{"60 SMITHs, default max", cpis.SearchQuery{Family: "Smith", BirthDate: day0.AddDate(-sandbox.SmithAge, 0, 0).Truncate(24 * time.Hour)}, 0, 0, ErrTooManyMatches},
		{"30 SMITHs by gender, max 10", cpis.SearchQuery{Family: "Smith", Gender: cpis.Female, BirthDate: day0.AddDate(-sandbox.SmithAge, 0, 0).Truncate(24 * time.Hour)}, 10, 0, ErrTooManyMatches},
		{"one SMITH by postcode", cpis.SearchQuery{Family: "Smith", BirthDate: day0.AddDate(-sandbox.SmithAge, 0, 0).Truncate(24 * time.Hour), Postcode: "LS1 1AA"}, 10, 1, nil},
		{"restricted are not found by postcode", cpis.SearchQuery{Family: "Walsh", BirthDate: mustSeed(t, e, "9990300097").BirthDate, Postcode: "CT1 2EH"}, 10, 0, nil},
		{"restricted found without postcode", cpis.SearchQuery{Family: "Walsh", BirthDate: mustSeed(t, e, "9990300097").BirthDate}, 10, 1, nil},
		{"no family", cpis.SearchQuery{BirthDate: xiong.BirthDate}, 10, 0, ErrInvalid},
		{"no birth date", cpis.SearchQuery{Family: "Xiong"}, 10, 0, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.client.Search(ctx(t), e.sess, tt.q, tt.max)
			if tt.class != nil {
				if !errors.Is(err, tt.class) || Retryable(err) {
					t.Fatalf("err = %v, want %v", err, tt.class)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("%d matches, want %d", len(got), tt.want)
			}
		})
	}
}

func TestSearchWithoutMinimumSendsNothing(t *testing.T) {
	e := newEnv(t)
	e.logs.Reset()
	_, err := e.client.Search(ctx(t), e.sess, cpis.SearchQuery{Family: "Xiong"}, 10)
	var se *Error
	if !errors.As(err, &se) || se.Status != 0 || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	for _, l := range e.logs.AllEntries() {
		if l.Data["component"] == "sandbox" {
			t.Fatalf("the sandbox saw a request: %v", l.Data)
		}
	}
}

func mustSeed(t *testing.T, e *env, nhs cpis.NHSNumber) sandbox.SeedPatient {
	t.Helper()
	for _, p := range e.sb.Patients() {
		if p.NHS == nhs {
			return p
		}
	}
	t.Fatalf("no seed patient %s", nhs)
	return sandbox.SeedPatient{}
}

// The sandbox's superseded number: PDS answers with the current record,
// and the kiosk goes on with the current number, for CP-IS too.
func TestPatientSupersededThenCPIS(t *testing.T) {
	e := newEnv(t)
	p, err := e.client.Patient(ctx(t), e.sess, "9990300178")
	if err != nil {
		t.Fatal(err)
	}
	if p.NHS != "9990300186" || p.Superseded != "9990300178" || p.Family != "REYNOLDS" {
		t.Fatalf("got %+v", p)
	}
	plans, err := e.client.Plans(ctx(t), e.sess, p.NHS, "")
	if err != nil || len(cpis.VisiblePlans(plans, day0)) != 1 {
		t.Fatalf("CP-IS on the current number: %+v %v", plans, err)
	}
	// A search finds the current record, never the superseded number.
	pts, err := e.client.Search(ctx(t), e.sess, cpis.SearchQuery{Family: "Reynolds", BirthDate: p.BirthDate}, 10)
	if err != nil || len(pts) != 1 || pts[0].NHS != "9990300186" || pts[0].Superseded != "" {
		t.Fatalf("search: %+v %v", pts, err)
	}
}

// NHSD-Session-URID is optional; when sent it must be one of the user's
// roles (personal-demographics.yaml).
func TestPDSRoleHeader(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.Patient(ctx(t), Session{Token: e.sess.Token}, "9990276579"); err != nil {
		t.Errorf("without NHSD-Session-URID: %v", err)
	}
	if _, err := e.client.Patient(ctx(t), Session{Token: e.sess.Token, RoleID: "no-such-role"}, "9990276579"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a role that is not the user's: %v", err)
	}
}
