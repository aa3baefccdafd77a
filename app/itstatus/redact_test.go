package itstatus

import (
	"bytes"
	"testing"

	"github.com/nhs-cpis/kiosk/app/config"
)

// Any secret-looking setting is removed on the way into the bundle.
func TestRedactedConfig(t *testing.T) {
	m := map[string]any{"care_setting": "paediatric-ward", "spine": map[string]any{"pds": "https://x", "api_key": "k-123",
		"client_secret": "s-456", "token": "t-789"}, "password": "p-000"}
	scrubSecrets(m)
	sp := m["spine"].(map[string]any)
	if sp["pds"] != "https://x" || sp["api_key"] != "[removed]" || sp["client_secret"] != "[removed]" || sp["token"] != "[removed]" ||
		m["password"] != "[removed]" || m["care_setting"] != "paediatric-ward" {
		t.Errorf("scrubbed: %v", m)
	}
	cfg := config.Defaults()
	cfg.KeyDir = "/etc/cpis-kiosk/keys"
	b, err := redactedConfig(cfg)
	if err != nil || !bytes.Contains(b, []byte(`key_dir = "/etc/cpis-kiosk/keys"`)) {
		t.Errorf("config: %v\n%s", err, b)
	}
}
