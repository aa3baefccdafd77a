package itstatus

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The environment baseline's lines (baseline.go): each item of the PC
// against the baseline, with its verdict.

// baseline results and their states.
const (
	ResultPass       = "pass"
	ResultWarn       = "warn"
	resultFail       = "fail"
	resultNotChecked = "not-checked"
)

// noDisplay is the next step for what cannot be checked without a display.
const noDisplay = "Look at the kiosk's own status screen, or run the command in the kiosk user's desktop session."

// verdict is l with a baseline result, its state, and the next step unless
// it passed.
func verdict(l StatusLine, result, detail, next string) StatusLine {
	l.State = StateGreen
	switch result {
	case ResultWarn, resultNotChecked:
		l.State = StateAmber
	case resultFail:
		l.State = StateRed
	}
	if result == ResultPass {
		next = ""
	}
	l.Result, l.Detail, l.Next = result, detail, next
	return l
}

func judgeOS(l StatusLine, f statusFacts) StatusLine {
	b, h := f.Baseline, f.Host
	switch {
	case errors.Is(h.OSErr, errNotChecked):
		return verdict(l, resultNotChecked, "Not checked on "+h.OSPretty+".", "Check the PC against the baseline by hand.")
	case h.OSErr != nil:
		return verdict(l, resultFail, "The operating system could not be read.", "Check /etc/os-release exists; the PC may not be a supported build.")
	}
	res := resultFail
	if slices.Contains(b.OS.ID, h.OSID) && slices.Contains(b.OS.Version, h.OSVersion) {
		res = ResultPass
	} else if slices.Contains(b.OS.ID, h.OSID) && slices.Contains(b.OS.WarnVersion, h.OSVersion) {
		res = ResultWarn
	}
	return verdict(l, res,
		fmt.Sprintf("%s (%s %s); the baseline wants %s %s (baseline: %s)", nonEmpty(h.OSPretty, h.OSID), h.OSID, h.OSVersion,
			strings.Join(b.OS.ID, "/"), strings.Join(b.OS.Version, "/"), b.From),
		"Rebuild the PC from the supported image, or agree an exception and record it in the baseline file.")
}

func judgeKernel(l StatusLine, f statusFacts) StatusLine {
	b, h := f.Baseline, f.Host
	switch {
	case errors.Is(h.KernelErr, errNotChecked):
		return verdict(l, resultNotChecked, "Not checked on this system.", "")
	case h.KernelErr != nil:
		return verdict(l, resultFail, "The kernel release could not be read.", "Call the desktop team.")
	}
	res := ResultPass
	if b.Kernel.Min != "" && !versionAtLeast(h.Kernel, b.Kernel.Min) {
		res = ResultWarn
	}
	return verdict(l, res, fmt.Sprintf("%s; the baseline wants %s or newer", h.Kernel, nonEmpty(b.Kernel.Min, "any")),
		"Apply the operating system's updates and restart.")
}

// judgeDisplay: xdpyinfo answers for the display as well as its size.
func judgeDisplay(l StatusLine, f statusFacts) StatusLine {
	h := f.Host
	switch {
	case h.Display == "":
		return verdict(l, resultNotChecked, "Not checked: this session has no display (DISPLAY is not set), as over SSH.", noDisplay)
	case h.ScreenErr != nil && !errors.Is(h.ScreenErr, errNotChecked):
		res := ResultWarn
		if f.Baseline.Display.Required {
			res = resultFail
		}
		return verdict(l, res, "The display "+h.Display+" does not answer.",
			"Check the kiosk user is logged in to the desktop and the screen is connected.")
	}
	return verdict(l, ResultPass, "Graphical session on "+h.Display+".", "")
}

func judgeScreen(l StatusLine, f statusFacts) StatusLine {
	b, h := f.Baseline, f.Host
	switch {
	case h.Display == "":
		return verdict(l, resultNotChecked, "Not checked: no display in this session.", noDisplay)
	case h.ScreenErr != nil:
		return verdict(l, resultNotChecked, "Not checked: xdpyinfo (Debian package x11-utils) is not installed.",
			"Install x11-utils to check it, or check the screen is at least the baseline's size by hand.")
	}
	res := ResultPass
	if h.ScreenW < b.Screen.MinWidth || h.ScreenH < b.Screen.MinHeight {
		res = resultFail
	}
	l = verdict(l, res, fmt.Sprintf("%dx%d; the baseline wants at least %dx%d", h.ScreenW, h.ScreenH, b.Screen.MinWidth, b.Screen.MinHeight),
		"Use a larger screen or a higher resolution: at this size parts of the alert are cut off.")
	l.Metrics = map[string]float64{"width": float64(h.ScreenW), "height": float64(h.ScreenH)}
	return l
}

func judgeGL(l StatusLine, f statusFacts) StatusLine {
	h := f.Host
	switch {
	case h.Display == "":
		return verdict(l, resultNotChecked, "Not checked: no display in this session.", noDisplay)
	case errors.Is(h.GLErr, errNotChecked):
		return verdict(l, resultNotChecked, "Not checked: glxinfo (Debian package mesa-utils) is not installed.", "Install mesa-utils to check it.")
	case h.GLErr != nil:
		return verdict(l, resultFail, "OpenGL does not work on this display.", "Install the graphics driver for this PC; the kiosk window needs OpenGL.")
	}
	res := ResultPass
	for _, s := range f.Baseline.GL.Software {
		if strings.Contains(strings.ToLower(h.GL), strings.ToLower(s)) {
			res = ResultWarn
		}
	}
	return verdict(l, res, h.GL, "This renderer draws in software: it works, slowly. Install the PC's graphics driver.")
}

// judgeTLSRoots: the system's CA bundle, and the configured Spine CA.
func judgeTLSRoots(l StatusLine, f statusFacts) StatusLine {
	b, h := f.Baseline, f.Host
	switch {
	case h.SpineCAErr != nil:
		return verdict(l, resultFail, "The Spine CA file "+h.SpineCA+" cannot be used.", "Restore the file named by spine.ca_file, or correct the setting.")
	case errors.Is(h.RootsErr, errNotChecked):
		return verdict(l, ResultPass, "Uses "+h.RootsFile+".", "")
	case h.RootsErr != nil:
		return verdict(l, resultFail, "No CA bundle: "+h.RootsErr.Error()+".", "Install the CA certificates: `apt install ca-certificates`.")
	}
	res := ResultPass
	if h.Roots < b.TLS.MinRoots {
		res = resultFail
	}
	detail := fmt.Sprintf("%d certificates in %s; the baseline wants at least %d", h.Roots, h.RootsFile, b.TLS.MinRoots)
	if h.SpineCA != "" {
		detail += "; the Spine CA is " + h.SpineCA
	}
	l = verdict(l, res, detail, "Reinstall the CA certificates: `apt install --reinstall ca-certificates`.")
	l.Metrics = map[string]float64{"roots": float64(h.Roots)}
	return l
}

func judgeTimeZone(l StatusLine, f statusFacts) StatusLine {
	allowed, h := f.Baseline.TimeZone.Allowed, f.Host
	if h.TZErr != nil {
		return verdict(l, resultNotChecked, "The time zone is not set.",
			"Set it: `timedatectl set-timezone Europe/London` (or link /etc/localtime).")
	}
	res := ResultPass
	if len(allowed) > 0 && !slices.Contains(allowed, h.TZ) {
		res = ResultWarn
	}
	return verdict(l, res, fmt.Sprintf("%s; the baseline wants %s", h.TZ, strings.Join(allowed, " or ")),
		"Set the time zone: `timedatectl set-timezone Europe/London`; screens show times in local time.")
}
