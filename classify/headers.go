package classify

import (
	"bytes"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/charset"
)

// Limits that keep Classify cheap and bounded on hostile input. A real header
// block is a few KB; bounces that quote whole messages stay far below these.
const (
	maxHeaderBytes  = 256 << 10
	maxHeaderFields = 2000
)

// field is one header field, kept as slices of the raw message: most
// fields (trace, DKIM, ARC) are never read, so names are compared in place
// (case-insensitively, RFC 5322) and values unfolded only on demand.
type field struct {
	name []byte // as written, without trailing blanks
	body []byte // from after the colon to the end of the field's last line
}

// is reports whether the field is named k (lower-case).
func (f field) is(k string) bool {
	if len(f.name) != len(k) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := f.name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != k[i] {
			return false
		}
	}
	return true
}

// value unfolds the field (RFC 5322 §2.2.3). Besides the first line it
// takes continuation lines and, leniently, parameter lines that lost their
// folding whitespace (`boundary="..."` under Content-Type).
func (f field) value() string {
	first, rest := cutLine(f.body)
	if len(rest) == 0 {
		return string(bytes.TrimSpace(first))
	}
	var b strings.Builder
	b.Write(bytes.TrimSpace(first))
	for len(rest) > 0 {
		var l []byte
		l, rest = cutLine(rest)
		if !continues(l) {
			continue
		}
		if l = bytes.TrimSpace(l); len(l) > 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.Write(l)
		}
	}
	return b.String()
}

// continues reports a line that belongs to the field above it.
func continues(l []byte) bool {
	return len(l) > 0 && (l[0] == ' ' || l[0] == '\t' || (bytes.IndexByte(l, ':') < 0 && bytes.IndexByte(l, '=') > 0))
}

type header []field

// get returns the first value of key (lower-case), "" when absent.
func (h header) get(key string) string {
	v, _ := h.lookup(key)
	return v
}

// lookup returns the first value of key and whether the field exists.
func (h header) lookup(key string) (string, bool) {
	for _, f := range h {
		if f.is(key) {
			return f.value(), true
		}
	}
	return "", false
}

func (h header) has(key string) bool {
	for _, f := range h {
		if f.is(key) {
			return true
		}
	}
	return false
}

// parseHeader splits raw into its header fields and body. It is deliberately
// lenient, unlike go-message's textproto reader which stops at the first
// malformed line: real bounces start with mbox "From " lines, carry stray
// garbage, use bare LF or CRLF, and sometimes have no body at all. Lines
// that are neither a field nor part of one are skipped.
func parseHeader(raw []byte) (header, []byte) {
	h := make(header, 0, 24)
	cur := -1 // offset where the current field's body starts
	end := 0  // offset just past its last line
	var name []byte
	flush := func() {
		if cur >= 0 {
			h = append(h, field{name: name, body: raw[cur:end]})
		}
		cur = -1
	}
	off := 0
	first := true
	for off < len(raw) {
		line, next := cutLine(raw[off:])
		lineEnd := len(raw) - len(next)
		if len(bytes.TrimRight(line, " \t\r")) == 0 {
			// The empty line that ends the header (RFC 5322 §2.1). A
			// whitespace-only first line would otherwise hide the header.
			if first && len(line) > 0 {
				off = lineEnd
				continue
			}
			flush()
			return h, next
		}
		first = false
		if lineEnd > maxHeaderBytes || len(h) >= maxHeaderFields {
			// Pathological header: stop here and treat the rest as body.
			flush()
			return h, next
		}
		i := bytes.IndexByte(line, ':')
		switch {
		case line[0] != ' ' && line[0] != '\t' && i > 0 && validKey(line[:i]):
			flush()
			name = bytes.TrimRight(line[:i], " \t")
			cur, end = off+i+1, off+len(line)
		case cur >= 0 && continues(line):
			end = off + len(line)
		}
		off = lineEnd
	}
	flush()
	return h, nil
}

// validKey accepts RFC 5322 field-name characters (printable ASCII except
// colon), tolerating trailing blanks seen in the wild ("Subject :").
func validKey(k []byte) bool {
	k = bytes.TrimRight(k, " \t")
	if len(k) == 0 {
		return false
	}
	for _, c := range k {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// cutLine returns the first line of b without its line terminator (LF or
// CRLF) and the remainder after it.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.TrimSuffix(b, []byte("\r")), nil
	}
	return bytes.TrimSuffix(b[:i], []byte("\r")), b[i+1:]
}

// decodeWords decodes RFC 2047 encoded-words ("=?iso-2022-jp?B?...?=") so the
// subject patterns also see Japanese, Russian or accented subjects. Unknown
// charsets leave the text as it was.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d := mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
		return charset.Reader(cs, r)
	}}
	out, err := d.DecodeHeader(s)
	if err != nil {
		return s
	}
	return out
}

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

// mediaType parses a Content-Type value leniently: "type/subtype" lower-cased
// plus lower-cased parameter names. mime.ParseMediaType rejects too much of
// what MTAs send (duplicate parameters, stray semicolons, missing quotes), so
// this is a small tolerant tokenizer instead.
func mediaType(v string) (string, map[string]string) {
	params := map[string]string{}
	v = strings.TrimSpace(v)
	// The type ends at ";" or, when the semicolon was forgotten before a
	// parameter, at the first blank.
	end := strings.IndexAny(v, "; \t")
	if end < 0 {
		return strings.ToLower(v), params
	}
	mt := strings.ToLower(v[:end])
	rest := v[end:]
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " \t;")
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			break
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) && rest[end] != '"' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			if end > len(rest) {
				end = len(rest)
			}
			val = strings.ReplaceAll(rest[1:end], `\`, "")
			if end < len(rest) {
				end++
			}
			rest = rest[end:]
		} else {
			end := strings.IndexAny(rest, "; \t")
			if end < 0 {
				end = len(rest)
			}
			val = rest[:end]
			rest = rest[end:]
		}
		if _, dup := params[name]; !dup && name != "" {
			params[name] = val
		}
	}
	return mt, params
}
