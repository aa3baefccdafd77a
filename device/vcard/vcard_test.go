package vcard

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"net"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
)

func TestUsers(t *testing.T) {
	id12 := regexp.MustCompile(`^[0-9]{12}$`)
	seen := map[string]bool{}
	for _, u := range Users {
		if !id12.MatchString(u.ID) || seen[u.ID] {
			t.Errorf("user id %q: want 12 digits, unique", u.ID)
		}
		seen[u.ID] = true
		if u.Name == "" || len(u.Passcode) < 4 || len(u.Roles) == 0 {
			t.Errorf("user %s: name, passcode or roles missing", u.ID)
		}
		for i, r := range u.Roles {
			if want := u.ID + "-0" + string(rune('1'+i)); r.ID != want {
				t.Errorf("role id %q, want %q", r.ID, want)
			}
		}
		if got, ok := Find(u.ID); !ok || got.ID != u.ID {
			t.Errorf("Find(%s) = %v, %v", u.ID, got.ID, ok)
		}
	}
	if _, ok := Find("555000000999"); ok {
		t.Error("Find found a user that does not exist")
	}
	demo, _ := Find(DemoUserID)
	if demo.Name != "Alex Morgan" || demo.Passcode != "1234" || len(demo.Roles) != 1 ||
		demo.Roles[0].OrgCode != "RXX01" || demo.Roles[0].OrgName != "Sandbox General Hospital" || demo.Roles[0].JobRole != "Staff Nurse" ||
		!demo.Roles[0].Has(cpis.PerformTrace) || !demo.Roles[0].Has(cpis.ViewFlag) {
		t.Errorf("demo user = %+v", demo)
	}
	checks := []struct {
		id     string
		usable bool
		view   bool
	}{
		{"555000000011", true, false},  // clerk: trace only
		{"555000000012", false, false}, // B0170 only: refused
	}
	for _, c := range checks {
		u, _ := Find(c.id)
		r := u.Roles[0]
		if (cpis.UsableHere(r) == nil) != c.usable || (cpis.Permit(r, cpis.ActOpenAlert) == nil) != c.view {
			t.Errorf("%s: usable %v, view %v; want %v, %v", c.id, cpis.UsableHere(r), cpis.Permit(r, cpis.ActOpenAlert), c.usable, c.view)
		}
	}
	if u, _ := Find("555000000012"); !errors.Is(cpis.UsableHere(u.Roles[0]), cpis.ErrSilentReadOnly) {
		t.Error("Jo Evans should be refused as silent read only")
	}
	chris, _ := Find("555000000013")
	if len(chris.Roles) != 2 || chris.Roles[0].OrgCode == chris.Roles[1].OrgCode || chris.Roles[1].OrgName != "Sandbox Children's Hospital" {
		t.Errorf("Chris Taylor's roles = %+v", chris.Roles)
	}
	if pat, _ := Find("555000000014"); !pat.Blocked {
		t.Error("Pat Lee's card should be blocked")
	}
	p := demo.Profile()
	p.Roles[0].Activity[0] = "X"
	if demo.Roles[0].Activity[0] == "X" {
		t.Error("Profile shares its slices with Users")
	}
}

// The derivation is documented so that another process can redo it; this
// redoes it from the comment and pins the demo user's key, so that any
// change to it is deliberate.
func TestDerivedKeys(t *testing.T) {
	for _, u := range Users {
		okm, err := hkdf.Key(sha256.New, []byte(keySeed), nil, "vcard p256 "+u.ID, 40)
		if err != nil {
			t.Fatal(err)
		}
		n := elliptic.P256().Params().N
		d := new(big.Int).Mod(new(big.Int).SetBytes(okm), new(big.Int).Sub(n, big.NewInt(1)))
		d.Add(d, big.NewInt(1))
		priv, err := ecdh.P256().NewPrivateKey(d.FillBytes(make([]byte, 32)))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := u.PublicKey().ECDH()
		if err != nil {
			t.Fatal(err)
		}
		if !pub.Equal(priv.PublicKey()) {
			t.Errorf("%s: the key is not the documented derivation", u.ID)
		}
		if u.PrivateKey() != u.PrivateKey() {
			t.Errorf("%s: PrivateKey not cached", u.ID)
		}
	}
	demo, _ := Find(DemoUserID)
	pub, _ := demo.PublicKey().ECDH()
	const want = "04aa503b355451a1bd6dbb1421dce68d1db88c49055e9f4536a117d4f251343e69c35bde0c8f0a3ff9355de754d36383738a94dd6271eaeed800053c09246c670e"
	if got := hex.EncodeToString(pub.Bytes()); got != want {
		t.Errorf("demo public key changed:\n got %s\nwant %s", got, want)
	}
	a, _ := Find("555000000011")
	if a.PublicKey().Equal(demo.PublicKey()) {
		t.Error("two users share a key")
	}
}

func TestCertificate(t *testing.T) {
	for _, u := range Users {
		der := u.Certificate()
		if !bytes.Equal(der, u.Certificate()) {
			t.Errorf("%s: certificate differs between calls", u.ID)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatalf("%s: %v", u.ID, err)
		}
		if cert.Subject.CommonName != u.ID || !cert.PublicKey.(*ecdsa.PublicKey).Equal(u.PublicKey()) {
			t.Errorf("%s: CN %q or key wrong", u.ID, cert.Subject.CommonName)
		}
		if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
			t.Errorf("%s: not self-signed: %v", u.ID, err)
		}
		if len(der) <= 256 {
			t.Errorf("%s: certificate of %d bytes fits one short response; chaining goes untested", u.ID, len(der))
		}
	}
}

// ISO/IEC 7816-3 §8.2: T=1 offered, so TCK makes T0..TCK XOR to zero.
func TestATR(t *testing.T) {
	a := NewCard(Users[0]).ATR()
	if a[0] != 0x3B || a[1]&0x0F != 4 || !bytes.Equal(a[4:8], []byte("CPIS")) || a[3]&0x0F != 1 {
		t.Errorf("ATR % X", a)
	}
	var x byte
	for _, b := range a[1:] {
		x ^= b
	}
	if x != 0 {
		t.Errorf("ATR % X: TCK wrong", a)
	}
	a[0] = 0
	if NewCard(Users[0]).ATR()[0] != 0x3B {
		t.Error("ATR returns the card's own slice")
	}
}

func TestAIDMatchesDevice(t *testing.T) {
	if !bytes.Equal(AID, device.AID) {
		t.Errorf("vcard AID % X, device AID % X", AID, device.AID)
	}
}

func sw(resp []byte) uint16 { return binary.BigEndian.Uint16(resp[len(resp)-2:]) }

func send(t *testing.T, c *Card, hexCmd string) []byte {
	t.Helper()
	b, err := hex.DecodeString(hexCmd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Transmit(b)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Status words for commands a card must refuse (ISO/IEC 7816-4:2013 §5.6).
func TestCardRefusals(t *testing.T) {
	c := NewCard(Users[0])
	tests := []struct {
		name string
		cmd  string
		sw   uint16
	}{
		{"GET DATA before SELECT", "00CA010000", 0x6985},
		{"VERIFY before SELECT", "002000800431323334", 0x6985},
		{"INTERNAL AUTHENTICATE before SELECT", "008800000101" + "00", 0x6985},
		{"too short", "00CA01", 0x6700},
		{"Lc longer than data", "00A4040006F043", 0x6700},
		{"extended Lc zero", "00CA010000000001", 0x6700},
		{"wrong CLA", "80CA010000", 0x6E00},
		{"unknown INS", "00B0000000", 0x6D00},
		{"SELECT other AID", "00A4040006A0000000030800", 0x6A82},
		{"SELECT by FID", "00A40000023F00", 0x6A86},
		{"GET RESPONSE with nothing pending", "00A4040006F0435049530100", 0x9000},
		{"", "00C0000010", 0x6985},
		{"GET DATA unknown tag", "00CA020000", 0x6A88},
		{"GET DATA with data", "00CA01000101", 0x6700},
		{"VERIFY other reference", "002000010431323334", 0x6A86},
		{"VERIFY status", "0020008000", 0x6700}, // Le where none belongs
		{"VERIFY state query", "00200080", 0x63C3},
		{"INTERNAL AUTHENTICATE before VERIFY", "00880000010100", 0x6982},
		{"INTERNAL AUTHENTICATE wrong P1", "00880100010100", 0x6A86},
		{"GET RESPONSE wrong P1", "00C0010000", 0x6A86},
	}
	for _, tt := range tests {
		if got := sw(send(t, c, tt.cmd)); got != tt.sw {
			t.Errorf("%s (%s): %04X, want %04X", tt.name, tt.cmd, got, tt.sw)
		}
	}
	if got := sw(send(t, c, "002000800431323334")); got != 0x9000 {
		t.Fatalf("VERIFY 1234: %04X", got)
	}
	if got := sw(send(t, c, "00200080")); got != 0x9000 {
		t.Errorf("VERIFY state after verifying: %04X, want 9000", got)
	}
	if got := sw(send(t, c, "00880000")); got != 0x6700 {
		t.Errorf("INTERNAL AUTHENTICATE without challenge: %04X, want 6700", got)
	}
}

// SELECT answers the FCI; P2 0C answers nothing.
func TestSelectFCI(t *testing.T) {
	c := NewCard(Users[0])
	resp := send(t, c, "00A4040006F0435049530100")
	want := append([]byte{0x6F, 0x08, 0x84, 0x06}, AID...)
	if !bytes.Equal(resp, append(want, 0x90, 0x00)) {
		t.Errorf("SELECT = % X", resp)
	}
	if resp := send(t, c, "00A4040C06F04350495301"); !bytes.Equal(resp, []byte{0x90, 0x00}) {
		t.Errorf("SELECT P2 0C = % X", resp)
	}
}

// Short and extended commands, as package device encodes them, are read
// the same way here; extended INTERNAL AUTHENTICATE signs long challenges.
func TestExtendedLength(t *testing.T) {
	u := Users[0]
	c := NewCard(u)
	dc := device.NewCard(c, nil)
	if err := dc.Select(); err != nil {
		t.Fatal(err)
	}
	if err := dc.Verify([]byte(u.Passcode)); err != nil {
		t.Fatal(err)
	}
	challenge := bytes.Repeat([]byte{0x5A}, 1000)
	sig, err := dc.Sign(challenge)
	if err != nil {
		t.Fatalf("Sign(1000 bytes): %v", err)
	}
	digest := sha256.Sum256(challenge)
	if !ecdsa.VerifyASN1(u.PublicKey(), digest[:], sig) {
		t.Error("signature over a long challenge does not verify")
	}
	cmd, _ := device.Command{INS: 0xCA, P1: 0x01, P2: 0x01, Ne: 65536}.Bytes()
	resp, _ := c.Transmit(cmd)
	if sw(resp) != 0x9000 || !bytes.Equal(resp[:len(resp)-2], u.Certificate()) {
		t.Errorf("extended GET DATA: %04X, %d bytes", sw(resp), len(resp)-2)
	}
}

// The card reads every command package device can encode as device meant
// it (ISO/IEC 7816-4:2013 §5.2), and never panics on anything else.
func FuzzCommandFraming(f *testing.F) {
	f.Add(byte(0xCA), []byte{}, 0)
	f.Add(byte(0x20), []byte("1234"), 0)
	f.Add(byte(0x88), bytes.Repeat([]byte{1}, 300), 256)
	f.Add(byte(0xCA), []byte{}, 65536)
	f.Add(byte(0xCA), []byte{1}, 257)
	f.Fuzz(func(t *testing.T, ins byte, data []byte, ne int) {
		if len(data) > 65535 || ne < 0 || ne > 65536 {
			return
		}
		cmd := device.Command{CLA: 0, INS: ins, P1: 1, P2: 2, Data: data, Ne: ne}
		b, err := cmd.Bytes()
		if err != nil {
			t.Fatalf("Bytes: %v", err)
		}
		got, ok := parse(b)
		if !ok || got.ins != ins || got.p1 != 1 || got.p2 != 2 || !bytes.Equal(got.data, data) || got.ne != ne {
			t.Fatalf("parse(% X) = %+v %v; want INS %02X, %d data bytes, Ne %d", b[:min(len(b), 16)], got, ok, ins, len(data), ne)
		}
		// And the card answers anything with a status word.
		resp, _ := NewCard(Users[0]).Transmit(b)
		if len(resp) < 2 {
			t.Fatalf("answer % X without a status word", resp)
		}
		resp, _ = NewCard(Users[0]).Transmit(data)
		if len(resp) < 2 {
			t.Fatalf("answer % X without a status word", resp)
		}
	})
}

// fakeReader plays vpcd's side of the socket.
type fakeReader struct {
	t    *testing.T
	conn net.Conn
}

func (r *fakeReader) send(payload ...byte) {
	r.t.Helper()
	msg := binary.BigEndian.AppendUint16(nil, uint16(len(payload)))
	if _, err := r.conn.Write(append(msg, payload...)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *fakeReader) recv() []byte {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [2]byte
	if _, err := io.ReadFull(r.conn, hdr[:]); err != nil {
		r.t.Fatal(err)
	}
	b := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if _, err := io.ReadFull(r.conn, b); err != nil {
		r.t.Fatal(err)
	}
	return b
}

func listen(t *testing.T) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// The vpcd socket protocol against a fake reader: power, ATR, APDUs,
// removal by cancelling, and a reader that hangs up.
func TestInsertProtocol(t *testing.T) {
	l := listen(t)
	u := Users[0]
	card := NewCard(u)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Insert(ctx, l.Addr().String(), card) }()
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeReader{t: t, conn: conn}
	r.send(ctrlOn)
	r.send(ctrlATR)
	if got := r.recv(); !bytes.Equal(got, card.ATR()) {
		t.Fatalf("ATR % X", got)
	}
	r.send(0x00, 0xA4, 0x04, 0x00, 0x06, 0xF0, 0x43, 0x50, 0x49, 0x53, 0x01, 0x00)
	if got := r.recv(); sw(got) != 0x9000 {
		t.Fatalf("SELECT: % X", got)
	}
	r.send(append([]byte{0x00, 0x20, 0x00, 0x80, 0x04}, u.Passcode...)...)
	if got := r.recv(); sw(got) != 0x9000 {
		t.Fatalf("VERIFY: % X", got)
	}
	r.send(ctrlReset) // no answer; the verified state ends
	r.send(0x00, 0xA4, 0x04, 0x0C, 0x06, 0xF0, 0x43, 0x50, 0x49, 0x53, 0x01)
	if got := r.recv(); sw(got) != 0x9000 {
		t.Fatalf("SELECT after reset: % X", got)
	}
	r.send(0x00, 0x88, 0x00, 0x00, 0x01, 0x01, 0x00)
	if got := r.recv(); sw(got) != 0x6982 {
		t.Fatalf("INTERNAL AUTHENTICATE after reset: % X, want 6982", got)
	}
	r.send(0x07) // an unknown control code is ignored
	r.send(ctrlATR)
	if got := r.recv(); !bytes.Equal(got, card.ATR()) {
		t.Fatalf("ATR after unknown control: % X", got)
	}

	cancel() // removal
	if err := <-done; err != nil {
		t.Fatalf("Insert after cancel = %v, want nil", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection is still open after removal")
	}

	// The reader hangs up.
	go func() { done <- Insert(context.Background(), l.Addr().String(), card) }()
	conn, err = l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if err := <-done; !errors.Is(err, ErrReaderClosed) {
		t.Fatalf("Insert with the reader gone = %v, want ErrReaderClosed", err)
	}
}

func TestInsertNoReader(t *testing.T) {
	l := listen(t)
	addr := l.Addr().String()
	l.Close()
	if err := Insert(context.Background(), addr, NewCard(Users[0])); err == nil || errors.Is(err, ErrReaderClosed) {
		t.Fatalf("Insert with nothing listening = %v", err)
	}
}

// Run puts the card back when the reader hangs up (pcscd restarted), and
// ends without error when its context does.
func TestRunReinserts(t *testing.T) {
	l := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, "555000000011", l.Addr().String(), nil) }()
	var atrs [][]byte
	for range 2 {
		conn, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		r := &fakeReader{t: t, conn: conn}
		r.send(ctrlATR)
		atrs = append(atrs, r.recv())
		conn.Close()
	}
	if !slices.EqualFunc(atrs[:1], atrs[1:], bytes.Equal) {
		t.Errorf("ATRs differ: % X", atrs)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not end with its context")
	}
	if err := Run(context.Background(), "000000000000", "", nil); err == nil {
		t.Error("Run with an unknown user succeeded")
	}
}

// Tries survive reinsertion; the verified state does not.
func TestCardStateAcrossReset(t *testing.T) {
	u := Users[0]
	c := NewCard(u)
	send(t, c, "00A4040006F0435049530100")
	if got := sw(send(t, c, "002000800430303030")); got != 0x63C2 {
		t.Fatalf("wrong passcode: %04X", got)
	}
	c.Reset()
	send(t, c, "00A4040006F0435049530100")
	if got := sw(send(t, c, "00200080")); got != 0x63C2 {
		t.Errorf("tries after reset: %04X, want 63C2", got)
	}
	if c.TriesLeft() != 2 || c.User().ID != u.ID {
		t.Errorf("TriesLeft %d, User %s", c.TriesLeft(), c.User().ID)
	}
}
