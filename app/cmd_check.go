package app

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nhs-cpis/kiosk/device/vcard"
	"github.com/nhs-cpis/kiosk/spine/sandbox"
)

// The check end to end, headless (`selftest`), and the Spine sandbox it
// runs against by default (`sandbox`).

// newSelftestCmd is `cpis-kiosk selftest [--card [--role ID]] [--repeat
// N]`.
func newSelftestCmd() *cobra.Command {
	var o selftestOptions
	cmd := &cobra.Command{
		Use:   "selftest",
		Short: "Trace both test patients, open their alerts, check the notifications",
		Long: `Headless: trace both of the guide's test patients (9990276579,
9990275831), check the flag silently, open each alert, print the plan
type, local authority and number of history rows, and check that the
sandbox recorded exactly one notification per opened alert. It exits 1 on
any failure.

Without --card it signs in the embedded sandbox's demo user; with --card,
the person whose card is in the reader (passcode on standard input), which
is how staff and IT prove their own access (guide step 19).`,
		Example: "  cpis-kiosk selftest --repeat 1000\n  echo PASSCODE | cpis-kiosk selftest --card",
		Args:    cobra.NoArgs,
		RunE: withProgram(func(cmd *cobra.Command, p *Program) error {
			o.stdin = cmd.InOrStdin()
			return p.selftest(cmd.Context(), cmd.OutOrStdout(), o)
		}),
	}
	cmd.Flags().IntVar(&o.repeat, "repeat", 0, "after the check, repeat it `N` times and print timings and memory")
	cmd.Flags().BoolVar(&o.card, "card", false, "sign in with the smartcard in the reader (passcode on standard input)")
	cmd.Flags().StringVar(&o.role, "role", "", "with --card, the role `ID` to use (default: the first usable)")
	return cmd
}

// newSandboxCmd is `cpis-kiosk sandbox [--addr HOST:PORT] [--state
// DIR]`: the Spine sandbox alone, until Ctrl-C or SIGTERM.
func newSandboxCmd() *cobra.Command {
	var addr, state string
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the Spine sandbox alone",
		Long: `Run the Spine sandbox alone, over HTTPS with a CA of its own, until
Ctrl-C or SIGTERM; it prints its base URLs and the CA file to trust.`,
		Args: cobra.NoArgs,
		RunE: withEnv(func(cmd *cobra.Command, e env) error {
			if state == "" {
				state = e.cfg.DataDir + "/sandbox"
			}
			s, err := sandbox.New(sandbox.Options{StateDir: state, Log: e.log.WithField("component", "sandbox")})
			if err == nil {
				err = s.Start(addr)
			}
			if err != nil {
				return fmt.Errorf("starting the sandbox: %w", err)
			}
			defer s.Close()
			vcard.Register(s)
			pds, cp := s.Bases()
			fmt.Fprintf(cmd.OutOrStdout(), "Spine sandbox listening.\n  PDS:          %s\n  CP-IS:        %s\n  CIS2 issuer:  %s\n  Token:        %s\n  CA:           %s\nPress Ctrl-C to stop.\n",
				pds, cp, s.Issuer(), s.PlatformTokenURL(), s.CAFile())
			<-cmd.Context().Done()
			return nil
		}),
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8443", "`HOST:PORT` to listen on (loopback only)")
	cmd.Flags().StringVar(&state, "state", "", "state `DIR` for the CA and certificates (default: <data>/sandbox)")
	_ = cmd.MarkFlagDirname("state")
	return cmd
}
