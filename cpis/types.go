package cpis

import (
	"strings"
	"time"
)

// Gender is the administrative gender as PDS records it (FHIR
// AdministrativeGender).
type Gender string

// The FHIR AdministrativeGender codes.
const (
	Male    Gender = "male"
	Female  Gender = "female"
	Other   Gender = "other"
	Unknown Gender = "unknown"
)

// Patient is what the kiosk shows of a PDS record. Restricted patients
// (PDS meta.security code "R") come without address, telecom or GP, and
// Postcode is then empty.
type Patient struct {
	NHS        NHSNumber
	Given      string
	Family     string
	BirthDate  time.Time // a calendar date, UTC midnight
	Gender     Gender
	Postcode   string
	Restricted bool
	// Verified: PDS holds the NHS number as verified
	// (NHSNumberVerificationStatus 01).
	Verified bool
	// Superseded is the NHS number that was asked for when PDS answered
	// with a record under another, current number (NHS is then the
	// current one, to be used from here on, for CP-IS too, and the
	// screen says so); empty otherwise.
	Superseded NHSNumber
}

// Name is the patient's name as a banner shows it: "FAMILY, Given".
// Upper case covers every script PDS may hold ("MÜLLER"), not only ASCII.
func (p Patient) Name() string {
	switch {
	case p.Family == "":
		return p.Given
	case p.Given == "":
		return strings.ToUpper(p.Family)
	}
	return strings.ToUpper(p.Family) + ", " + p.Given
}

// AgeOn is the patient's age in whole years on the given day.
func (p Patient) AgeOn(day time.Time) int {
	return AgeOn(p.BirthDate, day)
}

// AgeOn is the age in whole years on day of someone born on birth.
func AgeOn(birth, day time.Time) int {
	if birth.IsZero() {
		return -1
	}
	y1, m1, d1 := birth.Date()
	y2, m2, d2 := day.Date()
	age := y2 - y1
	if m2 < m1 || (m2 == m1 && d2 < d1) {
		age--
	}
	return age
}

// SearchQuery is a PDS demographic search. Family name and date of birth
// are the minimum PDS accepts; gender and postcode narrow the match.
type SearchQuery struct {
	Family    string
	Given     string
	BirthDate time.Time
	Gender    Gender
	Postcode  string
}

// LocalAuthority is the council responsible for the child, with the two
// numbers the guide asks to show: office hours and out of hours (the
// emergency duty team).
type LocalAuthority struct {
	Name string // CareTeam.name
	// ODS is the authority's ODS code. The published CareTeam does not
	// carry one, so it is empty in anything read from CP-IS.
	ODS         string
	OfficeHours string // CareTeam.telecom where use is work
	OutOfHours  string // CareTeam.telecom where use is mobile: the emergency duty team
}

// Access is one row of a Child Care Alert's access history: "date/time,
// who accessed the record, their role and their organisation name" (guide,
// "The information CP-IS provides").
type Access struct {
	When         time.Time
	Who          string
	Role         string
	Organisation string
	// RoleProfileID is the viewer's SDS role profile id, for tracing an
	// access with the organisation's registration authority; not shown.
	RoleProfileID string
}

// MaxHistory is how many previous accesses the alert shows: "the previous
// 25 occasions that the child's Child Care Alert was accessed".
const MaxHistory = 25

// Alert is the Child Care Alert: the only information the guide allows
// healthcare staff to see. Nothing else (reason, family, medical
// information) is ever modelled.
type Alert struct {
	NHS     NHSNumber
	Plans   []Plan // the plans visible on the day of the check
	History []Access
}

// Authority is the local authority responsible for the most recent visible
// plan, or the zero value when there is none.
func (a Alert) Authority() LocalAuthority {
	if len(a.Plans) == 0 {
		return LocalAuthority{}
	}
	return a.Plans[0].Authority
}
