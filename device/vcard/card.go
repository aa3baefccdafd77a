package vcard

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"sync"
)

// AID is the kiosk card application's identifier: F0 "CPIS" 01, a
// proprietary AID (ISO/IEC 7816-5, category F).
var AID = []byte{0xF0, 0x43, 0x50, 0x49, 0x53, 0x01}

// atr is the card's answer to reset (ISO/IEC 7816-3 §8.2):
//
//	3B     TS, direct convention
//	84     T0: TD1 follows, 4 historical bytes
//	80     TD1: TD2 follows, protocol T=0
//	01     TD2: nothing follows, protocol T=1
//	43 50 49 53  historical bytes "CPIS" (a first byte other than 00,
//	       10 or 8X marks a proprietary format, ISO/IEC 7816-4 §8.1.1)
//	TCK    check byte: T0 to TCK XOR to zero, present since T=1 is offered
var atr = func() []byte {
	b := []byte{0x3B, 0x84, 0x80, 0x01, 'C', 'P', 'I', 'S'}
	var tck byte
	for _, x := range b[1:] {
		tck ^= x
	}
	return append(b, tck)
}()

// MaxTries is how many wrong passcodes a card takes before it blocks.
const MaxTries = 3

// Status words (ISO/IEC 7816-4:2013 §5.6).
const (
	swOK              = 0x9000
	swWrongLength     = 0x6700
	swNotSatisfied    = 0x6982
	swBlocked         = 0x6983
	swConditions      = 0x6985
	swWrongData       = 0x6A80
	swNotFound        = 0x6A82
	swWrongP1P2       = 0x6A86
	swDataNotFound    = 0x6A88
	swINSNotSupported = 0x6D00
	swCLANotSupported = 0x6E00
)

// Card is one user's virtual card. Its methods are safe for concurrent
// use. Transmit answers command APDUs as the protocol in device/card.go
// says; the passcode counter survives power cycles and reinsertion, the
// verified state does not.
type Card struct {
	mu       sync.Mutex
	user     User
	key      *ecdsa.PrivateKey
	cert     []byte
	tries    int
	blocked  bool
	verified bool
	selected bool
	pending  []byte // response data left for GET RESPONSE
}

// NewCard makes the user's card, blocked when the user is.
func NewCard(u User) *Card {
	return &Card{user: u, key: u.PrivateKey(), cert: u.Certificate(), tries: MaxTries, blocked: u.Blocked}
}

// User is the card's holder.
func (c *Card) User() User { return c.user }

// ATR is the card's answer to reset.
func (c *Card) ATR() []byte { return append([]byte(nil), atr...) }

// TriesLeft is how many wrong passcodes the card will still take.
func (c *Card) TriesLeft() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blocked {
		return 0
	}
	return c.tries
}

// Reset is a warm reset, or power off and on (and insertion): the
// application is deselected and the passcode is no longer verified.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.verified, c.selected, c.pending = false, false, nil
}

// Transmit answers one command APDU with a response APDU. It never fails:
// a malformed command gets a status word, as from a real card.
func (c *Card) Transmit(cmd []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, sw := c.process(cmd)
	out := make([]byte, 0, len(data)+2)
	out = append(out, data...)
	return append(out, byte(sw>>8), byte(sw)), nil
}

// command is a parsed command APDU. ne is the number of response bytes
// expected, 0 when the command has no Le field.
type command struct {
	cla, ins, p1, p2 byte
	data             []byte
	ne               int
}

// parse reads the four cases of ISO/IEC 7816-4:2013 §5.2, short and
// extended. ok is false for a length that fits none (6700).
func parse(b []byte) (cmd command, ok bool) {
	if len(b) < 4 {
		return cmd, false
	}
	cmd.cla, cmd.ins, cmd.p1, cmd.p2 = b[0], b[1], b[2], b[3]
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
		return cmd, true
	case len(body) == 1: // case 2S
		cmd.ne = le(body)
		return cmd, true
	}
	// Lc and Le are one byte each (short), or two after a 00 (extended).
	w := 1
	if body[0] == 0 {
		if len(body) < 3 {
			return cmd, false
		}
		w, body = 2, body[1:]
	}
	if len(body) == w { // case 2E
		cmd.ne = le(body)
		return cmd, true
	}
	nc := field(body[:w])
	if nc == 0 {
		return cmd, false
	}
	switch rest := body[w:]; len(rest) {
	case nc: // case 3S or 3E
		cmd.data = rest
		return cmd, true
	case nc + w: // case 4S or 4E
		cmd.data, cmd.ne = rest[:nc], le(rest[nc:])
		return cmd, true
	}
	return cmd, false
}

// field reads a length field, one byte or two big-endian.
func field(b []byte) int {
	n := 0
	for _, x := range b {
		n = n<<8 | int(x)
	}
	return n
}

// le reads an Le field, where all zeros stands for the most it can ask:
// 256 short, 65536 extended (§5.2).
func le(b []byte) int {
	if n := field(b); n != 0 {
		return n
	}
	return 1 << (8 * len(b))
}

func (c *Card) process(raw []byte) ([]byte, uint16) {
	cmd, ok := parse(raw)
	if !ok {
		c.pending = nil
		return nil, swWrongLength
	}
	if cmd.cla != 0x00 {
		c.pending = nil
		return nil, swCLANotSupported
	}
	if cmd.ins != 0xC0 {
		// Anything but GET RESPONSE ends a chained answer (ISO/IEC 7816-4:2013 §5.3.4).
		c.pending = nil
	}
	switch cmd.ins {
	case 0xA4:
		return c.selectApp(cmd)
	case 0xC0:
		return c.getResponse(cmd)
	case 0xCA:
		return c.getData(cmd)
	case 0x20:
		return c.verify(cmd)
	case 0x88:
		return c.internalAuthenticate(cmd)
	}
	return nil, swINSNotSupported
}

// selectApp is SELECT by DF name (§11.2.2). P2 00 returns the FCI
// template (6F, with the DF name 84), P2 0C nothing.
func (c *Card) selectApp(cmd command) ([]byte, uint16) {
	if cmd.p1 != 0x04 || (cmd.p2 != 0x00 && cmd.p2 != 0x0C) {
		return nil, swWrongP1P2
	}
	if !bytes.Equal(cmd.data, AID) {
		c.selected = false
		return nil, swNotFound
	}
	c.selected = true
	if cmd.p2 == 0x0C {
		return nil, swOK
	}
	fci := append([]byte{0x6F, byte(2 + len(AID)), 0x84, byte(len(AID))}, AID...)
	return c.reply(fci, cmd.ne)
}

// getData is GET DATA (§11.4.3) of tag 0100 (user UUID) or 0101
// (certificate).
func (c *Card) getData(cmd command) ([]byte, uint16) {
	switch {
	case !c.selected:
		return nil, swConditions
	case c.blocked:
		return nil, swBlocked
	case len(cmd.data) != 0:
		return nil, swWrongLength
	}
	switch uint16(cmd.p1)<<8 | uint16(cmd.p2) {
	case 0x0100:
		return c.reply([]byte(c.user.ID), cmd.ne)
	case 0x0101:
		return c.reply(c.cert, cmd.ne)
	}
	return nil, swDataNotFound
}

// getResponse is GET RESPONSE: the next part of a chained answer.
func (c *Card) getResponse(cmd command) ([]byte, uint16) {
	switch {
	case cmd.p1 != 0 || cmd.p2 != 0:
		c.pending = nil
		return nil, swWrongP1P2
	case len(cmd.data) != 0 || cmd.ne == 0:
		c.pending = nil
		return nil, swWrongLength
	case c.pending == nil:
		return nil, swConditions
	}
	rest := c.pending
	c.pending = nil
	return c.reply(rest, cmd.ne)
}

// reply answers data, at most ne bytes of it now and the rest behind 61XX.
func (c *Card) reply(data []byte, ne int) ([]byte, uint16) {
	if ne == 0 {
		ne = 256 // no Le: answer as if 00, as cards do over T=1
	}
	if len(data) <= ne {
		return data, swOK
	}
	c.pending = data[ne:]
	left := len(c.pending)
	if left > 255 {
		left = 0 // 6100: 256 or more
	}
	return data[:ne], 0x6100 | uint16(left)
}

// verify is VERIFY with P2 80, the card's passcode (§11.5.6). Without data
// it reports the state: 9000 verified, 63CX tries left.
func (c *Card) verify(cmd command) ([]byte, uint16) {
	if sw := c.refuse(cmd, 0x00, 0x80); sw != 0 {
		return nil, sw
	}
	switch {
	case cmd.ne != 0:
		return nil, swWrongLength
	case len(cmd.data) == 0:
		if c.verified {
			return nil, swOK
		}
		return nil, 0x63C0 | uint16(c.tries)
	case len(cmd.data) < 4 || len(cmd.data) > 8 || !digits(cmd.data):
		// Not a passcode at all: refused without counting a try.
		return nil, swWrongData
	}
	if subtle.ConstantTimeCompare(cmd.data, []byte(c.user.Passcode)) == 1 {
		c.tries, c.verified = MaxTries, true
		return nil, swOK
	}
	c.verified = false
	c.tries--
	if c.tries <= 0 {
		c.tries, c.blocked = 0, true
		return nil, swBlocked
	}
	return nil, 0x63C0 | uint16(c.tries)
}

// internalAuthenticate is INTERNAL AUTHENTICATE (§11.5.2): the DER ECDSA
// signature of SHA-256(challenge), only after VERIFY.
func (c *Card) internalAuthenticate(cmd command) ([]byte, uint16) {
	if sw := c.refuse(cmd, 0x00, 0x00); sw != 0 {
		return nil, sw
	}
	switch {
	case !c.verified:
		return nil, swNotSatisfied
	case len(cmd.data) == 0:
		return nil, swWrongLength
	}
	digest := sha256.Sum256(cmd.data)
	sig, err := ecdsa.SignASN1(rand.Reader, c.key, digest[:])
	if err != nil {
		return nil, 0x6F00
	}
	return c.reply(sig, cmd.ne)
}

// refuse makes the checks VERIFY and INTERNAL AUTHENTICATE share, in the
// order the card makes them: an application selected, the P1-P2 the
// command defines, a card not blocked. It answers the status word of the
// first that fails, or 0.
func (c *Card) refuse(cmd command, p1, p2 byte) uint16 {
	switch {
	case !c.selected:
		return swConditions
	case cmd.p1 != p1 || cmd.p2 != p2:
		return swWrongP1P2
	case c.blocked:
		return swBlocked
	}
	return 0
}

func digits(b []byte) bool {
	for _, x := range b {
		if x < '0' || x > '9' {
			return false
		}
	}
	return true
}
