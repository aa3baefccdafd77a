package cpis

// Gate is where the smartcard session stands between the user and the
// check: while it is not GateOpen, no patient is ever shown.
type Gate int

// The gates of the smartcard session, in the order a nurse meets them.
const (
	GateOpen       Gate = iota // signed in with a role: the check flow
	GateStarting               // the kiosk is starting (reader, Spine)
	GateNoReader               // no smartcard reader attached, or the PC/SC service is down
	GateInsertCard             // a reader, no card
	GatePasscode               // a card: asking for its passcode (the sandbox's authenticator)
	GateChooseRole             // several roles: pick one
	GateLocked                 // idle: the same user signs in again to unlock
	GateRefused                // the card cannot be used here (blocked, no usable role)
	GateSigningIn              // a card: signing in at NHS CIS2 (after the passcode, with the sandbox)
)
