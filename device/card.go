package device

// The kiosk's card protocol. An NHS smartcard here is an ISO/IEC 7816-4
// application holding the user's UUID, an X.509 certificate and an ECDSA
// P-256 key that signs only after the passcode is verified. Sections are
// those of ISO/IEC 7816-4:2013 (the 2005 edition has the commands in
// clause 7).
//
// Application identifier: F0 43 50 49 53 01 ("CPIS", version 1). The first
// byte's high nibble F makes it a proprietary AID (ISO/IEC 7816-5,
// category F), which needs no registration.
//
//	SELECT               00 A4 04 00 06 F0 43 50 49 53 01 00        §11.2.2
//	    select by DF name (P1 04), first occurrence, return FCI (P2 00)
//	    9000 selected; 6A82 not this kind of card
//	GET DATA user UUID   00 CA 01 00 00                             §11.4.3
//	    tag 0100 in P1-P2: the user's UUID as ASCII digits, 9000
//	GET DATA certificate 00 CA 01 01 00                             §11.4.3
//	    tag 0101: the DER X.509 certificate for the card's key. It does not
//	    fit one short response: the card sends a part and 61XX, and the
//	    reader sends GET RESPONSE until 9000.
//	GET RESPONSE         00 C0 00 00 XX                             §11.7.1
//	    the next XX bytes (00 = 256); 61XX again while more remain. This
//	    is the T=0 convention of ISO/IEC 7816-3 §12.2, used whatever the
//	    transmission protocol. A 6CXX answer ("wrong Le, XX available")
//	    is met by sending the same command again with Le XX.
//	VERIFY               00 20 00 80 Lc passcode                    §11.5.6
//	    P2 80: specific reference data (the card's passcode). 9000
//	    verified; 63CX wrong, X tries left; 6983 blocked. Verification
//	    lasts until the card is reset or powered off.
//	INTERNAL AUTHENTICATE 00 88 00 00 Lc challenge 00               §11.5.2
//	    the card signs SHA-256(challenge) with its P-256 key and answers
//	    the ASN.1 DER ECDSA signature (SEQUENCE { r, s }). 6982 before
//	    VERIFY; 6983 when blocked.
//
// Status words are those of §5.6; see StatusError. The passcode only ever
// travels in the VERIFY data field: the command bytes are wiped once sent,
// and nothing of any APDU's data is logged, only INS and SW.

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/sirupsen/logrus"
)

// AID is the kiosk card application's identifier: F0 "CPIS" 01, a
// proprietary AID (ISO/IEC 7816-5, category F). The protocol is described
// at the top of card.go.
var AID = []byte{0xF0, 0x43, 0x50, 0x49, 0x53, 0x01}

// Instruction bytes (ISO/IEC 7816-4:2013 §5.5, table 4).
const (
	insSelect       = 0xA4
	insGetData      = 0xCA
	insGetResponse  = 0xC0
	insVerify       = 0x20
	insInternalAuth = 0x88
)

// Data object tags read with GET DATA (P1-P2, §11.4.3), proprietary to
// this application.
const (
	tagUserID      = 0x0100
	tagCertificate = 0x0101
)

// maxChained bounds what GET RESPONSE chaining will collect, so that a card
// that never ends its 61XX answers cannot make the kiosk allocate forever.
const maxChained = 16 << 10

// ErrUnknownCard means the card in the reader does not hold the kiosk's
// application (SELECT answered 6A82): a bank card, say, or another
// organisation's card.
var ErrUnknownCard = errors.New("the card is not a smartcard this kiosk can use")

// transmitter sends one command APDU and returns the response APDU. The
// PC/SC card handle behind Reader.Do implements it (pcscCard); vcard.Card
// implements it directly.
type transmitter interface {
	Transmit(cmd []byte) ([]byte, error)
}

// Card speaks the kiosk's card protocol over a transmitter. A Card handed
// out by Reader.Do is valid only inside the function it is given to.
type Card struct {
	t   transmitter
	log logrus.FieldLogger
}

// NewCard runs the protocol over t: any value with a method
// Transmit(cmd []byte) ([]byte, error), such as a *vcard.Card, for tests
// and demos without a reader. A nil log discards.
func NewCard(t transmitter, log logrus.FieldLogger) *Card {
	if log == nil {
		log = discard()
	}
	return &Card{t: t, log: log}
}

// Select selects the kiosk's application by its AID (§11.2.2).
func (c *Card) Select() error {
	_, err := c.exchange(Command{CLA: 0x00, INS: insSelect, P1: 0x04, P2: 0x00, Data: AID, Ne: MaxShortExpected})
	var se *StatusError
	if errors.As(err, &se) && (se.SW == 0x6A82 || se.SW == 0x6A86 || se.SW == 0x6D00 || se.SW == 0x6E00) {
		return fmt.Errorf("selecting application: %w (%w)", ErrUnknownCard, err)
	}
	if err != nil {
		return fmt.Errorf("selecting application: %w", err)
	}
	return nil
}

// UserID reads the user's UUID (GET DATA, tag 0100, §11.4.3): ASCII
// digits, 12 on an NHS card.
func (c *Card) UserID() (string, error) {
	data, err := c.getData(tagUserID)
	if err != nil {
		return "", fmt.Errorf("reading user id: %w", err)
	}
	if len(data) == 0 || len(data) > 32 {
		return "", fmt.Errorf("reading user id: the card sent %d bytes, not a user id", len(data))
	}
	for _, b := range data {
		if b < '0' || b > '9' {
			return "", errors.New("reading user id: the card sent something other than digits")
		}
	}
	return string(data), nil
}

// Certificate reads the card's X.509 certificate (GET DATA, tag 0101,
// §11.4.3), collected over GET RESPONSE.
func (c *Card) Certificate() (*x509.Certificate, error) {
	der, err := c.getData(tagCertificate)
	if err != nil {
		return nil, fmt.Errorf("reading certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("reading certificate: %w", err)
	}
	return cert, nil
}

// Verify presents the passcode (VERIFY, §11.5.6). A wrong one is an
// *AuthError with the tries left; a blocked card ErrBlocked. The passcode
// is neither logged nor kept: the command bytes holding it are wiped once
// sent, and the caller should wipe its own copy.
func (c *Card) Verify(passcode []byte) error {
	if len(passcode) == 0 {
		// An empty VERIFY asks the card for its state (§11.5.6); it is not
		// a passcode, and must not pass for one.
		return fmt.Errorf("verifying passcode: %w", ErrWrongData)
	}
	if len(passcode) > MaxShortData {
		return fmt.Errorf("verifying passcode: %w", ErrWrongData)
	}
	_, err := c.exchange(Command{CLA: 0x00, INS: insVerify, P1: 0x00, P2: 0x80, Data: passcode})
	if err != nil {
		return fmt.Errorf("verifying passcode: %w", err)
	}
	return nil
}

// Sign has the card sign SHA-256(challenge) with its key (INTERNAL
// AUTHENTICATE, §11.5.2) and returns the ASN.1 DER ECDSA signature, for
// ecdsa.VerifyASN1. Before Verify it is ErrNotVerified.
func (c *Card) Sign(challenge []byte) ([]byte, error) {
	if len(challenge) == 0 || len(challenge) > MaxExtData {
		return nil, fmt.Errorf("signing challenge: %d bytes, want 1 to %d", len(challenge), MaxExtData)
	}
	sig, err := c.exchange(Command{CLA: 0x00, INS: insInternalAuth, P1: 0x00, P2: 0x00, Data: challenge, Ne: MaxShortExpected})
	if err != nil {
		return nil, fmt.Errorf("signing challenge: %w", err)
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) != 0 || rs.R == nil || rs.S == nil || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 {
		return nil, errors.New("signing challenge: the card's answer is not an ECDSA signature")
	}
	return sig, nil
}

func (c *Card) getData(tag uint16) ([]byte, error) {
	return c.exchange(Command{CLA: 0x00, INS: insGetData, P1: byte(tag >> 8), P2: byte(tag), Ne: MaxShortExpected})
}

// exchange sends cmd and returns the response data, following 61XX with
// GET RESPONSE and 6CXX with the command again (ISO/IEC 7816-3 §12.2).
// Any status word but 9000 at the end is a *StatusError.
func (c *Card) exchange(cmd Command) ([]byte, error) {
	resp, err := c.send(cmd)
	if err != nil {
		return nil, err
	}
	if resp.SW1 == 0x6C {
		cmd.Ne = int(resp.SW2)
		if cmd.Ne == 0 {
			cmd.Ne = MaxShortExpected
		}
		if resp, err = c.send(cmd); err != nil {
			return nil, err
		}
	}
	data := resp.Data
	for resp.SW1 == 0x61 {
		ne := int(resp.SW2)
		if ne == 0 {
			ne = MaxShortExpected
		}
		if resp, err = c.send(Command{CLA: cmd.CLA, INS: insGetResponse, Ne: ne}); err != nil {
			return nil, err
		}
		data = append(data, resp.Data...)
		if len(data) > maxChained {
			return nil, fmt.Errorf("reading chained response: more than %d bytes", maxChained)
		}
	}
	if err := resp.Err(); err != nil {
		return nil, err
	}
	return data, nil
}

// send transmits one command. It logs INS and SW at debug, never data; the
// encoded command is wiped afterwards, since for VERIFY it holds the
// passcode.
func (c *Card) send(cmd Command) (Response, error) {
	b, err := cmd.Bytes()
	if err != nil {
		return Response{}, err
	}
	raw, err := c.t.Transmit(b)
	clear(b)
	if err != nil {
		c.log.WithField("ins", fmt.Sprintf("%02X", cmd.INS)).WithError(err).Debug("apdu not sent")
		return Response{}, fmt.Errorf("transmitting command %02X: %w", cmd.INS, err)
	}
	resp, err := ParseResponse(raw)
	if err != nil {
		c.log.WithField("ins", fmt.Sprintf("%02X", cmd.INS)).Debug("apdu answer malformed")
		return Response{}, fmt.Errorf("reading answer to command %02X: %w", cmd.INS, err)
	}
	c.log.WithFields(logrus.Fields{"ins": fmt.Sprintf("%02X", cmd.INS), "sw": fmt.Sprintf("%04X", resp.SW())}).Debug("apdu")
	return resp, nil
}

func discard() logrus.FieldLogger {
	l := logrus.New()
	l.Out = io.Discard
	return l
}
