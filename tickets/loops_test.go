package tickets

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// A loop hold's life (start once, extend, end) and the admins the brake tells, on both engines.
func TestLoopRecordsAndAdmins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		s := New(d, WithClock(func() time.Time { return now }))
		ctx := context.Background()
		p, err := s.CreateProperty(ctx, NewProperty{Slug: "acme", Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		q, err := s.CreateProperty(ctx, NewProperty{Slug: "beta", Name: "Beta"})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []struct {
			prop              int64
			email, name, role string
		}{{p.ID, "zed@acme.example", "Zed", "owner"}, {p.ID, "amy@acme.example", "Amy", "admin"}, {p.ID, "sam@acme.example", "Sam", ""},
			{q.ID, "amy@acme.example", "Amy", "admin"}, {q.ID, "bea@beta.example", "Bea", "admin"}} {
			if _, err := s.AddAgent(ctx, a.prop, a.email, a.name, a.role); err != nil {
				t.Fatal(err)
			}
		}
		secret, err := s.Secret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		del, err := s.Deliver(ctx, p, secret, Inbound{From: Address{Email: "ann@customer.example"}, Subject: "Q", MessageID: "1@c", Raw: []byte("x"), Kind: "human"})
		if err != nil {
			t.Fatal(err)
		}
		tid := del.TicketID
		in := func(f func(tx *sqlx.Tx) error) {
			t.Helper()
			if err := d.Tx(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		at := s.Now()
		in(func(tx *sqlx.Tx) error {
			if n, err := s.MailsFrom(ctx, tx, tid, "ann@customer.example", at.Add(-time.Minute)); err != nil || n != 1 {
				t.Errorf("MailsFrom = %d, %v; want 1", n, err)
			}
			if n, err := s.MailsFrom(ctx, tx, tid, "ann@customer.example", at); err != nil || n != 0 {
				t.Errorf("MailsFrom since the mail = %d, %v; want 0", n, err)
			}
			if _, held, err := s.LoopHoldLast(ctx, tx, tid, "ann@customer.example"); err != nil || held {
				t.Errorf("held before any hold: %v, %v", held, err)
			}
			if started, err := s.StartLoopHold(ctx, tx, tid, "ann@customer.example", at); err != nil || !started {
				t.Errorf("StartLoopHold = %v, %v", started, err)
			}
			if started, err := s.StartLoopHold(ctx, tx, tid, "ann@customer.example", at); err != nil || started {
				t.Errorf("StartLoopHold again = %v, %v; want not started", started, err)
			}
			later := at.Add(time.Minute)
			if err := s.ExtendLoopHold(ctx, tx, tid, "ann@customer.example", later); err != nil {
				return err
			}
			if last, held, err := s.LoopHoldLast(ctx, tx, tid, "ann@customer.example"); err != nil || !held || !last.Equal(later) {
				t.Errorf("LoopHoldLast = %v, %v, %v; want %v", last, held, err, later)
			}
			if err := s.EndLoopHold(ctx, tx, tid, "ann@customer.example"); err != nil {
				return err
			}
			if _, held, err := s.LoopHoldLast(ctx, tx, tid, "ann@customer.example"); err != nil || held {
				t.Errorf("held after the end: %v, %v", held, err)
			}
			admins, err := s.Admins(ctx, tx, p.ID)
			if err != nil {
				return err
			}
			if len(admins) != 2 || admins[0].Email != "amy@acme.example" || admins[1].Email != "zed@acme.example" || admins[1].Role != "owner" {
				t.Errorf("Admins of acme = %+v", admins)
			}
			all, err := s.AllAdmins(ctx, tx)
			if err != nil {
				return err
			}
			want := []PropertyAdmin{{"amy@acme.example", "Amy", p.ID}, {"bea@beta.example", "Bea", q.ID}, {"zed@acme.example", "Zed", p.ID}}
			if len(all) != len(want) {
				t.Fatalf("AllAdmins = %+v, want %+v", all, want)
			}
			for i := range want {
				if all[i] != want[i] {
					t.Errorf("AllAdmins[%d] = %+v, want %+v", i, all[i], want[i])
				}
			}
			return nil
		})
		// A kept system mail counts for its kind and sender, after its time only.
		if _, err := s.KeepSystemMail(ctx, "postmaster", Inbound{From: Address{Email: "mx@other.example"}, Subject: "S", MessageID: "s1@x", Raw: []byte("s"), Kind: "human"}, nil); err != nil {
			t.Fatal(err)
		}
		in(func(tx *sqlx.Tx) error {
			for _, c := range []struct {
				kind, from string
				since      time.Time
				want       int
			}{{"postmaster", "mx@other.example", at.Add(-time.Minute), 1}, {"postmaster", "mx@other.example", at, 0},
				{"postmaster", "else@other.example", at.Add(-time.Minute), 0}, {"other", "mx@other.example", at.Add(-time.Minute), 0}} {
				if n, err := s.SystemMailsFrom(ctx, tx, c.kind, c.from, c.since); err != nil || n != c.want {
					t.Errorf("SystemMailsFrom(%s, %s, %v) = %d, %v; want %d", c.kind, c.from, c.since, n, err, c.want)
				}
			}
			return nil
		})
	})
}
