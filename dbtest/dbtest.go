// Package dbtest gives tests a fresh, migrated database on every engine available: SQLite always,
// PostgreSQL when POSTDESK_TEST_POSTGRES holds a DSN (each test gets a schema of its own, dropped
// afterwards).
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
)

// EnvPostgres names the environment variable that enables the PostgreSQL half of the suite.
const EnvPostgres = "POSTDESK_TEST_POSTGRES"

// Engine is one database a test runs against.
type Engine struct {
	Name string
	// DSN opens a fresh, empty database (a new SQLite file or a new PostgreSQL schema) and returns
	// its DSN, for tests that start the binary or open the database themselves.
	DSN func(t testing.TB) string
}

// Engines lists the engines this run covers.
func Engines() []Engine {
	es := []Engine{{Name: "sqlite", DSN: sqliteDSN}}
	if os.Getenv(EnvPostgres) != "" {
		es = append(es, Engine{Name: "postgres", DSN: postgresDSN})
	}
	return es
}

// Each runs f once per engine as a subtest, with a fresh migrated database.
func Each(t *testing.T, f func(t *testing.T, d *db.DB)) {
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) {
			f(t, Open(t, e))
		})
	}
}

// Open opens and migrates a fresh database of engine e, closed when the test ends.
func Open(t testing.TB, e Engine) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), e.DSN(t))
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", e.Name, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// sqliteDSN is a database file in a folder of the test's own. The folder is removed after the
// database is closed (cleanups run last first), retrying for up to two seconds: a connection the
// pool was still opening when it closed can create the -wal and -shm files after the folder was
// listed, and t.TempDir's single RemoveAll then fails the test with "directory not empty".
func sqliteDSN(t testing.TB) string {
	dir, err := os.MkdirTemp("", "postdesk-test-*")
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		var err error
		for deadline := time.Now().Add(2 * time.Second); ; {
			if err = os.RemoveAll(dir); err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("dbtest: remove %s: %v", dir, err)
		}
	})
	return filepath.Join(dir, "postdesk.db")
}

func postgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	admin, err := sqlx.Open("postgres", base)
	if err != nil {
		t.Fatalf("dbtest: %s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("dbtest: create schema on %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		a, err := sqlx.Open("postgres", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("dbtest: %s is not a URL: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
