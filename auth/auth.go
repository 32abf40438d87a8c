// Package auth signs agents in to the web inbox: passwords (argon2id), one-time sign-in links
// mailed to them, and browser sessions. Agents are the global rows of tickets' agents table, each
// with a role per property; a session shows the agent's properties as they are now, and ends as
// soon as they changed since sign-in (a role changed, a property added or removed), or the agent
// was removed.
//
// Nothing stored lets anyone in: passwords are argon2id hashes (PHC strings), cookie values and
// link tokens are kept only as their SHA-256. Failed passwords and link requests are counted in
// the database, so every instance sharing it applies the same limits: per address (an attacker
// guessing one agent's password, or mailing them links) and per client (one address guessing
// many). Over a limit, even the right password is refused with a *RateLimitError.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/postdesk/postdesk/db"
)

// Config configures a Service. Zero fields take their defaults.
type Config struct {
	Now     func() time.Time // default time.Now
	Log     *slog.Logger
	IdleTTL time.Duration // a session unused this long ends; default 7*24h
	MaxTTL  time.Duration // a session ends this long after sign-in, used or not; default 30*24h
	LinkTTL time.Duration // a sign-in link is valid this long; default 15*time.Minute
	// Argon2 cost; zero values: the production defaults (DefaultArgonTime, DefaultArgonMemoryKiB:
	// about 50 ms on one core). Tests may set a lighter cost.
	ArgonTime, ArgonMemoryKiB uint32
}

// Defaults of Config.
const (
	DefaultIdleTTL = 7 * 24 * time.Hour
	DefaultMaxTTL  = 30 * 24 * time.Hour
	DefaultLinkTTL = 15 * time.Minute
	// DefaultArgonTime and DefaultArgonMemoryKiB are the argon2id cost of a password hash: three
	// passes over 19 MiB, one lane (OWASP's minimum memory; about 50 ms on one core).
	DefaultArgonTime      = 3
	DefaultArgonMemoryKiB = 19 * 1024
)

// Membership is one property of a signed-in agent and the agent's role on it.
type Membership struct {
	PropertyID int64  `db:"property_id"`
	Slug       string `db:"slug"`
	Name       string `db:"name"`
	Role       string `db:"role"`
}

// Session is a signed-in browser.
type Session struct {
	ID          int64
	AgentID     int64
	Email, Name string
	CSRF        string       // the per-session CSRF token (see ValidCSRF)
	Memberships []Membership // the agent's properties now, ordered by slug
	CreatedAt   time.Time
	ExpiresAt   time.Time // the earlier of the idle and the absolute expiry, as of now
}

// ValidCSRF reports whether token is the session's CSRF token (in constant time).
func (s Session) ValidCSRF(token string) bool {
	return s.CSRF != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) == 1
}

// Errors. Each is matched with errors.Is.
var (
	ErrBadCredentials = errors.New("auth: wrong address or password")
	ErrRateLimited    = errors.New("auth: too many attempts")
	ErrNoSession      = errors.New("auth: no session")
	ErrBadLink        = errors.New("auth: the sign-in link is unknown, used or expired")
	ErrWeakPassword   = fmt.Errorf("auth: a password has at least %d characters and at most %d bytes", minPasswordChars, maxPasswordBytes)
	ErrNotFound       = errors.New("auth: not found")
)

// RateLimitError is a refusal because of too many attempts: errors.Is(err, ErrRateLimited) holds,
// and RetryAfter says how long until an attempt may succeed. The Service returns a
// *RateLimitError; errors.As finds it as either a *RateLimitError or a RateLimitError.
type RateLimitError struct{ RetryAfter time.Duration }

func (e RateLimitError) Error() string {
	return fmt.Sprintf("%v: retry after %s", ErrRateLimited, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// As lets errors.As(err, &v) with v a RateLimitError find a *RateLimitError.
func (e *RateLimitError) As(target any) bool {
	if t, ok := target.(*RateLimitError); ok {
		*t = *e
		return true
	}
	return false
}

// tokenBytes is the size of every random secret: cookie values, link tokens, CSRF tokens.
const tokenBytes = 32

// tokenLen is the length of such a secret as text (base64url, unpadded).
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// newToken returns 32 bytes from crypto/rand as base64url (unpadded).
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// wellFormed reports whether s could be a token newToken made: checked before any query.
func wellFormed(s string) bool {
	if len(s) != tokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}

// hashToken is what the database keeps of a token: the hex SHA-256 of its text.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// sameHash compares two stored hashes in constant time.
func sameHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

//go:embed queries/*.sql
var queryFiles embed.FS

// queries are the package's named statements (queries/auth.sql), as run on one engine.
type queries struct {
	AgentByEmail      string `query:"auth-agent-by-email"`
	AgentByID         string `query:"auth-agent-by-id"`
	PasswordByEmail   string `query:"auth-password-by-email"`
	PasswordSet       string `query:"auth-password-set"`
	PasswordRehash    string `query:"auth-password-rehash"`
	Memberships       string `query:"auth-memberships"`
	Lock              string `query:"auth-lock"` // PostgreSQL only
	AttemptsByAddress string `query:"auth-attempts-by-address"`
	AttemptsByClient  string `query:"auth-attempts-by-client"`
	AttemptAdd        string `query:"auth-attempt-add"`
	AttemptForget     string `query:"auth-attempt-forget"`
	LinkAdd           string `query:"auth-link-add"`
	LinkUse           string `query:"auth-link-use"`
	SessionAdd        string `query:"auth-session-add"`
	SessionByHash     string `query:"auth-session-by-hash"`
	SessionSeen       string `query:"auth-session-seen"`
	SessionDelete     string `query:"auth-session-delete"`
	SessionEnd        string `query:"auth-session-end"`
	SessionsEndAgent  string `query:"auth-sessions-end-agent"`
	PruneSessions     string `query:"auth-prune-sessions"`
	PruneLinks        string `query:"auth-prune-links"`
	PruneAttempts     string `query:"auth-prune-attempts"`
}

// Service signs agents in. It is safe for concurrent use.
type Service struct {
	db  *db.DB
	qs  queries
	cfg Config
	log *slog.Logger
	// argon is the cost of new hashes; dummy is a hash of that cost that no password matches,
	// checked for an unknown address so that it takes the time a known one takes.
	argon params
	dummy string
	// hashing bounds the argon2id computations running at once: each holds ArgonMemoryKiB, and a
	// flood of sign-ins must not take all the memory.
	hashing chan struct{}
}

// Open returns the service over d (migrated: see db.Open), every statement prepared: a broken
// query fails here, at start.
func Open(ctx context.Context, d *db.DB, cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.IdleTTL <= 0 {
		cfg.IdleTTL = DefaultIdleTTL
	}
	if cfg.MaxTTL <= 0 {
		cfg.MaxTTL = DefaultMaxTTL
	}
	if cfg.LinkTTL <= 0 {
		cfg.LinkTTL = DefaultLinkTTL
	}
	if cfg.ArgonTime == 0 {
		cfg.ArgonTime = DefaultArgonTime
	}
	if cfg.ArgonMemoryKiB == 0 {
		cfg.ArgonMemoryKiB = DefaultArgonMemoryKiB
	}
	s := &Service{db: d, cfg: cfg, log: cfg.Log,
		argon:   params{Memory: cfg.ArgonMemoryKiB, Time: cfg.ArgonTime, Threads: 1},
		hashing: make(chan struct{}, max(4, 2*runtime.NumCPU()))}
	if err := s.argon.check(); err != nil {
		return nil, fmt.Errorf("auth: argon2 cost: %w", err)
	}
	if err := db.LoadQueriesDir(queryFiles, "queries", d.Dialect, &s.qs); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if err := d.PrepareAll(ctx, &s.qs); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	dummy, err := newToken()
	if err != nil {
		return nil, err
	}
	if s.dummy, err = s.hash(ctx, dummy); err != nil {
		return nil, err
	}
	return s, nil
}

// now is the clock at the precision both engines store (UTC, microseconds): a finer time would
// compare unequal to itself once read back.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

type agentRow struct {
	ID    int64  `db:"id"`
	Email string `db:"email"`
	Name  string `db:"name"`
}

// memberships reads the agent's properties now, by slug.
func (s *Service) memberships(ctx context.Context, agentID int64) ([]Membership, error) {
	ms := []Membership{}
	if err := s.db.Select(ctx, nil, &ms, s.qs.Memberships, agentID); err != nil {
		return nil, fmt.Errorf("auth: memberships: %w", err)
	}
	return ms, nil
}
