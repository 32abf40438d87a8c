package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotSQLite is returned by the backup functions for a PostgreSQL database: its backups are
// pg_dump's.
var ErrNotSQLite = errors.New("db: not a SQLite database")

// IsPostgres reports whether dsn names a PostgreSQL database (anything else is a SQLite file).
func IsPostgres(dsn string) bool {
	dsn = strings.TrimSpace(dsn)
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// KnownVersion is the schema version this program's migrations bring a database to.
func KnownVersion(d Dialect) (int, error) {
	ms, err := loadMigrations(d)
	if err != nil {
		return 0, err
	}
	return len(ms), nil
}

// OpenExisting opens the database named by dsn without migrating it: it must exist and be a
// postdesk database no newer than this program (a backup of a running daemon must not change
// the schema under it).
func OpenExisting(ctx context.Context, dsn string) (*DB, error) {
	if !IsPostgres(dsn) {
		if _, err := os.Stat(strings.TrimSpace(dsn)); err != nil {
			return nil, fmt.Errorf("db: no database at %s: %w", dsn, err)
		}
	}
	d, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	v, err := d.Version(ctx)
	if err == nil {
		err = checkVersion(d.Dialect, v)
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("db: %s: %w", d.DSN, err)
	}
	return d, nil
}

func checkVersion(d Dialect, v int) error {
	known, err := KnownVersion(d)
	if err != nil {
		return err
	}
	if v < 1 {
		return errors.New("not a postdesk database (no schema version)")
	}
	if v > known {
		return fmt.Errorf("schema version %d is newer than this postdesk knows (%d): upgrade postdesk", v, known)
	}
	return nil
}

// Backup writes a consistent copy of the SQLite database to path (VACUUM INTO: one read
// transaction, so the daemon goes on writing meanwhile) and checks the copy. path must not
// exist; the copy is written beside it and renamed into place only when complete, readable by
// its owner alone: it holds the server secret.
func (d *DB) Backup(ctx context.Context, path string) (version int, err error) {
	if d.Dialect != SQLite {
		return 0, ErrNotSQLite
	}
	if _, err := os.Lstat(path); err == nil {
		return 0, fmt.Errorf("db: backup: %s exists", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("db: backup: %w", err)
	}
	name := tmp.Name()
	tmp.Close() // VACUUM INTO writes into an empty file
	defer func() {
		if err != nil {
			os.Remove(name)
		}
	}()
	if _, err := d.ExecContext(ctx, `VACUUM INTO ?`, name); err != nil {
		return 0, fmt.Errorf("db: backup: %w", err)
	}
	if version, err = Inspect(ctx, name); err != nil {
		return 0, fmt.Errorf("db: backup: the copy: %w", err)
	}
	if err := syncFile(name); err != nil {
		return 0, fmt.Errorf("db: backup: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		return 0, fmt.Errorf("db: backup: %w", err)
	}
	return version, nil
}

// Inspect checks that the SQLite file at path is a whole postdesk database this program can
// open (a SQLite file, its integrity checked, a schema version not newer than this program's),
// without changing it, and reports its schema version.
func Inspect(ctx context.Context, path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	head := make([]byte, 16)
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || !bytes.Equal(head, []byte("SQLite format 3\x00")) {
		return 0, fmt.Errorf("%s is not a SQLite database", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, err
	}
	// Read-only and immutable: no lock, no journal, no -wal file beside it.
	x, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro&immutable=1"}).String())
	if err != nil {
		return 0, err
	}
	defer x.Close()
	var check string
	if err := x.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if check != "ok" {
		return 0, fmt.Errorf("%s is damaged: %s", path, check)
	}
	var v int
	if err := x.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("%s is not a postdesk database (no schema version)", path)
	}
	if err := checkVersion(SQLite, v); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// Restore copies the SQLite backup at from to path, after Inspect has accepted it. An existing
// database at path is replaced only with force — with its -wal and -shm files, which belong to
// the database being replaced. No postdesk may have path open meanwhile. The copy is written
// beside path and renamed into place only when complete.
func Restore(ctx context.Context, from, path string, force bool) (version int, err error) {
	if IsPostgres(path) {
		return 0, ErrNotSQLite
	}
	if version, err = Inspect(ctx, from); err != nil {
		return 0, fmt.Errorf("db: restore: %w", err)
	}
	if _, err := os.Lstat(path); err == nil && !force {
		return 0, fmt.Errorf("db: restore: a database exists at %s (stop postdesk, and give --force to replace it)", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return 0, fmt.Errorf("db: restore: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("db: restore: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	src, err := os.Open(from)
	if err != nil {
		tmp.Close()
		return 0, fmt.Errorf("db: restore: %w", err)
	}
	_, err = io.Copy(tmp, src)
	src.Close()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("db: restore: %w", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("db: restore: %w", err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("db: restore: %w", err)
	}
	return version, nil
}

func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
