package cis2

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
)

// SystemBrowser opens the authorization URL in the system browser, as
// RFC 8252 §8.12 would have a native app do.
type SystemBrowser struct {
	// Command is the opener and its leading arguments; the URL is added
	// last. Nil: xdg-open (open on macOS, the URL handler on Windows).
	Command []string
}

var _ UserAgent = SystemBrowser{}

// Open starts the opener and waits for it, not for the browser; the URL is
// an argument, never passed through a shell.
func (b SystemBrowser) Open(ctx context.Context, authURL string) error {
	argv := b.Command
	if len(argv) == 0 {
		argv = defaultOpener()
	}
	args := append(append([]string(nil), argv[1:]...), authURL)
	if err := exec.CommandContext(ctx, argv[0], args...).Run(); err != nil {
		return fmt.Errorf("opening the browser with %s: %w", argv[0], err)
	}
	return nil
}

func defaultOpener() []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{"open"}
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler"}
	}
	return []string{"xdg-open"}
}
