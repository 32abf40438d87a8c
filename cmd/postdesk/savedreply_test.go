package main

import (
	"encoding/json"
	"net/mail"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// An agent's "#reply refund" by mail sends the saved text with the customer's name filled in, in
// place of the line, then what the agent wrote; the stored reply is what was sent. An unknown
// name sends nothing, and the agent is told the names there are, in the property's language.
func TestSavedReplyByMail(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			out := must(t, d.dsn, "saved-reply", "add", "--property", "acme", "--name", "Refund",
				"--text", "Hello {customer_name},\n\nyour refund for {ticket} is on its way.\n{agent_name}")
			if !strings.Contains(out, "saved reply refund of acme in en added") {
				t.Fatalf("add: %q", out)
			}

			d.replyAs("alice", "#reply REFUND\nIt takes three days."+quoted)
			ms := d.newMail(2)
			cust := to(ms, "ann@customer.example")
			want := "Hello Ann,\n\nyour refund for #1 is on its way.\nAlice\n\nIt takes three days."
			if len(cust) != 1 || !strings.Contains(textOf(t, cust[0]), want) || strings.Contains(cust[0].raw, "#reply") {
				t.Fatalf("the customer should get the saved text filled in, then the agent's words:\n%+v", ms)
			}
			d.quiet()
			tk := d.ticket(1)
			last := tk.Messages[len(tk.Messages)-1]
			if last.Direction != tickets.DirectionOut || last.Trimmed != want {
				t.Fatalf("the stored reply is not what was sent: %q", last.Trimmed)
			}

			// An unknown name: nothing is sent; Alice gets the names there are.
			d.replyAs("alice", "#reply refnd\nIt takes three days."+quoted)
			ms = d.newMail(1)
			if len(to(ms, "alice@acme.example")) != 1 || !strings.Contains(textOf(t, ms[0]), `no saved reply "refnd" on this property; its saved replies: refund`) {
				t.Fatalf("an unknown saved reply should be refused with the known names: %+v", ms)
			}
			d.quiet()

			// In French: the property's texts are the French ones; the error mail is in French.
			must(t, d.dsn, "property", "set", "--slug", "acme", "--locale", "fr", "--domain", "desk.example")
			must(t, d.dsn, "saved-reply", "add", "--property", "acme", "--name", "remboursement", "--locale", "fr", "--text", "Bonjour {customer_name}, c'est remboursé.")
			d.replyAs("alice", "#reply refund"+quoted)
			ms = d.newMail(1)
			if len(to(ms, "alice@acme.example")) != 1 || !strings.Contains(textOf(t, ms[0]), `la réponse enregistrée "refund" n'a pas de texte en fr, seulement en en ; les réponses enregistrées sont : remboursement`) {
				t.Fatalf("a saved reply with no French text, on a French property: %+v", ms)
			}
			d.quiet()
			d.replyAs("alice", "#reply remboursement"+quoted)
			if cust := to(d.newMail(2), "ann@customer.example"); len(cust) != 1 || !strings.Contains(textOf(t, cust[0]), "Bonjour Ann, c'est remboursé.") {
				t.Fatalf("the French saved reply: %+v", cust)
			}
			d.quiet()
		})
	}
}

// From the command line: add, list, edit, remove; a reply with --saved-reply; a bad name or
// placeholder is refused with what is wrong.
func TestSavedReplyCommands(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t))
			body := bodyFile(t, "Kind regards,\n{agent_name}, {property}")
			must(t, d.dsn, "saved-reply", "add", "--property", "acme", "--name", "thanks", "--file", body)
			if code, _, errs := postdesk(t, d.dsn, "saved-reply", "add", "--property", "acme", "--name", "thanks", "--text", "again"); code == 0 || !strings.Contains(errs, "already exists") {
				t.Fatalf("a second text of a name in a locale: exit %d: %s", code, errs)
			}
			if code, _, errs := postdesk(t, d.dsn, "saved-reply", "add", "--property", "acme", "--name", "two words", "--text", "x"); code == 0 || !strings.Contains(errs, "not a saved reply's name") {
				t.Fatalf("a bad name: exit %d: %s", code, errs)
			}
			if code, _, errs := postdesk(t, d.dsn, "saved-reply", "add", "--property", "acme", "--name", "hi", "--text", "Hello {name}"); code == 0 || !strings.Contains(errs, "unknown placeholder {name}; a saved reply knows {customer_name}") {
				t.Fatalf("an unknown placeholder: exit %d: %s", code, errs)
			}
			if code, _, errs := postdesk(t, d.dsn, "saved-reply", "add", "--property", "acme", "--name", "hi", "--text", "Hallo", "--locale", "de"); code != 2 || !strings.Contains(errs, "unknown locale") {
				t.Fatalf("a locale postdesk has no mail in: exit %d: %s", code, errs)
			}
			must(t, d.dsn, "saved-reply", "edit", "--property", "acme", "--name", "Thanks", "--text", "Best,\n{agent_name} of {property}")
			var rs []tickets.SavedReply
			if err := json.Unmarshal([]byte(must(t, d.dsn, "saved-reply", "list", "--property", "acme", "--json")), &rs); err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 || rs[0].Name != "thanks" || rs[0].Locale != "en" || rs[0].Body != "Best,\n{agent_name} of {property}" {
				t.Fatalf("list: %+v", rs)
			}
			if out := must(t, d.dsn, "saved-reply", "list", "--property", "acme"); !strings.Contains(out, "thanks") || !strings.Contains(out, "Best,") {
				t.Fatalf("list: %q", out)
			}

			// A reply from the command line: the saved text, then the file's.
			d.cli("tickets", "reply", "--property", "acme", "--as", "bob@acme.example", "--saved-reply", "thanks", "1")
			cust := to(d.sync(), "ann@customer.example")
			if len(cust) != 1 || !strings.Contains(textOf(t, cust[0]), "Best,\nBob of Acme Support") {
				t.Fatalf("tickets reply --saved-reply: %+v", cust)
			}
			d.quiet()
			if code, _, errs := postdesk(t, d.dsn, "tickets", "reply", "--property", "acme", "--as", "bob@acme.example", "--saved-reply", "nope", "1", "--domain", "desk.example"); code == 0 || !strings.Contains(errs, `no saved reply "nope" on this property; its saved replies: thanks`) {
				t.Fatalf("an unknown saved reply: exit %d: %s", code, errs)
			}

			must(t, d.dsn, "saved-reply", "remove", "--property", "acme", "--name", "THANKS")
			if out := must(t, d.dsn, "saved-reply", "list", "--property", "acme"); !strings.Contains(out, "acme has no saved replies") {
				t.Fatalf("after remove: %q", out)
			}
			if code, _, errs := postdesk(t, d.dsn, "saved-reply", "remove", "--property", "acme", "--name", "thanks"); code == 0 || !strings.Contains(errs, "not found") {
				t.Fatalf("remove again: exit %d: %s", code, errs)
			}
		})
	}
}

// textOf is the decoded text of a mail's text parts, with LF line ends.
func textOf(t *testing.T, m sentMail) string {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(m.raw))
	if err != nil {
		t.Fatal(err)
	}
	text := mailText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return strings.ReplaceAll(text, "\r\n", "\n")
}
