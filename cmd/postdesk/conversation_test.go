package main

import (
	"encoding/base64"
	"mime"
	"regexp"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
)

// gmailPrefix is what Gmail drops from a subject before it compares subjects to group mail into
// a conversation: reply and forward prefixes, however many.
var gmailPrefix = regexp.MustCompile(`(?i)^\s*((re|fwd?|aw|wg|tr|rv|r|i)\s*(\[\d+\])?\s*:\s*)+`)

// gmailSubject is subject as Gmail compares it.
func gmailSubject(subject string) string {
	if d, err := new(mime.WordDecoder).DecodeHeader(subject); err == nil {
		subject = d
	}
	return strings.Join(strings.Fields(gmailPrefix.ReplaceAllString(subject, "")), " ")
}

func msgIDs(h string) []string {
	var out []string
	for _, f := range strings.Fields(h) {
		out = append(out, strings.Trim(f, "<>"))
	}
	return out
}

// agentChain is every mail to one agent about ticket #1, oldest first.
func agentChain(ms []sentMail, agent string) []sentMail {
	var out []sentMail
	for _, m := range to(ms, agent) {
		if strings.Contains(m.h.Get("Subject"), "[#1]") {
			out = append(out, m)
		}
	}
	return out
}

// One ticket is one conversation in an agent's mailbox, as Gmail and Outlook group mail: every mail
// to the agent about the ticket — new ticket, assignment, customer reply, reopen, a colleague's
// note, a command error — has the same subject once Gmail has normalised it and shares one root in
// References, and Outlook sees one Thread-Topic and one Thread-Index header block. Another agent's
// conversation of the same ticket has its own root. A reply that keeps only the root in References
// lands on the ticket, as the agent's.
func TestAgentMailboxConversation(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			d := newAgentDesk(t, e.DSN(t)) // #1 from Ann: new-ticket to every agent; assigned to Bob
			step := func() {
				t.Helper()
				d.seen = len(d.drained())
			}
			ack := to(d.sent(d.seen), "ann@customer.example")[0]
			d.customerMail("From: ann@customer.example\nTo: support@acme.example\nSubject: Re: [#1] Printer on fire\nMessage-ID: <c2@customer.example>\nIn-Reply-To: " + ack.h.Get("Message-Id") + "\n\nNow it smokes.\n")
			step()
			must(t, d.dsn, "tickets", "close", "--property", "acme", "1")
			d.customerMail("From: ann@customer.example\nTo: support@acme.example\nSubject: Re: [#1] Printer on fire\nMessage-ID: <c3@customer.example>\nIn-Reply-To: <c2@customer.example>\n\nIt is back on fire.\n")
			step()
			d.replyAs("alice", "#note\nCheck the warranty first.\n")
			step()
			d.replyAs("alice", "We are looking into it.\n") // she takes part: Bob's reply is copied to her
			step()
			// Bob answers his latest copy (Alice's reply): an answer to his first one would be
			// stale now, and held.
			bobs := agentChain(d.sent(d.seen), "bob@acme.example")
			d.copies["bob"] = bobs[len(bobs)-1]
			d.replyAs("bob", "#priority asap\nOn it.\n")
			step()
			d.replyAs("bob", "Unplug it, please.\n")
			step()
			ms := d.sent(d.seen)

			bob := agentChain(ms, "bob@acme.example")
			events := map[string]bool{}
			for _, m := range bob {
				events[m.h.Get("X-Postdesk-Event")] = true
			}
			for _, want := range []string{"new-ticket", "assigned", "customer-reply", "reopened", "agent-copy", "command-error"} {
				if !events[want] {
					t.Errorf("Bob got no %s mail: %v", want, events)
				}
			}
			conversation := func(agent string, chain []sentMail) (root, block string) {
				t.Helper()
				if len(chain) < 2 {
					t.Fatalf("%s got %d mails about #1", agent, len(chain))
				}
				for i, m := range chain {
					ev := m.h.Get("X-Postdesk-Event")
					if s := gmailSubject(m.h.Get("Subject")); s != "[#1] Printer on fire" {
						t.Errorf("%s, %s: subject %q groups elsewhere in Gmail", agent, ev, m.h.Get("Subject"))
					}
					if tt := m.h.Get("Thread-Topic"); tt != "Printer on fire" {
						t.Errorf("%s, %s: Thread-Topic %q", agent, ev, tt)
					}
					refs := msgIDs(m.h.Get("References"))
					if len(refs) == 0 {
						t.Fatalf("%s, %s: no References", agent, ev)
					}
					if i == 0 {
						root = refs[0]
					} else if refs[0] != root {
						t.Errorf("%s, %s: References %v do not start at the root %s", agent, ev, refs, root)
					}
					// Gmail also wants a reference shared with the conversation: the mail before.
					if i > 0 && !slices_contains(refs, strings.Trim(chain[i-1].h.Get("Message-Id"), "<>")) {
						t.Errorf("%s, %s: References %v lack the mail before", agent, ev, refs)
					}
					if slices_contains(refs, strings.Trim(m.h.Get("Message-Id"), "<>")) {
						t.Errorf("%s, %s: the mail references itself", agent, ev)
					}
					idx, err := base64.StdEncoding.DecodeString(m.h.Get("Thread-Index"))
					if err != nil || len(idx) < 22 || (len(idx)-22)%5 != 0 {
						t.Fatalf("%s, %s: Thread-Index %q (%v)", agent, ev, m.h.Get("Thread-Index"), err)
					}
					if i == 0 {
						block = string(idx[:22])
					} else if string(idx[:22]) != block {
						t.Errorf("%s, %s: another Thread-Index header block: Outlook splits the conversation", agent, ev)
					}
				}
				for _, m := range ms {
					if slices_contains(msgIDs(m.h.Get("Message-Id")), root) {
						t.Fatalf("the root %s was sent as a mail", root)
					}
				}
				return root, block
			}
			bobRoot, bobBlock := conversation("bob", bob)
			aliceRoot, aliceBlock := conversation("alice", agentChain(ms, "alice@acme.example"))
			if bobRoot == aliceRoot || bobBlock == aliceBlock {
				t.Fatal("Alice's and Bob's conversations of #1 share a root")
			}
			// The customer's mails are the customer's: no event, no agent conversation.
			for _, m := range to(ms, "ann@customer.example") {
				if m.h.Get("X-Postdesk-Event") != "" || m.h.Get("Thread-Index") != "" || slices_contains(msgIDs(m.h.Get("References")), bobRoot) {
					t.Errorf("a mail to the customer is dressed as an agent's: %v", m.h)
				}
			}

			// Carol answers with a client that kept only the root of her conversation: no tag, no
			// token, no In-Reply-To. It lands on #1 as her reply, and goes to the customer.
			carol := agentChain(ms, "carol@acme.example")
			if len(carol) != 1 {
				t.Fatalf("Carol got %d mails about #1", len(carol))
			}
			carolRoot := msgIDs(carol[0].h.Get("References"))[0]
			if carolRoot == bobRoot || carolRoot == aliceRoot {
				t.Fatal("Carol's conversation shares a root")
			}
			d.mailFrom("carol@acme.example", "acme@desk.example", "From: carol@acme.example\nTo: acme@desk.example\nSubject: Warranty\nMessage-ID: <carol-1@acme.example>\nReferences: <"+carolRoot+">\n\nThe warranty covers it, Ann.\n")
			step()
			tk := d.ticket(1)
			last := tk.Messages[len(tk.Messages)-1]
			if last.From != "carol@acme.example" || !strings.Contains(last.Text, "The warranty covers it") || !strings.HasPrefix(last.Threading, "references") {
				t.Fatalf("Carol's answer to her root: %+v", last)
			}
			if out := must(t, d.dsn, "tickets", "list", "--property", "acme"); strings.Contains(out, "#2") {
				t.Fatalf("Carol's answer opened a ticket:\n%s", out)
			}
			ms = d.sent(d.seen)
			found := false
			for _, m := range to(ms, "ann@customer.example") {
				found = found || strings.Contains(m.raw, "The warranty covers it")
			}
			if !found {
				t.Fatal("Carol's answer, known to be hers, was not sent to the customer")
			}
		})
	}
}
