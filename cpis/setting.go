package cpis

import (
	"errors"
	"fmt"
	"strings"
)

// Setting is one of the seven unscheduled care settings where CP-IS applies.
type Setting string

// The seven settings of the guide, "CP-IS only applies to unscheduled
// healthcare settings" and step 2.
const (
	EmergencyDepartment Setting = "emergency-department"
	MinorInjuryUnit     Setting = "minor-injury-unit"
	WalkInCentre        Setting = "walk-in-centre"
	GPOutOfHours        Setting = "gp-out-of-hours"
	MaternityUnit       Setting = "maternity-unit"
	PaediatricWard      Setting = "paediatric-ward"
	AmbulanceService    Setting = "ambulance-service"
)

// Settings lists the seven settings in the guide's order.
var Settings = []Setting{
	EmergencyDepartment, MinorInjuryUnit, WalkInCentre, GPOutOfHours,
	MaternityUnit, PaediatricWard, AmbulanceService,
}

// ScheduledCareQuote is the guide's reason for refusing any other setting.
const ScheduledCareQuote = "CP-IS must not be used in scheduled care settings such as outpatients, " +
	"as this will result in notifications being sent to local authorities that they are not prepared for."

// UnscheduledOnlyQuote is the guide's list of where CP-IS applies ("Before
// we start"), quoted when no care setting is configured.
const UnscheduledOnlyQuote = "CP-IS only applies to emergency departments, minor injury units, walk-in centres, " +
	"GP out-of-hours services, maternity units, paediatric wards and ambulance services."

// ErrNotUnscheduled means the configured care setting is not one of the
// seven unscheduled settings; the kiosk refuses to start.
var ErrNotUnscheduled = errors.New("care setting is not an unscheduled care setting")

// SettingError names the refused setting and quotes the guide.
type SettingError struct{ Given string }

func (e *SettingError) Error() string {
	names := make([]string, len(Settings))
	for i, s := range Settings {
		names[i] = string(s)
	}
	if strings.TrimSpace(e.Given) == "" {
		// No default stands in for a missing setting: a kiosk that guessed
		// "emergency department" in an outpatients clinic would notify
		// local authorities of every child it checked.
		return fmt.Sprintf("no care setting is configured: set care_setting to exactly one of the seven unscheduled care settings (%s). "+
			"The CP-IS guide says: %q and %q",
			strings.Join(names, ", "), UnscheduledOnlyQuote, ScheduledCareQuote)
	}
	return fmt.Sprintf("care setting %q is not one of the seven unscheduled care settings (%s). The CP-IS guide says: %q",
		e.Given, strings.Join(names, ", "), ScheduledCareQuote)
}

func (e *SettingError) Unwrap() error { return ErrNotUnscheduled }

// ParseSetting accepts a configured setting name; any setting outside the
// seven is refused with the guide's reason.
func ParseSetting(s string) (Setting, error) {
	norm := strings.ToLower(strings.TrimSpace(s))
	norm = strings.NewReplacer(" ", "-", "_", "-").Replace(norm)
	for _, known := range Settings {
		if string(known) == norm {
			return known, nil
		}
	}
	return "", &SettingError{Given: s}
}

// Name is the setting as a banner shows it.
func (s Setting) Name() string {
	switch s {
	case EmergencyDepartment:
		return "Emergency department"
	case MinorInjuryUnit:
		return "Minor injury unit"
	case WalkInCentre:
		return "Walk-in centre"
	case GPOutOfHours:
		return "GP out-of-hours"
	case MaternityUnit:
		return "Maternity unit"
	case PaediatricWard:
		return "Paediatric ward"
	case AmbulanceService:
		return "Ambulance service"
	}
	return string(s)
}
