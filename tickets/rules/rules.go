// Package rules holds the ticket rules that need no database: which addresses are a property's
// own, the priorities, Message-IDs postdesk mints, what an agent's mail on a ticket does, and what
// its commands do.
// The store (package tickets) reads what the rules need, asks them, and writes what they decide;
// nothing here touches SQL, so every rule is table-tested on its own.
package rules

import (
	"crypto/rand"
	"encoding/base32"
	"slices"
	"strings"
)

// Addresses are what makes an address a property's own.
type Addresses struct {
	// From is the property's own address (its from address), "" when it has none.
	From string
	// Domain is postdesk's forwarding domain: <slug>@Domain and <slug>+<token>@Domain are the
	// properties' forwarding and reply addresses. "" when not known.
	Domain string
}

// Own reports whether addr is one of the property's own addresses, which never become a ticket's
// participant, a forwarded mail's customer, or a blocked contact: the property's from address, or
// any address at the forwarding domain (every local part there is postdesk's: a property's
// forwarding address, a reply token, another property's). An address elsewhere is not ours,
// whatever its local part: acme@anything.example is a customer like any other.
func (a Addresses) Own(addr string) bool {
	addr = Norm(addr)
	if addr == "" {
		return false
	}
	if from := Norm(a.From); from != "" && addr == from {
		return true
	}
	local, domain, ok := strings.Cut(addr, "@")
	return ok && local != "" && a.Domain != "" && domain == Norm(a.Domain)
}

// Norm is how addresses are compared everywhere: trimmed and lowercased.
func Norm(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// Priorities of a ticket, lowest first; a ticket's rank is its index.
var Priorities = []string{"low", "normal", "high", "urgent"}

// DefaultPriority is the priority of a ticket nobody set one for.
const DefaultPriority = "normal"

// ValidPriority reports whether p is one of Priorities.
func ValidPriority(p string) bool { return slices.Contains(Priorities, p) }

// NewMessageID mints a Message-ID for mail postdesk sends, without angle brackets: 120 random
// bits, lowercase base32, at domain.
func NewMessageID(domain string) string {
	b := make([]byte, 15)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.EncodeToString(b)) + "@" + domain
}
