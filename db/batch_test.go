package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// Group commit: each unit of a shared transaction commits or rolls back alone, and nobody is told
// "committed" for work that is not.
func TestBatchUnitsFailAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		errFail := errors.New("unit fails")
		var wg sync.WaitGroup
		results := make([]error, 200)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = d.Batch(ctx, func(tx *sqlx.Tx) error {
					if err := d.Exec(ctx, tx, `INSERT INTO settings (name, value) VALUES (?, 'x')`, fmt.Sprint("k", i)); err != nil {
						return err
					}
					if i%7 == 0 {
						return errFail // after writing: the write must go
					}
					return nil
				})
			}()
		}
		wg.Wait()
		var names []string
		if err := d.SelectContext(ctx, &names, `SELECT name FROM settings WHERE name LIKE 'k%'`); err != nil {
			t.Fatal(err)
		}
		stored := map[string]bool{}
		for _, n := range names {
			stored[n] = true
		}
		for i, err := range results {
			k := fmt.Sprint("k", i)
			switch {
			case i%7 == 0 && !errors.Is(err, errFail):
				t.Errorf("unit %d: got %v, want its own error", i, err)
			case i%7 == 0 && stored[k]:
				t.Errorf("unit %d failed but its write was committed", i)
			case i%7 != 0 && err != nil:
				t.Errorf("unit %d: %v", i, err)
			case i%7 != 0 && !stored[k]:
				t.Errorf("unit %d was told it committed, but its write is not there", i)
			}
		}
	})
}

// A unit whose caller gave up before its turn is not run.
func TestBatchSkipsCancelledUnits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err := d.Batch(ctx, func(tx *sqlx.Tx) error { ran = true; return nil })
		if d.Dialect == db.SQLite && (ran || !errors.Is(err, context.Canceled)) {
			t.Fatalf("ran %v, err %v", ran, err)
		}
	})
}
