package mailparse

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	gmcharset "github.com/emersion/go-message/charset"
	htmlcharset "golang.org/x/net/html/charset"
)

const utf8BOM = "\xef\xbb\xbf"

// trimBOM drops a leading UTF-8 byte order mark.
func trimBOM(b []byte) []byte {
	if len(b) >= 3 && string(b[:3]) == utf8BOM {
		return b[3:]
	}
	return b
}

// normalizeCharset cleans a charset label as found in the wild ("UTF-8",
// "\"utf8\"", "utf-8*en" from RFC 2231 §5) into a lowercase label.
func normalizeCharset(cs string) string {
	cs = strings.ToLower(strings.Trim(cs, "\"' \t\r\n;,"))
	if i := strings.IndexByte(cs, '*'); i >= 0 {
		cs = cs[:i] // RFC 2231 §5: charset*language in encoded words
	}
	switch cs {
	case "utf8", "utf-8", "unicode-1-1-utf-8", "x-utf8", "x-utf-8", "utf_8":
		return "utf-8"
	case "utf-7", "unicode-1-1-utf-7", "csunicode11utf7", "x-unicode-2-0-utf-7", "utf7":
		return "utf-7"
	case "us-ascii", "ascii", "ansi_x3.4-1968", "ansi-x3.4-1968", "ansi_x3.4-1986", "iso646-us", "us", "646", "iso-ir-6", "cp367", "ibm367":
		return "us-ascii"
	}
	return cs
}

// isLatinLabel reports single-byte charsets that real mailers often declare
// while actually sending UTF-8.
func isLatinLabel(cs string) bool {
	return strings.HasPrefix(cs, "iso-8859-") || strings.HasPrefix(cs, "iso8859-") ||
		strings.HasPrefix(cs, "windows-125") || strings.HasPrefix(cs, "cp125") ||
		strings.HasPrefix(cs, "latin") || cs == "iso_8859-1"
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// decodeCharset converts b from the declared charset to valid UTF-8. It never
// fails: unknown or lying charsets fall back to UTF-8 when the bytes are valid
// UTF-8, else to windows-1252 (the de-facto superset of ISO-8859-1, as in the
// WHATWG Encoding Standard). note is "" unless a fallback was needed.
func decodeCharset(b []byte, declared string) (s string, note string) {
	out, owned, note := charsetBytes(b, declared)
	if owned {
		return ownedString(out), note
	}
	return string(out), note
}

// charsetBytes is decodeCharset without the final conversion to a string:
// out is valid UTF-8, either b itself (or a part of it) when b needed no
// conversion, or, when owned, a new buffer nothing else refers to.
func charsetBytes(b []byte, declared string) (out []byte, owned bool, note string) {
	cs := normalizeCharset(declared)
	switch cs {
	case "", "us-ascii", "utf-8":
		b = trimBOM(b)
		if utf8.Valid(b) {
			// RFC 1468 text sent without its label is 7-bit: only its escapes
			// (a cheap search for ESC, absent from ordinary mail) give it away.
			if hasISO2022JP(b) {
				if out := decodeISO2022JP(b); out != nil {
					return out, true, doubtNote(cs, "holds ISO-2022-JP escapes, decoded as ISO-2022-JP")
				}
			}
			return b, false, ""
		}
		out, how := guessInvalidUTF8(b)
		return out, true, doubtNote(cs, "is not valid UTF-8, "+how)
	}
	if cs == "utf-7" {
		return decodeUTF7(b), true, "" // x/text has no UTF-7; Exchange still sends it
	}
	if isLatinLabel(cs) && hasNonASCII(b) && utf8.Valid(b) {
		return b, false, fmt.Sprintf("declared charset %q but content is valid UTF-8, decoded as UTF-8", cs)
	}
	if out, owned, note, ok := checkDeclaredCJK(b, cs); ok {
		return out, owned, note
	}
	if isWesternLabel(cs) {
		if !hasNonASCII(b) {
			if hasISO2022JP(b) {
				if out := decodeISO2022JP(b); out != nil {
					return out, true, doubtNote(cs, "holds ISO-2022-JP escapes, decoded as ISO-2022-JP")
				}
			}
			return b, false, "" // all these charsets are supersets of US-ASCII
		}
		// Only text that does not read as Western text is looked at further.
		if latin, plain := latinScore(b); !plain {
			if name, dec := guessCJK(b, latin); name != "" {
				return dec, true, doubtNote(cs, "reads as "+name+", guessed from the content")
			}
		}
	}
	r, err := gmcharset.Reader(cs, bytes.NewReader(b))
	if err != nil || r == nil {
		if utf8.Valid(b) {
			return b, false, fmt.Sprintf("unknown charset %q, decoded as UTF-8", cs)
		}
		return decode1252Bytes(b), true, fmt.Sprintf("unknown charset %q, decoded as windows-1252", cs)
	}
	if isLatinLabel(cs) && !hasNonASCII(b) {
		return b, false, "" // these charsets are all supersets of US-ASCII
	}
	// Sized for the common case (a single-byte charset, some of it non-ASCII)
	// so that a large body is not copied again and again as the buffer grows.
	buf := bytes.NewBuffer(make([]byte, 0, len(b)+len(b)/8+bytes.MinRead))
	if _, err := buf.ReadFrom(r); err != nil {
		// A decoder that gives up half way: keep the bytes as a whole through
		// the fallback rather than losing the tail.
		if utf8.Valid(b) {
			return b, false, fmt.Sprintf("charset %q decoding failed (%v), decoded as UTF-8", cs, err)
		}
		return decode1252Bytes(b), true, fmt.Sprintf("charset %q decoding failed (%v), decoded as windows-1252", cs, err)
	}
	out = buf.Bytes()
	if !utf8.Valid(out) {
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	return out, true, ""
}

// bodyText turns the bytes of a text part, its transfer encoding undone, into
// the text kept: cleanString(normalizeNewlines(decodeCharset(data, cs))), but
// in one pass and with at most one copy of data, for a body may be most of a
// large message. owned says that data is a buffer of the caller's own (a
// transfer decoding) that nothing else refers to; it is then reused.
func bodyText(data []byte, owned bool, cs string) (s string, note string) {
	out, conv, note := charsetBytes(data, cs)
	return cleanText(out, owned || conv), note
}

// cleanText is cleanString(normalizeNewlines(string(b))) for valid UTF-8 b:
// CRLF and bare CR become LF, NUL bytes are dropped. When owned, b is
// rewritten in place (the text only shrinks) and becomes the string.
func cleanText(b []byte, owned bool) string {
	if bytes.IndexByte(b, '\r') < 0 && bytes.IndexByte(b, 0) < 0 {
		if owned {
			return ownedString(b)
		}
		return string(b)
	}
	out := b[:0]
	if !owned {
		out = make([]byte, 0, len(b))
	}
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\r':
			// As normalizeNewlines: the byte after the CR is looked at before
			// NULs are dropped, so "\r\x00\n" is two line breaks.
			out = append(out, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		case 0:
		default:
			out = append(out, c)
		}
	}
	return ownedString(out)
}

// ownedString makes b, which nothing else refers to and nothing will write
// to again, a string without copying it — unless most of its buffer would be
// kept alive for nothing (a decoding that shrank a lot), then it is copied.
func ownedString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(b)-len(b) > len(b)/4+4096 {
		return string(b)
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// sniffHTMLCharset looks for a charset declared in a <meta> element near the
// start of an HTML part that declared none in its Content-Type (a simplified
// HTML Standard §13.2.3.2 prescan). It returns a canonical label or "".
func sniffHTMLCharset(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	lower := bytes.ToLower(b)
	for off := 0; ; {
		i := bytes.Index(lower[off:], []byte("<meta"))
		if i < 0 {
			return ""
		}
		off += i + 5
		end := bytes.IndexByte(lower[off:], '>')
		if end < 0 {
			return ""
		}
		tag := lower[off : off+end]
		if j := bytes.Index(tag, []byte("charset")); j >= 0 {
			v := bytes.TrimLeft(tag[j+7:], " \t\r\n")
			if len(v) == 0 || v[0] != '=' {
				continue
			}
			v = bytes.TrimLeft(v[1:], " \t\r\n\"'")
			k := bytes.IndexAny(v, " \t\r\n\"';/>")
			if k >= 0 {
				v = v[:k]
			}
			if _, name := htmlcharset.Lookup(string(v)); name != "" {
				return name
			}
		}
	}
}

// doubtNote words the note for a declared charset (cs, "" for none) that
// the content did not fit.
func doubtNote(cs, what string) string {
	if cs == "" {
		return "8-bit text without charset " + what
	}
	return fmt.Sprintf("declared charset %q but content %s", cs, what)
}

// fallback8bit turns raw 8-bit header or parameter bytes into UTF-8: kept when
// already valid UTF-8 (RFC 6532), else guessed as 8-bit text without a
// charset is (see guessInvalidUTF8). how says what was done, "" when the
// bytes were valid UTF-8.
func fallback8bit(s string) (out string, how string) {
	if utf8.ValidString(s) {
		return s, ""
	}
	b, how := guessInvalidUTF8([]byte(s))
	return ownedString(b), how
}

// cp1252High maps 0x80..0x9F; undefined positions map to the C1 control of the
// same value, as the WHATWG decoder does.
var cp1252High = [32]rune{
	0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
	0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
}

// decode1252Bytes decodes windows-1252 into a buffer of exactly the size
// needed; it cannot fail and always yields UTF-8.
func decode1252Bytes(b []byte) []byte {
	n := len(b)
	for _, c := range b {
		switch {
		case c < 0x80:
		case c < 0xA0:
			n += utf8.RuneLen(cp1252High[c-0x80]) - 1
		default:
			n++ // U+00A0..U+00FF take two bytes
		}
	}
	out := make([]byte, 0, n)
	for _, c := range b {
		switch {
		case c < 0x80:
			out = append(out, c)
		case c < 0xA0:
			out = utf8.AppendRune(out, cp1252High[c-0x80])
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return out
}

// cleanString makes a string safe to store: valid UTF-8 and no NUL bytes
// (PostgreSQL text columns reject NUL).
func cleanString(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// foldSpace collapses runs of whitespace and control characters into single
// spaces, as RFC 5322 §2.2.3 unfolding plus display cleanup.
func foldSpace(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	space := false
	for _, r := range s {
		if r <= ' ' || r == 0x7F || r == 0x85 || r == 0xA0 || r == 0x2028 || r == 0x2029 {
			space = sb.Len() > 0
			continue
		}
		if space {
			sb.WriteByte(' ')
			space = false
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// unfoldSpace turns control characters (tabs, stray CR/LF left by
// unfolding, RFC 5322 §2.2.3) into spaces and trims the ends, but keeps runs
// of spaces the sender typed.
func unfoldSpace(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7F || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

func isStdB64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

// decodeUTF7 decodes UTF-7 (RFC 2152): "+" opens a run of modified base64
// holding UTF-16BE, ended by "-" (absorbed) or any non-base64 byte; "+-" is
// a literal "+".
func decodeUTF7(b []byte) []byte {
	sb := make([]byte, 0, len(b))
	var units []uint16
	for i := 0; i < len(b); {
		c := b[i]
		if c != '+' {
			if c >= 0x80 {
				sb = utf8.AppendRune(sb, utf8.RuneError)
			} else {
				sb = append(sb, c)
			}
			i++
			continue
		}
		i++
		if i < len(b) && b[i] == '-' {
			sb = append(sb, '+')
			i++
			continue
		}
		var acc uint32
		nbits := 0
		units = units[:0]
		for ; i < len(b) && isStdB64(b[i]); i++ {
			acc = acc<<6 | uint32(b64Values[b[i]])
			nbits += 6
			if nbits >= 16 {
				nbits -= 16
				units = append(units, uint16(acc>>uint(nbits)))
				acc &= 1<<uint(nbits) - 1
			}
		}
		for _, r := range utf16.Decode(units) {
			sb = utf8.AppendRune(sb, r)
		}
		if i < len(b) && b[i] == '-' {
			i++
		}
	}
	return sb
}
