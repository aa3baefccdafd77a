package cis2

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// Error is a sign-in failure: the step that did not complete and why. Err
// wraps one of the sentinels below, so that the UI chooses its words with
// errors.Is and never by reading Error().
type Error struct {
	Step string // "discovering the provider", "exchanging the code", ...
	Err  error
}

func (e *Error) Error() string { return e.Step + ": " + e.Err.Error() }

// Unwrap gives the cause, which wraps a sentinel.
func (e *Error) Unwrap() error { return e.Err }

var (
	// ErrUnreachable means the provider or the API platform did not answer
	// usefully: a network failure, a timeout, a 5xx or 429, or a discovery
	// document that is not JSON or cannot be read. Worth retrying later.
	ErrUnreachable = errors.New("sign-in service unreachable")

	// ErrPortBusy means the loopback port for the redirect could not be
	// opened, most often because another program holds it.
	ErrPortBusy = errors.New("redirect port busy")

	// ErrState means the redirect's state was missing or not the one this
	// sign-in sent (RFC 6749 §10.12): it did not come from this request.
	ErrState = errors.New("redirect state mismatch")

	// ErrDenied means the provider did not sign the user in: the user
	// cancelled, or the provider answered access_denied, login_required or
	// another error that needs the user (OpenID Connect Core §3.1.2.6).
	ErrDenied = errors.New("sign-in denied or cancelled")

	// ErrNoCallback means the context ended before the redirect came back:
	// the browser was closed, the time ran out or the card was pulled. The
	// context's own error is wrapped too.
	ErrNoCallback = errors.New("no redirect from the browser")

	// ErrNonce means the ID token's nonce is not the one this sign-in sent
	// (OpenID Connect Core §3.1.3.7 step 11): a replayed or injected token.
	ErrNonce = errors.New("ID token nonce mismatch")

	// ErrExpired means a token (or, with ForceLogin, the authentication
	// itself) is out of date by the client's clock.
	ErrExpired = errors.New("token expired")

	// ErrUntrusted means the ID token cannot be trusted: no ID token, a bad
	// signature, the wrong issuer or audience; or the discovery document
	// names another issuer.
	ErrUntrusted = errors.New("ID token not trusted")

	// ErrRefused means an endpoint refused the request: invalid_grant,
	// invalid_client, invalid_request and the like. The OAuth error code is
	// in the message.
	ErrRefused = errors.New("request refused")

	// ErrBadAnswer means a token endpoint's answer (or the redirect) was
	// malformed, missing what it must carry, or larger than 1 MiB.
	ErrBadAnswer = errors.New("malformed answer")

	// ErrNoRenewal means there is no refresh token to renew with, or it
	// has expired: the user has to sign in again.
	ErrNoRenewal = errors.New("no refresh token")

	// ErrUserAgent means the user agent (the system browser, or the card
	// authenticator standing in for it) could not take the user to the
	// provider; its own error is wrapped too.
	ErrUserAgent = errors.New("user agent gave up")

	// ErrConfig means the Config lacks what a step needs: a key, the API
	// platform's token endpoint or application key.
	ErrConfig = errors.New("sign-in not configured")

	// ErrKeyPermissions means the key file can be read or written by
	// someone other than its owner, so LoadOrCreateKey will not use it.
	ErrKeyPermissions = errors.New("key file open to group or others")
)

// errTooLarge is what a capped body gives past maxAnswer.
var errTooLarge = fmt.Errorf("answer larger than %d bytes", maxAnswer)

// fail logs a step that did not complete and gives its *Error. The error
// texts carry no token, name or passcode.
func (c *Client) fail(step string, err error) error {
	c.log.WithField("step", step).WithError(err).Warn("CIS2 step did not complete")
	return &Error{Step: step, Err: err}
}

// unreachable wraps a transport error.
func unreachable(err error) error { return fmt.Errorf("%w: %w", ErrUnreachable, err) }

// oauthError classifies an OAuth error answer (RFC 6749 §5.2) by its
// status and code.
func oauthError(status int, code, description string) error {
	if status >= 500 || status == http.StatusTooManyRequests {
		return fmt.Errorf("%w: HTTP %d", ErrUnreachable, status)
	}
	if code == "" {
		return fmt.Errorf("%w: HTTP %d", ErrRefused, status)
	}
	if description != "" {
		return fmt.Errorf("%w: %s: %q (HTTP %d)", ErrRefused, code, clip(description), status)
	}
	return fmt.Errorf("%w: %s (HTTP %d)", ErrRefused, code, status)
}

// exchangeError classifies what x/oauth2's code exchange gave.
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return oauthError(status, re.ErrorCode, re.ErrorDescription)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return unreachable(err)
	}
	// A body that is not JSON, or one with no access_token.
	return fmt.Errorf("%w: %w", ErrBadAnswer, err)
}

// clip keeps a provider's description short in messages.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}
