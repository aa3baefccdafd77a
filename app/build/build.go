// Package build says which kiosk this is: the version and commit stamped
// at build time with -ldflags -X.
package build

var (
	// Version is the release, "0.1.0+<git describe>".
	Version = "0.1.0-dev"
	// Commit is the short commit hash it was built from.
	Commit = "unknown"
)
