package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/auth"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// The admin lifecycle through the real CLI, on both engines: what an admin edits and removes,
// and what becomes of the tickets, people and mail that depended on it.

// lifecycleDB is a fresh database with property acme and its agents Alice (owner) and Bob.
func lifecycleDB(t *testing.T, dsn string) {
	t.Helper()
	must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
	must(t, dsn, "agent", "add", "--property", "acme", "--email", "alice@acme.example", "--name", "Alice", "--role", "owner")
	must(t, dsn, "agent", "add", "--property", "acme", "--email", "bob@acme.example", "--name", "Bob")
}

func bodyFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func properties(t *testing.T, dsn string) []tickets.Property {
	t.Helper()
	var ps []tickets.Property
	if err := json.Unmarshal([]byte(must(t, dsn, "property", "list", "--json")), &ps); err != nil {
		t.Fatal(err)
	}
	return ps
}

func openDB(t *testing.T, dsn string) (*db.DB, *tickets.Store) {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	s, err := tickets.Open(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return d, s
}

func TestPropertyEditChangesOnlyWhatIsGiven(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			lifecycleDB(t, dsn)
			out := must(t, dsn, "property", "edit", "--slug", "acme", "--name", "Acme Help", "--from", "Help@Acme.example",
				"--locale", "fr", "--reopen-window", "24h", "--acknowledge=false")
			if !strings.Contains(out, "Acme Help <help@acme.example>") {
				t.Fatalf("edit says %q", out)
			}
			p := properties(t, dsn)[0]
			if p.Name != "Acme Help" || p.FromAddress != "help@acme.example" || p.Locale != "fr" || p.ReopenSecs != 24*3600 || p.Acknowledge {
				t.Fatalf("edited property %+v", p)
			}
			// A bad value is refused before anything changes, with exit status 2.
			for _, args := range [][]string{
				{"--from", "not an address", "--name", "Changed"},
				{"--name", "two\nlines"},
				{"--reopen-window", "-1h"},
				{"--locale", "xx-nope", "--name", "Changed"},
				{}, // nothing to change
			} {
				if code, _, errs := postdesk(t, dsn, append([]string{"property", "edit", "--slug", "acme"}, args...)...); code != 2 {
					t.Errorf("edit %v: exit %d: %s", args, code, errs)
				}
			}
			if got := properties(t, dsn)[0]; got.Name != "Acme Help" || got.FromAddress != "help@acme.example" {
				t.Fatalf("a refused edit changed %+v", got)
			}
			// The slug is no flag of edit: it is the forwarding address.
			if code, _, _ := postdesk(t, dsn, "property", "edit", "--slug", "acme", "--new-slug", "x"); code != 2 {
				t.Fatalf("edit took a new slug")
			}
			// set, the older name, still works (and stays silent).
			if out := must(t, dsn, "property", "set", "--slug", "acme", "--acknowledge=true", "--name", "Acme"); out != "" {
				t.Fatalf("set printed %q", out)
			}
			if p := properties(t, dsn)[0]; !p.Acknowledge || p.Name != "Acme" {
				t.Fatalf("after set: %+v", p)
			}
			// The own address moved: mail from the old one is no longer ours, mail to the new one is.
			_, s := openDB(t, dsn)
			pr, err := s.PropertyBySlug(context.Background(), "acme")
			if err != nil {
				t.Fatal(err)
			}
			if own := pr.Addresses("desk.example"); !own.Own("help@acme.example") || own.Own("support@acme.example") {
				t.Fatalf("own addresses after the edit: %+v", own)
			}
		})
	}
}

func TestPropertyRemoveAsksThenRemovesEverythingItHolds(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			lifecycleDB(t, dsn)
			must(t, dsn, "property", "add", "--slug", "beta", "--name", "Beta", "--domain", "desk.example")
			must(t, dsn, "agent", "add", "--property", "beta", "--email", "alice@acme.example", "--name", "Alice", "--role", "owner")
			must(t, dsn, "department", "add", "--property", "acme", "--name", "Billing", "--member", "bob@acme.example", "--default")
			body := bodyFile(t, "Hello.")
			for _, slug := range []string{"acme", "acme", "beta"} {
				assign := map[string]string{"acme": "Billing", "beta": "alice@acme.example"}[slug]
				must(t, dsn, "tickets", "create", "--property", slug, "--as", "alice@acme.example", "--to", "ann@customer.example",
					"--subject", "About your order", "--body-file", body, "--assign", assign, "--domain", "desk.example")
			}
			must(t, dsn, "agent", "token", "--property", "acme", "--email", "bob@acme.example")
			must(t, dsn, "mailbox", "add", "--property", "acme", "--host", "127.0.0.1", "--port", "1", "--tls", "none",
				"--user", "u", "--password-file", bodyFile(t, "pw"), "--check=false")
			must(t, dsn, "property", "dkim", "--property", "acme", "--generate", "--algorithm", "ed25519")
			must(t, dsn, "saved-reply", "add", "--property", "acme", "--name", "thanks", "--text", "Thanks, {customer_name}.")

			// Without --yes: what would go, exit 2, nothing removed.
			code, out, errs := postdesk(t, dsn, "property", "remove", "--slug", "acme")
			if code != 2 || !strings.Contains(out, "2 tickets, 2 messages, 1 contacts, 2 agents, 1 departments, 1 mailboxes, 4 unsent mails") || !strings.Contains(errs, "--yes") {
				t.Fatalf("remove without --yes: exit %d: %s%s", code, out, errs)
			}
			if len(properties(t, dsn)) != 2 {
				t.Fatal("removed without --yes")
			}
			d, _ := openDB(t, dsn)
			var acme int64
			if err := d.GetContext(context.Background(), &acme, d.Rebind(`SELECT id FROM properties WHERE slug = 'acme'`)); err != nil {
				t.Fatal(err)
			}
			out = must(t, dsn, "property", "remove", "--slug", "acme", "--yes")
			if !strings.Contains(out, "removed property acme: 2 tickets") {
				t.Fatalf("remove says %q", out)
			}
			// Nothing of acme is left in any table that refers to a property.
			for _, table := range []string{"tickets", "messages", "contacts", "property_agents", "departments", "mailboxes", "outbox",
				"api_tokens", "dkim_keys", "property_texts", "thread_ids", "ticket_counts", "ticket_changes", "system_mail", "saved_replies"} {
				var n int
				if err := d.GetContext(context.Background(), &n, d.Rebind(`SELECT COUNT(*) FROM `+table+` WHERE property_id = ?`), acme); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Errorf("%s still has %d rows of the removed property", table, n)
				}
			}
			// Beta is untouched, and Alice, its owner, is still its agent.
			if ps := properties(t, dsn); len(ps) != 1 || ps[0].Slug != "beta" {
				t.Fatalf("properties left: %+v", ps)
			}
			if out := must(t, dsn, "tickets", "list", "--property", "beta"); !strings.Contains(out, "About your order") {
				t.Fatalf("beta's tickets: %s", out)
			}
			if out := must(t, dsn, "agent", "list", "--property", "beta"); !strings.Contains(out, "alice@acme.example") {
				t.Fatalf("beta's agents: %s", out)
			}
			if code, _, _ := postdesk(t, dsn, "property", "remove", "--slug", "acme", "--yes"); code != 1 {
				t.Fatalf("removing it twice: exit %d", code)
			}
		})
	}
}

// Bob leaves: his ticket is unassigned, so the customer's next mail reaches the other agents and
// not him; his token and his web session end; the reply he wrote keeps his name.
func TestRemovedAgentsTicketsReachTheOthers(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			d := newDesk(t, dsn)
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Printer on fire\nMessage-ID: <c1@customer.example>\n\nIt burns.\n")
			d.sent(4) // her acknowledgement, and each agent's copy
			d.cli("tickets", "assign", "--property", "acme", "--as", "alice@acme.example", "1", "bob@acme.example")
			d.cli("tickets", "reply", "--property", "acme", "--as", "bob@acme.example", "--body-file", bodyFile(t, "Unplug it."), "1")
			seen := len(d.drained())
			token := strings.TrimSpace(must(t, dsn, "agent", "token", "--property", "acme", "--email", "bob@acme.example"))
			dbh, s := openDB(t, dsn)
			ctx := context.Background()
			sessions, err := auth.Open(ctx, dbh, auth.Config{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.PropertyBySlug(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			bob, err := s.AgentByEmail(ctx, p.ID, "bob@acme.example")
			if err != nil {
				t.Fatal(err)
			}
			cookie, _, err := sessions.NewSession(ctx, bob.ID, "")
			if err != nil {
				t.Fatal(err)
			}

			out := must(t, dsn, "agent", "remove", "--property", "acme", "--email", "bob@acme.example")
			if !strings.Contains(out, "1 tickets unassigned, 1 API tokens revoked") {
				t.Fatalf("agent remove says %q", out)
			}
			tk := ticketJSON(t, dsn, 1)
			if tk.Assignee != nil || tk.Department != nil || !hasEventDetail(tk, "unassigned", "bob@acme.example was removed") {
				t.Fatalf("after removing Bob: assignee %v, events %+v", tk.Assignee, tk.Events)
			}
			var reply *tickets.Message
			for i := range tk.Messages {
				if tk.Messages[i].Direction == tickets.DirectionOut {
					reply = &tk.Messages[i]
				}
			}
			if reply == nil || reply.From != "bob@acme.example" || reply.FromName != "Bob" {
				t.Fatalf("Bob's reply after he left: %+v", reply)
			}
			if _, _, err := s.Authenticate(ctx, token); err == nil {
				t.Fatal("Bob's API token still works")
			}
			if _, err := sessions.Session(ctx, cookie); !errors.Is(err, auth.ErrNoSession) {
				t.Fatalf("Bob's web session: %v", err)
			}
			if out := must(t, dsn, "agent", "list", "--property", "acme"); strings.Contains(out, "bob@") {
				t.Fatalf("Bob is still listed:\n%s", out)
			}

			// Ann answers: unassigned, the ticket's news goes to every agent left, not to Bob.
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Re: Printer on fire\nMessage-ID: <c2@customer.example>\nIn-Reply-To: <c1@customer.example>\n\nStill burning.\n")
			all := d.drained()
			if len(all) <= seen {
				t.Fatal("Ann's answer was told to nobody")
			}
			news := d.sent(len(all))[seen:]
			if len(to(news, "bob@acme.example")) != 0 || len(to(news, "alice@acme.example")) != 1 || len(to(news, "carol@acme.example")) != 1 {
				t.Fatalf("Ann's answer went to %+v", news)
			}
			if n := ticketJSON(t, dsn, 1).MessageCount; n != 3 {
				t.Fatalf("ticket #1 has %d messages, want 3 (her answer threaded)", n)
			}
		})
	}
}

func ticketJSON(t *testing.T, dsn string, n int) tickets.TicketDetail {
	t.Helper()
	var tk tickets.TicketDetail
	if err := json.Unmarshal([]byte(must(t, dsn, "tickets", "show", "--property", "acme", "--json", fmt.Sprint(n))), &tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

func hasEventDetail(tk tickets.TicketDetail, kind, detail string) bool {
	for _, e := range tk.Events {
		if e.Kind == kind && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

func TestLastOwnerStaysAndRolesChange(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			lifecycleDB(t, dsn)
			for _, args := range [][]string{
				{"agent", "remove", "--property", "acme", "--email", "alice@acme.example"},
				{"agent", "role", "--property", "acme", "--email", "alice@acme.example", "--role", "admin"},
			} {
				if code, _, errs := postdesk(t, dsn, args...); code != 2 || !strings.Contains(errs, "last owner") {
					t.Fatalf("%v: exit %d: %s", args, code, errs)
				}
			}
			if out := must(t, dsn, "agent", "role", "--property", "acme", "--email", "bob@acme.example", "--role", "owner"); !strings.Contains(out, "Bob <bob@acme.example> is owner of acme") {
				t.Fatalf("role says %q", out)
			}
			// With another owner, Alice may step down, then leave.
			must(t, dsn, "agent", "role", "--property", "acme", "--email", "alice@acme.example", "--role", "support")
			must(t, dsn, "agent", "remove", "--property", "acme", "--email", "alice@acme.example")
			if code, _, _ := postdesk(t, dsn, "agent", "remove", "--property", "acme", "--email", "alice@acme.example"); code != 1 {
				t.Fatalf("removing a former agent: exit %d", code)
			}
			if code, _, _ := postdesk(t, dsn, "agent", "role", "--property", "acme", "--email", "bob@acme.example", "--role", "boss"); code != 2 {
				t.Fatalf("an unknown role: exit %d", code)
			}
		})
	}
}

func TestDepartmentsAreListedRenamedAndRemoved(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			lifecycleDB(t, dsn)
			must(t, dsn, "department", "add", "--property", "acme", "--name", "Billing", "--member", "alice@acme.example", "--member", "bob@acme.example", "--default")
			must(t, dsn, "department", "add", "--property", "acme", "--name", "Sales")
			list := func() []tickets.Department {
				var ds []tickets.Department
				if err := json.Unmarshal([]byte(must(t, dsn, "department", "list", "--property", "acme", "--json")), &ds); err != nil {
					t.Fatal(err)
				}
				return ds
			}
			ds := list()
			if len(ds) != 2 || ds[0].Name != "Billing" || !ds[0].Default || len(ds[0].Members) != 2 || ds[1].Default || len(ds[1].Members) != 0 {
				t.Fatalf("departments %+v", ds)
			}
			if out := must(t, dsn, "department", "list", "--property", "acme"); !strings.Contains(out, "Billing  yes      alice@acme.example, bob@acme.example") {
				t.Fatalf("department list:\n%s", out)
			}
			must(t, dsn, "department", "rename", "--property", "acme", "--name", "billing", "--to", "Accounts")
			if code, _, _ := postdesk(t, dsn, "department", "rename", "--property", "acme", "--name", "Accounts", "--to", "SALES"); code != 2 {
				t.Fatalf("a rename onto another department's name: exit %d", code)
			}
			must(t, dsn, "department", "remove-member", "--property", "acme", "--name", "Accounts", "--member", "bob@acme.example")
			if code, _, _ := postdesk(t, dsn, "department", "remove-member", "--property", "acme", "--name", "Accounts", "--member", "bob@acme.example"); code != 1 {
				t.Fatalf("removing a member twice: exit %d", code)
			}
			if ds := list(); ds[0].Name != "Accounts" || !ds[0].Default || len(ds[0].Members) != 1 || ds[0].Members[0] != "alice@acme.example" {
				t.Fatalf("after rename and remove-member: %+v", ds)
			}
			must(t, dsn, "tickets", "create", "--property", "acme", "--as", "alice@acme.example", "--to", "ann@customer.example",
				"--subject", "Invoice", "--body-file", bodyFile(t, "Your invoice."), "--assign", "Accounts", "--domain", "desk.example")
			if tk := ticketJSON(t, dsn, 1); tk.Department == nil || *tk.Department != "Accounts" {
				t.Fatalf("assigned to %v", tk.Department)
			}
			if out := must(t, dsn, "department", "remove", "--property", "acme", "--name", "Accounts"); !strings.Contains(out, "1 tickets unassigned") {
				t.Fatalf("remove says %q", out)
			}
			if tk := ticketJSON(t, dsn, 1); tk.Department != nil || !hasEventDetail(tk, "unassigned", "department Accounts was removed") {
				t.Fatalf("after the department went: %v %+v", tk.Department, tk.Events)
			}
			if ds := list(); len(ds) != 1 || ds[0].Name != "Sales" || ds[0].Default {
				t.Fatalf("left: %+v (the property has no default department now)", ds)
			}
		})
	}
}

func TestMailboxPausedResumedRemoved(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			lifecycleDB(t, dsn)
			must(t, dsn, "property", "add", "--slug", "beta", "--name", "Beta")
			must(t, dsn, "mailbox", "add", "--property", "acme", "--host", "127.0.0.1", "--port", "1", "--tls", "none",
				"--user", "u", "--password-file", bodyFile(t, "pw"), "--check=false")
			status := func() statusRow {
				var rows []statusRow
				if err := json.Unmarshal([]byte(must(t, dsn, "mailbox", "status", "--json")), &rows); err != nil {
					t.Fatal(err)
				}
				if len(rows) != 1 {
					t.Fatalf("%d mailboxes", len(rows))
				}
				return rows[0]
			}
			must(t, dsn, "mailbox", "pause", "--property", "acme", "--id", "1")
			if r := status(); !r.Paused || r.PolledBy != "" {
				t.Fatalf("paused mailbox: %+v", r)
			}
			if out := must(t, dsn, "mailbox", "status"); !strings.Contains(out, "paused") {
				t.Fatalf("status:\n%s", out)
			}
			for _, verb := range []string{"pause", "resume", "remove"} {
				if code, _, errs := postdesk(t, dsn, "mailbox", verb, "--property", "beta", "--id", "1"); code != 1 || !strings.Contains(errs, "beta has no mailbox 1") {
					t.Fatalf("%s from another property: exit %d: %s", verb, code, errs)
				}
			}
			must(t, dsn, "mailbox", "resume", "--property", "acme", "--id", "1")
			if r := status(); r.Paused {
				t.Fatalf("resumed mailbox: %+v", r)
			}
			must(t, dsn, "mailbox", "remove", "--property", "acme", "--id", "1")
			if out := must(t, dsn, "mailbox", "list", "--json"); strings.TrimSpace(out) != "[]" {
				t.Fatalf("after remove: %s", out)
			}
		})
	}
}

func TestTicketsUnassignAndPurgeFromTheCLI(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			lifecycleDB(t, dsn)
			must(t, dsn, "tickets", "create", "--property", "acme", "--as", "alice@acme.example", "--to", "ann@customer.example",
				"--subject", "Order", "--body-file", bodyFile(t, "Hello."), "--assign", "bob@acme.example", "--domain", "desk.example")
			if out := must(t, dsn, "tickets", "unassign", "--property", "acme", "--as", "alice@acme.example", "1"); out != "#1 is unassigned\n" {
				t.Fatalf("unassign says %q", out)
			}
			if tk := ticketJSON(t, dsn, 1); tk.Assignee != nil {
				t.Fatalf("still assigned to %s", *tk.Assignee)
			}
			// Purging is the second step: only from the trash.
			if code, _, errs := postdesk(t, dsn, "tickets", "purge", "--property", "acme", "1"); code != 1 || !strings.Contains(errs, "only a ticket in the trash") {
				t.Fatalf("purge outside the trash: exit %d: %s", code, errs)
			}
			must(t, dsn, "tickets", "trash", "--property", "acme", "1")
			if out := must(t, dsn, "tickets", "purge", "--property", "acme", "1"); out != "#1 is deleted for good\n" {
				t.Fatalf("purge says %q", out)
			}
			if code, _, _ := postdesk(t, dsn, "tickets", "restore", "--property", "acme", "1"); code != 1 {
				t.Fatalf("a purged ticket came back: exit %d", code)
			}
		})
	}
}

// Ann copies her boss: he becomes a contact with his name, and his history shows the ticket.
// Her own agent in Cc and the property's address do not.
func TestPeopleInCcBecomeContacts(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			d := newDesk(t, dsn)
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nCc: Boss Man <Boss@Customer.example>, alice@acme.example\nSubject: Printer on fire\nMessage-ID: <c1@customer.example>\n\nIt burns.\n")
			d.drained()
			var cs []tickets.ContactSummary
			if err := json.Unmarshal([]byte(must(t, dsn, "contacts", "list", "--property", "acme", "--json")), &cs); err != nil {
				t.Fatal(err)
			}
			var emails []string
			for _, c := range cs {
				emails = append(emails, c.Email+"="+c.Name)
			}
			if strings.Join(emails, " ") != "ann@customer.example=Ann boss@customer.example=Boss Man" {
				t.Fatalf("contacts: %v", emails)
			}
			if out := must(t, dsn, "contacts", "list", "--property", "acme", "--search", "boss"); !strings.Contains(out, "boss@customer.example") || strings.Contains(out, "ann@") {
				t.Fatalf("search:\n%s", out)
			}
			var h tickets.ContactHistory
			if err := json.Unmarshal([]byte(must(t, dsn, "contacts", "show", "--property", "acme", "--json", "boss@customer.example")), &h); err != nil {
				t.Fatal(err)
			}
			if len(h.Tickets) != 1 || h.Tickets[0].Number != 1 || h.Tickets[0].Subject != "Printer on fire" {
				t.Fatalf("the boss's history: %+v", h.Tickets)
			}
			if out := must(t, dsn, "contacts", "show", "--property", "acme", "ann@customer.example"); !strings.Contains(out, "Ann <ann@customer.example>: 1 tickets") || !strings.Contains(out, "Printer on fire") {
				t.Fatalf("show:\n%s", out)
			}
			if code, _, errs := postdesk(t, dsn, "contacts", "show", "--property", "acme", "nobody@customer.example"); code != 1 || !strings.Contains(errs, "no contact") {
				t.Fatalf("an unknown contact: exit %d: %s", code, errs)
			}
		})
	}
}
