package cardsession_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/nhs-cpis/kiosk/app/cardsession"
	"github.com/nhs-cpis/kiosk/app/internal/kiosktest"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/cis2"
)

func TestMain(m *testing.M) {
	// CIS2 offers the nationalrbacaccess scope; mockoidc refuses any scope
	// it does not list, so it is taught this one.
	mockoidc.ScopesSupported = append(mockoidc.ScopesSupported, "nationalrbacaccess")
	os.Exit(m.Run())
}

// cis2User is a member of staff at an OpenID provider this project did
// not write, with the claims CIS2 gives (spine-interfaces.md, "NHS CIS2").
type cis2User struct {
	uid   string
	codes []string
}

type cis2Claims struct {
	*mockoidc.IDTokenClaims
	UserUID  string           `json:"nhsid_useruid"`
	Name     string           `json:"name"`
	Selected string           `json:"selected_roleid"`
	Roles    []map[string]any `json:"nhsid_nrbac_roles"`
	Orgs     []map[string]any `json:"nhsid_user_orgs"`
	AuthTime int64            `json:"auth_time"`
}

func (u cis2User) ID() string                        { return u.uid }
func (u cis2User) Userinfo([]string) ([]byte, error) { return []byte(`{"sub":"` + u.uid + `"}`), nil }
func (u cis2User) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	role := u.uid + "-01"
	return &cis2Claims{IDTokenClaims: base, UserUID: u.uid, Name: "Sam TESTER", Selected: role,
		Roles:    []map[string]any{{"person_roleid": role, "org_code": "RXX01", "role_name": "Staff Nurse", "activity_codes": u.codes}},
		Orgs:     []map[string]any{{"org_code": "RXX01", "org_name": "Sandbox General Hospital"}},
		AuthTime: time.Now().Unix()}, nil
}

// anotherProvider is mockoidc as the CIS2 the kiosk signs in with, and
// the sandbox's API platform trusting it for the token exchange: the
// kiosk speaks standard OpenID Connect to a provider it was not written
// with.
func anotherProvider(t *testing.T) (*mockoidc.MockOIDC, *cis2.Client, *spine.Client) {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	sb, client, _ := kiosktest.StartSandbox(t)
	sb.TrustIssuer(m.Issuer(), m.ClientID, http.DefaultClient)
	_, https := kiosktest.IdentityFor(t, sb) // the sandbox's CA
	key, err := cis2.LoadOrCreateKey(kiosktest.KeyFile(t))
	if err != nil {
		t.Fatal(err)
	}
	sb.RegisterApplication("kiosk-app", &key.PublicKey)
	id := cis2.New(cis2.Config{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret,
		TokenEndpoint: sb.PlatformTokenURL(), APIKey: "kiosk-app", Key: key, HTTP: https})
	return m, id, client
}

// With a provider this project did not write: any card in starts the
// sign-in in the browser; a nurse with B0264 and B0107 is signed in with
// an API token PDS accepts, and a role with neither (here B0360 alone) is
// refused with B0264 named and nothing signed in (the guide: B0264 to
// trace, B0107 to view the alert; the kiosk enforces both).
func TestSignInThroughAnotherProvider(t *testing.T) {
	m, id, client := anotherProvider(t)
	browser := followingBrowser{http: http.DefaultClient}

	h, r := newHost(), newReaders()
	g := &cardsession.Gatekeeper{Reader: r, Identity: id, Browser: browser, Host: h}
	start(t, g)
	m.QueueUser(cis2User{uid: "555000000077", codes: []string{"B0264", "B0107"}})
	r.insert(t, "test", "555000000011") // any card: its holder is whoever signs in
	s := receive(t, h.sessions, "sign-in")
	if s.User.ID != "555000000077" || s.Role.OrgName != "Sandbox General Hospital" || s.Token == "" {
		t.Fatalf("signed in %+v", s)
	}
	if _, err := client.Patient(context.Background(), spine.Session{Token: s.Token, RoleID: s.Role.ID, ODS: s.Role.OrgCode}, "9990276579"); err != nil {
		t.Fatalf("PDS with the exchanged token: %v", err)
	}
	r.pull("test")
	h.until(t, cpis.GateInsertCard)

	m.QueueUser(cis2User{uid: "555000000078", codes: []string{"B0360"}})
	h.drain()
	r.insert(t, "test", "555000000011")
	refused := h.until(t, cpis.GateRefused)
	var perm *cpis.PermissionError
	if !errors.As(refused.problem, &perm) || perm.Missing != cpis.PerformTrace {
		t.Fatalf("a role without B0264: told %v, want the missing code", refused.problem)
	}
	select {
	case s := <-h.sessions:
		t.Fatalf("a role without B0264 was signed in: %+v", s)
	default:
	}
}

// A provider that does not answer: a plain message and back to "insert
// your card", nothing half signed in.
func TestSignInProviderDown(t *testing.T) {
	m, id, _ := anotherProvider(t)
	if err := m.Shutdown(); err != nil {
		t.Fatal(err)
	}
	h, r := newHost(), newReaders()
	g := &cardsession.Gatekeeper{Reader: r, Identity: id, Browser: followingBrowser{http: http.DefaultClient}, Host: h}
	start(t, g)
	r.insert(t, "test", "555000000011")
	s := h.until(t, cpis.GateInsertCard)
	for s.problem == nil {
		s = h.until(t, cpis.GateInsertCard)
	}
	if !errors.Is(s.problem, cis2.ErrUnreachable) {
		t.Fatalf("told %v, want the provider unreachable", s.problem)
	}
	h.quiet(t, "after the provider did not answer")
}

// The lock screen with CIS2: the same user signs in again (prompt=login)
// and is back in their role; someone else signing in ends the locked
// session first, and is told so.
func TestUnlockSignsInAgain(t *testing.T) {
	m, id, _ := anotherProvider(t)
	h, r := newHost(), newReaders()
	g := &cardsession.Gatekeeper{Reader: r, Identity: id, Browser: followingBrowser{http: http.DefaultClient}, Host: h}
	start(t, g)
	nurse := cis2User{uid: "555000000077", codes: []string{"B0264", "B0107"}}
	m.QueueUser(nurse)
	r.insert(t, "test", "555000000011")
	first := receive(t, h.sessions, "sign-in")

	g.Lock()
	h.until(t, cpis.GateLocked)
	m.QueueUser(nurse)
	g.Unlock()
	again := receive(t, h.sessions, "unlock")
	if again.User.ID != first.User.ID || again.Role.ID != first.Role.ID || again.Token == first.Token {
		t.Fatalf("unlocked as %+v after %+v: want the same user and role, a new token", again, first)
	}

	g.Lock()
	h.until(t, cpis.GateLocked)
	before := h.signOuts.Load()
	m.QueueUser(cis2User{uid: "555000000079", codes: []string{"B0264", "B0107"}})
	g.Unlock()
	other := receive(t, h.sessions, "the other user's sign-in")
	if other.User.ID != "555000000079" || h.signOuts.Load() != before+1 {
		t.Fatalf("signed in %s with %d sign-outs: want the locked session ended first", other.User.ID, h.signOuts.Load()-before)
	}
}
