package mailbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Grant is an account signed in with OAuth2 (Google, Microsoft 365): its refresh token, sealed
// like passwords, and whether it needs sign-in again.
type Grant struct {
	ID             int64      `db:"id"`
	Provider       string     `db:"provider"`
	Username       string     `db:"username"`
	Secret         []byte     `db:"secret"`
	SignInNeededAt *time.Time `db:"signin_needed_at"`
	LastError      string     `db:"last_error"`
	CreatedAt      time.Time  `db:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at"`
}

// String names the grant for logs and listings: never with its token.
func (g Grant) String() string { return g.Provider + ":" + g.Username }

// SignInNeededFunc is told, in the transaction that moves a grant into the "needs sign-in" state
// (once per transition), which mailboxes use it: it queues the mail to their properties' admins.
type SignInNeededFunc func(ctx context.Context, tx *sqlx.Tx, g Grant, boxes []Mailbox) error

// WithSignInNeeded sets what tells the admins that a grant needs sign-in again; after, when set,
// runs once that is committed (it wakes the sender).
func WithSignInNeeded(fn SignInNeededFunc, after func()) Option {
	return func(s *Store) { s.signInNeeded, s.signInAfter = fn, after }
}

// grantAAD binds a sealed refresh token to its account.
func grantAAD(provider, username string) []byte {
	return []byte("postdesk oauth grant v1\x00" + provider + "\x00" + strings.ToLower(username))
}

// SaveGrant keeps the refresh token of a new sign-in of username with provider: a new grant, or
// the account's grant renewed (its "needs sign-in" state ends).
func (s *Store) SaveGrant(ctx context.Context, provider, username, refreshToken string) (Grant, error) {
	username = strings.TrimSpace(username)
	if provider == "" || username == "" || strings.ContainsAny(username, "\r\n\x00") || refreshToken == "" {
		return Grant{}, fmt.Errorf("%w: a grant needs a provider, an account and a refresh token", ErrInvalid)
	}
	sealed, err := s.key.Seal([]byte(refreshToken), grantAAD(provider, username))
	if err != nil {
		return Grant{}, err
	}
	now := s.Now()
	var id int64
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return s.db.Get(ctx, tx, &id, s.qs.GrantSave, provider, username, sealed, now, now)
	})
	if err != nil {
		return Grant{}, fmt.Errorf("mailbox: save grant %s:%s: %w", provider, username, err)
	}
	return s.Grant(ctx, id)
}

// Grant reads a grant.
func (s *Store) Grant(ctx context.Context, id int64) (Grant, error) {
	return s.oneGrant(ctx, fmt.Sprintf("grant %d", id), s.qs.GrantByID, id)
}

// FindGrant reads the grant of username with provider.
func (s *Store) FindGrant(ctx context.Context, provider, username string) (Grant, error) {
	return s.oneGrant(ctx, "grant "+provider+":"+username, s.qs.GrantByAccount, provider, strings.TrimSpace(username))
}

func (s *Store) oneGrant(ctx context.Context, what, q string, args ...any) (Grant, error) {
	var gs []Grant
	if err := s.db.Select(ctx, nil, &gs, q, args...); err != nil {
		return Grant{}, fmt.Errorf("mailbox: %s: %w", what, err)
	}
	if len(gs) == 0 {
		return Grant{}, fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return gs[0].utc(), nil
}

// MailboxesOfGrant lists the mailboxes, of every property, that log in with grant id.
func (s *Store) MailboxesOfGrant(ctx context.Context, id int64) ([]Mailbox, error) {
	var boxes []Mailbox
	if err := s.db.Select(ctx, nil, &boxes, s.qs.OfGrant, id); err != nil {
		return nil, fmt.Errorf("mailbox: mailboxes of grant %d: %w", id, err)
	}
	for i := range boxes {
		boxes[i] = boxes[i].utc()
	}
	return boxes, nil
}

// Grants lists every grant, oldest first.
func (s *Store) Grants(ctx context.Context) ([]Grant, error) {
	var gs []Grant
	if err := s.db.Select(ctx, nil, &gs, s.qs.GrantsAll); err != nil {
		return nil, fmt.Errorf("mailbox: list grants: %w", err)
	}
	for i := range gs {
		gs[i] = gs[i].utc()
	}
	return gs, nil
}

func (g Grant) utc() Grant {
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	if g.SignInNeededAt != nil {
		t := g.SignInNeededAt.UTC()
		g.SignInNeededAt = &t
	}
	return g
}

// OAuthToken opens grant id's refresh token, and tells whether the grant needs sign-in again
// (oauth.GrantStore).
func (s *Store) OAuthToken(ctx context.Context, id int64) (string, bool, error) {
	g, err := s.Grant(ctx, id)
	if err != nil {
		return "", false, err
	}
	pt, err := s.key.Open(g.Secret, grantAAD(g.Provider, g.Username))
	if err != nil {
		// Wrong server secret (a restored database without its settings row?) or a damaged row.
		return "", false, fmt.Errorf("mailbox: the sign-in of %s does not open with this server's secret: %w", g, err)
	}
	return string(pt), g.SignInNeededAt != nil, nil
}

// RotateOAuthToken keeps the refresh token a refresh handed out (oauth.GrantStore); a grant that
// needs sign-in keeps its state.
func (s *Store) RotateOAuthToken(ctx context.Context, id int64, refreshToken string) error {
	g, err := s.Grant(ctx, id)
	if err != nil {
		return err
	}
	sealed, err := s.key.Seal([]byte(refreshToken), grantAAD(g.Provider, g.Username))
	if err != nil {
		return err
	}
	if _, err := s.update(ctx, false, s.qs.GrantRotate, sealed, s.Now(), id); err != nil {
		return fmt.Errorf("mailbox: rotate grant %d: %w", id, err)
	}
	return nil
}

// OAuthSignInNeeded moves grant id into the "needs sign-in" state (oauth.GrantStore): its
// mailboxes stop being polled until an admin signs in again. The first call of a transition tells
// the admins (WithSignInNeeded) in the same transaction; later ones change nothing.
func (s *Store) OAuthSignInNeeded(ctx context.Context, id int64, reason string) error {
	now := s.Now()
	told := false
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		told = false
		var ids []int64
		if err := s.db.Select(ctx, tx, &ids, s.qs.GrantSignInNeeded, now, reason, now, id); err != nil {
			return err
		}
		if len(ids) == 0 || s.signInNeeded == nil {
			return nil
		}
		var gs []Grant
		if err := s.db.Select(ctx, tx, &gs, s.qs.GrantByID, id); err != nil || len(gs) == 0 {
			return err
		}
		var boxes []Mailbox
		if err := s.db.Select(ctx, tx, &boxes, s.qs.OfGrant, id); err != nil {
			return err
		}
		for i := range boxes {
			boxes[i] = boxes[i].utc()
		}
		told = true
		return s.signInNeeded(ctx, tx, gs[0].utc(), boxes)
	})
	if err != nil {
		return fmt.Errorf("mailbox: grant %d needs sign-in: %w", id, err)
	}
	if told && s.signInAfter != nil {
		s.signInAfter()
	}
	return nil
}
