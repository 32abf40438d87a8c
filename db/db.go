// Package db opens postdesk's database — SQLite (embedded default) or PostgreSQL — and keeps its
// schema current. Both engines share one schema and one set of queries: portable SQL with `?`
// placeholders, rebound by sqlx for PostgreSQL.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names a database engine.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the database handle shared by every store. It embeds *sqlx.DB; use Rebind (or the
// helpers below) on every query written with `?` placeholders.
type DB struct {
	*sqlx.DB
	Dialect Dialect
	// DSN is the connection string with any password removed, for logs.
	DSN string

	// SQLite allows one writer. Writers of this process queue here rather than in SQLite's busy
	// handler, which sleeps and polls and so adds latency under load.
	writeMu sync.Mutex
	batch   committer
	stmts   sync.Map // query → *sqlx.Stmt
}

// ErrBadDSN is returned for a DSN that names no usable database.
var ErrBadDSN = errors.New("db: bad DSN")

// Open opens the database named by dsn and applies pending migrations. A dsn starting with
// postgres:// or postgresql:// selects PostgreSQL; anything else is a SQLite file path (its folder
// is created when missing). The empty dsn is rejected: callers supply the default.
func Open(ctx context.Context, dsn string) (*DB, error) {
	d, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func open(ctx context.Context, dsn string) (*DB, error) {
	dsn = strings.TrimSpace(dsn)
	if dsn == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadDSN)
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	if strings.Contains(dsn, "://") {
		return nil, fmt.Errorf("%w: %q is neither a postgres:// URL nor a file path", ErrBadDSN, redact(dsn))
	}
	return openSQLite(ctx, dsn)
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	if _, err := url.Parse(dsn); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadDSN, redact(dsn), err)
	}
	x, err := sqlx.Open("postgres", binaryParameters(dsn))
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", redact(dsn), err)
	}
	x.SetMaxOpenConns(40)
	x.SetMaxIdleConns(40)
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("db: connect to %s: %w", redact(dsn), err)
	}
	return &DB{DB: x, Dialect: Postgres, DSN: redact(dsn)}, nil
}

// binaryParameters switches on lib/pq's binary_parameters unless the DSN sets it: []byte arguments
// (raw messages, attachments) then go to the server as they are, where the text protocol first
// hex-encodes them into a copy twice their size.
func binaryParameters(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	if q.Has("binary_parameters") {
		return dsn
	}
	q.Set("binary_parameters", "yes")
	u.RawQuery = q.Encode()
	return u.String()
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("db: create folder for %s: %w", path, err)
		}
	}
	// WAL lets readers run beside the single writer; busy_timeout makes writers queue instead of
	// failing; _txlock=immediate takes the write lock at BEGIN so two writers never deadlock on a
	// lock upgrade; synchronous=NORMAL is durable across application crashes in WAL mode (only an
	// OS crash can lose the last transactions, never corrupt the file).
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_time_format", "sqlite")
	q.Set("_txlock", "immediate")
	x, err := sqlx.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	// One writer at a time is SQLite's model; a handful of connections serve concurrent readers.
	x.SetMaxOpenConns(8)
	x.SetMaxIdleConns(8)
	x.SetConnMaxLifetime(0)
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	return &DB{DB: x, Dialect: SQLite, DSN: path}, nil
}

// redact removes a password from a URL-shaped DSN.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Tx runs fn in a transaction, committing when fn returns nil and rolling back otherwise.
func (d *DB) Tx(ctx context.Context, fn func(*sqlx.Tx) error) error {
	if d.Dialect == SQLite {
		d.writeMu.Lock()
		defer d.writeMu.Unlock()
	}
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// IsRetryable reports whether err is PostgreSQL's answer to a deadlock (40P01) or a serialization
// failure (40001): the transaction was rolled back whole, and running it again may succeed.
func IsRetryable(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// txAttempts bounds TxRetry.
const txAttempts = 4

// TxRetry is Tx for work that may be run more than once — fn resets whatever it gathers at its
// start and has no effect outside the transaction. A transaction PostgreSQL rolled back to break
// a deadlock is run again, a few times, after a short random pause. Statements that change many
// tickets at once use it: the triggers counting tickets lock counter rows in the order the rows
// come, so two such transactions can deadlock; neither is lost.
func (d *DB) TxRetry(ctx context.Context, fn func(*sqlx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := d.Tx(ctx, fn)
		if err == nil || !IsRetryable(err) || attempt == txAttempts {
			return err
		}
		pause := time.Duration(1+rand.IntN(10*attempt)) * time.Millisecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

// IsUniqueViolation reports whether err is a unique-constraint violation on either engine.
func IsUniqueViolation(err error) bool {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsNoRows reports whether err means a query found nothing.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// IsBadValue reports whether err is the database refusing a value: PostgreSQL's data exceptions
// (class 22: a NUL byte or invalid UTF-8 in text, a number out of range…). Input checks should
// catch these first; this is the backstop that keeps them from looking like server faults.
func IsBadValue(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code.Class() == "22"
}
