package main

import (
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/tickets"
)

// The close mail and the per-property texts, end to end: real SMTP in, the capturing relay out, on
// both engines.

// newCloseDesk is newAgentDesk with the HTTP API: ticket #1 from Ann (Cc her boss), assigned to
// Bob; Alice is an admin with an API token. It returns the API's base URL and Alice's token.
func newCloseDesk(t *testing.T, dsn string) (d *agentDesk, base, token string) {
	dk := &desk{t: t, dsn: dsn, relay: mailertest.Start(t)}
	must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
	for _, a := range []string{"alice", "bob", "carol"} {
		must(t, dsn, "agent", "add", "--property", "acme", "--email", a+"@acme.example", "--name", strings.ToUpper(a[:1])+a[1:], "--role", map[bool]string{true: "admin", false: "support"}[a == "alice"])
	}
	token = strings.TrimSpace(must(t, dsn, "agent", "token", "--property", "acme", "--email", "alice@acme.example", "--name", "laptop"))
	smtpAddr, _, httpAddr := startServeHTTP(t, dsn, "--relay", dk.relay.Addr, "--relay-tls", "none")
	dk.smtp = smtpAddr
	d = &agentDesk{desk: dk, copies: map[string]sentMail{}}
	d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nCc: boss@customer.example\nSubject: Printer on fire\nMessage-ID: <c1@customer.example>\n\nIt burns.\n")
	ms := d.sent(4)
	for _, a := range []string{"alice", "bob", "carol"} {
		n := to(ms, a+"@acme.example")
		if len(n) != 1 {
			t.Fatalf("%s got %d notifications", a, len(n))
		}
		d.copies[a] = n[0]
	}
	d.cli("tickets", "assign", "--property", "acme", "--as", "alice@acme.example", "1", "bob@acme.example")
	d.sent(5)
	d.seen = 5
	return d, "http://" + httpAddr + "/api/v1/properties/acme", token
}

// rest waits until the outbox is drained and returns the mails sent since the last step.
func (d *agentDesk) rest() []sentMail {
	d.t.Helper()
	all := d.sent(len(d.drained()))
	out := all[d.seen:]
	d.seen = len(all)
	return out
}

// closeMailTo is the one close mail among ms, to Ann alone.
func closeMailTo(t *testing.T, ms []sentMail, what string) sentMail {
	t.Helper()
	var found []sentMail
	for _, m := range to(ms, "ann@customer.example") {
		if m.h.Get("Auto-Submitted") == "auto-generated" {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d close mails to Ann, want 1 (mails: %d)", what, len(found), len(ms))
	}
	if len(found[0].rcpts) != 1 {
		t.Fatalf("%s: the close mail went to %v, want Ann alone (not the Cc)", what, found[0].rcpts)
	}
	return found[0]
}

func TestCloseMail(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d, base, token := newCloseDesk(t, e.DSN(t))
			api := func(method, path, body string) (int, string) {
				t.Helper()
				return httpCall(t, method, base+path, token, strings.NewReader(body), "application/json")
			}
			ok := func(method, path, body string) {
				t.Helper()
				if code, out := api(method, path, body); code >= 300 {
					t.Fatalf("%s %s: %d %s", method, path, code, out)
				}
			}

			// Off by default: a close tells the customer nothing.
			d.cli("tickets", "close", "--property", "acme", "1")
			d.cli("tickets", "reopen", "--property", "acme", "1")
			d.quiet()

			must(t, d.dsn, "property", "set", "--slug", "acme", "--close-mail")
			// From the command line: Ann alone gets it (not her boss in Cc), automatic, threaded,
			// with the reply marker and an HTML version.
			d.cli("tickets", "close", "--property", "acme", "1")
			m := closeMailTo(t, d.newMail(1), "CLI close")
			text := readable(m)
			for _, want := range []string{"[#1]", "Printer on fire", "Your ticket #1 has been closed", "Please type your reply above this line", "<strong>#1</strong>"} {
				if !strings.Contains(text, want) {
					t.Errorf("close mail lacks %q:\n%s", want, text)
				}
			}
			if !strings.Contains(m.h.Get("Reply-To"), "acme+") || m.h.Get("In-Reply-To") == "" || m.h.Get("X-Auto-Response-Suppress") == "" {
				t.Errorf("close mail headers: %v", m.h)
			}
			// Closing a closed ticket is no close: nothing more.
			d.cli("tickets", "close", "--property", "acme", "1")
			ok("POST", "/tickets/1/close", "")
			d.quiet()

			// Ann answers the close mail within the reopen window: the ticket is open again, and Bob
			// hears of it.
			rt, err := mail.ParseAddress(m.h.Get("Reply-To"))
			if err != nil {
				t.Fatal(err)
			}
			d.mailFrom("ann@customer.example", rt.Address, "From: Ann <ann@customer.example>\nTo: "+rt.Address+"\nSubject: Re: "+m.h.Get("Subject")+
				"\nMessage-ID: <after-close@customer.example>\nIn-Reply-To: "+m.h.Get("Message-Id")+"\n\nOne more thing: it smokes again.\n")
			if ms := d.newMail(1); len(to(ms, "bob@acme.example")) != 1 {
				t.Fatalf("the answer to the close mail: %+v", ms)
			}
			if tk := d.ticket(1); tk.Status != tickets.StatusOpen {
				t.Fatalf("an answer to the close mail left the ticket %s", tk.Status)
			}

			// By the API, and in bulk: once each.
			ok("POST", "/tickets/1/close", "")
			closeMailTo(t, d.rest(), "API close")
			ok("POST", "/tickets/1/reopen", "")
			ok("POST", "/tickets/bulk", `{"action": "close", "numbers": [1]}`)
			closeMailTo(t, d.rest(), "bulk close")
			ok("POST", "/tickets/1/reopen", "")
			d.quiet()

			// By mail, with a reply: the reply reaches Ann, then the close mail.
			d.replyAs("alice", "#close\nFixed for good, closing."+quoted)
			ms := d.rest()
			closeMailTo(t, ms, "#close by mail")
			reply := false
			for _, m := range to(ms, "ann@customer.example") {
				reply = reply || (m.h.Get("Auto-Submitted") == "" && strings.Contains(readable(m), "Fixed for good"))
			}
			if !reply {
				t.Fatalf("the reply with #close did not reach Ann: %+v", ms)
			}
			if kinds := outboxKinds(t, d.dsn, "agent-reply", "closed"); !strings.HasSuffix(kinds, "agent-reply,closed") {
				t.Errorf("outbox order: %s, want the reply before the close mail", kinds)
			}

			// The property's own text: checked when set, rendered with the layout and the tag.
			file := filepath.Join(t.TempDir(), "closed.txt")
			os.WriteFile(file, []byte("Dear {name},\n"), 0o644)
			if code, _, errs := postdesk(t, d.dsn, "property", "text", "--slug", "acme", "--kind", "closed", "--file", file); code != 2 ||
				!strings.Contains(errs, "unknown placeholder {name}") || !strings.Contains(errs, "{ticket}, {subject}, {greeting}, {customer_name}, {customer_email}, {property}, {agent_name}") {
				t.Fatalf("unknown placeholder: exit %d: %s", code, errs)
			}
			if code, out := api("PUT", "/texts/closed/en", `{"body": "Ticket {{.Ticket.Number}} closed"}`); code != 422 || !strings.Contains(out, "not a Go template") {
				t.Fatalf("Go template braces: %d %s", code, out)
			}
			if code, out := api("PUT", "/texts/closed/en", `{"subject": "{Subject}", "body": "x"}`); code != 422 || !strings.Contains(out, `"field": "subject"`) || !strings.Contains(out, "unknown placeholder {Subject}") {
				t.Fatalf("unknown placeholder in the subject: %d %s", code, out)
			}
			if code, out := api("PUT", "/texts/new-ticket/en", `{"body": "x"}`); code != 400 || !strings.Contains(out, "acknowledgement, closed") {
				t.Fatalf("a kind whose text cannot be set: %d %s", code, out)
			}
			os.WriteFile(file, []byte("{greeting}\n\n{agent_name} closed {ticket} ({subject}) for {customer_name} <at> {property}.\nWrite back any time.\n\nThe team\n"), 0o644)
			must(t, d.dsn, "property", "text", "--slug", "acme", "--kind", "closed", "--file", file, "--subject", "Done: {subject}")
			if out := must(t, d.dsn, "property", "text", "--slug", "acme"); !strings.Contains(out, "Subject: Done: {subject}") {
				t.Errorf("property text shows:\n%s", out)
			}
			ok("POST", "/tickets/1/reopen", "")
			ok("POST", "/tickets/1/close", "")
			m = closeMailTo(t, d.rest(), "custom close")
			text = readable(m)
			for _, want := range []string{"[#1] Done: Printer on fire", "Hello Ann,", "Alice closed #1 (Printer on fire) for Ann <at> Acme Support.\nWrite back any time.",
				"Alice closed #1 (Printer on fire) for Ann &lt;at&gt; Acme Support.<br>", "Please type your reply above this line", "-- \nAcme Support"} {
				if !strings.Contains(text, want) {
					t.Errorf("custom close mail lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "has been closed") {
				t.Errorf("custom close mail keeps the built-in text:\n%s", text)
			}
			// Back to the built-in text, by the API.
			if code, out := api("DELETE", "/texts/closed/en", ""); code != 204 {
				t.Fatalf("DELETE text: %d %s", code, out)
			}
			if code, _ := api("DELETE", "/texts/closed/en", ""); code != 404 {
				t.Fatalf("DELETE a text not set: %d", code)
			}
			ok("POST", "/tickets/1/reopen", "")
			ok("POST", "/tickets/1/close", "")
			if text := readable(closeMailTo(t, d.rest(), "built-in again")); !strings.Contains(text, "has been closed") {
				t.Errorf("after DELETE the close mail is:\n%s", text)
			}

			// Trashing is no close; a ticket that came through a mailing list gets no close mail.
			ok("POST", "/tickets/1/reopen", "")
			ok("DELETE", "/tickets/1", "")
			ok("POST", "/tickets/1/restore", "")
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Team printer\nMessage-ID: <list1@customer.example>\n" +
				"List-Id: <team.groups.example>\nList-Post: <mailto:team@groups.example>\nPrecedence: list\n\nThe team's printer too.\n")
			d.rest() // the agents hear of it; no acknowledgement
			ok("POST", "/tickets/2/close", "")
			if ms := d.rest(); len(to(ms, "ann@customer.example")) != 0 {
				t.Fatalf("list ticket closed: mail to Ann %+v", ms)
			}
			if tk := d.ticket(2); !d.hasEvent(tk, "close-mail-suppressed") {
				t.Errorf("list ticket: no close-mail-suppressed event: %+v", tk.Events)
			}
			// A spam ticket's customer is never answered.
			ok("POST", "/tickets/1/spam", "")
			ok("POST", "/tickets/1/close", "")
			if ms := d.rest(); len(ms) != 0 {
				t.Fatalf("spam ticket closed: %d mails", len(ms))
			}
			// Off again: nothing.
			if code, out := api("PATCH", "", `{"close_mail": false}`); code != 200 || !strings.Contains(out, `"close_mail": false`) {
				t.Fatalf("PATCH close_mail: %d %s", code, out)
			}
			ok("POST", "/tickets/1/unspam", "")
			ok("POST", "/tickets/1/reopen", "")
			ok("POST", "/tickets/1/close", "")
			d.quiet()
		})
	}
}

// outboxKinds lists, in the order they were queued, the kinds of the outbox rows of the given kinds.
func outboxKinds(t *testing.T, dsn string, kinds ...string) string {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var got []string
	q, args, err := sqlx.In(`SELECT kind FROM outbox WHERE kind IN (?) ORDER BY id`, kinds)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SelectContext(context.Background(), &got, d.Rebind(q), args...); err != nil {
		t.Fatal(err)
	}
	return strings.Join(got, ",")
}

// The acknowledgement's text is the property's own in its locale (or the locale's base language);
// with none in that language, the built-in one.
func TestAcknowledgementTextPerLocale(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newDesk(t, e.DSN(t))
			ad := &agentDesk{desk: d}
			dir := t.TempDir()
			write := func(name, body string) string {
				f := filepath.Join(dir, name)
				if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				return f
			}
			must(t, d.dsn, "property", "text", "--slug", "acme", "--kind", "acknowledgement", "--file", write("en.txt", "{greeting}\n\nGot it: {ticket}, \"{subject}\".\nWe answer within a day.\n"))
			must(t, d.dsn, "property", "text", "--slug", "acme", "--kind", "acknowledgement", "--locale", "fr", "--subject", "Bien reçu : {subject}",
				"--file", write("fr.txt", "{greeting}\n\nNous avons bien reçu votre demande {ticket} à {property}.\n"))
			n := 0
			ack := func(subject string) string {
				t.Helper()
				n++
				d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: " + subject + "\nMessage-ID: <ack" + string(rune('0'+n)) + "@customer.example>\n\nHello.\n")
				ms := to(ad.rest(), "ann@customer.example")
				if len(ms) != 1 {
					t.Fatalf("%d acknowledgements of %q", len(ms), subject)
				}
				return readable(ms[0])
			}
			if text := ack("Printer"); !strings.Contains(text, "[#1] Printer\n") || !strings.Contains(text, "Hello Ann,\n\nGot it: #1, \"Printer\".\nWe answer within a day.") ||
				strings.Contains(text, "Thank you for contacting") || strings.Contains(text, "Bien reçu") {
				t.Errorf("English acknowledgement:\n%s", text)
			}
			// A regional locale takes its base language's text.
			must(t, d.dsn, "property", "set", "--slug", "acme", "--locale", "fr-CA", "--domain", "desk.example")
			if text := ack("Imprimante"); !strings.Contains(text, "[#2] Bien reçu : Imprimante") || !strings.Contains(text, "Bonjour Ann,\n\nNous avons bien reçu votre demande #2 à Acme Support.") ||
				!strings.Contains(text, "Veuillez écrire votre réponse") {
				t.Errorf("French acknowledgement:\n%s", text)
			}
			// No text in Italian: the built-in Italian one, never another language's text.
			must(t, d.dsn, "property", "set", "--slug", "acme", "--locale", "it", "--domain", "desk.example")
			if text := ack("Stampante"); !strings.Contains(text, "grazie per aver contattato Acme Support") || strings.Contains(text, "Got it") {
				t.Errorf("Italian acknowledgement:\n%s", text)
			}
			// Reset: the built-in French text again.
			must(t, d.dsn, "property", "set", "--slug", "acme", "--locale", "fr", "--domain", "desk.example")
			must(t, d.dsn, "property", "text", "--slug", "acme", "--kind", "acknowledgement", "--locale", "fr", "--default")
			if text := ack("Encore"); !strings.Contains(text, "Merci d'avoir contacté Acme Support") || strings.Contains(text, "Bien reçu") {
				t.Errorf("French acknowledgement after --default:\n%s", text)
			}
			if code, _, errs := postdesk(t, d.dsn, "property", "text", "--slug", "acme", "--kind", "acknowledgement", "--locale", "de", "--file", write("de.txt", "Hallo")); code != 2 || !strings.Contains(errs, "en, es, fr, it") {
				t.Errorf("--locale de: exit %d: %s", code, errs)
			}
		})
	}
}
