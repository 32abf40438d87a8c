package intake

import (
	"github.com/emersion/go-message/mail"
	"strings"

	"github.com/postdesk/postdesk/classify"
	"github.com/postdesk/postdesk/mailparse"
	"github.com/postdesk/postdesk/tickets"
)

// listMail reports whether m came through a mailing list or group: classified so, or carrying
// the RFC 2919/2369 fields only list servers add (a loop or robot mail may still carry them).
func listMail(m *Message) bool {
	h := m.Parsed.Header
	return m.Class.Kind == classify.List || h.Get("List-Id") != "" || h.Get("List-Post") != ""
}

// listPost is the list's posting address from List-Post (RFC 2369 §3.4: "<mailto:addr?…>"),
// lowercased; "" when there is none (or "NO": posting not allowed).
func listPost(h mail.Header) string {
	v := h.Get("List-Post")
	for {
		open := strings.IndexByte(v, '<')
		if open < 0 {
			return ""
		}
		end := strings.IndexByte(v[open:], '>')
		if end < 0 {
			return ""
		}
		u := strings.TrimSpace(v[open+1 : open+end])
		v = v[open+end+1:]
		if len(u) > 7 && strings.EqualFold(u[:7], "mailto:") {
			addr, _, _ := strings.Cut(u[7:], "?")
			return strings.ToLower(strings.TrimSpace(addr))
		}
	}
}

// listIDAddress is the address form of the List-Id (RFC 2919: Google Groups and Mailman name a
// list "<name.host>" for the list name@host), "" when there is none.
func listIDAddress(h mail.Header) string {
	v := h.Get("List-Id")
	if open := strings.LastIndexByte(v, '<'); open >= 0 {
		v = v[open+1:]
		v, _, _ = strings.Cut(v, ">")
	}
	v = strings.ToLower(strings.TrimSpace(v))
	if name, host, ok := strings.Cut(v, "."); ok && name != "" && strings.Contains(host, ".") {
		return name + "@" + host
	}
	return ""
}

// listAuthor is the real author of list mail whose From a list rewrote (Google Groups, Mailman
// and Microsoft 365 do so for senders whose domains publish strict DMARC) to the list's address
// or the property's own: the list address must never become the customer, or different
// customers merge into one contact and replies go to the whole list. ok is false when From was
// not rewritten. When no original sender is named, the author has no address (no contact).
func (p *Pipeline) listAuthor(prop tickets.Property, m *Message, from tickets.Address, post string) (tickets.Address, bool) {
	h := m.Parsed.Header
	e := strings.ToLower(strings.TrimSpace(from.Email))
	own := prop.Addresses(p.domain)
	if e == "" || !(e == post || e == listIDAddress(h) || own.Own(e)) {
		return from, false
	}
	isList := func(a string) bool {
		a = strings.ToLower(strings.TrimSpace(a))
		return a == "" || a == e || a == post || own.Own(a)
	}
	name := viaName(from.Name)
	pick := func(a mailparse.Address) tickets.Address {
		if a.Name != "" {
			name = viaName(a.Name)
		}
		return tickets.Address{Name: name, Email: strings.ToLower(strings.TrimSpace(a.Email))}
	}
	for _, k := range []string{"X-Original-From", "X-Original-Sender"} {
		if a := mailparse.ParseAddress(h.Get(k)); a != nil && !isList(a.Email) {
			return pick(*a), true
		}
	}
	if rt := m.Parsed.ReplyTo; len(rt) == 1 && !isList(rt[0].Email) {
		return pick(rt[0]), true
	}
	return tickets.Address{Name: name}, true
}

// viaName is a display name without the " via <list>" a group adds ("'Ann' via Support").
func viaName(n string) string {
	if i := strings.LastIndex(n, " via "); i > 0 {
		n = n[:i]
	}
	n = strings.TrimSpace(n)
	if len(n) >= 2 && (n[0] == '\'' && n[len(n)-1] == '\'' || n[0] == '"' && n[len(n)-1] == '"') {
		n = strings.TrimSpace(n[1 : len(n)-1])
	}
	return n
}
