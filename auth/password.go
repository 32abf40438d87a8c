package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// A password has at least minPasswordChars characters and at most maxPasswordBytes bytes (a
// bound on what argon2id is given to chew on).
const (
	minPasswordChars = 10
	maxPasswordBytes = 1024
)

func checkStrength(password string) error {
	if utf8.RuneCountInString(password) < minPasswordChars || len(password) > maxPasswordBytes {
		return ErrWeakPassword
	}
	return nil
}

// acquire waits for a hashing slot (see Service.hashing); release gives it back.
func (s *Service) acquire(ctx context.Context) error {
	select {
	case s.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("auth: %w", ctx.Err())
	}
}

func (s *Service) release() { <-s.hashing }

// hash makes the PHC string of password at the current cost, with a fresh salt.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	h := phc{params: s.argon, salt: make([]byte, saltBytes), key: make([]byte, keyBytes)}
	if _, err := rand.Read(h.salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.release()
	h.key = h.derive(password)
	return h.String(), nil
}

// SetPassword sets the password of the agent with address email. It is ErrNotFound when no agent
// has that address, ErrWeakPassword when the password is shorter than 10 characters or longer
// than 1024 bytes. It ends no session: the caller decides (see EndAgentSessions).
func (s *Service) SetPassword(ctx context.Context, email, password string) error {
	if err := checkStrength(password); err != nil {
		return err
	}
	var as []agentRow
	if err := s.db.Select(ctx, nil, &as, s.qs.AgentByEmail, addressKey(email)); err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	if len(as) == 0 {
		return fmt.Errorf("auth: agent %q: %w", email, ErrNotFound)
	}
	h, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return s.db.Exec(ctx, tx, s.qs.PasswordSet, as[0].ID, h, s.now())
	})
	if err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	s.log.InfoContext(ctx, "auth: password set", slog.String("agent", as[0].Email))
	return nil
}

// HasPassword reports whether the agent with address email has a password (false for an
// unknown address).
func (s *Service) HasPassword(ctx context.Context, email string) (bool, error) {
	var rows []struct {
		ID   int64  `db:"id"`
		Hash string `db:"hash"`
	}
	if err := s.db.Select(ctx, nil, &rows, s.qs.PasswordByEmail, addressKey(email)); err != nil {
		return false, fmt.Errorf("auth: has password: %w", err)
	}
	return len(rows) > 0, nil
}

// CheckPassword returns the id of the agent whose address is email when password is theirs.
// client is the remote IP (the host of r.RemoteAddr). Every attempt counts against the address
// and the client before the hash is checked (so that concurrent guesses all count); one that
// succeeds is forgotten. An unknown address, an agent without a password and a wrong password are
// all ErrBadCredentials, and take the same time (a dummy hash is checked). Over the limits (see
// limits.go) it is a *RateLimitError, even for the right password.
func (s *Service) CheckPassword(ctx context.Context, email, password, client string) (int64, error) {
	addr, cl := addressKey(email), clientKey(client)
	attempt, err := s.count(ctx, passwordLimits, addr, cl)
	if err != nil {
		return 0, err
	}
	var rows []struct {
		ID   int64  `db:"id"`
		Hash string `db:"hash"`
	}
	if err := s.db.Select(ctx, nil, &rows, s.qs.PasswordByEmail, addr); err != nil {
		return 0, fmt.Errorf("auth: check password: %w", err)
	}
	stored, agentID := s.dummy, int64(0)
	if len(rows) > 0 {
		stored, agentID = rows[0].Hash, rows[0].ID
	}
	h, err := parsePHC(stored)
	if err != nil {
		// Never one we wrote: say so, and check the dummy so that the time tells nothing.
		s.log.ErrorContext(ctx, "auth: stored password hash does not parse", slog.Int64("agent", agentID), slog.Any("err", err))
		h, _ = parsePHC(s.dummy)
		agentID = 0
	}
	if len(password) > maxPasswordBytes {
		// Never right (SetPassword refuses it), but checked as slowly as any other.
		password, agentID = password[:maxPasswordBytes], 0
	}
	if err := s.acquire(ctx); err != nil {
		return 0, err
	}
	ok := h.matches(password)
	s.release()
	if !ok || agentID == 0 {
		s.log.InfoContext(ctx, "auth: sign-in refused", slog.String("address", addr), slog.String("client", cl))
		return 0, ErrBadCredentials
	}
	// Right: this attempt does not count as a failure. (Failures before it still do: a
	// success by the agent must not give a guesser a fresh allowance.)
	if err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return s.db.Exec(ctx, tx, s.qs.AttemptForget, attempt)
	}); err != nil {
		return 0, fmt.Errorf("auth: check password: %w", err)
	}
	if h.params != s.argon {
		s.rehash(ctx, agentID, stored, password)
	}
	return agentID, nil
}

// rehash replaces a hash made at another cost by one at the current cost. Failing only costs the
// upgrade: it is logged, the sign-in stands.
func (s *Service) rehash(ctx context.Context, agentID int64, old, password string) {
	h, err := s.hash(ctx, password)
	if err == nil {
		err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
			return s.db.Exec(ctx, tx, s.qs.PasswordRehash, h, s.now(), agentID, old)
		})
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.WarnContext(ctx, "auth: password rehash", slog.Int64("agent", agentID), slog.Any("err", err))
	}
}
