package auth

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// seenGranularity is how often a session's last_seen_at is written at most: a session is read
// on every request, and a write on each would serialise them.
const seenGranularity = time.Minute

// maxUserAgent bounds the user agent kept with a session.
const maxUserAgent = 512

// fingerprint sums up an agent's memberships: the property ids and roles, in id order. A session
// keeps the one of sign-in; any change to them (a role, a property more or less) changes it.
func fingerprint(ms []Membership) string {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(a, b Membership) int { return cmp.Compare(a.PropertyID, b.PropertyID) })
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(strconv.FormatInt(m.PropertyID, 10))
		b.WriteByte(':')
		b.WriteString(m.Role)
		b.WriteByte('\n')
	}
	h := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(h[:])
}

// NewSession signs the agent in: it returns the value for the session cookie (only its hash is
// kept) and the session. It is ErrNotFound when the agent does not exist or has no property at
// all (nothing to show them).
func (s *Service) NewSession(ctx context.Context, agentID int64, userAgent string) (string, Session, error) {
	var as []agentRow
	if err := s.db.Select(ctx, nil, &as, s.qs.AgentByID, agentID); err != nil {
		return "", Session{}, fmt.Errorf("auth: new session: %w", err)
	}
	if len(as) == 0 {
		return "", Session{}, fmt.Errorf("auth: agent %d: %w", agentID, ErrNotFound)
	}
	ms, err := s.memberships(ctx, agentID)
	if err != nil {
		return "", Session{}, err
	}
	if len(ms) == 0 {
		return "", Session{}, fmt.Errorf("auth: agent %d is on no property: %w", agentID, ErrNotFound)
	}
	cookie, err := newToken()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := newToken()
	if err != nil {
		return "", Session{}, err
	}
	now := s.now()
	sess := Session{AgentID: agentID, Email: as[0].Email, Name: as[0].Name, CSRF: csrf, Memberships: ms,
		CreatedAt: now, ExpiresAt: s.expiry(now, now.Add(s.cfg.MaxTTL))}
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return s.db.Get(ctx, tx, &sess.ID, s.qs.SessionAdd, hashToken(cookie), agentID, csrf, fingerprint(ms),
			textKey(userAgent, maxUserAgent), now, now, now.Add(s.cfg.MaxTTL))
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("auth: new session: %w", err)
	}
	s.log.InfoContext(ctx, "auth: signed in", slog.String("agent", sess.Email), slog.Int64("session", sess.ID))
	return cookie, sess, nil
}

// expiry is when a session last seen at seen, ending at the latest at end, ends.
func (s *Service) expiry(seen, end time.Time) time.Time {
	if idle := seen.Add(s.cfg.IdleTTL); idle.Before(end) {
		return idle
	}
	return end
}

type sessionRow struct {
	ID          int64     `db:"id"`
	TokenHash   string    `db:"token_hash"`
	AgentID     int64     `db:"agent_id"`
	Email       string    `db:"email"`
	Name        string    `db:"name"`
	CSRF        string    `db:"csrf"`
	Memberships string    `db:"memberships"`
	CreatedAt   time.Time `db:"created_at"`
	LastSeenAt  time.Time `db:"last_seen_at"`
	ExpiresAt   time.Time `db:"expires_at"`
}

// Session returns the live session of a cookie value, its last-seen time refreshed (written at
// most once a minute). It is ErrNoSession when the value is unknown, the session expired (idle or
// absolute), or it ended: the agent was removed, or their memberships or roles changed since
// sign-in — then the session is deleted, and the agent signs in again to see the change.
func (s *Service) Session(ctx context.Context, cookieValue string) (Session, error) {
	if !wellFormed(cookieValue) {
		return Session{}, ErrNoSession
	}
	h := hashToken(cookieValue)
	var rows []sessionRow
	if err := s.db.Select(ctx, nil, &rows, s.qs.SessionByHash, h); err != nil {
		return Session{}, fmt.Errorf("auth: session: %w", err)
	}
	if len(rows) != 1 || !sameHash(rows[0].TokenHash, h) {
		return Session{}, ErrNoSession
	}
	r := rows[0]
	now := s.now()
	if expires := s.expiry(r.LastSeenAt, r.ExpiresAt); !now.Before(expires) {
		return Session{}, s.drop(ctx, r, "expired")
	}
	ms, err := s.memberships(ctx, r.AgentID)
	if err != nil {
		return Session{}, err
	}
	if !sameHash(fingerprint(ms), r.Memberships) {
		return Session{}, s.drop(ctx, r, "memberships changed")
	}
	if now.Sub(r.LastSeenAt) >= seenGranularity {
		err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
			return s.db.Exec(ctx, tx, s.qs.SessionSeen, now, r.ID, now.Add(-seenGranularity))
		})
		if err != nil {
			return Session{}, fmt.Errorf("auth: session: record use: %w", err)
		}
		r.LastSeenAt = now
	}
	return Session{ID: r.ID, AgentID: r.AgentID, Email: r.Email, Name: r.Name, CSRF: r.CSRF, Memberships: ms,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: s.expiry(r.LastSeenAt, r.ExpiresAt).UTC()}, nil
}

// drop deletes a session that ended and says ErrNoSession (or why it could not).
func (s *Service) drop(ctx context.Context, r sessionRow, why string) error {
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error { return s.db.Exec(ctx, tx, s.qs.SessionDelete, r.ID) })
	if err != nil {
		return fmt.Errorf("auth: end session: %w", err)
	}
	s.log.InfoContext(ctx, "auth: session ended", slog.String("agent", r.Email), slog.Int64("session", r.ID), slog.String("why", why))
	return ErrNoSession
}

// EndSession signs a cookie value's session out (nothing for an unknown one).
func (s *Service) EndSession(ctx context.Context, cookieValue string) error {
	if !wellFormed(cookieValue) {
		return nil
	}
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error { return s.db.Exec(ctx, tx, s.qs.SessionEnd, hashToken(cookieValue)) })
	if err != nil {
		return fmt.Errorf("auth: end session: %w", err)
	}
	return nil
}

// EndAgentSessions signs the agent out everywhere (after a password change, say).
func (s *Service) EndAgentSessions(ctx context.Context, agentID int64) error {
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error { return s.db.Exec(ctx, tx, s.qs.SessionsEndAgent, agentID) })
	if err != nil {
		return fmt.Errorf("auth: end sessions of agent %d: %w", agentID, err)
	}
	s.log.InfoContext(ctx, "auth: agent signed out everywhere", slog.Int64("agent", agentID))
	return nil
}

// Prune deletes expired sessions and links, and attempts older than every window, and says how
// many rows it deleted. Run it now and then (a scheduler job): nothing depends on it for being
// right, only for the tables' size.
func (s *Service) Prune(ctx context.Context) (int, error) {
	now := s.now()
	n := 0
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		n = 0
		for _, q := range []struct {
			query string
			args  []any
		}{
			{s.qs.PruneSessions, []any{now, now.Add(-s.cfg.IdleTTL)}},
			{s.qs.PruneLinks, []any{now}},
			{s.qs.PruneAttempts, []any{now.Add(-attemptsKept)}},
		} {
			var ids []int64
			if err := s.db.Select(ctx, tx, &ids, q.query, q.args...); err != nil {
				return err
			}
			n += len(ids)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("auth: prune: %w", err)
	}
	return n, nil
}
