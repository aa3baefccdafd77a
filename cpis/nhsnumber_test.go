package cpis_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nhs-cpis/kiosk/cpis"
)

func TestParseNHSNumberAccepts(t *testing.T) {
	tests := []struct {
		guide string
		in    string
		want  cpis.NHSNumber
	}{
		{gTestPatients, "9990276579", "9990276579"},
		{gTestPatients, "9990275831", "9990275831"},
		{rValid, "9000000009", "9000000009"},
		{rValid, "9876543210", "9876543210"},
		{rSpaces, "999 027 6579", "9990276579"},
		{rSpaces, "999-027-6579", "9990276579"},
		{rSpaces, "999\t027\t6579", "9990276579"},
		{rSpaces, "   9990276579", "9990276579"},
		{rSpaces, "\t 999 027 6579 \t", "9990276579"},
		// A barcode scanner ends its input with Enter.
		{rSpaces, "9990275831\r\n", "9990275831"},
		// A check value of 11 becomes a check digit of 0.
		{rMod11, "9990276420", "9990276420"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := cpis.ParseNHSNumber(tt.in)
			if err != nil {
				t.Fatalf("ParseNHSNumber(%q): %v\nguide: %s", tt.in, err, tt.guide)
			}
			if got != tt.want {
				t.Errorf("ParseNHSNumber(%q) = %q, want %q\nguide: %s", tt.in, got, tt.want, tt.guide)
			}
			if got.Digits() != string(tt.want) {
				t.Errorf("Digits() = %q, want %q", got.Digits(), tt.want)
			}
		})
	}
}

func TestParseNHSNumberRefuses(t *testing.T) {
	tests := []struct {
		guide string
		in    string
		want  error
		msg   string // what the message must say for a nurse to act on it
	}{
		{rMod11, "", cpis.ErrNHSEmpty, "no NHS number was entered"},
		{rMod11, "   \t ", cpis.ErrNHSEmpty, "no NHS number was entered"},
		{rMod11, "999O276579", cpis.ErrNHSCharacters, "only digits, spaces and hyphens"}, // letter O for zero
		{rMod11, "abcdefghij", cpis.ErrNHSCharacters, "only digits, spaces and hyphens"},
		{rMod11, "999.027.6579", cpis.ErrNHSCharacters, "only digits, spaces and hyphens"},
		{rMod11, "999027657", cpis.ErrNHSLength, "exactly 10 digits; 9 were entered"},
		{rMod11, "99902765790", cpis.ErrNHSLength, "exactly 10 digits; 11 were entered"},
		{rMod11, "9", cpis.ErrNHSLength, "exactly 10 digits; 1 was entered"},
		{rMod11, "- -", cpis.ErrNHSLength, "exactly 10 digits; none were entered"},
		// The reference calls 1234567890 a bad check digit, but its first
		// nine digits weigh 210, and 11 - 210 mod 11 = 10: no tenth digit
		// could make it valid.
		{rInvalid, "1234567890", cpis.ErrNHSInvalid, "a digit is probably mistyped"},
		{rInvalid, "1234567891", cpis.ErrNHSInvalid, "a digit is probably mistyped"},
		{rMod11, "9000000008", cpis.ErrNHSCheckDigit, "check digit does not match"},
		{rInvalid, "9990276578", cpis.ErrNHSCheckDigit, "check digit does not match"}, // last digit mistyped
		{rInvalid, "9990276759", cpis.ErrNHSCheckDigit, "check digit does not match"}, // two digits swapped
		// 000000006 and 999027651 both give a check value of 10: whatever
		// the tenth digit, these cannot be NHS numbers.
		{rInvalid, "0000000060", cpis.ErrNHSInvalid, "check value is 10"},
		{rInvalid, "0000000069", cpis.ErrNHSInvalid, "check value is 10"},
		{rInvalid, "9990276510", cpis.ErrNHSInvalid, "check value is 10"},
	}
	all := []error{cpis.ErrNHSEmpty, cpis.ErrNHSCharacters, cpis.ErrNHSLength, cpis.ErrNHSCheckDigit, cpis.ErrNHSInvalid, cpis.ErrNHSGroups}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := cpis.ParseNHSNumber(tt.in)
			if err == nil {
				t.Fatalf("ParseNHSNumber(%q) = %q, want error %v\nguide: %s", tt.in, got, tt.want, tt.guide)
			}
			if got != "" {
				t.Errorf("ParseNHSNumber(%q) returned %q with its error", tt.in, got)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("ParseNHSNumber(%q) = %v, want errors.Is %v\nguide: %s", tt.in, err, tt.want, tt.guide)
			}
			for _, other := range all {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("ParseNHSNumber(%q) also matches %v", tt.in, other)
				}
			}
			var ne *cpis.NHSError
			if !errors.As(err, &ne) {
				t.Errorf("ParseNHSNumber(%q) error %T is not an *NHSError", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not say %q", err.Error(), tt.msg)
			}
			// Errors end up in logs and the audit outcome: they must never
			// echo what was typed, which may be a real patient's number.
			if d := digitsOf(tt.in); len(d) >= 4 && strings.Contains(err.Error(), d) {
				t.Errorf("message %q echoes the input", err.Error())
			}
		})
	}
}

// TestParseNHSNumberGroups: a space or hyphen is a number's gap as printed
// on wristbands and screens (3-3-4), and nowhere else; whitespace around
// the number is a scanner's or a keyboard's, and is ignored.
func TestParseNHSNumberGroups(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"9990276579", true},
		{"999 027 6579", true},
		{"999-027-6579", true},
		{"999\t027\t6579", true},
		{"999 027-6579", true},
		{"  999 027 6579\r\n", true},
		{"\t999-027-6579 ", true},
		{"-9990276579", false},
		{"9990276579-", false},
		{"-999-027-6579", false},
		{"999-027-6579-", false},
		{"99-90276579", false},
		{"9990-276579", false},
		{"999 0276579", false},
		{"9990276 579", false},
		{"999  027  6579", false},
		{"999--027--6579", false},
		{"999 02 76579", false},
		{"9 9 9 0 2 7 6 5 7 9", false},
		{"99902-76579", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := cpis.ParseNHSNumber(tt.in)
			if tt.ok {
				if err != nil || got != "9990276579" {
					t.Fatalf("ParseNHSNumber(%q) = %q, %v; want 9990276579\nguide: %s", tt.in, got, err, rSpaces)
				}
				return
			}
			if !errors.Is(err, cpis.ErrNHSGroups) || got != "" {
				t.Fatalf("ParseNHSNumber(%q) = %q, %v; want %v\nguide: %s", tt.in, got, err, cpis.ErrNHSGroups, rSpaces)
			}
			if !strings.Contains(err.Error(), "999 027 6579") {
				t.Errorf("message %q does not show the printed form", err.Error())
			}
		})
	}
}

func TestNHSNumberString(t *testing.T) {
	tests := []struct {
		guide string
		n     cpis.NHSNumber
		want  string
	}{
		{rSpaces, "9990276579", "999 027 6579"},
		{rSpaces, "9990275831", "999 027 5831"},
		{rSpaces, "9000000009", "900 000 0009"},
		{rSpaces, "", ""},
	}
	for _, tt := range tests {
		if got := tt.n.String(); got != tt.want {
			t.Errorf("%q.String() = %q, want %q\nguide: %s", string(tt.n), got, tt.want, tt.guide)
		}
	}
}

func TestNHSNumberIsTest(t *testing.T) {
	tests := []struct {
		guide string
		in    string
		want  bool
	}{
		{gGenuine + " " + gTestPatients, "9990276579", true},
		{gGenuine + " " + gTestPatients, "9990275831", true},
		{rTestNos, "9000000009", true},
		{rTestNos, "9876543210", true},
		{rTestNos, "4010232137", false},
		{rTestNos, "8999999999", false}, // just below the range, if it parses
	}
	for _, tt := range tests {
		n := cpis.NHSNumber(tt.in)
		if p, err := cpis.ParseNHSNumber(tt.in); err == nil {
			n = p
		}
		if got := n.IsTest(); got != tt.want {
			t.Errorf("%s.IsTest() = %v, want %v\nguide: %s", tt.in, got, tt.want, tt.guide)
		}
	}
	if cpis.NHSNumber("").IsTest() {
		t.Error("the zero NHSNumber reports itself as a test number")
	}
}

// FuzzParseNHSNumber checks what scanners and keyboards can send: nothing
// panics, and whatever is accepted is a true NHS number that survives being
// shown and typed back in.
func FuzzParseNHSNumber(f *testing.F) {
	for _, s := range []string{
		"9990276579", "9990275831", "9000000009", "9876543210",
		"999 027 6579", "999-027-6579", "\t9990276579\n", "",
		"1234567890", "0000000060", "999027657", "99902765790", "999O276579",
		"٩٩٩٠٢٧٦٥٧٩", "９９９０２７６５７９", "9990276579\x00", "\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := cpis.ParseNHSNumber(s)
		if err != nil {
			if n != "" {
				t.Fatalf("ParseNHSNumber(%q) returned %q with error %v", s, n, err)
			}
			var ne *cpis.NHSError
			if !errors.As(err, &ne) {
				t.Fatalf("ParseNHSNumber(%q): error %T is not an *NHSError", s, err)
			}
			if err.Error() == "" {
				t.Fatalf("ParseNHSNumber(%q): empty message", s)
			}
			return
		}
		if len(n) != 10 {
			t.Fatalf("ParseNHSNumber(%q) = %q, not 10 characters", s, n)
		}
		sum := 0
		for i := 0; i < 10; i++ {
			c := n[i]
			if c < '0' || c > '9' {
				t.Fatalf("ParseNHSNumber(%q) = %q, holds a non-digit", s, n)
			}
			sum += int(c-'0') * (10 - i) // weights 10..2, then 1 on the check digit
		}
		// Weighting the check digit by 1 makes a valid number's total a
		// multiple of 11; computed apart from the parser's own arithmetic.
		if sum%11 != 0 {
			t.Fatalf("ParseNHSNumber(%q) = %q, weighted sum %d is not a multiple of 11", s, n, sum)
		}
		if d := digitsOf(s); d != string(n) {
			t.Fatalf("ParseNHSNumber(%q) = %q, but the input's digits are %q", s, n, d)
		}
		again, err := cpis.ParseNHSNumber(n.String())
		if err != nil || again != n {
			t.Fatalf("ParseNHSNumber(%q.String() = %q) = %q, %v", string(n), n.String(), again, err)
		}
	})
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
