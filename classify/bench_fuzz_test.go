package classify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/mailparse"
)

// typicalHumanMail is a ~10 KB message as a customer's client sends it:
// a long trace and authentication header, then text and HTML alternatives.
func typicalHumanMail() []byte {
	var b strings.Builder
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&b, "Received: from mail-ed1-f%d.google.com (mail-ed1-f%d.google.com [209.85.208.%d])\r\n"+
			"\tby mx.helpdesk.example (Postfix) with ESMTPS id 4Y%dQ2k3pXz\r\n"+
			"\tfor <support@helpdesk.example>; Mon,  6 Jan 2025 10:00:0%d +0100 (CET)\r\n", i, i, 40+i, i, i)
	}
	b.WriteString("ARC-Seal: i=1; a=rsa-sha256; t=1736154000; cv=none; d=google.com; s=arc-20240605;\r\n" +
		"\tb=" + strings.Repeat("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/", 8) + "\r\n")
	b.WriteString("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=20230601;\r\n" +
		"\th=to:subject:message-id:date:from:mime-version:from:to:cc:subject:date:message-id:reply-to;\r\n" +
		"\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n" +
		"\tb=" + strings.Repeat("ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210+/", 8) + "\r\n")
	b.WriteString("Authentication-Results: mx.helpdesk.example; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=alice@example.com; dmarc=pass\r\n")
	b.WriteString("X-Google-Smtp-Source: AGHT+IF" + strings.Repeat("x", 80) + "\r\n")
	b.WriteString("MIME-Version: 1.0\r\nFrom: Alice Example <alice@example.com>\r\nDate: Mon, 6 Jan 2025 10:00:00 +0100\r\n" +
		"Message-ID: <CAJ+abc123def456@mail.gmail.com>\r\nSubject: Re: [Ticket #4711] Cannot log in after password reset\r\n" +
		"In-Reply-To: <ticket-4711-3@helpdesk.example>\r\nReferences: <ticket-4711-1@helpdesk.example> <ticket-4711-3@helpdesk.example>\r\n" +
		"To: Support <support@helpdesk.example>\r\nX-Auto-Response-Suppress: All\r\n" +
		"Content-Type: multipart/alternative; boundary=\"000000000000a1b2c3\"\r\n\r\n")
	text := strings.Repeat("Hello, I still cannot log in after resetting my password yesterday. The page says my token expired. ", 33)
	b.WriteString("--000000000000a1b2c3\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n" + text + "\r\n\r\n")
	b.WriteString("--000000000000a1b2c3\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n<div dir=\"ltr\">" + text + "</div>\r\n\r\n--000000000000a1b2c3--\r\n")
	return []byte(b.String())
}

// BenchmarkClassifyHuman and BenchmarkClassifyBounce measure Classify on
// the parsed message, which intake has parsed anyway.
func BenchmarkClassifyHuman(b *testing.B) {
	raw := typicalHumanMail()
	pm := mailparse.Parse(raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if r := Classify(pm, "alice@example.com"); r.Kind != Human {
			b.Fatal(r)
		}
	}
}

func BenchmarkClassifyBounce(b *testing.B) {
	raw := mail([]string{"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>", "To: support@helpdesk.example",
		"Subject: Undelivered Mail Returned to Sender", `Content-Type: multipart/report; report-type=delivery-status; boundary="B"`}, dsnTwoRecipients)
	pm := mailparse.Parse(raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if r := Classify(pm, ""); r.Kind != Bounce {
			b.Fatal(r)
		}
	}
}

// FuzzClassify: raw bytes, parsed by mailparse and then classified, as
// intake does. Classify must never panic or crawl, and must always give a
// kind and a reason. Run it with a short -fuzzminimizetime (say 2s): the
// seeds are whole bounces and minimising them takes long otherwise. Seeds are the inline test messages, the pathological
// shapes, and a sample of the real-world corpus when it is present.
func FuzzClassify(f *testing.F) {
	f.Add(typicalHumanMail(), "alice@example.com")
	f.Add([]byte(dsnTwoRecipients), "")
	f.Add(mail([]string{"From: MAILER-DAEMON@x", `Content-Type: multipart/report; report-type=delivery-status; boundary="B"`}, dsnTwoRecipients), "")
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=a\n\n--a\n"), "")
	f.Add([]byte("From: <>\nSubject: failure notice\nContent-Transfer-Encoding: base64\n\n!!!"), "")
	// Issue 11's classes: auto-forwarded, AUTO:, an out-of-office line, Precedence: junk, a
	// challenge, a spam filter's prose refusal.
	f.Add(mail(withSubject("Hi", "Auto-Submitted: auto-forwarded"), "x"), "a@b")
	f.Add(mail(withSubject("AUTO: Jane is out of the office", "X-Mailer: Lotus Notes"), "x"), "a@b")
	f.Add(mail(withSubject("Re: t", "In-Reply-To: <a@b>", plain), "Thank you for your email.\nI am out of the office."), "a@b")
	f.Add(mail(withSubject("away", "Precedence: junk"), "x"), "a@b")
	f.Add(mail(withSubject("Re: t", "Auto-Submitted: auto-replied", plain), "Please confirm you are a human."), "")
	f.Add(mail(withSubject("Message rejected", plain), "550 5.7.1 rejected as spam"), "a@b")
	// Shapes that were slow to classify (see pathological_test.go), small:
	// the fuzzer grows them.
	for _, s := range pathologicalShapes {
		f.Add(s.gen(pathologicalSeedSize), "")
	}
	dir := filepath.Join("..", "..", "shared", "corpus", "sisimai-bounces", "maildir")
	if es, err := os.ReadDir(dir); err == nil {
		for i, e := range es {
			if i%25 != 0 { // a spread of MTAs keeps the seed corpus small
				continue
			}
			if raw, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				f.Add(raw, "")
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, env string) {
		r := classifyRaw(raw, env)
		if r.Kind == "" || r.Reason == "" {
			t.Fatalf("empty verdict %+v", r)
		}
		for _, rc := range r.Recipients {
			if rc.Status != "" && !reStatus.MatchString(rc.Status) {
				t.Fatalf("bad status %q", rc.Status)
			}
		}
	})
}
