package mailparse

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzSeeds are small messages covering each parser path.
var fuzzSeeds = []string{
	"",
	"From: a@b.c\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\nbody\r\n",
	"Subject: no blank line\nbody starts here\n",
	"Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nplain\n--b\nContent-Type: text/html\n\n<p>h<a href=\"x\">l</a></p>\n--b--\n",
	"Content-Type: multipart/mixed; boundary=m\n\n--m\n\ntext\n--m\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*0*=utf-8''%C3%A9; filename*1=x.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--m\nContent-Type: message/rfc822\n\nSubject: inner\n\nx\n--m--\n",
	"Content-Type: multipart/related; boundary=r\n\n--r\nContent-Type: text/html\n\n<img src=\"cid:a\">\n--r\nContent-Type: image/png\nContent-ID: <a>\n\nx\n--r--\n",
	"Content-Type: text/plain; charset=x-foo\nContent-Transfer-Encoding: quoted-printable\n\nbad =ZZ =C3=\n",
	"Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\nPGgxPkhpPC9oMT4=*!\n",
	"Content-Type: multipart/mixed; boundary=\"\"\n\n--\nContent-Type: multipart/mixed; boundary=\"\"\n\n--\n\nx\n----\n",
	"Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\n1\n--d--\n",
	"Content-Type: text/plain; charset=unicode-1-1-utf-7\n\n+Jjo-+-+AAA\n",
	"From: \"J\xfcrgen\" <j@x>, <@r:a@b>, g: a@b;\nDate: Tue, 029 Apr 2019 23:34:45 -0800 (PST)\nReferences: <a@b> junk c@d\n\n\xff\xfe",
	"Subject: a\rFrom: b@c.d\r\rbody\r",
	"Content-Type: text/html\n\n<ul><li><ol><li><blockquote><pre>x\n y</pre></blockquote></ol></ul><script>s</script>",
	"Content-Type: text/enriched\n\n<bold>b</bold><<\n",
}

// corpusSeeds reads a few small corpus files, when the corpus is present.
func corpusSeeds() [][]byte {
	dir := filepath.Join("..", "..", "shared", "corpus")
	var out [][]byte
	for _, p := range []string{
		"mimekit-testdata/messages/japanese.txt",
		"mimekit-testdata/messages/multipart-related-mhtml.txt",
		"mimekit-testdata/messages/delivery-status.txt",
		"mimekit-testdata/messages/missing-subtype.txt",
		"mailparser-node/fixtures/nested.eml",
		"mailparser-node/fixtures/mixed.eml",
		"cpython-email-testdata/data/msg_15.txt",
		"cpython-email-testdata/data/msg_29.txt",
		"sisimai-bounces/maildir/arf-01.eml",
	} {
		if b, err := os.ReadFile(filepath.Join(dir, p)); err == nil && len(b) < 64<<10 {
			out = append(out, b)
		}
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	for _, b := range corpusSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		orig := bytes.Clone(raw)
		m := Parse(raw)
		if !bytes.Equal(orig, raw) {
			t.Fatal("Parse modified its input")
		}
		checkMessage(t, "fuzz input", m)
		checkEntities(t, raw, m)
		for _, a := range m.Attachments {
			if len(a.Data) > 0 && len(raw) > 0 && &a.Data[0] == &raw[0] {
				t.Fatal("attachment aliases the input")
			}
		}
	})
}

// benchMessage builds a realistic message: ~10 KB multipart/alternative
// (text and HTML) plus a 50 KB base64 attachment.
func benchMessage() []byte {
	var plain, html strings.Builder
	for i := 0; plain.Len() < 4000; i++ {
		fmt.Fprintf(&plain, "Paragraph %d: the customer reports that the invoice export fails with an error when the date range spans a month boundary.\n\n", i)
	}
	html.WriteString("<html><head><style>p{margin:0}</style></head><body>")
	for i := 0; html.Len() < 6000; i++ {
		fmt.Fprintf(&html, "<p>Paragraph <b>%d</b>: the customer reports that the <a href=\"https://example.com/invoices/%d\">invoice export</a> fails.</p>\n", i, i)
	}
	html.WriteString("</body></html>")
	att := make([]byte, 50<<10)
	for i := range att {
		att[i] = byte(i*7 + i/13)
	}
	enc := base64.StdEncoding.EncodeToString(att)
	var lines strings.Builder
	for len(enc) > 76 {
		lines.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	lines.WriteString(enc + "\r\n")
	msg := "Return-Path: <customer@example.com>\r\n" +
		"Received: from mx.example.com (mx.example.com [192.0.2.1]) by helpdesk.example.org; Tue, 1 Jul 2025 10:52:37 +0200\r\n" +
		"From: =?utf-8?q?J=C3=B6rg_Kunde?= <customer@example.com>\r\n" +
		"To: Support <support@example.org>\r\n" +
		"Subject: =?utf-8?q?Invoice_export_fails_=E2=80=94_urgent?=\r\n" +
		"Date: Tue, 1 Jul 2025 10:52:37 +0200\r\n" +
		"Message-ID: <20250701105237.1234@example.com>\r\n" +
		"In-Reply-To: <ticket-42@example.org>\r\n" +
		"References: <ticket-42@example.org>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n" +
		"--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" +
		"--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + plain.String() + "\r\n" +
		"--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + html.String() + "\r\n" +
		"--alt--\r\n" +
		"--outer\r\nContent-Type: application/pdf; name=\"export.pdf\"\r\nContent-Disposition: attachment; filename=\"export.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + lines.String() +
		"--outer--\r\n"
	return []byte(msg)
}

func BenchmarkParse(b *testing.B) {
	raw := benchMessage()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		m := Parse(raw)
		if len(m.Attachments) != 1 || m.Text == "" {
			b.Fatal("unexpected parse result")
		}
	}
}
