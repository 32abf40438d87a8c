package mailparse

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// Mail with lines longer than RFC 5322 §2.1.1's 998 bytes (HTML on one
// line, as many mailers send it) is accepted at SMTP; parsing must keep such
// lines whole: nothing broken or cut at 998 or 1000 bytes.
func TestLongLinesIntact(t *testing.T) {
	var html strings.Builder
	html.WriteString("<html><body>")
	for i := 0; html.Len() < 40000; i++ {
		fmt.Fprintf(&html, "<td class=\"c%d\">Zeile %d: Grüße – ünïcödé</td>", i, i)
	}
	html.WriteString("</body></html>")
	htmlLine := html.String()
	plainLine := strings.Repeat("word ", 600) + "Ende ✓" // 3,000+ bytes, one line
	subject := strings.Repeat("s", 2000)
	qpHTML := qpEncode(htmlLine)

	for _, tc := range []struct{ name, cte, html string }{
		{"8bit", "8bit", htmlLine},
		{"quoted-printable", "quoted-printable", qpHTML},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := crlf("From: a@example.com\n" +
				"Subject: " + subject + "\n" +
				"Content-Type: multipart/alternative; boundary=b\n\n" +
				"--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + plainLine + "\n" +
				"--b\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: " + tc.cte + "\n\n" + tc.html + "\n" +
				"--b--\n")
			orig := bytes.Clone(raw)
			for _, m := range []*Message{parseOK(t, raw), ParseText(raw)} {
				if !bytes.Equal(raw, orig) {
					t.Fatal("raw bytes changed")
				}
				eq(t, "HTML", m.HTML, htmlLine)
				eq(t, "Text", m.Text, plainLine)
				eq(t, "Subject", m.Subject, subject)
				if len(m.Problems) > 0 {
					t.Errorf("unexpected problems %q", m.Problems)
				}
			}
		})
	}

	// Text derived from a long HTML line (no plain alternative) is whole too.
	m := parseOK(t, []byte("Content-Type: text/html; charset=utf-8\n\n<p>"+plainLine+"</p>\n"))
	eq(t, "Text from HTML", m.Text, plainLine)
}

// qpEncode writes quoted-printable with soft line breaks (RFC 2045 §6.7),
// so that the decoded line is longer than any encoded one.
func qpEncode(s string) string {
	var out strings.Builder
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		enc := string(c)
		if c == '=' || c >= 0x80 {
			enc = fmt.Sprintf("=%02X", c)
		}
		if n+len(enc) > 75 {
			out.WriteString("=\n")
			n = 0
		}
		out.WriteString(enc)
		n += len(enc)
	}
	return out.String()
}
