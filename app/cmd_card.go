package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/nhs-cpis/kiosk/app/cardsession"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/controller"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/device/vcard"
	"github.com/nhs-cpis/kiosk/spine/cis2"
	"github.com/nhs-cpis/kiosk/store"
)

// The smartcard commands: `card readers|watch|login` on the real reader,
// and `vcard`, a virtual card in vsmartcard's vpcd reader.

func newCardCmd() *cobra.Command {
	return group("card", "The smartcard reader: list, watch events, sign in",
		newCardReadersCmd(), newCardWatchCmd(), newCardLoginCmd())
}

// newCardReadersCmd is `cpis-kiosk card readers`.
func newCardReadersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "readers",
		Short: "The smartcard readers and whether a card is in each",
		Args:  cobra.NoArgs,
		RunE: withReader(func(cmd *cobra.Command, _ *Program, r *device.Reader) error {
			settle(cmd.Context(), r)
			st := r.Status()
			if !st.ServiceUp {
				return errors.New("the PC/SC service (pcscd) is not running: start it, then try again")
			}
			out := cmd.OutOrStdout()
			if len(st.Readers) == 0 {
				fmt.Fprintln(out, "no smartcard reader attached")
				return nil
			}
			for _, rd := range st.Readers {
				card := "no card"
				if rd.CardPresent {
					card = fmt.Sprintf("card in (ATR %X)", rd.ATR)
				}
				fmt.Fprintf(out, "%s: %s\n", rd.Name, card)
			}
			return nil
		}),
	}
}

// newCardWatchCmd is `cpis-kiosk card watch`.
func newCardWatchCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "watch",
		Short: "Print card and reader events until Ctrl-C",
		Long: `Print card and reader events (insert, remove, hot-plug, PC/SC service
down and up) until Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: withReader(func(cmd *cobra.Command, _ *Program, r *device.Reader) error {
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, "watching for smartcard events; Ctrl-C to stop")
			for {
				select {
				case <-cmd.Context().Done():
					return nil
				case ev := <-r.Events():
					fmt.Fprintf(out, "%s %s %s\n", ev.At.Format("15:04:05.000"), ev.Kind, ev.Reader)
				}
			}
		}),
	}
}

// newCardLoginCmd is `cpis-kiosk card login`, the passcode on standard
// input.
func newCardLoginCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "login",
		Short: "The whole sign-in with the card in the reader, through NHS CIS2",
		Long: `The whole sign-in with the card in the reader, through NHS CIS2 and the
API platform's token exchange: the user, and each role with its
organisation and activity codes.

With a real Spine the system browser opens at CIS2, where the NHS
authenticator asks for the passcode. With the embedded sandbox the
passcode is read from standard input (never printed) and verified by the
card; on a wrong one the command exits 1 with the tries left.`,
		Example: "  echo PASSCODE | cpis-kiosk card login",
		Args:    cobra.NoArgs,
		RunE: withReader(func(cmd *cobra.Command, p *Program, r *device.Reader) error {
			who, a, err := cardLogin(cmd.Context(), p, r, cmd.InOrStdin())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			valid := "no API token: no role is usable here"
			if a.Token != "" {
				valid = "API token valid until " + a.Expires.Format("15:04:05")
			}
			fmt.Fprintf(out, "signed in: %s (user %s), %s\n", who.User.Name, who.User.ID, valid)
			for _, role := range who.User.Roles {
				usable := "usable here"
				if err := cpis.UsableHere(role); err != nil {
					usable = "NOT usable here: " + controller.MessageFor(err).Body
				}
				fmt.Fprintf(out, "  role %s: %s at %s %s, codes %s; %s\n", role.ID, role.JobRole, role.OrgName, role.OrgCode, cpis.JoinCodes(role.Activity), usable)
			}
			return nil
		}),
	}
}

// withReader is a command's run: fn with the kiosk's parts open and the
// smartcard reader started.
func withReader(fn func(*cobra.Command, *Program, *device.Reader) error) runE {
	return withProgram(func(cmd *cobra.Command, p *Program) error {
		return p.withReader(cmd.Context(), func(r *device.Reader) error { return fn(cmd, p, r) })
	})
}

// withReader starts the smartcard reader, runs fn, and stops the reader.
func (p *Program) withReader(ctx context.Context, fn func(*device.Reader) error) error {
	r := device.NewReader(device.Options{Reader: p.cfg.Reader, Log: p.log.WithField("component", "device")})
	if err := r.Start(ctx); err != nil {
		return fmt.Errorf("starting the smartcard reader: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		r.Shutdown(sctx)
	}()
	return fn(r)
}

// newVCardCmd is `cpis-kiosk vcard --user ID [--reader N] | --list`.
func newVCardCmd() *cobra.Command {
	var user string
	var list bool
	var n int
	cmd := &cobra.Command{
		Use:   "vcard --user ID [--reader N] | --list",
		Short: "A virtual smartcard in vsmartcard's vpcd reader",
		Long: `A virtual smartcard in vsmartcard's vpcd reader N (0 is "Virtual PCD 00
00"): the card is in while the command runs; Ctrl-C (or SIGTERM) pulls it
out. --list shows the virtual cards, their passcodes and roles.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if list || user == "" {
				printVCards(cmd.OutOrStdout())
				if !list {
					return usageError{errors.New("say --user ID, or --list")}
				}
				return nil
			}
			if _, ok := vcard.Find(user); !ok {
				return fmt.Errorf("no virtual card for user %q (see --list)", user)
			}
			log := logrus.New()
			log.SetOutput(cmd.ErrOrStderr())
			fmt.Fprintf(cmd.OutOrStdout(), "virtual card for %s inserted in vpcd reader %d; Ctrl-C (or SIGTERM) pulls it out\n", user, n)
			if err := vcard.Run(cmd.Context(), user, vcard.Addr(n), log.WithField("component", "vcard")); err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the card holder's user `ID` (see --list)")
	cmd.Flags().BoolVar(&list, "list", false, "list the virtual cards")
	cmd.Flags().IntVar(&n, "reader", 0, "vpcd reader `N`: 0 is \"Virtual PCD 00 00\", 1 is \"Virtual PCD 00 01\"")
	var ids []string
	for _, u := range vcard.Users {
		ids = append(ids, u.ID)
	}
	completeWords(cmd, "user", ids...)
	return cmd
}

// printVCards is the table of virtual cards.
func printVCards(out io.Writer) {
	fmt.Fprintf(out, "%-13s %-14s %-9s %s\n", "USER ID", "NAME", "PASSCODE", "ROLES")
	for _, u := range vcard.Users {
		var roles []string
		for _, r := range u.Roles {
			roles = append(roles, fmt.Sprintf("%s at %s (%s)", r.JobRole, r.OrgCode, cpis.JoinCodes(r.Activity)))
		}
		pass := u.Passcode
		if u.Blocked {
			pass += " (card blocked)"
		}
		fmt.Fprintf(out, "%-13s %-14s %-9s %s\n", u.ID, u.Name, pass, strings.Join(roles, "; "))
	}
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

// cardLogin runs the whole sign-in with the card in the reader: with the
// sandbox, the passcode from stdin verified by the card and the sandbox's
// authenticator; with a real CIS2, the system browser. The passcode is
// never printed or logged.
func cardLogin(ctx context.Context, p *Program, r *device.Reader, stdin io.Reader) (cis2.Identity, cis2.Access, error) {
	id, err := p.identity()
	if err != nil {
		return cis2.Identity{}, cis2.Access{}, err
	}
	settle(ctx, r)
	var ua cis2.UserAgent = cis2.SystemBrowser{}
	if p.sandbox != nil {
		if ua, err = verifyCard(ctx, p, r, stdin); err != nil {
			return cis2.Identity{}, cis2.Access{}, err
		}
	}
	who, err := id.Authenticate(ctx, ua, cis2.AuthOptions{})
	if err != nil {
		return who, cis2.Access{}, fmt.Errorf("signing in: %w", err)
	}
	if !slices.ContainsFunc(who.User.Roles, func(r cpis.Role) bool { return cpis.UsableHere(r) == nil }) {
		return who, cis2.Access{}, nil
	}
	a, err := id.Exchange(ctx, who)
	if err != nil {
		return who, a, fmt.Errorf("signing in: %w", err)
	}
	p.check.Record(check.Session{User: who.User}, store.Event{Kind: cpis.EventLogin, Result: cpis.ResultDone, Outcome: "card login at the " + commandLine().User.Name})
	return who, a, nil
}

// verifyCard reads the passcode from stdin and has the card verify it,
// for the sandbox's authenticator.
func verifyCard(ctx context.Context, p *Program, r *device.Reader, stdin io.Reader) (cis2.UserAgent, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return nil, errors.New("no passcode on standard input: pipe it in, for example: echo 1234 | cpis-kiosk card login")
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
		return nil, fmt.Errorf("wrong passcode: %d tries left before the card locks", auth.Retries)
	case errors.Is(err, device.ErrBlocked):
		return nil, errors.New("the card is locked after too many wrong passcodes: the registration authority can unlock it")
	case errors.Is(err, device.ErrNoCard), errors.Is(err, device.ErrNoReader):
		return nil, errors.New("no smartcard in the reader: insert the card, then try again")
	case err != nil:
		return nil, fmt.Errorf("reading the card: %w", err)
	}
	return cardsession.NewCardAgent(p.https, r, "", user), nil
}
