package cis2_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/spine/cis2"
)

// The URL reaches the opener as one argument, untouched by a shell.
func TestSystemBrowser(t *testing.T) {
	out := filepath.Join(t.TempDir(), "url")
	b := cis2.SystemBrowser{Command: []string{"sh", "-c", `printf %s "$1" > "$0"`, out}}
	u := "https://cis2.example/authorize?state=a&scope=openid%20profile;echo x"
	if err := b.Open(ctxFor(t, 5*time.Second), u); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil || string(got) != u {
		t.Errorf("opener got %q (%v), want %q", got, err, u)
	}
	if err := (cis2.SystemBrowser{Command: []string{"false"}}).Open(ctxFor(t, 5*time.Second), u); err == nil {
		t.Error("a failing opener gave no error")
	}
}
