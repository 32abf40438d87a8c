package classify

import (
	"strings"
)

// addrSpec extracts the bare address from a header value such as
// `"Name" <local@domain>`, `local@domain (Comment)` or `<>`. It returns the
// address lower-cased; "" for the null path "<>". Values without "@" (for
// example "MAILER-DAEMON") are returned trimmed and lower-cased.
func addrSpec(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j >= 0 {
			return strings.ToLower(strings.TrimSpace(v[i+1 : i+j]))
		}
	}
	v = stripComments(v)
	for _, tok := range strings.Fields(v) {
		if strings.Contains(tok, "@") {
			return strings.ToLower(strings.Trim(tok, `"'<>,;`))
		}
	}
	return strings.ToLower(strings.Trim(strings.TrimSpace(v), `"'<>,;`))
}

// stripComments removes RFC 5322 parenthesised comments (non-nested is
// enough for the From/Return-Path values we look at).
func stripComments(v string) string {
	if !strings.Contains(v, "(") {
		return v
	}
	var b strings.Builder
	depth := 0
	for _, r := range v {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// localPart returns the part of an address before the last "@" (or the whole
// value when there is none).
func localPart(a string) string {
	if i := strings.LastIndexByte(a, '@'); i >= 0 {
		return a[:i]
	}
	return a
}

// msgID returns the first Message-ID in v without its angle brackets, as
// found in Message-ID, In-Reply-To or Original-Message-ID fields.
func msgID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 1 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	if f := strings.Fields(v); len(f) > 0 && strings.Contains(f[0], "@") {
		return strings.Trim(f[0], "<>")
	}
	return ""
}

// lastMsgID returns the last Message-ID of a References field: the message
// directly replied to (RFC 5322 §3.6.4).
func lastMsgID(v string) string {
	i := strings.LastIndexByte(v, '<')
	if i < 0 {
		return msgID(v)
	}
	return msgID(v[i:])
}
