package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The accountability settings: who may see the audit, when the care
// setting is open, and how long the audit is kept.

// DefaultRetentionDays is how long audit records are kept when
// audit_retention is not set: seven years, a common local retention for
// audit trails of access to patient records. Each trust sets its own
// under the NHS Records Management Code of Practice.
const DefaultRetentionDays = 2555

// Retention is audit_retention: days as a number (2555), or text with a
// unit ("2555d", "7y", "26w", or a Go duration such as "720h"). "0" or
// "forever" keeps every record.
type Retention struct {
	days int
	set  bool
}

// UnmarshalTOML reads a number of days or the text forms above.
func (r *Retention) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		if x < 0 || x > MaxRetentionDays {
			return fmt.Errorf("audit_retention %d: use a number of days up to %d, 0 for forever", x, MaxRetentionDays)
		}
		r.days, r.set = int(x), true
		return nil
	case string:
		d, err := parseRetention(x)
		if err != nil {
			return err
		}
		r.days, r.set = d, true
		return nil
	}
	return fmt.Errorf("audit_retention: use a number of days or text such as \"2555d\"")
}

func parseRetention(s string) (int, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	bad := fmt.Errorf("audit_retention %q: use days (\"2555d\"), weeks (\"26w\"), years (\"7y\") up to %d days, or \"forever\"", s, MaxRetentionDays)
	d, err := parseDays(s)
	if err != nil || d > MaxRetentionDays {
		return 0, bad
	}
	return d, nil
}

// MaxRetentionDays is a century: longer is a typing slip, and would
// overflow a date.
const MaxRetentionDays = 36500

func parseDays(s string) (int, error) {
	bad := errors.New("not a retention")
	if s == "forever" || s == "0" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, nil
	}
	if len(s) < 2 {
		return 0, bad
	}
	mult := map[byte]int{'d': 1, 'w': 7, 'y': 365}[s[len(s)-1]]
	if n, err := strconv.Atoi(s[:len(s)-1]); err == nil && mult > 0 && n >= 0 && n <= MaxRetentionDays {
		return n * mult, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return int((d + 24*time.Hour - 1) / (24 * time.Hour)), nil
	}
	return 0, bad
}

// Days is the retention in days; 0 keeps every record.
func (r Retention) Days() int {
	if !r.set {
		return DefaultRetentionDays
	}
	return r.days
}

// Cutoff is the time before which records have expired at now; zero when
// none ever expire.
func (r Retention) Cutoff(now time.Time) time.Time {
	if r.Days() == 0 {
		return time.Time{}
	}
	return now.AddDate(0, 0, -r.Days())
}

// String is the retention as the documentation writes it.
func (r Retention) String() string {
	if r.Days() == 0 {
		return "forever"
	}
	return strconv.Itoa(r.Days()) + "d"
}

// OpeningHours is when the care setting is open, as minutes from midnight
// local time. From == To means open all day. An overnight setting has
// From after To ("20:00-08:00").
type OpeningHours struct {
	From, To int
}

// AllDay is open 24 hours: nothing is ever out of hours.
func (h OpeningHours) AllDay() bool { return h.From == h.To }

// Open reports whether the setting is open at t (in t's location).
func (h OpeningHours) Open(t time.Time) bool {
	if h.AllDay() {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	if h.From < h.To {
		return m >= h.From && m < h.To
	}
	return m >= h.From || m < h.To
}

func (h OpeningHours) String() string {
	if h.AllDay() {
		return "24 hours"
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", h.From/60, h.From%60, h.To/60, h.To%60)
}

// ParseOpeningHours reads "08:00-20:00"; empty is open 24 hours.
func ParseOpeningHours(s string) (OpeningHours, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return OpeningHours{}, nil
	}
	bad := fmt.Errorf("opening_hours %q: write it as \"08:00-20:00\" (24-hour clock), or leave it out for 24 hours", s)
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return OpeningHours{}, bad
	}
	from, err1 := clockMinutes(a)
	to, err2 := clockMinutes(b)
	if err := errors.Join(err1, err2); err != nil {
		return OpeningHours{}, bad
	}
	if to == 24*60 {
		to = 0
	}
	return OpeningHours{From: from, To: to}, nil
}

func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		if strings.TrimSpace(s) == "24:00" {
			return 24 * 60, nil
		}
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// checkAccountability checks the accountability settings at start-up.
func (c Config) checkAccountability() error {
	if _, err := ParseOpeningHours(c.OpeningHours); err != nil {
		return err
	}
	for _, r := range c.LeadRoles {
		if strings.TrimSpace(r) == "" {
			return errors.New("lead_roles holds an empty entry: list job roles or role ids")
		}
	}
	return nil
}

// Hours is the configured opening hours (checked at start-up).
func (c Config) Hours() OpeningHours {
	h, _ := ParseOpeningHours(c.OpeningHours)
	return h
}

// IsLead reports whether the role may see the audit, staff and readiness
// screens: a role whose job role or role id is in lead_roles, or, when
// lead_roles is not set, a role with B0107 (the code that lets its holder
// see Child Care Alerts, which the audit names) whose job role names
// safeguarding ("Safeguarding Lead", "Named Nurse for Safeguarding"):
// not every nurse who checks children.
func (c Config) IsLead(r cpis.Role) bool {
	if len(c.LeadRoles) == 0 {
		return r.Has(cpis.ViewFlag) && strings.Contains(strings.ToLower(r.JobRole), "safeguarding")
	}
	for _, l := range c.LeadRoles {
		l = strings.TrimSpace(l)
		if strings.EqualFold(l, r.JobRole) || l == r.ID {
			return true
		}
	}
	return false
}

// RetentionDays is a retention of n days, as audit_retention = n sets it.
func RetentionDays(n int) Retention { return Retention{days: n, set: true} }
