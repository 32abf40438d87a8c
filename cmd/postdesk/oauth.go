package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/imapfetch"
	"github.com/postdesk/postdesk/mailer/oauth"
	"github.com/postdesk/postdesk/mailer/relay"
	"github.com/postdesk/postdesk/mailer/sender"
	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// oauthProviders are the providers as the configuration describes their apps.
func oauthProviders(cfg *config.Config) oauth.Providers {
	g, m := cfg.OAuth.Google, cfg.OAuth.Microsoft
	return oauth.Providers{
		oauth.Google:    oauth.NewGoogle(oauth.GoogleConfig{ClientID: g.ClientID, ClientSecret: g.ClientSecret, AuthURL: g.AuthURL, TokenURL: g.TokenURL}),
		oauth.Microsoft: oauth.NewMicrosoft(oauth.MicrosoftConfig{ClientID: m.ClientID, ClientSecret: m.ClientSecret, Tenant: m.Tenant, Authority: m.Authority}),
	}
}

// providerName is how mails name a provider.
func providerName(p string) string {
	switch p {
	case oauth.Microsoft:
		return "Microsoft 365"
	case oauth.Google:
		return "Google"
	}
	return p
}

// openMailboxOAuth opens serve's mailbox store (statements prepared: a broken query fails serve
// at start) with the notice to the admins when a grant needs sign-in, and the token sources the
// pollers and the relay share.
func openMailboxOAuth(ctx context.Context, cfg *config.Config, d *db.DB, store *tickets.Store, n *notify.Notifier, secret []byte, kick func(), log *slog.Logger) (*mailbox.Store, *oauth.Sources, error) {
	boxes, err := mailbox.Open(ctx, d, secret, mailbox.WithSignInNeeded(signInNeededNotice(store, n, log), kick))
	if err != nil {
		return nil, nil, err
	}
	return boxes, oauth.NewSources(oauthProviders(cfg), boxes, nil, log), nil
}

// signInNeededNotice mails the admins of each property whose mailboxes use the grant, in the
// transaction that records the state.
func signInNeededNotice(store *tickets.Store, n *notify.Notifier, log *slog.Logger) mailbox.SignInNeededFunc {
	return func(ctx context.Context, tx *sqlx.Tx, g mailbox.Grant, boxes []mailbox.Mailbox) error {
		if len(boxes) == 0 {
			log.Error("the relay's OAuth2 sign-in needs renewing: run 'postdesk relay signin'", slog.String("account", g.String()), slog.String("reason", g.LastError))
			return nil
		}
		byProperty := map[int64][]mailbox.Mailbox{}
		for _, b := range boxes {
			byProperty[b.PropertyID] = append(byProperty[b.PropertyID], b)
		}
		for _, id := range slices.Sorted(func(yield func(int64) bool) {
			for id := range byProperty {
				if !yield(id) {
					return
				}
			}
		}) {
			p, err := store.PropertyByID(ctx, id)
			if err != nil {
				return err
			}
			si := templates.SignIn{Provider: providerName(g.Provider), Account: g.Username, Reason: g.LastError,
				Command: "postdesk mailbox signin " + strconv.FormatInt(byProperty[id][0].ID, 10)}
			for _, b := range byProperty[id] {
				si.Mailboxes = append(si.Mailboxes, b.Username+" ("+b.Folder+")")
			}
			if err := n.MailboxSignInNeeded(ctx, tx, p, si); err != nil {
				return err
			}
		}
		return nil
	}
}

// pollerTokens is the pollers' way to the grants' token sources.
func pollerTokens(sources *oauth.Sources) imapfetch.PollersOption {
	return imapfetch.WithOAuth(func(provider string, id int64) (imapfetch.TokenSource, error) {
		s, err := sources.For(provider, id)
		if err != nil {
			return nil, err
		}
		return s, nil
	})
}

// useRelayOAuth makes the relay authenticate with the grant of relay_user (relay_auth = "oauth2").
// No grant at all fails serve at start; a grant that needs sign-in only keeps mail waiting.
func useRelayOAuth(ctx context.Context, cfg *config.Config, t sender.Transport, boxes *mailbox.Store, sources *oauth.Sources, log *slog.Logger) error {
	if cfg.RelayAuth != "oauth2" {
		return nil
	}
	st, ok := t.(*relay.SMTPTransport)
	if !ok {
		return fmt.Errorf("%w: relay_auth = \"oauth2\" needs a relay", errUsage)
	}
	g, err := boxes.FindGrant(ctx, cfg.RelayOAuth, cfg.RelayUser)
	if errors.Is(err, mailbox.ErrNotFound) {
		return fmt.Errorf("%w: the relay signs in as %s with %s, who has not signed in: run 'postdesk relay signin' first", errUsage, cfg.RelayUser, providerName(cfg.RelayOAuth))
	}
	if err != nil {
		return err
	}
	if g.SignInNeededAt != nil {
		log.Error("the relay's OAuth2 sign-in needs renewing: mail waits in the outbox until 'postdesk relay signin'", slog.String("account", g.String()))
	}
	src, err := sources.For(cfg.RelayOAuth, g.ID)
	if err != nil {
		return err
	}
	st.UseOAuth(src)
	return nil
}

// signIn has the admin sign in with provider as user, printing what to do, and keeps the grant.
func (c *cli) signIn(ctx context.Context, cfg *config.Config, boxes *mailbox.Store, provider, user, listen string) (mailbox.Grant, error) {
	p, err := oauthProviders(cfg).Get(provider)
	if err != nil {
		return mailbox.Grant{}, fmt.Errorf("%w: %w", errUsage, err)
	}
	rt, err := p.SignIn(ctx, oauth.SignInOptions{Out: c.stdout, LoginHint: user, Listen: listen})
	if err != nil {
		return mailbox.Grant{}, err
	}
	g, err := boxes.SaveGrant(ctx, provider, user, rt)
	if err != nil {
		return mailbox.Grant{}, err
	}
	fmt.Fprintf(c.stdout, "signed in to %s as %s\n", providerName(provider), user)
	return g, nil
}

// oauthMailbox is what `mailbox add --provider` was given.
type oauthMailbox struct {
	provider, user, listen string
	n                      mailbox.New
	prop                   string
	check                  bool
}

// mailboxAddOAuth is `mailbox add --provider`: sign in, check the mailbox, save it.
func (c *cli) mailboxAddOAuth(ctx context.Context, cfg *config.Config, o oauthMailbox) error {
	p, err := oauthProviders(cfg).Get(o.provider)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	signInUser, imapUser := mailbox.SplitSharedUser(o.user)
	if signInUser == "" || imapUser == "" {
		return fmt.Errorf("%w: --user ACCOUNT or, for a shared mailbox, --user 'ACCOUNT\\SHARED'", errUsage)
	}
	n := o.n
	if err := n.UseOAuth(p.IMAP, imapUser); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	d, s, boxes, err := openMailboxes(ctx, c, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	prop, err := propertyArg(ctx, s, o.prop)
	if err != nil {
		return err
	}
	n.PropertyID = prop.ID
	g, err := c.signIn(ctx, cfg, boxes, o.provider, signInUser, o.listen)
	if err != nil {
		return err
	}
	n.GrantID = g.ID
	m, info, err := imapfetch.AddMailbox(ctx, boxes, n, imapfetch.AddOptions{Check: o.check, Token: oauth.NewSource(p, boxes, g.ID, nil, nil)})
	if ce := (*imapfetch.CheckError)(nil); errors.As(err, &ce) {
		return fmt.Errorf("cannot use the mailbox (the sign-in is kept, the mailbox not saved; --check=false saves it anyway): %w", ce.Err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "mailbox %d of %s: %s (TLS %s), signed in with %s as %s; after import: %s\n", m.ID, prop.Slug, m, m.TLS, providerName(o.provider), signInUser, m.AfterAction)
	if o.check {
		fmt.Fprintf(c.stdout, "checked: %d messages in %s\n", info.Messages, m.Folder)
	}
	fmt.Fprintln(c.stdout, "a running 'postdesk serve' picks it up within 30 seconds; see 'postdesk mailbox status'")
	return nil
}

// mailboxSignIn is `mailbox signin ID`: sign in again for a mailbox whose grant stopped working
// (every mailbox of that account is polled again).
func mailboxSignIn(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("mailbox signin")
	listen := fs.String("listen", "", "Google: the loopback address of the redirect (default 127.0.0.1, any free port)")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: postdesk mailbox signin MAILBOX-ID", errUsage)
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: mailbox id %q", errUsage, rest[0])
	}
	d, _, boxes, err := openMailboxes(ctx, c, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	m, err := boxes.Get(ctx, id)
	if err != nil {
		return err
	}
	if !m.OAuth() {
		return fmt.Errorf("%w: mailbox %d logs in with a password, not OAuth2", errUsage, id)
	}
	if _, err := c.signIn(ctx, cfg, boxes, m.OAuthProvider, m.OAuthUser, *listen); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "a running 'postdesk serve' polls its mailboxes again within 30 seconds")
	return nil
}

// relaySignIn is `relay signin`: the account the relay sends as signs in (relay_auth = "oauth2").
func relaySignIn(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("relay signin")
	listen := fs.String("listen", "", "Google: the loopback address of the redirect (default 127.0.0.1, any free port)")
	cfg, rest, err := c.load(fs, args, "relay_auth", "relay_oauth_provider", "relay_user")
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	if cfg.RelayAuth != "oauth2" {
		return fmt.Errorf("%w: set relay_auth = \"oauth2\", relay_oauth_provider and relay_user first", errUsage)
	}
	d, _, boxes, err := openMailboxes(ctx, c, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	_, err = c.signIn(ctx, cfg, boxes, cfg.RelayOAuth, cfg.RelayUser, *listen)
	return err
}

// relayStatus is `relay status`: whether the relay's OAuth2 sign-in works.
func relayStatus(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("relay status")
	cfg, rest, err := c.load(fs, args, "relay_auth", "relay_oauth_provider", "relay_user")
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	if cfg.RelayAuth != "oauth2" {
		fmt.Fprintln(c.stdout, "the relay does not sign in with OAuth2 (relay_auth is not \"oauth2\")")
		return nil
	}
	d, _, boxes, err := openMailboxes(ctx, c, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	g, err := boxes.FindGrant(ctx, cfg.RelayOAuth, cfg.RelayUser)
	switch {
	case errors.Is(err, mailbox.ErrNotFound):
		fmt.Fprintf(c.stdout, "%s has not signed in to %s: run 'postdesk relay signin'\n", cfg.RelayUser, providerName(cfg.RelayOAuth))
	case err != nil:
		return err
	case g.SignInNeededAt != nil:
		fmt.Fprintf(c.stdout, "needs sign-in again since %s: run 'postdesk relay signin' (%s)\n", g.SignInNeededAt.Format(time.DateTime), g.LastError)
	default:
		fmt.Fprintf(c.stdout, "signed in to %s as %s (%s)\n", providerName(g.Provider), g.Username, g.UpdatedAt.Format(time.DateTime))
	}
	return nil
}

// relayOAuthFor gives the relay its sign-in outside serve (relay test); close the database
// after the relay is done with it.
func (c *cli) relayOAuthFor(ctx context.Context, cfg *config.Config, t *relay.SMTPTransport) (closeDB func(), err error) {
	d, _, boxes, err := openMailboxes(ctx, c, cfg)
	if err != nil {
		return nil, err
	}
	if err := useRelayOAuth(ctx, cfg, t, boxes, oauth.NewSources(oauthProviders(cfg), boxes, nil, nil), slog.New(slog.DiscardHandler)); err != nil {
		d.Close()
		return nil, err
	}
	return func() { d.Close() }, nil
}
