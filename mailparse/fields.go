package mailparse

import (
	"strings"

	"github.com/emersion/go-message/mail"
)

// readFields fills the header-derived fields of the message.
func (p *parser) readFields(h *mail.Header) {
	m := p.msg
	note := p.noteFor("header")
	addrs := func(key string, max int) []Address {
		vs := h.Values(key)
		if len(vs) == 0 {
			return nil
		}
		l := parseAddressList(strings.Join(vs, ", "), note, max)
		if len(l) == 0 && strings.TrimSpace(strings.Join(vs, "")) != "" && !isEmptyGroup(vs) &&
			!strings.Contains(strings.Join(vs, ""), "<>") { // "<>" is the null reverse-path of bounces
			note.note(key + " has no readable address")
		}
		return l
	}
	if l := addrs("From", 1); len(l) > 0 {
		m.From = &l[0]
	}
	if l := addrs("Sender", 1); len(l) > 0 {
		m.Sender = &l[0]
	}
	m.ReplyTo = addrs("Reply-To", maxAddresses)
	m.To = addrs("To", maxAddresses)
	m.Cc = addrs("Cc", maxAddresses)

	fields := h.Fields()
	for fields.Next() {
		switch fields.Key() {
		case "Delivered-To", "X-Original-To":
			v := fields.Value()
			l := parseAddressList(v, note, 16)
			if len(l) == 0 {
				// A bare local name ("postmaster") still tells where it went.
				s, _ := fallback8bit(v)
				if s = strings.ToLower(strings.Trim(cleanString(s), " \t<>")); s != "" && !strings.ContainsAny(s, " \t") {
					m.DeliveredTo = append(m.DeliveredTo, s)
				}
				continue
			}
			for _, a := range l {
				m.DeliveredTo = append(m.DeliveredTo, a.Email)
			}
		}
	}

	if v := h.Get("Subject"); v != "" {
		m.Subject = cleanString(unfoldSpace(decodeHeaderText(v, note)))
	}
	if ids := parseMsgIDs(h.Get("Message-Id")); len(ids) > 0 {
		m.MessageID = ids[0]
	} else if strings.TrimSpace(h.Get("Message-Id")) != "" {
		note.note("unreadable Message-ID")
	}
	m.InReplyTo = parseMsgIDs(strings.Join(h.Values("In-Reply-To"), " "))
	refs := parseMsgIDs(strings.Join(h.Values("References"), " "))
	if len(refs) > maxReferences {
		refs = append([]string(nil), refs[len(refs)-maxReferences:]...)
	}
	m.References = refs
	if v := h.Get("Date"); strings.TrimSpace(v) != "" {
		m.Date = parseDate(v)
		if m.Date.IsZero() {
			note.note("unreadable Date " + strQuote(clip(v, 80)))
		}
	}
	if v := h.Get("Auto-Submitted"); v != "" {
		m.AutoSubmitted = strings.ToLower(cleanString(foldSpace(decodeHeaderText(v, nil))))
	}
}

func strQuote(s string) string { return "\"" + s + "\"" }

// isEmptyGroup recognises "undisclosed-recipients:;" (RFC 5322 §3.4 group
// with no members), which is a valid way to say "nobody listed".
func isEmptyGroup(vs []string) bool {
	for _, v := range vs {
		v, _ = stripComments(v)
		v = strings.TrimSpace(v)
		if !strings.HasSuffix(v, ";") || !strings.Contains(v, ":") {
			return false
		}
	}
	return true
}

// parseMsgIDs extracts message identifiers (RFC 5322 §3.6.4) from a
// Message-ID, In-Reply-To or References value: "<a@b>" and bare "a@b" are
// accepted, separated by whitespace or commas, with comments, quoted strings
// and other junk in between ignored. Whitespace inside brackets (from
// folding) is removed.
func parseMsgIDs(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	s, _ = fallback8bit(s)
	s, _ = stripComments(s)
	var ids []string
	add := func(id string, bracketed bool) {
		id = strings.Join(strings.Fields(id), "")
		id = strings.Trim(id, "<>")
		if id == "" || len(id) > 998 || strings.ContainsAny(id, "<>\"") {
			return
		}
		if !bracketed && !strings.Contains(id, "@") {
			return // bare junk words ("Your", "message", ...)
		}
		for _, r := range id {
			if r < ' ' || r == 0x7F {
				return
			}
		}
		ids = append(ids, id)
	}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '<':
			j := strings.IndexByte(s[i+1:], '>')
			if j < 0 {
				add(s[i+1:], true)
				return ids
			}
			add(s[i+1:i+1+j], true)
			i += j + 2
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return ids
			}
			i += j + 2
		case c == ' ' || c == '\t' || c == ',' || c == ';' || c == '\r' || c == '\n':
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t,;<\"\r\n", rune(s[j])) {
				j++
			}
			add(strings.Trim(s[i:j], "'()[]"), false)
			i = j
		}
	}
	return ids
}
