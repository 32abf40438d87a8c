package webwire

import (
	"context"
	"errors"
	"fmt"

	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/imapfetch"
	"github.com/postdesk/postdesk/mailer/oauth"
	"github.com/postdesk/postdesk/web"
)

// Mailboxes is the mailbox store, the OAuth2 providers and the pollers as the web inbox's
// Mailboxes: adding a mailbox is imapfetch.AddMailbox, as for `postdesk mailbox add`.
type Mailboxes struct {
	Boxes *mailbox.Store
	OAuth oauth.Providers
	// Rescan, when set, is called after a change that gives the pollers work (a mailbox added,
	// resumed, signed in again), so that this instance polls it at once (imapfetch.Pollers.Rescan).
	Rescan func()
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
	return m.add(ctx, n, nil, check)
}

func (m Mailboxes) add(ctx context.Context, n mailbox.New, tok imapfetch.TokenSource, check bool) (mailbox.Mailbox, error) {
	box, _, err := imapfetch.AddMailbox(ctx, m.Boxes, n, tok, check)
	if ce := (*imapfetch.CheckError)(nil); errors.As(err, &ce) {
		return mailbox.Mailbox{}, fmt.Errorf("%w: %w", web.ErrMailboxCheck, ce.Err)
	}
	if err != nil {
		return mailbox.Mailbox{}, err
	}
	m.rescan()
	return box, nil
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

// SignedIn keeps the grant, then adds n checked with it (a mailbox that does not work is not
// saved; the grant is kept, as `mailbox add --provider` keeps it).
func (m Mailboxes) SignedIn(ctx context.Context, provider, redirect, code, verifier, account string, n *mailbox.New) (mailbox.Mailbox, error) {
	p, err := m.OAuth.Get(provider)
	if err != nil {
		return mailbox.Mailbox{}, err
	}
	rt, err := p.Exchange(ctx, redirect, code, verifier)
	if err != nil {
		return mailbox.Mailbox{}, fmt.Errorf("%w: %w", web.ErrSignInFailed, err)
	}
	g, err := m.Boxes.SaveGrant(ctx, provider, account, rt)
	if err != nil {
		return mailbox.Mailbox{}, err
	}
	if n == nil {
		m.rescan()
		return mailbox.Mailbox{}, nil
	}
	nb := *n
	if err := nb.UseOAuth(p.IMAP, nb.Username); err != nil {
		return mailbox.Mailbox{}, err
	}
	nb.GrantID = g.ID
	return m.add(ctx, nb, oauth.NewSource(p, m.Boxes, g.ID, nil, nil), true)
}
