package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/build"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// The accountability commands: `audit verify|export|purge`, `staff
// checks` and `readiness [show]|record|export`. They open the database
// alone (withStore), without the Spine or the sandbox.

func newAuditCmd() *cobra.Command {
	return group("audit", "The hash-chained audit log: verify, export, purge",
		newAuditVerifyCmd(), newAuditExportCmd(), newAuditPurgeCmd())
}

// newAuditVerifyCmd is `cpis-kiosk audit verify`.
func newAuditVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Walk the audit chain; name the first record altered, removed or reordered",
		Long: `Walk the hash-chained audit log and check every record's MAC and the
head. A record altered, removed or reordered is named, and the command
exits 1.`,
		Args: cobra.NoArgs,
		RunE: withStore(func(cmd *cobra.Command, a *accountability.Accountability) error {
			return auditVerify(a.Log, cmd.OutOrStdout())
		}),
	}
}

// newAuditExportCmd is `cpis-kiosk audit export [--from DATE] [--to
// DATE] [--user ID] [--format csv|json] [--out FILE]`, for routine audit
// (guide step 27); the export is itself audited.
func newAuditExportCmd() *cobra.Command {
	var from, to, userID, format, outFile string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "One row per audited event, for routine audit (NHS numbers masked)",
		Args:  cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error {
			if format != "csv" && format != "json" {
				return usageError{fmt.Errorf("--format %q: use csv or json", format)}
			}
			return nil
		},
		RunE: withStore(func(cmd *cobra.Command, a *accountability.Accountability) error {
			f, err := parseRange(from, to, a.Loc)
			if err != nil {
				return usageError{err}
			}
			f.User = userID
			rows, _, err := a.Rows(f)
			if err != nil {
				return err
			}
			// The command line has no more power than the screens: NHS
			// numbers go only to a signed-in lead, from the audit screen.
			for i := range rows {
				rows[i].NHS = accountability.MaskNHS(rows[i].NHS)
			}
			w, where := cmd.OutOrStdout(), "to standard output"
			if outFile != "" {
				file, err := os.OpenFile(outFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
				if err != nil {
					return fmt.Errorf("writing export: %w", err)
				}
				defer file.Close()
				w, where = file, "to "+outFile
			}
			if format == "json" {
				err = accountability.WriteAuditJSON(w, rows)
			} else {
				err = accountability.WriteAuditCSV(w, rows)
			}
			if err != nil {
				return fmt.Errorf("writing export: %w", err)
			}
			a.AuditExported(commandLine(), "", f, len(rows), format+" "+where)
			return nil
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&from, "from", "", "first `DATE` (YYYY-MM-DD), local time; default: the start")
	fs.StringVar(&to, "to", "", "last `DATE` (YYYY-MM-DD), included; default: up to now")
	fs.StringVar(&userID, "user", "", "only this user `ID` (or name)")
	fs.StringVar(&format, "format", "csv", "`FORMAT`: csv or json")
	fs.StringVar(&outFile, "out", "", "write to `FILE` instead of standard output")
	completeWords(cmd, "format", "csv", "json")
	return cmd
}

// newAuditPurgeCmd is `cpis-kiosk audit purge [--before DATE]`.
func newAuditPurgeCmd() *cobra.Command {
	var before string
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Remove records past audit_retention (the purge is audited)",
		Long: `Remove the audit records older than audit_retention, or than an earlier
--before date: records inside the retention period are never purged. The
purge is itself audited, and the chain still verifies. A log that does not
verify is not purged.`,
		Args: cobra.NoArgs,
		RunE: withStore(func(cmd *cobra.Command, a *accountability.Accountability) error {
			cutoff := a.Cfg.AuditRetention.Cutoff(a.Now())
			if before != "" {
				d, err := parseDay(before)
				if err != nil {
					return usageError{fmt.Errorf("--before: %w", err)}
				}
				earlier, _ := accountability.DayRange(d, time.Time{}, a.Loc)
				// --before can only purge less than the retention
				// period allows, never records inside it.
				if cutoff.IsZero() {
					return usageError{fmt.Errorf("--before %s: audit_retention keeps every record, so none is purged", before)}
				}
				if earlier.After(cutoff) {
					return usageError{fmt.Errorf("--before %s: records written since %s are inside audit_retention (%s) and are never purged",
						before, cutoff.In(a.Loc).Format("2006-01-02"), a.Cfg.AuditRetention)}
				}
				cutoff = earlier
			}
			return a.Purge(cutoff, commandLine().User.Name, cmd.OutOrStdout())
		}),
	}
	cmd.Flags().StringVar(&before, "before", "", "purge records before `DATE` (YYYY-MM-DD) instead of the retention period's cutoff")
	return cmd
}

func newStaffCmd() *cobra.Command {
	return group("staff", "Staff who have proven their access", newStaffChecksCmd())
}

// newStaffChecksCmd is `cpis-kiosk staff checks`.
func newStaffChecksCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "checks",
		Short: "Who has proven their access on the two test patients, and who not yet",
		Long: `Who has proven their access by opening the alerts of both of the guide's
test patients (step 19), who not yet, and which activity codes are missing.`,
		Args: cobra.NoArgs,
		RunE: withStore(func(cmd *cobra.Command, a *accountability.Accountability) error {
			return a.PrintStaffChecks(cmd.OutOrStdout())
		}),
	}
}

// newReadinessCmd is `cpis-kiosk readiness`, which shows the page, and
// holds record and export.
func newReadinessCmd() *cobra.Command {
	cmd := newReadinessShowCmd()
	cmd.Use = "readiness"
	cmd.Short = "Go-live readiness from the kiosk's own evidence (guide steps 8 to 26)"
	cmd.Args = subcommandArgs
	cmd.AddCommand(newReadinessShowCmd(), newReadinessRecordCmd(), newReadinessExportCmd())
	return cmd
}

// newReadinessShowCmd is `cpis-kiosk readiness [show]`.
func newReadinessShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Show the readiness page",
		Args:  cobra.NoArgs,
		RunE: withStore(func(cmd *cobra.Command, a *accountability.Accountability) error {
			items, err := a.Readiness()
			if err != nil {
				return err
			}
			accountability.PrintReadiness(cmd.OutOrStdout(), items)
			return nil
		}),
	}
}

// newReadinessRecordCmd is `cpis-kiosk readiness record`, kept to say
// where it went: what people did is recorded on the readiness screen by
// a signed-in lead, whose card says who they are; a name typed at the
// command line proves nothing.
func newReadinessRecordCmd() *cobra.Command {
	return screensOnly("record", "readiness items are recorded on the kiosk's readiness screen by a signed-in lead, "+
		"whose smartcard says who they are (Audit, staff checks and readiness)")
}

// screensOnly is a command that the screens do instead, for a signed-in
// member of staff: it says so and exits non-zero.
func screensOnly(use, where string) *cobra.Command {
	return &cobra.Command{
		Use: use, Hidden: true, DisableFlagParsing: true,
		RunE: func(*cobra.Command, []string) error { return usageError{errors.New(where)} },
	}
}

// newReadinessExportCmd is `cpis-kiosk readiness export [--pdf FILE]
// [--csv FILE]`.
func newReadinessExportCmd() *cobra.Command {
	var pdfFile, csvFile string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the readiness page as PDF, CSV or both",
		Args:  cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error {
			if pdfFile == "" && csvFile == "" {
				return usageError{errors.New("say where: --pdf FILE, --csv FILE, or both")}
			}
			return nil
		},
		RunE: withStore(func(cmd *cobra.Command, a *accountability.Accountability) error {
			items, err := a.Readiness()
			if err != nil {
				return err
			}
			if err := a.WriteReadiness(items, pdfFile, csvFile, "cpis-kiosk "+build.Version); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "readiness: %d of %d items ready; written to %s\n", accountability.Ready(items), len(items),
				strings.Trim(pdfFile+" "+csvFile, " "))
			return nil
		}),
	}
	cmd.Flags().StringVar(&pdfFile, "pdf", "", "write the page as PDF to `FILE`")
	cmd.Flags().StringVar(&csvFile, "csv", "", "write the page as CSV to `FILE`")
	_ = cmd.MarkFlagFilename("pdf", "pdf")
	_ = cmd.MarkFlagFilename("csv", "csv")
	return cmd
}

// commandLine is who acts at the command line: IT, named by the operating
// system's user.
func commandLine() check.Session {
	name := "command line"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name += " (" + u.Username + ")"
	}
	return check.Session{User: cpis.User{Name: name}}
}

// auditVerify walks the chain and prints the result; a break is printed
// and exits non-zero.
func auditVerify(log accountability.AuditLog, out io.Writer) error {
	rep, err := log.Verify()
	var brk *store.Break
	switch {
	case errors.As(err, &brk):
		fmt.Fprintf(out, "audit verify: FAILED after %d intact records: %v\n", rep.Records, brk)
		return errReported
	case errors.Is(err, store.ErrRolledBack):
		fmt.Fprintf(out, "audit verify: FAILED: %d records intact, but %v\n", rep.Records, err)
		return errReported
	case err != nil:
		return err
	}
	const layout = "2006-01-02 15:04:05"
	fmt.Fprintf(out, "audit verify: %d records intact", rep.Records)
	if rep.Records > 0 {
		fmt.Fprintf(out, " (records %d to %d, %s to %s)", rep.First, rep.Last,
			rep.FirstAt.Local().Format(layout), rep.LastAt.Local().Format(layout))
	}
	if rep.Checkpoint > 0 {
		fmt.Fprintf(out, "; records 1 to %d were purged at their retention", rep.Checkpoint)
	}
	rate := ""
	if s := rep.Took.Seconds(); s > 0 && rep.Records > 0 {
		rate = fmt.Sprintf(", %.0f records/s", float64(rep.Records)/s)
	}
	fmt.Fprintf(out, "; chain, MACs and head check out (%s%s)\n", rep.Took.Round(time.Millisecond), rate)
	return nil
}

// parseDay reads YYYY-MM-DD (or DD/MM/YYYY).
func parseDay(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "02/01/2006"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q: write it as YYYY-MM-DD", s)
}

// parseRange is --from and --to as a filter, whole days in loc.
func parseRange(from, to string, loc *time.Location) (accountability.AuditFilter, error) {
	var a, b time.Time
	var err error
	if from != "" {
		if a, err = parseDay(from); err != nil {
			return accountability.AuditFilter{}, fmt.Errorf("--from: %w", err)
		}
	}
	if to != "" {
		if b, err = parseDay(to); err != nil {
			return accountability.AuditFilter{}, fmt.Errorf("--to: %w", err)
		}
	}
	f := accountability.AuditFilter{}
	f.From, f.To = accountability.DayRange(a, b, loc)
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return accountability.AuditFilter{}, errors.New("--from is after --to")
	}
	return f, nil
}
