package templates

import (
	"fmt"
	"strings"
	"testing"
)

// Every mail to agents about a ticket has one subject, whatever happened: "[#N] <topic>", in every
// locale, so that a mail client that groups by subject (Gmail, Outlook) shows one conversation.
func TestAgentSubjectIsTheTicket(t *testing.T) {
	s := mustDefault(t)
	variants := map[string]func(*Data){
		"sample":     func(*Data) {},
		"note":       func(d *Data) { d.Note = true },
		"to you":     func(d *Data) { d.Ticket.Assignee = d.Recipient.Email },
		"department": func(d *Data) { d.Ticket.Assignee, d.Ticket.Department = "", "Billing" },
		"closed":     func(d *Data) { d.Ticket.Status = "closed" },
		"prefixed":   func(d *Data) { d.Ticket.Subject = "Re: Fwd:  [#12] Printer   on fire" },
		"follow-up":  func(d *Data) { d.FollowsUp = 3 },
	}
	for _, loc := range append(Locales(), "de", "fr-CA") {
		noSubject := map[string]bool{}
		for _, kind := range Kinds() {
			if !AgentConversation(kind) {
				continue
			}
			for name, change := range variants {
				d := Sample(kind)
				change(&d)
				r, err := s.Render(kind, loc, d)
				if err != nil {
					t.Fatal(err)
				}
				if want := fmt.Sprintf("[#%d] Printer on fire", d.Ticket.Number); r.Subject != want {
					t.Errorf("%s %s (%s): subject %q, want the ticket's alone", loc, kind, name, r.Subject)
				}
			}
			d := Sample(kind)
			d.Ticket.Subject = "  Re:  "
			r, err := s.Render(kind, loc, d)
			if err != nil {
				t.Fatal(err)
			}
			noSubject[strings.TrimPrefix(r.Subject, fmt.Sprintf("[#%d] ", d.Ticket.Number))] = true
		}
		if len(noSubject) != 1 {
			t.Errorf("%s: a ticket without a subject has several subjects: %v", loc, noSubject)
		}
		for subj := range noSubject {
			if !strings.HasPrefix(subj, "(") {
				t.Errorf("%s: a ticket without a subject: %q", loc, subj)
			}
		}
	}
}

// The subject no longer says what happened: the first paragraph of the body does, each kind its own.
func TestAgentBodySaysTheEvent(t *testing.T) {
	s := mustDefault(t)
	for _, loc := range Locales() {
		seen := map[string]string{}
		for _, kind := range Kinds() {
			if !AgentConversation(kind) {
				continue
			}
			d := Sample(kind)
			r, err := s.Render(kind, loc, d)
			if err != nil {
				t.Fatal(err)
			}
			// The first paragraph after the reply marker.
			first := ""
			for _, l := range strings.Split(r.Text, "\n") {
				l = strings.TrimSpace(l)
				if l == ReplyMarker(loc) || (l == "" && first == "") {
					continue
				}
				if l == "" {
					break
				}
				first = strings.TrimSpace(first + " " + l)
			}
			if !strings.Contains(first, fmt.Sprintf("#%d", d.Ticket.Number)) {
				t.Errorf("%s %s: the first paragraph %q does not name the ticket", loc, kind, first)
			}
			if other, dup := seen[first]; dup {
				t.Errorf("%s: %s and %s begin alike: %q", loc, kind, other, first)
			}
			seen[first] = kind
		}
	}
}

// The customer's mails and the mails about no ticket keep their own subjects.
func TestOtherSubjectsUnchanged(t *testing.T) {
	s := mustDefault(t)
	for _, kind := range Kinds() {
		if AgentConversation(kind) {
			continue
		}
		for _, loc := range Locales() {
			r, err := s.Render(kind, loc, Sample(kind))
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject == fmt.Sprintf("[#%d] Printer on fire", Sample(kind).Ticket.Number) {
				t.Errorf("%s %s: subject %q is an agent's", loc, kind, r.Subject)
			}
		}
	}
}
