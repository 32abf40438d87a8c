package mailparse

import (
	"bytes"
	"encoding/base64"
	"strings"
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
