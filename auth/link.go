package auth

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jmoiron/sqlx"
)

// NewLink makes a one-time sign-in token for the agent with address email, valid LinkTTL, and
// returns it with the agent's address and name (for the mail: see notify.SignInLink). Only its
// hash is kept. It is ErrNotFound for an address no agent has (the page asking should not tell),
// and a *RateLimitError after 3 links for one address, or 10 requests from one client, within 15
// minutes — counted before the address is looked up, so the answer says nothing of it either.
func (s *Service) NewLink(ctx context.Context, email, client string) (token, agentEmail, agentName string, err error) {
	addr, cl := addressKey(email), clientKey(client)
	if _, err := s.count(ctx, linkLimits, addr, cl); err != nil {
		return "", "", "", err
	}
	var as []agentRow
	if err := s.db.Select(ctx, nil, &as, s.qs.AgentByEmail, addr); err != nil {
		return "", "", "", fmt.Errorf("auth: new link: %w", err)
	}
	if len(as) == 0 {
		return "", "", "", fmt.Errorf("auth: agent %q: %w", addr, ErrNotFound)
	}
	a := as[0]
	if token, err = newToken(); err != nil {
		return "", "", "", err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return s.db.Exec(ctx, tx, s.qs.LinkAdd, hashToken(token), a.ID, now, now.Add(s.cfg.LinkTTL))
	})
	if err != nil {
		return "", "", "", fmt.Errorf("auth: new link: %w", err)
	}
	s.log.InfoContext(ctx, "auth: sign-in link made", slog.String("agent", a.Email), slog.String("client", cl))
	return token, a.Email, a.Name, nil
}

// UseLink takes a sign-in token and returns its agent's id. It is ErrBadLink for a token unknown,
// already used or expired. A token is used once only, even by concurrent calls on several
// instances: one statement marks it used where it is not yet.
func (s *Service) UseLink(ctx context.Context, token string) (int64, error) {
	if !wellFormed(token) {
		return 0, ErrBadLink
	}
	h := hashToken(token)
	now := s.now()
	var rows []struct {
		AgentID   int64  `db:"agent_id"`
		TokenHash string `db:"token_hash"`
	}
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return s.db.Select(ctx, tx, &rows, s.qs.LinkUse, now, h, now)
	})
	if err != nil {
		return 0, fmt.Errorf("auth: use link: %w", err)
	}
	if len(rows) != 1 || !sameHash(rows[0].TokenHash, h) {
		return 0, ErrBadLink
	}
	return rows[0].AgentID, nil
}
