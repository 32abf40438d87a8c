package compose

import (
	"bytes"
	"mime"
	"net/mail"
	"testing"
	"time"
)

func TestNoHeaderInjection(t *testing.T) {
	raw, err := Build(Mail{
		From:       mail.Address{Name: "Acme\r\nBcc: evil@example.org", Address: "support@acme.example"},
		To:         []mail.Address{{Name: "Ann\nBcc: evil@example.org", Address: "ann@customer.example"}},
		ReplyTo:    "acme+t1-x@desk.example",
		Subject:    "Hello\r\nBcc: evil@example.org",
		MessageID:  "id@desk.example",
		InReplyTo:  "bad>\r\nBcc: evil@example.org",
		References: []string{"ok@customer.example", "also bad\r\nX-Evil: 1"},
		Loop:       "acme@desk.example\r\nX-Evil: 1",
		Text:       "body", Date: time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Header["Bcc"]) > 0 || len(m.Header["X-Evil"]) > 0 {
		t.Fatalf("a header was injected:\n%s", raw)
	}
	if refs := m.Header.Get("References"); refs != "<ok@customer.example>" {
		t.Fatalf("References %q: invalid ids must be left out", refs)
	}
	if m.Header.Get("In-Reply-To") != "" {
		t.Fatalf("an invalid In-Reply-To was written: %q", m.Header.Get("In-Reply-To"))
	}
}

func TestTextOnlyMailIsOnePart(t *testing.T) {
	raw, err := Build(Mail{
		From: mail.Address{Address: "ann@customer.example"}, To: []mail.Address{{Address: "acme@desk.example"}},
		Subject: "Hi", MessageID: "f1@desk.example", Header: map[string]string{"X-Postdesk-Form": "1\r\nBcc: evil@example.org"},
		Text: "line one\r\nline two\r\n", Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if ct := m.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if m.Header.Get("X-Postdesk-Form") != "1 Bcc: evil@example.org" || len(m.Header["Bcc"]) > 0 {
		t.Fatalf("extra header not cleaned:\n%s", raw)
	}
	if m.Header.Get(LoopHeader) != "" || m.Header.Get("Auto-Submitted") != "" {
		t.Fatalf("a mail written for someone else carries our marks:\n%s", raw)
	}
	again, _ := Build(Mail{
		From: mail.Address{Address: "ann@customer.example"}, To: []mail.Address{{Address: "acme@desk.example"}},
		Subject: "Hi", MessageID: "f1@desk.example", Header: map[string]string{"X-Postdesk-Form": "1\r\nBcc: evil@example.org"},
		Text: "line one\r\nline two\r\n", Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	})
	if !bytes.Equal(raw, again) {
		t.Fatal("the same mail built twice differs")
	}
}

// FuzzBuild: whatever the names, subject, ids and header values, the mail parses and carries no
// header that was not asked for.
func FuzzBuild(f *testing.F) {
	f.Add("Acme", "ann@x.example", "Hello", "id@x.example", "ref@x.example", "body", "")
	f.Add("A\r\nBcc: e@x", "b@x.example\nX-Evil: 1", "S\r\nX-Evil: 1", "bad>\r\n", "<<>>", "\r\n.\r\n", "<p>x</p>")
	f.Fuzz(func(t *testing.T, name, addr, subject, id, ref, text, html string) {
		raw, err := Build(Mail{
			From: mail.Address{Name: name, Address: "acme@desk.example"}, To: []mail.Address{{Name: name, Address: addr}},
			ReplyTo: addr, Subject: subject, MessageID: id, InReplyTo: ref, References: []string{ref, id},
			Loop: name, Header: map[string]string{"X-Postdesk-Form": subject}, Text: text, HTML: html, Date: time.Unix(0, 0),
		})
		if err != nil {
			return // refusing is fine; writing something unsafe is not
		}
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("unparsable mail: %v\n%q", err, raw)
		}
		allowed := map[string]bool{"Date": true, "From": true, "To": true, "Reply-To": true, "Subject": true, "Message-Id": true,
			"In-Reply-To": true, "References": true, "Mime-Version": true, LoopHeader: true, "X-Postdesk-Form": true,
			"Content-Type": true, "Content-Transfer-Encoding": true}
		for k, vs := range m.Header {
			if !allowed[k] || len(vs) != 1 {
				t.Fatalf("header %q (%d) in:\n%q", k, len(vs), raw)
			}
		}
	})
}

// A further header that is not ASCII (Outlook's Thread-Topic of a customer's subject) is written
// as RFC 2047 words and reads back as given; an ASCII one is written as is.
func TestFurtherHeadersEncoded(t *testing.T) {
	raw, err := Build(Mail{
		From: mail.Address{Address: "support@acme.example"}, To: []mail.Address{{Address: "bob@acme.example"}},
		Subject: "[#1] Café", MessageID: "n1@desk.example", Text: "x", Date: time.Now(),
		Header: map[string]string{"Thread-Topic": "Café machine\r\nBcc: evil@example.org", "X-Postdesk-Event": "new-ticket"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Café")) {
		t.Fatalf("a raw 8-bit header:\n%s", raw)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	topic, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Thread-Topic"))
	if err != nil || topic != "Café machine Bcc: evil@example.org" || len(m.Header["Bcc"]) > 0 {
		t.Fatalf("Thread-Topic %q (%v)", topic, err)
	}
	if !bytes.Contains(raw, []byte("\r\nX-Postdesk-Event: new-ticket\r\n")) {
		t.Fatalf("X-Postdesk-Event not written as is:\n%s", raw)
	}
}
