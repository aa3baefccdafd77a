package cpis

import (
	"testing"
	"time"
)

// FGM-IS is asked "only for a verified NHS number of someone under 18
// whose PDS gender is female, unknown or indeterminate (so not male)"
// (spine-interfaces.md, "FGM Information Sharing", from DCB2112).
func TestFGMApplies(t *testing.T) {
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	born := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name string
		p    Patient
		want bool
	}{
		{"a girl of 6", Patient{Verified: true, Gender: Female, BirthDate: born(2020, 5, 1)}, true},
		{"unknown gender", Patient{Verified: true, Gender: Unknown, BirthDate: born(2020, 5, 1)}, true},
		{"indeterminate (PDS other)", Patient{Verified: true, Gender: Other, BirthDate: born(2020, 5, 1)}, true},
		{"no gender held", Patient{Verified: true, BirthDate: born(2020, 5, 1)}, true},
		{"a boy", Patient{Verified: true, Gender: Male, BirthDate: born(2020, 5, 1)}, false},
		{"17 the day before her birthday", Patient{Verified: true, Gender: Female, BirthDate: born(2008, 12, 3)}, true},
		{"18 today", Patient{Verified: true, Gender: Female, BirthDate: born(2008, 12, 2)}, false},
		{"no date of birth: may be under 18", Patient{Verified: true, Gender: Female}, true},
		{"NHS number not verified", Patient{Gender: Female, BirthDate: born(2020, 5, 1)}, false},
	} {
		if got := FGMApplies(tc.p, day); got != tc.want {
			t.Errorf("%s: FGMApplies = %v, want %v", tc.name, got, tc.want)
		}
	}
}
