package tickets

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// API tokens let one agent act on one property over the API. A token is 32 random bytes, shown
// once as "pd_" + base64url (unpadded); the database keeps only the SHA-256 of that string, so a
// copy of the database lets no one in.

// TokenPrefix starts every API token, so a leaked one is easy to recognise (and to scan for).
const TokenPrefix = "pd_"

const tokenBytes = 32

// tokenUseGranularity is how often last_used_at is written at most: authentication is on every
// request, and a write on each would serialise them.
const tokenUseGranularity = time.Minute

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateToken mints an API token for an agent of the property and returns it. It cannot be read
// back later.
func (s *Store) CreateToken(ctx context.Context, p Property, agentEmail, name string) (string, error) {
	name = strings.TrimSpace(name)
	if len(name) > 200 || strings.ContainsAny(name, "\r\n") {
		return "", fmt.Errorf("tickets: %w: a token name is one line of up to 200 bytes", ErrInvalid)
	}
	a, err := s.AgentByEmail(ctx, p.ID, agentEmail)
	if err != nil {
		return "", err
	}
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("tickets: generate token: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return s.db.Exec(ctx, tx, s.qs.TokenInsert,
			p.ID, a.ID, hashToken(token), name, s.Now())
	})
	if err != nil {
		return "", fmt.Errorf("tickets: create token: %w", err)
	}
	s.log.Info("api token created", "property", p.Slug, "agent", a.Email, "name", name)
	return token, nil
}

// Authenticate finds the property and agent (with the agent's role on that property) a token
// belongs to. An unknown or revoked token, or one whose agent has left the property, is
// ErrNotFound.
func (s *Store) Authenticate(ctx context.Context, token string) (Property, Agent, error) {
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, TokenPrefix) || len(token) != len(TokenPrefix)+base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return Property{}, Agent{}, fmt.Errorf("tickets: token: %w", ErrNotFound)
	}
	var rows []struct {
		ID         int64      `db:"id"`
		PropertyID int64      `db:"property_id"`
		AgentID    int64      `db:"agent_id"`
		LastUsedAt *time.Time `db:"last_used_at"`
	}
	if err := s.db.Select(ctx, nil, &rows, s.qs.TokenByHash, hashToken(token)); err != nil {
		return Property{}, Agent{}, fmt.Errorf("tickets: token: %w", err)
	}
	if len(rows) == 0 {
		return Property{}, Agent{}, fmt.Errorf("tickets: token: %w", ErrNotFound)
	}
	row := rows[0]
	p, err := s.PropertyByID(ctx, row.PropertyID)
	if err != nil {
		return Property{}, Agent{}, err
	}
	var as []Agent
	if err := s.db.Select(ctx, nil, &as, s.qs.AgentByID, row.PropertyID, row.AgentID); err != nil {
		return Property{}, Agent{}, fmt.Errorf("tickets: token: agent: %w", err)
	}
	if len(as) == 0 {
		return Property{}, Agent{}, fmt.Errorf("tickets: token: the agent is no longer on the property: %w", ErrNotFound)
	}
	now := s.Now()
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= tokenUseGranularity {
		err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
			return s.db.Exec(ctx, tx, s.qs.TokenUsed,
				now, row.ID, now.Add(-tokenUseGranularity))
		})
		if err != nil {
			return Property{}, Agent{}, fmt.Errorf("tickets: token: record use: %w", err)
		}
	}
	return p, as[0], nil
}

// RevokeTokens deletes every token of an agent on the property and says how many there were. An
// address that is no agent at all is ErrNotFound; an agent no longer on the property can still
// have their tokens there revoked.
func (s *Store) RevokeTokens(ctx context.Context, p Property, agentEmail string) (int, error) {
	email := normEmail(agentEmail)
	var ids []int64
	var known bool
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var agents []int64
		if err := s.db.Select(ctx, tx, &agents, s.qs.AgentIDByEmail, email); err != nil {
			return err
		}
		if known = len(agents) > 0; !known {
			return nil
		}
		return s.db.Select(ctx, tx, &ids, s.qs.TokensRevoke, p.ID, agents[0])
	})
	if err != nil {
		return 0, fmt.Errorf("tickets: revoke tokens of %s: %w", email, err)
	}
	if !known {
		return 0, fmt.Errorf("tickets: agent %q: %w", agentEmail, ErrNotFound)
	}
	s.log.Info("api tokens revoked", "property", p.Slug, "agent", email, "count", len(ids))
	return len(ids), nil
}
