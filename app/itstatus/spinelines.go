package itstatus

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"syscall"
	"time"
)

// The Spine link's lines: each endpoint, the certificates they present,
// and this PC's clock against theirs.

// Thresholds, each documented with its line in packaging/README.md.
const (
	// spineSlow: an answer slower than this makes a check (three round
	// trips) take seconds.
	spineSlow = time.Second
	// certWarnDays: a certificate this close to expiry needs renewing now.
	certWarnDays = 30
	// skewAmber and skewRed: the Spine's tokens and audit times go wrong
	// with a clock this far out; beyond skewRed, logins start to fail.
	skewAmber = 30 * time.Second
	skewRed   = 5 * time.Minute
)

// endpointLineIDs are the endpoints' lines: PDS, CP-IS, FGM-IS, the CIS2
// issuer and the API platform's token endpoint.
var endpointLineIDs = []string{"spine.pds", "spine.cpis", "spine.fgm", "spine.identity", "spine.token"}

// spineLineIDs are all the lines about the Spine link.
var spineLineIDs = slices.Concat(endpointLineIDs, []string{"spine.certificate", "clock"})

// judgeEndpoints makes a line for each endpoint probed.
func judgeEndpoints(f statusFacts) []StatusLine {
	var out []StatusLine
	for _, e := range f.Spine {
		l := StatusLine{ID: e.ID, Title: e.Title}
		switch {
		case e.Err != nil:
			what, next := netFault(e.Err)
			l.State, l.Detail, l.Next = StateRed, "No answer from "+hostOf(e.URL)+": "+what+".", next
		case e.Status >= 500 || e.Status == 429:
			l.State = StateAmber
			l.Detail = fmt.Sprintf("Answers from %s in %s, but with an error (HTTP %d).", hostOf(e.URL), durMS(e.Latency), e.Status)
			l.Next = "The service is busy or failing: checks may fail. If it lasts, follow the downtime process and call the NHS national service desk."
		case e.Latency > spineSlow:
			l.State = StateAmber
			l.Detail = fmt.Sprintf("Answers from %s, slowly: %s.", hostOf(e.URL), durMS(e.Latency))
			l.Next = "Checks will be slow. Look at the network between this PC and the Spine (HSCN link, proxy)."
		default:
			l.State = StateGreen
			l.Detail = fmt.Sprintf("Answers from %s in %s.", hostOf(e.URL), durMS(e.Latency))
		}
		if e.Err == nil {
			l.Metrics = map[string]float64{"latency_ms": roundTo(float64(e.Latency)/float64(time.Millisecond), 1), "http_status": float64(e.Status)}
		}
		out = append(out, l)
	}
	return out
}

// noSpineAnswer is the certificate and clock lines when no endpoint
// answered: there was nothing to look at.
func noSpineAnswer(l StatusLine) StatusLine {
	l.State, l.Detail, l.Next = StateAmber, "Not checked: no Spine endpoint answered.", "See the Spine lines above."
	return l
}

func judgeCert(l StatusLine, f statusFacts) StatusLine {
	var soonest *x509.Certificate
	var host string
	for _, e := range f.Spine {
		var inv x509.CertificateInvalidError
		if errors.As(e.Err, &inv) && inv.Reason == x509.Expired {
			l.State = StateRed
			l.Detail = "The certificate of " + hostOf(e.URL) + " has expired"
			if inv.Cert != nil {
				l.Detail += " (on " + inv.Cert.NotAfter.UTC().Format("2 Jan 2006") + ")"
			}
			l.Detail += ": the kiosk will not connect to it."
			l.Next = "If the PC's clock is right, the Spine endpoint's certificate must be renewed: call the NHS national service desk. Check the clock line first."
			l.Metrics = map[string]float64{"days_left": 0}
			return l
		}
		if e.Cert != nil && (soonest == nil || e.Cert.NotAfter.Before(soonest.NotAfter)) {
			soonest, host = e.Cert, hostOf(e.URL)
		}
	}
	if soonest == nil {
		return noSpineAnswer(l)
	}
	days := math.Floor(soonest.NotAfter.Sub(f.Now).Hours() / 24)
	l.Metrics = map[string]float64{"days_left": days}
	exp := soonest.NotAfter.UTC().Format("2 Jan 2006")
	if days < certWarnDays {
		l.State = StateAmber
		l.Detail = fmt.Sprintf("The certificate of %s expires in %.0f days (%s).", host, days, exp)
		l.Next = "Ask for the certificate to be renewed before it expires: after that the kiosk cannot reach the Spine."
		return l
	}
	l.State = StateGreen
	l.Detail = fmt.Sprintf("Valid; the first to expire is %s's, in %.0f days (%s).", host, days, exp)
	return l
}

// judgeClock compares this PC's clock with the first endpoint that
// answered with a date.
func judgeClock(l StatusLine, f statusFacts) StatusLine {
	for _, e := range f.Spine {
		if e.Err != nil || e.Date.IsZero() {
			continue
		}
		// The Date header has whole seconds: up to a second of the skew is
		// the header's rounding, and is not counted.
		skew := e.Date.Sub(e.Mid)
		abs := skew.Abs()
		if abs < time.Second {
			skew, abs = 0, 0
		}
		l.Metrics = map[string]float64{"skew_seconds": math.Round(skew.Seconds())}
		dir := "behind"
		if skew < 0 {
			dir = "ahead of"
		}
		off := fmt.Sprintf("%s %s %s's", roundDur(abs), dir, hostOf(e.URL))
		switch {
		case abs > skewRed:
			l.State, l.Detail = StateRed, "This PC's clock is "+off+"."
			l.Next = "Set the clock right now (enable NTP: `timedatectl set-ntp true`): sign-in and the audit times go wrong."
		case abs > skewAmber:
			l.State, l.Detail = StateAmber, "This PC's clock is "+off+"."
			l.Next = "Turn on time synchronisation (NTP): `timedatectl set-ntp true`."
		case abs > 0:
			l.State, l.Detail = StateGreen, off+": within limits."
		default:
			l.State, l.Detail = StateGreen, "Within a second or so of "+hostOf(e.URL)+"'s."
		}
		return l
	}
	return noSpineAnswer(l)
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	return p.Host
}

// The next steps for an endpoint that gave no answer.
const (
	nextTrust   = "Check spine.ca_file and the endpoint's address in the configuration. Never turn verification off: call IT security if it persists."
	nextCert    = "Check the PC's clock (clock line), then ask for the endpoint's certificate to be renewed."
	nextNetwork = "Check the network cable or Wi-Fi and the HSCN link; if other PCs cannot reach the Spine either, follow the downtime process and call the NHS national service desk."
)

// netFault says why a Spine endpoint gave no answer, and what to do, from
// the error's type, never its text.
func netFault(err error) (what, next string) {
	var unknown x509.UnknownAuthorityError
	var inv x509.CertificateInvalidError
	var host x509.HostnameError
	var dns *net.DNSError
	var nerr net.Error
	switch {
	case errors.As(err, &unknown):
		return "its certificate is not signed by a CA this kiosk trusts", nextTrust
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return "its certificate has expired, or this PC's clock is wrong", nextCert
	case errors.As(err, &inv):
		return "its certificate is not valid for this use", nextCert
	case errors.As(err, &host):
		return "its certificate is for another name", nextTrust
	case errors.As(err, &dns):
		return "its name cannot be found (DNS)", nextNetwork
	case errors.Is(err, syscall.ECONNREFUSED):
		return "it refused the connection", nextNetwork
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return "no answer in time", nextNetwork
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the connection was cut", nextNetwork
	}
	return "the connection failed", nextNetwork
}
