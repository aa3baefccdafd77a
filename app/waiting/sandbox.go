package waiting

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/cardsession"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/cis2"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

// The drill's registration with its sandbox, as onboarding would give it.
const (
	drillClientID = "cpis-kiosk-drill"
	drillAPIKey   = "cpis-kiosk-drill-app"
)

// Sandbox is where a sandbox's services are, for the drill and its child
// process: PDS, CP-IS, the CIS2 issuer, the API platform's token
// endpoint, the CA to trust, and the key the drill signs in with.
type Sandbox struct {
	PDS, CPIS, FGM, Issuer, Token, CAFile, KeyFile string
}

// SandboxOf registers the drill as a client of a running sandbox, with
// the key in keyFile (made when missing), and says where it all is.
func SandboxOf(sb *sandbox.Server, keyFile string) (Sandbox, error) {
	key, err := cis2.LoadOrCreateKey(keyFile)
	if err != nil {
		return Sandbox{}, fmt.Errorf("making the drill's sign-in key: %w", err)
	}
	sb.RegisterClient(drillClientID, "", &key.PublicKey)
	sb.RegisterApplication(drillAPIKey, &key.PublicKey)
	w := Sandbox{FGM: sb.FGMBase(), Issuer: sb.Issuer(), Token: sb.PlatformTokenURL(), CAFile: sb.CAFile(), KeyFile: keyFile}
	w.PDS, w.CPIS = sb.Bases()
	return w, nil
}

// Args are the command-line flags that hand the sandbox to a child.
func (w Sandbox) Args() []string {
	return []string{"--pds", w.PDS, "--cpis", w.CPIS, "--fgm", w.FGM, "--issuer", w.Issuer, "--token", w.Token, "--ca", w.CAFile, "--key", w.KeyFile}
}

// Connect is a Spine client for the sandbox, trusting only its CA, and
// its demo user signed in through CIS2: nothing is checked in nobody's
// name.
func (w Sandbox) Connect(ctx context.Context, log logrus.FieldLogger) (*spine.Client, check.Session, error) {
	pool, err := spine.LoadCA(w.CAFile)
	if err != nil {
		return nil, check.Session{}, err
	}
	c, err := spine.New(spine.Config{PDSBase: w.PDS, CPISBase: w.CPIS, FGMBase: w.FGM, RootCAs: pool, Timeout: 4 * time.Second, Log: log})
	if err != nil {
		return nil, check.Session{}, fmt.Errorf("preparing the Spine client: %w", err)
	}
	id, https, err := w.Identity(log)
	if err != nil {
		return nil, check.Session{}, err
	}
	sess, err := cardsession.DemoSignIn(ctx, id, https)
	if err != nil {
		return nil, check.Session{}, err
	}
	return c, sess, nil
}

// Identity is the sign-in client for the sandbox's CIS2 and API platform,
// as the drill is registered, and the HTTP client that trusts its CA.
func (w Sandbox) Identity(log logrus.FieldLogger) (*cis2.Client, *http.Client, error) {
	pool, err := spine.LoadCA(w.CAFile)
	if err != nil {
		return nil, nil, err
	}
	key, err := cis2.LoadOrCreateKey(w.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the drill's sign-in key: %w", err)
	}
	https := &http.Client{Transport: spine.Transport(pool), Timeout: 4 * time.Second}
	return cis2.New(cis2.Config{Issuer: w.Issuer, ClientID: drillClientID, TokenEndpoint: w.Token, APIKey: drillAPIKey,
		Key: key, HTTP: https, Log: log}), https, nil
}
