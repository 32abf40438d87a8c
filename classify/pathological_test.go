package classify

import (
	"fmt"
	"strings"
	"testing"
)

// Hostile and degenerate message shapes, generated at any size. Every shape
// comes from a mail system (MAILER-DAEMON, null envelope) or declares a
// report, so Classify parses and scans the body instead of stopping at the
// header. They are fuzz seeds (small), benchmark inputs (64 KB and 1 MB)
// and the inputs of TestClassifyWorkIsLinear.

const (
	daemonHeader = "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n" +
		"To: support@helpdesk.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
	reportHeader = daemonHeader + "MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
)

// repeatTo repeats unit until the result is at least n bytes long.
func repeatTo(unit string, n int) string {
	if n <= 0 || unit == "" {
		return ""
	}
	return strings.Repeat(unit, (n+len(unit)-1)/len(unit))
}

type shape struct {
	name string
	gen  func(n int) []byte // a message of about n bytes
}

func daemonMail(body string) []byte { return []byte(daemonHeader + "\r\n" + body) }

// pathologicalShapes lists the shapes; names are sub-benchmark names.
var pathologicalShapes = []shape{
	{"long-line", func(n int) []byte {
		return daemonMail(repeatTo("the quick brown fox could not deliver it ", n))
	}},
	{"many-lines", func(n int) []byte {
		return daemonMail(repeatTo("a short line of a bounce\r\n", n))
	}},
	{"same-char", func(n int) []byte { return daemonMail(repeatTo("x", n)) }},
	{"blanks", func(n int) []byte { return daemonMail("x" + repeatTo(" ", n)) }},
	{"dots-and-dashes", func(n int) []byte { return daemonMail(repeatTo(".-", n)) }},
	{"at-signs", func(n int) []byte { return daemonMail(repeatTo("a@", n)) }},
	{"address-runs", func(n int) []byte { return daemonMail(repeatTo("a.b-c+d@e-f.g", n)) }},
	{"many-addresses", func(n int) []byte {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, "<u%d@example.com>: 550 5.1.1 unknown\r\n", i)
		}
		return daemonMail(b.String())
	}},
	{"status-codes", func(n int) []byte { return daemonMail(repeatTo("250 2.0.0 ", n)) }},
	{"reply-codes", func(n int) []byte { return daemonMail(repeatTo("550 ", n)) }},
	{"quote-lines", func(n int) []byte { return daemonMail(repeatTo(">\r\n", n)) }},
	{"quoted-headers", func(n int) []byte {
		return daemonMail(repeatTo("> Message-Id x\r\n> To: \r\n", n))
	}},
	{"separator-lines", func(n int) []byte {
		return daemonMail(repeatTo("------ original message\r\n", n))
	}},
	{"html-open-tags", func(n int) []byte {
		return []byte(daemonHeader + "Content-Type: text/html\r\n\r\n" + repeatTo("<script>", n))
	}},
	{"html-style-tags", func(n int) []byte {
		return []byte(daemonHeader + "Content-Type: text/html\r\n\r\n" + repeatTo("<style x>a", n))
	}},
	{"html-lt", func(n int) []byte {
		return []byte(daemonHeader + "Content-Type: text/html\r\n\r\n" + repeatTo("<", n))
	}},
	{"base64-text", func(n int) []byte {
		return []byte(daemonHeader + "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			repeatTo("VGhpcyBtZXNzYWdlIGNvdWxkIG5vdCBiZSBkZWxpdmVyZWQu\r\n", n))
	}},
	{"quoted-printable", func(n int) []byte {
		return []byte(daemonHeader + "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
			repeatTo("=3D=\r\n", n))
	}},
	{"many-parts", func(n int) []byte {
		return []byte(daemonHeader + "Content-Type: multipart/mixed; boundary=z\r\n\r\n" +
			repeatTo("--z\r\nContent-Type: text/plain\r\n\r\nbounce\r\n", n))
	}},
	{"many-boundaries", func(n int) []byte {
		return []byte(daemonHeader + "Content-Type: multipart/mixed; boundary=z\r\n\r\n" + repeatTo("--z\r\n", n))
	}},
	{"nested-multipart", func(n int) []byte {
		var b strings.Builder
		b.WriteString(daemonHeader + "Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
		for i := 1; b.Len() < n; i++ {
			fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
		}
		return []byte(b.String())
	}},
	{"same-boundary-nested", func(n int) []byte {
		return []byte(daemonHeader + "Content-Type: multipart/mixed; boundary=a\r\n\r\n" +
			repeatTo("--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n", n))
	}},
	{"many-header-fields", func(n int) []byte {
		return []byte(daemonHeader + repeatTo("X-Trace: a\r\n", n) + "\r\nbody")
	}},
	{"header-continuations", func(n int) []byte {
		return []byte(daemonHeader + "X-Long: a\r\n" + repeatTo(" b\r\n", n) + "\r\nbody")
	}},
	{"long-subject", func(n int) []byte {
		return []byte("From: MAILER-DAEMON@mx.example.com\r\nSubject: " +
			repeatTo("=?utf-8?q?mail_delivery?= ", n) + "\r\n\r\nbody")
	}},
	{"long-content-type", func(n int) []byte {
		return []byte(daemonHeader + "Content-Type: multipart/mixed;" + repeatTo(" a=b;", n) + "\r\n\r\nbody")
	}},
	{"dsn-many-recipients", func(n int) []byte {
		var b strings.Builder
		b.WriteString(reportHeader + "--B\r\nContent-Type: message/delivery-status\r\n\r\n")
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, "Final-Recipient: rfc822; u%d@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n", i)
		}
		return []byte(b.String())
	}},
	{"dsn-folded-diagnostic", func(n int) []byte {
		return []byte(reportHeader + "--B\r\nContent-Type: message/delivery-status\r\n\r\n" +
			"Final-Recipient: rfc822; a@b.example\r\nDiagnostic-Code: smtp; 550\r\n" + repeatTo(" more text\r\n", n))
	}},
	{"dsn-long-diagnostic", func(n int) []byte {
		return []byte(reportHeader + "--B\r\nContent-Type: message/delivery-status\r\n\r\n" +
			"Final-Recipient: rfc822; a@b.example\r\nAction: failed\r\nDiagnostic-Code: smtp; " + repeatTo("550 5.1.1 ", n))
	}},
	{"report-without-status", func(n int) []byte {
		return []byte(reportHeader + "--B\r\nContent-Type: text/plain\r\n\r\n" + repeatTo("Final-Recipient: x\r\n", n))
	}},
	{"ses-json", func(n int) []byte {
		return []byte("From: no-reply@sns.amazonaws.com\r\nSubject: AWS Notification Message\r\n\r\n" +
			`{"notificationType":"Bounce",` + repeatTo(`"emailAddress":"a@b.c","action":"x",`, n))
	}},
}

// pathologicalSeedSize keeps the fuzz seeds small: the fuzzer mutates and
// grows them itself.
const pathologicalSeedSize = 2 << 10

// BenchmarkClassifyPathological parses (mailparse) and classifies each
// shape at 64 KB and 1 MB: the path intake takes, so a parser step that
// goes super-linear shows here too. MB/s should be about the same at both
// sizes (at 1 MB rather higher where a cap leaves the rest unread): a shape
// whose MB/s drops with size is super-linear. Since classify stopped parsing
// for itself, mailparse's work (all 1000 parts it allows, not the 256 the
// old reader did) is included; BenchmarkClassifyHuman and
// BenchmarkClassifyBounce time Classify alone.
func BenchmarkClassifyPathological(b *testing.B) {
	for _, s := range pathologicalShapes {
		for _, size := range []int{64 << 10, 1 << 20} {
			raw := s.gen(size)
			b.Run(fmt.Sprintf("%s/%dKB", s.name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				for b.Loop() {
					classifyRaw(raw, "")
				}
			})
		}
	}
}
