package main

import (
	"context"
	"fmt"

	"github.com/postdesk/postdesk/tickets"
)

// initCmd stores the installation's mail domain: postdesk init --domain D [--force]. Every
// command after uses it; serve stores the one it is first given as well.
func initCmd(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("init")
	force := fs.Bool("force", false, "replace a different domain already stored (addresses handed out under the old one stop reaching postdesk)")
	cfg, rest, err := c.load(fs, args, "domain")
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	if cfg.Domain == tickets.UnsetDomain {
		return fmt.Errorf("%w: --domain is required: the domain of the forwarding addresses, e.g. desk.example.com", errUsage)
	}
	d, s, err := c.openStore(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	stored, err := s.MailDomain(ctx)
	if err != nil {
		return err
	}
	if stored != "" && stored != cfg.Domain && !*force {
		return fmt.Errorf("%w: this database's mail domain is %s; every forwarding and reply address handed out names it. Give --force to replace it with %s", errUsage, stored, cfg.Domain)
	}
	if err := s.SetMailDomain(ctx, cfg.Domain); err != nil {
		return err
	}
	switch {
	case stored == cfg.Domain:
		fmt.Fprintf(c.stdout, "mail domain: %s (unchanged)\n", cfg.Domain)
	case stored != "":
		fmt.Fprintf(c.stdout, "mail domain: %s (was %s: mail to addresses under %s no longer reaches postdesk; replies to old mail carry them); restart every postdesk serve\n", cfg.Domain, stored, stored)
	default:
		fmt.Fprintf(c.stdout, "mail domain: %s\n", cfg.Domain)
	}
	return nil
}
