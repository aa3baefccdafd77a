package cardsession

import (
	"context"
	"fmt"
	"net/http"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/spine/cis2"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

// NewCardAgent is the sandbox's authenticator for the card in a reader
// (its exact name; empty: the reader's first card), the card's passcode
// already verified and its user read: the card signs the sign-in's nonce.
func NewCardAgent(sb *http.Client, r CardReader, in, user string) cis2.UserAgent {
	return sandbox.Authenticator{HTTP: sb, User: user, Sign: func(ctx context.Context, nonce []byte) ([]byte, error) {
		var sig []byte
		err := r.DoIn(ctx, in, func(c *device.Card) error {
			var err error
			sig, err = c.Sign(nonce)
			return err
		})
		return sig, err
	}}
}

// DemoSignIn signs in the sandbox's demo user through CIS2 and the token
// exchange, in its first role: for the command line and the drill, on the
// embedded sandbox only.
func DemoSignIn(ctx context.Context, id Identity, sb *http.Client) (check.Session, error) {
	who, err := id.Authenticate(ctx, sandbox.Authenticator{HTTP: sb}, cis2.AuthOptions{})
	if err != nil {
		return check.Session{}, fmt.Errorf("signing in the demo user: %w", err)
	}
	if len(who.User.Roles) == 0 {
		return check.Session{}, fmt.Errorf("signing in the demo user: %w", cpis.ErrSilentReadOnly)
	}
	a, err := id.Exchange(ctx, who)
	if err != nil {
		return check.Session{}, fmt.Errorf("signing in the demo user: %w", err)
	}
	return check.Session{User: who.User, Role: who.User.Roles[0], Token: a.Token, Expires: a.Expires, Demo: true}, nil
}

// readUser reads the user's UUID from the card in a reader: the sandbox's
// authenticator names the card's user to the sandbox.
func readUser(ctx context.Context, r CardReader, in string) (string, error) {
	var uid string
	err := r.DoIn(ctx, in, func(c *device.Card) error {
		if err := c.Select(); err != nil {
			return err
		}
		var err error
		uid, err = c.UserID()
		return err
	})
	return uid, err
}
