// Package vcard is a virtual NHS smartcard for tests and demos: the card
// side of the kiosk's card protocol (see device/card.go), a set of demo
// users with keys derived from their ids, and the vsmartcard vpcd socket
// protocol that puts the card into a real PC/SC reader ("Virtual PCD 00
// 00") under pcscd.
//
// It is a separate implementation of the protocol on purpose, sharing no
// code with package device, so that each checks the other.
//
// The keys are derived from public values and the passcodes are printed in
// users.go: the virtual card is for the demo and for tests only, never for
// anything real.
package vcard
