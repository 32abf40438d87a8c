package classify

import (
	"strings"
	"testing"

	"github.com/postdesk/postdesk/mailparse"
)

// classifyRaw classifies raw as intake does: parsed by mailparse first.
func classifyRaw(raw []byte, envelopeFrom string) Result {
	return Classify(mailparse.Parse(raw), envelopeFrom)
}

// mail builds a CRLF message from header lines and a body.
func mail(headers []string, body string) []byte {
	return []byte(strings.Join(headers, "\r\n") + "\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n"))
}

// base is the header of an ordinary message from a person.
func base(extra ...string) []string {
	h := []string{
		"From: Alice Example <alice@example.com>",
		"To: support@helpdesk.example",
		"Date: Mon, 6 Jan 2025 10:00:00 +0100",
		"Message-ID: <msg-1@example.com>",
		"MIME-Version: 1.0",
	}
	return append(h, extra...)
}

func withSubject(s string, extra ...string) []string {
	return base(append([]string{"Subject: " + s}, extra...)...)
}

type tcase struct {
	name     string
	raw      []byte
	envelope string
	want     Kind
	reason   string // substring of Reason, when set
	origID   string // expected OriginalMessageID, when set
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := c.envelope
			if env == "" {
				env = "alice@example.com"
			} else if env == "<>" {
				env = ""
			}
			r := classifyRaw(c.raw, env)
			if r.Kind != c.want {
				t.Fatalf("kind = %s (%s), want %s", r.Kind, r.Reason, c.want)
			}
			if c.reason != "" && !strings.Contains(r.Reason, c.reason) {
				t.Errorf("reason = %q, want it to mention %q", r.Reason, c.reason)
			}
			if c.origID != "" && r.OriginalMessageID != c.origID {
				t.Errorf("OriginalMessageID = %q, want %q", r.OriginalMessageID, c.origID)
			}
		})
	}
}

const plain = "Content-Type: text/plain; charset=utf-8"

func TestAutoReplySignals(t *testing.T) {
	reply := []string{"In-Reply-To: <ticket-42@helpdesk.example>", "References: <a@x> <ticket-42@helpdesk.example>"}
	runCases(t, []tcase{
		{name: "Auto-Submitted auto-replied", raw: mail(withSubject("Re: your ticket", append(reply, "Auto-Submitted: auto-replied")...), "I am away."),
			want: AutoReply, reason: "Auto-Submitted: auto-replied", origID: "ticket-42@helpdesk.example"},
		{name: "Auto-Submitted auto-generated with comment", raw: mail(withSubject("Notice", "Auto-Submitted: auto-generated (cron)"), "x"),
			want: AutoReply, reason: "Auto-Submitted: auto-generated"},
		{name: "Auto-Submitted no is human", raw: mail(withSubject("Hello", "Auto-Submitted: no"), "x"), want: Human},
		{name: "X-Autoreply", raw: mail(withSubject("Thanks", "X-Autoreply: yes"), "x"), want: AutoReply, reason: "X-Autoreply"},
		{name: "X-Autorespond", raw: mail(withSubject("Thanks", "X-Autorespond: Thanks for your mail"), "x"), want: AutoReply, reason: "X-Autorespond"},
		{name: "Precedence auto_reply", raw: mail(withSubject("Thanks", "Precedence: auto_reply"), "x"), want: AutoReply, reason: "Precedence: auto_reply"},
		{name: "Precedence bulk on a reply", raw: mail(withSubject("Re: ticket", append(reply, "Precedence: bulk")...), "x"), want: AutoReply, reason: "Precedence: bulk"},
		{name: "X-Precedence junk on a reply", raw: mail(withSubject("Re: ticket", append(reply, "X-Precedence: junk")...), "x"), want: AutoReply},
		{name: "Exchange generated", raw: mail(withSubject("Re: ticket", "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent"), "x"),
			want: AutoReply, reason: "X-MS-Exchange-Generated-Message-Source"},
		{name: "Exchange inbox rules loop", raw: mail(withSubject("Automatic reply: ticket", "X-MS-Exchange-Inbox-Rules-Loop: alice@example.com"), "x"),
			want: AutoReply, reason: "Inbox-Rules-Loop"},
		{name: "X-Loop", raw: mail(withSubject("Your request has been received", "X-Loop: rt.example.com"), "Ticket #1 opened"), want: AutoReply, reason: "X-Loop"},
		{name: "Apple vacation", raw: mail(withSubject("Auto reply: ticket", "X-Apple-Action: VACATION"), "x"), want: AutoReply},
		{name: "MDN read receipt", raw: mail(base(
			"Subject: Read: ticket",
			`Content-Type: multipart/report; report-type=disposition-notification; boundary="b"`),
			"--b\nContent-Type: text/plain\n\nYour message was displayed.\n--b\nContent-Type: message/disposition-notification\n\n"+
				"Reporting-UA: mail.example.com; Outlook\nFinal-Recipient: rfc822; alice@example.com\nOriginal-Message-ID: <out-7@helpdesk.example>\n"+
				"Disposition: manual-action/MDN-sent-manually; displayed\n--b--\n"),
			want: AutoReply, reason: "disposition-notification", origID: "out-7@helpdesk.example"},
		{name: "null reverse-path without bounce text", raw: mail(withSubject("Thanks for writing"), "We got it."), envelope: "<>",
			want: AutoReply, reason: "null reverse-path"},
	})
}

func TestVacationSubjects(t *testing.T) {
	var cases []tcase
	for _, s := range []string{
		"Out of office AutoReply: ticket",
		"Automatic reply: Your ticket #42",
		"Auto-Reply: ticket",
		"Abwesenheitsnotiz: Ihr Ticket",
		"Automatische Antwort: Ihr Ticket",
		"Réponse automatique : votre ticket",
		"Risposta automatica: il tuo ticket",
		"Respuesta automática: su ticket",
		"Autosvar: din förfrågan",
		"Automatisch antwoord: uw ticket",
		"=?UTF-8?Q?R=C3=A9ponse_automatique?= : ticket",
	} {
		cases = append(cases, tcase{name: s, raw: mail(withSubject(s, plain), "I am away until Monday."), want: AutoReply, reason: "vacation subject"})
	}
	// Phrases people also type only count on a reply (or null sender)
	// from a client that does not name itself.
	for _, s := range []string{"Out of Office: Your ticket #42", "Absence : votre demande", "Abwesend bis 10.1.", "Away until May 5"} {
		cases = append(cases,
			tcase{name: s + " on a reply", raw: mail(withSubject(s, "In-Reply-To: <t-1@helpdesk.example>"), "x"), want: AutoReply, origID: "t-1@helpdesk.example"},
			tcase{name: s + " as a new mail", raw: mail(withSubject(s), "x"), want: Human})
	}
	cases = append(cases,
		tcase{name: "machine prefix from a named client", raw: mail(withSubject("Automatic reply: ticket", "X-Mailer: Microsoft Outlook 16.0"), "x"), want: Human},
		tcase{name: "weak phrase on a server reply", raw: mail(withSubject("I am out of the office", "In-Reply-To: <t-1@helpdesk.example>"), "x"),
			want: AutoReply, reason: "vacation subject on a reply", origID: "t-1@helpdesk.example"},
		tcase{name: "weak phrase from a mail client", raw: mail(withSubject("I am out of the office", "In-Reply-To: <t-1@helpdesk.example>", "User-Agent: Thunderbird 128"), "x"),
			want: Human},
		tcase{name: "weak phrase on a new mail", raw: mail(withSubject("Out of office next week - can you extend my licence?"), "x"), want: Human},
	)
	runCases(t, cases)
}

func TestHumanMailStaysHuman(t *testing.T) {
	runCases(t, []tcase{
		{name: "Outlook human mail with X-Auto-Response-Suppress", raw: mail(withSubject("Printer broken",
			"X-Auto-Response-Suppress: All", "X-MS-Has-Attach:", "X-MS-TNEF-Correlator:", "Thread-Index: AdmXYZ==",
			"X-Mailer: Microsoft Outlook 16.0", plain), "Hi, the printer is broken again."), want: Human},
		{name: "reply quoting an out-of-office subject", raw: mail(withSubject("Re: Out of office", "In-Reply-To: <x@y>", plain), "Thanks, noted."), want: Human},
		{name: "German reply to an automatic answer", raw: mail(withSubject("AW: Automatische Antwort: Rechnung", "In-Reply-To: <x@y>"), "Danke."), want: Human},
		{name: "reply to an undeliverable notice", raw: mail(withSubject("Re: Undeliverable: invoice", "In-Reply-To: <x@y>"), "Why did this bounce?"), want: Human},
		{name: "forwarded bounce", raw: mail(withSubject("Fwd: Mail delivery failed: returning message to sender"), "Can you check this?\n\n> This message was created automatically by mail delivery software."), want: Human},
		{name: "Precedence normal", raw: mail(withSubject("Question", "Precedence: normal"), "x"), want: Human},
		{name: "Feedback-ID alone", raw: mail(withSubject("Question", "Feedback-ID: 123:456:example"), "x"), want: Human},
		{name: "List-Unsubscribe alone", raw: mail(withSubject("Question", "List-Unsubscribe: <mailto:unsub@example.com>"), "x"), want: Human},
		{name: "postmaster writing as a person", raw: mail([]string{"From: Postmaster <postmaster@example.com>", "To: support@helpdesk.example", "Subject: Our SPF record", plain}, "Hello, we changed our SPF record; please check."), want: Human},
		{name: "noreply sender without robot text", raw: mail([]string{"From: Shop <noreply@shop.example>", "To: support@helpdesk.example", "Subject: Order 123", plain}, "Your order shipped."), want: Human},
		{name: "human with attached message", raw: mail(base("Subject: see attached", `Content-Type: multipart/mixed; boundary="z"`),
			"--z\nContent-Type: text/plain\n\nLook at this one.\n--z\nContent-Type: message/rfc822\n\nFrom: x@y\nSubject: hi\nMessage-ID: <q@y>\n\nbody\n--z--\n"), want: Human},
		{name: "customer writing about a delivery", raw: mail(withSubject("Delivery failure", plain), "My parcel could not be delivered and was returned to sender. Order 123."), want: Human},
		{name: "no-reply notification about a delay is not a bounce", raw: mail([]string{"From: Shop <no-reply@shop.example>", "To: support@helpdesk.example", "Subject: Your order is delayed", plain},
			"Unfortunately delivery of your order has been delayed."), want: Human},
		{name: "empty input", raw: nil, want: Human},
		{name: "header only", raw: []byte("Subject: hi"), want: Human},
	})
}

func TestListSignals(t *testing.T) {
	runCases(t, []tcase{
		{name: "List-Id", raw: mail(withSubject("[dev] release", "List-Id: Dev list <dev.lists.example.org>"), "x"), want: List, reason: "List-Id"},
		{name: "Mailing-List", raw: mail(withSubject("digest", "Mailing-List: contact dev-help@example.org; run by ezmlm"), "x"), want: List, reason: "Mailing-List"},
		{name: "newsletter: List-Unsubscribe + Precedence bulk", raw: mail(withSubject("Our spring sale",
			"List-Unsubscribe: <https://news.example.com/u/1>", "Precedence: bulk"), "x"), want: List, reason: "List-Unsubscribe"},
		{name: "newsletter: one-click unsubscribe", raw: mail(withSubject("Our spring sale",
			"List-Unsubscribe: <https://news.example.com/u/1>", "List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "x"), want: List, reason: "List-Unsubscribe-Post"},
		{name: "Precedence list", raw: mail(withSubject("post", "Precedence: list"), "x"), want: List},
		{name: "Precedence bulk, not a reply", raw: mail(withSubject("Weekly report", "Precedence: bulk"), "x"), want: List},
	})
}

const dsnTwoRecipients = `--B
Content-Type: text/plain

This is the mail system at host mx.example.com.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
Arrival-Date: Mon, 6 Jan 2025 10:00:00 +0100

Final-Recipient: rfc822; Bob@Example.NET
Original-Recipient: rfc822;bob@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address
    rejected: User unknown

Final-Recipient: rfc822; carol@example.org
Action: delayed
Status: 4.4.7
Diagnostic-Code: smtp; 451 4.4.7 try again later

Final-Recipient: rfc822; dave@example.org
Action: delivered
Status: 2.0.0

--B
Content-Type: text/rfc822-headers

From: support@helpdesk.example
To: bob@example.net, carol@example.org, dave@example.org
Subject: Your ticket
Message-ID: <out-99@helpdesk.example>

--B--
`

func TestReports(t *testing.T) {
	dsn := func(ct, body string, extra ...string) []byte {
		h := append([]string{
			"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>",
			"To: support@helpdesk.example",
			"Subject: Undelivered Mail Returned to Sender",
			"Auto-Submitted: auto-replied",
			"Content-Type: " + ct,
		}, extra...)
		return mail(h, body)
	}
	r := classifyRaw(dsn(`multipart/report; report-type=delivery-status; boundary="B"`, dsnTwoRecipients), "")
	if r.Kind != Bounce || r.OriginalMessageID != "out-99@helpdesk.example" {
		t.Fatalf("got %+v", r)
	}
	want := []Recipient{
		{Address: "bob@example.net", Status: "5.1.1", ReplyCode: "550", Hard: true, Diagnostic: "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown"},
		{Address: "carol@example.org", Status: "4.4.7", ReplyCode: "451", Hard: false, Diagnostic: "451 4.4.7 try again later"},
	}
	if len(r.Recipients) != len(want) {
		t.Fatalf("recipients = %+v", r.Recipients)
	}
	for i := range want {
		if r.Recipients[i] != want[i] {
			t.Errorf("recipient %d = %+v, want %+v", i, r.Recipients[i], want[i])
		}
	}

	success := strings.NewReplacer("Action: failed", "Action: relayed", "Action: delayed", "Action: expanded", "Status: 5.1.1", "Status: 2.0.0", "Status: 4.4.7", "Status: 2.0.0").Replace(dsnTwoRecipients)
	runCases(t, []tcase{
		{name: "delivery-success DSN", raw: dsn(`multipart/report; report-type=delivery-status; boundary="B"`, success), envelope: "<>",
			want: DeliverySuccess, origID: "out-99@helpdesk.example"},
		{name: "DSN without report-type, wrapped in multipart/mixed", raw: dsn(`multipart/mixed; boundary="B"`, dsnTwoRecipients),
			want: Bounce, reason: "delivery-status"},
		{name: "ARF feedback report", raw: mail([]string{
			"From: feedback@arf.mail.example.net", "To: abuse@helpdesk.example", "Subject: FW: complaint",
			`Content-Type: multipart/report; report-type=feedback-report; boundary="F"`},
			"--F\nContent-Type: text/plain\n\nThis is an abuse report.\n--F\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: SomeGenerator/1.0\nVersion: 1\n"+
				"--F\nContent-Type: message/rfc822\n\nFrom: support@helpdesk.example\nMessage-ID: <out-5@helpdesk.example>\nSubject: hi\n\nbody\n--F--\n"),
			want: FeedbackReport, origID: "out-5@helpdesk.example"},
		{name: "ARF without report-type from a mailer-daemon", raw: mail([]string{
			"From: MAILER-DAEMON@example.net", "To: abuse@helpdesk.example", "Subject: complaint", `Content-Type: multipart/report; boundary="F"`},
			"--F\nContent-Type: text/plain\n\nreport\n--F\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n--F--\n"),
			want: FeedbackReport},
		{name: "TLS report (other report type)", raw: mail([]string{"From: noreply-smtp-tls-reporting@google.com", "To: tls@helpdesk.example",
			"Subject: Report Domain: helpdesk.example", `Content-Type: multipart/report; report-type="tlsrpt"; boundary="T"`},
			"--T\nContent-Type: text/plain\n\nThis is an aggregate TLS report.\n--T\nContent-Type: application/tlsrpt+gzip\n\nH4sI\n--T--\n"),
			want: AutoReply, reason: "tlsrpt"},
		{name: "Apple Mail unsubscribe", raw: mail(withSubject("unsubscribe", "Auto-Submitted: auto-replied", "X-Apple-Unsubscribe: true"), "Apple Mail sent this email to unsubscribe."),
			want: FeedbackReport},
	})
}

func TestProseBounces(t *testing.T) {
	daemon := func(subject string, extra ...string) []string {
		return append([]string{
			"From: MAILER-DAEMON@mx.example.com",
			"To: support@helpdesk.example",
			"Subject: " + subject,
		}, extra...)
	}
	cases := []struct {
		name     string
		raw      []byte
		envelope string
		addr     string
		status   string
		code     string
		hard     bool
		origID   string
	}{
		{name: "qmail", raw: mail(daemon("failure notice"), `Hi. This is the qmail-send program at mx.example.com.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<bob@example.net>:
192.0.2.1 does not like recipient.
Remote host said: 550 5.1.1 <bob@example.net>... User Unknown
Giving up on 192.0.2.1.

--- Below this line is a copy of the message.

Return-Path: <support@helpdesk.example>
Message-ID: <out-1@helpdesk.example>
To: bob@example.net
`), addr: "bob@example.net", status: "5.1.1", code: "550", hard: true, origID: "out-1@helpdesk.example"},
		{name: "Exim with X-Failed-Recipients", raw: mail([]string{
			"From: Mail Delivery System <Mailer-Daemon@mx.example.com>", "To: support@helpdesk.example",
			"Subject: Mail delivery failed: returning message to sender", "X-Failed-Recipients: bob@example.net", "Auto-Submitted: auto-replied"}, `This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  bob@example.net
    host mx.example.net [192.0.2.2]
    SMTP error from remote mail server after RCPT TO:<bob@example.net>:
    550 5.2.2 mailbox full

------ This is a copy of the message, including all the headers. ------

Message-Id: <out-2@helpdesk.example>
`), addr: "bob@example.net", status: "5.2.2", code: "550", hard: true, origID: "out-2@helpdesk.example"},
		{name: "Gmail delay", raw: mail([]string{"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>", "To: support@helpdesk.example",
			"Subject: Delivery Status Notification (Delay)"}, `This is an automatically generated Delivery Status Notification

THIS IS A WARNING MESSAGE ONLY.

YOU DO NOT NEED TO RESEND YOUR MESSAGE.

Delivery to the following recipient has been delayed:

     carol@example.org

Message will be retried for 2 more day(s)

Technical details of temporary failure:
The recipient server did not accept our requests to connect. [example.org. (10): Connection timed out]
`), addr: "carol@example.org", hard: false},
		{name: "Exchange undeliverable from postmaster with null envelope", envelope: "<>", raw: mail([]string{"From: postmaster@corp.example", "To: support@helpdesk.example",
			"Subject: Undeliverable: Your ticket"}, `Your message did not reach some or all of the intended recipients.

      Subject:	Your ticket

The following recipient(s) cannot be reached:

      dave@corp.example on 06/01/2025 10:00
            The e-mail account does not exist at the organization this message was sent to.
            <mx.corp.example #5.1.1 smtp;550 5.1.1 User unknown>
`), addr: "dave@corp.example", status: "5.1.1", code: "550", hard: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := "mailer-daemon@mx.example.com"
			if c.envelope == "<>" {
				env = ""
			}
			r := classifyRaw(c.raw, env)
			if r.Kind != Bounce {
				t.Fatalf("kind = %s (%s), want bounce", r.Kind, r.Reason)
			}
			if len(r.Recipients) != 1 {
				t.Fatalf("recipients = %+v", r.Recipients)
			}
			got := r.Recipients[0]
			if got.Address != c.addr || got.Status != c.status || got.ReplyCode != c.code || got.Hard != c.hard {
				t.Errorf("recipient = %+v, want %s %s %s hard=%v", got, c.addr, c.status, c.code, c.hard)
			}
			if c.origID != "" && r.OriginalMessageID != c.origID {
				t.Errorf("OriginalMessageID = %q, want %q", r.OriginalMessageID, c.origID)
			}
		})
	}
}

func TestBounceBeforeAutoReply(t *testing.T) {
	// Bounces often carry Auto-Submitted; the bounce must win.
	raw := mail([]string{"From: MAILER-DAEMON@mx.example.com", "To: support@helpdesk.example",
		"Subject: Undelivered Mail Returned to Sender", "Auto-Submitted: auto-replied", "Precedence: bulk", "List-Id: <x.example.com>",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="B"`}, dsnTwoRecipients)
	if r := classifyRaw(raw, ""); r.Kind != Bounce {
		t.Fatalf("got %s (%s)", r.Kind, r.Reason)
	}
}

func TestAmazonSESNotification(t *testing.T) {
	raw := mail([]string{"From: SES <no-reply@sns.amazonaws.com>", "To: ops@helpdesk.example", "Subject: AWS Notification Message", plain},
		`{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"Bob@example.net","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}]},"mail":{"messageId":"0101-abc","headers":[{"name":"Message-ID","value":"<out-3@helpdesk.example>"}]}}`)
	r := classifyRaw(raw, "x@amazonses.com")
	if r.Kind != Bounce || r.OriginalMessageID != "out-3@helpdesk.example" || len(r.Recipients) != 1 ||
		r.Recipients[0] != (Recipient{Address: "bob@example.net", Status: "5.1.1", ReplyCode: "550", Hard: true, Diagnostic: "550 5.1.1 user unknown"}) {
		t.Fatalf("got %+v", r)
	}
	complaint := strings.Replace(string(raw), `"notificationType":"Bounce"`, `"notificationType":"Complaint"`, 1)
	if r := classifyRaw([]byte(complaint), "x@amazonses.com"); r.Kind != FeedbackReport {
		t.Fatalf("complaint: got %+v", r)
	}
}

// TestHumanIsHeaderOnly checks the cheap path: ordinary human mail is
// decided from the header, without building the view of the MIME tree.
func TestHumanIsHeaderOnly(t *testing.T) {
	r, m := classify(mailparse.Parse(typicalHumanMail()), "alice@example.com")
	if r.Kind != Human {
		t.Fatalf("got %s (%s)", r.Kind, r.Reason)
	}
	if m.tree != nil {
		t.Fatal("the body of human mail was parsed")
	}
}

func TestNothingParsed(t *testing.T) {
	if r := Classify(nil, ""); r.Kind != AutoReply || r.Reason != "null reverse-path" {
		t.Errorf("nil message, null sender: %+v", r)
	}
	if r := Classify(mailparse.Parse(nil), "a@example.org"); r.Kind != Human {
		t.Errorf("empty message: %+v", r)
	}
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]string{
		`"Neko, Nyaan" <Neko@Example.org>`:             "neko@example.org",
		`MAILER-DAEMON@AOL.com (Mail Delivery System)`: "mailer-daemon@aol.com",
		`<>`:            "",
		`MAILER-DAEMON`: "mailer-daemon",
	} {
		if got := addrSpec(in); got != want {
			t.Errorf("addrSpec(%q) = %q, want %q", in, got, want)
		}
	}
	for cur, want := range map[[2]string]string{
		{"5.0.0", "5.1.1"}: "5.1.1",
		{"5.1.0", "5.7.1"}: "5.7.1",
		{"5.1.1", "5.7.1"}: "5.1.1",
		{"4.0.0", "5.1.1"}: "4.0.0",
		{"", "4.4.1"}:      "4.4.1",
	} {
		if got := refineStatus(cur[0], cur[1]); got != want {
			t.Errorf("refineStatus(%q, %q) = %q, want %q", cur[0], cur[1], got, want)
		}
	}
}

func TestParseDSNLenient(t *testing.T) {
	for name, c := range map[string]struct {
		body string
		want []dsnRecipient
	}{
		"blank lines inside a block": {"Reporting-MTA: dns;x\n\n\nOriginal-Recipient:rfc822;a@x.org\n\nStatus:5.5.0\n\nDiagnostic-Code:smtp;550 no\n",
			[]dsnRecipient{{original: "a@x.org", status: "5.5.0", diag: "smtp;550 no"}}},
		"no blank line between recipients": {"Final-Recipient: rfc822; a@x.org\nAction: failed\nFinal-Recipient: rfc822; b@x.org\nAction: delayed\n",
			[]dsnRecipient{{final: "a@x.org", action: "failed"}, {final: "b@x.org", action: "delayed"}}},
		"action first, Final before Original": {"Action: failed\nStatus: 5.1.1\nFinal-Recipient: rfc822;a@x.org\nOriginal-Recipient: rfc822;A@x.org\n\nAction: failed\nStatus: 5.2.2\nFinal-Recipient: rfc822;b@x.org\n",
			[]dsnRecipient{{final: "a@x.org", original: "a@x.org", action: "failed", status: "5.1.1"}, {final: "b@x.org", action: "failed", status: "5.2.2"}}},
		"pipe destination": {"Final-Recipient: rfc822; |/usr/bin/procmail user@x.org\nAction: failed\n",
			[]dsnRecipient{{final: "user@x.org", action: "failed"}}},
	} {
		got := parseDSN(c.body)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %+v", name, got)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: recipient %d = %+v, want %+v", name, i, got[i], c.want[i])
			}
		}
	}
}
