package mailparse

import (
	"bytes"
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// normalizeCTE reduces a Content-Transfer-Encoding value (RFC 2045 §6.1) to
// its lowercase mechanism token, tolerating quotes, comments and parameters.
func normalizeCTE(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(v, "; \t("); i >= 0 {
		v = v[:i]
	}
	v = strings.Trim(v, "\"'")
	switch v {
	case "7-bit", "7b":
		return "7bit"
	case "8-bit", "8b":
		return "8bit"
	case "quoted_printable", "quotedprintable", "qp":
		return "quoted-printable"
	case "base-64", "b64":
		return "base64"
	}
	return v
}

var b64Values = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()

// decodeBase64 decodes RFC 2045 §6.8 base64 leniently and in linear time.
// Well-formed input takes the standard library's fast path (which skips line
// breaks). Otherwise, lines that are not base64 (words separated by blanks,
// as in a footer a list server appended, or mostly other characters) are
// skipped; stray characters inside a line are ignored; padding in the middle
// (concatenated encodings) restarts decoding. broken reports that anything
// had to be worked around.
func decodeBase64(src []byte) (out []byte, broken bool) {
	out = make([]byte, base64.StdEncoding.DecodedLen(len(src))+3)
	if n, err := base64.StdEncoding.Decode(out, src); err == nil {
		return out[:n], false
	}
	out = out[:0]
	var acc uint32
	n := 0
	for len(src) > 0 {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		invalid, words := 0, false
		for _, c := range line {
			if b64Values[c] < 0 && c != '=' {
				invalid++
				words = words || c == ' ' || c == '\t'
			}
		}
		if invalid > 0 {
			broken = true
			if words || invalid*4 > len(line) {
				continue // prose or junk, not base64: skip the whole line
			}
		}
		for _, c := range line {
			v := b64Values[c]
			if c == '=' {
				// End of a quantum: emit what the sextets so far carry.
				switch n {
				case 1:
					broken = true
				case 2:
					out = append(out, byte(acc>>4))
				case 3:
					out = append(out, byte(acc>>10), byte(acc>>2))
				}
				acc, n = 0, 0
				continue
			}
			if v < 0 {
				continue
			}
			acc = acc<<6 | uint32(v)
			n++
			if n == 4 {
				out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
				acc, n = 0, 0
			}
		}
	}
	switch n {
	case 1:
		broken = true // a lone sextet carries no full byte
	case 2:
		out = append(out, byte(acc>>4))
	case 3:
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return out, broken
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true // lowercase is invalid per RFC 2045 but common
	}
	return 0, false
}

// decodeQP decodes quoted-printable (RFC 2045 §6.7). Invalid escapes are kept
// as the raw bytes; trailing whitespace before a line break is dropped (rule
// 3); "=" at line end is a soft line break (rule 5).
func decodeQP(src []byte) (out []byte, broken bool) {
	out = make([]byte, 0, len(src))
	for len(src) > 0 {
		var line []byte
		nl := false
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src, nl = src[:i+1], src[i+1:], true
			line = line[:len(line)-1]
		} else {
			line, src = src, nil
		}
		hadCR := len(line) > 0 && line[len(line)-1] == '\r'
		if hadCR {
			line = line[:len(line)-1]
		}
		line = bytes.TrimRight(line, " \t")
		soft := false
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c != '=' {
				out = append(out, c)
				continue
			}
			if i == len(line)-1 {
				soft = true
				break
			}
			if i+2 < len(line) {
				hi, ok1 := unhex(line[i+1])
				lo, ok2 := unhex(line[i+2])
				if ok1 && ok2 {
					out = append(out, hi<<4|lo)
					i += 2
					continue
				}
			}
			broken = true
			out = append(out, '=')
		}
		if nl && !soft {
			if hadCR {
				out = append(out, '\r')
			}
			out = append(out, '\n')
		}
	}
	return out, broken
}

// bareBase64 decodes a text body that is base64 although no
// Content-Transfer-Encoding says so (the header was lost or never written):
// every line is base64 of one width of at most 998 (the last one shorter),
// padding only at the end, at least 16 characters. It stops at the first character that
// cannot be base64, so ordinary text costs a few bytes of its first line.
func bareBase64(body []byte) ([]byte, bool) {
	width, total, short := 0, 0, false
	padded := false
	for i := 0; i < len(body); {
		line, next := nextLine(body, i)
		i = next
		line = bytes.TrimRight(line, " \t")
		if len(line) == 0 {
			continue
		}
		if short || padded {
			return nil, false // a line after the last one, or after padding
		}
		for k, c := range line {
			if c == '=' {
				if rest := line[k:]; len(rest) > 2 || len(bytes.Trim(rest, "=")) > 0 {
					return nil, false
				}
				padded = true
				break
			}
			if b64Values[c] < 0 {
				return nil, false
			}
		}
		switch {
		case width == 0:
			width = len(line)
			if width > 998 {
				return nil, false // mailers wrap base64 (RFC 2045 §6.8: 76); one huge line is data
			}
		case len(line) > width:
			return nil, false
		case len(line) < width:
			short = true
		}
		total += len(line)
	}
	if total < 16 || total%4 != 0 || width%4 != 0 {
		return nil, false
	}
	out, broken := decodeBase64(body)
	if broken || len(out) == 0 {
		return nil, false
	}
	return out, true
}

// looksLikeText reports whether decoded bytes are text in charset cs and
// not binary data that happened to be base64: no control characters but
// line breaks, tabs, form feeds and ISO-2022 escapes, and valid in the
// charset (for UTF-8 and no charset: valid UTF-8 or mostly ASCII).
func looksLikeText(b []byte, cs string) bool {
	ascii := 0
	for _, c := range b {
		switch {
		case c == 0x7F, c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b:
			return false
		case c < 0x80:
			ascii++
		}
	}
	switch cs = normalizeCharset(cs); {
	case cs == "" || cs == "us-ascii" || cs == "utf-8":
		return utf8.Valid(b) || ascii*4 >= len(b)*3
	case isWesternLabel(cs):
		return ascii*4 >= len(b)*3
	}
	out, _, _ := charsetBytes(b, cs)
	return !bytes.Contains(out, []byte("\uFFFD"))
}
