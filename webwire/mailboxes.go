package webwire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/postdesk/postdesk/dialguard"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/imapfetch"
	"github.com/postdesk/postdesk/mailer/oauth"
	"github.com/postdesk/postdesk/web"
)

// Mailboxes is the mailbox store, the OAuth2 providers and the pollers as the web inbox's
// Mailboxes: adding a mailbox is imapfetch.AddMailbox, as for `postdesk mailbox add`, but only
// at the addresses Hosts allows (a property's admin must not make the server connect anywhere).
type Mailboxes struct {
	Boxes *mailbox.Store
	OAuth oauth.Providers
	// Hosts is what a mailbox added from the web may connect to besides public addresses
	// (config admin_mailbox_hosts).
	Hosts dialguard.Policy
	// RelayProvider and RelayUser are the account the relay signs in as (relay_auth = oauth2;
	// empty otherwise): its grant is not changed from the web.
	RelayProvider, RelayUser string
	// Rescan, when set, is called after a change that gives the pollers work (a mailbox added,
	// resumed, signed in again), so that this instance polls it at once (imapfetch.Pollers.Rescan).
	Rescan func()
	// Log, when set, gets what the provider answered a sign-in whose check failed.
	Log *slog.Logger
}

var _ web.Mailboxes = Mailboxes{}

func (m Mailboxes) rescan() {
	if m.Rescan != nil {
		m.Rescan()
	}
}

func (m Mailboxes) List(ctx context.Context, propertyID int64) ([]mailbox.Mailbox, error) {
	return m.Boxes.List(ctx, propertyID)
}

func (m Mailboxes) Pause(ctx context.Context, propertyID, id int64) error {
	return m.Boxes.Pause(ctx, propertyID, id)
}

func (m Mailboxes) Resume(ctx context.Context, propertyID, id int64) error {
	if err := m.Boxes.Resume(ctx, propertyID, id); err != nil {
		return err
	}
	m.rescan()
	return nil
}

func (m Mailboxes) Remove(ctx context.Context, propertyID, id int64) error {
	return m.Boxes.Remove(ctx, propertyID, id)
}

func (m Mailboxes) Add(ctx context.Context, n mailbox.New, check bool) (mailbox.Mailbox, error) {
	box, _, err := imapfetch.AddMailbox(ctx, m.Boxes, n, imapfetch.AddOptions{Check: check, Guard: &m.Hosts})
	if err != nil {
		return mailbox.Mailbox{}, checkError(err)
	}
	m.rescan()
	return box, nil
}

// checkError is an imapfetch.CheckError as the web's CheckError: how far the check got, not
// what the server said.
func checkError(err error) error {
	ce := (*imapfetch.CheckError)(nil)
	if !errors.As(err, &ce) {
		return err
	}
	stage := imapfetch.Stage(ce.Err)
	if errors.Is(ce.Err, dialguard.ErrRefused) {
		stage = web.StageRefused
	}
	return &web.CheckError{Stage: stage, Err: ce.Err}
}

// Providers lists the providers whose app is configured, in a fixed order.
func (m Mailboxes) Providers() []string {
	var out []string
	for _, name := range []string{oauth.Google, oauth.Microsoft} {
		if p := m.OAuth[name]; p != nil && p.Check() == nil {
			out = append(out, name)
		}
	}
	return out
}

func (m Mailboxes) AuthURL(provider, redirect, state, verifier, loginHint string) (string, error) {
	p, err := m.OAuth.Get(provider)
	if err != nil {
		return "", err
	}
	return p.AuthCodeURL(redirect, state, verifier, loginHint), nil
}

// MayConnect refuses an account whose grant the web must not replace: the relay's, or one a
// mailbox of another property logs in with (one grant per account serves them all).
func (m Mailboxes) MayConnect(ctx context.Context, propertyID int64, provider, account string) error {
	account = strings.TrimSpace(account)
	if m.RelayUser != "" && provider == m.RelayProvider && strings.EqualFold(account, strings.TrimSpace(m.RelayUser)) {
		return fmt.Errorf("%w: %s is the relay's", web.ErrAccountInUse, account)
	}
	g, err := m.Boxes.FindGrant(ctx, provider, account)
	if errors.Is(err, mailbox.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	boxes, err := m.Boxes.MailboxesOfGrant(ctx, g.ID)
	if err != nil {
		return err
	}
	for _, b := range boxes {
		if b.PropertyID != propertyID {
			return fmt.Errorf("%w: %s opens mailbox %d of %s", web.ErrAccountInUse, account, b.ID, b.Property)
		}
	}
	return nil
}

// SignedIn exchanges the code, then logs in with the new grant, held in memory, before it is
// kept: to the mailbox to add (at an address Hosts allows) or to the mailbox signing in again.
// The IMAP server checks that the token opens that mailbox (XOAUTH2, OAUTHBEARER), so a sign-in
// as another account than the one named replaces nobody's grant. Only then is the grant kept
// (a new one, or the account's renewed) and the new mailbox saved.
func (m Mailboxes) SignedIn(ctx context.Context, in web.SignIn) (mailbox.Mailbox, error) {
	p, err := m.OAuth.Get(in.Provider)
	if err != nil {
		return mailbox.Mailbox{}, err
	}
	if err := m.MayConnect(ctx, in.PropertyID, in.Provider, in.Account); err != nil {
		return mailbox.Mailbox{}, err
	}
	var nb mailbox.New
	opts := imapfetch.AddOptions{Check: true}
	switch {
	case in.New != nil:
		nb = *in.New
		if err := nb.UseOAuth(p.IMAP, nb.Username); err != nil {
			return mailbox.Mailbox{}, err
		}
		opts.Guard = &m.Hosts
	case in.Again != nil:
		// The mailbox's own server, as polls reach it.
		a := in.Again
		nb = mailbox.New{PropertyID: a.PropertyID, Host: a.Host, Port: a.Port, TLS: a.TLS, Username: a.Username, OAuth: true, Folder: a.Folder, After: a.AfterAction}
	default:
		return mailbox.Mailbox{}, errors.New("webwire: a sign-in with no mailbox to add or sign in again")
	}
	rt, err := p.Exchange(ctx, in.Redirect, in.Code, in.Verifier)
	if err != nil {
		return mailbox.Mailbox{}, fmt.Errorf("%w: %w", web.ErrSignInFailed, err)
	}
	pending, src := oauth.NewPendingSource(p, rt, m.Log)
	opts.Token = src
	if _, err := imapfetch.CheckMailbox(ctx, nb, opts); err != nil {
		return mailbox.Mailbox{}, checkError(err)
	}
	g, err := m.Boxes.SaveGrant(ctx, in.Provider, in.Account, pending.RefreshToken())
	if err != nil {
		return mailbox.Mailbox{}, err
	}
	if in.New == nil {
		m.rescan()
		return *in.Again, nil
	}
	nb.GrantID = g.ID
	box, err := m.Boxes.Add(ctx, nb)
	if err != nil {
		return mailbox.Mailbox{}, fmt.Errorf("%w: %w", web.ErrGrantKept, err)
	}
	m.rescan()
	return box, nil
}
