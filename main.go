// Command cpis-kiosk is the CP-IS kiosk: the Child Care Alert check for
// unscheduled care, with its Spine sandbox and IT commands.
package main

import (
	"os"

	"github.com/nhs-cpis/kiosk/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:]))
}
