package device

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// ISO/IEC 7816-4:2013 §5.2: the four cases, short and extended.
func TestCommandBytes(t *testing.T) {
	hdr := []byte{0x00, 0xCA, 0x01, 0x00}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		cmd  Command
		want []byte
	}{
		{"case 1", Command{INS: 0xCA, P1: 1}, hdr},
		{"case 2S Le 1", Command{INS: 0xCA, P1: 1, Ne: 1}, cat(hdr, []byte{0x01})},
		{"case 2S Le 255", Command{INS: 0xCA, P1: 1, Ne: 255}, cat(hdr, []byte{0xFF})},
		{"case 2S Le 256 is 00", Command{INS: 0xCA, P1: 1, Ne: 256}, cat(hdr, []byte{0x00})},
		{"case 3S", Command{INS: 0xCA, P1: 1, Data: []byte{0xAA, 0xBB}}, cat(hdr, []byte{0x02, 0xAA, 0xBB})},
		{"case 3S 255 bytes", Command{INS: 0xCA, P1: 1, Data: seq(255)}, cat(hdr, []byte{0xFF}, seq(255))},
		{"case 4S", Command{INS: 0xCA, P1: 1, Data: []byte{0xAA}, Ne: 256}, cat(hdr, []byte{0x01, 0xAA, 0x00})},
		{"case 2E Le 257", Command{INS: 0xCA, P1: 1, Ne: 257}, cat(hdr, []byte{0x00, 0x01, 0x01})},
		{"case 2E Le 65536 is 0000", Command{INS: 0xCA, P1: 1, Ne: 65536}, cat(hdr, []byte{0x00, 0x00, 0x00})},
		{"case 3E 256 bytes", Command{INS: 0xCA, P1: 1, Data: seq(256)}, cat(hdr, []byte{0x00, 0x01, 0x00}, seq(256))},
		{"case 4E long data", Command{INS: 0xCA, P1: 1, Data: seq(300), Ne: 256}, cat(hdr, []byte{0x00, 0x01, 0x2C}, seq(300), []byte{0x01, 0x00})},
		{"case 4E long Ne", Command{INS: 0xCA, P1: 1, Data: []byte{0xAA}, Ne: 1000}, cat(hdr, []byte{0x00, 0x00, 0x01, 0xAA, 0x03, 0xE8})},
		{"case 4E both max", Command{INS: 0xCA, P1: 1, Data: seq(65535), Ne: 65536}, cat(hdr, []byte{0x00, 0xFF, 0xFF}, seq(65535), []byte{0x00, 0x00})},
		{"select", Command{INS: 0xA4, P1: 0x04, Data: AID, Ne: 256},
			[]byte{0x00, 0xA4, 0x04, 0x00, 0x06, 0xF0, 0x43, 0x50, 0x49, 0x53, 0x01, 0x00}},
		{"verify", Command{INS: 0x20, P2: 0x80, Data: []byte("1234")},
			[]byte{0x00, 0x20, 0x00, 0x80, 0x04, '1', '2', '3', '4'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cmd.Bytes()
			if err != nil {
				t.Fatalf("Bytes: %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("Bytes = % X\nwant    % X", head(got), head(tt.want))
			}
		})
	}
}

func head(b []byte) []byte {
	if len(b) > 24 {
		return b[:24]
	}
	return b
}

func TestCommandBytesRefuses(t *testing.T) {
	for _, c := range []Command{
		{INS: 0xCA, Data: make([]byte, 65536)},
		{INS: 0xCA, Ne: -1},
		{INS: 0xCA, Ne: 65537},
	} {
		if b, err := c.Bytes(); err == nil {
			t.Errorf("Bytes(len %d, Ne %d) = % X, want an error", len(c.Data), c.Ne, head(b))
		}
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		in      []byte
		data    []byte
		sw      uint16
		wantErr bool
	}{
		{[]byte{0x90, 0x00}, nil, 0x9000, false},
		{[]byte{0x01, 0x02, 0x90, 0x00}, []byte{0x01, 0x02}, 0x9000, false},
		{[]byte{0xAA, 0x61, 0x10}, []byte{0xAA}, 0x6110, false},
		{[]byte{0x63, 0xC2}, nil, 0x63C2, false},
		{append(seq(256), 0x90, 0x00), seq(256), 0x9000, false},
		{append(make([]byte, 65536), 0x90, 0x00), make([]byte, 65536), 0x9000, false},
		{nil, nil, 0, true},
		{[]byte{0x90}, nil, 0, true},
		{append(make([]byte, 65537), 0x90, 0x00), nil, 0, true},
		{[]byte{0x00, 0x00}, nil, 0, true},
		{[]byte{0x60, 0x00}, nil, 0, true}, // a T=0 NULL procedure byte
		{[]byte{0x12, 0x34, 0xA0, 0x00}, nil, 0, true},
	}
	for _, tt := range tests {
		r, err := ParseResponse(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseResponse(% X): err %v, want error %v", head(tt.in), err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if r.SW() != tt.sw || !bytes.Equal(r.Data, tt.data) {
			t.Errorf("ParseResponse(% X) = % X %04X, want % X %04X", head(tt.in), head(r.Data), r.SW(), head(tt.data), tt.sw)
		}
	}
	in := []byte{0x01, 0x02, 0x90, 0x00}
	r, _ := ParseResponse(in)
	clear(in)
	if r.Data[0] != 0x01 {
		t.Errorf("the response data aliases the input: wiping the input changed it")
	}
}

// Every status word the kiosk meets, and what errors.Is and errors.As make
// of it (ISO/IEC 7816-4:2013 §5.6).
func TestStatusWords(t *testing.T) {
	tests := []struct {
		sw       uint16
		is       error // nil: no sentinel
		retries  int   // -2: not an *AuthError
		contains string
	}{
		{0x6983, ErrBlocked, -2, "blocked"},
		{0x6982, ErrNotVerified, -2, "security status"},
		{0x6A80, ErrWrongData, -2, "data field"},
		{0x6300, nil, -1, "verification failed"},
		{0x63C0, nil, 0, "counter"},
		{0x63C1, nil, 1, "counter"},
		{0x63C2, nil, 2, "counter"},
		{0x63C3, nil, 3, "counter"},
		{0x63CF, nil, 15, "counter"},
		{0x6100, nil, -2, "more response data"},
		{0x6110, nil, -2, "more response data"},
		{0x6281, nil, -2, "warning"},
		{0x6581, nil, -2, "execution error"},
		{0x6700, nil, -2, "wrong length"},
		{0x6881, nil, -2, "CLA"},
		{0x6984, nil, -2, "not usable"},
		{0x6985, nil, -2, "conditions of use"},
		{0x6986, nil, -2, "not allowed"},
		{0x6A81, nil, -2, "not supported"},
		{0x6A82, nil, -2, "not found"},
		{0x6A86, nil, -2, "P1-P2"},
		{0x6A88, nil, -2, "referenced data"},
		{0x6B00, nil, -2, "P1-P2"},
		{0x6C20, nil, -2, "Le"},
		{0x6D00, nil, -2, "instruction"},
		{0x6E00, nil, -2, "class"},
		{0x6F00, nil, -2, "no precise diagnosis"},
		{0x9100, nil, -2, ""},
	}
	sentinels := []error{ErrBlocked, ErrNotVerified, ErrWrongData, ErrCardRemoved, ErrNoCard, ErrNoReader, ErrServiceDown}
	for _, tt := range tests {
		err := Response{SW1: byte(tt.sw >> 8), SW2: byte(tt.sw)}.Err()
		var se *StatusError
		if !errors.As(err, &se) || se.SW != tt.sw {
			t.Errorf("%04X: errors.As StatusError = %v, SW %v", tt.sw, err, se)
			continue
		}
		for _, s := range sentinels {
			if got, want := errors.Is(err, s), s == tt.is; got != want {
				t.Errorf("%04X: errors.Is(%v) = %v, want %v", tt.sw, s, got, want)
			}
		}
		var ae *AuthError
		if got := errors.As(err, &ae); got != (tt.retries != -2) {
			t.Errorf("%04X: errors.As AuthError = %v, want %v", tt.sw, got, tt.retries != -2)
		} else if got && ae.Retries != tt.retries {
			t.Errorf("%04X: Retries = %d, want %d", tt.sw, ae.Retries, tt.retries)
		}
		msg := err.Error()
		if !strings.Contains(msg, strings.ToUpper(hex4(tt.sw))) || !strings.Contains(msg, tt.contains) {
			t.Errorf("%04X: message %q, want the status word and %q", tt.sw, msg, tt.contains)
		}
	}
	if err := (Response{SW1: 0x90}).Err(); err != nil {
		t.Errorf("9000: Err = %v, want nil", err)
	}
	for _, tt := range []struct {
		e    *AuthError
		want string
	}{{&AuthError{2}, "wrong passcode, 2 tries left"}, {&AuthError{1}, "wrong passcode, 1 try left"}, {&AuthError{-1}, "wrong passcode"}} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("AuthError{%d} = %q, want %q", tt.e.Retries, got, tt.want)
		}
	}
}

func hex4(sw uint16) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[sw>>12], digits[sw>>8&0xF], digits[sw>>4&0xF], digits[sw&0xF]})
}

// ParseResponse takes what a card (or anything pretending to be one)
// sends: it must never panic, and what it accepts must split exactly.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte{0x90, 0x00})
	f.Add([]byte{0x01, 0x02, 0x61, 0x00})
	f.Add([]byte{0x63, 0xC1})
	f.Add([]byte{0x69, 0x83})
	f.Add([]byte{0x60, 0x00})
	f.Add([]byte{0x90})
	f.Add([]byte{})
	f.Add(append(seq(256), 0x90, 0x00))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := ParseResponse(in)
		if err != nil {
			if len(in) >= 2 && len(in) <= MaxExtExpected+2 && (in[len(in)-2]>>4 == 6 || in[len(in)-2]>>4 == 9) && in[len(in)-2] != 0x60 {
				t.Fatalf("refused a well-formed response % X: %v", head(in), err)
			}
			return
		}
		if len(r.Data)+2 != len(in) || !bytes.Equal(r.Data, in[:len(in)-2]) {
			t.Fatalf("data % X does not match input % X", head(r.Data), head(in))
		}
		if r.SW1 != in[len(in)-2] || r.SW2 != in[len(in)-1] {
			t.Fatalf("SW %04X does not match input", r.SW())
		}
		e := r.Err()
		if (e == nil) != (r.SW() == 0x9000) {
			t.Fatalf("SW %04X: Err = %v", r.SW(), e)
		}
		var se *StatusError
		if e != nil && (!errors.As(e, &se) || se.SW != r.SW() || se.Error() == "") {
			t.Fatalf("SW %04X: Err %v is not its *StatusError", r.SW(), e)
		}
	})
}
