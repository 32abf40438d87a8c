package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// typeNames are the only places the engines' SQL differs in the schema.
var typeNames = map[Dialect]*strings.Replacer{
	SQLite:   strings.NewReplacer("{{pk}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{{blob}}", "BLOB", "{{ts}}", "TIMESTAMP"),
	Postgres: strings.NewReplacer("{{pk}}", "BIGSERIAL PRIMARY KEY", "{{blob}}", "BYTEA", "{{ts}}", "TIMESTAMPTZ"),
}

// loadMigrations reads the migrations for dialect d. A migration is one file NNNN_name.sql, or,
// where the engines need different SQL, a pair NNNN_name.sqlite.sql and NNNN_name.postgres.sql of
// which only d's applies. Every version from 1 up is there exactly once for every engine.
func loadMigrations(d Dialect) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return selectMigrations(names, d, func(name string) ([]byte, error) {
		return migrationFiles.ReadFile("migrations/" + name)
	})
}

// migrationDialects are the engines a migration file may be restricted to.
var migrationDialects = []Dialect{SQLite, Postgres}

// parseMigrationName splits NNNN_name[.dialect].sql into its version and dialect ("" for all).
func parseMigrationName(name string) (int, Dialect, error) {
	bad := fmt.Errorf("db: migration %q is not named NNNN_name.sql or NNNN_name.{sqlite,postgres}.sql", name)
	num, rest, ok := strings.Cut(name, "_")
	v, err := strconv.Atoi(num)
	if !ok || err != nil || v < 1 {
		return 0, "", bad
	}
	base, ok := strings.CutSuffix(rest, ".sql")
	if !ok || base == "" {
		return 0, "", bad
	}
	for _, d := range migrationDialects {
		if b, ok := strings.CutSuffix(base, "."+string(d)); ok {
			if b == "" {
				return 0, "", bad
			}
			return v, d, nil
		}
	}
	if strings.Contains(base, ".") {
		return 0, "", bad // a dialect we do not know, or a typo: never silently skipped
	}
	return v, "", nil
}

// selectMigrations picks dialect d's migrations among the file names and reads them with read.
func selectMigrations(names []string, d Dialect, read func(string) ([]byte, error)) ([]migration, error) {
	type files struct {
		common  string
		dialect map[Dialect]string
	}
	byVersion := map[int]*files{}
	for _, name := range names {
		v, dia, err := parseMigrationName(name)
		if err != nil {
			return nil, err
		}
		f := byVersion[v]
		if f == nil {
			f = &files{dialect: map[Dialect]string{}}
			byVersion[v] = f
		}
		if dia == "" {
			if f.common != "" {
				return nil, fmt.Errorf("db: migrations %s and %s have the same number", f.common, name)
			}
			f.common = name
		} else {
			if prev := f.dialect[dia]; prev != "" {
				return nil, fmt.Errorf("db: migrations %s and %s have the same number", prev, name)
			}
			f.dialect[dia] = name
		}
	}
	var ms []migration
	for v, f := range byVersion {
		name := f.common
		if len(f.dialect) > 0 {
			if f.common != "" {
				return nil, fmt.Errorf("db: migration %d is both %s and engine-specific files", v, f.common)
			}
			for _, dia := range migrationDialects {
				if f.dialect[dia] == "" {
					return nil, fmt.Errorf("db: migration %d has no file for %s", v, dia)
				}
			}
			name = f.dialect[d]
		}
		b, err := read(name)
		if err != nil {
			return nil, fmt.Errorf("db: read migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: typeNames[d].Replace(string(b))})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("db: migrations must be numbered 1, 2, 3…; found %s at position %d", m.name, i+1)
		}
	}
	return ms, nil
}

// Migrate applies every pending migration, each in its own transaction together with the new schema
// version, so a failure leaves the database at the last complete version. On PostgreSQL an advisory
// lock keeps two instances starting at once from migrating together.
func (d *DB) Migrate(ctx context.Context) error {
	ms, err := loadMigrations(d.Dialect)
	if err != nil {
		return err
	}
	conn, err := d.Connx(ctx)
	if err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	defer conn.Close()
	if d.Dialect == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7142001)`); err != nil {
			return fmt.Errorf("db: migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7142001)`)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("db: migrate: create schema_version: %w", err)
	}
	current, err := schemaVersion(ctx, conn)
	if err != nil {
		return err
	}
	if current > len(ms) {
		return fmt.Errorf("db: the database is at schema version %d, newer than this postdesk knows (%d): upgrade postdesk", current, len(ms))
	}
	for _, m := range ms[current:] {
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return fmt.Errorf("db: migrate %s: begin: %w", m.name, err)
		}
		if err := applyMigration(ctx, tx, m, current == 0 && m.version == 1); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("db: migrate %s: commit: %w", m.name, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, tx *sqlx.Tx, m migration, first bool) error {
	for _, stmt := range splitStatements(m.sql) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("db: migrate %s: %w", m.name, err)
		}
	}
	q := `UPDATE schema_version SET version = ?`
	if first {
		q = `INSERT INTO schema_version (version) VALUES (?)`
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), m.version); err != nil {
		return fmt.Errorf("db: migrate %s: record version: %w", m.name, err)
	}
	return nil
}

func schemaVersion(ctx context.Context, conn *sqlx.Conn) (int, error) {
	var v []int
	if err := conn.SelectContext(ctx, &v, `SELECT version FROM schema_version`); err != nil {
		return 0, fmt.Errorf("db: read schema version: %w", err)
	}
	if len(v) == 0 {
		return 0, nil
	}
	return v[0], nil
}

// Version reports the schema version the database is at.
func (d *DB) Version(ctx context.Context) (int, error) {
	conn, err := d.Connx(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return schemaVersion(ctx, conn)
}

// splitStatements splits a migration on semicolons that end a line, dropping comment lines. The
// migrations are ours, so this need not understand quoted semicolons. Two kinds of statement hold
// statements of their own and so semicolons that end lines inside them:
//   - a SQLite CREATE TRIGGER with a BEGIN … END body ends at a line that is just "END;"
//     (a PostgreSQL CREATE TRIGGER … EXECUTE FUNCTION f(); has no body and ends at its semicolon);
//   - a dollar-quoted body (PostgreSQL's CREATE FUNCTION … AS $$ … $$): a semicolon inside the
//     quotes ends nothing. Only the plain $$ quote is understood.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	trigger, body, dollar := false, false, false
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if !dollar && (t == "" || strings.HasPrefix(t, "--")) {
			continue
		}
		if cur.Len() == 0 {
			// A statement's first line says whether it is a trigger: decided once, not by
			// rereading the statement at each line (quadratic: 5 s for 16000 lines).
			trigger = strings.HasPrefix(strings.ToUpper(t), "CREATE TRIGGER")
			body = false
		}
		if strings.Count(line, "$$")%2 == 1 {
			dollar = !dollar
		}
		if trigger && !body && hasWord(strings.ToUpper(t), "BEGIN") {
			body = true
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		end := strings.HasSuffix(t, ";")
		if body {
			end = strings.EqualFold(t, "END;")
		}
		if end && !dollar {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}

// hasWord reports whether upper (an uppercased line) holds w as a whole word.
func hasWord(upper, w string) bool {
	for i := 0; ; {
		j := strings.Index(upper[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isWordByte(upper[j-1])
		after := j+len(w) == len(upper) || !isWordByte(upper[j+len(w)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z'
}
