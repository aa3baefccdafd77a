package spine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// Login is a signed-in member of staff: the bearer token for Session.Token
// and the user's role profiles to choose from.
type Login struct {
	Token   string
	Expires time.Time
	User    cpis.User
	Demo    bool // issued to the sandbox's demo user: label it on screen
}

// Challenge is a nonce for the smartcard to sign, proving the card.
type Challenge struct {
	ID      string
	Nonce   []byte
	Expires time.Time
}

// tokenResponse is the identity service's answer, in the shape of NHS
// CIS2: an OAuth token and the ID token's claims that matter
// (spine-interfaces.md, "Identity"): nhsid_useruid, name and per role
// person_roleid, org_code, org_name, role_name and activity_codes.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Claims      struct {
		UserID string `json:"nhsid_useruid"`
		Name   string `json:"name"`
		Roles  []struct {
			RoleID        string   `json:"person_roleid"`
			OrgCode       string   `json:"org_code"`
			OrgName       string   `json:"org_name"`
			RoleName      string   `json:"role_name"`
			ActivityCodes []string `json:"activity_codes"`
		} `json:"nhsid_nrbac_roles"`
	} `json:"id_token_claims"`
	Demo bool `json:"demo"`
}

// challengeResponse is the answer to POST /challenge.
type challengeResponse struct {
	Challenge string `json:"challenge"`
	Nonce     string `json:"nonce"` // standard base64
	ExpiresIn int64  `json:"expires_in"`
}

// DemoLogin signs in the sandbox's demo user: POST {IdentityBase}/demo/token.
// A real identity service has no such endpoint.
func (c *Client) DemoLogin(ctx context.Context) (Login, error) {
	return c.login(ctx, "signing in the demo user", "/demo/token", struct{}{})
}

// Challenge asks for a nonce for the card to sign: POST {IdentityBase}/challenge.
func (c *Client) Challenge(ctx context.Context) (Challenge, error) {
	const op = "asking for a card challenge"
	a, err := c.identity(ctx, op, "/challenge", struct{}{})
	if err != nil {
		return Challenge{}, err
	}
	var r challengeResponse
	if err := json.Unmarshal(a.body, &r); err != nil {
		return Challenge{}, wrapDecode(op, a, fmt.Errorf("%w: reading challenge: %w", ErrBadResponse, err))
	}
	nonce, err := base64.StdEncoding.DecodeString(r.Nonce)
	if err != nil || r.Challenge == "" || len(nonce) == 0 {
		return Challenge{}, wrapDecode(op, a, fmt.Errorf("%w: the challenge has no id or nonce", ErrBadResponse))
	}
	return Challenge{ID: r.Challenge, Nonce: nonce, Expires: c.now().Add(time.Duration(r.ExpiresIn) * time.Second)}, nil
}

// CardLogin exchanges the card's signature over a challenge's nonce for a
// token: POST {IdentityBase}/token with {"user", "challenge", "signature"}.
// The sandbox checks an ECDSA P-256 ASN.1 signature over SHA-256(nonce)
// against the key registered for the user.
func (c *Client) CardLogin(ctx context.Context, userUUID, challengeID string, signature []byte) (Login, error) {
	return c.login(ctx, "signing in with the smartcard", "/token", map[string]string{
		"user":      userUUID,
		"challenge": challengeID,
		"signature": base64.StdEncoding.EncodeToString(signature),
	})
}

func (c *Client) login(ctx context.Context, op, path string, body any) (Login, error) {
	a, err := c.identity(ctx, op, path, body)
	if err != nil {
		return Login{}, err
	}
	var r tokenResponse
	if err := json.Unmarshal(a.body, &r); err != nil {
		return Login{}, wrapDecode(op, a, fmt.Errorf("%w: reading token: %w", ErrBadResponse, err))
	}
	if r.AccessToken == "" || r.Claims.UserID == "" || (r.TokenType != "" && r.TokenType != "Bearer") {
		return Login{}, wrapDecode(op, a, fmt.Errorf("%w: the token answer has no bearer token or user", ErrBadResponse))
	}
	l := Login{
		Token:   r.AccessToken,
		Expires: c.now().Add(time.Duration(r.ExpiresIn) * time.Second),
		User:    cpis.User{ID: r.Claims.UserID, Name: r.Claims.Name},
		Demo:    r.Demo,
	}
	for _, ro := range r.Claims.Roles {
		role := cpis.Role{ID: ro.RoleID, OrgCode: ro.OrgCode, OrgName: ro.OrgName, JobRole: ro.RoleName}
		for _, code := range ro.ActivityCodes {
			role.Activity = append(role.Activity, cpis.ActivityCode(code))
		}
		l.User.Roles = append(l.User.Roles, role)
	}
	return l, nil
}

func (c *Client) identity(ctx context.Context, op, path string, body any) (answer, error) {
	if c.cfg.IdentityBase == "" {
		return answer{}, &Error{Op: op, Err: fmt.Errorf("%w: %w", ErrInvalid, errors.New("no identity service configured"))}
	}
	h := http.Header{}
	h.Set("Accept", "application/json")
	return c.do(ctx, call{op: op, service: "identity", method: http.MethodPost, url: c.cfg.IdentityBase + path,
		header: h, body: body, requestID: true})
}
