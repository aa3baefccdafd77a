package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nhs-cpis/kiosk/app/accountability"
	"github.com/nhs-cpis/kiosk/app/build"
	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/app/config"
	"github.com/nhs-cpis/kiosk/app/itstatus"
	"github.com/nhs-cpis/kiosk/app/waiting"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
)

// The accountability commands: `audit verify|export|purge`, `staff
// checks`, `readiness [show]|record|export`, and the drill's record. They
// open the database alone, without the Spine or the sandbox, and like the
// queue commands they need the kiosk stopped (one process holds the
// database); they say so rather than wait.

// errReported is a failure already printed in full on standard output.
var errReported = errors.New("reported")

// withStore runs fn with the database open, for the accountability
// commands. sub is the command's name for messages; args are its flags.
func withStore(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet),
	fn func(a *accountability.Accountability, db *store.DB, fs *flag.FlagSet) error) int {
	fs := flag.NewFlagSet("cpis-kiosk "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, setting, log, closer, ok := setup(c, stderr)
	if !ok {
		return 1
	}
	defer closer.Close()
	db, err := openStore(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "cpis-kiosk %s: %v\n", name, err)
		return 1
	}
	defer db.Close()
	a := accountability.NewAccountability(db, cfg, setting, log.WithField("component", "audit"))
	a.Baseline = itstatus.BaselineEvidence(cfg.DataDir, time.Now)
	if err := fn(a, db, fs); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintf(stderr, "cpis-kiosk %s: %v\n", name, err)
		}
		return 1
	}
	return 0
}

func openStore(cfg config.Config, log logrus.FieldLogger) (*store.DB, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("making data folder: %w", err)
	}
	db, err := accountability.OpenStore(filepath.Join(cfg.DataDir, "kiosk.db"), filepath.Join(cfg.KeyDir, "kiosk.key"), log.WithField("component", "store"))
	if err != nil {
		return nil, fmt.Errorf("opening the kiosk database: %w", err)
	}
	return db, nil
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

// runAudit is `cpis-kiosk audit verify|export|purge`.
func runAudit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "cpis-kiosk audit: say verify, export or purge\n")
		return 2
	}
	switch args[0] {
	case "verify":
		return withStore("audit verify", args[1:], stderr, nil, func(a *accountability.Accountability, db *store.DB, _ *flag.FlagSet) error {
			return auditVerify(db, stdout)
		})
	case "export":
		var from, to, userID, format, outFile string
		return withStore("audit export", args[1:], stderr, func(fs *flag.FlagSet) {
			fs.StringVar(&from, "from", "", "first `DATE` (YYYY-MM-DD), local time; default: the start")
			fs.StringVar(&to, "to", "", "last `DATE` (YYYY-MM-DD), included; default: up to now")
			fs.StringVar(&userID, "user", "", "only this user `ID` (or name)")
			fs.StringVar(&format, "format", "csv", "csv or json")
			fs.StringVar(&outFile, "out", "", "write to `FILE` instead of standard output")
		}, func(a *accountability.Accountability, _ *store.DB, _ *flag.FlagSet) error {
			f, err := parseRange(from, to, a.Loc)
			if err != nil {
				return err
			}
			f.User = userID
			if format != "csv" && format != "json" {
				return fmt.Errorf("--format %q: use csv or json", format)
			}
			rows, _, err := a.Rows(f)
			if err != nil {
				return err
			}
			w, where := stdout, "to standard output"
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
		})
	case "purge":
		var before string
		return withStore("audit purge", args[1:], stderr, func(fs *flag.FlagSet) {
			fs.StringVar(&before, "before", "", "purge records before `DATE` (YYYY-MM-DD) instead of the retention period's cutoff")
		}, func(a *accountability.Accountability, _ *store.DB, _ *flag.FlagSet) error {
			cutoff := a.Cfg.AuditRetention.Cutoff(a.Now())
			if before != "" {
				d, err := parseDay(before)
				if err != nil {
					return err
				}
				cutoff, _ = accountability.DayRange(d, time.Time{}, a.Loc)
			}
			return a.Purge(cutoff, commandLine().User.Name, stdout)
		})
	}
	fmt.Fprintf(stderr, "cpis-kiosk audit: unknown command %q: say verify, export or purge\n", args[0])
	return 2
}

// auditVerify walks the chain and prints the result; a break is printed
// and exits non-zero.
func auditVerify(db *store.DB, out io.Writer) error {
	rep, err := db.Verify()
	var brk *store.Break
	switch {
	case errors.As(err, &brk):
		fmt.Fprintf(out, "audit verify: FAILED after %d intact records: %v\n", rep.Records, brk)
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

// runStaff is `cpis-kiosk staff checks`.
func runStaff(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "checks" {
		fmt.Fprint(stderr, "cpis-kiosk staff: say checks\n")
		return 2
	}
	return withStore("staff checks", args[1:], stderr, nil, func(a *accountability.Accountability, _ *store.DB, _ *flag.FlagSet) error {
		return a.PrintStaffChecks(stdout)
	})
}

// runReadiness is `cpis-kiosk readiness [show] | record ITEM --by NAME
// [--note TEXT] | export [--pdf FILE] [--csv FILE]`.
func runReadiness(args []string, stdout, stderr io.Writer) int {
	sub := "show"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "show":
		return withStore("readiness", args, stderr, nil, func(a *accountability.Accountability, _ *store.DB, _ *flag.FlagSet) error {
			items, err := a.Readiness()
			if err != nil {
				return err
			}
			accountability.PrintReadiness(stdout, items)
			return nil
		})
	case "record":
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			fmt.Fprintf(stderr, "cpis-kiosk readiness record: name the item: %s\n", strings.Join(accountability.ReadinessItemIDs(), ", "))
			return 2
		}
		item := args[0]
		var by, note string
		return withStore("readiness record", args[1:], stderr, func(fs *flag.FlagSet) {
			fs.StringVar(&by, "by", "", "who did it (`NAME`, role)")
			fs.StringVar(&note, "note", "", "a short note (`TEXT`): the date of the call, the document's reference")
		}, func(a *accountability.Accountability, _ *store.DB, _ *flag.FlagSet) error {
			if err := a.RecordReadiness(item, by, note, commandLine()); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "readiness: %s recorded by %s\n", item, by)
			return nil
		})
	case "export":
		var pdfFile, csvFile string
		return withStore("readiness export", args, stderr, func(fs *flag.FlagSet) {
			fs.StringVar(&pdfFile, "pdf", "", "write the page as PDF to `FILE`")
			fs.StringVar(&csvFile, "csv", "", "write the page as CSV to `FILE`")
		}, func(a *accountability.Accountability, _ *store.DB, _ *flag.FlagSet) error {
			if pdfFile == "" && csvFile == "" {
				return errors.New("say where: --pdf FILE, --csv FILE, or both")
			}
			items, err := a.Readiness()
			if err != nil {
				return err
			}
			if err := a.WriteReadiness(items, pdfFile, csvFile, "cpis-kiosk "+build.Version); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "readiness: %d of %d items ready; written to %s\n", accountability.Ready(items), len(items),
				strings.Trim(pdfFile+" "+csvFile, " "))
			return nil
		})
	}
	fmt.Fprintf(stderr, "cpis-kiosk readiness: unknown command %q: say show, record or export\n", sub)
	return 2
}

// runDrillRecorded is `cpis-kiosk drill downtime`: the drill itself
// (offlinecli.go) runs in an isolated folder; its result then goes in the
// real data folder's audit, as go-live evidence (guide steps 15, 21). The
// database is opened first, so a running kiosk stops it before the drill
// takes a minute for nothing.
func runDrillRecorded(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "downtime" {
		return runDrill(args, stdout, stderr)
	}
	var patients int
	var kill bool
	return withStore("drill downtime", args[1:], stderr, func(fs *flag.FlagSet) { drillOptions(fs, &patients, &kill) }, func(a *accountability.Accountability, _ *store.DB, _ *flag.FlagSet) error {
		res, derr := drillDowntime(patients, kill, stdout, stderr)
		e := store.Event{At: a.Now(), Kind: cpis.EventDrill, UserName: commandLine().User.Name,
			Setting: string(a.Setting), Drill: &res, Result: cpis.ResultPassed, Outcome: drillWords(res)}
		if derr != nil {
			e.Result, e.Outcome = cpis.ResultFailed, "failed: "+e.Outcome
			fmt.Fprintf(stderr, "cpis-kiosk drill: %v\n", derr)
		} else {
			e.Outcome = "passed: " + e.Outcome
		}
		seq, err := a.Log.Append(e)
		if err != nil {
			return fmt.Errorf("recording the drill's result: %w", err)
		}
		fmt.Fprintf(stdout, "drill result recorded in the kiosk's audit (record %d)\n", seq)
		if derr != nil {
			return errReported
		}
		return nil
	})
}

// drillWords is a drill's result in words, for the audit's readers.
func drillWords(r store.DrillResult) string {
	killed := ""
	if r.Killed {
		killed = ", replay killed"
	}
	return fmt.Sprintf("%s (%d patients%s, %s)", waiting.DrillSummary(r), r.Patients, killed, r.Took)
}
