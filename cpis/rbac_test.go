package cpis_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nhs-cpis/kiosk/cpis"
)

func role(codes ...cpis.ActivityCode) cpis.Role {
	return cpis.Role{ID: "555021935107", OrgCode: "RR8", JobRole: "R8000", Activity: codes}
}

func TestPermit(t *testing.T) {
	tests := []struct {
		guide      string
		name       string
		role       cpis.Role
		action     cpis.Action
		missing    cpis.ActivityCode // empty: permitted
		silentOnly bool
	}{
		{gB0264, "trace with B0264", role(cpis.PerformTrace), cpis.ActTrace, "", false},
		{gB0107, "open with B0107", role(cpis.ViewFlag), cpis.ActOpenAlert, "", false},
		{gStep12Codes, "both codes, trace", role(cpis.ViewFlag, cpis.PerformTrace), cpis.ActTrace, "", false},
		{gStep12Codes, "both codes, open", role(cpis.ViewFlag, cpis.PerformTrace), cpis.ActOpenAlert, "", false},
		{gStep12Codes, "SCR user without B0107 cannot open", role(cpis.PerformTrace), cpis.ActOpenAlert, cpis.ViewFlag, false},
		{gStep12Codes, "B0107 alone cannot trace", role(cpis.ViewFlag), cpis.ActTrace, cpis.PerformTrace, false},
		{gStep12Codes, "no codes, trace", role(), cpis.ActTrace, cpis.PerformTrace, false},
		{gStep12Codes, "no codes, open", role(), cpis.ActOpenAlert, cpis.ViewFlag, false},
		{rB0170 + " " + gScheduled, "B0170 only, open", role(cpis.SilentRead), cpis.ActOpenAlert, cpis.ViewFlag, true},
		{rB0170 + " " + gScheduled, "B0170 and B0264, open", role(cpis.SilentRead, cpis.PerformTrace), cpis.ActOpenAlert, cpis.ViewFlag, true},
		{rB0170, "B0170 does not stand in for B0264", role(cpis.SilentRead), cpis.ActTrace, cpis.PerformTrace, false},
		{rB0170, "B0170 beside B0107 is harmless", role(cpis.SilentRead, cpis.ViewFlag), cpis.ActOpenAlert, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cpis.Permit(tt.role, tt.action)
			if tt.missing == "" {
				if err != nil {
					t.Fatalf("Permit = %v, want nil\nguide: %s", err, tt.guide)
				}
				return
			}
			if err == nil {
				t.Fatalf("Permit = nil, want refusal for missing %s\nguide: %s", tt.missing, tt.guide)
			}
			checkPermissionError(t, err, tt.missing, tt.guide)
			if got := errors.Is(err, cpis.ErrSilentReadOnly); got != tt.silentOnly {
				t.Errorf("errors.Is(ErrSilentReadOnly) = %v, want %v: %v\nguide: %s", got, tt.silentOnly, err, tt.guide)
			}
		})
	}
}

func TestUsableHere(t *testing.T) {
	tests := []struct {
		guide   string
		name    string
		role    cpis.Role
		want    error
		missing cpis.ActivityCode
	}{
		{gB0264, "B0264 traces", role(cpis.PerformTrace), nil, ""},
		{gB0107, "B0107 opens", role(cpis.ViewFlag), nil, ""},
		{gStep12Codes, "both", role(cpis.PerformTrace, cpis.ViewFlag), nil, ""},
		{gStep12Codes, "B0170 beside B0107", role(cpis.SilentRead, cpis.ViewFlag), nil, ""},
		{rB0170 + " " + gScheduled, "B0170 only", role(cpis.SilentRead), cpis.ErrSilentReadOnly, ""},
		{gStep12RA, "no codes", role(), cpis.ErrNotPermitted, cpis.PerformTrace},
		{gStep12RA, "unrelated codes", role("B0001", "B1234"), cpis.ErrNotPermitted, cpis.PerformTrace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cpis.UsableHere(tt.role)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("UsableHere = %v, want nil\nguide: %s", err, tt.guide)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("UsableHere = %v, want errors.Is %v\nguide: %s", err, tt.want, tt.guide)
			}
			if tt.want == cpis.ErrSilentReadOnly {
				if !strings.Contains(err.Error(), gScheduled) {
					t.Errorf("message does not quote the guide: %v", err)
				}
				return
			}
			checkPermissionError(t, err, tt.missing, tt.guide)
		})
	}
}

// checkPermissionError wants a PermissionError naming the missing code
// and sending the user to whoever can add it to the card (step 12).
func checkPermissionError(t *testing.T, err error, missing cpis.ActivityCode, guide string) {
	t.Helper()
	var pe *cpis.PermissionError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T (%v) is not a *PermissionError\nguide: %s", err, err, guide)
	}
	if pe.Missing != missing {
		t.Errorf("Missing = %s, want %s\nguide: %s", pe.Missing, missing, guide)
	}
	if !errors.Is(err, cpis.ErrNotPermitted) {
		t.Errorf("errors.Is(ErrNotPermitted) = false: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{string(missing), "registration authority"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not name %q\nguide: %s", msg, want, gStep12RA)
		}
	}
}
