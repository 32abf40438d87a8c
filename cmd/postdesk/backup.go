package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/postdesk/postdesk/db"
)

// pgBackup is what to do on PostgreSQL, where postdesk does not copy the database itself.
const pgBackup = `on PostgreSQL, back up with pg_dump and restore with pg_restore:
    pg_dump --format=custom --file=postdesk.dump "$POSTDESK_DB"
    pg_restore --clean --if-exists --no-owner --dbname="$POSTDESK_DB" postdesk.dump
The dump holds the settings table, whose server_secret signs every reply address and seals every
mailbox password: keep the dump as secret as the database, and restore it whole (a database
without its secret breaks every reply address already sent). keep the configuration file with it`

// backup writes a consistent copy of the SQLite database while serve runs.
func backup(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("backup")
	out := fs.String("out", "", "the file to write the copy to; it must not exist (required)")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	if db.IsPostgres(cfg.DB) {
		return errors.New(pgBackup)
	}
	if *out == "" {
		return fmt.Errorf("%w: --out FILE is required", errUsage)
	}
	d, err := db.OpenExisting(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer d.Close()
	v, err := d.Backup(ctx, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "backed up %s to %s (schema version %d)\n", cfg.DB, *out, v)
	fmt.Fprintln(c.stderr, "The copy holds the server secret (reply addresses, mailbox passwords): keep it as secret as the database.")
	return nil
}

// restore puts a backup in place of the database; postdesk must not be running on it.
func restore(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("restore")
	from := fs.String("from", "", "the backup file, written by 'postdesk backup' (required)")
	force := fs.Bool("force", false, "replace an existing database (stop postdesk first)")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	if db.IsPostgres(cfg.DB) {
		return errors.New(pgBackup)
	}
	if *from == "" {
		return fmt.Errorf("%w: --from FILE is required", errUsage)
	}
	// A serve running on the database holds its lock: replacing the file under it would lose what
	// it has in its WAL and leave it writing to a deleted file.
	unlock, err := sqliteLock(cfg.DB)
	if err != nil {
		return err
	}
	defer unlock()
	v, err := db.Restore(ctx, *from, cfg.DB, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "restored %s to %s (schema version %d); start postdesk serve on it\n", *from, cfg.DB, v)
	return nil
}
