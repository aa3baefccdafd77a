package app

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-cpis/kiosk/app/cardsession"
	"github.com/nhs-cpis/kiosk/app/itstatus"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/spine/cis2"
)

// The sandbox's registration of the kiosk, as NHS England's onboarding
// would give a trust: the CIS2 client id and the API platform's key.
const (
	sandboxClientID = "cpis-kiosk-sandbox"
	sandboxAPIKey   = "cpis-kiosk-sandbox-app"
)

// newIdentity is the CIS2 client for the configuration: the real CIS2
// and API platform, or the embedded sandbox's, with the kiosk registered.
func (p *Program) newIdentity() (*cis2.Client, error) {
	c := p.cfg.CIS2
	key, err := cis2.LoadOrCreateKey(c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("reading the kiosk's sign-in key: %w", err)
	}
	cc := cis2.Config{Issuer: c.Issuer, ClientID: c.ClientID, TokenEndpoint: c.TokenEndpoint, APIKey: c.APIKey,
		RedirectPort: c.RedirectPort, Key: key, HTTP: p.https, Log: p.log.WithField("component", "signin")}
	if p.sandbox != nil {
		p.sandbox.RegisterClient(sandboxClientID, "", &key.PublicKey)
		p.sandbox.RegisterApplication(sandboxAPIKey, &key.PublicKey)
		cc.Issuer, cc.ClientID, cc.TokenEndpoint, cc.APIKey = p.sandbox.Issuer(), sandboxClientID, p.sandbox.PlatformTokenURL(), sandboxAPIKey
	}
	if c.ClientSecretFile != "" {
		b, err := os.ReadFile(c.ClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("reading cis2.client_secret_file: %w", err)
		}
		cc.ClientSecret = string(bytes.TrimSpace(b))
	}
	return cis2.New(cc), nil
}

// endpoints are what the IT status probes: PDS, CP-IS, the CIS2 issuer's
// discovery and the API platform's token endpoint.
func (p *Program) endpoints() itstatus.Endpoints {
	if p.sandbox != nil {
		return itstatus.SandboxEndpoints(p.sandbox)
	}
	return itstatus.Endpoints{PDS: p.cfg.Spine.PDS, CPIS: p.cfg.Spine.CPIS, FGM: p.cfg.Spine.FGM, Issuer: p.cfg.CIS2.Issuer, Token: p.cfg.CIS2.TokenEndpoint}
}

// gatekeeper is the session at the kiosk: the system browser to CIS2, or
// with the embedded sandbox its authenticator (the card and the keypad).
func (p *Program) gatekeeper(r *device.Reader, host cardsession.Host) (*cardsession.Gatekeeper, error) {
	id, err := p.identity()
	if err != nil {
		return nil, err
	}
	g := &cardsession.Gatekeeper{Reader: r, Identity: id, ReaderName: p.cfg.Reader, Audit: p.db, Host: host,
		Setting: p.setting, Log: p.log.WithField("component", "session"), Now: time.Now}
	if p.sandbox != nil {
		g.Sandbox = p.https
	} else {
		g.Browser = cis2.SystemBrowser{}
	}
	return g, nil
}

// newSigninCmd is `cpis-kiosk signin key`.
func newSigninCmd() *cobra.Command {
	key := &cobra.Command{
		Use:   "key",
		Short: "Print the kiosk's public key (JWKS) for onboarding",
		Long: `Print the public half of the kiosk's sign-in key as a JSON Web Key Set,
for NHS England's onboarding: the API platform checks the kiosk's signed
client assertions with it, and CIS2 too when no client secret is used.
The private key (cis2.key_file, by default cis2-client.pem in key_dir) is
made the first time it is needed, mode 0600, and never leaves this
computer. The key id (kid) is the key's RFC 7638 thumbprint.`,
		Args: cobra.NoArgs,
		RunE: withEnv(func(cmd *cobra.Command, e env) error {
			key, err := cis2.LoadOrCreateKey(e.cfg.CIS2.KeyFile)
			if err != nil {
				return fmt.Errorf("reading the kiosk's sign-in key: %w", err)
			}
			b, err := cis2.PublicJWKS(&key.PublicKey)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
			return nil
		}),
	}
	return group("signin", "The NHS CIS2 sign-in: the kiosk's key for onboarding", key)
}
