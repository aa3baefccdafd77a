package app

import (
	"fmt"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/nhs-cpis/kiosk/store"
)

func newDataCmd() *cobra.Command {
	return group("data", "Take a restored or new database on purpose (audited)",
		newDataAcceptCmd(), newDataStartAfreshCmd())
}

// newDataAcceptCmd is `cpis-kiosk data accept --reason TEXT`: after a
// restore that was meant, the database is taken as it is, and the audit
// says who and why.
func newDataAcceptCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "accept --reason TEXT",
		Short: "Take a database restored from a backup, on purpose",
		Long: `After kiosk.db was restored from a backup on purpose, the kiosk refuses it
as a rollback: it is older than the audit head kept beside the key. This
takes it as it is: the audit log records the operating-system user and the
reason, and the head beside the key follows the database from then on.`,
		Args: cobra.NoArgs,
		RunE: withDB(func(cmd *cobra.Command, _ env, db *store.DB) error {
			seq, err := db.Accept(commandLine().User.Name, reason)
			if err != nil {
				return fmt.Errorf("accepting the database: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "data accept: the database is accepted as it is; audit record %d says who and why\n", seq)
			return nil
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (`TEXT`): the incident or change reference")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

// newDataStartAfreshCmd is `cpis-kiosk data start-afresh --reason TEXT`:
// when kiosk.db is gone and cannot be restored, a new one under the same
// key, on purpose.
func newDataStartAfreshCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "start-afresh --reason TEXT",
		Short: "Make a new database when the old one is lost, on purpose",
		Long: `When kiosk.db is missing and no backup can be restored, the kiosk refuses to
start rather than begin again without a word. This makes a new database
under the same key; its first audit record names the operating-system user
and the reason. Whatever the lost database held (checks that waited, review
items) is not in the new one: follow the paper downtime log for them.`,
		Args: cobra.NoArgs,
		RunE: withEnv(func(cmd *cobra.Command, e env) error {
			db, err := openStoreWith(e.cfg, e.log, func(path, keyPath string, log logrus.FieldLogger) (*store.DB, error) {
				return store.OpenAfresh(path, keyPath, log, commandLine().User.Name, reason)
			})
			if err != nil {
				return fmt.Errorf("starting afresh: %w", err)
			}
			if err := db.Close(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "data start-afresh: a new database is ready under the same key; its first audit record says who and why")
			return nil
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (`TEXT`): the incident or change reference")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}
