package app

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nhs-cpis/kiosk/app/itstatus"
)

// newStatusCmd is `cpis-kiosk status [--json] [--bundle FILE.zip]`: what
// the IT status screen shows. It exits 1 when any line is red, 0 otherwise
// (amber included), and 2 on a usage error.
func newStatusCmd() *cobra.Command {
	var asJSON bool
	var bundle string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "What the IT status screen shows; exit 1 when anything is red",
		Long: `What the IT status screen shows, line by line with a next step: readers
and card, PC/SC, the identity software, the environment baseline, the
Spine, certificates, clock, queue, disk and logs. It exits 1 when any line
is red, 0 otherwise (amber included), 2 on a usage error. Beside a running
kiosk it reads the kiosk's status.json instead of the database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The status is the output: the probes' own log lines (a
			// sandbox started, readers found) go to the log file, and to
			// the terminal only when asked for with --log-level.
			if !cmd.Flags().Changed("log-level") {
				_ = cmd.Flags().Set("log-level", "warn")
			}
			e, err := setup(cmd)
			if err != nil {
				return err
			}
			defer e.Close()
			st, err := itstatus.Command(cmd.Context(), e.cfg, e.log)
			if err != nil {
				return err
			}
			var failed error
			if st.Overall == itstatus.StateRed {
				failed = errReported
			}
			if bundle != "" {
				if err := itstatus.WriteBundle(bundle, st, e.cfg); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", cmd.CommandPath(), err)
					failed = errReported
				} else {
					abs, _ := filepath.Abs(bundle)
					fmt.Fprintf(cmd.ErrOrStderr(), "diagnostics bundle written to %s\n", abs)
				}
			}
			if asJSON {
				if err := st.WriteJSON(cmd.OutOrStdout()); err != nil {
					return err
				}
				return failed
			}
			st.WriteText(cmd.OutOrStdout())
			return failed
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON (keys documented in packaging/README.md)")
	cmd.Flags().StringVar(&bundle, "bundle", "", "also write a diagnostics bundle to `FILE.zip`")
	_ = cmd.MarkFlagFilename("bundle", "zip")
	return cmd
}
