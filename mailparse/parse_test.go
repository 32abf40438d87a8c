package mailparse

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// crlf turns a readable LF test message into the CRLF form used on the wire.
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// parseOK parses and checks the invariants every result must hold.
func parseOK(t *testing.T, raw []byte) *Message {
	t.Helper()
	orig := bytes.Clone(raw)
	m := Parse(raw)
	if !bytes.Equal(orig, raw) {
		t.Fatalf("Parse modified its input")
	}
	checkMessage(t, t.Name(), m)
	return m
}

func hasProblem(m *Message, sub string) bool {
	for _, p := range m.Problems {
		if strings.Contains(p, sub) {
			return true
		}
	}
	return false
}

func wantProblem(t *testing.T, m *Message, sub string) {
	t.Helper()
	if !hasProblem(m, sub) {
		t.Errorf("no problem containing %q in %q", sub, m.Problems)
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func TestSimpleMessage(t *testing.T) {
	m := parseOK(t, crlf(`From: "Doe, Jane" <Jane.Doe@Example.COM>
Sender: list-bounces@lists.example.org
Reply-To: Support <support@example.com>, other@example.com
To: a@example.com, "B" <b@example.com>
To: c@example.com
Cc: undisclosed-recipients:;
Subject: Hello
 world
Message-ID: <abc.123@mail.example.com>
In-Reply-To: <parent@example.com>
References: <root@example.com> <parent@example.com>
Date: Tue, 1 Jul 2003 10:52:37 +0200
Auto-Submitted: Auto-Replied (vacation)
Delivered-To: Help@Example.com
X-Original-To: support@example.com
Delivered-To: second@example.com

Hi there,
this is the body.
`))
	if m.From == nil || *m.From != (Address{"Doe, Jane", "jane.doe@example.com"}) {
		t.Errorf("From = %+v", m.From)
	}
	if m.Sender == nil || m.Sender.Email != "list-bounces@lists.example.org" {
		t.Errorf("Sender = %+v", m.Sender)
	}
	eq(t, "ReplyTo", fmt.Sprint(m.ReplyTo), "[{Support support@example.com} { other@example.com}]")
	eq(t, "To", fmt.Sprint(m.To), "[{ a@example.com} {B b@example.com} { c@example.com}]")
	eq(t, "Cc", len(m.Cc), 0)
	eq(t, "Subject", m.Subject, "Hello world")
	eq(t, "MessageID", m.MessageID, "abc.123@mail.example.com")
	eq(t, "InReplyTo", fmt.Sprint(m.InReplyTo), "[parent@example.com]")
	eq(t, "References", fmt.Sprint(m.References), "[root@example.com parent@example.com]")
	eq(t, "Date", m.Date.UTC().Format(time.RFC3339), "2003-07-01T08:52:37Z")
	eq(t, "AutoSubmitted", m.AutoSubmitted, "auto-replied (vacation)")
	eq(t, "DeliveredTo", fmt.Sprint(m.DeliveredTo), "[help@example.com support@example.com second@example.com]")
	eq(t, "Text", m.Text, "Hi there,\nthis is the body.")
	eq(t, "HTML", m.HTML, "")
	eq(t, "Header", m.Header.Get("X-Original-To"), "support@example.com")
	if len(m.Problems) != 0 {
		t.Errorf("unexpected problems %q", m.Problems)
	}
}

func TestSubjectEncodings(t *testing.T) {
	for _, tc := range []struct{ name, raw, want string }{
		{"utf8-B", "=?UTF-8?B?w6lkaXRpb24g4oCUIMOpdMOp?=", "édition — été"},
		{"utf8-Q", "=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=", "Grüße aus Köln"},
		{"latin1-Q", "=?ISO-8859-1?Q?Caf=E9_cr=E8me?=", "Café crème"},
		{"words joined", "=?utf-8?q?a?= =?utf-8?q?b?=  \t=?utf-8?q?c?=", "abc"},
		{"literal kept", "Re: =?utf-8?q?caf=C3=A9?= time", "Re: café time"},
		{"split multibyte", "=?UTF-8?B?8J+Y?= =?UTF-8?B?gA==?=", "😀"},
		{"shift_jis", "=?Shift_JIS?B?k/qWe4zq?=", "日本語"},
		{"iso-2022-jp", "=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", "日本語"},
		{"lang suffix", "=?utf-8*en?q?hi?=", "hi"},
		{"not a word", "50% =? off", "50% =? off"},
		{"broken word", "=?utf-8?x?abc?= tail", "=?utf-8?x?abc?= tail"},
		{"8bit utf8", "Caf\xc3\xa9", "Café"},
		{"8bit latin1", "Caf\xe9 \x93quoted\x94", "Café “quoted”"},
		{"spaces kept", "a  b", "a  b"},
		{"tab folded", "a\tb", "a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := parseOK(t, []byte("Subject: "+tc.raw+"\r\n\r\nbody\r\n"))
			eq(t, "Subject", m.Subject, tc.want)
		})
	}
}

func TestMissingHeaders(t *testing.T) {
	m := parseOK(t, []byte("X-Foo: bar\n\nJust a body.\n"))
	if m.From != nil || m.Subject != "" || m.MessageID != "" || !m.Date.IsZero() || m.To != nil {
		t.Errorf("zero values expected: %+v", m)
	}
	eq(t, "Text", m.Text, "Just a body.")
}

func TestEmptyAndGarbage(t *testing.T) {
	for name, raw := range map[string][]byte{
		"empty":       nil,
		"blank":       []byte("\r\n\r\n"),
		"nul":         {0, 0, 0},
		"binary":      {0xff, 0xfe, 0x00, 0x80, '\n', ':', 0x9f, '\r', 0xc3},
		"colon only":  []byte(":\n:\n"),
		"header only": []byte("Subject: x"),
		"bare cr":     []byte("Subject: a\rFrom: b@c.d\r\rbody\rline2\r"),
		"cr in body":  []byte("Subject: a\n\nline1\rline2\r\nline3\n"),
		"continued":   []byte(" leading continuation\nSubject: x\n\nbody"),
		"long line":   append([]byte("Subject: "), bytes.Repeat([]byte("x"), 100000)...),
		"only dashes": []byte("Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n----\n"),
	} {
		t.Run(name, func(t *testing.T) {
			m := parseOK(t, raw)
			if m == nil {
				t.Fatal("nil message")
			}
		})
	}
	m := parseOK(t, nil)
	wantProblem(t, m, "empty message")
	m = parseOK(t, []byte("Subject: a\rFrom: b@c.d\r\rbody\rline2\r"))
	eq(t, "Subject (CR only)", m.Subject, "a")
	eq(t, "Text (CR only)", m.Text, "body\nline2")
	m = parseOK(t, []byte("Subject: a\n\nline1\rline2\r\nline3\n"))
	eq(t, "Text (bare CR)", m.Text, "line1\nline2\nline3")
}

func TestNoBlankLine(t *testing.T) {
	m := parseOK(t, []byte("From: a@b.c\nSubject: hi\nThis line starts the body\nand more\n"))
	eq(t, "Subject", m.Subject, "hi")
	eq(t, "Text", m.Text, "This line starts the body\nand more")
	wantProblem(t, m, "not terminated by a blank line")
}

func TestLineEndingsAgree(t *testing.T) {
	lf := "From: a@b.c\nSubject: s\nContent-Type: multipart/alternative; boundary=XX\n\n--XX\nContent-Type: text/plain\n\nline 1\nline 2\n--XX\nContent-Type: text/html\n\n<p>x</p>\n--XX--\n"
	a := parseOK(t, []byte(lf))
	b := parseOK(t, crlf(lf))
	eq(t, "Text", a.Text, b.Text)
	eq(t, "Text", a.Text, "line 1\nline 2")
	eq(t, "HTML", a.HTML, "<p>x</p>")
	eq(t, "HTML CRLF", b.HTML, "<p>x</p>")
}

func TestMboxFromLineAndBOM(t *testing.T) {
	m := parseOK(t, []byte("\xef\xbb\xbfFrom someone@example.com Mon Jan  1 00:00:00 2024\nFrom: a@b.c\nSubject: s\n\nbody\n"))
	eq(t, "Subject", m.Subject, "s")
	if m.From == nil || m.From.Email != "a@b.c" {
		t.Errorf("From = %+v", m.From)
	}
}

func TestCharsets(t *testing.T) {
	for _, tc := range []struct {
		name, cs, body, want, problem string
	}{
		{"latin1", "iso-8859-1", "caf\xe9", "café", ""},
		{"cp1252 quotes", "windows-1252", "\x93hi\x94", "“hi”", ""},
		{"koi8-r", "koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет", ""},
		{"quoted label", "\"UTF-8\"", "ok \xc3\xa9", "ok é", ""},
		{"lying utf-8", "utf-8", "caf\xe9 \x80", "café €", `declared charset "utf-8" but content is not valid UTF-8`},
		{"lying us-ascii", "us-ascii", "\x93x\x94", "“x”", "not valid UTF-8"},
		{"us-ascii but utf-8", "us-ascii", "caf\xc3\xa9", "café", ""},
		{"latin1 but utf-8", "iso-8859-1", "caf\xc3\xa9", "café", "content is valid UTF-8"},
		{"unknown valid", "x-foo", "caf\xc3\xa9", "café", `unknown charset "x-foo", decoded as UTF-8`},
		{"unknown invalid", "x-foo", "caf\xe9", "café", `unknown charset "x-foo", decoded as windows-1252`},
		{"none 8bit", "", "caf\xe9", "café", "without charset"},
		{"utf-7", "unicode-1-1-utf-7", "Hi Mom -+Jjo--!  1 +- 1", "Hi Mom -☺-!  1 + 1", ""},
		{"gb2312", "gb2312", "\xc4\xe3\xba\xc3", "你好", ""},
		{"ks_c_5601", "ks_c_5601-1987", "\xbe\xc8\xb3\xe7", "안녕", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := "text/plain"
			if tc.cs != "" {
				ct += "; charset=" + tc.cs
			}
			m := parseOK(t, []byte("Content-Type: "+ct+"\n\n"+tc.body))
			eq(t, "Text", m.Text, tc.want)
			if !utf8.ValidString(m.Text) {
				t.Errorf("invalid UTF-8")
			}
			if tc.problem != "" {
				wantProblem(t, m, tc.problem)
			} else if len(m.Problems) > 0 {
				t.Errorf("unexpected problems %q", m.Problems)
			}
		})
	}
}

func TestHTMLMetaCharset(t *testing.T) {
	m := parseOK(t, []byte("Content-Type: text/html\n\n<html><head><meta charset=\"iso-8859-15\"></head><body>\xa4 5</body></html>"))
	eq(t, "Text", m.Text, "€ 5")
	if !strings.Contains(m.HTML, "€ 5") {
		t.Errorf("HTML not decoded: %q", m.HTML)
	}
}

func TestEightBitHeaders(t *testing.T) {
	m := parseOK(t, []byte("From: J\xfcrgen <j@example.de>\nTo: \"Ren\xc3\xa9\" <r@example.fr>\nSubject: \xe4rger\n\nx"))
	eq(t, "From.Name", m.From.Name, "Jürgen")
	eq(t, "To.Name", m.To[0].Name, "René")
	eq(t, "Subject", m.Subject, "ärger")
	wantProblem(t, m, "header: raw 8-bit")
}

func TestNestingCap(t *testing.T) {
	var b strings.Builder
	const depth = 200
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\n\ndeep text\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\n", i)
	}
	m := parseOK(t, []byte(b.String()))
	wantProblem(t, m, "nesting deeper than 32 levels")
	if len(m.Parts) > maxDepth+1 {
		t.Errorf("descended %d levels", len(m.Parts))
	}
	// Attached messages nest too.
	raw := "Subject: s\n\nbody"
	for i := 0; i < depth; i++ {
		raw = "Content-Type: message/rfc822\n\n" + raw
	}
	m = parseOK(t, []byte(raw))
	if len(m.Parts) > maxDepth+1 {
		t.Errorf("descended %d levels into attached messages", len(m.Parts))
	}
}

func TestPartCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=p\n\n")
	for i := 0; i < 1500; i++ {
		b.WriteString("--p\nContent-Type: text/plain\n\nx\n")
	}
	b.WriteString("--p--\n")
	m := parseOK(t, []byte(b.String()))
	wantProblem(t, m, "more than 1000 MIME parts")
	if len(m.Parts) > maxParts {
		t.Errorf("%d parts recorded", len(m.Parts))
	}
}

func TestMessageIDs(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"<a@b>", "[a@b]"},
		{"a@b", "[a@b]"},
		{"  < a@b >  ", "[a@b]"},
		{"<a@b> <c@d>", "[a@b c@d]"},
		{"<a@b>,<c@d>, e@f", "[a@b c@d e@f]"},
		{"<a@b>\n\t<c@\n d>", "[a@b c@d]"},
		{`Your message of "Mon, 1 Jan" <a@b> (comment <x@y>) junk`, "[a@b]"},
		{"<no-at-sign>", "[no-at-sign]"},
		{"junk words only", "[]"},
		{"<unterminated@x", "[unterminated@x]"},
		{"", "[]"},
	} {
		eq(t, "parseMsgIDs("+tc.raw+")", fmt.Sprint(parseMsgIDs(tc.raw)), tc.want)
	}
	var refs []string
	for i := 0; i < 120; i++ {
		refs = append(refs, fmt.Sprintf("<r%d@x>", i))
	}
	m := parseOK(t, []byte("Message-ID: bare@id\nReferences: "+strings.Join(refs, "\n ")+"\nIn-Reply-To: <r119@x> (sent by x)\n\nb"))
	eq(t, "MessageID", m.MessageID, "bare@id")
	eq(t, "len(References)", len(m.References), 50)
	eq(t, "first kept", m.References[0], "r70@x")
	eq(t, "last kept", m.References[49], "r119@x")
	eq(t, "InReplyTo", fmt.Sprint(m.InReplyTo), "[r119@x]")
}

func TestProblemsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=p\n\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&b, "--p\nContent-Type: text/plain; charset=x-unknown-%d\n\nx\n", i)
	}
	m := parseOK(t, []byte(b.String()))
	if len(m.Problems) > maxProblems {
		t.Errorf("%d problems", len(m.Problems))
	}
	wantProblem(t, m, "too many problems")
}

func TestHugeHeader(t *testing.T) {
	var b strings.Builder
	for i := 0; i < maxHeaderFields+100; i++ {
		fmt.Fprintf(&b, "X-F%d: v\n", i)
	}
	b.WriteString("Subject: late\n\nbody\n")
	m := parseOK(t, []byte(b.String()))
	wantProblem(t, m, "rest of it ignored")
	eq(t, "Text", m.Text, "body")
	eq(t, "fields kept", m.Header.Len(), maxHeaderFields)
}

// A field folded over more than maxHeaderBytes is skipped like one that
// starts beyond them: the bound is on bytes, however they are split.
func TestHugeFoldedField(t *testing.T) {
	raw := "Subject: kept\nTo: a@example.org\n" + strings.Repeat(" b@example.org,\n", maxHeaderBytes/16+1) + "X-After: late\n\nbody\n"
	m := parseOK(t, []byte(raw))
	wantProblem(t, m, "rest of it ignored")
	eq(t, "Subject", m.Subject, "kept")
	eq(t, "To", len(m.To), 0)
	eq(t, "fields kept", m.Header.Len(), 1)
	eq(t, "Text", m.Text, "body")
}

// TestHostileInputsFast feeds inputs built to trigger quadratic behaviour;
// each must parse well within the corpus bound.
func TestHostileInputsFast(t *testing.T) {
	const n = 1 << 20
	var cids strings.Builder
	cids.WriteString("Content-Type: multipart/related; boundary=b\n\n--b\nContent-Type: text/html\n\n")
	cids.WriteString(strings.Repeat("<img src=\"cid:x\">", n/20))
	for i := 0; i < 990; i++ {
		fmt.Fprintf(&cids, "\n--b\nContent-Type: image/png\nContent-ID: <c%d@x>\n\nx", i)
	}
	for name, raw := range map[string]string{
		"encoded-word starts": "Subject: " + strings.Repeat("=?a?q?", n/6) + "\n\nx",
		"encoded words":       "Subject: " + strings.Repeat("=?utf-8?q?a?= ", n/14) + "\n\nx",
		"comments":            "From: " + strings.Repeat("(", n/2) + strings.Repeat(")", n/2) + "a@b\n\nx",
		"addresses":           "To: " + strings.Repeat("a@b.c, ", n/7) + "\n\nx",
		"angles":              "To: " + strings.Repeat("<", n) + "\n\nx",
		"quotes":              "To: " + strings.Repeat("\"", n) + "\n\nx",
		"msgids":              "References: " + strings.Repeat("<", n/2) + strings.Repeat(">", n/2) + "\n\nx",
		"params":              "Content-Type: text/plain" + strings.Repeat("; a*1*=b", n/8) + "\n\nx",
		"dash lines":          "Content-Type: multipart/mixed; boundary=\"\"\n\n" + strings.Repeat("--\n", n/3),
		"near boundaries":     "Content-Type: multipart/mixed; boundary=abc\n\n" + strings.Repeat("--ab\n", n/5),
		"cid refs":            cids.String(),
		"deep html":           "Content-Type: text/html\n\n" + strings.Repeat("<div><a href=x>", n/15),
		"base64 junk":         "Content-Transfer-Encoding: base64\n\n" + strings.Repeat("!@#$ %^&*\n", n/10),
		"qp equals":           "Content-Transfer-Encoding: quoted-printable\n\n" + strings.Repeat("=", n),
		"header lines":        strings.Repeat("X: y\n", n/5) + "\nx",
		"continuations":       "X: y\n" + strings.Repeat(" z\n", n/3) + "\nx",
		"nested rfc822 b64":   strings.Repeat("Content-Type: message/rfc822\n\n", 2000) + "x",
	} {
		start := time.Now()
		m := Parse([]byte(raw))
		checkMessage(t, name, m)
		el := time.Since(start)
		if el > timeBound || testing.Verbose() {
			t.Logf("%s: %v", name, el)
		}
	}
}
