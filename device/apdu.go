package device

import (
	"errors"
	"fmt"
)

// Errors about the reader and the card's presence. They come from the PC/SC
// loop, not from the card, and are sentinels for errors.Is.
var (
	// ErrServiceDown means the PC/SC service (pcscd, or the Windows Smart
	// Card service) is not running or cannot be reached. The reader keeps
	// trying every second; IT must start the service.
	ErrServiceDown = errors.New("the smartcard service is not running")
	// ErrNoReader means no smartcard reader is connected, or none whose name
	// matches the configured one.
	ErrNoReader = errors.New("no smartcard reader is connected")
	// ErrNoCard means a reader is connected but holds no card.
	ErrNoCard = errors.New("no smartcard in the reader")
	// ErrCardRemoved means the card was taken out (or reset by someone
	// else) while it was in use: whatever it had verified is gone, and the
	// session that relied on it must end.
	ErrCardRemoved = errors.New("the smartcard was removed")
	// ErrCardInUse means another program holds the card exclusively.
	ErrCardInUse = errors.New("the smartcard is in use by another program")
)

// Errors from status words (ISO/IEC 7816-4:2013 §5.6, tables 5 and 6). A
// *StatusError unwraps to one of them when its status word has a meaning the
// kiosk acts on.
var (
	// ErrBlocked is status word 6983, "authentication method blocked": the
	// passcode has been entered wrongly too many times (or the card was
	// blocked by the registration authority), and only the registration
	// authority can unlock it.
	ErrBlocked = errors.New("the smartcard is blocked")
	// ErrNotVerified is status word 6982, "security status not satisfied":
	// the command needs the passcode verified first.
	ErrNotVerified = errors.New("the passcode has not been verified")
	// ErrWrongData is status word 6A80, "incorrect parameters in the
	// command data field": the card refused what was sent (a passcode of
	// the wrong shape, say) without counting it as a try.
	ErrWrongData = errors.New("the smartcard refused the data sent")
)

// AuthError is a passcode the card did not accept: status word 63CX, "the
// counter provided by X" (ISO/IEC 7816-4:2013 §5.6, table 6), where X is the
// number of tries left, or 6300, "no information given", where the card
// does not say (Retries is then -1).
type AuthError struct {
	Retries int
}

func (e *AuthError) Error() string {
	switch e.Retries {
	case -1:
		return "wrong passcode"
	case 1:
		return "wrong passcode, 1 try left"
	}
	return fmt.Sprintf("wrong passcode, %d tries left", e.Retries)
}

// StatusError is a response whose status word is not 9000. It unwraps to
// ErrBlocked, ErrNotVerified, ErrWrongData or an *AuthError when the status
// word means one of them.
type StatusError struct {
	SW uint16
}

func (e *StatusError) Error() string {
	if m := swMeaning(e.SW); m != "" {
		return fmt.Sprintf("card status %04X: %s", e.SW, m)
	}
	return fmt.Sprintf("card status %04X", e.SW)
}

// Unwrap gives the typed error for the status word, or nil.
func (e *StatusError) Unwrap() error {
	switch {
	case e.SW == 0x6983:
		return ErrBlocked
	case e.SW == 0x6982:
		return ErrNotVerified
	case e.SW == 0x6A80:
		return ErrWrongData
	case e.SW == 0x6300:
		return &AuthError{Retries: -1}
	case e.SW&0xFFF0 == 0x63C0:
		return &AuthError{Retries: int(e.SW & 0x0F)}
	}
	return nil
}

// swMeaning names the status words ISO/IEC 7816-4:2013 §5.6 defines that a
// card is likely to send, for log lines and IT.
func swMeaning(sw uint16) string {
	for _, m := range swMeanings {
		if sw&m.mask == m.sw {
			return m.meaning
		}
	}
	return ""
}

// Masks for swMeanings: the whole status word, SW1 with any SW2, and SW1
// with the high nibble of SW2 (63CX, the counter in the low one).
const (
	swExact   = 0xFFFF
	swAnySW2  = 0xFF00
	swCounter = 0xFFF0
)

// swMeanings are ISO/IEC 7816-4:2013 §5.6, tables 5 and 6, the first match
// winning: a status word the standard names comes before its SW1's group.
var swMeanings = []struct {
	sw, mask uint16
	meaning  string
}{
	{0x9000, swExact, "no further qualification"},
	{0x6100, swAnySW2, "more response data available (GET RESPONSE)"},
	{0x6300, swExact, "verification failed"},
	{0x63C0, swCounter, "verification failed, counter in SW2"},
	{0x6200, swAnySW2, "warning"},
	{0x6300, swAnySW2, "warning"},
	{0x6400, swAnySW2, "execution error"},
	{0x6500, swAnySW2, "execution error"},
	{0x6700, swExact, "wrong length"},
	{0x6800, swAnySW2, "function in CLA not supported"},
	{0x6982, swExact, "security status not satisfied"},
	{0x6983, swExact, "authentication method blocked"},
	{0x6984, swExact, "reference data not usable"},
	{0x6985, swExact, "conditions of use not satisfied"},
	{0x6986, swExact, "command not allowed (no current EF)"},
	{0x6900, swAnySW2, "command not allowed"},
	{0x6A80, swExact, "incorrect parameters in the command data field"},
	{0x6A81, swExact, "function not supported"},
	{0x6A82, swExact, "file or application not found"},
	{0x6A86, swExact, "incorrect parameters P1-P2"},
	{0x6A88, swExact, "referenced data not found"},
	{0x6A00, swAnySW2, "wrong parameters P1-P2"},
	{0x6B00, swExact, "wrong parameters P1-P2"},
	{0x6C00, swAnySW2, "wrong Le field, SW2 gives the exact length"},
	{0x6D00, swExact, "instruction code not supported or invalid"},
	{0x6E00, swExact, "class not supported"},
	{0x6F00, swExact, "no precise diagnosis"},
}

// Length limits of ISO/IEC 7816-4:2013 §5.2: a short field carries up to
// 255 command bytes and asks for up to 256 response bytes; an extended one
// up to 65535 and 65536.
const (
	MaxShortData     = 255
	MaxShortExpected = 256
	MaxExtData       = 65535
	MaxExtExpected   = 65536
)

// Command is a command APDU (ISO/IEC 7816-4:2013 §5.1): a four-byte header,
// an optional data field and the number of response bytes expected.
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	// Ne is the maximum number of response data bytes expected: 0 for none
	// (no Le field), 1 to 256 in short form (256 is written 00), up to
	// 65536 in extended form.
	Ne int
}

// Bytes encodes the command in short form when its data and Ne fit, in
// extended form otherwise (ISO/IEC 7816-4:2013 §5.2, the four cases):
//
//	case 1   CLA INS P1 P2
//	case 2S  CLA INS P1 P2 Le                  Le 00 means 256
//	case 3S  CLA INS P1 P2 Lc Data
//	case 4S  CLA INS P1 P2 Lc Data Le
//	case 2E  CLA INS P1 P2 00 Le1 Le2          Le 0000 means 65536
//	case 3E  CLA INS P1 P2 00 Lc1 Lc2 Data
//	case 4E  CLA INS P1 P2 00 Lc1 Lc2 Data Le1 Le2
func (c Command) Bytes() ([]byte, error) {
	nc := len(c.Data)
	if nc > MaxExtData {
		return nil, fmt.Errorf("encoding command %02X: %d data bytes, at most %d fit", c.INS, nc, MaxExtData)
	}
	if c.Ne < 0 || c.Ne > MaxExtExpected {
		return nil, fmt.Errorf("encoding command %02X: Ne %d out of range 0..%d", c.INS, c.Ne, MaxExtExpected)
	}
	out := make([]byte, 0, 4+3+nc+3)
	out = append(out, c.CLA, c.INS, c.P1, c.P2)
	if nc <= MaxShortData && c.Ne <= MaxShortExpected {
		if nc > 0 {
			out = append(out, byte(nc))
			out = append(out, c.Data...)
		}
		if c.Ne > 0 {
			out = append(out, byte(c.Ne)) // 256 wraps to 00, as the standard writes it
		}
		return out, nil
	}
	out = append(out, 0x00)
	if nc > 0 {
		out = append(out, byte(nc>>8), byte(nc))
		out = append(out, c.Data...)
	}
	if c.Ne > 0 {
		out = append(out, byte(c.Ne>>8), byte(c.Ne)) // 65536 wraps to 0000
	}
	return out, nil
}

// Response is a response APDU (ISO/IEC 7816-4:2013 §5.1): the data field
// and the two status bytes.
type Response struct {
	Data     []byte
	SW1, SW2 byte
}

// SW is the status word SW1-SW2.
func (r Response) SW() uint16 { return uint16(r.SW1)<<8 | uint16(r.SW2) }

// Err is nil for 9000 and a *StatusError for any other status word,
// including 61XX (more data) and the 62XX/63XX warnings.
func (r Response) Err() error {
	if r.SW() == 0x9000 {
		return nil
	}
	return &StatusError{SW: r.SW()}
}

// ParseResponse splits a response APDU into its data and status bytes. The
// data is copied, so the caller may wipe b. It refuses fewer than two bytes
// (no status word) and more than an extended response can carry.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, fmt.Errorf("parsing response: %d bytes, a response ends with two status bytes", len(b))
	}
	if len(b) > MaxExtExpected+2 {
		return Response{}, fmt.Errorf("parsing response: %d bytes, more than an extended response holds", len(b))
	}
	n := len(b) - 2
	r := Response{SW1: b[n], SW2: b[n+1]}
	if n > 0 {
		r.Data = append([]byte(nil), b[:n]...)
	}
	if r.SW1>>4 != 0x6 && r.SW1>>4 != 0x9 {
		// ISO/IEC 7816-4:2013 §5.6: SW1 is 6X (but not 60) or 9X.
		return Response{}, fmt.Errorf("parsing response: status byte SW1 %02X is neither 6X nor 9X", r.SW1)
	}
	if r.SW1 == 0x60 {
		return Response{}, fmt.Errorf("parsing response: status byte SW1 60 is a T=0 procedure byte, not a status")
	}
	return r, nil
}
