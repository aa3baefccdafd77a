package cis2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// EndSession ends the provider's side of a sign-in (SIGNIN.md step 10):
// it revokes the provider's refresh token at the revocation_endpoint
// (RFC 7009) and ends the provider's session at the end_session_endpoint
// with id_token_hint (RP-Initiated Logout 1.0), each only where discovery
// lists it; nil when it lists neither. The kiosk ends its own session
// first and need not wait for this. Both are tried; the errors are joined.
func (c *Client) EndSession(ctx context.Context, id Identity) error {
	p, err := c.provider(ctx)
	if err != nil {
		return err
	}
	var errs []error
	if p.meta.RevocationEndpoint != "" && id.refresh != "" {
		if err := c.revoke(ctx, p, id.refresh); err != nil {
			errs = append(errs, c.fail("revoking the refresh token", err))
		}
	}
	if p.meta.EndSessionEndpoint != "" && id.IDToken != "" {
		if err := c.logout(ctx, p, id.IDToken); err != nil {
			errs = append(errs, c.fail("ending the provider's session", err))
		}
	}
	switch len(errs) {
	case 0:
		c.log.WithField("user", id.User.ID).Info("ended the CIS2 session")
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// revoke asks the provider to revoke the refresh token (RFC 7009 §2.1),
// the client authenticating as at the token endpoint.
func (c *Client) revoke(ctx context.Context, p *provider, refresh string) error {
	form := url.Values{
		"token":           {refresh},
		"token_type_hint": {"refresh_token"},
		"client_id":       {c.cfg.ClientID},
	}
	if c.cfg.ClientSecret != "" {
		form.Set("client_secret", c.cfg.ClientSecret)
	} else {
		// The audience is the token endpoint, as OpenID Connect Core §9 asks.
		a, err := c.assertion(c.cfg.ClientID, p.meta.TokenEndpoint)
		if err != nil {
			return err
		}
		form.Set("client_assertion_type", assertionType)
		form.Set("client_assertion", a)
	}
	body, status, err := c.post(ctx, p.meta.RevocationEndpoint, form)
	if err != nil {
		return err
	}
	if status == http.StatusOK {
		return nil
	}
	var e tokenAnswer
	_ = json.Unmarshal(body, &e) // a body that is not JSON leaves the status to speak
	return oauthError(status, e.Error, e.ErrorDescription)
}

// logout calls the end_session_endpoint (RP-Initiated Logout 1.0 §2)
// from the kiosk itself; any 2xx or 3xx answer will do.
func (c *Client) logout(ctx context.Context, p *provider, idToken string) error {
	u, err := url.Parse(p.meta.EndSessionEndpoint)
	if err != nil {
		return fmt.Errorf("%w: end_session_endpoint: %w", ErrBadAnswer, err)
	}
	q := u.Query()
	q.Set("id_token_hint", idToken)
	q.Set("client_id", c.cfg.ClientID)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		// The URL carries the ID token: keep it out of the message.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return unreachable(fmt.Errorf("calling the end_session_endpoint: %w", err))
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // draining for reuse
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return oauthError(resp.StatusCode, "", "")
	}
	return nil
}
