package app

import (
	"fmt"

	"github.com/spf13/cobra"
)

// The kiosk as a managed service: `service install|uninstall|start|stop|
// status [--name NAME]` (service.go has the how).

func newServiceCmd() *cobra.Command {
	cmd := group("service", "The kiosk as a managed service (systemd user unit, or System V)",
		newServiceInstallCmd(),
		newServiceActionCmd("uninstall", "Stop the service and remove it, leaving nothing behind"),
		newServiceActionCmd("start", "Start the service"),
		newServiceActionCmd("stop", "Stop the service"),
		newServiceActionCmd("status", "Say whether the service is installed, running or stopped"),
	)
	cmd.Long = `The kiosk as a managed service (kardianos/service): a systemd user unit in
the kiosk user's session, or System V init where there is no systemd. On
Windows the window starts at logon instead: see packaging/README.md.`
	cmd.PersistentFlags().String("name", DefaultServiceName, "the service's `NAME`")
	return cmd
}

// newServiceInstallCmd is `cpis-kiosk service install [--name NAME]
// [--config FILE] [--display DISPLAY]`.
func newServiceInstallCmd() *cobra.Command {
	var display string
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install the service, to run the kiosk window with --config FILE",
		Long: `Install the service. Under systemd it is a user unit,
~/.config/systemd/user/NAME.service, running the kiosk with --config FILE
(default %h/.config/cpis-kiosk/kiosk.toml; the unit waits for it). Under
System V (as root) it is /etc/init.d/NAME with its rc links, and the kiosk
runs as root on --display, with CPIS_DATA_DIR as set now.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The root's --config, but only as given here: the service
			// runs with the configuration named at install, not with
			// whatever CPIS_CONFIG says in this shell.
			config := ""
			if cmd.Flags().Changed("config") {
				config, _ = cmd.Flags().GetString("config")
			}
			o := serviceOptions{}
			o.Args, o.Env = installArgs(config, display)
			return serviceAction(cmd, "install", o)
		},
	}
	cmd.Flags().StringVar(&display, "display", ":0", "System V only: the X `DISPLAY` the kiosk draws on")
	return cmd
}

// newServiceActionCmd is `cpis-kiosk service ACTION [--name NAME]` for the
// actions that take nothing else.
func newServiceActionCmd(action, short string) *cobra.Command {
	return &cobra.Command{
		Use:   action,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serviceAction(cmd, action, serviceOptions{})
		},
	}
}

// serviceAction does one action on the service named by --name and says
// what it did.
func serviceAction(cmd *cobra.Command, action string, o serviceOptions) error {
	o.Name, _ = cmd.Flags().GetString("name")
	out, err := controlService(action, o)
	if out != "" {
		fmt.Fprintln(cmd.OutOrStdout(), out)
	}
	return err
}
