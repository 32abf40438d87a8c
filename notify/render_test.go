package notify

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

type renderEnv struct {
	d      *db.DB
	s      *tickets.Store
	p      tickets.Property
	secret []byte
	now    *time.Time
}

func newRenderEnv(t *testing.T, d *db.DB, tpl *templates.Set) renderEnv {
	t.Helper()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	e := renderEnv{d: d, now: &now}
	e.s = tickets.New(d, tickets.WithClock(func() time.Time { return *e.now }))
	ctx := context.Background()
	var err error
	if e.p, err = e.s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.AddAgent(ctx, e.p.ID, "alice@acme.example", "Alice", ""); err != nil {
		t.Fatal(err)
	}
	if e.secret, err = e.s.Secret(ctx); err != nil {
		t.Fatal(err)
	}
	e.s.AddHook(New(e.s, tpl, Config{Domain: "desk.example", Secret: e.secret}))
	return e
}

func (e renderEnv) deliver(subject, id string) (tickets.Delivery, error) {
	return e.s.Deliver(context.Background(), e.p, e.secret, tickets.Inbound{
		From: tickets.Address{Email: "ann@customer.example"}, Subject: subject, MessageID: id, Raw: []byte("Subject: " + subject + "\r\n\r\nhi\r\n"), Kind: "human",
	})
}

func (e renderEnv) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.d.GetContext(context.Background(), &n, "SELECT COUNT(*) FROM "+table); err != nil {
		t.Fatal(err)
	}
	return n
}

// A mail that cannot be rendered fails the change that causes it: nothing is stored, so the
// intake answers 451 and the sender retries — no ticket is left without its mail, and no mail is
// queued that cannot be sent.
func TestRenderFailureFailsTheChange(t *testing.T) {
	dir := t.TempDir()
	// An override that renders for the load-time sample but fails for one subject (index out of range).
	tmpl := `{{if eq .Ticket.Subject "boom"}}{{index .Ticket.Tags 5}}{{end}}Thanks, we got ticket #{{.Ticket.Number}}.`
	if err := os.MkdirAll(filepath.Join(dir, "en"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "en", "acknowledgement.text.tmpl"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	tpl, err := templates.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newRenderEnv(t, d, tpl)
		if _, err := e.deliver("boom", "b1@customer.example"); err == nil {
			t.Fatal("a change whose mail cannot be rendered was committed")
		} else if !strings.Contains(err.Error(), "acknowledgement") {
			t.Fatalf("the error does not say which mail failed: %v", err)
		}
		for _, table := range []string{"tickets", "messages", "outbox"} {
			if n := e.count(t, table); n != 0 {
				t.Fatalf("%d rows in %s after a failed change", n, table)
			}
		}
		// The same customer's next mail renders and is stored with its mails.
		if _, err := e.deliver("fine", "f1@customer.example"); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, "outbox"); n != 2 { // the acknowledgement and the agent's notification
			t.Fatalf("%d mails queued, want 2", n)
		}
	})
}

// Every queued mail holds its bytes, fixed by the change: what happens to the ticket afterwards
// does not change what is sent, and an agent's reply written in postdesk is stored on the ticket
// byte for byte as the mail queued for the customer.
func TestMailIsRenderedWhenQueued(t *testing.T) {
	tpl, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newRenderEnv(t, d, tpl)
		ctx := context.Background()
		if _, err := e.deliver("Printer on fire", "q1@customer.example"); err != nil {
			t.Fatal(err)
		}
		alice, err := e.s.AgentByEmail(ctx, e.p.ID, "alice@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		raws := func() map[string][]byte {
			var rows []struct {
				Rcpts string `db:"rcpts"`
				Kind  string `db:"kind"`
				Raw   []byte `db:"raw"`
			}
			if err := d.SelectContext(ctx, &rows, `SELECT rcpts, kind, raw FROM outbox ORDER BY id`); err != nil {
				t.Fatal(err)
			}
			out := map[string][]byte{}
			for _, r := range rows {
				if len(r.Raw) == 0 {
					t.Fatalf("%s mail to %s was queued without its bytes", r.Kind, r.Rcpts)
				}
				out[r.Kind+" "+r.Rcpts] = r.Raw
			}
			return out
		}
		before := raws()
		ack := before[templates.Acknowledgement+" ann@customer.example"]
		if !bytes.Contains(ack, []byte("[#1]")) || !bytes.Contains(ack, []byte("Printer on fire")) {
			t.Fatalf("acknowledgement:\n%s", ack)
		}
		*e.now = e.now.Add(time.Hour)
		if _, err := e.s.SetPriority(ctx, e.p, 1, alice, "urgent"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Close(ctx, e.p.ID, 1, "test"); err != nil {
			t.Fatal(err)
		}
		after := raws()
		for k, raw := range before {
			if !bytes.Equal(after[k], raw) {
				t.Fatalf("the %s mail changed after it was queued", k)
			}
		}
		if _, err := e.s.Reply(ctx, e.p, 1, alice, tickets.Outgoing{Text: "It is out now.", Attachments: []tickets.NewAttachment{{Filename: "extinguisher.txt", ContentType: "text/plain", Data: []byte("use the red one")}}}, "r1@desk.example"); err != nil {
			t.Fatal(err)
		}
		reply := raws()[templates.AgentReply+" ann@customer.example"]
		var stored []byte
		if err := d.GetContext(ctx, &stored, d.Rebind(`SELECT raw FROM messages WHERE message_id = ?`), "r1@desk.example"); err != nil {
			t.Fatal(err)
		}
		if len(reply) == 0 || !bytes.Equal(stored, reply) {
			t.Fatalf("the reply stored on the ticket is not the mail queued:\nstored:\n%s\nqueued:\n%s", stored, reply)
		}
		if !bytes.Contains(reply, []byte("extinguisher.txt")) {
			t.Fatalf("the reply lacks its attachment:\n%s", reply)
		}
		if !bytes.Contains(reply, []byte("Message-Id: <r1@desk.example>")) && !bytes.Contains(reply, []byte("Message-ID: <r1@desk.example>")) {
			t.Fatalf("the reply does not carry its Message-ID:\n%s", reply)
		}
	})
}
