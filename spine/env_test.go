package spine

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/nhs-cpis/kiosk/spine/cis2"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

// day0 is the fixed day the tests run on.
var day0 = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// clock is a sandbox clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a sandbox on a free loopback port and a client that trusts
// exactly its CA, signed in as the demo user.
type env struct {
	sb      *sandbox.Server
	clock   *clock
	client  *Client
	sess    Session
	logs    *logtest.Hook // the client's and the sandbox's log lines
	dir     string
	timeout time.Duration
}

func newEnv(t *testing.T, opts ...func(*sandbox.Options, *Config)) *env {
	t.Helper()
	logger, hook := logtest.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	e := &env{clock: &clock{t: day0}, logs: hook, dir: t.TempDir()}
	so := sandbox.Options{StateDir: e.dir, Now: e.clock.Now, Log: logger}
	cc := Config{Timeout: 2 * time.Second, Log: logger}
	for _, o := range opts {
		o(&so, &cc)
	}
	sb, err := sandbox.New(so)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	e.sb = sb
	pool, err := LoadCA(sb.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	cc.PDSBase, cc.CPISBase = sb.Bases()
	cc.RootCAs = pool
	e.client, err = New(cc)
	if err != nil {
		t.Fatal(err)
	}
	e.timeout = cc.Timeout
	e.sess = demoSession(t, sb, pool, e.clock.Now)
	return e
}

// testKey is the tests' sign-in key, made once: the sandbox's CIS2 and
// API platform know its public half.
var testKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// demoSession signs the sandbox's demo user in as the kiosk does: the
// sandbox's CIS2 through its authenticator (no card), then the API
// platform's token exchange, on the sandbox's clock.
func demoSession(t *testing.T, sb *sandbox.Server, pool *x509.CertPool, now func() time.Time) Session {
	t.Helper()
	key, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	sb.RegisterClient("spine-tests", "", &key.PublicKey)
	sb.RegisterApplication("spine-tests-app", &key.PublicKey)
	https := &http.Client{Transport: Transport(pool), Timeout: 5 * time.Second}
	id := cis2.New(cis2.Config{Issuer: sb.Issuer(), ClientID: "spine-tests", TokenEndpoint: sb.PlatformTokenURL(),
		APIKey: "spine-tests-app", Key: key, HTTP: https, Now: now})
	who, err := id.Authenticate(context.Background(), sandbox.Authenticator{HTTP: https}, cis2.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := id.Exchange(context.Background(), who)
	if err != nil {
		t.Fatal(err)
	}
	r := who.User.Roles[0]
	return Session{Token: a.Token, RoleID: r.ID, ODS: r.OrgCode}
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}
