// Package mailparse turns a raw RFC 5322 message into what the helpdesk
// stores: addresses, threading ids, a plain-text body, the HTML alternative
// and attachments. It is best effort: damaged input is repaired where it can
// be and every repair is noted in Message.Problems; Parse never panics.
package mailparse

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Limits that keep a hostile message from exhausting stack, memory or time.
const (
	maxDepth      = 32      // MIME nesting levels descended
	maxParts      = 1000    // MIME parts visited in total
	maxReferences = 50      // References kept (the most recent ones)
	maxHTMLText   = 1 << 20 // bytes of text derived from HTML
	maxProblems   = 100     // Problems recorded
)

// Address is one mailbox.
type Address struct {
	Name  string // decoded display name (RFC 2047), may be ""
	Email string // addr-spec, trimmed, lowercased (helpdesk matching is case-insensitive)
}

// Attachment is a non-body part.
type Attachment struct {
	Filename    string // decoded, never a path; a default such as "attachment-1.bin" when missing
	ContentType string // lowercased media type; "application/octet-stream" when missing or garbled
	ContentID   string // without angle brackets, "" when none
	Inline      bool   // Content-Disposition inline, or referenced by Content-ID from the HTML
	Data        []byte // decoded bytes (base64/QP decoded), best effort
}

// PartInfo describes one entity of the MIME tree, in depth-first order.
// Entities inside attached messages are listed too (one level deeper than
// the message/rfc822 part), so the outline matches what mail clients show.
type PartInfo struct {
	Depth       int    // 0 for the top-level entity
	ContentType string // lowercased media type as used by the parser
}

// Message is the parsed form of one raw message.
type Message struct {
	From          *Address // nil when missing or unparsable (the caller then uses the envelope sender)
	Sender        *Address
	ReplyTo       []Address
	To, Cc        []Address
	DeliveredTo   []string  // every Delivered-To and X-Original-To value, lowercased, in header order
	Subject       string    // decoded, whitespace-folded, "" when missing
	MessageID     string    // without angle brackets, "" when missing
	InReplyTo     []string  // message-ids without brackets
	References    []string  // message-ids without brackets, in order, at most the last 50
	Date          time.Time // zero when missing or unparsable
	Text          string    // plain-text body (text/plain alternative, else derived from HTML); LF line endings
	HTML          string    // the text/html alternative, decoded to UTF-8, not sanitised; "" when none
	Attachments   []Attachment
	AutoSubmitted string      // Auto-Submitted header value (RFC 3834 §5), lowercased, "" if none
	Header        mail.Header // the top-level header as parsed
	Parts         []PartInfo  // MIME tree outline
	// Root is the top-level entity of the MIME tree, with the decoded
	// bodies and enclosed headers reports are read from (see Entity).
	Root *Entity
	// Problems holds one note per distinct repair, each "<where>: <what was
	// wrong>[, <what was done>]", where <where> is "header", "body" (the
	// top-level entity) or "part 1.2" (IMAP-style section numbers, RFC 3501
	// §6.4.5). At most 100 are kept.
	Problems []string
}

type parser struct {
	msg      *Message
	parts    int
	capNoted bool
	seen     map[string]struct{}
	noData   bool // attachments are listed without their data
}

// Parse never panics and always returns a non-nil *Message. Whatever could be
// read is filled in. raw is not modified and not retained.
func Parse(raw []byte) (m *Message) { return parse(raw, false) }

// ParseText is Parse for callers that read only the header fields and the
// text (such as the sender and words of a forwarded message): attachments are
// listed as Parse lists them but without their Data, which is not decoded, so
// damage inside attachment data is not noted in Problems either. It costs
// little more memory than the text, however large the attachments.
func ParseText(raw []byte) *Message { return parse(raw, true) }

func parse(raw []byte, noData bool) (m *Message) {
	m = &Message{}
	p := &parser{msg: m, seen: map[string]struct{}{}, noData: noData}
	defer func() {
		// Last line of defence only; the fuzz test fails on this note.
		if r := recover(); r != nil {
			m.Problems = append(m.Problems, fmt.Sprintf("internal error, message only partly parsed: %v", r))
		}
	}()
	p.parse(raw)
	return m
}

func (p *parser) problem(s string) {
	if _, dup := p.seen[s]; dup || s == "" {
		return
	}
	p.seen[s] = struct{}{}
	switch n := len(p.msg.Problems); {
	case n < maxProblems-1:
		p.msg.Problems = append(p.msg.Problems, s)
	case n == maxProblems-1:
		p.msg.Problems = append(p.msg.Problems, "too many problems; further ones not recorded")
	}
}

// partCap notes, once, that the part budget ran out at c.
func (p *parser) partCap(c walkCtx) {
	if !p.capNoted {
		p.capNoted = true
		p.problem(fmt.Sprintf("%s: more than %d MIME parts, the rest is ignored", c.where(), maxParts))
	}
}

func (p *parser) noteFor(where string) noteFunc {
	return func(s string) { p.problem(where + ": " + s) }
}

// skipEnvelopeLine drops a leading mbox "From " line (RFC 4155) or its
// escaped form ">From " (found at the top of attached messages saved from
// mbox files): neither is a header field.
func skipEnvelopeLine(b []byte) []byte {
	rest := b
	switch {
	case bytes.HasPrefix(b, []byte("From ")):
		rest = b[5:]
	case bytes.HasPrefix(b, []byte(">From ")):
		rest = b[6:]
	default:
		return b
	}
	if r := bytes.TrimLeft(rest, " \t"); len(r) > 0 && r[0] == ':' {
		return b // "From : x" is a header field with a blank before the colon
	}
	_, next := nextLine(b, 0)
	return b[next:]
}

func (p *parser) parse(raw []byte) {
	data := trimBOM(raw)
	if len(bytes.TrimSpace(data)) == 0 {
		p.problem("body: empty message")
		return
	}
	if bytes.IndexByte(data, '\n') < 0 && bytes.IndexByte(data, '\r') >= 0 {
		// Classic Mac line endings: read CR as the line break (a copy, raw stays as is).
		data = bytes.ReplaceAll(data, []byte{'\r'}, []byte{'\n'})
		p.problem("body: bare CR line endings, read as line breaks")
	}
	data = skipEnvelopeLine(data)
	h, body, noBlank, capped, repair := splitHeaderRepair(data)
	if repair != "" {
		p.problem("header: " + repair)
	}
	if capped {
		p.problem(fmt.Sprintf("header: larger than %d fields or %d bytes, the rest of it ignored", maxHeaderFields, maxHeaderBytes))
	}
	if h.Len() == 0 {
		p.problem("header: no header fields found")
	} else if noBlank {
		p.problem("header: not terminated by a blank line, the rest is read as body")
	}
	p.msg.Header = mail.Header{Header: message.Header{Header: h}}
	p.readFields(&p.msg.Header)
	res := p.walk(h, body, walkCtx{defType: "text/plain"})
	p.finish(res)
}

// seg is one piece of body text in document order; HTML pieces are turned
// into text only at the end, so unused alternatives cost nothing.
type seg struct {
	s    string
	html bool
	weak bool // text from a text/* type other than text/plain
}

type content struct {
	segs []seg
	html []string
}

type walkCtx struct {
	path    string // IMAP-style section number, "" for the top-level entity
	depth   int
	defType string // default media type (RFC 2046 §5.1.5 for digests)
	outline bool   // inside an attached message: only record the outline
	related bool   // direct child of multipart/related
	inAlt   bool   // direct child of multipart/alternative
	parent  *Entity
}

func (c walkCtx) where() string {
	if c.path == "" {
		return "body"
	}
	return "part " + c.path
}

func (c walkCtx) child(i int) walkCtx {
	n := c
	n.depth++
	n.related, n.inAlt = false, false
	if c.path == "" {
		n.path = fmt.Sprint(i)
	} else {
		n.path = fmt.Sprintf("%s.%d", c.path, i)
	}
	return n
}

// dataText are text/* types that are data to keep, not prose to show.
var dataText = map[string]bool{
	"text/calendar": true, "text/x-vcalendar": true, "text/vcard": true, "text/x-vcard": true,
	"text/directory": true, "text/csv": true, "text/tab-separated-values": true,
	"text/rfc822-headers": true, "text/xml": true, "text/css": true, "text/javascript": true,
}

func (p *parser) walk(h textproto.Header, body []byte, c walkCtx) content {
	p.parts++
	if p.parts > maxParts {
		p.partCap(c)
		return content{}
	}
	note := p.noteFor(c.where())
	if c.outline {
		note = nil // damage inside attached messages is theirs, not ours
	}
	ctRaw := h.Get("Content-Type")
	ct := parseMediaValue(ctRaw, note)
	disp := parseMediaValue(h.Get("Content-Disposition"), note)
	filename := disp.params["filename"]
	if filename == "" {
		filename = ct.params["name"]
	}
	typ, ok := mediaType(ct.value)
	switch {
	case strings.TrimSpace(ctRaw) == "":
		typ = c.defType
	case !ok && typ == "":
		// RFC 2045 §5.2: an invalid Content-Type means text/plain, unless
		// the part is plainly a file.
		typ = "text/plain"
		if filename != "" || disp.value == "attachment" {
			typ = "application/octet-stream"
		}
		note.note(fmt.Sprintf("invalid Content-Type %q, read as %s", clip(ctRaw, 80), typ))
	case !ok:
		note.note(fmt.Sprintf("incomplete Content-Type %q, read as %s", clip(ctRaw, 80), typ))
	}
	if ct.bad {
		note.note("damaged Content-Type parameters")
	}
	p.msg.Parts = append(p.msg.Parts, PartInfo{Depth: c.depth, ContentType: typ})
	e := p.newEntity(h, typ, ct.params, c)
	cte := normalizeCTE(h.Get("Content-Transfer-Encoding"))

	switch {
	case strings.HasPrefix(typ, "multipart/"):
		return p.walkMultipart(typ, ct, cte, body, c, note, e)
	case typ == "message/rfc822" || typ == "message/global":
		p.attachedMessage(ct, disp, h, body, cte, c, note, e)
		return content{}
	case c.outline:
		return content{}
	}
	otherHTML := typ != "text/html" && strings.Contains(typ, "html")
	if c.inAlt && otherHTML {
		return content{} // text/watch-html, text/x-amp-html: alternatives for other readers
	}
	// Body text: text/plain and text/html unless marked as attachment; other
	// text types (enriched, x-whatever) only without a filename; data-like
	// text types (calendar, vcard, csv, ...) never.
	isText := disp.value != "attachment" && strings.HasPrefix(typ, "text/") && !dataText[typ] && !otherHTML &&
		(typ == "text/plain" || typ == "text/html" || filename == "")
	if !isText {
		p.addAttachment(typ, ct, disp, h, body, cte, c, note, e)
		return content{}
	}
	data, aliased := decodeTransfer(body, cte, note)
	cs := ct.params["charset"]
	if cte == "" || cte == "7bit" || cte == "8bit" {
		// Never show raw base64 as a body: a body that is nothing but
		// base64 lines decoding to text was encoded by a mailer that lost
		// or never wrote the Content-Transfer-Encoding.
		if dec, ok := bareBase64(data); ok && looksLikeText(dec, cs) {
			data, aliased = dec, false
			note.note("body is base64 without a Content-Transfer-Encoding saying so, decoded")
		}
	}
	if cs == "" && typ == "text/html" && hasNonASCII(data) {
		cs = sniffHTMLCharset(data)
	}
	s, n := bodyText(data, !aliased, cs)
	note.note(n)
	if e != nil {
		e.Text = s
	}
	switch typ {
	case "text/html":
		return content{segs: []seg{{s: s, html: true}}, html: []string{s}}
	case "text/enriched", "text/richtext":
		s = enrichedToText(s) // RFC 1896 formatting commands are dropped
	}
	return content{segs: []seg{{s: s, weak: typ != "text/plain"}}}
}

func (p *parser) walkMultipart(typ string, ct mediaValue, cte string, body []byte, c walkCtx, note noteFunc, e *Entity) content {
	if c.depth >= maxDepth {
		p.problem(fmt.Sprintf("%s: MIME nesting deeper than %d levels, not descended", c.where(), maxDepth))
		return content{}
	}
	boundary, declared := ct.params["boundary"]
	var split multipartSplit
	if !declared {
		boundary = guessBoundary(body)
		if boundary != "" {
			note.note(fmt.Sprintf("%s without boundary parameter, guessed %q", typ, clip(boundary, 80)))
		}
	}
	if declared || boundary != "" {
		// An empty declared boundary is invalid (RFC 2046 §5.1.1 wants 1 to
		// 70 characters) but unambiguous: delimiters are bare "--" lines.
		split = splitMultipart(body, boundary, maxParts+1)
	}
	if !split.found && (declared || boundary != "") && (cte == "base64" || cte == "quoted-printable") {
		// RFC 2045 §6.4 forbids encoding a multipart, but some mailers do.
		if dec, _ := decodeTransfer(body, cte, nil); len(dec) > 0 {
			if s2 := splitMultipart(dec, boundary, maxParts+1); s2.found {
				split = s2
				note.note(fmt.Sprintf("%s body is %s encoded, decoded", typ, cte))
			}
		}
	}
	if !split.found {
		if c.outline {
			return content{}
		}
		if len(bytes.TrimSpace(body)) == 0 {
			note.note(fmt.Sprintf("%s has no parts", typ))
			return content{}
		}
		note.note(fmt.Sprintf("%s boundary %q not found, body read as text/plain", typ, clip(boundary, 80)))
		data, aliased := decodeTransfer(body, cte, note)
		s, n := bodyText(data, !aliased, "")
		note.note(n)
		e.Text = s // e is nil only in outline mode, returned above
		return content{segs: []seg{{s: s}}}
	}
	if !split.closed {
		note.note("multipart boundary never closed")
	}
	child := "text/plain"
	if typ == "multipart/digest" {
		child = "message/rfc822"
	}
	results := make([]content, 0, len(split.parts))
	for i, part := range split.parts {
		if p.parts >= maxParts {
			p.partCap(c.child(i + 1))
			break
		}
		ph, pbody, noBlank, capped, repair := splitHeaderRepair(part)
		cc := c.child(i + 1)
		if repair != "" && !c.outline {
			p.problem(cc.where() + ": " + repair)
		}
		if capped && !c.outline {
			p.problem(cc.where() + ": header too large, the rest of it ignored")
		}
		cc.defType = child
		cc.related = typ == "multipart/related"
		cc.inAlt = typ == "multipart/alternative"
		cc.parent = e
		if noBlank && ph.Len() > 0 && !c.outline {
			p.problem(cc.where() + ": header not terminated by a blank line")
		}
		results = append(results, p.walk(ph, pbody, cc))
	}
	if c.outline {
		return content{}
	}
	if typ == "multipart/alternative" {
		return chooseAlternative(results)
	}
	// mixed, related, signed, report and unknown subtypes (RFC 2046 §5.1.7):
	// body pieces in order.
	var out content
	for _, r := range results {
		out.segs = append(out.segs, r.segs...)
		out.html = append(out.html, r.html...)
	}
	return out
}

// chooseAlternative picks from multipart/alternative (RFC 2046 §5.1.4: the
// last alternative is preferred). For Text the last alternative with
// non-empty text/plain wins, so plain text is used when offered; then other
// plain-ish text (enriched); then text derived from HTML. HTML comes from
// the last alternative that has HTML.
func chooseAlternative(results []content) content {
	textIdx, weakIdx, anyIdx, htmlIdx := -1, -1, -1, -1
	for i, r := range results {
		if len(r.segs) > 0 {
			anyIdx = i
		}
		for _, s := range r.segs {
			if !s.html && strings.TrimSpace(s.s) != "" {
				if s.weak {
					weakIdx = i
				} else {
					textIdx = i
				}
			}
		}
		if len(r.html) > 0 {
			htmlIdx = i
		}
	}
	var out content
	switch {
	case textIdx >= 0:
		out.segs = results[textIdx].segs
	case weakIdx >= 0:
		out.segs = results[weakIdx].segs
	case anyIdx >= 0:
		out.segs = results[anyIdx].segs
	}
	if htmlIdx >= 0 {
		out.html = results[htmlIdx].html
	}
	return out
}

// finish materialises Text and HTML and marks attachments referenced from
// the HTML by Content-ID (RFC 2392 "cid:" URLs) as inline.
func (p *parser) finish(res content) {
	var parts []string
	budget := maxHTMLText
	for _, s := range res.segs {
		t := s.s
		if s.html {
			if budget <= 0 {
				continue
			}
			var truncated bool
			t, truncated = htmlToText(s.s, budget)
			budget -= len(t)
			if truncated {
				p.problem(fmt.Sprintf("body: text derived from HTML truncated at %d bytes", maxHTMLText))
			}
		}
		t = strings.TrimRight(strings.TrimLeft(t, "\n"), " \t\n")
		if t != "" {
			parts = append(parts, t)
		}
	}
	p.msg.Text = strings.Join(parts, "\n\n")
	p.msg.HTML = strings.Join(res.html, "\n")
	if p.msg.HTML == "" {
		return
	}
	var refs map[string]bool
	for i := range p.msg.Attachments {
		a := &p.msg.Attachments[i]
		if a.ContentID == "" || a.Inline {
			continue
		}
		if refs == nil {
			refs = cidRefs(p.msg.HTML)
		}
		cid := strings.ToLower(a.ContentID)
		a.Inline = refs[cid] || refs[strings.ToLower(escapeCID(cid))]
	}
}

// cidRefs collects the lowercased targets of all "cid:" URLs in the HTML in
// one pass, so marking many attachments stays linear.
func cidRefs(h string) map[string]bool {
	refs := map[string]bool{}
	lower := strings.ToLower(h)
	for {
		i := strings.Index(lower, "cid:")
		if i < 0 {
			return refs
		}
		lower = lower[i+4:]
		end := strings.IndexAny(lower, "\"' \t\r\n>)<")
		if end < 0 {
			end = len(lower)
		}
		refs[lower[:end]] = true
		lower = lower[end:]
	}
}

func clip(s string, n int) string {
	s = cleanString(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// enrichedToText drops text/enriched (RFC 1896) and text/richtext formatting
// commands; "<<" is a literal "<".
func enrichedToText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '<' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '<' {
			b.WriteByte('<')
			i++
			continue
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		i += j
	}
	return b.String()
}
