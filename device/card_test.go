package device_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/device/vcard"
)

func user(t testing.TB, id string) vcard.User {
	t.Helper()
	u, ok := vcard.Find(id)
	if !ok {
		t.Fatalf("no demo user %s", id)
	}
	return u
}

// direct runs the protocol on a virtual card with no PC/SC in between.
func direct(t testing.TB, id string) (*device.Card, *vcard.Card) {
	vc := vcard.NewCard(user(t, id))
	return device.NewCard(vc, nil), vc
}

// selected is direct with the application selected.
func selected(t testing.TB, id string) (*device.Card, *vcard.Card) {
	t.Helper()
	c, vc := direct(t, id)
	reselect(t, c)
	return c, vc
}

func reselect(t testing.TB, c *device.Card) {
	t.Helper()
	if err := c.Select(); err != nil {
		t.Fatalf("Select: %v", err)
	}
}

func wantAuth(t *testing.T, err error, retries int) {
	t.Helper()
	var ae *device.AuthError
	if !errors.As(err, &ae) || ae.Retries != retries {
		t.Fatalf("Verify(wrong) = %v, want *AuthError with %d tries left", err, retries)
	}
}

// runProtocol is the kiosk's sign-in on a card: select, read the user and
// certificate, verify, sign a challenge and check the signature. It
// returns what went wrong rather than stop the test, as it also runs
// inside Reader.Do, on the reader's goroutine.
func runProtocol(c *device.Card, u vcard.User) error {
	if err := c.Select(); err != nil {
		return fmt.Errorf("Select: %w", err)
	}
	id, err := c.UserID()
	if err != nil || id != u.ID {
		return fmt.Errorf("UserID = %q, %v; want %q", id, err, u.ID)
	}
	cert, err := c.Certificate()
	if err != nil {
		return fmt.Errorf("Certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(u.PublicKey()) {
		return fmt.Errorf("certificate key %T does not equal the user's public key", cert.PublicKey)
	}
	if cert.Subject.CommonName != u.ID {
		return fmt.Errorf("certificate CN = %q, want %q", cert.Subject.CommonName, u.ID)
	}
	challenge := []byte("challenge from the identity service: 0123456789abcdef")
	if _, err := c.Sign(challenge); !errors.Is(err, device.ErrNotVerified) {
		return fmt.Errorf("Sign before Verify = %v, want ErrNotVerified", err)
	}
	if err := c.Verify([]byte(u.Passcode)); err != nil {
		return fmt.Errorf("Verify: %w", err)
	}
	sig, err := c.Sign(challenge)
	if err != nil {
		return fmt.Errorf("Sign: %w", err)
	}
	digest := sha256.Sum256(challenge)
	if !ecdsa.VerifyASN1(u.PublicKey(), digest[:], sig) {
		return errors.New("the signature does not verify over SHA-256(challenge) with the user's key")
	}
	return nil
}

func TestProtocolDirect(t *testing.T) {
	for _, u := range vcard.Users {
		if u.Blocked {
			continue
		}
		t.Run(u.ID, func(t *testing.T) {
			c, _ := direct(t, u.ID)
			if err := runProtocol(c, u); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// 63C2, 63C1, then 6983 (ISO/IEC 7816-4:2013 §11.5.6, §5.6).
func TestWrongPasscodeBlocks(t *testing.T) {
	u := user(t, vcard.DemoUserID)
	c, vc := selected(t, u.ID)
	wantAuth(t, c.Verify([]byte("0000")), 2)
	wantAuth(t, c.Verify([]byte("9999")), 1)
	if err := c.Verify([]byte("1111")); !errors.Is(err, device.ErrBlocked) {
		t.Fatalf("third wrong passcode = %v, want ErrBlocked", err)
	}
	if err := c.Verify([]byte(u.Passcode)); !errors.Is(err, device.ErrBlocked) {
		t.Fatalf("right passcode on a blocked card = %v, want ErrBlocked", err)
	}
	vc.Reset() // taking the card out and in again does not unblock it
	reselect(t, c)
	if err := c.Verify([]byte(u.Passcode)); !errors.Is(err, device.ErrBlocked) {
		t.Fatalf("after reset = %v, want ErrBlocked", err)
	}
}

func TestRightPasscodeResetsCounter(t *testing.T) {
	u := user(t, vcard.DemoUserID)
	c, vc := selected(t, u.ID)
	wantAuth(t, c.Verify([]byte("0000")), 2)
	wantAuth(t, c.Verify([]byte("0001")), 1)
	if err := c.Verify([]byte(u.Passcode)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	wantAuth(t, c.Verify([]byte("0002")), 2)
	// A wrong passcode also ends the verified state.
	if _, err := c.Sign([]byte("x")); !errors.Is(err, device.ErrNotVerified) {
		t.Fatalf("Sign after a wrong passcode = %v, want ErrNotVerified", err)
	}
	if got := vc.TriesLeft(); got != 2 {
		t.Errorf("TriesLeft = %d, want 2", got)
	}
}

func TestPasscodeShape(t *testing.T) {
	c, vc := selected(t, vcard.DemoUserID)
	for _, p := range []string{"", "12", "123456789", "12a4"} {
		if err := c.Verify([]byte(p)); !errors.Is(err, device.ErrWrongData) {
			t.Errorf("Verify(%q) = %v, want ErrWrongData", p, err)
		}
	}
	if got := vc.TriesLeft(); got != vcard.MaxTries {
		t.Errorf("malformed passcodes cost tries: %d left", got)
	}
}

func TestVerifiedStateEndsAtReset(t *testing.T) {
	u := user(t, vcard.DemoUserID)
	c, vc := selected(t, u.ID)
	if err := c.Verify([]byte(u.Passcode)); err != nil {
		t.Fatal(err)
	}
	vc.Reset()
	reselect(t, c)
	if _, err := c.Sign([]byte("x")); !errors.Is(err, device.ErrNotVerified) {
		t.Fatalf("Sign after reset = %v, want ErrNotVerified", err)
	}
}

// "A card already blocked": everything after SELECT answers 6983.
func TestBlockedCardRefusesEverything(t *testing.T) {
	u := user(t, "555000000014")
	if !u.Blocked {
		t.Fatal("Pat Lee's card should be blocked")
	}
	c, _ := selected(t, u.ID)
	_, err1 := c.UserID()
	_, err2 := c.Certificate()
	err3 := c.Verify([]byte(u.Passcode))
	_, err4 := c.Sign([]byte("x"))
	for i, err := range []error{err1, err2, err3, err4} {
		if !errors.Is(err, device.ErrBlocked) {
			t.Errorf("operation %d on a blocked card = %v, want ErrBlocked", i+1, err)
		}
	}
}

func TestNothingSelected(t *testing.T) {
	c, _ := direct(t, vcard.DemoUserID)
	var se *device.StatusError
	if _, err := c.UserID(); !errors.As(err, &se) || se.SW != 0x6985 {
		t.Fatalf("UserID before Select = %v, want status 6985", err)
	}
	if err := c.Verify([]byte("1234")); !errors.As(err, &se) || se.SW != 0x6985 {
		t.Fatalf("Verify before Select = %v, want status 6985", err)
	}
}

// fake is a hand-written card: it answers each command with the next
// scripted response and records what it was sent.
type fake struct {
	answers [][]byte
	sent    [][]byte
	err     error
}

func (f *fake) Transmit(cmd []byte) ([]byte, error) {
	f.sent = append(f.sent, append([]byte(nil), cmd...))
	if f.err != nil {
		return nil, f.err
	}
	if len(f.answers) == 0 {
		return []byte{0x6F, 0x00}, nil
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a, nil
}

func TestUnknownCard(t *testing.T) {
	for _, sw := range [][]byte{{0x6A, 0x82}, {0x6E, 0x00}, {0x6D, 0x00}} {
		c := device.NewCard(&fake{answers: [][]byte{sw}}, nil)
		err := c.Select()
		var se *device.StatusError
		if !errors.Is(err, device.ErrUnknownCard) || !errors.As(err, &se) {
			t.Errorf("Select answered % X = %v, want ErrUnknownCard with the status", sw, err)
		}
	}
}

// 61XX is followed with GET RESPONSE 00 C0 00 00 XX until 9000, and 6CXX
// with the command again with Le XX (ISO/IEC 7816-3 §12.2).
func TestChaining(t *testing.T) {
	u := user(t, vcard.DemoUserID)
	cert := u.Certificate()
	f := &fake{answers: [][]byte{
		{0x6C, 0x10},                       // wrong Le: 16 available
		append(cert[:16:16], 0x61, 0x20),   // 16 bytes, 32 more
		append(cert[16:48:48], 0x61, 0x00), // 32 bytes, 256 or more
		append(cert[48:304:304], 0x61, byte(len(cert)-304)),
		append(append([]byte(nil), cert[304:]...), 0x90, 0x00),
	}}
	got, err := device.NewCard(f, nil).Certificate()
	if err != nil {
		t.Fatalf("Certificate: %v", err)
	}
	if !bytes.Equal(got.Raw, cert) {
		t.Fatal("chained certificate differs")
	}
	want := []string{"00CA010100", "00CA010110", "00C0000020", "00C0000000", fmt.Sprintf("00C00000%02X", len(cert)-304)}
	var sent []string
	for _, s := range f.sent {
		sent = append(sent, fmt.Sprintf("%X", s))
	}
	if strings.Join(sent, " ") != strings.Join(want, " ") {
		t.Errorf("sent %v\nwant %v", sent, want)
	}
}

func TestChainingBounded(t *testing.T) {
	more := append(bytes.Repeat([]byte{0xAA}, 256), 0x61, 0x00)
	f := &fake{}
	for range 100 {
		f.answers = append(f.answers, more)
	}
	if _, err := device.NewCard(f, nil).Certificate(); err == nil {
		t.Fatal("a card that never stops chaining was read to the end")
	}
}

func TestBadAnswers(t *testing.T) {
	tests := []struct {
		name string
		ans  []byte
		op   func(c *device.Card) error
	}{
		{"empty response", []byte{}, func(c *device.Card) error { return c.Select() }},
		{"user id not digits", []byte{'a', 'b', 0x90, 0x00}, func(c *device.Card) error { _, err := c.UserID(); return err }},
		{"user id empty", []byte{0x90, 0x00}, func(c *device.Card) error { _, err := c.UserID(); return err }},
		{"certificate garbage", []byte{0x30, 0x01, 0x90, 0x00}, func(c *device.Card) error { _, err := c.Certificate(); return err }},
		{"signature garbage", []byte{0x01, 0x02, 0x90, 0x00}, func(c *device.Card) error { _, err := c.Sign([]byte("x")); return err }},
	}
	for _, tt := range tests {
		c := device.NewCard(&fake{answers: [][]byte{tt.ans}}, nil)
		if err := tt.op(c); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	removed := device.NewCard(&fake{err: device.ErrCardRemoved}, nil)
	if _, err := removed.UserID(); !errors.Is(err, device.ErrCardRemoved) {
		t.Errorf("transmitter error: %v, want ErrCardRemoved through", err)
	}
}

// "Never log a passcode, an APDU that carries one" (CONVENTIONS.md): with
// every log line at debug, right and wrong passcodes go to the card and
// none of them, in any spelling, reaches a log entry or an error.
func TestPasscodeNeverLogged(t *testing.T) {
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.TraceLevel)
	u := user(t, "555000000013")
	vc := vcard.NewCard(u)
	c := device.NewCard(vc, log)
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	passcodes := []string{"7391", "8462", u.Passcode}
	keep(c.Select())
	for _, p := range passcodes {
		keep(c.Verify([]byte(p)))
	}
	_, err := c.Sign([]byte("challenge"))
	keep(err)
	if len(hook.AllEntries()) == 0 {
		t.Fatal("nothing logged at debug: the test proves nothing")
	}
	checkNoSecrets(t, hook.AllEntries(), errs, passcodes)
}

func checkNoSecrets(t *testing.T, entries []*logrus.Entry, errs []error, secrets []string) {
	t.Helper()
	var texts []string
	for _, e := range entries {
		s, _ := e.String()
		texts = append(texts, s, e.Message, fmt.Sprint(e.Data))
	}
	for _, err := range errs {
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
	}
	for _, p := range secrets {
		forms := []string{p, fmt.Sprintf("%X", p), fmt.Sprintf("%x", p), fmt.Sprintf("% X", p), fmt.Sprintf("% x", p), fmt.Sprint([]byte(p))}
		for _, text := range texts {
			for _, f := range forms {
				if strings.Contains(text, f) {
					t.Errorf("passcode %q (as %q) found in %q", p, f, text)
				}
			}
		}
	}
}
