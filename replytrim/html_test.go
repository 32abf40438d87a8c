package replytrim

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Small but realistic bodies, written after what each client sends.
var htmlCases = []struct {
	name       string
	body       string
	markers    []string
	wantReply  string   // exact text reply
	wantElided []string // substrings of the text elided part
	keep       []string // substrings the trimmed HTML must keep
	drop       []string // substrings the trimmed HTML must lose
}{
	{
		name:       "gmail top posting with signature",
		body:       `<div dir="ltr">Thanks, that fixed it!<div><br></div><div>One more question: can I export the invoices?</div><div><br clear="all"><div><br></div>-- <br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr">Jane Doe<div>ACME Corp</div></div></div></div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Mar 5, 2024 at 10:12 AM Support &lt;<a href="mailto:help@example.com">help@example.com</a>&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div dir="ltr">Hi Jane,<div>please clear the cache.</div></div></blockquote></div>`,
		wantReply:  "Thanks, that fixed it!\n\nOne more question: can I export the invoices?",
		wantElided: []string{"Jane Doe", "On Tue, Mar 5, 2024 at 10:12 AM Support <help@example.com> wrote:", "> please clear the cache."},
		keep:       []string{"Thanks, that fixed it!", "export the invoices?"},
		drop:       []string{"gmail_quote", "gmail_signature", "Jane Doe", "clear the cache", "-- "},
	},
	{
		name:       "gmail inline answers between quotes",
		body:       `<div dir="ltr">See my answers below.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Wed, Mar 6, 2024 at 9:00 AM Support &lt;help@example.com&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex"><div>Which version do you run?</div></blockquote><div>Version 4.2.</div><div><br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex"><div>Did you restart?</div></blockquote><div>Yes, twice.</div><blockquote class="gmail_quote"><div>Regards, Support</div></blockquote></div>`,
		wantReply:  "See my answers below.\n\n> Which version do you run?\nVersion 4.2.\n\n> Did you restart?\nYes, twice.",
		wantElided: []string{"wrote:", "> Regards, Support"},
		keep:       []string{"Which version do you run?", "Version 4.2.", "Did you restart?", "Yes, twice."},
		drop:       []string{"gmail_attr", "Regards, Support"},
	},
	{
		name:       "apple mail on iOS",
		body:       `<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto">Sounds good, see you Monday.<br><br><div dir="ltr">Sent from my iPhone</div><div dir="ltr"><br><blockquote type="cite">On 7 Mar 2024, at 14:03, Support &lt;help@example.com&gt; wrote:<br><br></blockquote></div><blockquote type="cite"><div dir="ltr"><div>Can we meet on Monday?</div></div></blockquote></body></html>`,
		wantReply:  "Sounds good, see you Monday.",
		wantElided: []string{"Sent from my iPhone", "On 7 Mar 2024, at 14:03, Support <help@example.com> wrote:", "Can we meet on Monday?"},
		keep:       []string{"<html>", "<head>", "Sounds good, see you Monday."},
		drop:       []string{"Sent from my iPhone", "blockquote", "Can we meet"},
	},
	{
		name:       "apple mail on macOS",
		body:       `<html><head></head><body style="word-wrap: break-word;">Here is the log you asked for.<div><br></div><div>Tom</div><div><br><div><blockquote type="cite"><div>On 8 Mar 2024, at 09:15, Support &lt;help@example.com&gt; wrote:</div><br class="Apple-interchange-newline"><div><div>Could you send the log file?</div></div></blockquote></div><br></div></body></html>`,
		wantReply:  "Here is the log you asked for.\n\nTom",
		wantElided: []string{"> On 8 Mar 2024, at 09:15, Support <help@example.com> wrote:", "> Could you send the log file?"},
		keep:       []string{"Here is the log you asked for.", "<div>Tom</div>"},
		drop:       []string{"blockquote", "Could you send"},
	},
	{
		name:       "outlook on the web",
		body:       `<html><head><style type="text/css">P {margin-top:0;margin-bottom:0;}</style></head><body dir="ltr"><div style="font-family: Calibri, Arial; font-size: 12pt;">Please close the ticket, the printer works again.</div><div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt"><b>From:</b> Support &lt;help@example.com&gt;<br><b>Sent:</b> Friday, March 8, 2024 11:02<br><b>To:</b> Bob &lt;bob@example.com&gt;<br><b>Subject:</b> Re: Printer offline</font><div>&nbsp;</div></div><div><div>Did you try turning it off and on again?</div></div></body></html>`,
		wantReply:  "Please close the ticket, the printer works again.",
		wantElided: []string{"From: Support <help@example.com>", "Did you try turning it off and on again?"},
		keep:       []string{"<style", "printer works again"},
		drop:       []string{"divRplyFwdMsg", "appendonsend", "<hr", "turning it off"},
	},
	{
		name:       "outlook desktop",
		body:       `<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta name=Generator content="Microsoft Word 15 (filtered medium)"></head><body lang=EN-US><div class=WordSection1><p class=MsoNormal>Hallo,<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>das Update ist installiert.<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><div><div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal><b>Von:</b> Support &lt;help@example.com&gt; <br><b>Gesendet:</b> Freitag, 8. März 2024 11:02<br><b>An:</b> Klaus &lt;klaus@example.com&gt;<br><b>Betreff:</b> Update<o:p></o:p></p></div></div><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Bitte installieren Sie das Update.<o:p></o:p></p></div></body></html>`,
		wantReply:  "Hallo,\n\ndas Update ist installiert.",
		wantElided: []string{"Von: Support <help@example.com>", "Bitte installieren Sie das Update."},
		keep:       []string{"Hallo,", "das Update ist installiert."},
		drop:       []string{"border-top", "Gesendet", "Bitte installieren"},
	},
	{
		name:       "thunderbird",
		body:       `<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body><p>It crashes when I open the settings.</p><p>Regards,<br>Anna<br></p><div class="moz-signature">-- <br>Anna Schmidt, Example GmbH</div><div class="moz-cite-prefix">Am 08.03.24 um 10:00 schrieb Support:<br></div><blockquote type="cite" cite="mid:abc@example.com"><p>Which page crashes?</p></blockquote></body></html>`,
		wantReply:  "It crashes when I open the settings.\n\nRegards,\nAnna",
		wantElided: []string{"Anna Schmidt", "Am 08.03.24 um 10:00 schrieb Support:", "> Which page crashes?"},
		keep:       []string{"It crashes when I open the settings.", "Anna<br/>"},
		drop:       []string{"moz-signature", "moz-cite-prefix", "Which page crashes?"},
	},
	{
		name:       "yahoo",
		body:       `<html><head></head><body><div class="ydp1 yahoo-style-wrap"><div dir="ltr">I paid the invoice yesterday.</div></div><div id="yahoo_quoted_1234" class="yahoo_quoted"><div style="font-family:Helvetica"><div>On Friday, March 8, 2024, 11:02:00 AM GMT+1, Support &lt;help@example.com&gt; wrote:</div><div><br></div><div>Your invoice is overdue.</div></div></div></body></html>`,
		wantReply:  "I paid the invoice yesterday.",
		wantElided: []string{"Your invoice is overdue."},
		keep:       []string{"I paid the invoice yesterday."},
		drop:       []string{"yahoo_quoted", "overdue"},
	},
	{
		name:       "generic trailing blockquote fragment",
		body:       `<p>Works for me now.</p><p>On Mon, Mar 4, 2024 at 8:00 AM, Support wrote:</p><blockquote><p>Try version 5.</p></blockquote>`,
		wantReply:  "Works for me now.",
		wantElided: []string{"On Mon, Mar 4, 2024 at 8:00 AM, Support wrote:", "> Try version 5."},
		keep:       []string{"<p>Works for me now.</p>"},
		drop:       []string{"blockquote", "Try version 5", "<html>"},
	},
	{
		name:       "helpdesk marker",
		body:       `<div>Yes please, go ahead.</div><div><br></div><div>On Mon, Mar 4, 2024 at 8:00 AM Helpdesk &lt;help@example.com&gt; wrote:</div><div>##- Please type your reply above this line -##</div><div>Ticket #42 was updated.</div><div>Agent: Should we reset your password?</div>`,
		markers:    []string{"##- Please type your reply above this line -##"},
		wantReply:  "Yes please, go ahead.",
		wantElided: []string{"wrote:", "Ticket #42", "reset your password"},
		keep:       []string{"go ahead"},
		drop:       []string{"Ticket #42", "Please type your reply"},
	},
	{
		name:      "no quote at all",
		body:      `<div>Just a <b>short</b> note with <a href="https://example.com">a link</a>.</div><div><img src="cid:logo"></div>`,
		wantReply: "Just a short note with a link.",
		keep:      []string{"<b>short</b>", `<a href="https://example.com">a link</a>`, `<img src="cid:logo"/>`},
	},
}

func TestHTML(t *testing.T) {
	for _, tc := range htmlCases {
		t.Run(tc.name, func(t *testing.T) {
			got, text := HTML(tc.body, tc.markers...)
			if text.Reply != tc.wantReply {
				t.Errorf("text reply\n got: %q\nwant: %q", text.Reply, tc.wantReply)
			}
			for _, s := range tc.wantElided {
				if !strings.Contains(text.Elided, s) {
					t.Errorf("text elided lacks %q:\n%s", s, text.Elided)
				}
			}
			for _, s := range tc.keep {
				if !strings.Contains(got, s) {
					t.Errorf("trimmed HTML lacks %q:\n%s", s, got)
				}
			}
			for _, s := range tc.drop {
				if strings.Contains(got, s) {
					t.Errorf("trimmed HTML still has %q:\n%s", s, got)
				}
			}
			assertWellFormed(t, got)
		})
	}
}

// assertWellFormed checks that the output parses and renders back to itself:
// every element closed, attributes quoted, text escaped.
func assertWellFormed(t *testing.T, s string) {
	t.Helper()
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), body)
	if err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	var b strings.Builder
	for _, n := range nodes {
		if err := html.Render(&b, n); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(strings.ToLower(s), "<html") && b.String() != s {
		t.Errorf("output is not stable under parse and render:\n got: %s\nagain: %s", s, b.String())
	}
}

func TestHTMLTooDeep(t *testing.T) {
	body := "Fine, thanks." + strings.Repeat("<div>", 600) + "deep"
	got, text := HTML(body)
	if !strings.HasPrefix(text.Reply, "Fine, thanks.") || !strings.HasPrefix(got, "Fine, thanks.") {
		t.Errorf("got %q, %q", got, text.Reply)
	}
	assertWellFormed(t, got)
}
