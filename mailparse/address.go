package mailparse

import (
	"strings"
)

// maxAddresses caps how many addresses one header yields, so a hostile To:
// with a million entries cannot balloon the result.
const maxAddresses = 1000

// ParseAddress leniently parses the first mailbox in s (RFC 5322 §3.4, plus
// the usual real-world damage: unquoted specials in names, missing brackets,
// "addr (Name)" comments, RFC 2047 inside quotes, raw 8-bit names). It returns
// nil when s holds nothing that looks like an address.
func ParseAddress(s string) *Address {
	l := parseAddressList(s, nil, 1)
	if len(l) == 0 {
		return nil
	}
	return &l[0]
}

// ParseAddressList leniently parses an address-list header value such as To
// or Cc (RFC 5322 §3.4). Groups are flattened; entries that cannot be read as
// an address are skipped. It never fails; the result may be empty.
func ParseAddressList(s string) []Address {
	return parseAddressList(s, nil, maxAddresses)
}

func parseAddressList(s string, note noteFunc, max int) []Address {
	s, how := fallback8bit(s)
	if how != "" {
		note.note("raw 8-bit bytes in an address header are not valid UTF-8, " + how)
	}
	var out []Address
	for _, el := range splitAddressList(s) {
		if len(out) >= max {
			if max > 1 {
				note.note("address list truncated")
			}
			break
		}
		if a, ok := parseMailbox(el, note); ok {
			out = append(out, a)
		}
	}
	return out
}

// splitAddressList splits at top-level commas (and semicolons, which end a
// group and which some mailers use as separators). A colon before any "@" in
// an element starts a group (RFC 5322 §3.4): its display name is dropped.
func splitAddressList(s string) []string {
	var out []string
	start := 0
	inQuote, angle := false, false
	comment := 0
	hasAt := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (inQuote || comment > 0):
			i++
		case inQuote:
			if c == '"' {
				inQuote = false
			}
		case comment > 0:
			if c == '(' {
				comment++
			} else if c == ')' {
				comment--
			}
		case c == '"':
			inQuote = true
		case c == '(':
			comment++
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case angle:
			// Inside <...> nothing splits (obs-route "<@a,@b:x@y>").
		case c == ',' || c == ';':
			out = append(out, s[start:i])
			start, hasAt = i+1, false
		case c == ':':
			if !hasAt {
				start = i + 1
			}
		case c == '@':
			hasAt = true
		}
	}
	return append(out, s[start:])
}

// stripComments removes RFC 5322 §3.2.2 comments (nested, with quoted-pairs)
// outside quoted strings and returns the remaining text and the comments'
// text.
func stripComments(s string) (text, comments string) {
	if strings.IndexByte(s, '(') < 0 {
		return s, ""
	}
	var tb, cb strings.Builder
	depth := 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case depth > 0:
			switch {
			case c == '\\' && i+1 < len(s):
				i++
				cb.WriteByte(s[i])
			case c == '(':
				depth++
				cb.WriteByte(c)
			case c == ')':
				depth--
				if depth == 0 {
					cb.WriteByte(' ')
				} else {
					cb.WriteByte(c)
				}
			default:
				cb.WriteByte(c)
			}
		case inQuote:
			tb.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				tb.WriteByte(s[i])
			} else if c == '"' {
				inQuote = false
			}
		case c == '"':
			inQuote = true
			tb.WriteByte(c)
		case c == '(':
			depth = 1
		default:
			tb.WriteByte(c)
		}
	}
	return tb.String(), strings.TrimSpace(cb.String())
}

// parseMailbox reads one "Name <addr>" or "addr (Name)" element.
func parseMailbox(el string, note noteFunc) (Address, bool) {
	el = strings.TrimSpace(el)
	if el == "" {
		return Address{}, false
	}
	lt, gt := -1, -1
	inQuote := false
	comment := 0
	for i := 0; i < len(el) && gt < 0; i++ {
		c := el[i]
		switch {
		case c == '\\' && (inQuote || comment > 0):
			i++
		case inQuote:
			inQuote = c != '"'
		case comment > 0:
			if c == '(' {
				comment++
			} else if c == ')' {
				comment--
			}
		case c == '"':
			inQuote = true
		case c == '(':
			comment++
		case c == '<' && lt < 0:
			lt = i
		case c == '>' && lt >= 0:
			gt = i
		}
	}
	var name, addr string
	bracketed := lt >= 0
	if bracketed {
		end := gt
		if end < 0 {
			end = len(el)
		}
		addr = el[lt+1 : end]
		name = el[:lt]
		if gt >= 0 {
			name += " " + el[gt+1:]
		}
	} else {
		text, comments := stripComments(el)
		fields := strings.Fields(text)
		at := -1
		for i, f := range fields {
			if strings.Contains(f, "@") {
				at = i
				break
			}
		}
		if at < 0 {
			return Address{}, false
		}
		addr = fields[at]
		rest := append(append([]string{}, fields[:at]...), fields[at+1:]...)
		name = strings.Join(rest, " ")
		if strings.TrimSpace(name) == "" {
			name = comments
		}
	}
	email := cleanEmail(addr)
	if email == "" || (!bracketed && !strings.Contains(email, "@")) {
		return Address{}, false
	}
	return Address{Name: cleanName(name, note), Email: email}, true
}

// cleanEmail normalises an addr-spec: comments, whitespace, obs-route
// (RFC 5322 §4.4), "mailto:" and stray quotes/brackets go; the result is
// lowercased because helpdesk matching is case-insensitive.
func cleanEmail(addr string) string {
	addr, _ = stripComments(addr)
	addr = strings.Join(strings.Fields(addr), "")
	if strings.HasPrefix(addr, "@") {
		if i := strings.IndexByte(addr, ':'); i >= 0 {
			addr = addr[i+1:]
		}
	}
	addr = strings.ToLower(addr)
	addr = strings.TrimPrefix(addr, "mailto:")
	addr = strings.Trim(addr, "<>'`.,;")
	if len(addr) >= 2 && addr[0] == '"' && addr[len(addr)-1] == '"' && strings.Count(addr, "\"") == 2 {
		addr = addr[1 : len(addr)-1]
	}
	// addr-spec is local-part "@" domain (RFC 5322 §3.4.1): a second "@"
	// ends the domain ("a!b@host@relay" is read as "a!b@host").
	if at := unquotedAt(addr); at >= 0 {
		if j := strings.IndexByte(addr[at+1:], '@'); j >= 0 {
			addr = addr[:at+1+j]
		}
	}
	if addr == "" || len(addr) > 998 || strings.ContainsAny(addr, "<>(),;\\") {
		return ""
	}
	for _, r := range addr {
		if r < ' ' || r == 0x7F || r == 0xFFFD {
			return ""
		}
	}
	return addr
}

// cleanName unquotes a display name, decodes RFC 2047 words (also inside
// quotes, which RFC 2047 §5 forbids but mailers do) and folds whitespace.
func cleanName(name string, note noteFunc) string {
	text, comments := stripComments(name)
	if strings.TrimSpace(text) == "" {
		text = comments
	}
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\\' && i+1 < len(text):
			i++
			b.WriteByte(text[i])
		case c == '"':
			// quotes only delimit; drop them
		default:
			b.WriteByte(c)
		}
	}
	n := decodeHeaderText(b.String(), note)
	return cleanString(foldSpace(n))
}

// unquotedAt finds the first "@" outside a quoted local part.
func unquotedAt(s string) int {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '@' && !inQuote:
			return i
		}
	}
	return -1
}
