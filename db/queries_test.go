package db_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

type testSet struct {
	Get    string `query:"setting-get"`
	Put    string `query:"setting-put"`
	Engine string `query:"engine-name"`
}

const goodSQL = `-- Settings, for the test.
-- name: setting-get
-- a comment inside is not part of the statement
SELECT value FROM settings WHERE name = ?

-- name: setting-put
INSERT INTO settings (name, value) VALUES (?, ?)
`

const engineSQL = `-- name: engine-name
-- engine: sqlite
SELECT sqlite_version()

-- name: engine-name
-- engine: postgres
SELECT version()
`

func files(m map[string]string) fstest.MapFS {
	fs := fstest.MapFS{}
	for k, v := range m {
		fs[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return fs
}

func TestLoadQueriesBindsNamedStatements(t *testing.T) {
	var s testSet
	if err := db.LoadQueries(files(map[string]string{"a.sql": goodSQL, "b.sql": engineSQL}), db.Postgres, &s); err != nil {
		t.Fatal(err)
	}
	if s.Get != "SELECT value FROM settings WHERE name = ?" {
		t.Errorf("setting-get = %q", s.Get)
	}
	if s.Put != "INSERT INTO settings (name, value) VALUES (?, ?)" {
		t.Errorf("setting-put = %q", s.Put)
	}
	if s.Engine != "SELECT version()" {
		t.Errorf("engine-name on postgres = %q", s.Engine)
	}
	if err := db.LoadQueries(files(map[string]string{"a.sql": goodSQL, "b.sql": engineSQL}), db.SQLite, &s); err != nil || s.Engine != "SELECT sqlite_version()" {
		t.Errorf("engine-name on sqlite = %q, %v", s.Engine, err)
	}
}

func TestLoadQueriesLeavesTheOtherEnginesStatementEmpty(t *testing.T) {
	s := testSet{Engine: "stale"}
	err := db.LoadQueries(files(map[string]string{"a.sql": goodSQL, "b.sql": "-- name: engine-name\n-- engine: postgres\nSELECT version()\n"}), db.SQLite, &s)
	if err != nil || s.Engine != "" || s.Get == "" {
		t.Fatalf("LoadQueries = %v, engine-name on sqlite = %q", err, s.Engine)
	}
}

func TestLoadQueriesRefusesMismatches(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"missing name", map[string]string{"a.sql": goodSQL}, `no query "engine-name"`},
		{"duplicate name", map[string]string{"a.sql": goodSQL, "b.sql": engineSQL, "c.sql": "-- name: setting-get\nSELECT 1\n"}, `"setting-get" is defined twice`},
		{"name no field takes", map[string]string{"a.sql": goodSQL, "b.sql": engineSQL + "-- name: stray\nSELECT 1\n"}, "no field takes stray"},
		{"shared and engine-specific", map[string]string{"a.sql": goodSQL, "b.sql": engineSQL + "-- name: engine-name\nSELECT 1\n"}, "both shared and engine-specific"},
		{"empty statement", map[string]string{"a.sql": goodSQL + "-- name: engine-name\n"}, "has no SQL"},
		{"unknown engine", map[string]string{"a.sql": "-- name: engine-name\n-- engine: mysql\nSELECT 1\n"}, `engine "mysql"`},
		{"SQL before a name", map[string]string{"a.sql": "SELECT 1\n" + goodSQL}, "SQL comes before any"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s testSet
			err := db.LoadQueries(files(tc.files), db.SQLite, &s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadQueries = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	var notStruct string
	if err := db.LoadQueries(files(map[string]string{"a.sql": goodSQL}), db.SQLite, &notStruct); err == nil {
		t.Error("a non-struct destination was accepted")
	}
}

func TestPrepareAllPreparesEveryStatementAndNamesABrokenOne(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var s testSet
		if err := db.LoadQueries(files(map[string]string{"a.sql": goodSQL, "b.sql": engineSQL}), d.Dialect, &s); err != nil {
			t.Fatal(err)
		}
		if err := d.PrepareAll(ctx, &s); err != nil {
			t.Fatal(err)
		}
		// The prepared statements are the ones Exec and Get run, by their text.
		if err := d.Exec(ctx, nil, s.Put, "k", "v"); err != nil {
			t.Fatal(err)
		}
		var v string
		if err := d.Get(ctx, nil, &v, s.Get, "k"); err != nil || v != "v" {
			t.Fatalf("get = %q, %v", v, err)
		}
		broken := strings.Replace(goodSQL, "FROM settings", "FROM settingz", 1)
		if err := db.LoadQueries(files(map[string]string{"a.sql": broken, "b.sql": engineSQL}), d.Dialect, &s); err != nil {
			t.Fatal(err)
		}
		err := d.PrepareAll(ctx, &s)
		if err == nil || !strings.Contains(err.Error(), `"setting-get"`) {
			t.Fatalf("PrepareAll of a broken statement = %v, want an error naming setting-get", err)
		}
	})
}
