package replytrim

import (
	"strings"
	"testing"
)

var textCases = []struct {
	name    string
	body    string
	markers []string
	reply   string
	elided  string // exact; "-" means "do not check"
}{
	{
		name:   "top posting above a quoted reply",
		body:   "Yes, it works now.\n\nOn Mon, Mar 4, 2024 at 8:00 AM Support <help@example.com> wrote:\n> Please try again.\n>\n> Support\n",
		reply:  "Yes, it works now.",
		elided: "On Mon, Mar 4, 2024 at 8:00 AM Support <help@example.com> wrote:\n> Please try again.\n>\n> Support",
	},
	{
		name:   "bottom posting",
		body:   "On Mon, Mar 4, 2024 at 8:00 AM Support <help@example.com> wrote:\n> Please try again.\n\nIt works now, thanks.\n\nBob\n",
		reply:  "It works now, thanks.\n\nBob",
		elided: "On Mon, Mar 4, 2024 at 8:00 AM Support <help@example.com> wrote:\n> Please try again.",
	},
	{
		name:   "inline answers between quotes are kept",
		body:   "Hi,\n\n> Which version do you run?\nVersion 4.2.\n\n> Did you restart?\nYes, twice.\n\n> Regards,\n> Support\n",
		reply:  "Hi,\n\n> Which version do you run?\nVersion 4.2.\n\n> Did you restart?\nYes, twice.",
		elided: "> Regards,\n> Support",
	},
	{
		name:   "only a quote is kept: it is all that was sent",
		body:   "> a quote\n> and more\n",
		reply:  "> a quote\n> and more",
		elided: "",
	},
	{
		name:   "standard signature delimiter",
		body:   "See attached.\n\n-- \nBob Smith\nACME Corp\n",
		reply:  "See attached.",
		elided: "-- \nBob Smith\nACME Corp",
	},
	{
		name:   "signature delimiter without the space, and underscores",
		body:   "See attached.\n--\nBob\n",
		reply:  "See attached.",
		elided: "--\nBob",
	},
	{
		name:   "underscore delimiter",
		body:   "See attached.\n__\nBob\n",
		reply:  "See attached.",
		elided: "__\nBob",
	},
	{
		name:   "mobile footers",
		body:   "On my way.\n\nSent from my iPhone\n",
		reply:  "On my way.",
		elided: "Sent from my iPhone",
	},
	{
		name:   "android and outlook footers",
		body:   "On my way.\n\nSent from my Android device\nGet Outlook for iOS<https://aka.ms/o0ukef>\nSent from Outlook\n",
		reply:  "On my way.",
		elided: "Sent from my Android device\nGet Outlook for iOS<https://aka.ms/o0ukef>\nSent from Outlook",
	},
	{
		name:   "a sentence starting like a footer is text",
		body:   "Sent from my iPhone the attachment arrives empty.\nOn the desktop it works.\n",
		reply:  "Sent from my iPhone the attachment arrives empty.\nOn the desktop it works.",
		elided: "",
	},
	{
		name:   "english header wrapped over two lines",
		body:   "Thanks!\n\nOn Mon, Feb 1, 2016 at 6:32 PM, Jeff Atwood <info@example.org>\nwrote:\n\n> Hello\n",
		reply:  "Thanks!",
		elided: "On Mon, Feb 1, 2016 at 6:32 PM, Jeff Atwood <info@example.org> wrote:\n\n> Hello",
	},
	{
		name:   "french header wrapped over three lines",
		body:   "Merci !\nLe 4 janv. 2016 19:03, \"Neil\"\n<neil@example.org>\na écrit :\n\n> Bonjour\n",
		reply:  "Merci !",
		elided: "Le 4 janv. 2016 19:03, \"Neil\" <neil@example.org> a écrit :\n\n> Bonjour",
	},
	{
		name:   "german header",
		body:   "Danke!\n\nAm 03.02.2016 um 15:35 schrieb Max Mustermann <max@example.org>:\n\n> Hallo\n",
		reply:  "Danke!",
		elided: "-",
	},
	{
		name:   "german gmail header wrapped",
		body:   "Danke!\n\nMax Mustermann <max@example.org> schrieb am Fr., 28.\nApr. 2017 um 11:53 Uhr:\n\n> Hallo\n",
		reply:  "Danke!",
		elided: "Max Mustermann <max@example.org> schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:\n\n> Hallo",
	},
	{
		name:  "italian header",
		body:  "Grazie!\n\nIl giorno 26 marzo 2016 alle 13:16, Sam <sam@example.org> ha scritto:\n> Ciao\n",
		reply: "Grazie!", elided: "-",
	},
	{
		name:  "spanish header",
		body:  "¡Gracias!\n\nEl jue, 21 nov 2013 a las 10:00, Ana (<ana@example.org>) escribió:\n> Hola\n",
		reply: "¡Gracias!", elided: "-",
	},
	{
		name:  "portuguese header",
		body:  "Obrigado!\n\nEm seg., 4 de mar. de 2024 às 10:00, Ana <ana@example.org> escreveu:\n> Olá\n",
		reply: "Obrigado!", elided: "-",
	},
	{
		name:  "dutch header",
		body:  "Bedankt!\n\nOp 10 dec. 2015 18:35 schreef \"Arpit\" <arpit@example.org>:\n> Hallo\n",
		reply: "Bedankt!", elided: "-",
	},
	{
		name:  "dutch apple header",
		body:  "Bedankt!\n\n> Op 2 feb. 2015 om 05:28 heeft Sky <sky@example.org> het volgende geschreven:\n> Hallo\n",
		reply: "Bedankt!", elided: "-",
	},
	{
		name:  "swedish header",
		body:  "Tack!\n\nDen mån 15 jan. 2024 kl 10:00 skrev Anna <anna@example.org>:\n> Hej\n",
		reply: "Tack!", elided: "-",
	},
	{
		name:  "danish header",
		body:  "Tak!\n\nDen 15. jan. 2024 kl. 10.00 skrev Anna <anna@example.org>:\n> Hej\n",
		reply: "Tak!", elided: "-",
	},
	{
		name:  "polish gmail header",
		body:  "Dzięki!\n\npon., 15 sty 2024 o 10:00 Anna <anna@example.org> napisał(a):\n> Cześć\n",
		reply: "Dzięki!", elided: "-",
	},
	{
		name:  "russian gmail header",
		body:  "Спасибо!\n\nпн, 15 янв. 2024 г. в 10:00, Анна <anna@example.org>:\n> Привет\n",
		reply: "Спасибо!", elided: "-",
	},
	{
		name:  "japanese gmail header",
		body:  "ありがとう!\n\n2024年1月15日(月) 10:00 Taro <taro@example.org>:\n> こんにちは\n",
		reply: "ありがとう!", elided: "-",
	},
	{
		name:  "chinese gmail header",
		body:  "谢谢!\n\nAnna <anna@example.org> 于2024年1月15日周一 10:00写道：\n> 你好\n",
		reply: "谢谢!", elided: "-",
	},
	{
		name:   "outlook original message",
		body:   "Done.\n\n-----Original Message-----\nFrom: Support <help@example.com>\nSent: Monday, March 4, 2024 8:00 AM\nTo: Bob\nSubject: Ticket\n\nPlease confirm.\n",
		reply:  "Done.",
		elided: "-----Original Message-----\nFrom: Support <help@example.com>\nSent: Monday, March 4, 2024 8:00 AM\nTo: Bob\nSubject: Ticket\n\nPlease confirm.",
	},
	{
		name:  "outlook german original message",
		body:  "Erledigt.\n\n-----Ursprüngliche Nachricht-----\nVon: Support <help@example.com>\nGesendet: Montag, 4. März 2024 08:00\nAn: Klaus\nBetreff: Ticket\n\nBitte bestätigen.\n",
		reply: "Erledigt.", elided: "-",
	},
	{
		name:  "outlook header block without separator, german",
		body:  "Erledigt.\n\nVon: Support <help@example.com>\nGesendet: Montag, 4. März 2024 08:00\nAn: Klaus\nBetreff: Ticket\n\nBitte bestätigen.\n",
		reply: "Erledigt.", elided: "-",
	},
	{
		name:  "outlook header block, french",
		body:  "C'est fait.\n\nDe : Support <help@example.com>\nEnvoyé : lundi 4 mars 2024 08:00\nÀ : Claire\nObjet : Ticket\n\nMerci de confirmer.\n",
		reply: "C'est fait.", elided: "-",
	},
	{
		name:  "outlook header block, italian",
		body:  "Fatto.\n\nDa: Support <help@example.com>\nInviato: lunedì 4 marzo 2024 08:00\nA: Paolo\nOggetto: Ticket\n\nConfermi per favore.\n",
		reply: "Fatto.", elided: "-",
	},
	{
		name:  "outlook header block, spanish",
		body:  "Hecho.\n\nDe: Support <help@example.com>\nEnviado: lunes, 4 de marzo de 2024 8:00\nPara: Ana\nAsunto: Ticket\n\nConfirme por favor.\n",
		reply: "Hecho.", elided: "-",
	},
	{
		name:   "a lone header-like line is text",
		body:   "Please update the address.\nTo: the billing department\nThanks\n",
		reply:  "Please update the address.\nTo: the billing department\nThanks",
		elided: "",
	},
	{
		name:   "forwarded message with a note is trimmed to the note",
		body:   "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Ann <ann@example.org>\nDate: Tue, Jan 1, 2019 at 12:00 PM\nSubject: Hello\nTo: <bob@example.org>\n\nHello Bob.\n",
		reply:  "FYI, see below.",
		elided: "-",
	},
	{
		name:   "CRLF is normalized",
		body:   "Line one\r\nLine two\r\n\r\nOn Mon, Mar 4, 2024 at 8:00 AM Bob <b@example.org> wrote:\r\n> old\r\n",
		reply:  "Line one\nLine two",
		elided: "On Mon, Mar 4, 2024 at 8:00 AM Bob <b@example.org> wrote:\n> old",
	},
	{
		name:    "helpdesk marker with the header above it",
		body:    "Please go ahead.\n\nOn Mon, Mar 4, 2024 at 8:00 AM Helpdesk <help@example.com> wrote:\n> ##- Please type your reply above this line -##\n>\n> Ticket #42 was updated\n",
		markers: []string{"##- Please type your reply above this line -##"},
		reply:   "Please go ahead.",
		elided:  "On Mon, Mar 4, 2024 at 8:00 AM Helpdesk <help@example.com> wrote:\n> ##- Please type your reply above this line -##\n>\n> Ticket #42 was updated",
	},
	{
		name:    "localized helpdesk marker, unquoted and wrapped, no header",
		body:    "Bitte fortfahren.\n\n##- Bitte geben Sie Ihre Antwort über dieser\nZeile ein -##\nIhr Ticket #42 wurde aktualisiert\nDer Agent fragt: Darf ich das Passwort zurücksetzen?\nWeitere Zeilen\nNoch mehr\nUnd mehr\nUnd noch mehr\nEnde\n",
		markers: []string{"##- Bitte geben Sie Ihre Antwort über dieser Zeile ein -##"},
		reply:   "Bitte fortfahren.",
		elided:  "-",
	},
	{
		name:   "code fences protect delimiter-like lines",
		body:   "Here:\n\n```\n####\n# comment\n--\n```\n\nDone.\n",
		reply:  "Here:\n\n```\n####\n# comment\n--\n```\n\nDone.",
		elided: "",
	},
	{
		name:   "shell prompts are not supercite quotes",
		body:   "I ran:\nmysql> SELECT 1;\n",
		reply:  "I ran:\nmysql> SELECT 1;",
		elided: "",
	},
	{
		name:   "supercite quotes",
		body:   "Agreed.\n\nOn Wed, Sep 25, 2013, at 03:57 PM, richard wrote:\n\nRichard> old text\n",
		reply:  "Agreed.",
		elided: "On Wed, Sep 25, 2013, at 03:57 PM, richard wrote:\n\n> old text",
	},
	{
		name:   "PGP clear-signed reply",
		body:   "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSigned reply.\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n",
		reply:  "Signed reply.",
		elided: "-",
	},
	{
		name:   "nothing written above a quoted history",
		body:   "> On Thu, Apr 30, 2020 at 10:07 AM, a <a@example.com> wrote:\n>\n>> hello\n",
		reply:  "",
		elided: "> On Thu, Apr 30, 2020 at 10:07 AM, a <a@example.com> wrote:\n>\n>> hello",
	},
	{
		name:   "empty body",
		body:   "",
		reply:  "",
		elided: "",
	},
}

func TestText(t *testing.T) {
	for _, tc := range textCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Text(tc.body, tc.markers...)
			if got.Reply != tc.reply {
				t.Errorf("reply\n got: %q\nwant: %q", got.Reply, tc.reply)
			}
			if tc.elided != "-" && got.Elided != tc.elided {
				t.Errorf("elided\n got: %q\nwant: %q", got.Elided, tc.elided)
			}
			if strings.Contains(got.Reply, "\r") || strings.Contains(got.Elided, "\r") {
				t.Error("CR left in the output")
			}
		})
	}
}

func TestEmbeddedForward(t *testing.T) {
	body := "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Ann <ann@example.org>\nDate: Tue, Jan 1, 2019 at 12:00 PM\nSubject: Hello\nTo: <bob@example.org>\n\nHello Bob.\n"
	fwd, ok := Embedded(body)
	if !ok {
		t.Fatal("no forwarded message found")
	}
	if fwd.Before != "FYI, see below." {
		t.Errorf("before = %q", fwd.Before)
	}
	want := "From: Ann <ann@example.org>\nDate: Tue, Jan 1, 2019 at 12:00 PM\nSubject: Hello\nTo: <bob@example.org>\n\nHello Bob."
	if fwd.Message != want {
		t.Errorf("message\n got: %q\nwant: %q", fwd.Message, want)
	}
	if _, ok := Embedded("Just text.\n\n> and a quote\n"); ok {
		t.Error("found a forwarded message in a plain reply")
	}
}

func TestMobileSignatureLanguages(t *testing.T) {
	for _, s := range []string{
		"Sent from my iPhone", "Sent from my Android phone", "Get Outlook for Android",
		"Envoyé de mon iPhone", "Von meinem iPhone gesendet", "Enviado desde mi iPhone",
		"Enviado do meu iPhone", "Inviato da iPhone", "Verzonden vanaf mijn iPhone",
		"Skickat från min iPhone", "Sendt fra min iPhone", "Wysłane z iPhone'a",
		"Отправлено с iPhone", "iPhoneから送信", "发自我的iPhone", "從我的 iPhone 傳送",
	} {
		if !isMobileSignature(s) {
			t.Errorf("%q is not recognised as a footer", s)
		}
	}
	for _, s := range []string{"Sentence about the invoice.", "From the logs it seems fine.", "> Sent from my iPhone"} {
		if isMobileSignature(s) {
			t.Errorf("%q taken for a footer", s)
		}
	}
}

func TestQuoteHeaderLanguages(t *testing.T) {
	for _, h := range []string{
		"On Wed, Sep 25, 2013 at 3:57 PM, Bob <bob@example.com> wrote:",
		"On 1/15/24 10:00 AM, Bob wrote:",
		"At 6/16/2016 08:32 PM, you wrote:",
		"---- On Tue, 22 Dec 2015 14:17:36 +0530 Sam<s@example.org> wrote ----",
		"Le 15/01/2024 à 10:00, Claire a écrit :",
		"Il 15/01/2024 10:00, Paolo ha scritto:",
		"El 15/1/24 a las 10:00, Ana escribió:",
		"Em 15/01/2024 10:00, Ana escreveu:",
		"Op 15-01-2024 om 10:00 schreef Jan:",
		"Am 15.01.24 um 10:00 schrieb Max:",
		"Am 15.01.2024 um 10:00 hat Max Mustermann geschrieben:",
		"Den 2024-01-15 kl. 10:00, skrev Anna:",
		"W dniu 15.01.2024 o 10:00, Anna pisze:",
		"Dne 15. 1. 2024 v 10:00 Jan <jan@example.org> napsal(a):",
		"ma 15. tammik. 2024 klo 10.00 Anna <anna@example.org> kirjoitti:",
		"Anna <anna@example.org>, 15 Oca 2024 Pzt, 10:00 tarihinde şunu yazdı:",
		"Anna <anna@example.org> ezt írta (időpont: 2024. jan. 15., H, 10:00):",
		"2024년 1월 15일 (월) 오전 10:00, Anna <anna@example.org>님이 작성:",
		"2024/01/15 10:00、Taro <taro@example.org>のメール:",
		"在 2016年12月12日，下午8:45，Erlend <e@example.org> 写道：",
		"30 серп. 2016 р. 20:45 \"Arpit\" <a@example.org> пише:",
		"2016-03-03 17:21 GMT+01:00 Some One",
		"-----Original Message-----",
		"*-------- Original Message --------*",
		"-------- Message transféré --------",
		"> Begin forwarded message:",
		"Some One <info@example.org> wrote:",
	} {
		if !isQuoteHeader(h) {
			t.Errorf("not recognised as a quote header: %q", h)
		}
	}
	for _, s := range []string{
		"On Monday I wrote the report.",
		"We 2 need help from <support@example.com>",
		"Le client a écrit une lettre.",
		"I wrote:",
		"As discussed on 12 March, see below:",
		"Original message follows",
	} {
		if isQuoteHeader(s) {
			t.Errorf("prose taken for a quote header: %q", s)
		}
	}
}
