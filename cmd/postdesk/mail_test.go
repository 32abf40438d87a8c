package main

import (
	"bytes"
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/outbox"
)

// desk is a running postdesk with a capturing relay, one property and three agents.
type desk struct {
	t     *testing.T
	dsn   string
	smtp  string
	relay *mailertest.Relay
	queue *outbox.Queue // the test's own view of the outbox, opened on first use
}

// depth counts the outbox rows still to send (queued, sending, data).
func (d *desk) depth() int {
	d.t.Helper()
	if d.queue == nil {
		od, err := db.Open(context.Background(), d.dsn)
		if err != nil {
			d.t.Fatal(err)
		}
		d.t.Cleanup(func() { od.Close() })
		d.queue = outbox.NewQueue(od, nil)
	}
	n, err := d.queue.Depth(context.Background())
	if err != nil {
		d.t.Fatalf("outbox depth: %v", err)
	}
	return n
}

// drained waits until the outbox has nothing left to send and returns what the relay accepted.
// Every step of a test is committed before its SMTP 250 or its CLI command returns, with the
// mail it causes queued in the same transaction, and a row leaves "data" only after the relay's
// answer: once nothing is left to send, every mail caused so far is at the relay (or failed). A
// mail that should not exist is then among the messages, not still on its way, however slow
// the machine.
func (d *desk) drained() []mailertest.Message {
	d.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); d.depth() != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			d.t.Fatalf("outbox still has %d mails to send after 15 s", d.depth())
		}
	}
	return d.relay.Messages()
}

// echo counts the relay's OnMessage callbacks of a test whose robots answer mail from the relay,
// so the test can tell when the exchange is over.
type echo struct {
	mu       sync.Mutex
	base     int // messages the relay had before the robots started: no callback for them
	inflight int
	handled  int
}

// answer installs f as the relay's robot, counted.
func (e *echo) answer(r *mailertest.Relay, f func(mailertest.Message)) {
	e.base = len(r.Messages())
	r.OnMessage = func(m mailertest.Message) {
		e.mu.Lock()
		e.inflight++
		e.mu.Unlock()
		defer func() {
			e.mu.Lock()
			e.inflight--
			e.handled++
			e.mu.Unlock()
		}()
		f(m)
	}
}

// idle reports whether no robot is running and every accepted mail was handled, and how many.
func (e *echo) idle(r *mailertest.Relay) (bool, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := len(r.Messages())
	return e.inflight == 0 && e.handled == n-e.base, n
}

// settled waits until the exchange is over: no robot running, every mail handled, nothing left
// in the outbox. The robots idle before and after an empty outbox, with the same mail count, so
// no robot queued mail while the outbox was read: nothing can follow. It reports false when the
// exchange is still going at the deadline.
func (d *desk) settled(e *echo, timeout time.Duration) bool {
	d.t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		before, n := e.idle(d.relay)
		if !before || d.depth() != 0 {
			continue
		}
		if after, m := e.idle(d.relay); after && m == n {
			return true
		}
	}
	return false
}

func newDesk(t *testing.T, dsn string) *desk {
	d := &desk{t: t, dsn: dsn, relay: mailertest.Start(t)}
	must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
	for _, a := range []string{"alice", "bob", "carol"} {
		must(t, dsn, "agent", "add", "--property", "acme", "--email", a+"@acme.example", "--name", strings.ToUpper(a[:1])+a[1:])
	}
	d.smtp, _ = startServe(t, dsn, "--relay", d.relay.Addr, "--relay-tls", "none")
	return d
}

func (d *desk) cli(args ...string) string {
	return must(d.t, d.dsn, append(args, "--domain", "desk.example")...)
}

func (d *desk) customerMail(msg string) {
	d.t.Helper()
	if err := sendMail(d.t, d.smtp, "ann@customer.example", []string{"acme@desk.example"}, msg); err != nil {
		d.t.Fatal(err)
	}
}

// sent waits for n mails in all at the relay, then returns them parsed, with their recipients.
func (d *desk) sent(n int) []sentMail {
	d.t.Helper()
	var out []sentMail
	for _, m := range d.relay.Wait(d.t, n, 15*time.Second) {
		pm, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			d.t.Fatalf("relay got unparseable mail: %v", err)
		}
		out = append(out, sentMail{rcpts: m.Rcpts, h: pm.Header, raw: string(m.Data)})
	}
	return out
}

type sentMail struct {
	rcpts []string
	h     mail.Header
	raw   string
}

func to(ms []sentMail, rcpt string) []sentMail {
	var out []sentMail
	for _, m := range ms {
		if slices_contains(m.rcpts, rcpt) {
			out = append(out, m)
		}
	}
	return out
}

func slices_contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestWhoGetsWhat(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newDesk(t, e.DSN(t))

			// A customer opens a ticket: acknowledgement to them, notification to every agent (nobody
			// is assigned and there is no default department).
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nCc: boss@customer.example\nSubject: Printer on fire\nMessage-ID: <c1@customer.example>\n\nIt burns.\n")
			ms := d.sent(4)
			ack := to(ms, "ann@customer.example")
			if len(ack) != 1 {
				t.Fatalf("acknowledgements: %d", len(ack))
			}
			h := ack[0].h
			if h.Get("Auto-Submitted") != "auto-replied" || h.Get("X-Auto-Response-Suppress") != "All" || h.Get("X-Postdesk-Loop") == "" ||
				!strings.Contains(h.Get("Subject"), "[#1]") || h.Get("In-Reply-To") != "<c1@customer.example>" ||
				!strings.HasPrefix(h.Get("Reply-To"), `"Acme Support" <acme+t`) || !strings.Contains(h.Get("From"), "support@acme.example") {
				t.Fatalf("acknowledgement headers: %v", h)
			}
			for _, a := range []string{"alice", "bob", "carol"} {
				n := to(ms, a+"@acme.example")
				if len(n) != 1 || n[0].h.Get("Auto-Submitted") != "auto-generated" || !strings.Contains(n[0].raw, "It burns.") {
					t.Fatalf("notification to %s: %+v", a, n)
				}
			}
			// Alice assigns the ticket to Bob: Bob is told, Alice is not.
			d.cli("tickets", "assign", "--property", "acme", "--as", "alice@acme.example", "1", "bob@acme.example")
			ms = d.sent(5)
			if n := to(ms[4:], "bob@acme.example"); len(n) != 1 {
				t.Fatalf("assignment notification: %+v", ms[4].rcpts)
			}
			// The customer answers the acknowledgement: only the assignee hears of it.
			d.customerMail("From: ann@customer.example\nTo: support@acme.example\nSubject: Re: [#1] Printer on fire\nMessage-ID: <c2@customer.example>\nIn-Reply-To: " + h.Get("Message-Id") + "\n\nNow smoke.\n")
			ms = d.sent(6)
			if ms[5].rcpts[0] != "bob@acme.example" || len(ms[5].rcpts) != 1 {
				t.Fatalf("customer reply notified %v", ms[5].rcpts)
			}
			// Bob answers from the CLI: the customer gets it with the Cc; Alice? She never took part.
			body := filepath.Join(t.TempDir(), "reply.txt")
			os.WriteFile(body, []byte("Unplug it, please.\n"), 0o600)
			d.cli("tickets", "reply", "--property", "acme", "--as", "bob@acme.example", "1", "--body-file", body)
			ms = d.sent(7)
			reply := ms[6]
			if !slices_contains(reply.rcpts, "ann@customer.example") || !slices_contains(reply.rcpts, "boss@customer.example") ||
				reply.h.Get("Auto-Submitted") != "" || !strings.Contains(reply.raw, "Unplug it, please.") {
				t.Fatalf("agent reply: rcpts %v headers %v", reply.rcpts, reply.h)
			}
			if refs := reply.h.Get("References"); !strings.Contains(refs, "<c1@customer.example>") || !strings.Contains(refs, "<c2@customer.example>") {
				t.Fatalf("agent reply References %q", refs)
			}
			if got := d.drained(); len(got) != 7 {
				t.Fatalf("the author or an uninvolved agent got a copy: %d mails", len(got))
			}
			// The customer answers the agent's mail from a client that keeps only In-Reply-To.
			d.customerMail("From: ann@customer.example\nTo: support@acme.example\nSubject: thanks\nMessage-ID: <c3@customer.example>\nIn-Reply-To: " + reply.h.Get("Message-Id") + "\n\nDone.\n")
			d.sent(8)
			out := must(t, d.dsn, "tickets", "show", "--property", "acme", "1")
			if !strings.Contains(out, "Done.") || !strings.Contains(out, "Unplug it") {
				t.Fatalf("ticket after the exchange:\n%s", out)
			}
		})
	}
}

func TestAgentOpensTicket(t *testing.T) {
	t.Parallel()
	d := newDesk(t, dbtest.Engines()[0].DSN(t))
	must(t, d.dsn, "department", "add", "--property", "acme", "--name", "Billing", "--member", "bob@acme.example", "--member", "carol@acme.example")
	body := filepath.Join(t.TempDir(), "body.txt")
	os.WriteFile(body, []byte("Your invoice is attached.\n"), 0o600)
	att := filepath.Join(t.TempDir(), "invoice.pdf")
	os.WriteFile(att, []byte("%PDF-1.4 fake"), 0o600)
	out := d.cli("tickets", "create", "--property", "acme", "--as", "carol@acme.example", "--to", "dan@customer.example", "--name", "Dan",
		"--subject", "Your invoice", "--body-file", body, "--assign", "Billing", "--priority", "high", "--tag", "invoice", "--attach", att)
	if !strings.Contains(out, "#1 opened") {
		t.Fatalf("create: %s", out)
	}
	ms := d.sent(2)
	cust := to(ms, "dan@customer.example")
	if len(cust) != 1 || !strings.Contains(cust[0].raw, "invoice.pdf") || !strings.Contains(cust[0].h.Get("Subject"), "[#1]") {
		t.Fatalf("customer mail: %+v", cust)
	}
	// Billing's members get a copy, but not Carol who wrote it.
	if len(to(ms, "bob@acme.example")) != 1 || len(to(ms, "carol@acme.example")) != 0 {
		t.Fatalf("copies: %v / %v", ms[0].rcpts, ms[1].rcpts)
	}
}

// Two properties that acknowledge each other's mail, through a relay that hands every mail back to
// postdesk stripped of its loop headers (a robot that keeps nothing): the per-recipient limit on
// automatic mail ends it.
func TestTwoAutoAcknowledgersStop(t *testing.T) {
	t.Parallel()
	d := &desk{t: t, dsn: dbtest.Engines()[0].DSN(t), relay: mailertest.Start(t)}
	must(t, d.dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "acme@desk.example", "--domain", "desk.example")
	must(t, d.dsn, "property", "add", "--slug", "globex", "--name", "Globex", "--from", "globex@desk.example", "--domain", "desk.example")
	d.smtp, _ = startServe(t, d.dsn, "--relay", d.relay.Addr, "--relay-tls", "none")
	robots := &echo{}
	robots.answer(d.relay, func(m mailertest.Message) {
		var kept []string
		for _, line := range strings.Split(string(m.Data), "\r\n") {
			if strings.HasPrefix(line, "Auto-Submitted:") || strings.HasPrefix(line, "X-Auto-Response-Suppress:") || strings.HasPrefix(line, "X-Postdesk-Loop:") ||
				strings.HasPrefix(line, "In-Reply-To:") || strings.HasPrefix(line, "References:") || strings.HasPrefix(line, "Reply-To:") {
				continue
			}
			if strings.HasPrefix(line, "Subject:") {
				line = "Subject: Thank you for your message" // a robot with its own subject: no tag to thread by
			}
			kept = append(kept, line)
		}
		c, err := smtp.Dial(d.smtp)
		if err != nil {
			return
		}
		defer c.Close()
		from := "acme@desk.example"
		if m.Rcpts[0] == "acme@desk.example" {
			from = "globex@desk.example"
		}
		c.SendMail(from, m.Rcpts, strings.NewReader(strings.Join(kept, "\r\n")))
	})
	if err := sendMail(t, d.smtp, "globex@desk.example", []string{"acme@desk.example"}, "From: globex@desk.example\nTo: acme@desk.example\nSubject: hello\nMessage-ID: <start@x>\n\nhi\n"); err != nil {
		t.Fatal(err)
	}
	// Without the limit this never ends; with it, each side stops after 10 automatic mails.
	if !d.settled(robots, 20*time.Second) {
		t.Fatalf("still exchanging mail after 20 s: %d", len(d.relay.Messages()))
	}
	t.Logf("%d automatic mails exchanged before the loop stopped", len(d.relay.Messages()))
	if n := len(d.relay.Messages()); n < 10 || n > 20 {
		t.Fatalf("%d mails exchanged, want the limit (10 per address) to end it: between 10 and 20", n)
	}
}

// A bounce of postdesk's acknowledgement marks it failed on the ticket and the address as
// bouncing; it opens no ticket, the ticket's audience is told once, and no more automatic mail
// goes to that address.
func TestBounceOfOurMail(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) { bounceOfOurMail(t, e.DSN(t)) })
	}
}

func bounceOfOurMail(t *testing.T, dsn string) {
	d := newDesk(t, dsn)
	d.customerMail("From: ann@customer.example\nTo: support@acme.example\nSubject: Hello\nMessage-ID: <h1@customer.example>\n\nHi.\n")
	ack := to(d.sent(4), "ann@customer.example")[0]
	ackID := strings.Trim(ack.h.Get("Message-Id"), "<>")
	bounce := "From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\n" +
		"To: support@acme.example\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <b1@mx.customer.example>\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"bb\"\n\n" +
		"--bb\nContent-Type: text/plain\n\nI'm sorry to have to inform you that your message could not be delivered.\n\n" +
		"--bb\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.customer.example\n\n" +
		"Final-Recipient: rfc822; ann@customer.example\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n" +
		"--bb\nContent-Type: text/rfc822-headers\n\nFrom: Acme Support <support@acme.example>\nTo: ann@customer.example\nSubject: Re: [#1] Hello\nMessage-ID: <" + ackID + ">\n\n--bb--\n"
	if err := sendMail(t, d.smtp, "", []string{"acme@desk.example"}, bounce); err != nil {
		t.Fatal(err)
	}
	out := must(t, d.dsn, "tickets", "show", "--property", "acme", "--json", "1")
	if !strings.Contains(out, `"mail-bounced"`) || !strings.Contains(out, "5.1.1") || !strings.Contains(out, `"kind": "bounce"`) {
		t.Fatalf("ticket after the bounce:\n%s", out)
	}
	if od, err := db.Open(context.Background(), d.dsn); err != nil {
		t.Fatal(err)
	} else {
		var bouncing bool
		err := od.Get(context.Background(), nil, &bouncing, od.Rebind("SELECT bouncing FROM contacts WHERE email = ?"), "ann@customer.example")
		od.Close()
		if err != nil || !bouncing {
			t.Fatalf("the contact is not bouncing after the bounce (%v)", err)
		}
	}
	if list := must(t, d.dsn, "tickets", "list", "--property", "acme", "--status", "all", "--json"); strings.Count(list, `"number"`) != 1 {
		t.Fatalf("the bounce opened a ticket:\n%s", list)
	}
	// The ticket's audience (all three agents: it is unassigned) is told, once each, by automatic
	// mail; nothing goes back to the robot or to the bouncing address.
	notices := d.sent(7)[4:]
	for _, a := range []string{"alice", "bob", "carol"} {
		got := to(notices, a+"@acme.example")
		if len(got) != 1 {
			t.Fatalf("%s got %d bounce notices, want 1", a, len(got))
		}
		h := got[0].h
		if subj, ev := h.Get("Subject"), h.Get("X-Postdesk-Event"); subj != "[#1] Hello" || ev != "contact-bouncing" {
			t.Errorf("notice subject %q, event %q", subj, ev)
		}
		body := strings.ReplaceAll(strings.ReplaceAll(got[0].raw, "=\r\n", ""), "=\n", "") // quoted-printable soft breaks
		if h.Get("Auto-Submitted") != "auto-generated" || !strings.Contains(body, "5.1.1") || !strings.Contains(body, "is now marked as bouncing") {
			t.Errorf("notice to %s:\n%s", a, got[0].raw)
		}
	}
	// The same bounce again changes nothing and tells nobody.
	if err := sendMail(t, d.smtp, "", []string{"acme@desk.example"}, strings.Replace(bounce, "<b1@mx", "<b2@mx", 1)); err != nil {
		t.Fatal(err)
	}
	// Ann writes again: agents hear of it, but no acknowledgement goes to a bouncing address.
	d.customerMail("From: ann@customer.example\nTo: support@acme.example\nSubject: Other\nMessage-ID: <h2@customer.example>\n\nAgain.\n")
	d.sent(10)
	if got := d.drained(); len(got) != 10 {
		t.Fatalf("%d mails in all, want the first 4, the 3 bounce notices and the 3 notifications of the second mail", len(got))
	}
	if n := len(to(d.sent(10), "ann@customer.example")); n != 1 {
		t.Fatalf("%d mails to the bouncing address, want only the first acknowledgement", n)
	}
	if out := must(t, d.dsn, "tickets", "show", "--property", "acme", "2"); !strings.Contains(out, "Again.") {
		t.Fatalf("second ticket:\n%s", out)
	}
}
