package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	// The UK's zone rules go into the binary: a Windows PC, or a Linux
	// one without tzdata, must still show UK times.
	_ "time/tzdata"

	"github.com/nhs-cpis/kiosk/cpis"
)

// Dates are written the NHS.UK way, "02 Mar 2015": a month in words cannot
// be misread as a US date at 3am.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return "Not known"
	}
	return t.Format("02 Jan 2006")
}

// ukTime is the zone of every time staff read on the kiosk: CP-IS is an
// England service, and its access history ("date/time, who accessed the
// record", the guide's "The information CP-IS provides") must read as the
// clock on the ward does, in summer too.
var ukTime = mustLoadLocation("Europe/London")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// time/tzdata is linked in, so this cannot happen.
		panic(err)
	}
	return loc
}

// formatWhen is a time in the access history (and the queue and review
// lists), in UK local time with its zone, "05/07/2026 09:52 BST": the Spine
// sends UTC, and an hour's error in summer would put an access before a
// presentation, or on the wrong day between midnight and one.
func formatWhen(t time.Time) string {
	if t.IsZero() {
		return "Not known"
	}
	return t.In(ukTime).Format("02/01/2006 15:04 MST")
}

// formatAge is "(11 years)", or months for a child under two and days for
// a baby under a month, because a dose or an escalation can hinge on it.
func formatAge(birth, now time.Time) string {
	if birth.IsZero() || now.IsZero() || now.Before(birth) {
		return ""
	}
	years := cpis.AgeOn(birth, now)
	if years >= 2 {
		return fmt.Sprintf("(%d years)", years)
	}
	y1, m1, d1 := birth.Date()
	y2, m2, d2 := now.Date()
	months := (y2-y1)*12 + int(m2-m1)
	if d2 < d1 {
		months--
	}
	if months >= 1 {
		return "(" + plural(months, "month") + ")"
	}
	days := int(civil(now).Sub(civil(birth)).Hours() / 24)
	return "(" + plural(days, "day") + ")"
}

// civil drops the clock and zone so that day counts do not shift with BST.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// thousands writes n with its thousands grouped: 100,000.
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func bornWithAge(birth, now time.Time) string {
	s := formatDate(birth)
	if age := formatAge(birth, now); age != "" {
		s += " " + age
	}
	return s
}

func genderWords(g cpis.Gender) string {
	if w, ok := genderNames[g]; ok {
		return w
	}
	return string(g)
}

// genderNames are PDS's genders as the banner says them.
var genderNames = map[cpis.Gender]string{cpis.Female: "Female", cpis.Male: "Male", cpis.Other: "Other",
	cpis.Unknown: "Not known", "": "Not known"}

// parseDate reads a date of birth as staff type it: DD/MM/YYYY, with
// hyphens, dots or spaces, or as eight digits. It answers with a message
// for the form rather than an error, because the message is what is shown.
func parseDate(s string, now time.Time) (time.Time, string) {
	const example = "Enter the date of birth as DD/MM/YYYY, for example 02/03/2015"
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, "Enter the date of birth"
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' || r == ' ' })
	if len(parts) == 1 && len(parts[0]) == 8 {
		p := parts[0]
		parts = []string{p[:2], p[2:4], p[4:]}
	}
	if len(parts) != 3 || len(parts[2]) != 4 || len(parts[0]) > 2 || len(parts[1]) > 2 {
		return time.Time{}, example
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return time.Time{}, example
		}
		n[i] = v
	}
	d, m, y := n[0], n[1], n[2]
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	// time.Date rolls 31/02 over into March; a real date survives the trip.
	if t.Day() != d || int(t.Month()) != m || t.Year() != y {
		return time.Time{}, "Date of birth must be a real date, for example 02/03/2015"
	}
	if y < 1900 {
		return time.Time{}, "Date of birth must be after 1900"
	}
	if !now.IsZero() && t.After(civil(now)) {
		return time.Time{}, "Date of birth must be today or in the past"
	}
	return t, ""
}

func formatDateInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("02/01/2006")
}

// formatAgo is how long ago t was, to the minute: "3 h 10 min ago". A
// queue item's age tells IT at a glance whether the queue is draining.
func formatAgo(t, now time.Time) string {
	if t.IsZero() || now.IsZero() {
		return ""
	}
	d := now.Sub(t)
	if d < time.Minute {
		return "just now"
	}
	mins := int(d / time.Minute)
	days, hours, mins := mins/(24*60), mins/60%24, mins%60
	switch {
	case days > 0 && hours > 0:
		return plural(days, "day") + " " + strconv.Itoa(hours) + " h ago"
	case days > 0:
		return plural(days, "day") + " ago"
	case hours > 0 && mins > 0:
		return strconv.Itoa(hours) + " h " + strconv.Itoa(mins) + " min ago"
	case hours > 0:
		return strconv.Itoa(hours) + " h ago"
	}
	return strconv.Itoa(mins) + " min ago"
}

func orNotKnown(s string) string {
	if s == "" {
		return "Not known"
	}
	return s
}

func routeOrDefault(s string) string {
	if s == "" {
		return "follow your organisation's safeguarding procedure."
	}
	return s
}
