package app

import (
	"context"
	"errors"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/ui"
)

// messageFor turns an error into plain words: what happened and what to do
// next. It decides by error type, never by reading the text, and never shows
// a Go error string.
func messageFor(err error) *ui.Message {
	var nhsErr *cpis.NHSError
	var perm *cpis.PermissionError
	switch {
	case errors.As(err, &nhsErr):
		return &ui.Message{Title: "That NHS number is not valid", Body: sentence(nhsErr.Error()),
			Next: "Check the number on the wristband or letter and type it again, or search by details.", Warn: true}
	case errors.Is(err, cpis.ErrSilentReadOnly):
		return &ui.Message{Title: "This role cannot be used here",
			Body: "Your role only has code B0170, the silent read for scheduled care. " + cpis.ScheduledCareQuote,
			Next: "Choose another role, or ask your registration authority for codes B0264 and B0107."}
	case errors.As(err, &perm):
		return &ui.Message{Title: "Your role does not allow this", Body: sentence(perm.Error()),
			Next: "Ask a colleague whose role has the code, and ask your registration authority to add it to your smartcard."}
	case errors.Is(err, spine.ErrNotFound):
		return &ui.Message{Title: "Patient not found",
			Body: "No patient with this NHS number is on the national register (PDS).",
			Next: "Check the number, or search by name and date of birth.", Warn: true}
	case errors.Is(err, spine.ErrTooManyMatches):
		return &ui.Message{Title: "Too many patients match",
			Body: "More patients match these details than can be listed.",
			Next: "Add the postcode, gender or given name, or ask for the NHS number.", Warn: true}
	case errors.Is(err, spine.ErrAccessDenied):
		return &ui.Message{Title: "The Spine refused access",
			Body: "Your session was not accepted by the national services. It may have expired.",
			Next: "Take your smartcard out and insert it again. If this keeps happening, call the IT service desk."}
	case errors.Is(err, spine.ErrInvalid):
		return &ui.Message{Title: "The Spine rejected the request",
			Body: "The national service said the request was not valid.",
			Next: "Check what you entered and try again. If it happens again, call the IT service desk."}
	case errors.Is(err, spine.ErrCertificate):
		return &ui.Message{Title: "The Spine's identity could not be verified",
			Body: "The connection was stopped because the server's certificate did not verify. No patient data was sent.",
			Next: "Do not retry on this machine. Follow the downtime process and call the IT service desk."}
	case errors.Is(err, spine.ErrBadResponse):
		return &ui.Message{Title: "The Spine gave an answer the kiosk cannot read",
			Body: "The national service answered, but not in a form the kiosk understands.",
			Next: "Try again in a minute. If it keeps happening, follow the downtime process and call the IT service desk."}
	case errors.Is(err, ErrNoCardSignIn):
		return &ui.Message{Title: "Smartcard sign-in is not available yet",
			Body: "This kiosk is set up for a real Spine, where only an NHS smartcard can sign in.",
			Next: "Use the embedded sandbox for training, or call the IT service desk."}
	case errors.Is(err, context.Canceled):
		return nil
	case spine.Retryable(err):
		return &ui.Message{Title: "The Spine cannot be reached",
			Body: "The national services did not answer in time or are not available.",
			Next: "Try again in a minute. If it stays down, follow the downtime process and record the presentation on paper."}
	}
	return &ui.Message{Title: "Something went wrong",
		Body: "The kiosk could not finish this step.",
		Next: "Try again. If it happens again, call the IT service desk and give them the time on the screen."}
}

// sentence capitalises a domain error's message and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	if b[len(b)-1] != '.' {
		b = append(b, '.')
	}
	return string(b)
}

// helpFor is the footer's help for each screen.
func helpFor(s ui.Screen) string {
	switch s {
	case ui.ScreenEntry:
		return "Type or scan the NHS number and press Enter. No number? Choose Search by details."
	case ui.ScreenSearch:
		return "Family name and date of birth are needed. Add gender and postcode to narrow the search."
	case ui.ScreenResults:
		return "Choose the patient who is in front of you. Not listed? Go back and change the details."
	case ui.ScreenPatient:
		return "Check the patient banner matches the person in front of you before opening any alert."
	case ui.ScreenConfirm:
		return "Opening the alert tells the child's local authority that the child presented here. It is not a referral."
	case ui.ScreenAlert:
		return "Use the contact numbers to speak to the local authority. Raise any safeguarding concern through the local route."
	}
	return ""
}
