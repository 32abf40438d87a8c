package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// listed is a ticket as 'tickets list --json' prints its waiting side.
type listed struct {
	Number          int64      `json:"number"`
	Waiting         *string    `json:"waiting"`
	WaitingSince    *time.Time `json:"waiting_since"`
	FirstResponseAt *time.Time `json:"first_response_at"`
}

func (d *agentDesk) listed(args ...string) []listed {
	d.t.Helper()
	var ls []listed
	out := must(d.t, d.dsn, append([]string{"tickets", "list", "--property", "acme", "--status", "all", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &ls); err != nil {
		d.t.Fatalf("tickets list: %v: %s", err, out)
	}
	return ls
}

// waitsFor checks who ticket #1 waits for ("" nobody) and whether it had a first response.
func (d *agentDesk) waitsFor(what, side string, responded bool) listed {
	d.t.Helper()
	ls := d.listed()
	if len(ls) != 1 {
		d.t.Fatalf("%s: %d tickets", what, len(ls))
	}
	got := ""
	if ls[0].Waiting != nil {
		got = *ls[0].Waiting
	}
	if got != side || (ls[0].WaitingSince != nil) != (side != "") || (ls[0].FirstResponseAt != nil) != responded {
		d.t.Fatalf("%s: waiting %q since %v, first response %v; want %q, responded %v", what, got, ls[0].WaitingSince, ls[0].FirstResponseAt, side, responded)
	}
	return ls[0]
}

// heldReplies counts the agents' mail stored and held (not sent): the step above tests
// nothing unless Alice's reply is there.
func (d *agentDesk) heldReplies() int {
	d.t.Helper()
	x, err := db.Open(context.Background(), d.dsn)
	if err != nil {
		d.t.Fatal(err)
	}
	defer x.Close()
	var n int
	if err := x.GetContext(context.Background(), &n, `SELECT COUNT(*) FROM messages WHERE held`); err != nil {
		d.t.Fatal(err)
	}
	return n
}

// Through the real intake and the command line, on both engines: who a ticket waits for follows
// the customer's mail, the agents' mail and the CLI's replies; the list filters and sorts by it.
func TestWhoIsWaitingThroughMailAndTheCommandLine(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			// A customer's mail leaves the ticket waiting for us.
			first := d.waitsFor("her mail", "us", false)
			if ls := d.listed("--waiting", "us", "--sort", "waiting"); len(ls) != 1 {
				t.Fatalf("--waiting us: %+v", ls)
			}
			if ls := d.listed("--waiting", "customer"); len(ls) != 0 {
				t.Fatalf("--waiting customer: %+v", ls)
			}
			if table := must(t, d.dsn, "tickets", "list", "--property", "acme"); !strings.Contains(table, "WAITING") || !strings.Contains(table, " us ") {
				t.Fatalf("the table says nothing of waiting:\n%s", table)
			}

			// A note by mail changes nothing.
			d.replyAs("bob", "#note\nAsking the printer team.")
			if got := d.waitsFor("a note by mail", "us", false); !got.WaitingSince.Equal(*first.WaitingSince) {
				t.Fatalf("a note moved the wait: %s, was %s", got.WaitingSince, first.WaitingSince)
			}

			// Alice answers her copy, older than Bob's note: her reply is held, not sent, and
			// changes nothing either.
			d.replyAs("alice", "Unplug it, please."+quoted)
			d.waitsFor("a held reply by mail", "us", false)
			if n := d.heldReplies(); n != 1 {
				t.Fatalf("%d held replies stored, want Alice's", n)
			}

			// An agent's reply by mail leaves it waiting for the customer.
			d.replyAs("bob", "Unplug it, please."+quoted)
			d.waitsFor("a reply by mail", "customer", true)

			// She answers; an agent replies from the command line.
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Re: Printer on fire\nMessage-ID: <c2@customer.example>\nIn-Reply-To: <c1@customer.example>\n\nIt still burns.\n")
			d.waitsFor("her answer", "us", true)
			body := filepath.Join(t.TempDir(), "reply.txt")
			if err := os.WriteFile(body, []byte("The fire brigade is on its way."), 0o600); err != nil {
				t.Fatal(err)
			}
			d.cli("tickets", "reply", "--property", "acme", "--as", "carol@acme.example", "1", "--body-file", body)
			d.waitsFor("a reply from the CLI", "customer", true)
			if out := must(t, d.dsn, "tickets", "show", "--property", "acme", "1"); !strings.Contains(out, "waiting for the customer since") || !strings.Contains(out, "first response after") {
				t.Fatalf("tickets show:\n%s", out)
			}

			// Closed: nobody waits, and the ticket shows how long it took.
			d.cli("tickets", "close", "--property", "acme", "1")
			d.waitsFor("closed", "", true)
			if out := must(t, d.dsn, "tickets", "show", "--property", "acme", "1"); !strings.Contains(out, "resolved in") {
				t.Fatalf("tickets show of a closed ticket:\n%s", out)
			}
			if code, _, errs := postdesk(t, d.dsn, "tickets", "list", "--property", "acme", "--waiting", "soon"); code == 0 || !strings.Contains(errs, "waiting") {
				t.Fatalf("--waiting soon: exit %d: %s", code, errs)
			}
		})
	}
}
