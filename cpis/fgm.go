package cpis

import "time"

// FGM Information Sharing (FGM-IS): the national indicator that a girl
// has a family history of female genital mutilation
// (spine-interfaces.md, "FGM Information Sharing", from the FGM-IS FHIR
// guide and the local-system integration requirements, DCB2112).

// FGMCode is the SNOMED CT code of the FGM-IS indicator, "Family history of
// female genital mutilation" (Flag.code).
const FGMCode = "902961000000107"

// FGMFlag is an FGM-IS indicator found for a child: when the family
// history was assessed (Flag.period.start), and when the kiosk asked.
type FGMFlag struct {
	NHS      NHSNumber
	Assessed time.Time // a calendar date, UTC midnight; zero: not given
	Queried  time.Time
}

// FGMAdvice is what the indicator means and what to do, shown with it.
const FGMAdvice = "A mother or sister has had female genital mutilation. It is not a diagnosis: " +
	"take it into account in her care and follow your local FGM safeguarding procedure."

// FGMNoFlagMeansNothing is said wherever the check's result is shown: the
// integration requirements tell systems to say it.
const FGMNoFlagMeansNothing = "No FGM-IS indicator does not mean there is no risk of FGM."

// FGMApplies reports whether the FGM-IS query is made for a traced
// patient on a day: a verified NHS number, someone under 18, whose PDS
// gender is female, unknown or indeterminate, so not male (the
// integration requirements: query "automatically after the PDS trace"
// for these, at the start of every unscheduled care episode). A patient
// without a date of birth may be under 18, and is asked about.
func FGMApplies(p Patient, day time.Time) bool {
	if !p.Verified || p.Gender == Male {
		return false
	}
	return p.BirthDate.IsZero() || p.AgeOn(day) < 18
}
