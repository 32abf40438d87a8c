package mailbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/seal"
)

// Store keeps mailboxes in the database. It is safe for concurrent use.
type Store struct {
	db  *db.DB
	key seal.Key
	now func() time.Time
	qs  queries
	// signInNeeded tells the admins when a grant starts needing sign-in (WithSignInNeeded).
	signInNeeded SignInNeededFunc
	signInAfter  func()
}

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store read time from now (leases and the first-poll rule are tested with it).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// NewStore returns a store over d. serverSecret (tickets.Store.Secret) is what passwords are sealed
// under: a database restored without its settings table cannot reveal them, nor poll.
//
// Its statements are prepared on first use; NewStore panics when the embedded queries do not load,
// which they always do (TestQueriesPrepareOnEveryEngine). Open prepares them.
func NewStore(d *db.DB, serverSecret []byte, opts ...Option) *Store {
	s, err := newStore(d, queryFiles, serverSecret, opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Open is NewStore with every statement prepared: a broken query fails here, at start.
func Open(ctx context.Context, d *db.DB, serverSecret []byte, opts ...Option) (*Store, error) {
	return openStore(ctx, d, queryFiles, serverSecret, opts...)
}

func openStore(ctx context.Context, d *db.DB, files fs.FS, serverSecret []byte, opts ...Option) (*Store, error) {
	s, err := newStore(d, files, serverSecret, opts...)
	if err != nil {
		return nil, err
	}
	if err := d.PrepareAll(ctx, &s.qs); err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	return s, nil
}

func newStore(d *db.DB, files fs.FS, serverSecret []byte, opts ...Option) (*Store, error) {
	qs, err := loadQueries(files, d.Dialect)
	if err != nil {
		return nil, err
	}
	s := &Store{db: d, key: seal.NewKey(serverSecret, keyInfo), now: time.Now, qs: qs}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Now is the store's clock in UTC at the database's precision: SQLite keeps times as text, so a
// time written with more precision would not compare equal to itself read back.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Add stores a new mailbox, its password sealed.
func (s *Store) Add(ctx context.Context, n New) (Mailbox, error) {
	if err := n.Normalise(); err != nil {
		return Mailbox{}, err
	}
	if n.PropertyID == 0 {
		return Mailbox{}, fmt.Errorf("%w: no property", ErrInvalid)
	}
	sealed, grant := []byte{}, (*int64)(nil)
	if n.OAuth {
		if n.GrantID == 0 {
			return Mailbox{}, fmt.Errorf("%w: no OAuth2 grant", ErrInvalid)
		}
		grant = &n.GrantID
	} else {
		var err error
		if sealed, err = s.key.Seal([]byte(n.Password), aad(n.Host, n.Username)); err != nil {
			return Mailbox{}, err
		}
	}
	var since *time.Time
	if n.Since != nil {
		t := n.Since.UTC().Truncate(time.Microsecond)
		since = &t
	}
	var id int64
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return s.db.Get(ctx, tx, &id, s.qs.Insert,
			n.PropertyID, n.Host, n.Port, n.TLS, n.Username, sealed, n.Folder, n.After, since, s.Now(), grant)
	})
	if db.IsUniqueViolation(err) {
		return Mailbox{}, fmt.Errorf("%w: %s@%s/%s is already polled for this property", ErrExists, n.Username, n.Host, n.Folder)
	}
	if err != nil {
		return Mailbox{}, fmt.Errorf("mailbox: add: %w", err)
	}
	return s.Get(ctx, id)
}

// Get reads one mailbox.
func (s *Store) Get(ctx context.Context, id int64) (Mailbox, error) {
	var ms []Mailbox
	if err := s.db.Select(ctx, nil, &ms, s.qs.ByID, id); err != nil {
		return Mailbox{}, fmt.Errorf("mailbox: get %d: %w", id, err)
	}
	if len(ms) == 0 {
		return Mailbox{}, fmt.Errorf("%w: mailbox %d", ErrNotFound, id)
	}
	return ms[0].utc(), nil
}

// List reads a property's mailboxes, or every mailbox when propertyID is 0, oldest first.
func (s *Store) List(ctx context.Context, propertyID int64) ([]Mailbox, error) {
	q, args := s.qs.All, []any{}
	if propertyID != 0 {
		q, args = s.qs.OfProperty, []any{propertyID}
	}
	var ms []Mailbox
	if err := s.db.Select(ctx, nil, &ms, q, args...); err != nil {
		return nil, fmt.Errorf("mailbox: list: %w", err)
	}
	for i := range ms {
		ms[i] = ms[i].utc()
	}
	return ms, nil
}

func (m Mailbox) utc() Mailbox {
	m.Paused = m.LeaseOwner == PausedOwner
	for _, t := range []*time.Time{m.Since, m.LastPollAt, m.LeaseUntil, &m.CreatedAt, m.SignInNeededAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
	return m
}

// Password opens m's sealed password.
func (s *Store) Password(m Mailbox) (string, error) {
	pt, err := s.key.Open(m.Secret, aad(m.Host, m.Username))
	if errors.Is(err, seal.ErrDamaged) {
		return "", fmt.Errorf("mailbox: the stored password is damaged")
	}
	if err != nil {
		// Wrong server secret (a restored database without its settings row?) or a damaged row.
		return "", fmt.Errorf("mailbox: the stored password does not open with this server's secret")
	}
	return string(pt), nil
}

// Claim takes or renews the lease on a mailbox for owner until ttl from now, and reports whether
// owner holds it. A lease is free when nobody holds it or its holder let it expire (it died, or
// lost the database): one conditional UPDATE, which both engines run atomically, decides.
func (s *Store) Claim(ctx context.Context, id int64, owner string, ttl time.Duration) (bool, error) {
	now := s.Now()
	ids, err := s.update(ctx, false, s.qs.Claim,
		owner, now.Add(ttl), id, now, owner)
	if err != nil {
		return false, fmt.Errorf("mailbox: claim %d: %w", id, err)
	}
	return len(ids) > 0, nil
}

// Release gives up owner's lease, so another instance need not wait for it to expire.
func (s *Store) Release(ctx context.Context, id int64, owner string) error {
	if _, err := s.update(ctx, false, s.qs.Release, id, owner); err != nil {
		return fmt.Errorf("mailbox: release %d: %w", id, err)
	}
	return nil
}

// Checkpoint is where the import of a mailbox stands: every message of the folder with UIDVALIDITY
// UIDValidity and a UID up to LastUID is done. Of the UIDs up to ScanUntil (the messages that were
// there when the import started), only those received since Since are imported.
type Checkpoint struct {
	UIDValidity uint32
	LastUID     uint32
	ScanUntil   uint32
	Since       time.Time
}

// Checkpoint returns m's checkpoint (zero UIDValidity: never polled).
func (m Mailbox) Checkpoint() Checkpoint {
	c := Checkpoint{UIDValidity: uint32(m.UIDValidity), LastUID: uint32(m.LastUID), ScanUntil: uint32(m.ScanUntil)}
	if m.Since != nil {
		c.Since = *m.Since
	}
	return c
}

// Restart records a new starting point: on the first poll, or when the server changed UIDVALIDITY
// and every UID it gave before means nothing any more (RFC 9051 §2.3.1.1).
func (s *Store) Restart(ctx context.Context, id int64, owner string, c Checkpoint) error {
	ids, err := s.update(ctx, false, s.qs.Restart,
		int64(c.UIDValidity), int64(c.LastUID), int64(c.ScanUntil), c.Since.UTC().Truncate(time.Microsecond), id, owner)
	if err != nil {
		return fmt.Errorf("mailbox: restart %d: %w", id, err)
	}
	if len(ids) == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Advance moves the checkpoint forward to lastUID (never back) and counts imported messages, if
// owner still holds the lease and the checkpoint is still for uidValidity. Concurrent deliveries
// share its commit on SQLite (group commit).
func (s *Store) Advance(ctx context.Context, id int64, owner string, uidValidity, lastUID uint32, imported int, backlog int64) error {
	ids, err := s.update(ctx, true, s.qs.Advance,
		int64(lastUID), int64(lastUID), imported, backlog, id, owner, int64(uidValidity))
	if err != nil {
		return fmt.Errorf("mailbox: checkpoint %d: %w", id, err)
	}
	if len(ids) == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Polled records the outcome of a poll for `mailbox status`: when, what went wrong ("" for
// nothing), and how many messages wait (negative: unknown, left as it was).
func (s *Store) Polled(ctx context.Context, id int64, owner string, backlog int64, pollErr error) error {
	msg := ""
	if pollErr != nil {
		msg = pollErr.Error()
	}
	q := s.qs.Polled
	args := []any{s.Now(), msg, backlog, id, owner}
	if backlog < 0 {
		q = s.qs.PolledBacklogUnknown
		args = []any{s.Now(), msg, id, owner}
	}
	ids, err := s.update(ctx, false, q, args...)
	if err != nil {
		return fmt.Errorf("mailbox: record poll %d: %w", id, err)
	}
	if len(ids) == 0 {
		return ErrLeaseLost
	}
	return nil
}

// update runs a fixed UPDATE … RETURNING id in a transaction of its own, or in a shared one
// (batch: SQLite's group commit).
func (s *Store) update(ctx context.Context, batch bool, q string, args ...any) ([]int64, error) {
	var ids []int64
	run := s.db.Tx
	if batch {
		run = s.db.Batch
	}
	err := run(ctx, func(tx *sqlx.Tx) error {
		ids = ids[:0]
		return s.db.Select(ctx, tx, &ids, q, args...)
	})
	return ids, err
}
