package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"net/url"
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
)

// The relay speaks TLS with a self-signed certificate: trusted through relay_ca_file with
// STARTTLS, through relay_tls_insecure with implicit TLS; refused without either.
func TestRelayOverTLS(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		implicit bool
		flags    func(ca string) []string
	}{
		{"starttls-ca-file", false, func(ca string) []string { return []string{"--relay-tls", "starttls", "--relay-ca-file", ca} }},
		{"implicit-insecure", true, func(string) []string { return []string{"--relay-tls", "implicit", "--relay-tls-insecure"} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dsn := dbtest.Engines()[0].DSN(t)
			relay, caPEM := mailertest.StartTLS(t, c.implicit)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(ca, caPEM, 0o600); err != nil {
				t.Fatal(err)
			}
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "support@acme.example", "--domain", "desk.example")
			addr, _ := startServe(t, dsn, append([]string{"--relay", relay.Addr}, c.flags(ca)...)...)
			if err := sendMail(t, addr, "ann@customer.example", []string{"acme@desk.example"}, "From: ann@customer.example\nTo: support@acme.example\nSubject: Hello\nMessage-ID: <tls1@customer.example>\n\nHi.\n"); err != nil {
				t.Fatal(err)
			}
			got := relay.Wait(t, 1, 15*time.Second)
			if got[0].Rcpts[0] != "ann@customer.example" || !strings.Contains(string(got[0].Data), "[#1]") {
				t.Fatalf("relay got %+v", got[0])
			}
			if secured, all := relay.Sessions(); secured != all || all == 0 {
				t.Fatalf("%d of %d mails over TLS", secured, all)
			}
		})
	}
	t.Run("untrusted", func(t *testing.T) {
		dsn := dbtest.Engines()[0].DSN(t)
		relay, _ := mailertest.StartTLS(t, false)
		must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "support@acme.example", "--domain", "desk.example")
		addr, _ := startServe(t, dsn, "--relay", relay.Addr, "--relay-tls", "starttls")
		if err := sendMail(t, addr, "ann@customer.example", []string{"acme@desk.example"}, "From: ann@customer.example\nTo: support@acme.example\nSubject: Hello\nMessage-ID: <tls2@customer.example>\n\nHi.\n"); err != nil {
			t.Fatal(err)
		}
		m := waitOutbox(t, dsn, func(m outboxRow) bool { return m.Attempts > 0 && m.Status == "queued" })
		if len(relay.Messages()) != 0 || !strings.Contains(m.LastError, "certificate") {
			t.Fatalf("mail sent to an untrusted relay, or not kept queued: %+v", m)
		}
	})
}

type outboxRow struct {
	Status    string `db:"status"`
	Attempts  int    `db:"attempts"`
	LastError string `db:"last_error"`
}

// waitOutbox waits until the first outbox row satisfies ok, and returns it.
func waitOutbox(t *testing.T, dsn string, ok func(outboxRow) bool) outboxRow {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var m outboxRow
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := d.GetContext(context.Background(), &m, `SELECT status, attempts, last_error FROM outbox ORDER BY id LIMIT 1`); err == nil && ok(m) {
			return m
		}
	}
	t.Fatalf("outbox row never became as wanted: %+v", m)
	return m
}

// freezer is a TCP proxy to a database server that can be frozen: bytes stop flowing both ways
// and no error is ever returned, as with a host that hangs or a network that drops packets.
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen bool
	thaw   *sync.Cond
}

func newFreezer(t *testing.T, target string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target}
	f.thaw = sync.NewCond(&f.mu)
	var conns []net.Conn
	var cmu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			cmu.Lock()
			conns = append(conns, c, up)
			cmu.Unlock()
			go f.pipe(c, up)
			go f.pipe(up, c)
		}
	}()
	t.Cleanup(func() {
		f.set(false)
		ln.Close()
		cmu.Lock()
		for _, c := range conns {
			c.Close()
		}
		cmu.Unlock()
	})
	return f
}

func (f *freezer) set(frozen bool) {
	f.mu.Lock()
	f.frozen = frozen
	f.mu.Unlock()
	f.thaw.Broadcast()
}

func (f *freezer) pipe(from, to net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		f.mu.Lock()
		for f.frozen {
			f.thaw.Wait()
		}
		f.mu.Unlock()
		if n > 0 {
			if _, werr := to.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			to.Close()
			return
		}
	}
}

// A PostgreSQL server that stops answering (no error, no reset) must not hang postdesk: SMTP
// answers 451 after the delivery timeout, /healthz answers 503 within a second, and once the
// server answers again the sender's retry is stored once.
func TestHungDatabase(t *testing.T) {
	t.Parallel()
	if os.Getenv(dbtest.EnvPostgres) == "" {
		t.Skip("needs PostgreSQL (" + dbtest.EnvPostgres + ")")
	}
	var pg dbtest.Engine
	for _, e := range dbtest.Engines() {
		if e.Name == "postgres" {
			pg = e
		}
	}
	dsn := pg.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	f := newFreezer(t, u.Host)
	u.Host = f.ln.Addr().String()
	dsn = u.String()
	must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--domain", "desk.example")
	smtpAddr, _, httpAddr := startServeHTTP(t, dsn, "--delivery-timeout", "1s")
	mail := func(n int) string {
		return fmt.Sprintf("From: ann@customer.example\nTo: acme@desk.example\nSubject: Hung %d\nMessage-ID: <hung%d@customer.example>\n\nHello.\n", n, n)
	}
	if err := sendMail(t, smtpAddr, "ann@customer.example", []string{"acme@desk.example"}, mail(1)); err != nil {
		t.Fatal(err)
	}
	health := func() (int, time.Duration) {
		start := time.Now()
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + httpAddr + "/healthz")
		if err != nil {
			t.Fatalf("/healthz: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}
	if code, _ := health(); code != 200 {
		t.Fatalf("/healthz with the database up: %d", code)
	}

	f.set(true)
	start := time.Now()
	err = sendMail(t, smtpAddr, "ann@customer.example", []string{"acme@desk.example"}, mail(2))
	if c := mailertest.Code(err); c != 451 {
		t.Fatalf("mail with the database hung: %v, want 451", err)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Fatalf("451 came after %s", took)
	}
	if code, took := health(); code != 503 || took > 3*time.Second {
		t.Fatalf("/healthz with the database hung: %d after %s, want 503 within a second", code, took)
	}

	f.set(false)
	// The sender retries; the message may have been committed late, and is then a duplicate.
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := sendMail(t, smtpAddr, "ann@customer.example", []string{"acme@desk.example"}, mail(2))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("retry after the database is back: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, _ := health(); code != 200 {
		t.Fatalf("/healthz after the database is back: %d", code)
	}
	list := must(t, dsn, "tickets", "list", "--property", "acme", "--json")
	if strings.Count(list, `"number"`) != 2 || strings.Count(list, "Hung 2") != 1 {
		t.Fatalf("tickets after the outage:\n%s", list)
	}
}

// Two agents' auto-responders that set no Auto-Submitted answer every copy they get: each answer
// is posted as that agent's reply and copied to the other, whose responder answers in turn. The
// loop brake ends it: after loop_max mails from one address on the ticket, that address's mail is
// stored and causes no more mail; the agents and admins are told once.
func TestTwoAgentsAutoRespondersStop(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			var mu sync.Mutex
			answers := 0
			robots := &echo{}
			robots.answer(d.relay, func(m mailertest.Message) {
				pm, err := mail.ReadMessage(bytes.NewReader(m.Data))
				if err != nil || len(m.Rcpts) != 1 {
					return
				}
				agent, ok := strings.CutSuffix(m.Rcpts[0], "@acme.example")
				if !ok || (agent != "alice" && agent != "bob") {
					return // only the two agents have a responder
				}
				rt, err := mail.ParseAddress(pm.Header.Get("Reply-To"))
				if err != nil {
					return
				}
				mu.Lock()
				answers++
				n := answers
				mu.Unlock()
				if n > 300 {
					return // the test's own cap: the brake did not hold
				}
				// Responders no classifier recognises (an out-of-office line is one: see
				// classify): only the brake can stop them.
				reply := fmt.Sprintf("From: %s@acme.example\nTo: %s\nSubject: Re: %s\nMessage-ID: <bot%d-%s@acme.example>\nIn-Reply-To: %s\n\nThanks, I will read this on Monday.\n",
					agent, rt.Address, pm.Header.Get("Subject"), n, agent, pm.Header.Get("Message-Id"))
				c, err := smtp.Dial(d.smtp)
				if err != nil {
					return
				}
				defer c.Close()
				c.SendMail(agent+"@acme.example", []string{rt.Address}, strings.NewReader(strings.ReplaceAll(reply, "\n", "\r\n")))
			})
			d.replyAs("alice", "Looking into it.\n")
			// Settled: every mail the relay took was handled by the bots, none is being answered,
			// and the outbox holds nothing to send.
			stopped := d.settled(robots, 60*time.Second)
			mu.Lock()
			total := answers
			mu.Unlock()
			if !stopped {
				t.Fatalf("the loop did not stop: %d answers by the responders, %d mails", total, len(d.relay.Messages()))
			}
			t.Logf("%d mails sent, %d answered by the responders, before the loop stopped", len(d.relay.Messages()), total)
			if total > 4*10 {
				t.Fatalf("%d answers by the responders: the brake (10 per address) should stop the loop well before", total)
			}
			det := d.ticket(1)
			if !d.hasEvent(det, "loop-suspected") {
				t.Fatalf("no loop-suspected event on the ticket: %+v", det.Events)
			}
			notices := 0
			for _, m := range d.relay.Messages() {
				if strings.Contains(string(m.Data), "\r\nX-Postdesk-Event: loop-suspected\r\n") {
					notices++
				}
			}
			if notices == 0 {
				t.Fatal("nobody was told of the loop")
			}
		})
	}
}

// postmaster@ the mail domain, in any case, is accepted (RFC 5321 §4.5.1): kept once
// with no ticket and forwarded to the admins, the original attached; a bounce to postmaster is kept
// and not forwarded. With postmaster = a property, the mail is a ticket there.
func TestPostmasterIsAccepted(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := &desk{t: t, dsn: e.DSN(t), relay: mailertest.Start(t)}
			must(t, d.dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "support@acme.example", "--domain", "desk.example")
			must(t, d.dsn, "agent", "add", "--property", "acme", "--email", "boss@acme.example", "--name", "Boss", "--role", "admin")
			must(t, d.dsn, "agent", "add", "--property", "acme", "--email", "alice@acme.example", "--name", "Alice")
			d.smtp, _ = startServe(t, d.dsn, "--relay", d.relay.Addr, "--relay-tls", "none")
			msg := "From: admin@mx.example\nTo: postmaster@desk.example\nSubject: Your server\nMessage-ID: <pm1@mx.example>\n\nYour server sends us odd mail.\n"
			for _, rcpt := range []string{"postmaster@desk.example", "PostMaster@DESK.example"} {
				if err := sendMail(t, d.smtp, "admin@mx.example", []string{rcpt}, msg); err != nil {
					t.Fatalf("mail to %s: %v", rcpt, err)
				}
			}
			got := d.sent(1)
			if got[0].rcpts[0] != "boss@acme.example" || !strings.Contains(got[0].raw, "message/rfc822") ||
				!strings.Contains(got[0].raw, "Your server sends us odd mail.") || got[0].h.Get("Auto-Submitted") != "auto-forwarded" {
				t.Fatalf("forward to the admin: %+v", got[0])
			}
			bounce := "From: MAILER-DAEMON@mx.example\nTo: postmaster@desk.example\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <pm2@mx.example>\n" +
				"Auto-Submitted: auto-replied\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"bb\"\n\n" +
				"--bb\nContent-Type: text/plain\n\nNot delivered.\n\n--bb\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n" +
				"Final-Recipient: rfc822; x@mx.example\nAction: failed\nStatus: 5.1.1\n\n--bb--\n"
			if err := sendMail(t, d.smtp, "", []string{"postmaster@desk.example"}, bounce); err != nil {
				t.Fatal(err)
			}
			od, err := db.Open(context.Background(), d.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer od.Close()
			var kept []string
			if err := od.SelectContext(context.Background(), &kept, `SELECT message_id FROM system_mail ORDER BY id`); err != nil {
				t.Fatal(err)
			}
			if strings.Join(kept, " ") != "pm1@mx.example pm2@mx.example" {
				t.Fatalf("kept postmaster mail: %v, want each once", kept)
			}
			var queued int
			if err := od.GetContext(context.Background(), &queued, `SELECT COUNT(*) FROM outbox`); err != nil || queued != 1 {
				t.Fatalf("%d mails queued (%v): the bounce must not be forwarded", queued, err)
			}
			if list := must(t, d.dsn, "tickets", "list", "--property", "acme", "--status", "all", "--json"); strings.TrimSpace(list) != "[]" {
				t.Fatalf("postmaster mail opened a ticket:\n%s", list)
			}
		})
	}
	t.Run("to-a-property", func(t *testing.T) {
		dsn := dbtest.Engines()[0].DSN(t)
		must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--domain", "desk.example")
		addr, _ := startServe(t, dsn, "--postmaster", "acme")
		if err := sendMail(t, addr, "admin@mx.example", []string{"postmaster@desk.example"}, "From: admin@mx.example\nTo: postmaster@desk.example\nSubject: Hello postmaster\nMessage-ID: <pm3@mx.example>\n\nHi.\n"); err != nil {
			t.Fatal(err)
		}
		if list := must(t, dsn, "tickets", "list", "--property", "acme", "--json"); !strings.Contains(list, "Hello postmaster") {
			t.Fatalf("postmaster mail is not a ticket of acme:\n%s", list)
		}
	})
}
