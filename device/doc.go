// Package device owns the NHS smartcard reader: the Reader (reader.go),
// whose PC/SC loop watches readers and cards and holds the card handle
// (pcsc.go, the only file that talks to the hardware), the events it emits
// (events.go) and the status it shows IT (status.go); ISO/IEC 7816-4 APDU
// framing and status words (apdu.go); and the kiosk's card protocol
// (card.go): select the application, read the user's UUID and
// certificate, verify the passcode, sign the identity service's challenge.
//
// Everything but pcsc.go is plain Go. The protocol runs over any value with
// a Transmit method, so it is tested against the virtual card in
// device/vcard both directly and through real pcscd with the vsmartcard
// vpcd driver.
//
// Errors are typed: a removed card is ErrCardRemoved, a wrong passcode an
// *AuthError with the tries left, a blocked card ErrBlocked, and every other
// status word a *StatusError. Callers decide with errors.Is and errors.As.
// No error, and no log line, ever holds the passcode.
package device
