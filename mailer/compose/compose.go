// Package compose builds every mail postdesk writes — notifications and replies (notify), the
// mailed export and the contact form's message (api) — as RFC 5322 bytes: one place for the
// headers that keep mail safe (no header injection, valid Message-IDs only, RFC 3834 marks on
// automatic mail, our loop header) and for the MIME structure.
package compose

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
)

// LoopHeader marks mail postdesk sent; mail that comes back carrying it is never answered.
const LoopHeader = "X-Postdesk-Loop"

// File is an attachment.
type File struct {
	Filename    string
	ContentType string
	Data        []byte
}

// Mail is one mail to build.
type Mail struct {
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
	// Loop is the value of LoopHeader; "" writes none (mail written as someone else's, such as
	// the contact form's).
	Loop string
	// Header holds further header fields, set as given after cleaning (a value that is not ASCII
	// is encoded as RFC 2047 words, as the subject is).
	Header map[string]string
	// Text and HTML are the bodies: with HTML, multipart/alternative; without, text/plain alone.
	Text  string
	HTML  string
	Files []File
	Date  time.Time
}

// Clean keeps a header value to one line: no value is ever built from unchecked input.
func Clean(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }), " ")
}

// ValidID accepts a Message-ID postdesk can safely put between angle brackets.
func ValidID(id string) bool {
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
		out = append(out, &mail.Address{Name: Clean(a.Name), Address: Clean(a.Address)})
	}
	return out
}

// sizeHint is about the size of the built mail, so that its buffer is allocated once: grown by
// doubling, a mail carrying a 25 MB file was copied through buffers of twice its size.
// Quoted-printable text and base64 files (4/3, and a line break every 76 characters) come to
// about 1.37× their bytes.
func sizeHint(s Mail) int {
	n := 4096 + len(s.Subject) + 100*len(s.References)
	n += (len(s.Text) + len(s.HTML)) * 11 / 10
	for _, f := range s.Files {
		n += len(f.Data)*137/100 + 512
	}
	return n
}

// Build renders s as an RFC 5322 message: the body (text/plain, or multipart/alternative text
// and HTML), in multipart/mixed when there are attachments.
func Build(s Mail) ([]byte, error) {
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
	h.SetSubject(Clean(s.Subject))
	h.SetMessageID(s.MessageID)
	var refs []string
	for _, r := range s.References {
		if ValidID(r) && r != s.MessageID {
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
	if ValidID(irt) {
		h.SetMsgIDList("In-Reply-To", []string{irt})
	}
	if ValidID(irt) && (len(refs) == 0 || refs[len(refs)-1] != irt) {
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
	if s.Loop != "" {
		h.Set(LoopHeader, Clean(s.Loop))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Header)) { // in order: the same mail, the same bytes
		h.SetText(Clean(k), Clean(s.Header[k]))
	}

	var buf bytes.Buffer
	buf.Grow(sizeHint(s))
	if len(s.Files) == 0 && s.HTML == "" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		w, err := mail.CreateSingleInlineWriter(&buf, h)
		if err != nil {
			return nil, fmt.Errorf("compose: build: %w", err)
		}
		if _, err := io.WriteString(w, s.Text); err != nil {
			return nil, fmt.Errorf("compose: build: %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("compose: build: %w", err)
		}
		return buf.Bytes(), nil
	}
	if len(s.Files) == 0 {
		iw, err := mail.CreateInlineWriter(&buf, h)
		if err != nil {
			return nil, fmt.Errorf("compose: build: %w", err)
		}
		if err := alternatives(iw, s); err != nil {
			return nil, err
		}
		if err := iw.Close(); err != nil {
			return nil, fmt.Errorf("compose: build: %w", err)
		}
		return buf.Bytes(), nil
	}
	mw, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("compose: build: %w", err)
	}
	if s.HTML == "" {
		var th mail.InlineHeader
		th.Set("Content-Type", "text/plain; charset=utf-8")
		th.Set("Content-Transfer-Encoding", "quoted-printable")
		w, err := mw.CreateSingleInline(th)
		if err != nil {
			return nil, fmt.Errorf("compose: build: %w", err)
		}
		if _, err := io.WriteString(w, s.Text); err != nil {
			return nil, fmt.Errorf("compose: build: %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("compose: build: %w", err)
		}
	} else {
		iw, err := mw.CreateInline()
		if err != nil {
			return nil, fmt.Errorf("compose: build: %w", err)
		}
		if err := alternatives(iw, s); err != nil {
			return nil, err
		}
		if err := iw.Close(); err != nil {
			return nil, fmt.Errorf("compose: build: %w", err)
		}
	}
	for _, f := range s.Files {
		var ah mail.AttachmentHeader
		ah.Set("Content-Type", f.ContentType)
		ah.SetFilename(Clean(f.Filename))
		ah.Set("Content-Transfer-Encoding", attachmentEncoding(f))
		w, err := mw.CreateAttachment(ah)
		if err != nil {
			return nil, fmt.Errorf("compose: attach %s: %w", f.Filename, err)
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, fmt.Errorf("compose: attach %s: %w", f.Filename, err)
		}
		w.Close()
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("compose: build: %w", err)
	}
	return buf.Bytes(), nil
}

// attachmentEncoding is base64, except for an attached message (RFC 2046 §5.2.1 allows only
// 7bit, 8bit or binary there, and mail clients show a base64 one as a file): 8bit when its lines
// fit SMTP (no NUL, CRLF only, at most 998 bytes), else base64 as the safe fallback.
func attachmentEncoding(f File) string {
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

func alternatives(iw *mail.InlineWriter, s Mail) error {
	for _, p := range []struct{ ctype, body string }{{"text/plain", s.Text}, {"text/html", s.HTML}} {
		if p.body == "" {
			continue
		}
		var ph mail.InlineHeader
		ph.Set("Content-Type", p.ctype+"; charset=utf-8")
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		w, err := iw.CreatePart(ph)
		if err != nil {
			return fmt.Errorf("compose: build: %w", err)
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			return fmt.Errorf("compose: build: %w", err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("compose: build: %w", err)
		}
	}
	return nil
}
