package spine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

// Every fault lands in a retryable class, and clearing it brings the
// Spine back on the same address.
func TestFaultsAreRetryable(t *testing.T) {
	tests := []struct {
		fault      sandbox.Fault
		class      error
		retryAfter time.Duration
	}{
		{sandbox.Fault{Mode: sandbox.FaultRefuse}, ErrUnavailable, 0},
		{sandbox.Fault{Mode: sandbox.FaultHang}, ErrUnavailable, 0},
		{sandbox.Fault{Mode: sandbox.FaultHang, Delay: 50 * time.Millisecond}, ErrUnavailable, 0},
		{sandbox.Fault{Mode: sandbox.Fault5xx}, ErrUnavailable, 0},
		{sandbox.Fault{Mode: sandbox.Fault5xx, RetryAfter: 2 * time.Second}, ErrUnavailable, 2 * time.Second},
		{sandbox.Fault{Mode: sandbox.Fault429, RetryAfter: 3 * time.Second}, ErrUnavailable, 3 * time.Second},
		{sandbox.Fault{Mode: sandbox.Fault429}, ErrUnavailable, time.Second},
		{sandbox.Fault{Mode: sandbox.FaultMalformed}, ErrBadResponse, 0},
		{sandbox.Fault{Mode: sandbox.FaultOversized}, ErrBadResponse, 0},
	}
	for _, tt := range tests {
		t.Run(tt.fault.Mode.String(), func(t *testing.T) {
			e := newEnv(t, func(_ *sandbox.Options, c *Config) { c.Timeout = 300 * time.Millisecond })
			url := e.sb.URL()
			e.sb.SetFault(tt.fault)
			start := time.Now()
			calls := map[string]func() error{
				"patient": func() error { _, err := e.client.Patient(context.Background(), e.sess, "9990276579"); return err },
				"plans": func() error {
					_, err := e.client.Plans(context.Background(), e.sess, "9990276579", "")
					return err
				},
				"history": func() error { _, err := e.client.History(context.Background(), e.sess, "9990276579", ""); return err },
			}
			for name, call := range calls {
				err := call()
				if !errors.Is(err, tt.class) || !Retryable(err) {
					t.Errorf("%s: err = %v, want %v and retryable", name, err, tt.class)
				}
				if got := RetryAfter(err); got != tt.retryAfter {
					t.Errorf("%s: RetryAfter = %v, want %v", name, got, tt.retryAfter)
				}
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if n := e.sb.NotificationCount("9990276579"); n != 0 {
				t.Errorf("a failed query notified %d times", n)
			}
			e.sb.SetFault(sandbox.Fault{})
			if e.sb.URL() != url {
				t.Fatalf("moved from %s to %s", url, e.sb.URL())
			}
			if _, err := e.client.Patient(ctx(t), e.sess, "9990276579"); err != nil {
				t.Fatalf("after clearing the fault: %v", err)
			}
		})
	}
}

func TestFaultSlowAnswers(t *testing.T) {
	e := newEnv(t, func(_ *sandbox.Options, c *Config) { c.Timeout = 500 * time.Millisecond })
	e.sb.SetFault(sandbox.Fault{Mode: sandbox.FaultSlow, Delay: 100 * time.Millisecond})
	start := time.Now()
	if _, err := e.client.Patient(ctx(t), e.sess, "9990276579"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("answered in %v, before the delay", d)
	}
	// Slower than the client waits: a timeout.
	e.sb.SetFault(sandbox.Fault{Mode: sandbox.FaultSlow, Delay: time.Second})
	if _, err := e.client.Patient(ctx(t), e.sess, "9990276579"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

func TestFaultRefuseClearsItselfAfterDelay(t *testing.T) {
	e := newEnv(t)
	e.sb.SetFault(sandbox.Fault{Mode: sandbox.FaultRefuse, Delay: 200 * time.Millisecond})
	if _, err := e.client.Patient(ctx(t), e.sess, "9990276579"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	time.Sleep(400 * time.Millisecond)
	if _, err := e.client.Patient(ctx(t), e.sess, "9990276579"); err != nil {
		t.Fatalf("after the delay: %v", err)
	}
}

func TestCancelledIsNotRetryable(t *testing.T) {
	e := newEnv(t)
	e.sb.SetFault(sandbox.Fault{Mode: sandbox.FaultHang})
	c, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := e.client.Patient(c, e.sess, "9990276579")
	if !errors.Is(err, context.Canceled) || Retryable(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(o *sandbox.Options, _ *Config) { o.RateLimit = true })
	var limited error
	for range 2 * sandbox.PDSRateLimit {
		if _, err := e.client.Patient(ctx(t), e.sess, "9990276579"); err != nil {
			limited = err
			break
		}
	}
	if !errors.Is(limited, ErrUnavailable) || RetryAfter(limited) != time.Second {
		t.Fatalf("err = %v, RetryAfter %v", limited, RetryAfter(limited))
	}
	e.sb.SetRateLimit(false)
	if _, err := e.client.Patient(ctx(t), e.sess, "9990276579"); err != nil {
		t.Fatal(err)
	}
}

func TestOtherCAIsCertificateError(t *testing.T) {
	e := newEnv(t)
	other, err := sandbox.New(sandbox.Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	pool, err := LoadCA(other.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pds, cp := e.sb.Bases()
	c, err := New(Config{PDSBase: pds, CPISBase: cp, RootCAs: pool, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Patient(ctx(t), e.sess, "9990276579")
	if !errors.Is(err, ErrCertificate) || !Retryable(err) {
		t.Fatalf("err = %v", err)
	}
}

// A kiosk configured with ca.pem keeps trusting the sandbox after a
// restart: the CA and the server certificate are reused.
func TestCAReusedAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	start := func() *sandbox.Server {
		sb, err := sandbox.New(sandbox.Options{StateDir: dir, Now: func() time.Time { return day0 }})
		if err != nil {
			t.Fatal(err)
		}
		if err := sb.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		return sb
	}
	sb := start()
	ca1, _ := os.ReadFile(sb.CAFile())
	pool, err := LoadCA(sb.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	_ = sb.Close()

	sb = start()
	defer sb.Close()
	ca2, _ := os.ReadFile(sb.CAFile())
	if !bytes.Equal(ca1, ca2) {
		t.Fatal("ca.pem changed across restarts")
	}
	pds, cp := sb.Bases()
	c, err := New(Config{PDSBase: pds, CPISBase: cp, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Patient(ctx(t), demoSession(t, sb, pool, func() time.Time { return day0 }), "9990276579"); err != nil {
		t.Fatalf("the first start's CA no longer verifies: %v", err)
	}
}

func TestNewRefusesInsecureConfig(t *testing.T) {
	e := newEnv(t)
	pool, _ := LoadCA(e.sb.CAFile())
	pds, cp := e.sb.Bases()
	for name, cfg := range map[string]Config{
		"no CA":      {PDSBase: pds, CPISBase: cp},
		"plain http": {PDSBase: "http://127.0.0.1:1/pds", CPISBase: cp, RootCAs: pool},
		"no CP-IS":   {PDSBase: pds, RootCAs: pool},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
