// Package packaging holds the files that install and run the kiosk: the
// systemd user unit, the example configuration and the environment
// baseline. They are built into the binary from here, so that what
// `cpis-kiosk service install` writes and what `cpis-kiosk status` checks
// against are the very files the .deb ships.
package packaging

import _ "embed"

// Baseline is baseline.toml: the environment baseline (WES) the status
// checks the machine against when the configuration names no other.
//
//go:embed baseline.toml
var Baseline []byte

// UserUnit is cpis-kiosk.service: the systemd user unit.
//
//go:embed cpis-kiosk.service
var UserUnit string

// ExampleConfig is kiosk.example.toml.
//
//go:embed kiosk.example.toml
var ExampleConfig []byte
