package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// GrantStore keeps the grants' refresh tokens (sealed at rest: package mailbox).
type GrantStore interface {
	// OAuthToken returns a grant's refresh token, and whether it needs sign-in again.
	OAuthToken(ctx context.Context, grantID int64) (refreshToken string, signInNeeded bool, err error)
	// RotateOAuthToken keeps the refresh token the provider gave in exchange for the last one.
	RotateOAuthToken(ctx context.Context, grantID int64, refreshToken string) error
	// OAuthSignInNeeded records that the grant needs sign-in again, and tells its admins once.
	OAuthSignInNeeded(ctx context.Context, grantID int64, reason string) error
}

// Margin is how long before its expiry an access token is replaced.
const Margin = 5 * time.Minute

// Source hands out a grant's access token, refreshing it before it expires and when its user
// says the server refused it (Invalidate). It is safe for concurrent use: callers wait for one
// refresh.
type Source struct {
	p     *Provider
	store GrantStore
	id    int64
	now   func() time.Time
	log   *slog.Logger

	mu      sync.Mutex
	access  string
	expires time.Time
}

// NewSource returns the source of grant id's access tokens. now is the clock (nil: time.Now).
func NewSource(p *Provider, store GrantStore, grantID int64, now func() time.Time, log *slog.Logger) *Source {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{p: p, store: store, id: grantID, now: now, log: log}
}

// AccessToken returns an access token valid for a while yet. An error wrapping ErrSignInNeeded
// means the grant is dead until an admin signs in again; the provider is not asked again until
// the store says so (a new sign-in).
func (s *Source) AccessToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access != "" && s.now().Before(s.expires) {
		return s.access, nil
	}
	s.access = ""
	rt, needed, err := s.store.OAuthToken(ctx, s.id)
	if err != nil {
		return "", fmt.Errorf("oauth: read grant %d: %w", s.id, err)
	}
	if needed {
		return "", fmt.Errorf("%w: %s grant %d", ErrSignInNeeded, s.p.Name, s.id)
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	asked := s.now()
	tok, err := s.p.cfg.TokenSource(rctx, &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		err = classify(err)
		if errors.Is(err, ErrSignInNeeded) {
			s.log.Warn("oauth: the grant needs sign-in again", slog.String("provider", s.p.Name), slog.Int64("grant", s.id), slog.Any("err", err))
			reason := err.Error()
			var re *RefusedError
			if errors.As(err, &re) {
				reason = re.What
			}
			if serr := s.store.OAuthSignInNeeded(context.WithoutCancel(ctx), s.id, reason); serr != nil {
				return "", fmt.Errorf("%w; and recording it failed: %w", err, serr)
			}
		}
		return "", err
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("oauth: %s gave no access token", s.p.Name)
	}
	if tok.RefreshToken != "" && tok.RefreshToken != rt {
		// Microsoft hands out a new refresh token with each refresh: keep the newest.
		if err := s.store.RotateOAuthToken(ctx, s.id, tok.RefreshToken); err != nil {
			s.log.Warn("oauth: cannot keep the rotated refresh token (the previous one still works)", slog.Int64("grant", s.id), slog.Any("err", err))
		}
	}
	life := time.Hour
	if !tok.Expiry.IsZero() {
		life = time.Until(tok.Expiry)
	}
	margin := min(Margin, life/2)
	s.access, s.expires = tok.AccessToken, asked.Add(life-margin)
	return s.access, nil
}

// Invalidate forgets the access token: the server refused it (revoked, or expired early), so the
// next AccessToken refreshes.
func (s *Source) Invalidate() {
	s.mu.Lock()
	s.access = ""
	s.mu.Unlock()
}

// Sources shares one Source per grant between its users (the mailboxes signed in as one account,
// the relay), so that they refresh once.
type Sources struct {
	providers Providers
	store     GrantStore
	now       func() time.Time
	log       *slog.Logger

	mu      sync.Mutex
	sources map[int64]*Source
}

// NewSources returns the sources of grants kept in store.
func NewSources(providers Providers, store GrantStore, now func() time.Time, log *slog.Logger) *Sources {
	return &Sources{providers: providers, store: store, now: now, log: log, sources: map[int64]*Source{}}
}

// For returns the source of grant id, made with provider.
func (ss *Sources) For(provider string, grantID int64) (*Source, error) {
	p, err := ss.providers.Get(provider)
	if err != nil {
		return nil, err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s := ss.sources[grantID]; s != nil && s.p == p {
		return s, nil
	}
	s := NewSource(p, ss.store, grantID, ss.now, ss.log)
	ss.sources[grantID] = s
	return s, nil
}

// Pending is a grant not kept yet: the refresh token a sign-in has just brought, in memory, as
// the GrantStore of one grant. A Source over it (NewPendingSource) tries what the sign-in opens
// (an IMAP login as the account) before the grant replaces the one kept for the account.
type Pending struct {
	mu      sync.Mutex
	rt      string
	refused string
}

// NewPendingSource returns the pending grant of refreshToken and the source of its access tokens.
func NewPendingSource(p *Provider, refreshToken string, log *slog.Logger) (*Pending, *Source) {
	g := &Pending{rt: refreshToken}
	return g, NewSource(p, g, 0, nil, log)
}

// RefreshToken is the newest refresh token (the provider may have rotated it).
func (g *Pending) RefreshToken() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rt
}

func (g *Pending) OAuthToken(context.Context, int64) (string, bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rt, g.refused != "", nil
}

func (g *Pending) RotateOAuthToken(_ context.Context, _ int64, refreshToken string) error {
	g.mu.Lock()
	g.rt = refreshToken
	g.mu.Unlock()
	return nil
}

func (g *Pending) OAuthSignInNeeded(_ context.Context, _ int64, reason string) error {
	g.mu.Lock()
	g.refused = reason
	g.mu.Unlock()
	return nil
}
