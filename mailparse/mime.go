package mailparse

import (
	"sort"
	"strconv"
	"strings"
)

// noteFunc receives human-readable notes about worked-around damage; it may
// be nil when the caller does not collect them.
type noteFunc func(string)

func (f noteFunc) note(s string) {
	if f != nil && s != "" {
		f(s)
	}
}

// maxEncodedWord bounds the length of one RFC 2047 encoded-word. RFC 2047
// §2 allows 75 characters; real mailers exceed that, but not by this much.
const maxEncodedWord = 1024

// decodeHeaderText decodes an unstructured header value: raw 8-bit bytes
// become UTF-8 (RFC 6532, else as guessed by fallback8bit) and RFC 2047 encoded-words are
// decoded. Adjacent encoded-words in the same charset are joined before
// charset conversion, because mailers split multibyte characters across
// words; whitespace between encoded-words is dropped (RFC 2047 §6.2). It runs
// in linear time: both the "=?" and the "?=" searches only move forward.
func decodeHeaderText(s string, note noteFunc) string {
	s, how := fallback8bit(s)
	if how != "" {
		note.note("raw 8-bit header bytes are not valid UTF-8, " + how)
	}
	if !strings.Contains(s, "=?") {
		return s
	}
	var out strings.Builder
	out.Grow(len(s))
	var pendCS string
	var pend []byte
	active := false
	flush := func() {
		if active {
			dec, n := decodeCharset(pend, pendCS)
			note.note(n)
			out.WriteString(dec)
		}
		active, pend, pendCS = false, pend[:0], ""
	}
	lastWord := false
	nextEnd := -1 // cached index of the next "?=" (len(s) when none)
	pos := 0
	for pos < len(s) {
		j := strings.Index(s[pos:], "=?")
		if j < 0 {
			flush()
			out.WriteString(s[pos:])
			break
		}
		lit := s[pos : pos+j]
		w := pos + j
		cs, data, n, ok := parseEncodedWord(s, w, &nextEnd)
		if !ok {
			flush()
			out.WriteString(s[pos : w+2])
			pos = w + 2
			lastWord = false
			continue
		}
		if lastWord && strings.TrimSpace(lit) == "" {
			if !active || !strings.EqualFold(cs, pendCS) {
				flush()
			}
		} else {
			flush()
			out.WriteString(lit)
		}
		if !active {
			active, pendCS = true, cs
		}
		pend = append(pend, data...)
		lastWord = true
		pos = w + n
	}
	flush()
	return out.String()
}

// parseEncodedWord parses "=?charset?B|Q?text?=" at s[w:] (RFC 2047 §2) and
// returns the charset, the decoded bytes and the length consumed. nextEnd
// caches the position of the next "?=" across calls.
func parseEncodedWord(s string, w int, nextEnd *int) (cs string, data []byte, n int, ok bool) {
	rest := s[w+2:]
	q := strings.IndexByte(rest[:min(len(rest), 66)], '?')
	if q <= 0 {
		return "", nil, 0, false
	}
	cs = rest[:q]
	if strings.ContainsAny(cs, " \t\"=()<>,;:") {
		return "", nil, 0, false
	}
	rest = rest[q+1:]
	if len(rest) < 2 || rest[1] != '?' {
		return "", nil, 0, false
	}
	enc := rest[0] | 0x20
	textStart := w + 2 + q + 1 + 2
	if *nextEnd < textStart {
		if k := strings.Index(s[textStart:], "?="); k >= 0 {
			*nextEnd = textStart + k
		} else {
			*nextEnd = len(s)
		}
	}
	if *nextEnd >= len(s) || *nextEnd-textStart > maxEncodedWord {
		return "", nil, 0, false
	}
	text := s[textStart:*nextEnd]
	switch enc {
	case 'b':
		if strings.ContainsAny(text, " \t") {
			return "", nil, 0, false
		}
		data, _ = decodeBase64([]byte(text))
	case 'q':
		data = decodeQWord(text)
	default:
		return "", nil, 0, false
	}
	return cs, data, *nextEnd + 2 - w, true
}

// decodeQWord decodes the RFC 2047 §4.2 "Q" encoding; invalid escapes are kept.
func decodeQWord(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s):
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
			} else {
				out = append(out, c)
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// mediaValue is a parsed Content-Type or Content-Disposition value.
type mediaValue struct {
	value  string            // lowercased type or disposition, "" when absent
	params map[string]string // lowercased names; values decoded to UTF-8
	bad    bool              // syntax was damaged
}

type section struct {
	n   int
	ext bool
	v   string
}

// parseMediaValue leniently parses "value; a=b; c*=utf-8”x; d*0=.."
// (RFC 2045 §5.1, RFC 2183, RFC 2231). Unlike mime.ParseMediaType it accepts
// unquoted values with spaces, missing semicolons, duplicate parameters
// (first wins), RFC 2231 in any charset, and RFC 2047 inside quoted values.
func parseMediaValue(s string, note noteFunc) mediaValue {
	var mv mediaValue
	i := strings.IndexByte(s, ';')
	if i < 0 {
		i = len(s)
	}
	head := strings.TrimSpace(s[:i])
	s = s[i:]
	if j := strings.IndexAny(head, " \t"); j >= 0 && strings.Contains(head[j:], "=") {
		// "text/plain charset=x": the semicolon is missing.
		mv.bad = true
		s = head[j:] + s
		head = head[:j]
	}
	mv.value = strings.ToLower(strings.Join(strings.Fields(head), ""))
	plain := map[string]string{}
	ext := map[string][]section{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t\r\n;")
		if s == "" {
			break
		}
		// Parameter name up to '=' (or a stray token up to ';').
		k := strings.IndexAny(s, "=;")
		if k < 0 || s[k] == ';' {
			mv.bad = true
			if k < 0 {
				break
			}
			s = s[k:]
			continue
		}
		name := strings.ToLower(strings.TrimSpace(s[:k]))
		s = strings.TrimLeft(s[k+1:], " \t\r\n")
		var val string
		if strings.HasPrefix(s, "\"") {
			var b strings.Builder
			j := 1
			closed := false
			for ; j < len(s); j++ {
				c := s[j]
				if c == '\\' && j+1 < len(s) {
					j++
					b.WriteByte(s[j])
					continue
				}
				if c == '"' {
					closed = true
					j++
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				mv.bad = true
			}
			val, s = b.String(), s[j:]
		} else {
			j := strings.IndexByte(s, ';')
			if j < 0 {
				j = len(s)
			}
			val, s = strings.TrimSpace(s[:j]), s[j:]
		}
		if name == "" || strings.ContainsAny(name, " \t\"") {
			mv.bad = true
			continue
		}
		if star := strings.IndexByte(name, '*'); star >= 0 {
			base, rest := name[:star], name[star+1:]
			sec := section{v: val}
			if rest == "" {
				sec.ext = true
			} else {
				sec.ext = strings.HasSuffix(rest, "*")
				num, err := strconv.Atoi(strings.TrimSuffix(rest, "*"))
				if err != nil || num < 0 || num > 999 {
					mv.bad = true
					continue
				}
				sec.n = num
			}
			if len(ext[base]) < 1000 {
				ext[base] = append(ext[base], sec)
			}
			continue
		}
		if _, dup := plain[name]; !dup {
			plain[name] = val
		}
	}
	mv.params = make(map[string]string, len(plain)+len(ext))
	for k, v := range plain {
		switch k {
		case "boundary":
			// Kept byte for byte: it is matched against the raw body.
		case "name", "filename":
			// RFC 2047 §5 forbids encoded-words here; mailers use them anyway.
			v = decodeHeaderText(v, note)
		default:
			var how string
			if v, how = fallback8bit(v); how != "" {
				note.note("raw 8-bit bytes in a MIME parameter are not valid UTF-8, " + how)
			}
		}
		mv.params[k] = v
	}
	for k, secs := range ext {
		if v, ok := joinRFC2231(secs, note); ok {
			mv.params[k] = v // the RFC 2231 form wins over a plain fallback
		}
	}
	return mv
}

// joinRFC2231 reassembles RFC 2231 §3 continuations and decodes §4
// charset'language'percent-encoded values.
func joinRFC2231(secs []section, note noteFunc) (string, bool) {
	sort.SliceStable(secs, func(a, b int) bool { return secs[a].n < secs[b].n })
	var buf []byte
	cs := ""
	want := 0
	for _, sec := range secs {
		if sec.n != want {
			if sec.n < want {
				continue // duplicate section number: first wins
			}
			break // gap: stop at the missing section
		}
		want++
		v := sec.v
		if sec.ext {
			if want == 1 {
				if parts := strings.SplitN(v, "'", 3); len(parts) == 3 {
					cs, v = parts[0], parts[2]
				}
			}
			buf = appendPercentDecoded(buf, v)
		} else {
			buf = append(buf, v...)
		}
	}
	if want == 0 {
		return "", false
	}
	s, n := decodeCharset(buf, cs)
	note.note(n)
	return s, true
}

func appendPercentDecoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				dst = append(dst, hi<<4|lo)
				i += 2
				continue
			}
		}
		dst = append(dst, s[i])
	}
	return dst
}

// mediaType validates a lowercased "type/subtype" (RFC 2045 §5.1) and repairs
// what can be repaired: a bare "text" means text/plain.
func mediaType(v string) (string, bool) {
	switch v {
	case "":
		return "", false
	case "text":
		return "text/plain", false
	case "multipart":
		return "multipart/mixed", false
	}
	slash := strings.IndexByte(v, '/')
	if slash <= 0 || slash == len(v)-1 || strings.Count(v, "/") != 1 {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7F || strings.IndexByte("()<>@,;:\\\"[]?=", c) >= 0 {
			return "", false
		}
	}
	return v, true
}
