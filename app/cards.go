package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/cardsession"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/controller"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/device/vcard"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/store"
)

// runVCard is `cpis-kiosk vcard`: a virtual smartcard in a vpcd reader.
func runVCard(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cpis-kiosk vcard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.String("user", "", "the card holder's user `id` (see --list)")
	list := fs.Bool("list", false, "list the virtual cards")
	n := fs.Int("reader", 0, "vpcd reader `number`: 0 is \"Virtual PCD 00 00\", 1 is \"Virtual PCD 00 01\"")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *list || *user == "" {
		fmt.Fprintf(stdout, "%-13s %-14s %-9s %s\n", "USER ID", "NAME", "PASSCODE", "ROLES")
		for _, u := range vcard.Users {
			var roles []string
			for _, r := range u.Roles {
				roles = append(roles, fmt.Sprintf("%s at %s (%s)", r.JobRole, r.OrgCode, cpis.JoinCodes(r.Activity)))
			}
			pass := u.Passcode
			if u.Blocked {
				pass += " (card blocked)"
			}
			fmt.Fprintf(stdout, "%-13s %-14s %-9s %s\n", u.ID, u.Name, pass, strings.Join(roles, "; "))
		}
		if *user == "" && !*list {
			return 2
		}
		return 0
	}
	if _, ok := vcard.Find(*user); !ok {
		fmt.Fprintf(stderr, "cpis-kiosk vcard: no virtual card for user %q (see --list)\n", *user)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := logrus.New()
	log.SetOutput(stderr)
	fmt.Fprintf(stdout, "virtual card for %s inserted in vpcd reader %d; Ctrl-C (or SIGTERM) pulls it out\n", *user, *n)
	if err := vcard.Run(ctx, *user, vcard.Addr(*n), log.WithField("component", "vcard")); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "cpis-kiosk vcard: %v\n", err)
		return 1
	}
	return 0
}

// runCard is `cpis-kiosk card readers|watch|login`.
func runCard(p *Program, sub string, stdin io.Reader, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := device.NewReader(device.Options{Reader: p.cfg.Reader, Log: p.log.WithField("component", "device")})
	if err := r.Start(ctx); err != nil {
		return fmt.Errorf("starting the smartcard reader: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		r.Shutdown(sctx)
	}()
	switch sub {
	case "readers":
		settle(ctx, r)
		st := r.Status()
		if !st.ServiceUp {
			return fmt.Errorf("the PC/SC service (pcscd) is not running: start it, then try again")
		}
		if len(st.Readers) == 0 {
			fmt.Fprintln(stdout, "no smartcard reader attached")
			return nil
		}
		for _, rd := range st.Readers {
			card := "no card"
			if rd.CardPresent {
				card = fmt.Sprintf("card in (ATR %X)", rd.ATR)
			}
			fmt.Fprintf(stdout, "%s: %s\n", rd.Name, card)
		}
		return nil
	case "watch":
		fmt.Fprintln(stdout, "watching for smartcard events; Ctrl-C to stop")
		for {
			select {
			case <-ctx.Done():
				return nil
			case ev := <-r.Events():
				fmt.Fprintf(stdout, "%s %s %s\n", ev.At.Format("15:04:05.000"), ev.Kind, ev.Reader)
			}
		}
	case "login":
		l, err := cardLogin(ctx, p, r, stdin)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "signed in: %s (user %s), token valid until %s\n", l.User.Name, l.User.ID, l.Expires.Format("15:04:05"))
		for _, role := range l.User.Roles {
			usable := "usable here"
			if err := cpis.UsableHere(role); err != nil {
				usable = "NOT usable here: " + controller.MessageFor(err).Body
			}
			fmt.Fprintf(stdout, "  role %s: %s at %s %s, codes %s; %s\n", role.ID, role.JobRole, role.OrgName, role.OrgCode, cpis.JoinCodes(role.Activity), usable)
		}
		return nil
	}
	return fmt.Errorf("card: unknown command %q: use readers, watch or login", sub)
}

// settle gives the reader's loop a moment to see what is attached.
func settle(ctx context.Context, r *device.Reader) {
	deadline := time.After(2 * time.Second)
	for {
		if st := r.Status(); st.ServiceUp && len(st.Readers) > 0 {
			for _, rd := range st.Readers {
				if rd.CardPresent {
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// cardLogin reads the passcode from stdin and runs the whole sign-in with
// the card in the reader. The passcode is never printed or logged.
func cardLogin(ctx context.Context, p *Program, r *device.Reader, stdin io.Reader) (login spine.Login, err error) {
	settle(ctx, r)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return login, errors.New("no passcode on standard input: pipe it in, for example: echo 1234 | cpis-kiosk card login")
	}
	pass := strings.TrimSpace(line)
	var user string
	err = r.Do(ctx, func(c *device.Card) error {
		if err := c.Select(); err != nil {
			return err
		}
		var err error
		if user, err = c.UserID(); err != nil {
			return err
		}
		return c.Verify([]byte(pass))
	})
	var auth *device.AuthError
	switch {
	case errors.As(err, &auth):
		return login, fmt.Errorf("wrong passcode: %d tries left before the card locks", auth.Retries)
	case errors.Is(err, device.ErrBlocked):
		return login, errors.New("the card is locked after too many wrong passcodes: the registration authority can unlock it")
	case errors.Is(err, device.ErrNoCard), errors.Is(err, device.ErrNoReader):
		return login, errors.New("no smartcard in the reader: insert the card, then try again")
	case err != nil:
		return login, fmt.Errorf("reading the card: %w", err)
	}
	l, err := cardsession.ProveCard(ctx, r, p.client, user)
	if err != nil {
		return login, err
	}
	p.check.Record(check.Session{User: l.User}, store.Event{Kind: cpis.EventLogin, Result: cpis.ResultDone, Outcome: "card login (command line)"})
	return l, nil
}
