package db

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"strings"
)

// Named queries, listmonk/Libredesk style: a package keeps its fixed SQL in embedded .sql files,
// each statement after a line "-- name: ticket-by-id" (optionally followed by "-- engine: postgres"
// or "-- engine: sqlite" for the rare statement one engine cannot run), and binds them to the string
// fields of a struct tagged `query:"ticket-by-id"`. Loading checks that the files and the struct
// agree, and PrepareAll prepares every statement, so a broken query fails at start, not the first
// time a rarely used path runs in production.

type namedQuery struct {
	name, engine, sql, file string
}

// parseQueries reads the named statements of every .sql file of fsys (sorted by path).
func parseQueries(fsys fs.FS) ([]namedQuery, error) {
	paths, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("db: queries: %w", err)
	}
	sort.Strings(paths)
	var out []namedQuery
	for _, p := range paths {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("db: queries: %w", err)
		}
		var cur *namedQuery
		var body strings.Builder
		flush := func() {
			if cur != nil {
				cur.sql = strings.TrimSpace(body.String())
				out = append(out, *cur)
			}
			body.Reset()
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Buffer(make([]byte, 0, 64*1024), len(b)+1)
		for line := 1; sc.Scan(); line++ {
			l := sc.Text()
			t := strings.TrimSpace(l)
			if v, ok := strings.CutPrefix(t, "-- name:"); ok {
				flush()
				cur = &namedQuery{name: strings.TrimSpace(v), file: p}
				if cur.name == "" {
					return nil, fmt.Errorf("db: queries: %s:%d: a name is empty", p, line)
				}
				continue
			}
			if v, ok := strings.CutPrefix(t, "-- engine:"); ok && cur != nil && strings.TrimSpace(body.String()) == "" {
				cur.engine = strings.TrimSpace(v)
				if cur.engine != string(SQLite) && cur.engine != string(Postgres) {
					return nil, fmt.Errorf("db: queries: %s:%d: engine %q: sqlite or postgres", p, line, cur.engine)
				}
				continue
			}
			if cur == nil {
				if t != "" && !strings.HasPrefix(t, "--") {
					return nil, fmt.Errorf("db: queries: %s:%d: SQL comes before any -- name line", p, line)
				}
				continue
			}
			if strings.HasPrefix(t, "--") {
				continue // a comment: kept out of the statement, so its text is only the SQL
			}
			body.WriteString(l)
			body.WriteByte('\n')
		}
		flush()
	}
	return out, nil
}

// LoadQueriesDir is LoadQueries over the folder dir of files: a package's embedded "queries".
func LoadQueriesDir(files fs.FS, dir string, dialect Dialect, dest any) error {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		return fmt.Errorf("db: queries: %w", err)
	}
	return LoadQueries(sub, dialect, dest)
}

// LoadQueries fills the `query:"name"` string fields of the struct dest points to with the
// statements of the .sql files of fsys, as run on dialect (a field whose statement is only for the
// other engine stays ""). It fails on a field whose name no file has, on a name given twice, on an
// empty statement, and on a name of the files no field takes.
func LoadQueries(fsys fs.FS, dialect Dialect, dest any) error {
	qs, err := parseQueries(fsys)
	if err != nil {
		return err
	}
	// name → engine ("" for both) → query
	byName := map[string]map[string]namedQuery{}
	for _, q := range qs {
		if q.sql == "" {
			return fmt.Errorf("db: queries: %s: %q has no SQL", q.file, q.name)
		}
		m := byName[q.name]
		if m == nil {
			m = map[string]namedQuery{}
			byName[q.name] = m
		}
		if prev, dup := m[q.engine]; dup {
			return fmt.Errorf("db: queries: %q is defined twice (%s and %s)", q.name, prev.file, q.file)
		}
		_, shared := m[""]
		if (q.engine == "" && len(m) > 0) || (q.engine != "" && shared) {
			return fmt.Errorf("db: queries: %q is both shared and engine-specific (%s)", q.name, q.file)
		}
		m[q.engine] = q
	}
	fields, err := queryFields(dest)
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, f := range fields {
		m, ok := byName[f.name]
		if !ok {
			return fmt.Errorf("db: queries: no query %q in the files", f.name)
		}
		// A statement only the other engine has leaves the field empty: the code that runs it
		// runs on that engine only (PostgreSQL's large objects, SQLite's FTS5).
		q, ok := m[""]
		if !ok {
			q = m[string(dialect)]
		}
		if used[f.name] {
			return fmt.Errorf("db: queries: two fields take %q", f.name)
		}
		used[f.name] = true
		f.v.SetString(q.sql)
	}
	var unused []string
	for name := range byName {
		if !used[name] {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return fmt.Errorf("db: queries: no field takes %s", strings.Join(unused, ", "))
	}
	return nil
}

type queryField struct {
	name string
	v    reflect.Value
}

func queryFields(dest any) ([]queryField, error) {
	v := reflect.ValueOf(dest)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("db: queries: %T is not a pointer to a struct", dest)
	}
	v = v.Elem()
	var out []queryField
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		name, ok := f.Tag.Lookup("query")
		if !ok {
			continue
		}
		if f.Type.Kind() != reflect.String || !f.IsExported() {
			return nil, fmt.Errorf("db: queries: field %s: an exported string takes a query", f.Name)
		}
		out = append(out, queryField{name: name, v: v.Field(i)})
	}
	return out, nil
}

// PrepareAll prepares every statement of a loaded set (see LoadQueries) into the statement cache
// that Exec, Get and Select use, failing with the name of the first that does not prepare.
func (d *DB) PrepareAll(ctx context.Context, set any) error {
	fields, err := queryFields(set)
	if err != nil {
		return err
	}
	for _, f := range fields {
		if f.v.String() == "" {
			continue // the other engine's
		}
		if _, err := d.prepare(ctx, f.v.String()); err != nil {
			return fmt.Errorf("db: query %q: %w", f.name, err)
		}
	}
	return nil
}
