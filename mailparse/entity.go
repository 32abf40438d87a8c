package mailparse

import (
	"bytes"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Entity is one node of the MIME tree (RFC 2045 §2.4) as Parse read it, for
// readers that look at the structure rather than at Text and Attachments:
// the classifier finds a report's delivery-status part (RFC 3464), its
// feedback report (RFC 5965) and the returned message's header (RFC 6522
// §3) here, so the message is parsed and decoded once. Entities inside an
// attached message are not built (Parts lists their outline); its header is
// the attached part's Enclosed.
type Entity struct {
	Header   textproto.Header  // the entity's own (MIME) header
	Type     string            // lowercased media type, as in Parts
	Params   map[string]string // Content-Type parameters, lowercased names
	Children []*Entity         // the parts of a multipart/* entity
	// Text is the body as text for the entities Parse reads as body text
	// (text/plain, text/html, … before HTML or enriched formatting is
	// removed), and for a multipart whose boundary was not found.
	Text string
	// Data is the transfer-decoded body of any other leaf, the bytes of its
	// Attachment (nil where ParseText leaves attachments without data).
	Data []byte
	// Enclosed is the header block a part carries in its body: the header
	// of an attached message/rfc822 or message/global (RFC 2046 §5.2.1), of
	// a returned text/rfc822-headers (RFC 6522 §3) or other message/* part,
	// or the fields of a disposition notification (RFC 8098 §3.1). nil
	// otherwise; delivery-status and feedback-report bodies hold several
	// blocks and are left to their readers in Data. ParseText, which does
	// not decode attachments, fills it for attached messages only.
	Enclosed *textproto.Header
}

// DecodeText converts the body of a text/* leaf from its charset to UTF-8
// the way Parse does for body text, for readers of Entity.Data.
func DecodeText(data []byte, charset string) string {
	s, _ := bodyText(data, false, charset)
	return s
}

// multiBlockReport: machine-readable report bodies made of several field
// blocks (RFC 3464 §2.1, RFC 5965 §3.1), not one enclosed header.
func multiBlockReport(typ string) bool {
	switch typ {
	case "message/delivery-status", "message/global-delivery-status", "message/feedback-report":
		return true
	}
	return false
}

// enclosedHeader reads the header block at the start of a part's decoded
// body. Some MTAs leave blank lines before a returned header.
func enclosedHeader(data []byte) *textproto.Header {
	h, _, _, _ := splitHeader(skipEnvelopeLine(bytes.TrimLeft(data, "\r\n")))
	return &h
}

// newEntity records the entity of a part walked outside attached messages,
// under its parent (the root when there is none).
func (p *parser) newEntity(h textproto.Header, typ string, params map[string]string, c walkCtx) *Entity {
	if c.outline {
		return nil
	}
	e := &Entity{Header: h, Type: typ, Params: params}
	if c.parent == nil {
		p.msg.Root = e
	} else {
		c.parent.Children = append(c.parent.Children, e)
	}
	return e
}

// leafData notes the decoded body of a part stored as an attachment and,
// for the types that carry one, the header block it encloses.
func (e *Entity) leafData(data []byte) {
	if e == nil {
		return
	}
	e.Data = data
	if data != nil && (e.Type == "text/rfc822-headers" || strings.HasPrefix(e.Type, "message/") && !multiBlockReport(e.Type)) {
		e.Enclosed = enclosedHeader(data)
	}
}

// DecodeHeader decodes an unstructured header value as Parse decodes the
// Subject: RFC 2047 encoded-words, and raw 8-bit bytes as UTF-8 or
// windows-1252.
func DecodeHeader(v string) string { return decodeHeaderText(v, nil) }
