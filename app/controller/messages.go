package controller

import (
	"context"
	"errors"

	"github.com/nhs-cpis/kiosk/app/cardsession"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/spine/cis2"
	"github.com/nhs-cpis/kiosk/ui"
)

// MessageFor turns an error into plain words: what happened and what to do
// next. It decides by error type, never by reading the text, and never shows
// a Go error string.
func MessageFor(err error) *ui.Message {
	var nhsErr *cpis.NHSError
	var perm *cpis.PermissionError
	for _, p := range plainErrors {
		if errors.Is(err, p.err) {
			m := p.msg
			return &m
		}
	}
	switch {
	case errors.As(err, &nhsErr):
		return &ui.Message{Title: "That NHS number is not valid", Body: ui.Sentence(nhsErr.Error()),
			Next: "Check the number on the wristband or letter and type it again, or search by details.", Warn: true}
	case errors.Is(err, cpis.ErrSilentReadOnly):
		return &ui.Message{Title: "This role cannot be used here",
			Body: "Your role only has code B0170, the silent read for scheduled care. " + cpis.ScheduledCareQuote,
			Next: "Choose another role, or ask your registration authority for codes B0264 and B0107."}
	case errors.As(err, &perm):
		return &ui.Message{Title: "Your role does not allow this", Body: ui.Sentence(perm.Error()),
			Next: "Ask a colleague whose role has the code, and ask your registration authority to add it to your smartcard."}
	case errors.Is(err, context.Canceled):
		return nil
	case spine.Retryable(err):
		return &ui.Message{Title: "The Spine cannot be reached",
			Body: "The national services did not answer in time or are not available.",
			Next: "Try again in a minute. If it stays down, follow the downtime process and record the presentation on paper."}
	}
	m := somethingWrong
	return &m
}

// somethingWrong is the message for an error the kiosk has no words for.
var somethingWrong = ui.Message{Title: "Something went wrong",
	Body: "The kiosk could not finish this step.",
	Next: "Try again. If it happens again, call the IT service desk and give them the time on the screen."}

// plainErrors are the errors that each have one message, in the order
// they are tried.
var plainErrors = []struct {
	err error
	msg ui.Message
}{
	{check.ErrNotRecorded, ui.Message{Title: "The check was not made",
		Body: "This computer could not save its record of the check, so CP-IS was not asked and nobody was told.",
		Next: "Call the IT service desk: the disk may be full. Follow the downtime process for this child now."}},
	{spine.ErrNotFound, ui.Message{Title: "Patient not found",
		Body: "No patient with this NHS number is on the national register (PDS).",
		Next: "Check the number, or search by name and date of birth.", Warn: true}},
	{spine.ErrTooManyMatches, ui.Message{Title: "Too many patients match",
		Body: "More patients match these details than can be listed.",
		Next: "Add the postcode, gender or given name, or ask for the NHS number.", Warn: true}},
	{spine.ErrAccessDenied, ui.Message{Title: "The Spine refused access",
		Body: "Your session was not accepted by the national services. It may have expired.",
		Next: "Take your smartcard out and insert it again. If this keeps happening, call the IT service desk."}},
	{spine.ErrInvalid, ui.Message{Title: "The Spine rejected the request",
		Body: "The national service said the request was not valid.",
		Next: "Check what you entered and try again. If it happens again, call the IT service desk."}},
	{spine.ErrCertificate, ui.Message{Title: "The Spine's identity could not be verified",
		Body: "The connection was stopped because the server's certificate did not verify. No patient data was sent.",
		Next: "Do not retry on this machine. Follow the downtime process and call the IT service desk."}},
	{spine.ErrBadResponse, ui.Message{Title: "The Spine gave an answer the kiosk cannot read",
		Body: "The national service answered, but not in a form the kiosk understands.",
		Next: "Try again in a minute. If it keeps happening, follow the downtime process and call the IT service desk."}},
	{cardsession.ErrNoDemoSignIn, ui.Message{Title: "The demo user cannot sign in here",
		Body: "This kiosk is set up for the real Spine, where staff sign in through NHS CIS2 with their smartcard.",
		Next: "Sign in at the kiosk with your smartcard, or use the embedded sandbox for training."}},
	{cardsession.ErrCancelled, ui.Message{Title: "Sign-in cancelled", Body: "Nobody is signed in.",
		Next: "Take your card out. Insert it again to sign in.", Warn: true}},
	{cis2.ErrNoCallback, ui.Message{Title: "The NHS sign-in did not come back",
		Body: "The sign-in window was closed, or nothing happened in it for 5 minutes. Nobody is signed in.",
		Next: "Take your card out and insert it again to start again.", Warn: true}},
	{cis2.ErrDenied, ui.Message{Title: "NHS CIS2 did not sign you in",
		Body: "The sign-in was cancelled in the NHS window, or NHS CIS2 refused it. Nobody is signed in.",
		Next: "Take your card out and insert it again to try again. If it is refused again, call your registration authority."}},
	{cis2.ErrUnreachable, ui.Message{Title: "NHS CIS2 cannot be reached",
		Body: "The NHS sign-in service did not answer, so nobody can sign in on this kiosk now.",
		Next: "Follow the downtime process and record children on paper. Take your card out and try again in a few minutes; if it lasts, call the IT service desk."}},
	{cis2.ErrExpired, ui.Message{Title: "The sign-in was out of date when it arrived",
		Body: "NHS CIS2's answer had expired, so it was not used. This computer's clock may be wrong. Nobody is signed in.",
		Next: "Take your card out and insert it again. If it happens again, call the IT service desk to check the clock."}},
	{cis2.ErrState, signInUntrusted},
	{cis2.ErrNonce, signInUntrusted},
	{cis2.ErrUntrusted, signInUntrusted},
	{cis2.ErrBadAnswer, ui.Message{Title: "The NHS sign-in gave an answer the kiosk cannot read",
		Body: "NHS CIS2 or the API platform answered, but not as the standard says. Nobody is signed in.",
		Next: "Take your card out and try again in a minute. If it keeps happening, call the IT service desk."}},
	{cis2.ErrRefused, ui.Message{Title: "The national services refused this kiosk's sign-in",
		Body: "NHS CIS2 signed you in, but the NHS API platform did not give the kiosk access in your name. Nobody is signed in.",
		Next: "Call the IT service desk: the kiosk's registration with NHS England needs attention. Follow the downtime process meanwhile."}},
	{cis2.ErrNoRenewal, ui.Message{Title: "Your session has expired",
		Body: "The national services' access for your session ran out and could not be renewed.",
		Next: "Take your card out and insert it again."}},
	{cis2.ErrUserAgent, ui.Message{Title: "The NHS sign-in window could not open",
		Body: "The kiosk could not open the sign-in at NHS CIS2 in the browser. Nobody is signed in.",
		Next: "Take your card out and insert it again. If it happens again, call the IT service desk: the browser may be missing."}},
	{cis2.ErrPortBusy, ui.Message{Title: "The NHS sign-in could not start",
		Body: "Another program on this computer is using the port the NHS sign-in returns to.",
		Next: "Call the IT service desk, and give them the time on the screen."}},
}

// signInUntrusted is the message for a sign-in answer that failed the
// kiosk's checks (state, nonce, signature, issuer, audience).
var signInUntrusted = ui.Message{Title: "The sign-in answer could not be trusted",
	Body: "The answer from NHS CIS2 failed the kiosk's security checks, so it was thrown away. Nobody is signed in.",
	Next: "Take your card out and insert it again. If it happens again, call the IT service desk: tell them the time on the screen."}

// sessionHelp is the footer's help on the session's screens: each speaks
// of that screen, never of a number to scan before anyone is signed in.
func sessionHelp(sv ui.SessionView) string {
	switch sv.Gate {
	case cpis.GateOpen:
		return helpFor(ui.ScreenEntry)
	case cpis.GateNoReader:
		return "No smartcard reader is found. Plug it in; \"IT status\" shows what the kiosk sees."
	case cpis.GateInsertCard:
		if sv.Browser {
			return "Insert your NHS smartcard: the NHS sign-in opens and asks for your passcode."
		}
		return "Insert your NHS smartcard, chip first, to sign in."
	case cpis.GatePasscode:
		return "Forgotten your passcode? Do not guess: after 3 wrong tries the card locks. Ask your registration authority."
	case cpis.GateSigningIn:
		return "Signing in with NHS CIS2. Cancel sign-in stops it; taking your card out does too."
	case cpis.GateChooseRole:
		return "Choose the role you are working in now. Not you? Take your card out."
	case cpis.GateLocked:
		if sv.Browser {
			return "Sign in again to carry on, or take your card out."
		}
		return "Enter your passcode to carry on, or take your card out."
	case cpis.GateRefused:
		return "Take your card out. Your registration authority can help with your smartcard."
	}
	return "The kiosk is starting: it looks for the smartcard reader and the Spine."
}

// helpFor is the footer's help for each screen.
func helpFor(s ui.Screen) string { return screenHelp[s] }

// screenHelp is the footer's help for the check flow's screens; the other
// screens set their own.
var screenHelp = map[ui.Screen]string{
	ui.ScreenEntry:   "Type or scan the NHS number and press Enter. No number? Choose Search by details.",
	ui.ScreenSearch:  "Family name and date of birth are needed. Add gender and postcode to narrow the search.",
	ui.ScreenResults: "Choose the patient who is in front of you. Not listed? Go back and change the details.",
	ui.ScreenPatient: "Check the patient banner matches the child in front of you, then check CP-IS.",
	ui.ScreenQueue:   "A colleague with code B0107 signed in here makes these checks. Call IT about any check moved aside.",
	ui.ScreenMatch:   "Compare the details recorded with the national record. Not sure? Answer No: the lead traces the child by hand.",
	ui.ScreenConfirm: "Checking tells the child's local authority that the child presented here, if the child has a plan. It is not a referral.",
	ui.ScreenAlert:   "Use the contact numbers to speak to the local authority. Raise any safeguarding concern through the local route.",
}

// cardMessage says in plain words what went wrong with the card.
func cardMessage(err error) *ui.Message {
	switch {
	case errors.Is(err, device.ErrBlocked):
		return &ui.Message{Title: "Your smartcard is locked",
			Body: "The passcode was entered wrongly too many times, so the card has locked itself.",
			Next: "Take your card out. Your registration authority (RA) can unlock it."}
	case errors.Is(err, device.ErrCardRemoved), errors.Is(err, device.ErrNoCard):
		return &ui.Message{Title: "The card was taken out", Body: "The card left the reader before sign-in finished.",
			Next: "Insert your smartcard again.", Warn: true}
	}
	return &ui.Message{Title: "This card cannot be read",
		Body: "The card in the reader is not an NHS smartcard this kiosk can use, or it did not answer.",
		Next: "Take the card out and insert it again, chip first and facing up. If it happens again, call the IT service desk."}
}

// signInMessage explains a sign-in that did not finish.
func signInMessage(err error) *ui.Message {
	if m := MessageFor(err); m != nil && *m != somethingWrong {
		return m
	}
	return &ui.Message{Title: "Sign-in did not finish",
		Body: "The kiosk could not finish signing you in with NHS CIS2. Nobody is signed in.",
		Next: "Take your card out and insert it again. If it keeps happening, follow the downtime process and call the IT service desk."}
}

// sessionView is the session screens' view of the session's state.
func sessionView(st cardsession.State) ui.SessionView {
	sv := ui.SessionView{Gate: st.Gate, Reader: st.Reader, TriesLeft: st.TriesLeft, Browser: st.Browser}
	if st.User == nil {
		return sv
	}
	sv.UserName = st.User.Name
	for _, r := range st.User.Roles {
		rc := ui.RoleChoice{ID: r.ID, JobRole: r.JobRole, OrgName: r.OrgName, OrgCode: r.OrgCode, Codes: cpis.JoinCodes(r.Activity)}
		if err := cpis.UsableHere(r); err != nil {
			rc.Why = MessageFor(err).Body
		} else {
			rc.Usable = true
		}
		sv.Roles = append(sv.Roles, rc)
	}
	return sv
}

// sessionMessage says why the session stands where it does.
func sessionMessage(problem error) *ui.Message {
	var ce *cardsession.CardError
	var se *cardsession.SignInError
	switch {
	case problem == nil:
		return nil
	case errors.As(problem, &ce):
		return cardMessage(ce.Err)
	case errors.As(problem, &se):
		return signInMessage(se.Err)
	}
	return MessageFor(problem)
}

// sessionHost connects the card session to the controller.
type SessionHost struct{ *Kiosk }

var _ cardsession.Host = SessionHost{}

func (h SessionHost) SetSession(st cardsession.State, problem error) {
	h.Kiosk.SetSession(sessionView(st), sessionMessage(problem))
}
func (h SessionHost) Lock(st cardsession.State)    { h.Kiosk.Lock(sessionView(st)) }
func (h SessionHost) SignOut(st cardsession.State) { h.Kiosk.SignOut(sessionView(st)) }
