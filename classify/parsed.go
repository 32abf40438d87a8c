package classify

import (
	"strings"

	"github.com/emersion/go-message/textproto"
	"github.com/postdesk/postdesk/mailparse"
)

// classify reads the message mailparse produced rather than the raw bytes:
// mailparse is the one MIME parser (intake parses every message with it
// anyway), and its Entity tree already holds what the rules need — the
// headers, the decoded text parts, the delivery-status and feedback-report
// bodies and the returned message's header — each decoded once. classify
// imports mailparse, not the other way round, so there is no cycle; a
// narrower interface of our own would have to mirror the whole tree.

// Bounds for the text the rules read from one part. Bounce reports are
// short; the caps keep prose and DSN scanning cheap on hostile bodies
// (mailparse has its own limits on nesting, part counts and header size).
const maxTextBytes = 1 << 20

// header is a parsed header block; the zero value is an absent one. Keys
// are written in canonical form ("X-Failed-Recipients"): textproto would
// allocate the canonical form of any other spelling on every lookup.
type header struct{ h *textproto.Header }

// get returns the first value of key, "" when absent. Values come
// unfolded (RFC 5322 §2.2.3).
func (h header) get(key string) string {
	if h.h == nil {
		return ""
	}
	return h.h.Get(key)
}

// lookup returns the first value of key and whether the field exists.
func (h header) lookup(key string) (string, bool) {
	if h.h == nil || !h.h.Has(key) {
		return "", false
	}
	return h.h.Get(key), true
}

func (h header) has(key string) bool { return h.h != nil && h.h.Has(key) }

func (h header) present() bool { return h.h != nil }

// part is the classifier's view of one MIME entity: its media type as the
// rules compare it, the text they search, and the header of a returned
// message it carries.
type part struct {
	header    header
	mediaType string
	params    map[string]string
	body      string // text/* and message/* leaves, capped at maxTextBytes
	children  []*part
	embedded  header // header of a message/rfc822 or text/rfc822-headers part
	enclosed  header // the header block mailparse read from the body (Entity.Enclosed)
}

// fromEntity builds the view of e and its descendants. It reads only what
// mailparse decoded, converting the charset of a text attachment (the one
// thing mailparse leaves undone) on its first maxTextBytes.
func fromEntity(e *mailparse.Entity, depth int) *part {
	h := header{&e.Header}
	p := &part{header: h, mediaType: e.Type, params: e.Params, enclosed: header{e.Enclosed}}
	if depth > 0 && h.has("Message-Id") && (h.has("Received") || h.has("From") || h.has("Return-Path")) {
		// A part whose "MIME header" is really the returned message's
		// own header (MTAs that paste the message in without a
		// message/rfc822 wrapper).
		p.embedded = h
	}
	switch {
	case strings.HasPrefix(e.Type, "multipart/"):
		for _, c := range e.Children {
			p.children = append(p.children, fromEntity(c, depth+1))
		}
		if len(e.Children) == 0 && e.Text != "" {
			// No usable boundary: the body was read as plain text, so
			// its words and report fields are still seen.
			p.children = append(p.children, &part{mediaType: "text/plain", body: capText(e.Text)})
		}
		return p
	case strings.HasPrefix(e.Type, "text/"):
		if e.Text != "" {
			p.body = capText(e.Text)
		} else if e.Data != nil {
			p.body = capText(mailparse.DecodeText(e.Data[:min(len(e.Data), 2*maxTextBytes)], e.Params["charset"]))
		}
	case strings.HasPrefix(e.Type, "message/"):
		p.body = capText(string(e.Data[:min(len(e.Data), maxTextBytes)]))
	}
	// The returned message, or its header (RFC 6522 §3: the optional third
	// part of a report), under whatever message/* type the MTA chose
	// (rfc822, global, partial, rfc822-headers…).
	if e.Enclosed != nil && (e.Type == "text/rfc822-headers" || strings.HasPrefix(e.Type, "message/") && !isReportPart(e.Type)) {
		p.embedded = header{e.Enclosed}
	}
	return p
}

func capText(s string) string {
	if len(s) > maxTextBytes {
		return s[:maxTextBytes]
	}
	return s
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

// cutLine returns the first line of s without its line terminator (LF or
// CRLF) and the remainder after it.
func cutLine(s string) (line, rest string) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return strings.TrimSuffix(s, "\r"), ""
	}
	return strings.TrimSuffix(s[:i], "\r"), s[i+1:]
}
