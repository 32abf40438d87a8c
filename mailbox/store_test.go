package mailbox_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
)

type fixture struct {
	s     *mailbox.Store
	prop  tickets.Property
	clock *testclock.Clock
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	ctx := context.Background()
	ts := tickets.New(d)
	p, err := ts.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := ts.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC))
	return &fixture{s: mailbox.NewStore(d, secret, mailbox.WithClock(c.Now)), prop: p, clock: c}
}

func (f *fixture) add(t *testing.T, n mailbox.New) mailbox.Mailbox {
	t.Helper()
	n.PropertyID = f.prop.ID
	m, err := f.s.Add(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAddedMailboxKeepsItsPasswordSealed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		since := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
		m := f.add(t, mailbox.New{Host: "IMAP.Example.com", Username: "support@acme.example", Password: "hunter2 secret", After: "move:Done", Since: &since})
		if m.Host != "imap.example.com" || m.Port != 993 || m.TLS != mailbox.TLSImplicit || m.Folder != "INBOX" || m.AfterAction != "move:Done" || m.Property != "acme" {
			t.Fatalf("stored %+v", m)
		}
		if m.Since == nil || !m.Since.Equal(since) || m.UIDValidity != 0 {
			t.Fatalf("since %v, uidvalidity %d", m.Since, m.UIDValidity)
		}
		if bytes.Contains(m.Secret, []byte("hunter2")) {
			t.Fatal("password stored in the clear")
		}
		var raw []byte
		if err := d.GetContext(ctx, &raw, `SELECT secret FROM mailboxes`); err != nil || bytes.Contains(raw, []byte("hunter2")) {
			t.Fatalf("secret column: %v", err)
		}
		if pw, err := f.s.Password(m); err != nil || pw != "hunter2 secret" {
			t.Fatalf("Password = %q, %v", pw, err)
		}
		// Another server secret cannot open it, nor can another account's row.
		other := mailbox.NewStore(d, []byte("another secret of enough length"))
		if _, err := other.Password(m); err == nil {
			t.Fatal("opened with the wrong key")
		}
		swapped := m
		swapped.Username = "boss@acme.example"
		if _, err := f.s.Password(swapped); err == nil {
			t.Fatal("a sealed password opened for another account")
		}
		// The same account and folder twice is refused; another folder is another mailbox.
		if _, err := f.s.Add(ctx, mailbox.New{PropertyID: f.prop.ID, Host: "imap.example.com", Username: "support@acme.example", Password: "x"}); !errors.Is(err, mailbox.ErrExists) {
			t.Fatalf("duplicate add: %v", err)
		}
		f.add(t, mailbox.New{Host: "imap.example.com", Username: "support@acme.example", Password: "x", Folder: "Sales", TLS: "starttls"})
		ms, err := f.s.List(ctx, f.prop.ID)
		if err != nil || len(ms) != 2 || ms[1].Port != 143 || ms[1].Folder != "Sales" {
			t.Fatalf("List = %+v, %v", ms, err)
		}
		if all, _ := f.s.List(ctx, 0); len(all) != 2 {
			t.Fatalf("List(all) = %d mailboxes", len(all))
		}
	})
}

func TestAddRejectsWhatCannotWork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		for _, n := range []mailbox.New{
			{Host: "", Username: "u", Password: "p"},
			{Host: "h", Username: "", Password: "p"},
			{Host: "h", Username: "u", Password: ""},
			{Host: "h", Username: "u", Password: "p", TLS: "ssl3"},
			{Host: "h", Username: "u", Password: "p", Port: 70000},
			{Host: "h", Username: "u", Password: "p", After: "archive"},
			{Host: "h", Username: "u", Password: "p", After: "move:"},
			{Host: "h", Username: "u", Password: "p", After: "move:INBOX"},
			{Host: "h", Username: "u", Password: "p\r\nA1 LOGOUT"},
		} {
			n.PropertyID = f.prop.ID
			if _, err := f.s.Add(context.Background(), n); !errors.Is(err, mailbox.ErrInvalid) {
				t.Errorf("Add(%+v) = %v, want ErrInvalid", n, err)
			}
		}
	})
}

func TestLeaseIsHeldByOneOwnerUntilItExpires(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		m := f.add(t, mailbox.New{Host: "h", Username: "u", Password: "p"})
		claim := func(owner string) bool {
			ok, err := f.s.Claim(ctx, m.ID, owner, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !claim("a") || claim("b") {
			t.Fatal("first claim must win, second lose")
		}
		f.clock.Advance(40 * time.Second)
		if !claim("a") { // renewal
			t.Fatal("holder could not renew")
		}
		f.clock.Advance(40 * time.Second)
		if claim("b") {
			t.Fatal("renewed lease taken before expiry")
		}
		f.clock.Advance(21 * time.Second)
		if !claim("b") {
			t.Fatal("expired lease not taken over")
		}
		// The old holder is fenced off: its checkpoint writes fail.
		if err := f.s.Restart(ctx, m.ID, "a", mailbox.Checkpoint{UIDValidity: 7, Since: f.clock.Now()}); !errors.Is(err, mailbox.ErrLeaseLost) {
			t.Fatalf("fenced restart: %v", err)
		}
		if err := f.s.Release(ctx, m.ID, "b"); err != nil {
			t.Fatal(err)
		}
		if !claim("c") {
			t.Fatal("released lease not free")
		}
	})
}

func TestCheckpointOnlyMovesForward(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		m := f.add(t, mailbox.New{Host: "h", Username: "u", Password: "p"})
		if ok, _ := f.s.Claim(ctx, m.ID, "me", time.Minute); !ok {
			t.Fatal("claim")
		}
		now := f.s.Now()
		if err := f.s.Restart(ctx, m.ID, "me", mailbox.Checkpoint{UIDValidity: 42, LastUID: 10, ScanUntil: 10, Since: now}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Advance(ctx, m.ID, "me", 42, 15, 5, 3); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Advance(ctx, m.ID, "me", 42, 12, 1, 2); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Advance(ctx, m.ID, "me", 41, 99, 1, 0); !errors.Is(err, mailbox.ErrLeaseLost) {
			t.Fatalf("advance under a stale UIDVALIDITY: %v", err)
		}
		if err := f.s.Polled(ctx, m.ID, "me", -1, errors.New("imap: connection refused")); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.Get(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := got.Checkpoint()
		if c.UIDValidity != 42 || c.LastUID != 15 || c.ScanUntil != 10 || !c.Since.Equal(now) || got.Imported != 6 {
			t.Fatalf("checkpoint %+v, imported %d", c, got.Imported)
		}
		if got.Backlog == nil || *got.Backlog != 2 || got.LastError != "imap: connection refused" || got.LastPollAt == nil || !got.LastPollAt.Equal(now) {
			t.Fatalf("status: backlog %v, error %q, last poll %v", got.Backlog, got.LastError, got.LastPollAt)
		}
	})
}

// An OAuth2 mailbox: the provider's server unless one is named; "ACCOUNT\SHARED" signs in as the
// account and opens the shared mailbox; a password is never kept.
func TestUseOAuthAndSharedMailboxes(t *testing.T) {
	for _, c := range []struct{ user, signIn, imapUser string }{
		{"support@acme.example", "support@acme.example", "support@acme.example"},
		{` alice@acme.example \ help@acme.example `, "alice@acme.example", "help@acme.example"},
	} {
		if a, b := mailbox.SplitSharedUser(c.user); a != c.signIn || b != c.imapUser {
			t.Errorf("SplitSharedUser(%q) = %q, %q", c.user, a, b)
		}
	}
	n := mailbox.New{Password: "left over", Folder: "Support"}
	if err := n.UseOAuth("imap.gmail.com:993", "help@acme.example"); err != nil {
		t.Fatal(err)
	}
	if n.Host != "imap.gmail.com" || n.Port != 993 || n.TLS != mailbox.TLSImplicit || !n.OAuth || n.Password != "" || n.Username != "help@acme.example" || n.Folder != "Support" {
		t.Fatalf("%+v", n)
	}
	n = mailbox.New{Host: "127.0.0.1", Port: 1143, TLS: mailbox.TLSNone}
	if err := n.UseOAuth("imap.gmail.com:993", "help@acme.example"); err != nil || n.Host != "127.0.0.1" || n.Port != 1143 || n.TLS != mailbox.TLSNone {
		t.Fatalf("a named server: %+v %v", n, err)
	}
	n = mailbox.New{}
	if err := n.UseOAuth("imap.gmail.com:993", ""); !errors.Is(err, mailbox.ErrInvalid) {
		t.Fatalf("no user: %v", err)
	}
}
