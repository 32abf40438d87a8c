package templates

import (
	"strings"
	"testing"
)

func TestSavedReplyFillsInTheTicketAndThePeople(t *testing.T) {
	v := SavedReplyValues{Ticket: 12, Subject: "Re: [#12] Refund please", Property: "Acme Support",
		Customer: Person{Name: "Ann Smith", Email: "ann@customer.example"}, Agent: Person{Email: "bob@acme.example"}}
	body := "Hello {customer_name},\r\n\r\nYour refund for {ticket} ({subject}) is on its way.\n{agent_name}, {property} <{customer_email}> {unknown} {x\n"
	want := "Hello Ann Smith,\n\nYour refund for #12 (Refund please) is on its way.\nbob@acme.example, Acme Support <ann@customer.example> {unknown} {x"
	if got := RenderSavedReply(body, v); got != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
	v.Customer.Name = ""
	if got := RenderSavedReply("Hi {customer_name}", v); got != "Hi ann@customer.example" {
		t.Errorf("a customer without a name is called by their address, got %q", got)
	}
}

func TestCheckSavedReply(t *testing.T) {
	if err := CheckSavedReply("Hello {customer_name}, about {ticket}: {subject}. {agent_name}, {property} ({customer_email}). { x } {}"); err != nil {
		t.Errorf("every placeholder is known: %v", err)
	}
	for body, want := range map[string]string{
		" \n":                                "the text is empty",
		"\xff":                               "UTF-8",
		"{greeting}":                         "unknown placeholder {greeting}; a saved reply knows {customer_name}, {customer_email}, {ticket}, {subject}, {agent_name}, {property}",
		"{{.Ticket}}":                        "not a Go template",
		strings.Repeat("x", MaxSavedReply+1): "larger than",
	} {
		err := CheckSavedReply(body)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.20q: got %v, want %q", body, err, want)
		}
	}
}

// FuzzSavedReply: a text the check accepts renders with none of its placeholders left; rendering
// never panics.
func FuzzSavedReply(f *testing.F) {
	for _, s := range []string{"", "{ticket}", "{{ticket}}", "{", "}", "{agent_name} {x}", "a{customer_name}b"} {
		f.Add(s)
	}
	v := SavedReplyValues{Ticket: 7, Subject: "S", Property: "P", Customer: Person{Name: "C"}, Agent: Person{Name: "A"}}
	f.Fuzz(func(t *testing.T, body string) {
		got := RenderSavedReply(body, v)
		if CheckSavedReply(body) != nil {
			return
		}
		for _, p := range SavedReplyPlaceholders() {
			if strings.Contains(got, p[0]) {
				t.Fatalf("accepted %q left %s in %q", body, p[0], got)
			}
		}
	})
}
