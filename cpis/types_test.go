package cpis_test

import (
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

func TestAgeOn(t *testing.T) {
	loc := london(t)
	tests := []struct {
		guide string
		name  string
		birth time.Time
		day   time.Time
		want  int
	}{
		{gUnder18, "day before 18th birthday", date(2008, time.June, 15), date(2026, time.June, 14), 17},
		{gUnder18, "18th birthday", date(2008, time.June, 15), date(2026, time.June, 15), 18},
		{gUnder18, "day after 18th birthday", date(2008, time.June, 15), date(2026, time.June, 16), 18},
		{gUnder18, "last minute before the 18th birthday, kiosk time", date(2008, time.June, 15), time.Date(2026, time.June, 14, 23, 59, 0, 0, loc), 17},
		// 00:30 BST on the birthday is still the day before in UTC; the
		// kiosk's calendar decides.
		{gUnder18, "first minutes of the 18th birthday, kiosk time", date(2008, time.June, 15), time.Date(2026, time.June, 15, 0, 30, 0, 0, loc), 18},
		{gUnder18, "newborn on the day", date(2026, time.June, 15), date(2026, time.June, 15), 0},
		{gUnder18, "end of a month, earlier day", date(2008, time.January, 31), date(2026, time.February, 28), 18},
		{gUnder18, "born 29 Feb, 28 Feb of a common year", date(2008, time.February, 29), date(2026, time.February, 28), 17},
		{gUnder18, "born 29 Feb, 1 Mar of a common year", date(2008, time.February, 29), date(2026, time.March, 1), 18},
		{gUnder18, "born 29 Feb, 28 Feb of a leap year", date(2008, time.February, 29), date(2028, time.February, 28), 19},
		{gUnder18, "born 29 Feb, 29 Feb of a leap year", date(2008, time.February, 29), date(2028, time.February, 29), 20},
		{gMaternity, "55 until the day before the 56th birthday", date(1970, time.March, 2), date(2026, time.March, 1), 55},
		{gMaternity, "56 on the 56th birthday", date(1970, time.March, 2), date(2026, time.March, 2), 56},
		{gUnder18, "date of birth not known", time.Time{}, date(2026, time.June, 15), -1},
	}
	for _, tt := range tests {
		if got := cpis.AgeOn(tt.birth, tt.day); got != tt.want {
			t.Errorf("%s: AgeOn = %d, want %d\nguide: %s", tt.name, got, tt.want, tt.guide)
		}
		if got := (cpis.Patient{BirthDate: tt.birth}).AgeOn(tt.day); got != tt.want {
			t.Errorf("%s: Patient.AgeOn = %d, want %d\nguide: %s", tt.name, got, tt.want, tt.guide)
		}
	}
}

func TestPatientName(t *testing.T) {
	tests := []struct {
		guide  string
		given  string
		family string
		want   string
	}{
		{dBanner, "Jane", "Smith", "SMITH, Jane"},
		{dBanner, "Mary Ann", "Smith-Jones", "SMITH-JONES, Mary Ann"},
		{dBanner, "Sean", "O'Brien", "O'BRIEN, Sean"},
		{dBanner, "Zoë", "Müller", "MÜLLER, Zoë"},
		{dBanner, "Łucja", "Żółkiewska", "ŻÓŁKIEWSKA, Łucja"},
		{dBanner, "", "Smith", "SMITH"},
		{dBanner, "Jane", "", "Jane"},
		{dBanner, "", "", ""},
	}
	for _, tt := range tests {
		p := cpis.Patient{Given: tt.given, Family: tt.family}
		if got := p.Name(); got != tt.want {
			t.Errorf("Name(%q, %q) = %q, want %q\nguide: %s", tt.given, tt.family, got, tt.want, tt.guide)
		}
	}
}
