package spine

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

func TestDemoLogin(t *testing.T) {
	e := newEnv(t)
	l := e.login
	if !l.Demo || l.Token == "" || l.User.ID != "555000000001" || l.User.Name != "Demo Nurse (sandbox)" {
		t.Fatalf("login %+v", l)
	}
	if d := time.Until(l.Expires); d < 14*time.Minute || d > 16*time.Minute {
		t.Errorf("expires in %v, want about 15 minutes", d)
	}
	want := cpis.Role{ID: "555000000001-01", OrgCode: "RXX01", OrgName: "Sandbox General Hospital", JobRole: "Staff Nurse",
		Activity: []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag}}
	if len(l.User.Roles) != 1 {
		t.Fatalf("roles %+v", l.User.Roles)
	}
	got := l.User.Roles[0]
	if got.ID != want.ID || got.OrgCode != want.OrgCode || got.OrgName != want.OrgName || got.JobRole != want.JobRole ||
		!slices.Equal(got.Activity, want.Activity) {
		t.Errorf("role %+v, want %+v", got, want)
	}
}

func TestExpiredTokenIsAccessDenied(t *testing.T) {
	e := newEnv(t)
	e.clock.Add(sandbox.DefaultTokenTTL + time.Second)
	// PDS answers 401; CP-IS 403, the only access error its guide lists.
	for name, tt := range map[string]struct {
		call   func() error
		status int
	}{
		"pds":  {func() error { _, err := e.client.Patient(ctx(t), e.sess, "9990276579"); return err }, 401},
		"cpis": {func() error { _, err := e.client.Plans(ctx(t), e.sess, "9990276579", ""); return err }, 403},
	} {
		err := tt.call()
		var se *Error
		if !errors.Is(err, ErrAccessDenied) || Retryable(err) || !errors.As(err, &se) || se.Status != tt.status || se.Code != "ACCESS_DENIED" {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := e.client.Patient(ctx(t), Session{RoleID: e.sess.RoleID}, "9990276579"); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("no token: %v", err)
	}
}

func TestCardLogin(t *testing.T) {
	e := newEnv(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const uid = "555000000777"
	user := cpis.User{Name: "Card Holder (sandbox)", Roles: []cpis.Role{{
		ID: uid + "-01", OrgCode: "RXX01", OrgName: "Sandbox General Hospital", JobRole: "Paramedic",
		Activity: []cpis.ActivityCode{cpis.PerformTrace},
	}}}
	e.sb.RegisterCard(uid, &key.PublicKey, user)

	sign := func(nonce []byte) []byte {
		d := sha256.Sum256(nonce)
		sig, err := ecdsa.SignASN1(rand.Reader, key, d[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	ch, err := e.client.Challenge(ctx(t))
	if err != nil || len(ch.Nonce) == 0 || ch.ID == "" || !ch.Expires.After(time.Now()) {
		t.Fatalf("challenge %+v, %v", ch, err)
	}
	l, err := e.client.CardLogin(ctx(t), uid, ch.ID, sign(ch.Nonce))
	if err != nil {
		t.Fatal(err)
	}
	if l.Demo || l.User.ID != uid || l.User.Name != user.Name || len(l.User.Roles) != 1 {
		t.Fatalf("login %+v", l)
	}
	s := Session{Token: l.Token, RoleID: l.User.Roles[0].ID}
	if _, err := e.client.Patient(ctx(t), s, "9990276579"); err != nil {
		t.Errorf("tracing with the card's token: %v", err)
	}
	// The role has no B0107: CP-IS refuses to read the flag.
	if _, err := e.client.Plans(ctx(t), s, "9990276579", ""); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("reading the flag without B0107: %v", err)
	}

	// A challenge is good once.
	if _, err := e.client.CardLogin(ctx(t), uid, ch.ID, sign(ch.Nonce)); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("challenge reused: %v", err)
	}
	// Another key's signature does not verify.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ch, _ = e.client.Challenge(ctx(t))
	d := sha256.Sum256(ch.Nonce)
	bad, _ := ecdsa.SignASN1(rand.Reader, other, d[:])
	if _, err := e.client.CardLogin(ctx(t), uid, ch.ID, bad); !errors.Is(err, ErrAccessDenied) || Retryable(err) {
		t.Errorf("wrong card: %v", err)
	}
	// An expired challenge is refused.
	ch, _ = e.client.Challenge(ctx(t))
	e.clock.Add(sandbox.ChallengeTTL + time.Second)
	if _, err := e.client.CardLogin(ctx(t), uid, ch.ID, sign(ch.Nonce)); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("expired challenge: %v", err)
	}
}
