// Package cardsession is the smartcard session: the reader as the presence
// gate, the passcode, the choice of role, the idle lock, and sign-in. One
// goroutine owns the session's state; the passcode is handed on and
// dropped, never stored, logged or audited.
package cardsession

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/internal/lifecycle"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/store"
)

// CardReader is what sign-in needs of the smartcard reader.
type CardReader interface {
	Events() <-chan device.Event
	Do(ctx context.Context, fn func(*device.Card) error) error
}

// Identity exchanges the card's signature over a challenge for a session
// and the user's role profiles.
type Identity interface {
	Challenge(ctx context.Context) (spine.Challenge, error)
	CardLogin(ctx context.Context, user, challengeID string, signature []byte) (spine.Login, error)
}

var (
	_ CardReader = (*device.Reader)(nil)
	_ Identity   = (*spine.Client)(nil)
)

// Host is what the gatekeeper drives: the window's controller.
// problem, when not nil, is why the session stands where it does: a
// *CardError, a *SignInError, or a refusal from the domain (cpis).
type Host interface {
	SetSession(st State, problem error)
	SignIn(s check.Session)
	Renewed(s check.Session)
	Lock(st State)
	SignOut(st State)
}

// State is what the session screens show.
type State struct {
	Gate      cpis.Gate
	Reader    string     // the reader's name, for "Insert your card in …"
	TriesLeft int        // after a wrong passcode; 0 when not known
	User      *cpis.User // known after sign-in, with the roles to choose from
}

// ErrNoCardSignIn means a real Spine is configured, and signing in to it
// needs a smartcard; the sandbox's demo identity is refused there.
var ErrNoCardSignIn = errors.New("a real Spine is configured: sign-in needs an NHS smartcard, and the demo identity is refused")

// CardError is a card that could not be used: blocked, pulled out during
// sign-in, or unreadable. Err is the device's typed error.
type CardError struct{ Err error }

func (e *CardError) Error() string { return "using the card: " + e.Err.Error() }
func (e *CardError) Unwrap() error { return e.Err }

// SignInError is a sign-in that failed after the passcode: the identity
// service refused the card or could not be reached.
type SignInError struct{ Err error }

func (e *SignInError) Error() string { return "signing in: " + e.Err.Error() }
func (e *SignInError) Unwrap() error { return e.Err }

// Gatekeeper runs the smartcard session: no reader, insert card, passcode,
// choose role, ready, locked. One goroutine owns the session's state; the
// card is reached only through the reader's own goroutine. The passcode is
// handed to the card and dropped: it is never stored, logged or audited.
type Gatekeeper struct {
	Reader   CardReader
	Identity Identity
	Audit    check.Audit
	Host     Host
	Setting  cpis.Setting
	Log      logrus.FieldLogger
	// Now and After are the clock and the renewal timer, fields so that
	// tests can drive them; time.Now and time.After when nil.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// RenewBefore is how long before the token expires it is renewed.
	RenewBefore time.Duration

	passcodes chan string
	roles     chan string
	locks     chan struct{}
	results   chan loginResult
	life      lifecycle.Loop
}

// loginResult is what a sign-in or renewal on its own goroutine found.
type loginResult struct {
	gen   uint64
	login spine.Login
	renew bool
	err   error
}

// sessionState is the gatekeeper's state, owned by its goroutine.
type sessionState struct {
	gate      cpis.Gate
	reader    string
	card      bool
	userID    string
	login     *spine.Login
	role      *cpis.Role
	triesLeft int
	// gen changes with every card event, so a sign-in that finishes after
	// its card was pulled out is thrown away.
	gen         uint64
	cancelLogin context.CancelFunc
	renew       <-chan time.Time // nil when no renewal is due
}

// Start runs the session loop until Shutdown.
func (g *Gatekeeper) Start(ctx context.Context) {
	g.passcodes = make(chan string, 1)
	g.roles = make(chan string, 1)
	g.locks = make(chan struct{}, 1)
	g.results = make(chan loginResult, 1)
	if g.RenewBefore == 0 {
		g.RenewBefore = time.Minute
	}
	if g.Now == nil {
		g.Now = time.Now
	}
	if g.After == nil {
		g.After = time.After
	}
	g.life.Start(ctx, g.loop)
}

// Shutdown stops the loop and waits for it.
func (g *Gatekeeper) Shutdown(ctx context.Context) error {
	if err := g.life.Shutdown(ctx); err != nil {
		return fmt.Errorf("stopping the smartcard session: %w", err)
	}
	return nil
}

// Passcode hands over a typed passcode. It never blocks the UI: a second
// passcode while one is being checked is dropped.
func (g *Gatekeeper) Passcode(p string) {
	select {
	case g.passcodes <- p:
	default:
	}
}

// ChooseRole selects one of the user's roles.
func (g *Gatekeeper) ChooseRole(id string) {
	select {
	case g.roles <- id:
	default:
	}
}

// Lock locks the session (idle timeout): the card's passcode unlocks it.
func (g *Gatekeeper) Lock() {
	select {
	case g.locks <- struct{}{}:
	default:
	}
}

func (g *Gatekeeper) loop(ctx context.Context) {
	st := &sessionState{gate: cpis.GateNoReader}
	g.show(st, nil)
	for {
		select {
		case <-ctx.Done():
			g.endLogin(st)
			return
		case ev := <-g.Reader.Events():
			g.onEvent(ctx, st, ev)
		case p := <-g.passcodes:
			g.onPasscode(ctx, st, p)
		case id := <-g.roles:
			g.onRole(st, id)
		case <-g.locks:
			if st.gate == cpis.GateOpen {
				st.gate = cpis.GateLocked
				g.audit(st, cpis.EventLock, cpis.ResultDone, "idle timeout")
				g.Host.Lock(g.view(st))
			}
		case r := <-g.results:
			g.onResult(st, r)
		case <-st.renew:
			st.renew = nil
			if st.card && st.login != nil {
				g.startLogin(ctx, st, true)
			}
		}
	}
}

func (g *Gatekeeper) onEvent(ctx context.Context, st *sessionState, ev device.Event) {
	switch ev.Kind {
	case device.EventCardInserted:
		g.endLogin(st)
		st.gen++
		st.card, st.reader, st.userID, st.triesLeft = true, ev.Reader, "", 0
		st.login, st.role = nil, nil
		var uid string
		err := g.Reader.Do(ctx, func(c *device.Card) error {
			if err := c.Select(); err != nil {
				return err
			}
			var err error
			uid, err = c.UserID()
			return err
		})
		if err != nil {
			st.gate = cpis.GateRefused
			g.Log.WithError(err).Warn("reading the inserted card")
			g.show(st, &CardError{err})
			return
		}
		st.userID, st.gate = uid, cpis.GatePasscode
		g.Log.WithField("user", uid).Info("card inserted")
		g.show(st, nil)
	case device.EventCardRemoved:
		wasIn := st.login != nil
		g.endLogin(st)
		st.gen++
		st.card, st.login, st.role, st.triesLeft = false, nil, nil, 0
		st.gate = cpis.GateInsertCard
		if wasIn {
			g.audit(st, cpis.EventCardRemoved, cpis.ResultDone, "session ended")
		}
		st.userID = ""
		g.Host.SignOut(g.view(st))
		g.Log.Info("card removed: screen wiped")
	case device.EventReaderAdded:
		if !st.card {
			st.reader, st.gate = ev.Reader, cpis.GateInsertCard
			g.show(st, nil)
		}
	case device.EventReaderRemoved, device.EventServiceDown:
		if st.card && ev.Kind == device.EventReaderRemoved && ev.Reader != st.reader {
			return
		}
		wasIn := st.login != nil
		g.endLogin(st)
		st.gen++
		st.card, st.login, st.role, st.userID = false, nil, nil, ""
		st.gate = cpis.GateNoReader
		if wasIn {
			g.audit(st, cpis.EventCardRemoved, cpis.ResultDone, "reader gone")
		}
		g.Host.SignOut(g.view(st))
	case device.EventServiceUp:
		if st.gate == cpis.GateNoReader {
			g.show(st, nil)
		}
	}
}

func (g *Gatekeeper) onPasscode(ctx context.Context, st *sessionState, p string) {
	if !st.card || (st.gate != cpis.GatePasscode && st.gate != cpis.GateLocked) {
		return
	}
	err := g.Reader.Do(ctx, func(c *device.Card) error { return c.Verify([]byte(p)) })
	var auth *device.AuthError
	switch {
	case err == nil:
	case errors.As(err, &auth):
		st.triesLeft = auth.Retries
		g.audit(st, cpis.EventPasscodeFailed, cpis.ResultFailed, fmt.Sprintf("%d tries left", auth.Retries))
		g.show(st, nil)
		return
	case errors.Is(err, device.ErrBlocked):
		st.gate = cpis.GateRefused
		g.audit(st, cpis.EventPasscodeFailed, cpis.ResultFailed, "card blocked")
		g.show(st, &CardError{err})
		return
	default:
		g.Log.WithError(err).Warn("verifying the passcode")
		g.show(st, &CardError{err})
		return
	}
	st.triesLeft = 0
	if st.gate == cpis.GateLocked {
		st.gate = cpis.GateOpen
		g.audit(st, cpis.EventUnlock, cpis.ResultDone, "passcode")
		g.Host.SignIn(g.session(st))
		return
	}
	st.gate = cpis.GateStarting
	g.show(st, nil)
	g.startLogin(ctx, st, false)
}

// startLogin proves the card to the identity service on its own goroutine,
// so that pulling the card out is seen at once even while the Spine is slow.
func (g *Gatekeeper) startLogin(ctx context.Context, st *sessionState, renew bool) {
	g.endLogin(st)
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	st.cancelLogin = cancel
	gen, user := st.gen, st.userID
	go func() {
		l, err := ProveCard(lctx, g.Reader, g.Identity, user)
		select {
		case g.results <- loginResult{gen: gen, login: l, renew: renew, err: err}:
		case <-ctx.Done():
		}
	}()
}

// ProveCard runs the challenge-response: the identity service's nonce,
// signed by the card's private key (INTERNAL AUTHENTICATE, after VERIFY),
// exchanged for a token and the user's role profiles.
func ProveCard(ctx context.Context, r CardReader, id Identity, user string) (spine.Login, error) {
	ch, err := id.Challenge(ctx)
	if err != nil {
		return spine.Login{}, fmt.Errorf("getting a challenge: %w", err)
	}
	var sig []byte
	if err := r.Do(ctx, func(c *device.Card) error {
		var err error
		sig, err = c.Sign(ch.Nonce)
		return err
	}); err != nil {
		return spine.Login{}, fmt.Errorf("signing the challenge: %w", err)
	}
	l, err := id.CardLogin(ctx, user, ch.ID, sig)
	if err != nil {
		return spine.Login{}, fmt.Errorf("signing in: %w", err)
	}
	return l, nil
}

func (g *Gatekeeper) onResult(st *sessionState, r loginResult) {
	if r.gen != st.gen || !st.card {
		return // the card this was for has gone
	}
	st.cancelLogin = nil
	if r.err != nil {
		g.Log.WithError(r.err).Warn("smartcard sign-in")
		if r.renew {
			// Keep the session until the token really expires; try again soon.
			st.renew = g.After(15 * time.Second)
			return
		}
		st.gate = cpis.GatePasscode
		g.show(st, &SignInError{r.err})
		return
	}
	l := r.login
	st.login = &l
	st.renew = g.After(max(time.Second, l.Expires.Sub(g.Now())-g.RenewBefore))
	if r.renew {
		g.Log.Info("session renewed")
		if st.role != nil {
			g.Host.Renewed(g.session(st))
		}
		return
	}
	usable := 0
	var only cpis.Role
	for _, r := range l.User.Roles {
		if cpis.UsableHere(r) == nil {
			usable++
			only = r
		}
	}
	switch {
	case usable == 0:
		st.gate = cpis.GateRefused
		err := cpis.ErrSilentReadOnly
		for _, r := range l.User.Roles {
			if e := cpis.UsableHere(r); !errors.Is(e, cpis.ErrSilentReadOnly) {
				err = e
			}
		}
		g.audit(st, cpis.EventLogin, cpis.ResultRefused, "refused: "+err.Error())
		g.show(st, err)
	case usable == 1 && len(l.User.Roles) == 1:
		g.selectRole(st, only)
	default:
		st.gate = cpis.GateChooseRole
		g.show(st, nil)
	}
}

func (g *Gatekeeper) onRole(st *sessionState, id string) {
	if st.gate != cpis.GateChooseRole || st.login == nil {
		return
	}
	for _, r := range st.login.User.Roles {
		if r.ID == id && cpis.UsableHere(r) == nil {
			g.selectRole(st, r)
			return
		}
	}
}

func (g *Gatekeeper) selectRole(st *sessionState, r cpis.Role) {
	st.role = &r
	st.gate = cpis.GateOpen
	g.audit(st, cpis.EventLogin, cpis.ResultDone, "signed in")
	g.Log.WithFields(logrus.Fields{"user": st.userID, "role": r.ID}).Info("signed in")
	g.Host.SignIn(g.session(st))
}

func (g *Gatekeeper) endLogin(st *sessionState) {
	if st.cancelLogin != nil {
		st.cancelLogin()
		st.cancelLogin = nil
	}
	// A timer dropped unfired is collected: nothing waits on it.
	st.renew = nil
}

func (g *Gatekeeper) session(st *sessionState) check.Session {
	return check.Session{User: st.login.User, Role: *st.role, Token: st.login.Token, Expires: st.login.Expires}
}

func (g *Gatekeeper) view(st *sessionState) State {
	v := State{Gate: st.gate, Reader: st.reader, TriesLeft: st.triesLeft}
	if st.login != nil {
		v.User = &st.login.User
	}
	return v
}

func (g *Gatekeeper) show(st *sessionState, problem error) {
	g.Host.SetSession(g.view(st), problem)
}

func (g *Gatekeeper) audit(st *sessionState, kind cpis.EventKind, r cpis.Result, outcome string) {
	e := store.Event{At: g.Now(), Kind: kind, UserID: st.userID, Setting: string(g.Setting), Result: r, Outcome: outcome}
	if st.login != nil {
		e.UserName = st.login.User.Name
	}
	if st.role != nil {
		e.RoleID, e.JobRole, e.OrgCode = st.role.ID, st.role.JobRole, st.role.OrgCode
	}
	if _, err := g.Audit.Append(e); err != nil {
		g.Log.WithError(err).WithField("event", kind).Error("writing audit record")
	}
}
