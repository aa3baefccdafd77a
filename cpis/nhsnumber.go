package cpis

import (
	"errors"
	"fmt"
	"strings"
)

// NHSNumber is a ten-digit NHS number whose check digit has been verified.
// The zero value is "no number".
type NHSNumber string

// Errors returned by ParseNHSNumber, one for each way a number can be wrong.
// Each carries a message a nurse can act on.
var (
	// ErrNHSEmpty means nothing was typed or scanned.
	ErrNHSEmpty = errors.New("no NHS number was entered")
	// ErrNHSCharacters means the input holds something other than digits,
	// spaces and hyphens.
	ErrNHSCharacters = errors.New("an NHS number has only digits, spaces and hyphens")
	// ErrNHSLength means the input does not hold exactly ten digits.
	ErrNHSLength = errors.New("an NHS number has exactly 10 digits")
	// ErrNHSCheckDigit means the tenth digit does not match the first nine
	// (modulus 11), usually a mistyped digit.
	ErrNHSCheckDigit = errors.New("the check digit does not match: a digit is probably mistyped")
	// ErrNHSGroups means a space or hyphen stands somewhere other than
	// between the groups of three, three and four digits that wristbands
	// and screens print ("999 027 6579"): "-9990276579" or "99-90276579"
	// is not a number as printed, and may be two fields run together.
	ErrNHSGroups = errors.New("spaces or hyphens go only between the groups of the number, as in 999 027 6579")
	// ErrNHSInvalid means the first nine digits give a check value of 10,
	// which no NHS number can have. One mistyped digit lands here about
	// one time in eleven, so the message says so too.
	ErrNHSInvalid = errors.New("this cannot be an NHS number: a digit is probably mistyped (its check value is 10)")
)

// NHSError tells which input was wrong and why; errors.Is matches the
// sentinel in Reason.
type NHSError struct {
	Reason error
	Digits int // how many digits were found
}

func (e *NHSError) Error() string {
	if e.Reason == ErrNHSLength {
		switch e.Digits {
		case 0:
			return fmt.Sprintf("%v; none were entered", e.Reason)
		case 1:
			return fmt.Sprintf("%v; 1 was entered", e.Reason)
		}
		return fmt.Sprintf("%v; %d were entered", e.Reason, e.Digits)
	}
	return e.Reason.Error()
}

func (e *NHSError) Unwrap() error { return e.Reason }

// ParseNHSNumber accepts an NHS number as typed, printed on a wristband
// ("999 027 6579") or scanned ("999-027-6579"), and verifies its modulus 11
// check digit: weights 10 down to 2 on the first nine digits, check digit =
// 11 - (sum mod 11), 11 becomes 0, 10 is invalid (NHS Data Dictionary, "NHS
// Number"). Whitespace around the number is ignored (a scanner's Enter);
// inside it, one space, tab or hyphen may stand in each of the two places
// where the printed number has a gap (3-3-4, "Spaces as `999 027 6579` are
// common on screens and wristbands", spine-interfaces.md "NHS number"), or
// none at all.
func ParseNHSNumber(s string) (NHSNumber, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", &NHSError{Reason: ErrNHSEmpty}
	}
	var d [10]byte
	n := 0
	var seps []int // the digit count before each separator
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if n < len(d) {
				d[n] = byte(r)
			}
			n++
		case r == ' ' || r == '-' || r == '\t':
			seps = append(seps, n)
		default:
			return "", &NHSError{Reason: ErrNHSCharacters, Digits: n}
		}
	}
	if n != 10 {
		return "", &NHSError{Reason: ErrNHSLength, Digits: n}
	}
	if !printedGroups(seps) {
		return "", &NHSError{Reason: ErrNHSGroups, Digits: n}
	}
	check, ok := checkDigit(d[:9])
	if !ok {
		return "", &NHSError{Reason: ErrNHSInvalid, Digits: n}
	}
	if check != d[9]-'0' {
		return "", &NHSError{Reason: ErrNHSCheckDigit, Digits: n}
	}
	return NHSNumber(d[:]), nil
}

// printedGroups reports whether the separators inside a ten-digit number
// stand as the number is printed: none, or one after the third digit and
// one after the sixth.
func printedGroups(at []int) bool {
	switch len(at) {
	case 0:
		return true
	case 2:
		return at[0] == 3 && at[1] == 6
	}
	return false
}

// checkDigit computes the modulus 11 check digit of nine ASCII digits; ok
// is false when the remainder gives 10.
func checkDigit(nine []byte) (byte, bool) {
	sum := 0
	for i, c := range nine {
		sum += int(c-'0') * (10 - i)
	}
	check := 11 - sum%11
	switch check {
	case 11:
		return 0, true
	case 10:
		return 0, false
	}
	return byte(check), true
}

// String formats the number 3-3-4 as NHS screens show it: "999 027 6579".
func (n NHSNumber) String() string {
	if len(n) != 10 {
		return string(n)
	}
	return string(n[:3]) + " " + string(n[3:6]) + " " + string(n[6:])
}

// Digits is the bare ten digits, as the Spine APIs take them.
func (n NHSNumber) Digits() string { return string(n) }

// IsTest reports whether the number is in the range 9000000000 to
// 9999999999 reserved for test records, never real people.
func (n NHSNumber) IsTest() bool { return len(n) == 10 && n[0] == '9' }
