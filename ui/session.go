package ui

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/nhs-cpis/kiosk/cpis"
)

// sessionPage is the screen of the smartcard sign-in that stands in for
// the check flow while the session is not open.
func (w *Window) sessionPage(v View, act SessionActions) page {
	s := v.Session
	switch s.Gate {
	case cpis.GateNoReader:
		return page{
			heading: "Connect the smartcard reader",
			content: container.NewVBox(
				step("1", "Plug the smartcard reader into this computer.",
					"The kiosk carries on by itself as soon as it finds the reader."),
				step("2", "If the reader is plugged in, call IT.",
					"The smartcard service on this computer may be stopped."),
			),
		}
	case cpis.GateInsertCard:
		parts := []fyne.CanvasObject{
			text("Insert your NHS smartcard", sizeHuge, theme.ColorNameForeground, true),
			para("Put it in the reader, chip first. You will then be asked for your passcode."),
		}
		if s.Browser {
			parts[1] = para("Put it in the reader, chip first. The NHS sign-in then opens and asks for your passcode.")
		}
		if s.Reader != "" {
			parts = append(parts, secondary("Reader: "+s.Reader))
		}
		return page{content: container.NewVBox(inset(container.NewVBox(parts...), nhsBlue, nhsWhite))}
	case cpis.GateSigningIn:
		return w.signingInPage(v, act)
	case cpis.GateLocked:
		if s.Browser {
			return w.lockedPage(v, act)
		}
		return w.passcodePage(v, act)
	case cpis.GatePasscode:
		return w.passcodePage(v, act)
	case cpis.GateChooseRole:
		return w.rolePage(v, act)
	case cpis.GateRefused:
		return refusedPage(v)
	}
	// cpis.GateStarting, and any state this window does not know: a wait.
	bar := widget.NewProgressBarInfinite()
	return page{
		heading: "Starting the kiosk…",
		content: container.NewVBox(
			left(bar, 520),
			secondary("Looking for the smartcard reader and checking the link to the Spine."),
		),
	}
}

// signingInPage waits for NHS CIS2: in the browser, where the NHS
// authenticator asks for the passcode, or, with the sandbox, its
// authenticator at work. Cancel stops it.
func (w *Window) signingInPage(v View, act SessionActions) page {
	cancel := w.button("cancel-signin", "Cancel sign-in", lookSecondary, act.CancelSignIn)
	if !v.Session.Browser {
		return page{
			heading: "Signing you in…",
			content: container.NewVBox(left(widget.NewProgressBarInfinite(), 520),
				secondary("Checking your card with NHS CIS2 (the sandbox's)."), gap(16), left(cancel, 0)),
		}
	}
	return page{
		heading: "Sign in in the NHS window",
		content: container.NewVBox(
			step("1", "Enter your passcode in the NHS sign-in window.",
				"It has opened in front of the kiosk (NHS Care Identity, Smartcard Connect)."),
			step("2", "Choose your role if it asks.", "The kiosk carries on by itself when you have signed in."),
			gap(8), left(cancel, 0),
		),
	}
}

// lockedPage is the lock screen when CIS2 signs in: the same user signs
// in again, or takes the card out.
func (w *Window) lockedPage(v View, act SessionActions) page {
	var parts []fyne.CanvasObject
	if v.Session.UserName != "" {
		parts = append(parts, large(v.Session.UserName, theme.ColorNameForeground))
	}
	again := w.button("signin-again", "Sign in again  (Enter)", lookPrimary, act.SignInAgain)
	parts = append(parts,
		para("The kiosk locked after a period of no use. Sign in again to carry on, or take your card out."),
		gap(8), left(again, 0))
	return page{heading: "Locked", content: container.NewVBox(parts...)}
}

// step is one numbered instruction, large enough to follow from a metre.
func step(n, do, more string) fyne.CanvasObject {
	num := boldText(n, nhsWhite, textLarge)
	disc := canvas.NewCircle(nhsBlue)
	badge := container.NewVBox(container.NewGridWrap(fyne.NewSquareSize(44), container.NewStack(disc, container.NewCenter(num))))
	body := container.NewVBox(large(do, theme.ColorNameForeground), para(more))
	return below(container.NewBorder(nil, nil, padded(badge, 0, 0, 0, 16), nil, body), 12)
}

// rolePage lists the card holder's roles as large rows; a role that
// cannot be used on this kiosk is greyed with the reason, rather than
// hidden, so nobody wonders where it went.
func (w *Window) rolePage(v View, act SessionActions) page {
	var rows []fyne.CanvasObject
	for i, r := range v.Session.Roles {
		rows = append(rows, w.roleRow(i, r, v.Busy.Active, act))
	}
	if len(rows) == 0 {
		rows = append(rows, para("Your smartcard has no role for this kiosk. Take your card out and ask your registration authority."))
	}
	return page{
		heading: "Choose your role for this session",
		lead:    secondary("Your smartcard has more than one role. The role decides what you may do here."),
		content: container.NewVBox(rows...),
	}
}

func (w *Window) roleRow(i int, r RoleChoice, busy bool, act SessionActions) fyne.CanvasObject {
	main := theme.ColorNameForeground
	if !r.Usable {
		main = colorSecondary
	}
	org := r.OrgName
	if r.OrgCode != "" {
		org += " (" + r.OrgCode + ")"
	}
	parts := []fyne.CanvasObject{
		large(r.JobRole, main),
		rich(seg(org, theme.SizeNameText, main, true),
			factLabel("    Activity codes "),
			seg(r.Codes, theme.SizeNameText, main, true)),
	}
	if !r.Usable {
		why := r.Why
		if why == "" {
			why = "This role cannot be used on this kiosk."
		}
		parts = append(parts, bold("Cannot be used here: "+why))
	}
	id := r.ID
	return below(w.row("role-"+strconv.Itoa(i), container.NewVBox(parts...),
		func() { act.ChooseRole(id) }, busy || !r.Usable), 6)
}

// refusedPage says why the card cannot be used, and the one thing to do.
func refusedPage(v View) page {
	m := Message{
		Title: "This smartcard cannot be used on this kiosk.",
		Next:  "Ask your registration authority about your smartcard.",
	}
	if v.Message != nil {
		m = *v.Message
	}
	return page{
		heading: "Take your card out",
		content: container.NewVBox(inset(container.NewVBox(messageParts(m, theme.ColorNameForeground)...), nhsRed, nhsWhite)),
	}
}
