package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func TestFormatAge(t *testing.T) {
	for _, tc := range []struct {
		birth time.Time
		want  string
	}{
		{date(2015, 3, 2), "(11 years)"},
		{date(2015, 3, 6), "(10 years)"}, // birthday tomorrow
		{date(2024, 3, 5), "(2 years)"},  // second birthday today
		{date(2024, 3, 6), "(23 months)"},
		{date(2025, 8, 1), "(7 months)"},
		{date(2026, 2, 5), "(1 month)"},
		{date(2026, 2, 6), "(27 days)"},
		{date(2026, 3, 4), "(1 day)"},
		{date(2026, 3, 5), "(0 days)"},
		{date(2026, 3, 6), ""}, // a date of birth in the future is not an age
		{time.Time{}, ""},
	} {
		if got := formatAge(tc.birth, now); got != tc.want {
			t.Errorf("formatAge(%s) = %q, want %q", tc.birth.Format("2006-01-02"), got, tc.want)
		}
	}
}

func TestFormatDates(t *testing.T) {
	if got := formatDate(date(2015, 3, 2)); got != "02 Mar 2015" {
		t.Errorf("formatDate = %q", got)
	}
	if got := bornWithAge(date(2015, 3, 2), now); got != "02 Mar 2015 (11 years)" {
		t.Errorf("bornWithAge = %q", got)
	}
	if got := formatWhen(time.Date(2026, 3, 5, 2, 52, 0, 0, time.UTC)); got != "05/03/2026 02:52 GMT" {
		t.Errorf("formatWhen = %q", got)
	}
	b := Banner{SpineDown: time.Date(2026, 3, 5, 2, 13, 0, 0, time.UTC)}
	if got := spineDown(b, now); got != "Spine down since 02:13" {
		t.Errorf("spineDown same day = %q", got)
	}
	b.SpineDown = b.SpineDown.Add(-24 * time.Hour)
	if got := spineDown(b, now); got != "Spine down since 04 Mar 02:13" {
		t.Errorf("spineDown the day before = %q", got)
	}
}

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{"02/03/2015", date(2015, 3, 2), ""},
		{"2/3/2015", date(2015, 3, 2), ""},
		{" 02-03-2015 ", date(2015, 3, 2), ""},
		{"02.03.2015", date(2015, 3, 2), ""},
		{"02 03 2015", date(2015, 3, 2), ""},
		{"02032015", date(2015, 3, 2), ""},
		{"29/02/2024", date(2024, 2, 29), ""},
		{"05/03/2026", date(2026, 3, 5), ""}, // born today
		{"", time.Time{}, "Enter the date of birth"},
		{"29/02/2023", time.Time{}, "Date of birth must be a real date, for example 02/03/2015"},
		{"31/04/2015", time.Time{}, "Date of birth must be a real date, for example 02/03/2015"},
		{"00/03/2015", time.Time{}, "Date of birth must be a real date, for example 02/03/2015"},
		{"02/13/2015", time.Time{}, "Date of birth must be a real date, for example 02/03/2015"},
		{"2015-03-02", time.Time{}, "Enter the date of birth as DD/MM/YYYY, for example 02/03/2015"},
		{"02/03/15", time.Time{}, "Enter the date of birth as DD/MM/YYYY, for example 02/03/2015"},
		{"2 March 2015", time.Time{}, "Enter the date of birth as DD/MM/YYYY, for example 02/03/2015"},
		{"aa/bb/cccc", time.Time{}, "Enter the date of birth as DD/MM/YYYY, for example 02/03/2015"},
		{"06/03/2026", time.Time{}, "Date of birth must be today or in the past"},
		{"01/01/1899", time.Time{}, "Date of birth must be after 1900"},
	} {
		got, msg := parseDate(tc.in, now)
		if !got.Equal(tc.want) || msg != tc.wantErr {
			t.Errorf("parseDate(%q) = %v, %q; want %v, %q", tc.in, got, msg, tc.want, tc.wantErr)
		}
	}
}

// FuzzParseDate: whatever is typed, the form either gets a real date in
// range or a message, never both and never a panic.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"02/03/2015", "02032015", "31/02/2015", "", "1/1/1", "99999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, msg := parseDate(s, now)
		if (msg == "") == d.IsZero() {
			t.Fatalf("parseDate(%q) = %v, %q", s, d, msg)
		}
		if msg == "" && (d.After(now) || d.Year() < 1900) {
			t.Fatalf("parseDate(%q) = %v, out of range", s, d)
		}
	})
}

func TestFormatAgo(t *testing.T) {
	for _, tc := range []struct {
		ago  time.Duration
		want string
	}{
		{3*time.Hour + 10*time.Minute, "3 h 10 min ago"},
		{3 * time.Hour, "3 h ago"},
		{59*time.Minute + 59*time.Second, "59 min ago"},
		{30 * time.Second, "just now"},
		{-time.Minute, "just now"}, // a clock put back must not show a negative age
		{26*time.Hour + 5*time.Minute, "1 day 2 h ago"},
		{48 * time.Hour, "2 days ago"},
	} {
		if got := formatAgo(now.Add(-tc.ago), now); got != tc.want {
			t.Errorf("formatAgo(%v) = %q, want %q", tc.ago, got, tc.want)
		}
	}
}

// TestFormatWhenUKLocalTime: the access history shows "date/time, who
// accessed the record, their role and their organisation name" (the guide,
// "The information CP-IS provides"); the Spine records UTC, staff read UK
// time. Each row is a time as the Spine sends it and as the ward's clock
// showed it, across both clock changes of 2026 (29 March, 25 October) and
// the hour after midnight, where UTC would show the day before.
func TestFormatWhenUKLocalTime(t *testing.T) {
	paris := time.FixedZone("CEST", 2*3600)
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC), "15/01/2026 09:30 GMT"},
		{time.Date(2026, 7, 15, 9, 30, 0, 0, time.UTC), "15/07/2026 10:30 BST"},
		{time.Date(2026, 7, 14, 23, 30, 0, 0, time.UTC), "15/07/2026 00:30 BST"}, // midnight to one: the next day
		{time.Date(2026, 7, 14, 22, 59, 0, 0, time.UTC), "14/07/2026 23:59 BST"},
		{time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC), "31/12/2026 23:30 GMT"},
		{time.Date(2026, 3, 29, 0, 59, 0, 0, time.UTC), "29/03/2026 00:59 GMT"}, // the last minute of GMT
		{time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), "29/03/2026 02:00 BST"},  // clocks go forward
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "25/10/2026 01:30 BST"},
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "25/10/2026 01:30 GMT"}, // clocks go back: 01:30 twice, told apart by the zone
		{time.Date(2026, 7, 15, 12, 30, 0, 0, paris), "15/07/2026 11:30 BST"},    // whatever zone the time arrives in
		{time.Date(2026, 7, 15, 10, 30, 0, 0, ukTime), "15/07/2026 10:30 BST"},
		{time.Time{}, "Not known"},
	} {
		if got := formatWhen(tc.in); got != tc.want {
			t.Errorf("formatWhen(%s) = %q, want %q", tc.in.Format(time.RFC3339), got, tc.want)
		}
	}
}

// TestTimesFitTheirColumns: a time cut short ("05/03/2026 02:5…") is a
// wrong time. Every time in the access history and the queue is drawn
// whole, with its zone, on the smallest screen (1024x768) and on full HD.
func TestTimesFitTheirColumns(t *testing.T) {
	for _, size := range []fyne.Size{fyne.NewSize(1024, 768), fyne.NewSize(1920, 1080)} {
		for _, name := range []string{"alert_cpp", "queue"} {
			w, win, _ := newTestWindowSized(t, size)
			w.Render(goldenViews()[name])
			seen := 0
			for _, o := range test.LaidOutObjects(win.Content()) {
				rt, ok := o.(*widget.RichText)
				if !ok || !(strings.HasSuffix(rt.String(), " GMT") || strings.HasSuffix(rt.String(), " BST")) {
					continue
				}
				seen++
				whole := text(rt.String(), theme.SizeNameText, theme.ColorNameForeground, false)
				whole.Wrapping = fyne.TextWrapOff
				if need := whole.MinSize().Width; rt.Size().Width < need {
					t.Errorf("%s at %v: %q is %.0f wide in a %.0f column", name, size, rt.String(), need, rt.Size().Width)
				}
			}
			if seen == 0 {
				t.Errorf("%s at %v: no time drawn", name, size)
			}
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 99_800: "99,800",
		100_000: "100,000", 1_234_567: "1,234,567", -4200: "-4,200"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
