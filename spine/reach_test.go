package spine

import (
	"errors"
	"testing"

	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

// The link's probe needs nobody signed in and records nothing: any HTTP
// answer from each service counts, a refused connection or a gateway's
// 503 does not (issue: "any HTTP answer from the service counts as
// reachable").
func TestReachableNeedsNoSignIn(t *testing.T) {
	e := newEnv(t)
	if err := e.client.Reachable(ctx(t)); err != nil {
		t.Fatalf("the sandbox up: %v", err)
	}
	if n := len(e.sb.Notifications()); n != 0 {
		t.Errorf("probing recorded %d notifications", n)
	}
	for _, f := range []sandbox.Fault{{Mode: sandbox.FaultRefuse}, {Mode: sandbox.Fault5xx}} {
		e.sb.SetFault(f)
		err := e.client.Reachable(ctx(t))
		if !errors.Is(err, ErrUnavailable) || !Retryable(err) {
			t.Errorf("fault %v: %v, want unavailable", f.Mode, err)
		}
	}
	e.sb.SetFault(sandbox.Fault{})
	if err := e.client.Reachable(ctx(t)); err != nil {
		t.Fatalf("the sandbox back: %v", err)
	}
}
