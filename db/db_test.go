package db_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

func TestMigrateIsIdempotentAndVersioned(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		v1, err := d.Version(ctx)
		if err != nil || v1 < 1 {
			t.Fatalf("version after open = %d, %v", v1, err)
		}
		if err := d.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		v2, _ := d.Version(ctx)
		if v2 != v1 {
			t.Fatalf("version changed on re-run: %d → %d", v1, v2)
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ins := d.Rebind(`INSERT INTO settings (name, value) VALUES (?, ?)`)
		if _, err := d.ExecContext(ctx, ins, "k", "v"); err != nil {
			t.Fatal(err)
		}
		_, err := d.ExecContext(ctx, ins, "k", "v")
		if !db.IsUniqueViolation(err) {
			t.Fatalf("IsUniqueViolation(%v) = false", err)
		}
		if db.IsUniqueViolation(errors.New("other")) {
			t.Fatal("plain error taken for a unique violation")
		}
	})
}

func TestOpenRejectsBadDSN(t *testing.T) {
	for _, dsn := range []string{"", "mysql://x/y", "postgres://%zz"} {
		if _, err := db.Open(context.Background(), dsn); !errors.Is(err, db.ErrBadDSN) {
			t.Errorf("Open(%q) = %v, want ErrBadDSN", dsn, err)
		}
	}
}

func TestOpenCreatesSQLiteFolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a", "b", "postdesk.db")
	d, err := db.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
}

// Two transactions locking two rows in opposite orders deadlock on PostgreSQL; the one it rolls
// back is run again by TxRetry, so both complete and neither change is lost.
func TestTxRetryOutlivesADeadlock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if d.Dialect != db.Postgres {
			// One writer at a time: no deadlock can arise; TxRetry is Tx.
			if err := d.TxRetry(ctx, func(tx *sqlx.Tx) error { _, err := tx.Exec(`SELECT 1`); return err }); err != nil {
				t.Fatal(err)
			}
			return
		}
		for _, q := range []string{`CREATE TABLE retry_rows (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`, `INSERT INTO retry_rows VALUES (1, 0), (2, 0)`} {
			if _, err := d.DB.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		var held atomic.Int32 // transactions holding their first row, on their first attempt
		var attempts [2]int
		run := func(i int, a, b int) error {
			return d.TxRetry(ctx, func(tx *sqlx.Tx) error {
				attempts[i]++
				if _, err := tx.Exec(`UPDATE retry_rows SET n = n + 1 WHERE id = $1`, a); err != nil {
					return err
				}
				if attempts[i] == 1 {
					// Both hold their first row before either asks for the other's.
					held.Add(1)
					for deadline := time.Now().Add(10 * time.Second); held.Load() < 2 && time.Now().Before(deadline); {
						time.Sleep(time.Millisecond)
					}
				}
				_, err := tx.Exec(`UPDATE retry_rows SET n = n + 1 WHERE id = $1`, b)
				return err
			})
		}
		errs := make(chan error, 2)
		go func() { errs <- run(0, 1, 2) }()
		go func() { errs <- run(1, 2, 1) }()
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("a transaction failed: %v", err)
			}
		}
		var sum int
		if err := d.DB.Get(&sum, `SELECT SUM(n) FROM retry_rows`); err != nil || sum != 4 {
			t.Fatalf("sum %d (%v), want 4: a change was lost or doubled", sum, err)
		}
		if attempts[0]+attempts[1] < 3 {
			t.Fatalf("attempts %v: no deadlock happened, the test proves nothing", attempts)
		}
	})
}
