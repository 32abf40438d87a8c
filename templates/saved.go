package templates

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A saved reply is a property's named text an agent inserts in a reply (tickets/savedreplies.go):
// plain text with the placeholders of custom texts' engine (custom.go: the same braces, the same
// check, the same expansion), filled in for the ticket replied to and the agent replying. Unlike
// a custom text it is not a mail of its own: it becomes part of what the agent sends, so it has no
// subject, no layout and no localized words ({greeting} is a mail's, not a saved reply's).

// MaxSavedReply is the largest text of a saved reply, in bytes.
const MaxSavedReply = 20 << 10

var savedPlaceholders = []placeholder{
	{name: "customer_name", doc: "the customer's name, or their address when the name is not known"},
	{name: "customer_email", doc: "the customer's address"},
	{name: "ticket", doc: `the ticket's number with its "#": #12`},
	{name: "subject", doc: `the ticket's subject, without "Re:" and tags`},
	{name: "agent_name", doc: "the agent who replies: their name, or their address when they have none"},
	{name: "property", doc: `the property's name: "Acme Support"`},
}

// SavedReplyPlaceholders lists the placeholders a saved reply may hold, each as "{name}", with
// what it becomes.
func SavedReplyPlaceholders() [][2]string {
	out := make([][2]string, 0, len(savedPlaceholders))
	for _, p := range savedPlaceholders {
		out = append(out, [2]string{"{" + p.name + "}", p.doc})
	}
	return out
}

func savedPlaceholderNames() []string {
	var out []string
	for _, p := range SavedReplyPlaceholders() {
		out = append(out, p[0])
	}
	return out
}

// ErrSavedReply is what CheckSavedReply's errors wrap.
var ErrSavedReply = errors.New("templates: saved reply")

// CheckSavedReply says what is wrong with the text of a saved reply before it is saved: empty,
// too large, invalid UTF-8, a placeholder not known (the error lists the known ones), or Go
// template braces.
func CheckSavedReply(body string) error {
	switch {
	case strings.TrimSpace(body) == "":
		return fmt.Errorf("%w: the text is empty", ErrSavedReply)
	case !utf8.ValidString(body):
		return fmt.Errorf("%w: the text is not valid UTF-8", ErrSavedReply)
	case len(body) > MaxSavedReply:
		return fmt.Errorf("%w: the text is larger than %d bytes", ErrSavedReply, MaxSavedReply)
	}
	if err := checkPlaceholders(body, savedPlaceholderNames(), "a saved reply"); err != "" {
		return fmt.Errorf("%w: %s", ErrSavedReply, err)
	}
	return nil
}

// SavedReplyValues is what a saved reply's placeholders become.
type SavedReplyValues struct {
	Ticket          int64
	Subject         string // as stored: "Re:" and tags are taken off
	Customer, Agent Person
	Property        string
}

// RenderSavedReply is body with its placeholders filled in from v; one not known (a text saved
// before a check refused it) is left as written.
func RenderSavedReply(body string, v SavedReplyValues) string {
	return strings.TrimSpace(expandCustom(unixNewlines(body), map[string]string{
		"customer_name":  v.Customer.Display(),
		"customer_email": oneLine(v.Customer.Email),
		"ticket":         fmt.Sprintf("#%d", v.Ticket),
		"subject":        oneLine(topic(v.Subject)),
		"agent_name":     v.Agent.Display(),
		"property":       oneLine(v.Property),
	}))
}
