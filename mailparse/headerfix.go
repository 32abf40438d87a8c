package mailparse

import (
	"bytes"
	"fmt"
	"strings"
)

// Repairs of broken header blocks. Python's email package and MimeKit both
// end the header at the first line that is neither a field nor a
// continuation, and read the rest as body (Python notes a
// MissingHeaderBodySeparatorDefect): right for a missing blank line, but a
// fold gone wrong (a continuation that lost its leading blank) or a line of
// garbage in the middle of the header then costs every field after it —
// often From, Subject and Content-Type. So, as those parsers do, a stray
// line ends the header by default, but when the header plainly goes on after
// it (more fields, among them ones every mail header has, then the blank
// line), the line is taken as a continuation of the field before it, or
// dropped when it is garbage. The look-ahead is bounded and done only for
// stray lines, at most maxHeaderFixes times a header.
const (
	maxHeaderFixes = 8   // stray lines repaired in one header block
	resumeWindow   = 100 // lines looked at after a stray line
)

// knownFields are fields of message and MIME headers, lowercased; a stray
// line is repaired only when at least one of them follows it.
var knownFields = map[string]bool{
	"from": true, "sender": true, "reply-to": true, "to": true, "cc": true, "bcc": true,
	"subject": true, "date": true, "message-id": true, "in-reply-to": true, "references": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
	"content-disposition": true, "content-id": true, "received": true, "return-path": true,
	"delivered-to": true, "x-original-to": true, "x-mailer": true, "user-agent": true,
	"thread-topic": true, "thread-index": true, "dkim-signature": true,
	"authentication-results": true, "received-spf": true, "importance": true, "x-priority": true,
	"list-id": true, "auto-submitted": true, "precedence": true, "content-language": true,
}

// singleFields occur at most once in a message header (RFC 5322 §3.6); one
// that appears again after a stray line belongs to something else (a
// forwarded header at the top of a body that lost its blank line).
var singleFields = map[string]bool{
	"from": true, "sender": true, "to": true, "cc": true, "subject": true, "date": true,
	"message-id": true, "in-reply-to": true, "references": true,
}

type headerFixes struct {
	at      []int  // offsets of the repaired lines
	drop    []bool // dropped, not joined
	seen    map[string]bool
	scanned int // b[:scanned] has been looked at for singleFields
	joined  int
	dropped int
}

func fieldName(line []byte) string {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return ""
	}
	return strings.ToLower(string(bytes.TrimRight(line[:colon], " \t")))
}

// scanTo records the single fields in b[fx.scanned:end].
func (fx *headerFixes) scanTo(b []byte, end int) {
	if fx.seen == nil {
		fx.seen = map[string]bool{}
	}
	for i := fx.scanned; i < end; {
		line, next := nextLine(b, i)
		if len(line) > 0 && line[0] != ' ' && line[0] != '\t' && looksLikeField(line) {
			if k := fieldName(line); singleFields[k] {
				fx.seen[k] = true
			}
		}
		i = next
	}
	fx.scanned = max(fx.scanned, end)
}

// resumesHeader reports whether the header goes on after the stray line
// that ends at next (it starts at start): within resumeWindow lines, only
// fields, continuations and at most two more stray lines up to a blank line
// (or the end of the message), at least one known field among them, and no
// second copy of a field that occurs once.
func resumesHeader(b []byte, start, next int, fx *headerFixes) bool {
	fx.scanTo(b, start)
	known, stray := 0, 0
	i := next
	for n := 0; i < len(b) && n < resumeWindow; n++ {
		line, nx := nextLine(b, i)
		switch {
		case len(line) == 0:
			return known > 0
		case line[0] == ' ' || line[0] == '\t':
		case looksLikeField(line):
			k := fieldName(line)
			if singleFields[k] && fx.seen[k] {
				return false
			}
			if knownFields[k] {
				known++
			}
		default:
			if stray++; stray > 2 {
				return false
			}
		}
		i = nx
	}
	return i >= len(b) && known > 0
}

// isParamLine reports a MIME parameter ("charset=utf-8", `boundary="x"`)
// on a line of its own after a Content-Type or Content-Disposition field,
// folded without the leading blank: always a continuation.
func isParamLine(line, prevField []byte) bool {
	k := fieldName(prevField)
	if k != "content-type" && k != "content-disposition" {
		return false
	}
	eq := bytes.IndexByte(line, '=')
	if eq <= 0 {
		return false
	}
	for _, c := range bytes.TrimRight(line[:eq], " \t") {
		if !(isASCIILetter(c) || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '*' || c == '.') {
			return false
		}
	}
	return true
}

// isGarbageLine: a stray line that carries no text to keep: control
// characters, an 8-bit field name, or no ASCII letter or digit at all.
func isGarbageLine(line []byte) bool {
	alnum := false
	for _, c := range line {
		if c < 0x20 && c != '\t' || c == 0x7F {
			return true
		}
		alnum = alnum || isASCIILetter(c) || '0' <= c && c <= '9'
	}
	if colon := bytes.IndexByte(line, ':'); colon > 0 && !bytes.ContainsAny(line[:colon], " \t") && hasNonASCII(line[:colon]) {
		return true
	}
	return !alnum
}

func (fx *headerFixes) add(at int, drop bool) {
	fx.at = append(fx.at, at)
	fx.drop = append(fx.drop, drop)
	if drop {
		fx.dropped++
	} else {
		fx.joined++
	}
}

// apply returns a copy of the header block with the repaired lines folded
// (a blank put before them) or left out.
func (fx *headerFixes) apply(block []byte) []byte {
	out := make([]byte, 0, len(block)+len(fx.at))
	last := 0
	for k, at := range fx.at {
		if at >= len(block) {
			break
		}
		out = append(out, block[last:at]...)
		if fx.drop[k] {
			_, last = nextLine(block, at)
			continue
		}
		out = append(out, ' ')
		last = at
	}
	return append(out, block[min(last, len(block)):]...)
}

func (fx *headerFixes) note() string {
	var parts []string
	if fx.joined > 0 {
		parts = append(parts, fmt.Sprintf("%d line(s) inside the header that were not fields read as continuations of the field before", fx.joined))
	}
	if fx.dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d unreadable line(s) inside the header dropped", fx.dropped))
	}
	return strings.Join(parts, "; ")
}
