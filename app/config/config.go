// Package config reads the kiosk's TOML configuration: the care setting, the
// organisation, the folders, the Spine endpoints and the accountability
// settings, each with a default that runs the kiosk on the embedded sandbox.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/nhs-cpis/kiosk/cpis"
)

// Config is the kiosk's TOML configuration. Every field has a default that
// runs the kiosk on the embedded sandbox, so a newcomer needs no file.
type Config struct {
	// CareSetting is exactly one of the seven unscheduled care settings;
	// anything else is refused at start-up.
	CareSetting  string       `toml:"care_setting"`
	Organisation Organisation `toml:"organisation"`
	// DataDir holds the database, the sandbox's state and the logs.
	DataDir string `toml:"data_dir"`
	// KeyDir holds the encryption key, apart from the database.
	KeyDir string `toml:"key_dir"`
	// IdleTimeout wipes the screen when nobody has touched the kiosk.
	IdleTimeout Duration `toml:"idle_timeout"`
	Fullscreen  bool     `toml:"fullscreen"`
	// Reader picks the smartcard reader whose name holds this text: cards in
	// other readers are ignored. Empty: any reader; the session is bound to
	// the reader its card went into.
	Reader string `toml:"reader"`
	// LeadRoles are the job roles or role ids allowed the audit, staff
	// and readiness screens; empty: a role with B0107 whose job role names
	// safeguarding (IsLead). With no configuration file (the sandbox
	// demo), DemoLeadRoles.
	LeadRoles []string `toml:"lead_roles"`
	// OpeningHours is the care setting's hours ("08:00-20:00"), for
	// routine audit's out-of-hours flag; empty: open 24 hours.
	OpeningHours string `toml:"opening_hours"`
	// AuditRetention is how long audit records are kept ("2555d", or days
	// as a number); unset: 2555 days.
	AuditRetention Retention `toml:"audit_retention"`
	// SafeguardingRoute is the local process for raising a concern, shown on
	// every screen: the CP-IS notification is not a referral.
	SafeguardingRoute string `toml:"safeguarding_route"`
	// FallbackProcess is the business-continuity plan's local process while
	// the Spine is down: who to phone, where the paper log is.
	FallbackProcess string `toml:"fallback_process"`
	// BaselineFile is the environment baseline (WES) the IT status checks
	// the PC against; empty: the one built in (packaging/baseline.toml).
	BaselineFile string      `toml:"baseline_file"`
	Spine        SpineConfig `toml:"spine"`
	CIS2         CIS2        `toml:"cis2"`
	Sandbox      Sandbox     `toml:"sandbox"`
}

// CIS2 is the sign-in: NHS CIS2 (OpenID Connect) and the API platform's
// token exchange (docs/SIGNIN.md). Unset with the embedded sandbox, which
// is its own provider.
type CIS2 struct {
	// Issuer is the CIS2 issuer URL; its discovery document names the rest.
	Issuer   string `toml:"issuer"`
	ClientID string `toml:"client_id"`
	// ClientSecretFile holds the CIS2 client secret, when CIS2 issued one
	// (client_secret_post); empty: the kiosk's key signs (private_key_jwt).
	ClientSecretFile string `toml:"client_secret_file"`
	// TokenEndpoint is the API platform's token endpoint, where the ID
	// token is exchanged for the access token PDS and CP-IS accept.
	TokenEndpoint string `toml:"token_endpoint"`
	// APIKey is the API platform application's key.
	APIKey string `toml:"api_key"`
	// RedirectPort is the loopback port of the redirect URI registered
	// with CIS2 (http://127.0.0.1:PORT/callback); 0: any free port.
	RedirectPort int `toml:"redirect_port"`
	// KeyFile is the kiosk's private key (RSA, PEM, mode 0600); empty:
	// cis2-client.pem in key_dir, made at first use.
	KeyFile string `toml:"key_file"`
}

// Organisation is the ODS organisation the kiosk serves.
type Organisation struct {
	ODS  string `toml:"ods"`
	Name string `toml:"name"`
}

// SpineConfig is where the national services are. With PDS empty the kiosk runs
// its embedded sandbox and trusts only the sandbox's own CA.
type SpineConfig struct {
	PDS  string `toml:"pds"`
	CPIS string `toml:"cpis"`
	// FGM is FGM-IS's base, for the Flag search after each trace of a girl.
	FGM     string   `toml:"fgm"`
	CAFile  string   `toml:"ca_file"`
	Timeout Duration `toml:"timeout"`
}

// Sandbox configures the embedded sandbox.
type Sandbox struct {
	Addr string `toml:"addr"`
}

// Embedded reports whether the kiosk runs on its own sandbox.
func (c Config) Embedded() bool { return c.Spine.PDS == "" }

// Duration reads "90s" or "15m" from TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("reading duration %q: %w", b, err)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back as text.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultRoute is the safeguarding text shown until a site sets its own.
const DefaultRoute = "Raise it now with the nurse in charge and the safeguarding team (ext. 4444), or call the local authority's children's services."

// DefaultFallback is the downtime text shown until a site sets its own.
const DefaultFallback = "Use the paper downtime log at the nurses' station. For an urgent safeguarding question, " +
	"phone the child's local authority emergency duty team through switchboard (dial 0)."

// Defaults is the configuration of the embedded sandbox demo, which runs
// when no configuration file is given: synthetic patients on loopback, in
// an emergency department. A configuration file gets no default care
// setting: it must name one (Load).
func Defaults() Config {
	return Config{
		CareSetting:       string(cpis.EmergencyDepartment),
		Organisation:      Organisation{ODS: "RXX01", Name: "Sandbox General Hospital"},
		DataDir:           defaultDataDir(),
		IdleTimeout:       Duration{5 * time.Minute},
		Fullscreen:        true,
		SafeguardingRoute: DefaultRoute,
		FallbackProcess:   DefaultFallback,
		Spine:             SpineConfig{Timeout: Duration{4 * time.Second}},
		Sandbox:           Sandbox{Addr: "127.0.0.1:0"},
	}
}

func defaultDataDir() string {
	if d := os.Getenv("CPIS_DATA_DIR"); d != "" {
		if abs, err := filepath.Abs(d); err == nil {
			return abs
		}
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "cpis-kiosk")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "cpis-kiosk")
	}
	return "cpis-kiosk-data"
}

// DemoLeadRoles are the sandbox demo's leads, so that its demo nurse can
// try the lead's screens; a configuration file sets its own lead_roles or
// takes IsLead's default.
var DemoLeadRoles = []string{"Staff Nurse"}

// ErrConfig means the configuration cannot be used; the message says which
// setting and why.
var ErrConfig = errors.New("configuration error")

// Load reads the TOML file over the defaults (no file: the sandbox demo's
// defaults) and checks it. A care setting outside the seven is refused
// here, at start-up, and so is a file that names none: CP-IS "only applies
// to" the seven unscheduled settings (the guide, "Before we start"), so
// the kiosk may not guess which one it is in. Only with no file at all,
// where the Spine can only be the embedded sandbox and no local authority
// can be told anything, does the demo's setting stand.
func Load(path string) (Config, cpis.Setting, error) {
	c := Defaults()
	if path == "" {
		c.LeadRoles = DemoLeadRoles
	} else {
		md, err := toml.DecodeFile(path, &c)
		if err != nil {
			return c, "", fmt.Errorf("%w: reading %s: %w", ErrConfig, path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return c, "", fmt.Errorf("%w: %s: unknown settings %s", ErrConfig, path, strings.Join(keys, ", "))
		}
		if !md.IsDefined("care_setting") {
			return c, "", fmt.Errorf("%w: %s: %w", ErrConfig, path, &cpis.SettingError{})
		}
	}
	setting, err := cpis.ParseSetting(c.CareSetting)
	if err != nil {
		return c, "", fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.KeyDir == "" {
		c.KeyDir = filepath.Join(c.DataDir, "keys")
	}
	if c.CIS2.KeyFile == "" {
		c.CIS2.KeyFile = filepath.Join(c.KeyDir, "cis2-client.pem")
	}
	if err := errors.Join(c.checkSpine(), c.checkBounds(), c.checkAccountability()); err != nil {
		return c, "", fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c, setting, nil
}

// checkSpine refuses a real Spine without everything its sign-in needs,
// and a sandbox given half of a real sign-in.
func (c Config) checkSpine() error {
	if c.Embedded() {
		if c.CIS2 != (CIS2{KeyFile: c.CIS2.KeyFile}) {
			return errors.New("[cis2] is set but spine.pds is not: set the real Spine's addresses too, or remove [cis2] to use the embedded sandbox")
		}
		return nil
	}
	var errs []error
	if c.Spine.CPIS == "" || c.Spine.FGM == "" {
		errs = append(errs, errors.New("spine.pds is set, so spine.cpis and spine.fgm must be set too"))
	}
	for _, f := range []struct{ name, v string }{{"cis2.issuer", c.CIS2.Issuer}, {"cis2.token_endpoint", c.CIS2.TokenEndpoint}} {
		if !strings.HasPrefix(f.v, "https://") {
			errs = append(errs, fmt.Errorf("%s %q: a real Spine needs its https:// address", f.name, f.v))
		}
	}
	for _, f := range []struct{ name, v string }{{"cis2.client_id", c.CIS2.ClientID}, {"cis2.api_key", c.CIS2.APIKey}} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("%s: a real Spine needs the value NHS England issued at onboarding", f.name))
		}
	}
	if c.CIS2.RedirectPort < 0 || c.CIS2.RedirectPort > 65535 {
		errs = append(errs, fmt.Errorf("cis2.redirect_port %d: use the port registered with CIS2, or 0 for any", c.CIS2.RedirectPort))
	}
	return errors.Join(errs...)
}

// Bounds of the durations: outside them a setting is a mistake, not a
// choice. The idle timeout is the privacy wipe; the Spine timeout is how
// long a nurse waits before the downtime path is offered.
const (
	MinIdleTimeout  = 30 * time.Second
	MaxIdleTimeout  = 30 * time.Minute
	MinSpineTimeout = time.Second
	MaxSpineTimeout = time.Minute
)

// checkBounds refuses durations outside their bounds and folders given
// as relative paths, which would move with the folder the kiosk happens
// to be started from.
func (c Config) checkBounds() error {
	var errs []error
	within := func(name string, d, lo, hi time.Duration) {
		if d < lo || d > hi {
			errs = append(errs, fmt.Errorf("%s %s: use between %s and %s", name, d, short(lo), short(hi)))
		}
	}
	within("idle_timeout", c.IdleTimeout.Duration, MinIdleTimeout, MaxIdleTimeout)
	within("spine.timeout", c.Spine.Timeout.Duration, MinSpineTimeout, MaxSpineTimeout)
	for _, f := range []struct{ name, path string }{{"data_dir", c.DataDir}, {"key_dir", c.KeyDir}, {"cis2.key_file", c.CIS2.KeyFile}} {
		if !filepath.IsAbs(f.path) {
			errs = append(errs, fmt.Errorf("%s %q: use a full path, such as /var/lib/cpis-kiosk", f.name, f.path))
		}
	}
	return errors.Join(errs...)
}

// short writes a bound as people write it: "30s", "30m", "1m".
func short(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return strconv.Itoa(int(d/time.Second)) + "s"
}
