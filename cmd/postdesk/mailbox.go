package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/imapfetch"
	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/mailer/oauth"
	"github.com/postdesk/postdesk/tickets"
)

// mailboxCmd manages the support mailboxes postdesk polls over IMAP, for admins who cannot point
// their MX at postdesk.
func mailboxCmd(ctx context.Context, c *cli, args []string) error {
	return sub(ctx, c, "mailbox", args, map[string]func(context.Context, *cli, []string) error{
		"add":    mailboxAdd,
		"remove": func(ctx context.Context, c *cli, args []string) error { return mailboxChange(ctx, c, args, "remove") },
		"pause":  func(ctx context.Context, c *cli, args []string) error { return mailboxChange(ctx, c, args, "pause") },
		"resume": func(ctx context.Context, c *cli, args []string) error { return mailboxChange(ctx, c, args, "resume") },
		"list":   func(ctx context.Context, c *cli, args []string) error { return mailboxShow(ctx, c, args, "list") },
		"status": func(ctx context.Context, c *cli, args []string) error { return mailboxShow(ctx, c, args, "status") },
		"signin": mailboxSignIn,
	})
}

// newMailboxPollers wires the IMAP pollers to the intake pipeline — the path SMTP mail takes
// (intake uses the property's forwarding address as the recipient). serve runs the result beside
// its servers (openMailboxOAuth opens boxes and sources).
func newMailboxPollers(boxes *mailbox.Store, sources *oauth.Sources, store *tickets.Store, r inbound.Receiver, log *slog.Logger) *imapfetch.Pollers {
	return imapfetch.NewPollers(boxes, r, store, log, pollerTokens(sources))
}

// openMailboxes opens the database, the ticket store and the mailbox store (whose passwords are
// sealed under the server secret).
func openMailboxes(ctx context.Context, c *cli, cfg *config.Config) (*db.DB, *tickets.Store, *mailbox.Store, error) {
	d, s, err := c.open(ctx, cfg, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	secret, err := s.Secret(ctx)
	if err != nil {
		d.Close()
		return nil, nil, nil, err
	}
	boxes, err := mailbox.Open(ctx, d, secret)
	if err != nil {
		d.Close()
		return nil, nil, nil, err
	}
	return d, s, boxes, nil
}

func mailboxAdd(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("mailbox add")
	prop := fs.String("property", "", "property slug (required)")
	provider := fs.String("provider", "", "sign in with OAuth2 instead of a password: microsoft or google (the host defaults to the provider's)")
	listen := fs.String("listen", "", "with --provider google: the loopback address of the redirect (default 127.0.0.1, any free port)")
	host := fs.String("host", "", "IMAP server, e.g. imap.gmail.com, outlook.office365.com (required without --provider)")
	port := fs.Int("port", 0, "IMAP port (default: 993 with --tls implicit, else 143)")
	tlsMode := fs.String("tls", mailbox.TLSImplicit, "implicit (IMAPS), starttls or none")
	user := fs.String("user", "", "login name (required); with --provider microsoft, 'ACCOUNT\\SHARED' opens a shared mailbox as ACCOUNT")
	pwEnv := fs.String("password-env", "", "environment variable that holds the password (or an app password)")
	pwFile := fs.String("password-file", "", "file whose first line is the password")
	folder := fs.String("folder", "INBOX", "folder to import from")
	after := fs.String("after", mailbox.AfterSeen, "once a message is a ticket: seen, move:FOLDER (created when missing) or delete")
	since := fs.String("since", "", "also import the mail already there, received on or after this date (2006-01-02); default: only mail arriving from now on")
	check := fs.Bool("check", true, "connect and log in before saving the mailbox")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	if *provider != "" {
		if *pwEnv != "" || *pwFile != "" || *user == "" {
			return fmt.Errorf("%w: with --provider, --user and no password", errUsage)
		}
		n := mailbox.New{Host: *host, Port: *port, TLS: *tlsMode, Folder: *folder, After: *after}
		if *host == "" && *port != 0 {
			return fmt.Errorf("%w: --port goes with --host", errUsage)
		}
		if *since != "" {
			t, err := time.Parse(time.DateOnly, *since)
			if err != nil {
				return fmt.Errorf("%w: --since %q: use a date like 2006-01-02", errUsage, *since)
			}
			n.Since = &t
		}
		return c.mailboxAddOAuth(ctx, cfg, oauthMailbox{provider: *provider, user: *user, listen: *listen, n: n, prop: *prop, check: *check})
	}
	if *host == "" || *user == "" {
		return fmt.Errorf("%w: --host and --user are required", errUsage)
	}
	password, err := c.mailboxPassword(*pwEnv, *pwFile)
	if err != nil {
		return err
	}
	n := mailbox.New{Host: *host, Port: *port, TLS: *tlsMode, Username: *user, Password: password, Folder: *folder, After: *after}
	if *since != "" {
		t, err := time.Parse(time.DateOnly, *since)
		if err != nil {
			return fmt.Errorf("%w: --since %q: use a date like 2006-01-02", errUsage, *since)
		}
		n.Since = &t
	}
	if err := n.Normalise(); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	d, s, boxes, err := openMailboxes(ctx, c, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	p, err := propertyArg(ctx, s, *prop)
	if err != nil {
		return err
	}
	n.PropertyID = p.ID
	m, info, err := imapfetch.AddMailbox(ctx, boxes, n, imapfetch.AddOptions{Check: *check})
	if ce := (*imapfetch.CheckError)(nil); errors.As(err, &ce) {
		return fmt.Errorf("cannot use the mailbox (nothing saved; --check=false saves it anyway): %w", ce.Err)
	}
	if err != nil {
		return err
	}
	importing := "mail arriving from now on"
	if m.Since != nil {
		importing = "mail received since " + m.Since.Format(time.DateOnly) + ", then all new mail"
	}
	fmt.Fprintf(c.stdout, "mailbox %d of %s: %s (TLS %s); imports %s; after import: %s\n", m.ID, p.Slug, m, m.TLS, importing, m.AfterAction)
	if *check {
		push := "polled every minute (the server has no IDLE)"
		if info.Idle {
			push = "new mail is pushed (IDLE)"
		}
		fmt.Fprintf(c.stdout, "checked: %d messages in %s; %s\n", info.Messages, m.Folder, push)
	}
	fmt.Fprintln(c.stdout, "a running 'postdesk serve' picks it up within 30 seconds; see 'postdesk mailbox status'")
	return nil
}

// mailboxPassword reads the password from exactly one of an environment variable or a file: never
// from a flag, which would show in the process list and the shell history.
func (c *cli) mailboxPassword(env, file string) (string, error) {
	switch {
	case (env == "") == (file == ""):
		return "", fmt.Errorf("%w: give the password with one of --password-env VAR or --password-file FILE", errUsage)
	case env != "":
		pw := c.env(env)
		if pw == "" {
			return "", fmt.Errorf("%w: environment variable %s is empty", errUsage, env)
		}
		return pw, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	if pw = strings.TrimRight(pw, "\r"); pw == "" {
		return "", fmt.Errorf("%w: password file %s is empty", errUsage, file)
	}
	return pw, nil
}

// mailboxRow is a mailbox as listings show it: never its password.
type mailboxRow struct {
	ID        int64      `json:"id"`
	Property  string     `json:"property"`
	Host      string     `json:"host"`
	Port      int        `json:"port"`
	TLS       string     `json:"tls"`
	Username  string     `json:"username"`
	Auth      string     `json:"auth"` // "password", or "microsoft as ACCOUNT" / "google as ACCOUNT"
	Folder    string     `json:"folder"`
	After     string     `json:"after"`
	Since     *time.Time `json:"since"`
	CreatedAt time.Time  `json:"created_at"`
}

// statusRow adds how the import is going.
type statusRow struct {
	mailboxRow
	UIDValidity int64      `json:"uidvalidity"`
	LastUID     int64      `json:"last_uid"`
	Imported    int64      `json:"imported"`
	Backlog     *int64     `json:"backlog"`
	LastPollAt  *time.Time `json:"last_poll_at"`
	LastError   string     `json:"last_error"`
	NeedsSignIn bool       `json:"needs_signin"` // stopped until 'postdesk mailbox signin ID'
	Paused      bool       `json:"paused"`       // 'mailbox pause': nobody polls it until 'mailbox resume'
	PolledBy    string     `json:"polled_by"`    // the instance holding the lease, "" when none
	LeaseUntil  *time.Time `json:"lease_until"`
}

func mailboxShow(ctx context.Context, c *cli, args []string, verb string) error {
	fs := c.flags("mailbox " + verb)
	prop := fs.String("property", "", "only this property's mailboxes")
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	d, s, boxes, err := openMailboxes(ctx, c, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	var propertyID int64
	if *prop != "" {
		p, err := propertyArg(ctx, s, *prop)
		if err != nil {
			return err
		}
		propertyID = p.ID
	}
	ms, err := boxes.List(ctx, propertyID)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	rows := []statusRow{}
	for _, m := range ms {
		r := statusRow{
			mailboxRow: mailboxRow{ID: m.ID, Property: m.Property, Host: m.Host, Port: m.Port, TLS: m.TLS, Username: m.Username,
				Folder: m.Folder, After: m.AfterAction, Since: m.Since, CreatedAt: m.CreatedAt},
			UIDValidity: m.UIDValidity, LastUID: m.LastUID, Imported: m.Imported, Backlog: m.Backlog,
			LastPollAt: m.LastPollAt, LastError: m.LastError, NeedsSignIn: m.SignInNeededAt != nil,
		}
		r.Auth = "password"
		if m.OAuth() {
			r.Auth = m.OAuthProvider + " as " + m.OAuthUser
		}
		if r.Paused = m.Paused; !m.Paused && m.LeaseUntil != nil && m.LeaseUntil.After(now) {
			r.PolledBy, r.LeaseUntil = m.LeaseOwner, m.LeaseUntil
		}
		rows = append(rows, r)
	}
	if verb == "list" {
		return printMailboxList(c, rows, *asJSON)
	}
	if *asJSON {
		return writeJSON(c, rows)
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tPROPERTY\tACCOUNT\tPOLLED BY\tLAST POLL\tIMPORTED\tBACKLOG\tLAST ERROR")
	for _, r := range rows {
		by, last, backlog := r.PolledBy, "never", "?"
		switch {
		case r.Paused:
			by = "nobody: paused ('postdesk mailbox resume')"
		case by == "":
			by = "nobody (is 'postdesk serve' running?)"
		}
		if r.LastPollAt != nil {
			last = now.Sub(*r.LastPollAt).Round(time.Second).String() + " ago"
		}
		if r.Backlog != nil {
			backlog = fmt.Sprint(*r.Backlog)
		}
		lastErr := r.LastError
		if r.NeedsSignIn {
			by = "nobody: needs sign-in again"
			lastErr = fmt.Sprintf("needs sign-in again: run 'postdesk mailbox signin %d' (%s)", r.ID, r.LastError)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Property, account(r.mailboxRow), by, last, r.Imported, backlog, lastErr)
	}
	return w.Flush()
}

func printMailboxList(c *cli, rows []statusRow, asJSON bool) error {
	if asJSON {
		list := []mailboxRow{}
		for _, r := range rows {
			list = append(list, r.mailboxRow)
		}
		return writeJSON(c, list)
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tPROPERTY\tACCOUNT\tAUTH\tTLS\tFOLDER\tAFTER\tIMPORTS")
	for _, r := range rows {
		imports := "from the first poll on"
		if r.Since != nil {
			imports = "since " + r.Since.Format(time.DateOnly)
		}
		if r.UIDValidity != 0 && r.Since != nil {
			imports = "since " + r.Since.Format(time.DateTime) + "Z"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Property, account(r.mailboxRow), r.Auth, r.TLS, r.Folder, r.After, imports)
	}
	return w.Flush()
}

func account(r mailboxRow) string { return fmt.Sprintf("%s@%s:%d", r.Username, r.Host, r.Port) }
