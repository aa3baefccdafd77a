package cpis_test

// The sentences the tests cite, verbatim from "Implementing Child Protection
// – Information Sharing" (seed/cp-is-implementation-guide.txt; its
// non-breaking spaces written as plain ones), so that a failing row says
// which rule of the guide it defends. Rules the guide does
// not state (the NHS number's check digit, the silent-read code) cite
// reference/spine-interfaces.md or DESIGN.md instead, and say so.
const (
	// "Before we start".
	gSettings  = "CP-IS only applies to emergency departments, minor injury units, walk-in centres, GP out-of-hours services, maternity units, paediatric wards and ambulance services."
	gScheduled = "CP-IS must not be used in scheduled care settings such as outpatients, as this will result in notifications being sent to local authorities that they are not prepared for."

	// "Who to check".
	gMustCheck     = "When you go live, the following patients must be checked when they present for care to see if a Child Care Alert is present on their records."
	gUnder18       = "All children under the age of 18 years (and not just those you have a safeguarding concern about)."
	gMaternity     = "All girls and women presenting at maternity units who are up to 55 years of age, and are either:"
	gMatNotKnown   = "not known to maternity services because they have been admitted via an emergency department or directly from ambulance services"
	gMatOutOfArea  = "from out of area and not booked into local maternity services"
	gMatMoved      = "recently moved into the area and do not have maternity records"
	gED            = "All girls and women presenting at emergency departments who are both:"
	gEDPregnant    = "visibly pregnant"
	gEDNoMaternity = "not being admitted for maternity assessment, and a community midwife has not been identified"

	// "The information CP-IS provides".
	gLAC       = "are a looked after child (LAC)"
	gCPP       = "are subject to a child protection plan (CPP)"
	g365       = "have been one of the above in the previous 365 days"
	gUCPP      = "are pregnant and their unborn child is subject to a child protection plan (UCPP) - this alert is visible for 28 days after the mother’s due date"
	gNHSNumber = "NHS Number"
	gPlanType  = "type of plan (LAC, CPP or UCPP)"
	gStartEnd  = "start and end date of that plan"

	// Step 2 – Identify your unscheduled care settings.
	gStep2      = "CP-IS only applies to unscheduled care settings such as:"
	gStep2Other = "CP-IS must not be used in any other care settings. This will result in local authorities receiving notifications that they are not expecting."

	// Step 12 – Add Role Based Access Control codes to NHS Smartcards.
	gStep12RA    = "Identify who is responsible for issuing and configuring NHS Smartcards for your organisation (for example, the registration authority manager, sponsor or equivalent) and have the following codes added to cards for the staff concerned."
	gStep12Codes = "If staff are already accessing the SCR they will only need one extra code adding to their smartcard (B0107). If they are not already accessing SCR, two codes need to be added (B0107 and B0264)."
	gB0264       = "B0264 Access Clinical Spine Application – Perform Patient Trace"
	gB0107       = "B0107 View Child Protection Plan"

	// Step 19 – Test systems and processes.
	gTestPatients = "Please use NHS Numbers 9990276579 and 9990275831 for these purposes."
	gGenuine      = "Genuine NHS numbers and records should never be used for testing or training purposes."

	// Not in the guide: reference/spine-interfaces.md, "NHS number".
	rMod11   = "reference, NHS number: Ten digits; the last is a modulus 11 check digit: weights 10 down to 2 on the first nine, check = 11 - (sum mod 11); 11 becomes 0; 10 means the number is invalid."
	rSpaces  = "reference, NHS number: Spaces as `999 027 6579` are common on screens and wristbands."
	rTestNos = "reference, NHS number: Numbers from 9000000000 to 9999999999 are test numbers (never real people)."
	rValid   = "reference, NHS number: Valid examples: `9990276579`, `9990275831`, `9000000009`, `9876543210`."
	rInvalid = "reference, NHS number: Invalid: `1234567890` (bad check digit), `000000006x` (check digit 10)."
	// reference/spine-interfaces.md, "Smartcard role codes".
	rB0170 = "reference, role codes: `B0170`: the same view with no notification (\"silent read\"), meant for scheduled care. Not for this kiosk."
	// DESIGN.md, "Screens".
	dBanner = "design: the patient banner (name, date of birth and age, gender, NHS number as 999 027 6579, a \"restricted record\" marker where it applies)"
)
