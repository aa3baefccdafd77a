package device_test

// The pcscd fixture: a real pcscd with the vsmartcard vpcd driver, which
// the tests reach with scard directly (and not through the code under
// test) to check it is there, to see what it shows, and to restart it.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ebfe/scard"
)

// The vpcd reader the tests use and the address its card side listens on.
const (
	vpcdReader = "Virtual PCD 00 00"
	vpcdAddr   = "127.0.0.1:35963"
)

// wait bounds every wait for an event, only so that a broken test stops
// instead of hanging: pcscd notices insertion after about 0.4 s.
const wait = 15 * time.Second

// needPCSCD fails the test when pcscd with vpcd cannot be reached, unless
// CPIS_NO_PCSCD=1 says this machine has none.
func needPCSCD(t testing.TB) {
	t.Helper()
	err := pcscdReady()
	if err == nil {
		return
	}
	if os.Getenv("CPIS_NO_PCSCD") == "1" {
		t.Skipf("pcscd with vpcd not reachable (%v); skipped as CPIS_NO_PCSCD=1", err)
	}
	t.Fatalf("pcscd with the vpcd reader %q is needed: %v\n"+
		"install pcscd and vsmartcard-vpcd, then start it with `pcscd` (or set CPIS_NO_PCSCD=1 to skip)", vpcdReader, err)
}

func pcscdReady() error {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return err
	}
	defer ctx.Release()
	names, err := ctx.ListReaders()
	if err != nil {
		return err
	}
	if !slices.Contains(names, vpcdReader) {
		return errors.New("readers " + strings.Join(names, ", ") + " do not include " + vpcdReader)
	}
	return nil
}

// waitEmpty waits until pcscd reports the vpcd reader without a card.
func waitEmpty(t testing.TB) {
	t.Helper()
	w, err := watchVPCD()
	if err != nil {
		return // the service is down: nothing to wait for
	}
	defer w.close()
	if err := w.until(false, 200*time.Millisecond); errors.Is(err, errStillSo) {
		t.Errorf("pcscd still shows a card in %s after %v", vpcdReader, wait)
	}
}

// vpcdWatch watches the vpcd reader over a PC/SC context of its own, with
// no Reader in between: what pcscd itself says.
type vpcdWatch struct {
	ctx *scard.Context
	rs  []scard.ReaderState
}

// errStillSo is until's answer when the card did not come or go in time.
var errStillSo = errors.New("the reader did not change in time")

func watchVPCD() (*vpcdWatch, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, err
	}
	return &vpcdWatch{ctx: ctx, rs: []scard.ReaderState{{Reader: vpcdReader, CurrentState: scard.StateUnaware}}}, nil
}

func (w *vpcdWatch) close() { _ = w.ctx.Release() }

// until waits, within wait, for pcscd to show a card in the reader (in) or
// none, asking GetStatusChange with the timeout poll.
func (w *vpcdWatch) until(in bool, poll time.Duration) error {
	flag := scard.StateEmpty
	if in {
		flag = scard.StatePresent
	}
	deadline := time.Now().Add(wait)
	for {
		err := w.ctx.GetStatusChange(w.rs, poll)
		if err != nil && !errors.Is(err, scard.ErrTimeout) {
			return fmt.Errorf("watching %s: %w", vpcdReader, err)
		}
		w.rs[0].CurrentState = w.rs[0].EventState &^ scard.StateChanged
		if w.rs[0].EventState&flag != 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: reader state %#x never had %#x", errStillSo, w.rs[0].EventState, flag)
		}
	}
}

// restartPCSCD stops pcscd (by the pid it wrote) and starts it again.
func restartPCSCD(t *testing.T) {
	t.Helper()
	stopPCSCD(t)
	startPCSCD(t)
}

func stopPCSCD(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile("/run/pcscd/pcscd.pid")
	if err != nil {
		t.Fatalf("reading pcscd's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimRight(string(b), "\x00")))
	if err != nil {
		t.Fatalf("reading pcscd's pid: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("stopping pcscd: %v", err)
	}
	deadline := time.Now().Add(wait)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("pcscd (pid %d) did not stop", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func startPCSCD(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("pcscd").CombinedOutput(); err != nil {
		t.Fatalf("starting pcscd: %v: %s", err, out)
	}
	deadline := time.Now().Add(wait)
	for pcscdReady() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("pcscd did not come back: %v", pcscdReady())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
