package itstatus

import (
	"fmt"
	"strings"
)

// The smartcard side's lines: the reader and its card, the PC/SC service,
// and the NHS identity software.

func judgeReader(l StatusLine, f statusFacts) StatusLine {
	rs := f.Readers
	cards := 0
	var names []string
	matched := f.WantReader == ""
	for _, r := range rs.Readers {
		card := "no card"
		if r.CardPresent {
			card, cards = "card in", cards+1
		}
		names = append(names, r.Name+": "+card)
		if f.WantReader != "" && strings.Contains(r.Name, f.WantReader) {
			matched = true
		}
	}
	l.Metrics = map[string]float64{"readers": float64(len(rs.Readers)), "cards": float64(cards)}
	switch {
	case !rs.ServiceUp:
		l.State, l.Detail = StateRed, "No reader can be seen: the PC/SC service does not answer."
		l.Next = "Start the PC/SC service (see the PC/SC line), then look again."
	case len(rs.Readers) == 0:
		l.State, l.Detail = StateRed, "No smartcard reader is attached."
		l.Next = "Plug the reader in (try another USB port). `cpis-kiosk card readers` lists what the PC sees."
	case !matched:
		l.State, l.Detail = StateRed, fmt.Sprintf("No reader's name holds %q (the configuration's reader). Attached: %s.", f.WantReader, strings.Join(names, "; "))
		l.Next = "Plug in the configured reader, or correct `reader` in the configuration."
	default:
		l.State, l.Detail = StateGreen, strings.Join(names, "; ")
		if cards == 0 {
			l.Detail += ". Insert a smartcard to sign in."
		}
	}
	return l
}

func judgePCSC(l StatusLine, f statusFacts) StatusLine {
	if f.Readers.ServiceUp {
		l.State, l.Detail = StateGreen, "Answering"
		if f.DaemonDetail != "" {
			l.Detail = "Answering: " + f.DaemonDetail
		}
		if f.Readers.HotPlug {
			l.Detail += "; readers plugged in are noticed at once."
		} else {
			l.Detail += "; the reader list is polled."
		}
		return l
	}
	l.State = StateRed
	l.Detail = "The PC/SC service does not answer"
	if f.DaemonDetail != "" {
		l.Detail += ": " + f.DaemonDetail
	}
	l.Detail += ". Without it no smartcard can be read."
	if strings.Contains(f.DaemonDetail, "SCardSvr") {
		l.Next = "Start the Smart Card service (services.msc, \"Smart Card\"), and set it to start automatically."
	} else {
		l.Next = "Start it: `systemctl start pcscd.socket` (without systemd: `service pcscd start`). Install it with `apt install pcscd` if it is missing."
	}
	return l
}

func judgeIdentity(l StatusLine, f statusFacts) StatusLine {
	if len(f.Identity) == 0 {
		l.State = StateAmber
		l.Detail = "Neither NHS Credential Management (Smartcard Connect) nor NHS Identity Agent was found where they install."
		l.Next = "The embedded sandbox signs in with its own demo cards and needs neither. Before the kiosk goes live, install NHS Credential Management from the NHS England download site: NHS CIS2 reads the smartcard through it."
		if f.CIS2 {
			l.State = StateRed
			l.Next = "Staff cannot sign in without it: NHS CIS2 reads the smartcard and asks for the passcode through it. Install NHS Credential Management from the NHS England download site."
		}
		return l
	}
	var parts []string
	for _, s := range f.Identity {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", s.Name, nonEmpty(s.Version, "version not known"), s.Where))
	}
	l.State, l.Detail = StateGreen, strings.Join(parts, "; ")
	return l
}
