// Package cardsession is the session at the kiosk: the smartcard reader as
// the presence gate, the sign-in through NHS CIS2 (docs/SIGNIN.md), the
// choice of role, the idle lock, and the renewal of the API token. One
// goroutine owns the session's state. With the embedded sandbox the
// sandbox's authenticator stands in for the browser and the NHS
// authenticator: the kiosk's keypad takes the passcode, which the card
// verifies; it is handed on and dropped, never stored, logged or audited.
package cardsession

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/internal/lifecycle"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/spine/cis2"
	"github.com/nhs-cpis/kiosk/store"
)

// CardReader is what the session needs of the smartcard reader: its
// events, and the card in a named reader.
type CardReader interface {
	Events() <-chan device.Event
	DoIn(ctx context.Context, reader string, fn func(*device.Card) error) error
}

// Identity is NHS CIS2 and the API platform's token exchange.
type Identity interface {
	Authenticate(ctx context.Context, ua cis2.UserAgent, o cis2.AuthOptions) (cis2.Identity, error)
	Exchange(ctx context.Context, id cis2.Identity) (cis2.Access, error)
	Renew(ctx context.Context, a cis2.Access) (cis2.Access, error)
	EndSession(ctx context.Context, id cis2.Identity) error
}

var (
	_ CardReader = (*device.Reader)(nil)
	_ Identity   = (*cis2.Client)(nil)
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
	Browser   bool       // the sign-in goes on in the system browser
	User      *cpis.User // known after sign-in, with the roles to choose from
}

// ErrNoDemoSignIn means a real Spine is configured, where only NHS CIS2
// signs anyone in: the sandbox's demo user is refused.
var ErrNoDemoSignIn = errors.New("a real Spine is configured: staff sign in through NHS CIS2 at the kiosk, and the demo user is refused")

// ErrCancelled means the user cancelled the sign-in at the kiosk.
var ErrCancelled = errors.New("the sign-in was cancelled at the kiosk")

// CardError is a card that could not be used: blocked, pulled out during
// sign-in, or unreadable. Err is the device's typed error.
type CardError struct{ Err error }

func (e *CardError) Error() string { return "using the card: " + e.Err.Error() }
func (e *CardError) Unwrap() error { return e.Err }

// SignInError is a sign-in that did not finish: CIS2 or the API platform
// refused, did not answer, or the browser never came back. Err is
// cis2's typed error.
type SignInError struct{ Err error }

func (e *SignInError) Error() string { return "signing in: " + e.Err.Error() }
func (e *SignInError) Unwrap() error { return e.Err }

// Gatekeeper runs the session: no reader, insert card, (passcode,)
// signing in, choose role, ready, locked. One goroutine owns the session's
// state; the card is reached only through the reader's own goroutine, and
// only in the reader the session is bound to.
type Gatekeeper struct {
	Reader   CardReader
	Identity Identity
	// Browser takes the user to CIS2: the system browser. Nil: the
	// sandbox's authenticator signs in with the card and the keypad's
	// passcode, over Sandbox.
	Browser cis2.UserAgent
	Sandbox *http.Client
	// ReaderName picks the readers the session listens to: those whose
	// name holds it. Empty: any. Either way, the session is bound to the
	// reader its card went into and other readers are ignored meanwhile.
	ReaderName string
	Audit      check.Audit
	Host       Host
	Setting    cpis.Setting
	Log        logrus.FieldLogger
	// Now and After are the clock and the renewal timer, fields so that
	// tests can drive them; time.Now and time.After when nil.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// RenewBefore is how long before the token expires it is renewed.
	RenewBefore time.Duration
	// SignInWait is how long a sign-in may take, browser and all; 5
	// minutes when zero.
	SignInWait time.Duration

	passcodes chan string
	roles     chan string
	asks      chan ask
	results   chan loginResult
	// workers counts the loop's own goroutines (sign-ins, renewals, and
	// sessions being ended at the provider), which Shutdown waits for.
	workers sync.WaitGroup
	life    lifecycle.Loop
}

// ask is a request from the screens without a value.
type ask int

const (
	askLock   ask = iota + 1 // idle timeout
	askCancel                // cancel the sign-in
	askUnlock                // sign in again to unlock (CIS2 in the browser)
)

// loginResult is what a sign-in or a renewal on its own goroutine found.
type loginResult struct {
	gen    uint64
	id     cis2.Identity
	access cis2.Access
	renew  bool
	err    error
}

// sessionState is the gatekeeper's state, owned by its goroutine.
type sessionState struct {
	gate      cpis.Gate
	readers   []string // the readers listened to, in the order they came
	reader    string   // the reader bound to the card in it, or to show
	card      bool
	cardUser  string // the card's user, read by the sandbox's authenticator
	id        *cis2.Identity
	access    *cis2.Access
	role      *cpis.Role
	triesLeft int
	unlocking bool
	// gen changes with every card event and cancel, so a sign-in that
	// finishes after its card was pulled out is thrown away.
	gen         uint64
	cancelLogin context.CancelFunc
	renew       <-chan time.Time // nil when no renewal is due
}

// Start runs the session loop until Shutdown.
func (g *Gatekeeper) Start(ctx context.Context) {
	g.passcodes = make(chan string, 1)
	g.roles = make(chan string, 1)
	g.asks = make(chan ask, 4)
	g.results = make(chan loginResult, 1)
	if g.RenewBefore == 0 {
		g.RenewBefore = time.Minute
	}
	if g.SignInWait == 0 {
		g.SignInWait = 5 * time.Minute
	}
	if g.Now == nil {
		g.Now = time.Now
	}
	if g.After == nil {
		g.After = time.After
	}
	g.life.Start(ctx, g.loop)
}

// Shutdown stops the loop and waits for it and its goroutines: a sign-in
// is cancelled, a session being ended at the provider is given its time.
func (g *Gatekeeper) Shutdown(ctx context.Context) error {
	if err := g.life.Shutdown(ctx); err != nil {
		return fmt.Errorf("stopping the session: %w", err)
	}
	ended := make(chan struct{})
	go func() { g.workers.Wait(); close(ended) }()
	select {
	case <-ended:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping the session: waiting for CIS2: %w", ctx.Err())
	}
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

// Lock locks the session (idle timeout): the same user unlocks it.
func (g *Gatekeeper) Lock() { g.send(askLock) }

// Cancel stops a sign-in in progress.
func (g *Gatekeeper) Cancel() { g.send(askCancel) }

// Unlock signs the locked session's user in again through CIS2.
func (g *Gatekeeper) Unlock() { g.send(askUnlock) }

func (g *Gatekeeper) send(a ask) {
	select {
	case g.asks <- a:
	default:
	}
}

func (g *Gatekeeper) loop(ctx context.Context) {
	st := &sessionState{gate: cpis.GateNoReader}
	g.show(st, nil)
	for {
		select {
		case <-ctx.Done():
			g.end(ctx, st, "")
			return
		case ev := <-g.Reader.Events():
			g.onEvent(ctx, st, ev)
		case p := <-g.passcodes:
			g.onPasscode(ctx, st, p)
		case id := <-g.roles:
			g.onRole(st, id)
		case a := <-g.asks:
			g.onAsk(ctx, st, a)
		case r := <-g.results:
			g.onResult(ctx, st, r)
		case <-st.renew:
			st.renew = nil
			if st.card && st.access != nil {
				g.startRenew(ctx, st)
			}
		}
	}
}

// listens reports whether the session listens to a reader.
func (g *Gatekeeper) listens(reader string) bool {
	return g.ReaderName == "" || strings.Contains(reader, g.ReaderName)
}

func (g *Gatekeeper) onEvent(ctx context.Context, st *sessionState, ev device.Event) {
	switch ev.Kind {
	case device.EventCardInserted:
		if !g.listens(ev.Reader) || (st.card && ev.Reader != st.reader) {
			g.Log.WithField("reader", ev.Reader).Info("card in another reader: ignored")
			return
		}
		g.end(ctx, st, "")
		st.gen++
		st.card, st.reader = true, ev.Reader
		g.cardIn(ctx, st)
	case device.EventCardRemoved:
		if !st.card || ev.Reader != st.reader {
			return
		}
		g.end(ctx, st, "session ended")
		st.gen++
		st.card, st.gate = false, cpis.GateInsertCard
		g.Host.SignOut(g.view(st))
		g.Log.Info("card removed: screen wiped")
	case device.EventReaderAdded:
		if !g.listens(ev.Reader) || slices.Contains(st.readers, ev.Reader) {
			return
		}
		st.readers = append(st.readers, ev.Reader)
		if !st.card {
			st.reader, st.gate = ev.Reader, cpis.GateInsertCard
			g.show(st, nil)
		}
	case device.EventReaderRemoved:
		st.readers = slices.DeleteFunc(st.readers, func(r string) bool { return r == ev.Reader })
		if st.card && ev.Reader != st.reader {
			return
		}
		if st.card {
			g.end(ctx, st, "reader gone")
			st.gen++
			st.card = false
		}
		st.gate, st.reader = cpis.GateNoReader, ""
		if len(st.readers) > 0 {
			st.gate, st.reader = cpis.GateInsertCard, st.readers[0]
		}
		g.Host.SignOut(g.view(st))
	case device.EventServiceDown:
		g.end(ctx, st, "reader gone")
		st.gen++
		st.card, st.readers, st.reader, st.gate = false, nil, "", cpis.GateNoReader
		g.Host.SignOut(g.view(st))
	case device.EventServiceUp:
		if st.gate == cpis.GateNoReader {
			g.show(st, nil)
		}
	}
}

// cardIn starts the sign-in for the card just put in: through the browser
// for any card, or, with the sandbox's authenticator, by reading the
// card's user and asking for its passcode.
func (g *Gatekeeper) cardIn(ctx context.Context, st *sessionState) {
	if g.Browser != nil {
		g.Log.Info("card inserted: signing in through NHS CIS2")
		g.startLogin(ctx, st, false)
		return
	}
	uid, err := readUser(ctx, g.Reader, st.reader)
	if err != nil {
		st.gate = cpis.GateRefused
		g.Log.WithError(err).Warn("reading the inserted card")
		g.show(st, &CardError{err})
		return
	}
	st.cardUser, st.gate = uid, cpis.GatePasscode
	g.Log.WithField("user", uid).Info("card inserted")
	g.show(st, nil)
}

func (g *Gatekeeper) onPasscode(ctx context.Context, st *sessionState, p string) {
	if !st.card || g.Browser != nil || (st.gate != cpis.GatePasscode && st.gate != cpis.GateLocked) {
		return
	}
	err := g.Reader.DoIn(ctx, st.reader, func(c *device.Card) error { return c.Verify([]byte(p)) })
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
		// The card that signed this session in has proved its holder again.
		st.gate = cpis.GateOpen
		g.audit(st, cpis.EventUnlock, cpis.ResultDone, "passcode")
		g.Host.SignIn(g.session(st))
		return
	}
	g.startLogin(ctx, st, false)
}

func (g *Gatekeeper) onAsk(ctx context.Context, st *sessionState, a ask) {
	switch {
	case a == askLock && st.gate == cpis.GateOpen:
		st.gate = cpis.GateLocked
		g.audit(st, cpis.EventLock, cpis.ResultDone, "idle timeout")
		g.Host.Lock(g.view(st))
	case a == askUnlock && st.gate == cpis.GateLocked && st.card && g.Browser != nil:
		g.startLogin(ctx, st, true)
	case a == askCancel && st.gate == cpis.GateSigningIn:
		g.stopLogin(st)
		st.gen++ // what the sign-in finds now is not for anyone
		g.failed(st, ErrCancelled)
	}
}

// startLogin signs in on its own goroutine, so that pulling the card out
// is seen at once even while CIS2 or the browser is slow: pulling it
// cancels the sign-in.
func (g *Gatekeeper) startLogin(ctx context.Context, st *sessionState, unlock bool) {
	g.stopLogin(st)
	st.unlocking = unlock
	if !unlock {
		st.gate = cpis.GateSigningIn
	}
	g.show(st, nil)
	lctx, cancel := context.WithTimeout(ctx, g.SignInWait)
	st.cancelLogin = cancel
	gen := st.gen
	ua := NewCardAgent(g.Sandbox, g.Reader, st.reader, st.cardUser)
	if g.Browser != nil {
		ua = g.Browser
	}
	g.workers.Add(1)
	go func() {
		defer g.workers.Done()
		r := loginResult{gen: gen}
		r.id, r.access, r.err = g.signIn(lctx, ua, cis2.AuthOptions{ForceLogin: unlock})
		select {
		case g.results <- r:
		case <-ctx.Done():
		}
	}()
}

// signIn authenticates the user at CIS2 and, when a role of theirs can be
// used here, exchanges the ID token for the API platform's token.
func (g *Gatekeeper) signIn(ctx context.Context, ua cis2.UserAgent, o cis2.AuthOptions) (cis2.Identity, cis2.Access, error) {
	id, err := g.Identity.Authenticate(ctx, ua, o)
	if err != nil {
		return id, cis2.Access{}, err
	}
	if !slices.ContainsFunc(id.User.Roles, func(r cpis.Role) bool { return cpis.UsableHere(r) == nil }) {
		return id, cis2.Access{}, nil
	}
	a, err := g.Identity.Exchange(ctx, id)
	return id, a, err
}

func (g *Gatekeeper) startRenew(ctx context.Context, st *sessionState) {
	g.stopLogin(st)
	lctx, cancel := context.WithTimeout(ctx, time.Minute)
	st.cancelLogin = cancel
	gen, a := st.gen, *st.access
	g.workers.Add(1)
	go func() {
		defer g.workers.Done()
		r := loginResult{gen: gen, renew: true}
		r.access, r.err = g.Identity.Renew(lctx, a)
		select {
		case g.results <- r:
		case <-ctx.Done():
		}
	}()
}

func (g *Gatekeeper) onResult(ctx context.Context, st *sessionState, r loginResult) {
	if r.gen != st.gen || !st.card {
		return // the card this was for has gone
	}
	st.cancelLogin = nil
	switch {
	case r.renew && r.err != nil:
		// Keep the session until the token really expires; try again soon.
		g.Log.WithError(r.err).Warn("renewing the API token")
		st.renew = g.After(15 * time.Second)
		return
	case r.renew:
		st.access = &r.access
		g.renewAt(st)
		g.Log.Info("session renewed")
		if st.role != nil {
			g.Host.Renewed(g.session(st))
		}
		return
	case r.err != nil && st.unlocking:
		st.unlocking = false
		g.Log.WithError(r.err).Warn("signing in again to unlock")
		g.Host.SetSession(g.view(st), &SignInError{r.err})
		return
	case r.err != nil:
		g.Log.WithError(r.err).Warn("signing in")
		g.audit(st, cpis.EventLogin, cpis.ResultFailed, "sign-in did not finish")
		g.failed(st, &SignInError{r.err})
		g.endAtProvider(ctx, r.id)
		return
	}
	if st.unlocking {
		st.unlocking = false
		if st.id != nil && r.id.User.ID == st.id.User.ID && r.access.Token != "" {
			g.unlocked(st, r)
			return
		}
		// Someone else: the locked session ends, wiped and audited,
		// before theirs starts.
		g.end(ctx, st, "another user signed in")
		g.Host.SignOut(g.view(st))
	}
	st.id = &r.id
	g.Log.WithField("user", r.id.User.ID).Info("signed in at CIS2")
	if r.access.Token == "" {
		g.refuse(ctx, st)
		return
	}
	st.access = &r.access
	g.renewAt(st)
	usable := slices.DeleteFunc(slices.Clone(r.id.User.Roles), func(ro cpis.Role) bool { return cpis.UsableHere(ro) != nil })
	if len(usable) == 1 && len(r.id.User.Roles) == 1 {
		g.selectRole(st, usable[0])
		return
	}
	st.gate = cpis.GateChooseRole
	g.show(st, nil)
}

// unlocked puts the same user back in, with the new tokens, in the role
// they had (if CIS2 still gives it).
func (g *Gatekeeper) unlocked(st *sessionState, r loginResult) {
	old := st.id
	st.id, st.access = &r.id, &r.access
	g.renewAt(st)
	if i := slices.IndexFunc(r.id.User.Roles, func(ro cpis.Role) bool { return ro.ID == st.role.ID }); i < 0 || cpis.UsableHere(r.id.User.Roles[i]) != nil {
		st.role, st.gate = nil, cpis.GateChooseRole
		g.show(st, nil)
	} else {
		st.role, st.gate = &r.id.User.Roles[i], cpis.GateOpen
		g.audit(st, cpis.EventUnlock, cpis.ResultDone, "signed in again")
		g.Host.SignIn(g.session(st))
	}
	g.endAtProvider(context.Background(), *old)
}

// refuse ends a sign-in whose user has no role usable here.
func (g *Gatekeeper) refuse(ctx context.Context, st *sessionState) {
	st.gate = cpis.GateRefused
	err := cpis.ErrSilentReadOnly
	for _, r := range st.id.User.Roles {
		if e := cpis.UsableHere(r); !errors.Is(e, cpis.ErrSilentReadOnly) {
			err = e
		}
	}
	g.audit(st, cpis.EventLogin, cpis.ResultRefused, "refused: "+err.Error())
	g.show(st, err)
	g.endAtProvider(ctx, *st.id)
	st.id = nil
}

// failed puts a sign-in that did not finish back to "insert your card",
// with nothing half signed in: the card must come out and go in again.
func (g *Gatekeeper) failed(st *sessionState, problem error) {
	st.id, st.access, st.role, st.unlocking = nil, nil, nil, false
	st.gate = cpis.GateInsertCard
	g.show(st, problem)
}

func (g *Gatekeeper) renewAt(st *sessionState) {
	st.renew = g.After(max(time.Second, st.access.Expires.Sub(g.Now())-g.RenewBefore))
}

func (g *Gatekeeper) onRole(st *sessionState, id string) {
	if st.gate != cpis.GateChooseRole || st.id == nil || st.access == nil {
		return
	}
	for _, r := range st.id.User.Roles {
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
	g.Log.WithFields(logrus.Fields{"user": st.id.User.ID, "role": r.ID}).Info("signed in")
	g.Host.SignIn(g.session(st))
}

// end ends the session, if there is one, audited with why (none: not
// audited), and at the provider too; a sign-in in progress stops.
func (g *Gatekeeper) end(ctx context.Context, st *sessionState, why string) {
	g.stopLogin(st)
	if st.id != nil {
		if why != "" && st.role != nil {
			g.audit(st, cpis.EventCardRemoved, cpis.ResultDone, why)
		}
		g.endAtProvider(ctx, *st.id)
	}
	st.id, st.access, st.role, st.cardUser, st.triesLeft, st.unlocking = nil, nil, nil, "", 0, false
}

// endAtProvider ends the user's session at CIS2 on its own goroutine
// (Smartcard Connect does not on removal): the kiosk has already ended
// its own.
func (g *Gatekeeper) endAtProvider(ctx context.Context, id cis2.Identity) {
	if id.IDToken == "" {
		return
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	g.workers.Add(1)
	go func() {
		defer g.workers.Done()
		defer cancel()
		if err := g.Identity.EndSession(ectx, id); err != nil {
			g.Log.WithError(err).Warn("ending the session at CIS2")
		}
	}()
}

func (g *Gatekeeper) stopLogin(st *sessionState) {
	if st.cancelLogin != nil {
		st.cancelLogin()
		st.cancelLogin = nil
	}
	// A timer dropped unfired is collected: nothing waits on it.
	st.renew = nil
}

func (g *Gatekeeper) session(st *sessionState) check.Session {
	return check.Session{User: st.id.User, Role: *st.role, Token: st.access.Token, Expires: st.access.Expires}
}

func (g *Gatekeeper) view(st *sessionState) State {
	v := State{Gate: st.gate, Reader: st.reader, TriesLeft: st.triesLeft, Browser: g.Browser != nil}
	if st.id != nil {
		v.User = &st.id.User
	}
	return v
}

func (g *Gatekeeper) show(st *sessionState, problem error) {
	g.Host.SetSession(g.view(st), problem)
}

func (g *Gatekeeper) audit(st *sessionState, kind cpis.EventKind, r cpis.Result, outcome string) {
	e := store.Event{At: g.Now(), Kind: kind, UserID: st.cardUser, Setting: string(g.Setting), Result: r, Outcome: outcome}
	if st.id != nil {
		e.UserID, e.UserName = st.id.User.ID, st.id.User.Name
	}
	if st.role != nil {
		e.RoleID, e.JobRole, e.OrgCode = st.role.ID, st.role.JobRole, st.role.OrgCode
	}
	if _, err := g.Audit.Append(e); err != nil {
		g.Log.WithError(err).WithField("event", kind).Error("writing audit record")
	}
}
