package tickets

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// Two owners demoting each other at once leave one owner on PostgreSQL: the first change locks the
// owners' rows until it commits, and the second, waiting for them, then sees the last owner.
// (SQLite has one writer: the second change waits for the first's transaction to end anyway.)
func TestTwoOwnersDemotingEachOtherAtOnceLeaveOne(t *testing.T) {
	for _, e := range dbtest.Engines() {
		if e.Name != "postgres" {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			d := dbtest.Open(t, e)
			s := New(d)
			ctx := context.Background()
			p, err := s.CreateProperty(ctx, NewProperty{Slug: "acme", Name: "Acme"})
			if err != nil {
				t.Fatal(err)
			}
			var owners []Agent
			for _, email := range []string{"olga@acme.example", "otto@acme.example"} {
				a, err := s.AddAgent(ctx, p.ID, email, email, "owner")
				if err != nil {
					t.Fatal(err)
				}
				owners = append(owners, a)
			}
			// The first change, in its transaction, not committed yet.
			tx, err := d.BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if err := s.keepAnOwner(ctx, tx, p, owners[0], "admin"); err != nil {
				t.Fatal(err)
			}
			if err := s.db.Exec(ctx, tx, s.qs.AgentSetRole, p.ID, owners[0].ID, "admin"); err != nil {
				t.Fatal(err)
			}
			var first int
			if err := tx.GetContext(ctx, &first, "SELECT pg_backend_pid()"); err != nil {
				t.Fatal(err)
			}
			// The second, at once.
			done := make(chan error, 1)
			go func() {
				_, err := s.SetRole(ctx, p, owners[1].Email, "admin")
				done <- err
			}()
			var second error
			waited := false
			for deadline := time.Now().Add(30 * time.Second); !waited; {
				select {
				case second = <-done:
					t.Fatalf("the second change did not wait for the first: %v", second)
				default:
				}
				var n int
				if err := d.GetContext(ctx, &n, `SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, first); err != nil {
					t.Fatal(err)
				}
				waited = n > 0
				if !waited {
					if time.Now().After(deadline) {
						t.Fatal("the second change neither waits nor ends")
					}
					time.Sleep(5 * time.Millisecond) // polling the server's view of the locks
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if second = <-done; !errors.Is(second, ErrLastOwner) {
				t.Errorf("the second change: %v, want ErrLastOwner", second)
			}
			left, err := ownersOf(ctx, d, p.ID)
			if err != nil || left != 1 {
				t.Fatalf("%d owners left (%v)", left, err)
			}
		})
	}
}

func ownersOf(ctx context.Context, d *db.DB, propertyID int64) (int, error) {
	var n int
	err := d.GetContext(ctx, &n, d.Rebind(`SELECT COUNT(*) FROM property_agents WHERE property_id = ? AND role = 'owner'`), propertyID)
	return n, err
}
