package cpis

// Question is something only the member of staff can answer that decides
// whether an adult woman must be checked.
type Question string

// The questions of the guide's "Who to check" section.
const (
	// Maternity unit, any one of these.
	QNotKnownToMaternity Question = "Not known to maternity services: came in through the emergency department or by ambulance"
	QOutOfArea           Question = "From out of area and not booked into local maternity services"
	QRecentlyMoved       Question = "Recently moved into the area and has no maternity records"
	// Emergency department, both of these.
	QVisiblyPregnant  Question = "Visibly pregnant"
	QNoMaternityRoute Question = "Not being admitted for maternity assessment, and no community midwife identified"
)

// Answers holds what the member of staff has ticked.
type Answers map[Question]bool

// Need is the answer to "must this patient be checked?".
type Need int

// The three outcomes of the who-to-check rules.
const (
	// NotRequired: the guide does not ask for a check (one may still be made).
	NotRequired Need = iota
	// Required: the guide asks for a check.
	Required
	// AskStaff: the answer depends on questions only staff can answer.
	AskStaff
)

// CheckAnswer is the outcome with the guide's reason and, for AskStaff or
// when answered, the questions that decide it.
type CheckAnswer struct {
	Need      Need
	Reason    string
	Questions []Question
	AllOf     bool // the questions must all be true (ED) rather than any (maternity)
}

// Maternity age limit: "All girls and women presenting at maternity units
// who are up to 55 years of age".
const MaternityMaxAge = 55

// WhoToCheck applies the guide's "Who to check" rules to a patient of the
// given age and gender presenting in the setting, with whatever staff have
// answered so far. An age below zero means the date of birth is not known,
// and then a check is required: a missed child is worse than an extra check.
func WhoToCheck(setting Setting, age int, gender Gender, a Answers) CheckAnswer {
	if age < 0 {
		return CheckAnswer{Need: Required, Reason: "Date of birth not known: check, as the patient may be under 18."}
	}
	if age < 18 {
		return CheckAnswer{Need: Required, Reason: "Under 18: all children under the age of 18 years must be checked."}
	}
	// Only a recorded male is ruled out: PDS may hold "unknown" or "other"
	// for a girl or woman, and a missed check is worse than an extra one.
	female := gender != Male
	switch {
	case setting == MaternityUnit && female && age <= MaternityMaxAge:
		qs := []Question{QNotKnownToMaternity, QOutOfArea, QRecentlyMoved}
		for _, q := range qs {
			if a[q] {
				return CheckAnswer{Need: Required, Questions: qs,
					Reason: "Maternity unit, aged 55 or under, and " + lowerFirst(string(q)) + ": must be checked."}
			}
		}
		return CheckAnswer{Need: AskStaff, Questions: qs,
			Reason: "Maternity unit, aged 55 or under: check if any of these apply."}
	case setting == EmergencyDepartment && female:
		qs := []Question{QVisiblyPregnant, QNoMaternityRoute}
		if a[QVisiblyPregnant] && a[QNoMaternityRoute] {
			return CheckAnswer{Need: Required, Questions: qs, AllOf: true,
				Reason: "Emergency department, visibly pregnant, not admitted for maternity assessment and no community midwife: must be checked."}
		}
		return CheckAnswer{Need: AskStaff, Questions: qs, AllOf: true,
			Reason: "Emergency department: check if both of these apply."}
	}
	return CheckAnswer{Need: NotRequired, Reason: "Adult: a check is not required by the CP-IS rules for this setting."}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'A' && b[0] <= 'Z' {
		b[0] += 'a' - 'A'
	}
	return string(b)
}
