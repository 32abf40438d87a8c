package notify

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/postdesk/postdesk/tickets"
)

// LoopHeader marks mail postdesk sent; mail that comes back carrying it is never answered.
const LoopHeader = "X-Postdesk-Loop"

// spec is one mail to build.
type spec struct {
	From       mail.Address
	To, Cc     []mail.Address
	ReplyTo    string
	Subject    string
	MessageID  string
	InReplyTo  string
	References []string
	// Automatic is the RFC 3834 Auto-Submitted value: "auto-replied" for an acknowledgement,
	// "auto-generated" for notifications, "" for an agent's mail to a customer.
	Automatic string
	Loop      string
	Text      string
	HTML      string
	Files     []tickets.Attachment
	Date      time.Time
}

// clean keeps a header value to one line: no value is ever built from unchecked input.
func clean(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }), " ")
}

// validID accepts a Message-ID postdesk can safely put between angle brackets.
func validID(id string) bool {
	if id == "" || len(id) > 250 || !strings.Contains(id, "@") {
		return false
	}
	for _, r := range id {
		if r <= ' ' || r >= 0x7f || r == '<' || r == '>' {
			return false
		}
	}
	return true
}

func addrs(as []mail.Address) []*mail.Address {
	out := make([]*mail.Address, 0, len(as))
	for _, a := range as {
		out = append(out, &mail.Address{Name: clean(a.Name), Address: clean(a.Address)})
	}
	return out
}

// build renders s as an RFC 5322 message: multipart/alternative text and HTML, in multipart/mixed
// when there are attachments.
func build(s spec) ([]byte, error) {
	var h mail.Header
	h.SetDate(s.Date)
	h.SetAddressList("From", addrs([]mail.Address{s.From}))
	h.SetAddressList("To", addrs(s.To))
	if len(s.Cc) > 0 {
		h.SetAddressList("Cc", addrs(s.Cc))
	}
	if s.ReplyTo != "" {
		h.SetAddressList("Reply-To", addrs([]mail.Address{{Name: s.From.Name, Address: s.ReplyTo}}))
	}
	h.SetSubject(clean(s.Subject))
	h.SetMessageID(s.MessageID)
	var refs []string
	for _, r := range s.References {
		if validID(r) && r != s.MessageID {
			refs = append(refs, r)
		}
	}
	// A mail never answers itself: an agent's reply is sent with the Message-ID it was stored
	// with, so it answers the message before it.
	irt := s.InReplyTo
	if irt == s.MessageID {
		irt = ""
		if len(refs) > 0 {
			irt = refs[len(refs)-1]
		}
	}
	if validID(irt) {
		h.SetMsgIDList("In-Reply-To", []string{irt})
	}
	if validID(irt) && (len(refs) == 0 || refs[len(refs)-1] != irt) {
		refs = append(refs, irt)
	}
	if len(refs) > 0 {
		h.SetMsgIDList("References", refs)
	}
	h.Set("MIME-Version", "1.0")
	if s.Automatic != "" {
		// RFC 3834 §5; Exchange's own switch for out-of-office and read receipts.
		h.Set("Auto-Submitted", s.Automatic)
		h.Set("X-Auto-Response-Suppress", "All")
	}
	h.Set(LoopHeader, clean(s.Loop))

	var buf bytes.Buffer
	if len(s.Files) == 0 {
		iw, err := mail.CreateInlineWriter(&buf, h)
		if err != nil {
			return nil, fmt.Errorf("notify: build: %w", err)
		}
		if err := alternatives(iw, s); err != nil {
			return nil, err
		}
		if err := iw.Close(); err != nil {
			return nil, fmt.Errorf("notify: build: %w", err)
		}
		return buf.Bytes(), nil
	}
	mw, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("notify: build: %w", err)
	}
	iw, err := mw.CreateInline()
	if err != nil {
		return nil, fmt.Errorf("notify: build: %w", err)
	}
	if err := alternatives(iw, s); err != nil {
		return nil, err
	}
	if err := iw.Close(); err != nil {
		return nil, fmt.Errorf("notify: build: %w", err)
	}
	for _, f := range s.Files {
		var ah mail.AttachmentHeader
		ah.Set("Content-Type", f.ContentType)
		ah.SetFilename(clean(f.Filename))
		ah.Set("Content-Transfer-Encoding", attachmentEncoding(f))
		w, err := mw.CreateAttachment(ah)
		if err != nil {
			return nil, fmt.Errorf("notify: attach %s: %w", f.Filename, err)
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, fmt.Errorf("notify: attach %s: %w", f.Filename, err)
		}
		w.Close()
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("notify: build: %w", err)
	}
	return buf.Bytes(), nil
}

// attachmentEncoding is base64, except for an attached message (RFC 2046 §5.2.1 allows only
// 7bit, 8bit or binary there, and mail clients show a base64 one as a file): 8bit when its lines
// fit SMTP (no NUL, CRLF only, at most 998 bytes), else base64 as the safe fallback.
func attachmentEncoding(f tickets.Attachment) string {
	if !strings.EqualFold(f.ContentType, "message/rfc822") {
		return "base64"
	}
	line := 0
	for i, c := range f.Data {
		switch {
		case c == 0:
			return "base64"
		case c == '\n':
			if i == 0 || f.Data[i-1] != '\r' {
				return "base64"
			}
			line = 0
			continue
		case c == '\r' && (i+1 == len(f.Data) || f.Data[i+1] != '\n'):
			return "base64"
		}
		if line++; line > 999 { // the CR of CRLF counts once
			return "base64"
		}
	}
	return "8bit"
}

func alternatives(iw *mail.InlineWriter, s spec) error {
	for _, p := range []struct{ ctype, body string }{{"text/plain", s.Text}, {"text/html", s.HTML}} {
		if p.body == "" {
			continue
		}
		var ph mail.InlineHeader
		ph.Set("Content-Type", p.ctype+"; charset=utf-8")
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		w, err := iw.CreatePart(ph)
		if err != nil {
			return fmt.Errorf("notify: build: %w", err)
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			return fmt.Errorf("notify: build: %w", err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("notify: build: %w", err)
		}
	}
	return nil
}
