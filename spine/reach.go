package spine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Reachable asks PDS and CP-IS whether they answer at all: one GET of
// each search endpoint (PDS /Patient, CP-IS /CareTeam), with no token, no
// parameters and no patient data, so nothing is recorded anywhere and
// nobody need be signed in. Any HTTP answer counts (a 401 or a 404 is the service working), except a
// gateway's 502, 503 or 504, a 408 and a 429, which say it cannot take
// requests now. It returns a *Error, classed ErrUnavailable or
// ErrCertificate, for the first service that does not answer.
func (c *Client) Reachable(ctx context.Context) error {
	for _, s := range []struct{ service, base, path string }{
		{"pds", c.cfg.PDSBase, "/Patient"}, {"cpis", c.cfg.CPISBase, "/CareTeam"},
	} {
		if err := c.reach(ctx, s.service, s.base+s.path); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) reach(ctx context.Context, service, url string) error {
	op := "probing " + service
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	if err != nil {
		return &Error{Op: op, Service: service, Err: fmt.Errorf("%w: %w", ErrUnavailable, errors.New("building the request"))}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &Error{Op: op, Service: service, Err: classifyTransport(err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
		http.StatusRequestTimeout, http.StatusTooManyRequests:
		return &Error{Op: op, Service: service, Status: resp.StatusCode, Err: ErrUnavailable}
	}
	return nil
}
