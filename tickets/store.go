package tickets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/tickets/rules"
)

// Store keeps the domain in the database. It is safe for concurrent use.
type Store struct {
	db        *db.DB
	now       func() time.Time
	log       *slog.Logger
	hooks     []Hook
	numbering sync.Map // property IDs whose ticket number sequence is known to exist
	qs        queries

	searchBatch int // the search indexer's batch when not SearchIndexBatch (tests)
}

// Hook is called inside the transaction of every change that may cause mail (a delivery, a reply,
// an assignment…), so whatever it writes — outbox rows — commits or rolls back with the change.
type Hook interface {
	OnChange(ctx context.Context, tx *sqlx.Tx, c Change) error
}

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store read time from now (tests use it for the reopen window and snoozes).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithLogger sets the store's logger.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithHook adds a hook called in the transaction of every change.
func WithHook(h Hook) Option { return func(s *Store) { s.hooks = append(s.hooks, h) } }

// Open returns a store over d with every one of its statements prepared: a broken query fails
// here, at start, rather than the first time a rarely used path runs.
func Open(ctx context.Context, d *db.DB, opts ...Option) (*Store, error) {
	return open(ctx, d, queryFiles, opts...)
}

func open(ctx context.Context, d *db.DB, files fs.FS, opts ...Option) (*Store, error) {
	s, err := newStore(d, files, opts...)
	if err != nil {
		return nil, err
	}
	if err := d.PrepareAll(ctx, &s.qs); err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	return s, nil
}

// New returns a store over d whose statements are prepared on first use. It panics when the
// embedded queries do not load, which they always do (TestQueriesPrepareOnEveryEngine): they are
// fixed when the program is built, like a regexp.MustCompile. Prefer Open, which prepares them.
func New(d *db.DB, opts ...Option) *Store {
	s, err := newStore(d, queryFiles, opts...)
	if err != nil {
		panic(err)
	}
	return s
}

func newStore(d *db.DB, files fs.FS, opts ...Option) (*Store, error) {
	qs, err := loadQueries(files, d.Dialect)
	if err != nil {
		return nil, err
	}
	s := &Store{db: d, now: time.Now, log: slog.New(slog.DiscardHandler), qs: qs}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// AddHook registers a hook; call it while wiring, before the store is used.
func (s *Store) AddHook(h Hook) { s.hooks = append(s.hooks, h) }

// DB returns the underlying database.
func (s *Store) DB() *db.DB { return s.db }

// Now is the store's clock, in UTC at the database's precision (microseconds).
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Secret returns the server secret, generating and storing it on first use. Several instances
// starting at once agree on one: the first insert wins and everybody reads it back.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("tickets: generate secret: %w", err)
	}
	if err := s.db.Exec(ctx, nil, s.qs.SettingSecretInsert, hex.EncodeToString(b)); err != nil {
		return nil, fmt.Errorf("tickets: store secret: %w", err)
	}
	var v string
	if err := s.db.Get(ctx, nil, &v, s.qs.SettingSecret); err != nil {
		return nil, fmt.Errorf("tickets: read secret: %w", err)
	}
	secret, err := hex.DecodeString(v)
	if err != nil || len(secret) < 16 {
		return nil, fmt.Errorf("tickets: the stored server secret is damaged")
	}
	return secret, nil
}

// normEmail is how addresses are compared everywhere (see rules.Norm).
func normEmail(e string) string { return rules.Norm(e) }

// addEvent appends to a ticket's log.
func (s *Store) addEvent(ctx context.Context, tx *sqlx.Tx, ticketID int64, kind string, actor Actor, detail string, at time.Time) error {
	err := s.db.Exec(ctx, tx, s.qs.EventAdd,
		ticketID, kind, actor, detail, at)
	if err != nil {
		return fmt.Errorf("tickets: add event %s: %w", kind, err)
	}
	return nil
}

func (s *Store) runHooks(ctx context.Context, tx *sqlx.Tx, c Change) error {
	for _, h := range s.hooks {
		if err := h.OnChange(ctx, tx, c); err != nil {
			return err
		}
	}
	return nil
}
