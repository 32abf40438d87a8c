package intake

import (
	"context"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"modernc.org/sqlite"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/mailer/smtpd"
	"github.com/postdesk/postdesk/tickets"
)

// pageLimits holds, by database file, the max_page_count every new connection to it gets: a
// SQLite file that may not grow is a full disk, as SQLite reports it (SQLITE_FULL).
var (
	pageLimitsOnce sync.Once
	pageLimitsMu   sync.Mutex
	pageLimits     = map[string]int{}
)

func limitPages(path string, pages int) {
	pageLimitsOnce.Do(func() {
		sqlite.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, dsn string) error {
			pageLimitsMu.Lock()
			defer pageLimitsMu.Unlock()
			for p, n := range pageLimits {
				if strings.HasPrefix(dsn, "file:"+p+"?") {
					_, err := c.ExecContext(context.Background(), fmt.Sprintf("PRAGMA max_page_count = %d", n), []driver.NamedValue{})
					return err
				}
			}
			return nil
		})
	})
	pageLimitsMu.Lock()
	defer pageLimitsMu.Unlock()
	if pages == 0 {
		delete(pageLimits, path)
	} else {
		pageLimits[path] = pages
	}
}

// serveIntake runs a real SMTP or LMTP server over the real pipeline on d.
func serveIntake(t *testing.T, d *db.DB, lmtp bool) string {
	t.Helper()
	s := tickets.New(d)
	secret, err := s.Secret(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtpd.NewServer(smtpd.ServerConfig{LMTP: lmtp, Domain: "desk.example", MaxBytes: 1 << 22}, ln, New(s, "desk.example", secret, slog.New(slog.DiscardHandler)))
	go srv.Serve()
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return ln.Addr().String()
}

// A full disk (SQLite's SQLITE_FULL) is a temporary failure: 451 over SMTP and per recipient over
// LMTP, never 250; once there is room again, the retry is stored, once.
func TestFullDiskIsATemporaryFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.db")
	ctx := context.Background()
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s := tickets.New(d)
	for _, slug := range []string{"acme", "globex"} {
		if _, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: slug, Name: slug}); err != nil {
			t.Fatal(err)
		}
	}
	var pages int
	if err := d.GetContext(ctx, &pages, "PRAGMA page_count"); err != nil {
		t.Fatal(err)
	}
	d.Close()

	// Room for a few pages more: the schema fits, a 300 KB message does not.
	limitPages(path, pages+4)
	defer limitPages(path, 0)
	d, err = db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.Close() }()
	raw := "From: ann@customer.example\r\nTo: acme@desk.example\r\nSubject: Big\r\nMessage-ID: <full1@customer.example>\r\n\r\n" +
		strings.Repeat("All work and no play makes a full disk.\r\n", 8000)
	send := func(addr string) error {
		c, err := smtp.Dial(addr)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.SendMail("ann@customer.example", []string{"acme@desk.example"}, strings.NewReader(raw))
	}
	if err := send(serveIntake(t, d, false)); mailertest.Code(err) != 451 {
		t.Fatalf("SMTP with a full disk: %v, want 451", err)
	}
	codes := mailertest.LMTPSend(t, serveIntake(t, d, true), []string{"acme@desk.example", "globex@desk.example"}, raw)
	if codes[0] != 451 || codes[1] != 451 {
		t.Fatalf("LMTP with a full disk: %v, want 451 for each recipient", codes)
	}
	var n int
	if err := d.GetContext(ctx, &n, "SELECT COUNT(*) FROM messages"); err != nil || n != 0 {
		t.Fatalf("%d messages stored with a full disk (%v)", n, err)
	}

	// Room again (a new process with a bigger disk): the sender's retry is stored once.
	d.Close()
	limitPages(path, 0)
	if d, err = db.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	addr := serveIntake(t, d, false)
	for range 2 {
		if err := send(addr); err != nil {
			t.Fatalf("retry after the disk has room: %v", err)
		}
	}
	if err := d.GetContext(ctx, &n, "SELECT COUNT(*) FROM messages"); err != nil || n != 1 {
		t.Fatalf("%d messages after the retry (%v), want 1", n, err)
	}
}
