package cpis_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nhs-cpis/kiosk/cpis"
)

func TestParseSettingAccepts(t *testing.T) {
	tests := []struct {
		guide string
		in    string
		want  cpis.Setting
		name  string
	}{
		{gStep2 + " emergency departments", "emergency-department", cpis.EmergencyDepartment, "Emergency department"},
		{gStep2 + " minor injury units", "minor-injury-unit", cpis.MinorInjuryUnit, "Minor injury unit"},
		{gStep2 + " walk-in centres", "walk-in-centre", cpis.WalkInCentre, "Walk-in centre"},
		{gStep2 + " GP out-of-hours services", "gp-out-of-hours", cpis.GPOutOfHours, "GP out-of-hours"},
		{gStep2 + " maternity units", "maternity-unit", cpis.MaternityUnit, "Maternity unit"},
		{gStep2 + " paediatric wards", "paediatric-ward", cpis.PaediatricWard, "Paediatric ward"},
		{gStep2 + " ambulance services", "ambulance-service", cpis.AmbulanceService, "Ambulance service"},
		// As people write them in a configuration file.
		{gSettings, "Emergency Department", cpis.EmergencyDepartment, "Emergency department"},
		{gSettings, "  EMERGENCY_DEPARTMENT ", cpis.EmergencyDepartment, "Emergency department"},
		{gSettings, "Minor injury unit", cpis.MinorInjuryUnit, "Minor injury unit"},
		{gSettings, "Walk in centre", cpis.WalkInCentre, "Walk-in centre"},
		{gSettings, "GP out-of-hours", cpis.GPOutOfHours, "GP out-of-hours"},
		{gSettings, "GP Out of Hours", cpis.GPOutOfHours, "GP out-of-hours"},
		{gSettings, "Maternity Unit", cpis.MaternityUnit, "Maternity unit"},
		{gSettings, "paediatric_ward", cpis.PaediatricWard, "Paediatric ward"},
		{gSettings, "Ambulance Service", cpis.AmbulanceService, "Ambulance service"},
	}
	for _, tt := range tests {
		got, err := cpis.ParseSetting(tt.in)
		if err != nil {
			t.Errorf("ParseSetting(%q): %v\nguide: %s", tt.in, err, tt.guide)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseSetting(%q) = %q, want %q\nguide: %s", tt.in, got, tt.want, tt.guide)
		}
		if got.Name() != tt.name {
			t.Errorf("%q.Name() = %q, want %q", got, got.Name(), tt.name)
		}
	}
	if len(cpis.Settings) != 7 {
		t.Errorf("Settings lists %d settings, the guide names seven\nguide: %s", len(cpis.Settings), gSettings)
	}
}

func TestParseSettingRefuses(t *testing.T) {
	tests := []struct {
		guide string
		in    string
	}{
		{gScheduled, "outpatients"},
		{gStep2Other, "gp-practice"},
		{gStep2Other, ""},
		{gStep2Other, "   "},
		{gStep2Other, "community-clinic"},
		{gStep2Other, "emergency department outpatients"},
	}
	for _, tt := range tests {
		got, err := cpis.ParseSetting(tt.in)
		if err == nil {
			t.Errorf("ParseSetting(%q) = %q, want a refusal\nguide: %s", tt.in, got, tt.guide)
			continue
		}
		if got != "" {
			t.Errorf("ParseSetting(%q) returned %q with its error", tt.in, got)
		}
		if !errors.Is(err, cpis.ErrNotUnscheduled) {
			t.Errorf("ParseSetting(%q) = %v, want errors.Is ErrNotUnscheduled", tt.in, err)
		}
		var se *cpis.SettingError
		if !errors.As(err, &se) || se.Given != tt.in {
			t.Errorf("ParseSetting(%q) error does not name the setting given: %v", tt.in, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, gScheduled) {
			t.Errorf("message does not quote the guide: %s\nguide: %s", msg, gScheduled)
		}
		for _, s := range cpis.Settings {
			if !strings.Contains(msg, string(s)) {
				t.Errorf("message does not list %q, one of the settings to choose from: %s", s, msg)
			}
		}
	}
}

// TestMissingSettingQuotesTheGuide: no setting is refused with the guide's
// own list of where CP-IS applies and its reason for nowhere else.
func TestMissingSettingQuotesTheGuide(t *testing.T) {
	if cpis.UnscheduledOnlyQuote != gSettings {
		t.Errorf("UnscheduledOnlyQuote = %q\nguide: %s", cpis.UnscheduledOnlyQuote, gSettings)
	}
	for _, given := range []string{"", "   "} {
		_, err := cpis.ParseSetting(given)
		if !errors.Is(err, cpis.ErrNotUnscheduled) {
			t.Fatalf("ParseSetting(%q) = %v", given, err)
		}
		for _, want := range []string{"no care setting is configured", gSettings, gScheduled} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("ParseSetting(%q): %q does not say %q", given, err, want)
			}
		}
	}
}
