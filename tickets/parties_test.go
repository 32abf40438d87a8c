package tickets_test

import (
	"slices"
	"testing"

	"github.com/postdesk/postdesk/tickets"
)

func emails(as []tickets.Agent) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Email)
	}
	return out
}

// Parties is everyone concerned but the sender: the agents involved, then the audience, each once.
func TestParties(t *testing.T) {
	alice := tickets.Agent{ID: 1, Email: "alice@acme.example"}
	bob := tickets.Agent{ID: 2, Email: "bob@acme.example"}
	carol := tickets.Agent{ID: 3, Email: "carol@acme.example"}
	dan := tickets.Agent{ID: 4, Email: "dan@acme.example"}
	for _, c := range []struct {
		name string
		mc   tickets.MailContext
		want []string
	}{
		{"department members with the involved", tickets.MailContext{Actor: &bob, Involved: []tickets.Agent{alice, bob}, Audience: []tickets.Agent{bob, carol}},
			[]string{"alice@acme.example", "carol@acme.example"}},
		{"all agents when nobody is assigned", tickets.MailContext{Actor: &alice, Audience: []tickets.Agent{alice, bob, carol, dan}},
			[]string{"bob@acme.example", "carol@acme.example", "dan@acme.example"}},
		{"the assignee", tickets.MailContext{Actor: &alice, Involved: []tickets.Agent{alice}, Audience: []tickets.Agent{carol}},
			[]string{"carol@acme.example"}},
		{"the sender by the message's From", tickets.MailContext{Message: &tickets.Message{From: "Carol@Acme.example"}, Audience: []tickets.Agent{bob, carol}},
			[]string{"bob@acme.example"}},
		{"the sender alone", tickets.MailContext{Actor: &dan, Involved: []tickets.Agent{dan}, Audience: []tickets.Agent{dan}}, nil},
		{"no actor (the system)", tickets.MailContext{Involved: []tickets.Agent{carol}, Audience: []tickets.Agent{carol, bob}},
			[]string{"carol@acme.example", "bob@acme.example"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := emails(c.mc.Parties()); !slices.Equal(got, c.want) {
				t.Fatalf("Parties() = %v, want %v", got, c.want)
			}
			for _, a := range c.mc.Parties() {
				if c.mc.SentBy(a) {
					t.Fatalf("%s is the sender", a.Email)
				}
			}
		})
	}
}
