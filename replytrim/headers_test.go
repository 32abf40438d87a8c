package replytrim

import "testing"

// Quote headers as the mail clients write them in each language (Gmail,
// Apple Mail, Thunderbird, Outlook and the Android apps), and the forms the
// text part of an HTML mail gives them.
func TestQuoteHeadersMoreLanguages(t *testing.T) {
	for _, h := range []string{
		// Swedish: Gmail, Apple Mail, Thunderbird.
		"Den mån 15 jan. 2024 kl 10:00 skrev Anna Svensson <anna@example.se>:",
		"15 jan. 2024 kl. 10:00 skrev Anna Svensson <anna@example.se>:",
		"Den 2024-01-15 kl. 10:00, skrev Anna Svensson:",
		"-------- Originalmeddelande --------",
		// Norwegian: Gmail, Apple Mail, Outlook.
		"man. 15. jan. 2024 kl. 10:00 skrev Ola Nordmann <ola@example.no>:",
		"15. jan. 2024 kl. 10:00 skrev Ola Nordmann <ola@example.no>:",
		"-----Opprinnelig melding-----",
		// Danish: Gmail, Thunderbird, Outlook, Android.
		"Den man. 15. jan. 2024 kl. 10.00 skrev Jens Hansen <jens@example.dk>:",
		"Den 15.01.2024 kl. 10:00 skrev Jens Hansen:",
		"-----Oprindelig meddelelse-----",
		"-------- Oprindelig besked --------",
		"-----Oprindelig besked-----",
		// Vietnamese: Gmail, Apple Mail, Thunderbird.
		"Vào Th 2, 15 thg 1, 2024 vào lúc 10:00 Nguyễn Văn An <an@example.vn> đã viết:",
		"Vào lúc 10:00, ngày 15 thg 1, 2024, Nguyễn Văn An <an@example.vn> đã viết:",
		"Vào 15/01/2024 10:00, Nguyễn Văn An đã viết:",
		// Polish: Gmail, Thunderbird, Apple Mail.
		"pon., 15 sty 2024 o 10:00 Jan Kowalski <jan@example.pl> napisał(a):",
		"W dniu 15.01.2024 o 10:00, Jan Kowalski pisze:",
		"Wiadomość napisana przez Jan Kowalski <jan@example.pl> w dniu 15.01.2024, o godz. 10:00:",
		// Russian: Gmail, Thunderbird, Apple Mail.
		"пн, 15 янв. 2024 г. в 10:00, Иван Петров <ivan@example.ru>:",
		"15.01.2024 10:00, Иван Петров пишет:",
		"15 янв. 2024 г., в 10:00, Иван Петров <ivan@example.ru> написал(а):",
		// Finnish: Gmail, Apple Mail, Thunderbird.
		"ma 15. tammik. 2024 klo 10.00 Matti Meikäläinen <matti@example.fi> kirjoitti:",
		"Matti Meikäläinen <matti@example.fi> kirjoitti 15.1.2024 kello 10.00:",
		"Matti Meikäläinen kirjoitti 15.1.2024 10.00:",
		// Turkish Apple Mail.
		"15 Oca 2024 tarihinde 10:00 saatinde, Ali Yılmaz <ali@example.tr> şunları yazdı:",
		// French with the no-break spaces before the colon (U+00A0, U+202F).
		"Le 15/01/2024 à 10:00, Claire Dupont a écrit\u00a0:",
		"Le lun. 15 janv. 2024 à 10:00, Claire Dupont <claire@example.fr> a écrit\u202f:",
		// Date first, short offset, with and without the address.
		"2024-01-05 10:22 GMT+1 Anna Svensson <anna@example.se>:",
		"2024-01-05 10:22 GMT+1 Anna Svensson",
		// Android and Zoho: no date, no address, between dashes.
		"---- Bob Smith wrote ----",
		"> ---- Bob Smith a écrit ----",
	} {
		if !isQuoteHeader(h) {
			t.Errorf("not recognised as a quote header: %q", h)
		}
	}
	for _, s := range []string{
		"---- the list of what Bob wrote was long ----x",
		"Vào thứ hai tôi đã viết thư",
		"Matti kirjoitti raportin.",
		"-- Bob wrote the patch --- and more:",
		"Anna kirjoitti 15 sivua:",
	} {
		if isQuoteHeader(s) {
			t.Errorf("prose taken for a quote header: %q", s)
		}
	}
}

var headerBlockCases = []struct {
	name, body, reply string
}{
	{
		name:  "french outlook block with no-break spaces",
		body:  "C'est fait.\n\nDe\u00a0: Support <support@acme.example>\nEnvoyé\u00a0: lundi 15 janvier 2024 10:00\nÀ\u00a0: Claire <claire@example.fr>\nObjet\u00a0: RE: Ticket\n\nMerci de confirmer.\n",
		reply: "C'est fait.",
	},
	{
		name:  "french outlook block with narrow no-break spaces",
		body:  "C'est fait.\n\nDe\u202f: Support <support@acme.example>\nEnvoyé\u202f: lundi 15 janvier 2024 10:00\nÀ\u202f: Claire <claire@example.fr>\nObjet\u202f: RE: Ticket\n\nMerci de confirmer.\n",
		reply: "C'est fait.",
	},
	{
		name:  "bold french block from an HTML mail's text part",
		body:  "C'est fait.\n\n*De\u00a0:* Support <support@acme.example>\n*Envoyé\u00a0:* lundi 15 janvier 2024 10:00\n*À\u00a0:* Claire <claire@example.fr>\n*Objet\u00a0:* RE: Ticket\n\nMerci de confirmer.\n",
		reply: "C'est fait.",
	},
	{
		name:  "bold english block",
		body:  "Done.\n\n*From:* Support <support@acme.example>\n*Sent:* Monday, January 15, 2024 10:00 AM\n*To:* Bob <bob@example.com>\n*Subject:* RE: Ticket\n\nPlease confirm.\n",
		reply: "Done.",
	},
	{
		name:  "bold header block on one line",
		body:  "Done.\n\n*From:* Support <support@acme.example> *Sent:* Monday, January 15, 2024 10:00 AM *To:* Bob <bob@example.com> *Subject:* RE: Ticket\n\nPlease confirm.\n",
		reply: "Done.",
	},
	{
		name:  "bold field names inside prose stay prose",
		body:  "Please set *To:* to the billing address and *Cc:* to me.\n",
		reply: "Please set *To:* to the billing address and *Cc:* to me.",
	},
	{
		name:  "From line wrapped before the address",
		body:  "Done.\n\nFrom: Support Team of the Acme Corporation Europe\n<support@acme.example>\nSent: Monday, January 15, 2024 10:00 AM\nTo: Bob <bob@example.com>\nSubject: RE: Ticket\n\nPlease confirm.\n",
		reply: "Done.",
	},
	{
		name:  "From line wrapped before an Outlook mailto",
		body:  "Erledigt.\n\nVon: Support Team der Acme Corporation Europe GmbH\n[mailto:support@acme.example]\nGesendet: Montag, 15. Januar 2024 10:00\nAn: Max <max@example.de>\nBetreff: AW: Ticket\n\nBitte bestätigen.\n",
		reply: "Erledigt.",
	},
	{
		name:  "date-first header with a short GMT offset",
		body:  "Tack!\n\n2024-01-05 10:22 GMT+1 Anna Svensson <anna@example.se>:\n\n> Hej\n",
		reply: "Tack!",
	},
	{
		name:  "android dashed header",
		body:  "Thanks!\n\n---- Bob Smith wrote ----\n\nThe printer is on fire.\n",
		reply: "Thanks!",
	},
	{
		name:  "danish android original message",
		body:  "Tak!\n\n-------- Oprindelig besked --------\nFra: Support <support@acme.example>\nDato: 15.01.2024 10:00\nTil: Jens <jens@example.dk>\nEmne: Ticket\n\nHej\n",
		reply: "Tak!",
	},
	{
		name:  "vietnamese gmail header",
		body:  "Cảm ơn!\n\nVào Th 2, 15 thg 1, 2024 vào lúc 10:00 Support <support@acme.example> đã viết:\n> Xin chào\n",
		reply: "Cảm ơn!",
	},
	{
		name:  "finnish apple mail header",
		body:  "Kiitos!\n\n> Matti Meikäläinen <matti@example.fi> kirjoitti 15.1.2024 kello 10.00:\n>\n> Hei\n",
		reply: "Kiitos!",
	},
	{
		name:  "splitter on the line of the reply's last words",
		body:  "Thanks, see you then. On Mon, Jan 15, 2024 at 10:00 AM Support <support@acme.example> wrote:\n> Hello\n",
		reply: "Thanks, see you then.",
	},
	{
		name:  "splitter glued without a space",
		body:  "Merci, à lundi.Le lun. 15 janv. 2024 à 10:00, Support <support@acme.example> a écrit :\n> Bonjour\n",
		reply: "Merci, à lundi.",
	},
	{
		name:  "splitter after a name",
		body:  "Thanks, Bob On Mon, Jan 15, 2024 at 10:00 AM Support <support@acme.example>\nwrote:\n> Hello\n",
		reply: "Thanks, Bob",
	},
	{
		name:  "original message separator glued to the reply",
		body:  "Done, thanks.-----Original Message-----\nFrom: Support <support@acme.example>\nSent: Monday, January 15, 2024 10:00 AM\nTo: Bob\nSubject: Ticket\n\nHello\n",
		reply: "Done, thanks.",
	},
	{
		name:  "prose with a date and a lead word stays whole",
		body:  "We met on Monday. On Jan 15, 2024 the invoice was due:\n- 30 EUR\n",
		reply: "We met on Monday. On Jan 15, 2024 the invoice was due:\n- 30 EUR",
	},
}

func TestHeaderBlocksAndGluedHeaders(t *testing.T) {
	for _, tc := range headerBlockCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.body); got.Reply != tc.reply {
				t.Errorf("reply\n got: %q\nwant: %q", got.Reply, tc.reply)
			}
		})
	}
}

// The same classes in HTML: Outlook's French header block with its
// no-break spaces, and a sign-off below a Gmail quote.
func TestHTMLHeaderBlocksAndBelow(t *testing.T) {
	for _, tc := range []struct{ name, body, reply string }{
		{
			name:  "outlook french block, no-break spaces",
			body:  "<html><body><p>C'est fait.</p><p><b>De&nbsp;:</b> Support &lt;support@acme.example&gt;<br><b>Envoyé&nbsp;:</b> lundi 15 janvier 2024 10:00<br><b>À&nbsp;:</b> Claire<br><b>Objet&nbsp;:</b> RE: Ticket</p><p>Merci de confirmer.</p></body></html>",
			reply: "C'est fait.",
		},
		{
			name:  "outlook french block, narrow no-break spaces",
			body:  "<html><body><p>C'est fait.</p><p><b>De\u202f:</b> Support &lt;support@acme.example&gt;<br><b>Envoyé\u202f:</b> lundi 15 janvier 2024 10:00<br><b>À\u202f:</b> Claire<br><b>Objet\u202f:</b> RE: Ticket</p><p>Merci de confirmer.</p></body></html>",
			reply: "C'est fait.",
		},
		{
			name:  "sign-off below a gmail quote",
			body:  `<html><body><p>Hi Anna,</p><div class="gmail_quote">On Mon, Jan 15, 2024 at 10:00 AM Support &lt;s@acme.example&gt; wrote:<blockquote>Does it work?</blockquote></div><p>Regards, Roman</p></body></html>`,
			reply: "Hi Anna,\n\nRegards, Roman",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, r := HTML(tc.body); r.Reply != tc.reply {
				t.Errorf("reply\n got: %q\nwant: %q", r.Reply, tc.reply)
			}
		})
	}
}
