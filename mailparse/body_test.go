package mailparse

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestAlternative(t *testing.T) {
	m := parseOK(t, crlf(`Content-Type: multipart/alternative; boundary="b1"

preamble
--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hello =E2=9C=93 world, this is a long line that was soft-=
wrapped.
--b1
Content-Type: text/html; charset=utf-8

<p>Hello &#10003; <b>world</b></p>
--b1--
epilogue
`))
	eq(t, "Text", m.Text, "Hello ✓ world, this is a long line that was soft-wrapped.")
	eq(t, "HTML", m.HTML, "<p>Hello &#10003; <b>world</b></p>")
	eq(t, "Attachments", len(m.Attachments), 0)
	eq(t, "Parts", fmt.Sprint(m.Parts), "[{0 multipart/alternative} {1 text/plain} {1 text/html}]")
}

func TestAlternativeHTMLOnly(t *testing.T) {
	m := parseOK(t, []byte(`Content-Type: multipart/alternative; boundary=b

--b
Content-Type: text/plain

   
--b
Content-Type: text/html

<html><head><style>p{color:red}</style><script>alert(1)</script></head>
<body><p>First paragraph</p><p>See <a href="https://example.com/x">the docs</a><br>bye</p></body></html>
--b--
`))
	eq(t, "Text", m.Text, "First paragraph\n\nSee the docs (https://example.com/x)\nbye")
}

func TestAlternativeCalendarAndWatch(t *testing.T) {
	m := parseOK(t, []byte(`Content-Type: multipart/alternative; boundary=b

--b
Content-Type: text/plain

Meeting at 10.
--b
Content-Type: text/watch-html

<b>Meeting</b>
--b
Content-Type: text/html

<p>Meeting at 10.</p>
--b
Content-Type: text/calendar; method=REQUEST

BEGIN:VCALENDAR
END:VCALENDAR
--b--
`))
	eq(t, "Text", m.Text, "Meeting at 10.")
	eq(t, "HTML", m.HTML, "<p>Meeting at 10.</p>")
	if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "text/calendar" || m.Attachments[0].Filename != "attachment-1.ics" {
		t.Errorf("attachments = %+v", m.Attachments)
	}
}

func TestMixedWithAttachments(t *testing.T) {
	m := parseOK(t, crlf(`Content-Type: multipart/mixed; boundary="==outer=="

--==outer==
Content-Type: text/plain

Please see attached.
--==outer==
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--==outer==
Content-Type: text/plain; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"

attached notes
--==outer==
Content-Type: text/plain

-- 
List footer
--==outer==--
`))
	eq(t, "Text", m.Text, "Please see attached.\n\n-- \nList footer")
	if len(m.Attachments) != 2 {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	a := m.Attachments[0]
	eq(t, "Filename", a.Filename, "report.pdf")
	eq(t, "ContentType", a.ContentType, "application/pdf")
	eq(t, "Data", string(a.Data), "%PDF-1.4\n")
	eq(t, "Inline", a.Inline, false)
	eq(t, "text attachment", m.Attachments[1].Filename, "notes.txt")
	eq(t, "text attachment data", string(m.Attachments[1].Data), "attached notes")
}

func TestRelatedInlineImage(t *testing.T) {
	m := parseOK(t, []byte(`Content-Type: multipart/related; boundary=rel; type="text/html"

--rel
Content-Type: text/html; charset=us-ascii

<p>Logo: <img src="cid:logo@x" alt="Logo"></p>
--rel
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-ID: <logo@x>

iVBORw0KGgo=
--rel
Content-Type: image/gif
Content-ID: <unused@x>
Content-Disposition: attachment

GIF89a
--rel--
`))
	if len(m.Attachments) != 2 {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	img := m.Attachments[0]
	eq(t, "ContentID", img.ContentID, "logo@x")
	eq(t, "Inline", img.Inline, true)
	eq(t, "Filename", img.Filename, "image.png")
	eq(t, "Data", string(img.Data), "\x89PNG\r\n\x1a\n")
	eq(t, "second Inline", m.Attachments[1].Inline, false)
	eq(t, "Text", m.Text, "Logo: Logo")
}

func TestInlineByCIDReferenceOnly(t *testing.T) {
	// In multipart/mixed, without disposition: inline only because the HTML
	// references it.
	m := parseOK(t, []byte(`Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/html

<img src="CID:Pic%201@host">
--b
Content-Type: image/jpeg
Content-ID: <pic 1@host>

x
--b
Content-Type: image/jpeg
Content-ID: <other@host>

y
--b--
`))
	eq(t, "referenced", m.Attachments[0].Inline, true)
	eq(t, "unreferenced", m.Attachments[1].Inline, false)
	eq(t, "jpeg name", m.Attachments[0].Filename, "image.jpg")
}

func TestNestedStructure(t *testing.T) {
	m := parseOK(t, []byte(`Content-Type: multipart/mixed; boundary=m

--m
Content-Type: multipart/alternative; boundary=a

--a
Content-Type: text/plain

plain body
--a
Content-Type: multipart/related; boundary=r

--r
Content-Type: text/html

<div>html <img src="cid:i1"></div>
--r
Content-Type: image/png
Content-ID: <i1>

PNG
--r--
--a--
--m
Content-Type: application/octet-stream
Content-Disposition: attachment

bin
--m--
`))
	eq(t, "Text", m.Text, "plain body")
	eq(t, "HTML", m.HTML, `<div>html <img src="cid:i1"></div>`)
	eq(t, "Parts", fmt.Sprint(m.Parts), "[{0 multipart/mixed} {1 multipart/alternative} {2 text/plain} {2 multipart/related} {3 text/html} {3 image/png} {1 application/octet-stream}]")
	if len(m.Attachments) != 2 || !m.Attachments[0].Inline || m.Attachments[1].Filename != "attachment-2.bin" {
		t.Errorf("attachments = %+v", m.Attachments)
	}
}

func TestAttachedMessage(t *testing.T) {
	m := parseOK(t, []byte(`Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

Forwarding this.
--b
Content-Type: message/rfc822

From: inner@example.com
Subject: Inner =?utf-8?q?caf=C3=A9?= / report
Content-Type: text/plain

Inner body must not leak into Text.
--b
Content-Type: message/global

Subject:
Content-Type: multipart/mixed; boundary=ib

--ib
Content-Type: text/plain

x
--ib--
--b--
`))
	eq(t, "Text", m.Text, "Forwarding this.")
	if len(m.Attachments) != 2 {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	a := m.Attachments[0]
	eq(t, "Filename", a.Filename, "report.eml") // directory part stripped
	eq(t, "ContentType", a.ContentType, "message/rfc822")
	if !bytes.Contains(a.Data, []byte("Inner body must not leak")) {
		t.Errorf("Data = %q", a.Data)
	}
	eq(t, "global Filename", m.Attachments[1].Filename, "message.eml")
	eq(t, "global ContentType", m.Attachments[1].ContentType, "message/rfc822")
	eq(t, "Parts", fmt.Sprint(m.Parts), "[{0 multipart/mixed} {1 text/plain} {1 message/rfc822} {2 text/plain} {1 message/global} {2 multipart/mixed} {3 text/plain}]")
}

func TestAttachedMessageName(t *testing.T) {
	m := parseOK(t, []byte("Content-Type: message/rfc822\n\nSubject: Quarterly numbers\n\nbody\n"))
	eq(t, "Filename", m.Attachments[0].Filename, "Quarterly numbers.eml")
	eq(t, "Text", m.Text, "")
}

func TestFilenames(t *testing.T) {
	for _, tc := range []struct{ name, headers, want string }{
		{"plain", `Content-Disposition: attachment; filename="a b.pdf"`, "a b.pdf"},
		{"rfc2231 utf8", `Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf`, "€ rates.pdf"},
		{"rfc2231 latin1 lang", `Content-Disposition: attachment; filename*=iso-8859-1'de'%FCbersicht.txt`, "übersicht.txt"},
		{"rfc2231 continuation", "Content-Disposition: attachment;\n filename*0*=utf-8''%C3%A9t%C3%A9%20;\n filename*1=\"long \";\n filename*2*=na%C3%AFve.doc", "été long naïve.doc"},
		{"rfc2231 out of order", "Content-Disposition: attachment; filename*1=\"b.txt\"; filename*0=\"a\"", "ab.txt"},
		{"rfc2231 wins", `Content-Disposition: attachment; filename="fallback.txt"; filename*=utf-8''real.txt`, "real.txt"},
		{"rfc2047 in quotes", `Content-Disposition: attachment; filename="=?utf-8?B?w6l0w6kucGRm?="`, "été.pdf"},
		{"name param", `Content-Type: application/pdf; name="from-type.pdf"`, "from-type.pdf"},
		{"unquoted spaces", `Content-Disposition: attachment; filename=my file.pdf; size=3`, "my file.pdf"},
		{"path unix", `Content-Disposition: attachment; filename="../../etc/passwd"`, "passwd"},
		{"path windows", `Content-Disposition: attachment; filename="C:\\Users\\x\\evil.exe"`, "evil.exe"},
		{"control chars", "Content-Disposition: attachment; filename=\"a\x01b\x7f.txt\"", "ab.txt"},
		{"nul", "Content-Disposition: attachment; filename*=utf-8''a%00b.txt", "ab.txt"},
		{"dots only", `Content-Disposition: attachment; filename=".."`, "attachment-1.pdf"},
		{"raw 8bit", "Content-Disposition: attachment; filename=\"r\xe9sum\xe9.pdf\"", "résumé.pdf"},
		{"missing", `Content-Disposition: attachment`, "attachment-1.pdf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nbody\n--b\n"
			if !strings.HasPrefix(tc.headers, "Content-Type") {
				raw += "Content-Type: application/pdf\n"
			}
			raw += tc.headers + "\n\ndata\n--b--\n"
			m := parseOK(t, []byte(raw))
			if len(m.Attachments) != 1 {
				t.Fatalf("attachments = %+v", m.Attachments)
			}
			eq(t, "Filename", m.Attachments[0].Filename, tc.want)
		})
	}
}

func TestDefaultNamesAndTypes(t *testing.T) {
	m := parseOK(t, []byte(`Content-Type: multipart/mixed; boundary=b

--b
Content-Type: image/png

x
--b
Content-Type: application-x-gzip; name="doc.gz"

x
--b
Content-Type: application/x-unknown-thing

x
--b
Content-Type: text
Content-Disposition: attachment

x
--b--
`))
	got := []string{}
	for _, a := range m.Attachments {
		got = append(got, a.Filename+" "+a.ContentType)
	}
	eq(t, "attachments", strings.Join(got, ", "),
		"image.png image/png, doc.gz application/octet-stream, attachment-3.bin application/x-unknown-thing, attachment-4.txt text/plain")
	wantProblem(t, m, `part 2: invalid Content-Type "application-x-gzip; name=\"doc.gz\"", read as application/octet-stream`)
}

func TestTransferEncodings(t *testing.T) {
	for _, tc := range []struct{ name, cte, body, want, problem string }{
		{"base64", "base64", "SGVsbG8s\nIHdvcmxk\n", "Hello, world", ""},
		{"base64 indented", "BASE64", "  SGVsbG8s\n\tIHdvcmxk\n", "Hello, world", ""},
		{"base64 bad chars", "base64", "SGVs*bG8s\nIHdv!cmxk\n", "Hello, world", "damaged base64"},
		{"base64 trailing text", "base64", "SGVsbG8=\n\n-- \nThis footer was added by the list server\n", "Hello", "damaged base64"},
		{"base64 truncated", "base64", "SGVsbG8sIHdvcmx", "Hello, worl", ""},
		{"base64 concatenated", "base64", "SGk=\nIHRoZXJl\n", "Hi there", ""},
		{"qp", "quoted-printable", "a=3Db =C3=A9=\nt=C3=A9  \nx", "a=b été\nx", ""},
		{"qp lowercase", "quoted-printable", "caf=c3=a9", "café", ""},
		{"qp broken", "quoted-printable", "100% =ZZ sure =\n=4", "100% =ZZ sure =4", "invalid quoted-printable"},
		{"7bit", "7bit", "plain", "plain", ""},
		{"uuencode kept", "x-uuencode", "begin 644 f.txt\n#86)C\n`\nend", "begin 644 f.txt\n#86)C\n`\nend", ""},
		{"unknown", "x-rot13", "uryyb", "uryyb", `unknown Content-Transfer-Encoding "x-rot13"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := parseOK(t, []byte("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: "+tc.cte+"\n\n"+tc.body))
			eq(t, "Text", m.Text, tc.want)
			if tc.problem != "" {
				wantProblem(t, m, tc.problem)
			}
		})
	}
}

func TestBase64Roots(t *testing.T) {
	m := parseOK(t, []byte("Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\nPGgxPkhlbGxvPC9oMT48cD53b3JsZDwvcD4=\n"))
	eq(t, "HTML", m.HTML, "<h1>Hello</h1><p>world</p>")
	eq(t, "Text", m.Text, "Hello\n\nworld")
	m = parseOK(t, []byte("Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\nY2Fm6Q==\n"))
	eq(t, "Text", m.Text, "café")
}

func TestMultipartDamage(t *testing.T) {
	m := parseOK(t, []byte("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nnever closed\n"))
	eq(t, "Text", m.Text, "never closed")
	wantProblem(t, m, "boundary never closed")

	m = parseOK(t, []byte("Content-Type: multipart/mixed\n\n--guess\nContent-Type: text/plain\n\nguessed\n--guess--\n"))
	eq(t, "Text", m.Text, "guessed")
	wantProblem(t, m, "without boundary parameter")

	m = parseOK(t, []byte("Content-Type: multipart/mixed; boundary=zzz\n\nno parts at all\n"))
	eq(t, "Text", m.Text, "no parts at all")
	wantProblem(t, m, "not found")

	// A longer boundary that starts with the real one is not a delimiter.
	m = parseOK(t, []byte("Content-Type: multipart/mixed; boundary=x\n\n--x\n\none\n--xy\nstill one\n--x--\n"))
	eq(t, "Text", m.Text, "one\n--xy\nstill one")

	// Boundaries are matched byte for byte: no charset or RFC 2047 decoding.
	m = parseOK(t, []byte("Content-Type: multipart/mixed; boundary=\"=?a?q?b?=\xe9\"\n\n--=?a?q?b?=\xe9\n\nraw boundary\n--=?a?q?b?=\xe9--\n"))
	eq(t, "Text", m.Text, "raw boundary")

	// A multipart wrongly base64-encoded as a whole (RFC 2045 §6.4 forbids it).
	m = parseOK(t, []byte("Content-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: base64\n\nLS1iCgpoaQotLWItLQo=\n"))
	eq(t, "Text", m.Text, "hi")
}

func TestDigestAndReport(t *testing.T) {
	m := parseOK(t, []byte(`Content-Type: multipart/digest; boundary=d

--d

Subject: one

first
--d

Subject: two

second
--d--
`))
	eq(t, "attachments", len(m.Attachments), 2)
	eq(t, "first", m.Attachments[0].Filename, "one.eml")

	m = parseOK(t, []byte(`Content-Type: multipart/report; report-type=delivery-status; boundary=r

--r
Content-Type: text/plain

Delivery failed.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; x@example.com
Status: 5.1.1
--r
Content-Type: text/rfc822-headers

Subject: original
--r--
`))
	eq(t, "Text", m.Text, "Delivery failed.")
	eq(t, "attachments", len(m.Attachments), 2)
	eq(t, "dsn type", m.Attachments[0].ContentType, "message/delivery-status")
	eq(t, "dsn name", m.Attachments[0].Filename, "attachment-1.txt")
	eq(t, "headers type", m.Attachments[1].ContentType, "text/rfc822-headers")
}

func TestEnriched(t *testing.T) {
	m := parseOK(t, []byte("Content-Type: text/enriched\n\n<bold>Hi</bold> <<there>\n"))
	eq(t, "Text", m.Text, "Hi <there>")
}

// normalizeNewlines is the reference cleanText is held to: CRLF and bare CR
// become LF.
func normalizeNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' {
			sb.WriteByte('\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

func TestCleanTextMatchesReference(t *testing.T) {
	for _, in := range []string{"", "a", "a\r\nb", "a\rb\r", "\r\x00\n", "x\x00y\r\r\n", "\n\r\n\r"} {
		want := cleanString(normalizeNewlines(in))
		for _, owned := range []bool{false, true} {
			if got := cleanText([]byte(in), owned); got != want {
				t.Errorf("cleanText(%q, %v) = %q, want %q", in, owned, got, want)
			}
		}
	}
}
