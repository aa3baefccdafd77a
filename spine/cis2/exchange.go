package cis2

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Access is the API platform's access token.
type Access struct {
	Token          string
	Expires        time.Time
	Refresh        string
	RefreshExpires time.Time // zero when the platform gave no refresh_token_expires_in
}

const (
	assertionType   = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	tokenExchange   = "urn:ietf:params:oauth:grant-type:token-exchange"
	idTokenType     = "urn:ietf:params:oauth:token-type:id_token"
	accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
	assertionLife   = 4 * time.Minute // SIGNIN.md: at most 5 minutes; a minute spare for a platform clock behind ours
	exchangeStep    = "exchanging for an API token"
	renewStep       = "renewing"
)

// Exchange trades the CIS2 ID token for the API platform's access token
// (RFC 8693; SIGNIN.md step 8), the kiosk authenticating with a JWT signed
// by its key (RFC 7523).
func (c *Client) Exchange(ctx context.Context, id Identity) (Access, error) {
	if id.IDToken == "" {
		return Access{}, c.fail(exchangeStep, fmt.Errorf("%w: no ID token", ErrUntrusted))
	}
	if !id.Expires.IsZero() && !c.now().Before(id.Expires) {
		return Access{}, c.fail(exchangeStep, fmt.Errorf("%w: ID token expired at %s", ErrExpired, id.Expires.UTC().Format(time.RFC3339)))
	}
	a, err := c.platformToken(ctx, url.Values{
		"grant_type":         {tokenExchange},
		"subject_token_type": {idTokenType},
		"subject_token":      {id.IDToken},
	}, true)
	if err != nil {
		return Access{}, c.fail(exchangeStep, err)
	}
	c.log.WithField("user", id.User.ID).Info("exchanged the ID token for an API token")
	return a, nil
}

// Renew refreshes the access token at the same endpoint (RFC 6749 §6;
// SIGNIN.md step 9). When the platform gives no new refresh token, the old
// one is kept.
func (c *Client) Renew(ctx context.Context, a Access) (Access, error) {
	if a.Refresh == "" {
		return Access{}, c.fail(renewStep, ErrNoRenewal)
	}
	if !a.RefreshExpires.IsZero() && !c.now().Before(a.RefreshExpires) {
		return Access{}, c.fail(renewStep, fmt.Errorf("%w: refresh token expired at %s", ErrNoRenewal, a.RefreshExpires.UTC().Format(time.RFC3339)))
	}
	n, err := c.platformToken(ctx, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {a.Refresh},
	}, false)
	if err != nil {
		return Access{}, c.fail(renewStep, err)
	}
	if n.Refresh == "" {
		n.Refresh, n.RefreshExpires = a.Refresh, a.RefreshExpires
	}
	return n, nil
}

// platformToken posts form, with the client assertion, to the API
// platform's token endpoint and reads its answer.
func (c *Client) platformToken(ctx context.Context, form url.Values, exchange bool) (Access, error) {
	if c.cfg.TokenEndpoint == "" || c.cfg.APIKey == "" {
		return Access{}, fmt.Errorf("%w: no API platform token endpoint or application key", ErrConfig)
	}
	assertion, err := c.assertion(c.cfg.APIKey, c.cfg.TokenEndpoint)
	if err != nil {
		return Access{}, err
	}
	form.Set("client_assertion_type", assertionType)
	form.Set("client_assertion", assertion)

	body, status, err := c.post(ctx, c.cfg.TokenEndpoint, form)
	if err != nil {
		return Access{}, err
	}
	var ans tokenAnswer
	jsonErr := json.Unmarshal(body, &ans)
	if status != http.StatusOK || ans.Error != "" {
		return Access{}, oauthError(status, ans.Error, ans.ErrorDescription)
	}
	if jsonErr != nil {
		return Access{}, fmt.Errorf("%w: %w", ErrBadAnswer, jsonErr)
	}
	switch {
	case ans.AccessToken == "":
		return Access{}, fmt.Errorf("%w: no access_token", ErrBadAnswer)
	case !strings.EqualFold(ans.TokenType, "Bearer"):
		return Access{}, fmt.Errorf("%w: token_type %q, not Bearer", ErrBadAnswer, clip(ans.TokenType))
	case !ans.ExpiresIn.set || ans.ExpiresIn.n <= 0:
		return Access{}, fmt.Errorf("%w: no expires_in", ErrBadAnswer)
	case exchange && ans.IssuedTokenType != "" && ans.IssuedTokenType != accessTokenType:
		return Access{}, fmt.Errorf("%w: issued_token_type %q", ErrBadAnswer, clip(ans.IssuedTokenType))
	}
	now := c.now()
	a := Access{
		Token:   ans.AccessToken,
		Expires: now.Add(time.Duration(ans.ExpiresIn.n) * time.Second),
		Refresh: ans.RefreshToken,
	}
	if ans.RefreshToken != "" && ans.RefreshExpiresIn.set {
		a.RefreshExpires = now.Add(time.Duration(ans.RefreshExpiresIn.n) * time.Second)
	}
	return a, nil
}

// post sends a form and reads at most maxAnswer bytes of the answer. A
// network failure is ErrUnreachable and an oversized answer ErrBadAnswer.
func (c *Client) post(ctx context.Context, endpoint string, form url.Values) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, unreachable(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxAnswer+1)); err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, resp.StatusCode, fmt.Errorf("%w: %w", ErrBadAnswer, err)
		}
		return nil, resp.StatusCode, unreachable(fmt.Errorf("reading the answer: %w", err))
	}
	if buf.Len() > maxAnswer {
		return nil, resp.StatusCode, fmt.Errorf("%w: %w", ErrBadAnswer, errTooLarge)
	}
	return buf.Bytes(), resp.StatusCode, nil
}

// tokenAnswer is a token endpoint's JSON (RFC 6749 §5.1 and §5.2,
// RFC 8693 §2.2.1).
type tokenAnswer struct {
	AccessToken      string  `json:"access_token"`
	TokenType        string  `json:"token_type"`
	ExpiresIn        seconds `json:"expires_in"`
	IssuedTokenType  string  `json:"issued_token_type"`
	RefreshToken     string  `json:"refresh_token"`
	RefreshExpiresIn seconds `json:"refresh_token_expires_in"`
	Error            string  `json:"error"`
	ErrorDescription string  `json:"error_description"`
}

// seconds is a lifetime in seconds, written as a number or, as the NHS API
// platform writes it, a string ("599").
type seconds struct {
	n   int64
	set bool
}

func (s *seconds) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		b = []byte(strings.TrimSpace(str))
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("lifetime %q is not whole seconds", clip(string(b)))
	}
	*s = seconds{n: n, set: true}
	return nil
}

// assertion signs a client assertion (RFC 7523 §3, SIGNIN.md steps 4 and
// 8): RS512 by the kiosk's key named by kid, iss = sub = the client, aud =
// the endpoint, a fresh jti, exp at most 5 minutes on.
func (c *Client) assertion(client, audience string) (string, error) {
	if c.cfg.Key == nil {
		return "", fmt.Errorf("%w: no key for the client assertion", ErrConfig)
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS512, Key: c.cfg.Key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), c.kid))
	if err != nil {
		return "", fmt.Errorf("%w: making the signer: %w", ErrConfig, err)
	}
	now := c.now()
	s, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer:   client,
		Subject:  client,
		Audience: jwt.Audience{audience},
		ID:       rand.Text(),
		IssuedAt: jwt.NewNumericDate(now),
		Expiry:   jwt.NewNumericDate(now.Add(assertionLife)),
	}).Serialize()
	if err != nil {
		return "", fmt.Errorf("%w: signing the client assertion: %w", ErrConfig, err)
	}
	return s, nil
}
