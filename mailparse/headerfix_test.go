package mailparse

import (
	"encoding/base64"
	"strings"
	"testing"
)

// wrap76 writes base64 the way mailers do, in lines of 76.
func wrap76(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	return out.String() + s + "\n"
}

// Broken header blocks keep the fields after the break: From, Subject and
// the MIME fields that say how to read the body.
func TestBrokenHeaderBlocks(t *testing.T) {
	for _, tc := range []struct {
		name, raw           string
		from, subject, text string
		problem             string // "" for none
		noProblem           string // a problem that must not be noted
	}{
		{
			name: "fold lost its blank",
			raw: "Received: from mx.example.com by mx.example.org\n" +
				"Subject: Invoice for order 12345 and the\n" +
				"delivery note\n" +
				"From: Jane Doe <jane@example.com>\n" +
				"Date: Tue, 1 Jul 2025 10:52:37 +0200\n" +
				"\nBody text.\n",
			from: "jane@example.com", subject: "Invoice for order 12345 and the delivery note", text: "Body text.",
			problem: "header: 1 line(s) inside the header that were not fields read as continuations",
		},
		{
			name: "line of 8-bit garbage",
			raw: "Return-Path: <jane@example.com>\n" +
				"\xff\xfe\x00\x01\x92\n" +
				"From: Jane Doe <jane@example.com>\n" +
				"Subject: Hello\n" +
				"\nBody text.\n",
			from: "jane@example.com", subject: "Hello", text: "Body text.",
			problem: "1 unreadable line(s) inside the header dropped",
		},
		{
			name: "8-bit field name",
			raw: "Message-ID: <a@example.com>\n" +
				"X-Sp\xe4m-Level: ****\n" +
				"From: Jane Doe <jane@example.com>\n" +
				"Subject: Hello\n" +
				"MIME-Version: 1.0\n" +
				"\nBody text.\n",
			from: "jane@example.com", subject: "Hello", text: "Body text.",
			problem: "unreadable line(s) inside the header dropped",
		},
		{
			name: "address split without fold",
			raw: "Subject: Hello\n" +
				"From: \"Doe, Jane\"\n" +
				"<jane@example.com>\n" +
				"Date: Tue, 1 Jul 2025 10:52:37 +0200\n" +
				"\nBody text.\n",
			from: "jane@example.com", subject: "Hello", text: "Body text.",
			problem: "read as continuations",
		},
		{
			name: "encoded-word split without fold",
			raw: "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus?=\n" +
				"=?utf-8?q?_K=C3=B6ln?=\n" +
				"From: jane@example.com\n" +
				"\nBody text.\n",
			from: "jane@example.com", subject: "Grüße aus Köln", text: "Body text.",
			problem: "read as continuations",
		},
		{
			name: "garbage before the first field",
			raw: "\x00\x00\xff\n" +
				"From: Jane Doe <jane@example.com>\n" +
				"Subject: Hello\n" +
				"\nBody text.\n",
			from: "jane@example.com", subject: "Hello", text: "Body text.",
			problem: "unreadable line(s) inside the header dropped",
		},
		{
			name: "parameter folded without blank",
			raw: "From: Jane Doe <jane@example.com>\n" +
				"Subject: Caf\xe9\n" +
				"Content-Type: text/plain;\n" +
				"charset=iso-8859-1\n" +
				"\nLe caf\xe9 est froid.\n",
			from: "jane@example.com", subject: "Café", text: "Le café est froid.",
			problem: "read as continuations", noProblem: "part 1",
		},
		{
			name: "boundary folded without blank",
			raw: "From: Jane Doe <jane@example.com>\n" +
				"Subject: Hello\n" +
				"Content-Type: multipart/alternative;\n" +
				"boundary=\"b1\"\n" +
				"\n--b1\nContent-Type: text/plain\n\nplain text\n--b1\nContent-Type: text/html\n\n<p>html</p>\n--b1--\n",
			from: "jane@example.com", subject: "Hello", text: "plain text",
			problem: "read as continuations", noProblem: "boundary",
		},
		{
			name: "missing blank line: body kept whole",
			raw: "From: Jane Doe <jane@example.com>\n" +
				"Subject: My order\n" +
				"Please find my details below\n" +
				"Name: Jane\n" +
				"Phone: 555 0100\n" +
				"\nThanks\n",
			from: "jane@example.com", subject: "My order", text: "Please find my details below\nName: Jane\nPhone: 555 0100\n\nThanks",
			problem: "not terminated by a blank line", noProblem: "continuations",
		},
		{
			name: "missing blank line before a forwarded header",
			raw: "From: Jane Doe <jane@example.com>\n" +
				"Subject: Fwd: order\n" +
				"---------- Forwarded message ---------\n" +
				"From: Shop <shop@example.net>\n" +
				"Date: Mon, 30 Jun 2025 09:00:00 +0000\n" +
				"Subject: order\n" +
				"\nYour order shipped.\n",
			from: "jane@example.com", subject: "Fwd: order",
			text:    "---------- Forwarded message ---------\nFrom: Shop <shop@example.net>\nDate: Mon, 30 Jun 2025 09:00:00 +0000\nSubject: order\n\nYour order shipped.",
			problem: "not terminated by a blank line", noProblem: "continuations",
		},
		{
			name: "greeting right after the header",
			raw: "From: Jane Doe <jane@example.com>\n" +
				"Subject: Hello\n" +
				"Hi John,\n" +
				"\nthanks for the help.\n",
			from: "jane@example.com", subject: "Hello", text: "Hi John,\n\nthanks for the help.",
			problem: "not terminated by a blank line", noProblem: "continuations",
		},
		{
			name: "broken fold hid the transfer encoding",
			raw: "From: Jane Doe <jane@example.com>\n" +
				"Subject: Hello\n" +
				"Content-Type: text/plain; charset=utf-8\n" +
				"Thread-Topic: about the\n" +
				"invoice\n" +
				"Content-Transfer-Encoding: base64\n" +
				"\n" + wrap76([]byte("Grüße, die Rechnung fehlt.\n")),
			from: "jane@example.com", subject: "Hello", text: "Grüße, die Rechnung fehlt.",
			problem: "read as continuations", noProblem: "without a Content-Transfer-Encoding",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := parseOK(t, []byte(tc.raw))
			if m.From == nil || m.From.Email != tc.from {
				t.Errorf("From = %+v, want %s", m.From, tc.from)
			}
			eq(t, "Subject", m.Subject, tc.subject)
			eq(t, "Text", m.Text, tc.text)
			if tc.problem != "" {
				wantProblem(t, m, tc.problem)
			}
			if tc.noProblem != "" && hasProblem(m, tc.noProblem) {
				t.Errorf("unexpected problem %q in %q", tc.noProblem, m.Problems)
			}
			if crlfM := parseOK(t, crlf(tc.raw)); crlfM.Subject != m.Subject || crlfM.Text != m.Text {
				t.Errorf("CRLF form reads differently: %q / %q", crlfM.Subject, crlfM.Text)
			}
		})
	}
}

// A body that is base64 without a Content-Transfer-Encoding is decoded
// when it decodes to text, and left alone otherwise.
func TestBase64WithoutHeader(t *testing.T) {
	long := strings.Repeat("Hello, the export still fails after the update. ", 5) + "\nRegards, Jane\n"
	for _, tc := range []struct {
		name, raw, text string
		decoded         bool
	}{
		{"plain utf-8", "Content-Type: text/plain; charset=utf-8\n\n" + wrap76([]byte(long)), strings.TrimSpace(long), true},
		{"no content-type", "Subject: x\n\n" + wrap76([]byte("Bonjour, ça ne marche pas.")), "Bonjour, ça ne marche pas.", true},
		{"latin1", "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 7bit\n\n" + wrap76([]byte("caf\xe9 cr\xe8me, merci")), "café crème, merci", true},
		{"html", "Content-Type: text/html; charset=utf-8\n\n" + wrap76([]byte("<p>Hello <b>there</b></p>")), "Hello there", true},
		{"in a part", "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n" + wrap76([]byte(long)) + "--b--\n", strings.TrimSpace(long), true},
		{"binary stays", "Subject: x\n\n" + wrap76([]byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 'I', 'H', 'D', 'R', 0, 0, 1, 0}), "iVBORw0KGgoAAAANSUhEUgAAAQA=", false},
		{"hex token stays", "Subject: x\n\n3f9a7c2e4b1d8e6f3f9a7c2e4b1d8e6f\n", "3f9a7c2e4b1d8e6f3f9a7c2e4b1d8e6f", false},
		{"short word stays", "Subject: x\n\nThanks\n", "Thanks", false},
		{"prose stays", "Subject: x\n\nSee you tomorrow\nJane\n", "See you tomorrow\nJane", false},
		{"declared base64 unchanged", "Content-Transfer-Encoding: base64\n\n" + wrap76([]byte("declared")), "declared", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := parseOK(t, []byte(tc.raw))
			eq(t, "Text", m.Text, tc.text)
			if got := hasProblem(m, "base64 without a Content-Transfer-Encoding"); got != tc.decoded {
				t.Errorf("noted = %v, want %v (%q)", got, tc.decoded, m.Problems)
			}
		})
	}
}
