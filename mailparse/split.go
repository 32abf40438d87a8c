package mailparse

import (
	"bufio"
	"bytes"

	"github.com/emersion/go-message/textproto"
)

// nextLine returns the line starting at b[i:] without its terminator, and
// the index just past the terminator.
func nextLine(b []byte, i int) (line []byte, next int) {
	j := bytes.IndexByte(b[i:], '\n')
	if j < 0 {
		return b[i:], len(b)
	}
	line = b[i : i+j]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, i + j + 1
}

func isHeaderKeyByte(c byte) bool { return c >= 33 && c <= 126 && c != ':' }

// looksLikeField reports whether line is "key: value" with a valid field name
// (RFC 5322 §2.2: printable US-ASCII except colon; trailing blanks before
// the colon are tolerated as textproto does).
func looksLikeField(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return false
	}
	key := bytes.TrimRight(line[:colon], " \t")
	for _, c := range key {
		if !isHeaderKeyByte(c) {
			return false
		}
	}
	return true
}

// Header bounds: go-message's own reader stops at 1 MiB of header; a field
// count cap keeps a hostile header of tiny fields from multiplying memory.
const (
	maxHeaderBytes  = 1 << 20
	maxHeaderFields = 5000
)

// splitHeader separates the header block from the body (RFC 5322 §2.1). It is
// lenient: when a line that is neither a field nor a continuation appears
// before any blank line, the header ends there and that line starts the body
// — unless the header plainly goes on after it (see resumesHeader), when the
// line is read as a continuation of the field before it or, if it is
// garbage, dropped. The header block is parsed with go-message's textproto
// so callers get the usual mail.Header; the block handed to it contains only
// lines already checked, so textproto cannot stop half way. Fields beyond
// the bounds above are skipped (capped reports it); the body still starts
// after the header.
func splitHeader(b []byte) (h textproto.Header, body []byte, noBlank, capped bool) {
	h, body, noBlank, capped, _ = splitHeaderRepair(b)
	return h, body, noBlank, capped
}

// splitHeaderRepair is splitHeader that also says which lines it repaired,
// as a note for Problems ("" when none).
func splitHeaderRepair(b []byte) (h textproto.Header, body []byte, noBlank, capped bool, repair string) {
	i := 0
	end := -1  // end of the header block
	keep := -1 // end of the part of it that is parsed
	fields := 0
	field := 0 // start of the field being read
	var fx headerFixes
	for i < len(b) {
		line, next := nextLine(b, i)
		if len(line) == 0 {
			end, body = i, b[next:]
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if i == 0 {
				// No field to continue: this is body text, not a header.
				return textproto.Header{}, b, true, false, ""
			}
			if keep < 0 && next > maxHeaderBytes {
				keep = field // a field folded past the bound is skipped too
			}
		} else if !looksLikeField(line) {
			prev, _ := nextLine(b, field)
			param := fields > 0 && isParamLine(line, prev)
			garbage := !param && isGarbageLine(line)
			// Before any field only garbage is skipped: a line of text there
			// means the message has no header (RFC 5322 §2.1 allows none).
			if !param && (fields == 0 && !garbage || len(fx.at) >= maxHeaderFixes || !resumesHeader(b, i, next, &fx)) {
				end, body, noBlank = i, b[i:], true
				break
			}
			fx.add(i, garbage)
			if keep < 0 && next > maxHeaderBytes {
				keep = field
			}
		} else {
			fields++
			field = i
			if keep < 0 && (fields > maxHeaderFields || next > maxHeaderBytes) {
				keep = i
			}
		}
		i = next
	}
	if end < 0 {
		end, body = len(b), nil
	}
	if keep < 0 {
		keep = end
	}
	if keep == 0 {
		return textproto.Header{}, body, noBlank, keep < end, ""
	}
	block := b[:keep]
	if len(fx.at) > 0 {
		block = fx.apply(block)
		repair = fx.note()
	}
	br := bufio.NewReaderSize(bytes.NewReader(block), min(len(block)+1, 4096))
	h, _ = textproto.ReadHeader(br) // whatever was read is kept
	return h, body, noBlank, keep < end, repair
}

// multipartSplit is the result of cutting a multipart body at its boundary.
type multipartSplit struct {
	parts  [][]byte
	found  bool // at least one delimiter line was seen
	closed bool // the close-delimiter was seen
}

// splitMultipart cuts body into parts at delimiter lines "--boundary"
// (RFC 2046 §5.1.1). The line break before a delimiter belongs to the
// delimiter; the preamble and epilogue are dropped. A delimiter must start a
// line and be followed by blanks, a line break, "--" or the end; trailing
// junk on a delimiter line is ignored. At most max parts are returned. It is
// linear in len(body).
func splitMultipart(body []byte, boundary string, max int) multipartSplit {
	var res multipartSplit
	delim := []byte("--" + boundary)
	partStart := -1
	pos := 0
	for pos <= len(body) {
		k := bytes.Index(body[pos:], delim)
		if k < 0 {
			break
		}
		at := pos + k
		pos = at + 1
		if at > 0 && body[at-1] != '\n' {
			continue
		}
		after := at + len(delim)
		isClose := false
		if after+1 < len(body) && body[after] == '-' && body[after+1] == '-' {
			isClose = true
		} else if after < len(body) {
			c := body[after]
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				continue // "--boundaryX" is a different (longer) boundary
			}
		}
		if partStart >= 0 {
			end := at
			if end > partStart && body[end-1] == '\n' {
				end--
				if end > partStart && body[end-1] == '\r' {
					end--
				}
			}
			if len(res.parts) >= max {
				return res
			}
			res.parts = append(res.parts, body[partStart:end])
		}
		res.found = true
		if isClose {
			res.closed = true
			return res
		}
		_, partStart = nextLine(body, at)
		pos = partStart
	}
	if partStart >= 0 && len(res.parts) < max {
		res.parts = append(res.parts, body[partStart:])
	}
	return res
}

// guessBoundary finds a plausible boundary when the Content-Type lacks one:
// the first line that starts with "--" and looks like a delimiter.
func guessBoundary(body []byte) string {
	for i, n := 0, 0; i < len(body) && n < 200; n++ {
		line, next := nextLine(body, i)
		i = next
		line = bytes.TrimRight(line, " \t")
		if len(line) > 2 && len(line) <= 72 && line[0] == '-' && line[1] == '-' &&
			bytes.IndexByte(line, ' ') < 0 {
			return string(line[2:])
		}
	}
	return ""
}
