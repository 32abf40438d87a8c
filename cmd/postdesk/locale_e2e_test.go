package main

import (
	"mime"
	"net/url"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
)

// readable is a relayed mail's decoded subject and text parts.
func readable(m sentMail) string {
	subj, err := new(mime.WordDecoder).DecodeHeader(m.h.Get("Subject"))
	if err != nil {
		subj = m.h.Get("Subject")
	}
	return subj + "\n" + mailText(m.h.Get("Content-Type"), m.h.Get("Content-Transfer-Encoding"), m.body())
}

func (m sentMail) body() *strings.Reader {
	_, b, _ := strings.Cut(strings.ReplaceAll(m.raw, "\r\n", "\n"), "\n\n")
	return strings.NewReader(b)
}

// On a French property every mail a customer or an agent reads is French.
func TestFrenchPropertyMailsInFrench(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			if code, _, errs := postdesk(t, dsn, "property", "add", "--slug", "de", "--name", "De", "--locale", "de", "--domain", "desk.example"); code != 2 || !strings.Contains(errs, "en, es, fr, it") {
				t.Fatalf("--locale de: exit %d: %s", code, errs)
			}
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--locale", "fr-CA", "--domain", "desk.example")
			for _, a := range []string{"alice", "bob"} {
				must(t, dsn, "agent", "add", "--property", "acme", "--email", a+"@acme.example", "--name", strings.ToUpper(a[:1])+a[1:], "--role", "admin")
			}
			if code, _, errs := postdesk(t, dsn, "property", "set", "--slug", "acme", "--locale", "de", "--domain", "desk.example"); code != 2 || !strings.Contains(errs, "en, es, fr, it") {
				t.Fatalf("set --locale de: exit %d: %s", code, errs)
			}
			must(t, dsn, "property", "set", "--slug", "acme", "--locale", "fr", "--domain", "desk.example")
			token := strings.TrimSpace(must(t, dsn, "agent", "token", "--property", "acme", "--email", "alice@acme.example", "--name", "laptop"))
			dk := &desk{t: t, dsn: dsn, relay: mailertest.Start(t)}
			smtpAddr, _, httpAddr := startServeHTTP(t, dsn, "--relay", dk.relay.Addr, "--relay-tls", "none")
			dk.smtp = smtpAddr
			d := &agentDesk{desk: dk, copies: map[string]sentMail{}}
			base := "http://" + httpAddr

			check := func(what string, m sentMail, french string, english ...string) {
				t.Helper()
				text := readable(m)
				if !strings.Contains(text, french) {
					t.Errorf("%s lacks %q:\n%s", what, french, text)
				}
				for _, en := range english {
					if strings.Contains(text, en) {
						t.Errorf("%s holds the English %q:\n%s", what, en, text)
					}
				}
			}
			// A contact form post without a subject: acknowledgement and notifications.
			form := url.Values{"name": {"Ann"}, "email": {"ann@customer.example"}, "message": {"Mon imprimante brûle."}}
			if code, body := httpCall(t, "POST", base+"/api/v1/properties/acme/form", "", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"); code != 202 {
				t.Fatalf("form: %d %s", code, body)
			}
			ms := d.newMail(3)
			ack := to(ms, "ann@customer.example")
			if len(ack) != 1 {
				t.Fatalf("%d acknowledgements", len(ack))
			}
			check("acknowledgement", ack[0], "Message du formulaire de contact", "Message from the contact form", "Please type your reply")
			note := to(ms, "alice@acme.example")
			if len(note) != 1 {
				t.Fatalf("alice got %d mails", len(note))
			}
			check("notification", note[0], "Message du formulaire de contact", "Message from the contact form", "Please type your reply")
			check("notification", note[0], "Veuillez écrire votre réponse")
			d.copies["alice"] = note[0]

			// An unknown command: the error mail is French, its detail line too.
			d.replyAs("alice", "#frobnicate\n\nMerci.")
			errMail := d.newMail(1)[0]
			check("command error", errMail, "commande #frobnicate inconnue", "unknown command", "could not be run", "agent email")

			// The mailed export.
			code, body := httpCall(t, "POST", base+"/api/v1/properties/acme/export", token, strings.NewReader(`{"numbers": [1], "mail_to": "bob@acme.example"}`), "application/json")
			if code != 202 {
				t.Fatalf("export: %d %s", code, body)
			}
			ex := d.newMail(1)[0]
			check("export", ex, "Vous trouverez en pièce jointe l'export de 1 tickets", "export of", "asked for is attached")
			if !strings.Contains(ex.raw, "filename") {
				t.Errorf("export has no attachment:\n%s", ex.raw)
			}
			code, body = httpCall(t, "PATCH", base+"/api/v1/properties/acme", token, strings.NewReader(`{"locale": "de"}`), "application/json")
			if code == 200 || !strings.Contains(body, "en, es, fr, it") {
				t.Errorf("PATCH locale de: %d %s", code, body)
			}
			d.quiet()
		})
	}
}
