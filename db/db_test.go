package db_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

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
