package main

import (
	"bytes"
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/testclock"
)

// mustAt runs a postdesk command with the store's clock at clock's time.
func mustAt(t *testing.T, dsn string, clock *testclock.Clock, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "POSTDESK_DB" {
			return dsn
		}
		return ""
	}
	if code := runWith(context.Background(), args, &out, &errb, env, clock.Now); code != 0 {
		t.Fatalf("postdesk %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// A snooze that ends while serve runs tells the assignee by mail, once, through serve's own
// wake loop, the outbox and the relay. The ticket is snoozed by the assignee: the notice is their
// reminder. The clock is injected; serve is started after it passed the snooze's end, so its
// first wake (at start) is the one that finds the ticket — no waiting on the 30 s interval.
func TestSnoozeEndNoticeThroughServe(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			relay := mailertest.Start(t)
			// Three days back, so that the clock moved on never passes the real time.
			clock := testclock.New(time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second))
			cli := func(args ...string) string {
				return mustAt(t, dsn, clock, args...)
			}
			cli("property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
			cli("agent", "add", "--property", "acme", "--email", "alice@acme.example", "--name", "Alice")
			cli("agent", "add", "--property", "acme", "--email", "bob@acme.example", "--name", "Bob")
			body := filepath.Join(t.TempDir(), "body.txt")
			if err := os.WriteFile(body, []byte("We will call you back tomorrow.\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cli("tickets", "create", "--property", "acme", "--as", "alice@acme.example", "--to", "ann@customer.example",
				"--subject", "Call me back", "--body-file", body, "--assign", "bob@acme.example", "--domain", "desk.example")
			cli("tickets", "snooze", "--property", "acme", "--as", "bob@acme.example", "--for", "1h", "1")
			clock.Advance(2 * time.Hour)

			startServeWith(t, dsn, clock.Now, "--relay", relay.Addr, "--relay-tls", "none")
			// The customer's mail and Bob's copy of the new ticket were queued by the CLI; the
			// wake at start queues the notice. Once the outbox is drained, every mail caused so
			// far is at the relay.
			d := &desk{t: t, dsn: dsn, relay: relay}
			relay.Wait(t, 3, 15*time.Second)
			var notice []mailertest.Message
			for _, m := range d.drained() {
				if strings.Contains(string(m.Data), "The snooze of ticket #1 ended") {
					notice = append(notice, m)
				}
			}
			if len(notice) != 1 || len(relay.Messages()) != 3 {
				t.Fatalf("%d snooze-end notices among %d mails, want 1 among 3", len(notice), len(relay.Messages()))
			}
			m := notice[0]
			if len(m.Rcpts) != 1 || m.Rcpts[0] != "bob@acme.example" {
				t.Fatalf("the notice went to %v, want the assignee only", m.Rcpts)
			}
			pm, err := mail.ReadMessage(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(pm.Header.Get("Subject"), "[#1]") || pm.Header.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("notice headers: Subject %q, Auto-Submitted %q", pm.Header.Get("Subject"), pm.Header.Get("Auto-Submitted"))
			}
			show := cli("tickets", "show", "--property", "acme", "1")
			if strings.Contains(show, "snoozed until") {
				t.Errorf("the ticket is still snoozed:\n%s", show)
			}
		})
	}
}
