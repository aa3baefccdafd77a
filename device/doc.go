// Package device will own the NHS smartcard reader over PC/SC: one
// goroutine holding the PC/SC context and the card, the card protocol, and a
// virtual card for tests and demos. Until it lands the kiosk signs in the
// embedded sandbox's demo user.
package device
