package classify

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"strings"

	"github.com/emersion/go-message/charset"
)

// Bounds for walking a message body. Bounce reports are two or three parts
// deep; anything deeper or wider is a torture test, not a notification.
const (
	maxDepth     = 8
	maxParts     = 256
	maxTextBytes = 1 << 20 // decoded text kept per part for prose matching
)

// part is one MIME entity. Children of multipart/* are parsed; a
// message/rfc822 (the returned original) keeps only its header, which is
// all the classifier needs, so a deeply nested attachment costs nothing.
type part struct {
	header    header
	mediaType string
	params    map[string]string
	body      []byte // transfer-decoded body (raw for multipart)
	children  []*part
	embedded  header // header of a message/rfc822 or text/rfc822-headers part
}

// walkBudget counts parts across the whole tree.
type walkBudget struct{ parts int }

// parseEntity builds the MIME tree for an entity whose header is already
// split off. It never fails: malformed structure degrades to text.
func parseEntity(h header, body []byte, depth int, b *walkBudget) *part {
	b.parts++
	ct := h.get("content-type")
	mt, params := mediaType(ct)
	switch mt {
	case "", "text":
		// RFC 2045 §5.2: the default is text/plain; a missing subtype is
		// read the same way.
		mt = "text/plain"
	case "multipart":
		mt = "multipart/mixed" // RFC 2046 §5.1.3: unknown subtypes are "mixed"
	}
	p := &part{header: h, mediaType: mt, params: params}
	if depth > 0 && h.has("message-id") && (h.has("received") || h.has("from") || h.has("return-path")) {
		// A part whose "MIME header" is really the returned message's
		// own header (MTAs that paste the message in without a
		// message/rfc822 wrapper).
		p.embedded = h
	}
	if strings.HasPrefix(mt, "multipart/") {
		p.body = body
		if depth >= maxDepth {
			return p
		}
		var subs [][]byte
		if bd := params["boundary"]; bd != "" {
			subs = splitMultipart(body, bd, maxParts)
		}
		if len(subs) == 0 {
			// No usable boundary (missing parameter, or a body whose
			// delimiters were lost): read the body as plain text so its
			// words and report fields are still seen.
			p.children = append(p.children, &part{mediaType: "text/plain", body: toUTF8(params["charset"], body)})
			return p
		}
		for _, sub := range subs {
			if b.parts >= maxParts {
				break
			}
			sh, sb := parseHeader(sub)
			p.children = append(p.children, parseEntity(sh, sb, depth+1, b))
		}
		return p
	}
	if !strings.HasPrefix(mt, "text/") && !strings.HasPrefix(mt, "message/") {
		// Attachments (images, PDFs, archives) are never read: keep
		// them encoded rather than decode megabytes for nothing.
		p.body = body
		return p
	}
	if len(body) > 2*maxTextBytes {
		body = body[:2*maxTextBytes]
	}
	p.body = decodeTransfer(h.get("content-transfer-encoding"), body)
	// The returned message, or its header (RFC 6522 §3: the optional
	// third part of a report), under whatever message/* type the MTA
	// chose (rfc822, global, partial, rfc822-headers…).
	switch {
	case mt == "text/rfc822-headers",
		strings.HasPrefix(mt, "message/") && !isReportPart(mt):
		// Some MTAs leave blank lines before the returned header.
		eh, _ := parseHeader(bytes.TrimLeft(p.body, "\r\n"))
		p.embedded = eh
	}
	if strings.HasPrefix(mt, "text/") {
		p.body = toUTF8(params["charset"], p.body)
	}
	return p
}

// splitMultipart returns the bodies between boundary delimiter lines
// (RFC 2046 §5.1.1), at most limit of them: the walk never reads more than
// maxParts, and a body of a million delimiters would otherwise cost a
// million-entry slice. It tolerates a missing close delimiter, trailing
// blanks after the boundary and CRLF or LF line ends.
func splitMultipart(body []byte, boundary string, limit int) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	rest := body
	off := 0
	for len(rest) > 0 {
		line, next := cutLine(rest)
		lineStart := off
		off += len(rest) - len(next)
		rest = next
		if !bytes.HasPrefix(line, delim) {
			continue
		}
		tail := bytes.TrimRight(line[len(delim):], " \t")
		closing := bytes.Equal(tail, []byte("--"))
		if len(tail) != 0 && !closing {
			continue // a longer boundary that merely shares our prefix
		}
		if start >= 0 {
			end := lineStart
			// The CRLF before the delimiter belongs to the delimiter.
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			if end < start {
				end = start
			}
			parts = append(parts, body[start:end])
			if len(parts) >= limit {
				return parts
			}
		}
		if closing {
			return parts
		}
		start = off
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

// decodeTransfer undoes base64 and quoted-printable (RFC 2045 §6). Broken
// encodings keep whatever decoded cleanly, or the raw bytes.
func decodeTransfer(cte string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		// Keep only the alphabet: MTAs wrap, pad and truncate base64 freely.
		clean := make([]byte, 0, len(body))
		for _, c := range body {
			if c == '+' || c == '/' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				clean = append(clean, c)
			}
		}
		if len(clean)%4 == 1 {
			clean = clean[:len(clean)-1]
		}
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
		n, err := base64.RawStdEncoding.Decode(out, clean)
		if err != nil && n == 0 {
			return body
		}
		return out[:n]
	case "quoted-printable":
		out, err := io.ReadAll(io.LimitReader(quotedprintable.NewReader(bytes.NewReader(body)), maxTextBytes))
		if err != nil && len(out) == 0 {
			return body
		}
		return out
	}
	return body
}

// toUTF8 converts text from its declared charset so prose patterns and
// addresses match in ISO-2022-JP, Windows-1252 or KOI8-R bounces.
func toUTF8(cs string, b []byte) []byte {
	if len(b) > maxTextBytes {
		b = b[:maxTextBytes]
	}
	cs = strings.ToLower(strings.TrimSpace(cs))
	switch cs {
	case "", "us-ascii", "utf-8", "utf8", "ascii":
		return b
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil {
		return b
	}
	out, err := io.ReadAll(io.LimitReader(r, maxTextBytes))
	if err != nil && len(out) == 0 {
		return b
	}
	return out
}

// walk visits p and its descendants depth-first, in document order.
func (p *part) walk(fn func(*part)) {
	fn(p)
	for _, c := range p.children {
		c.walk(fn)
	}
}

// find returns the first part whose media type is one of types.
func (p *part) find(types ...string) *part {
	var found *part
	p.walk(func(q *part) {
		if found != nil {
			return
		}
		for _, t := range types {
			if q.mediaType == t {
				found = q
				return
			}
		}
	})
	return found
}

// findAll returns every part whose media type is one of types.
func (p *part) findAll(types ...string) []*part {
	var found []*part
	p.walk(func(q *part) {
		for _, t := range types {
			if q.mediaType == t {
				found = append(found, q)
				return
			}
		}
	})
	return found
}

// isReportPart: the machine-readable second part of a report (RFC 3464,
// RFC 5965, RFC 8098 and their RFC 6533 global forms).
func isReportPart(mt string) bool {
	switch mt {
	case "message/delivery-status", "message/global-delivery-status",
		"message/feedback-report",
		"message/disposition-notification", "message/global-disposition-notification":
		return true
	}
	return false
}
