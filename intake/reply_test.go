package intake

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailparse"
	"github.com/postdesk/postdesk/replytoken"
)

func TestForwarded(t *testing.T) {
	for _, tc := range []struct {
		name, raw      string
		email, subject string
		textHas        string
	}{
		{"gmail fwd", "Subject: Fwd: Broken\n\nFYI\n\n---------- Forwarded message ---------\nFrom: Zed Client <zed@client.example>\nDate: Sat, 28 Nov 2026\nSubject: Broken\nTo: <a@acme.example>\n\nIt is broken.\n", "zed@client.example", "Broken", "It is broken."},
		{"outlook german", "Subject: WG: Rechnung\n\n\n________________________________\nVon: Max Muster [mailto:max@kunde.example]\nGesendet: Freitag, 27. November 2026 10:00\nAn: support@acme.example\nBetreff: Rechnung\n\nDie Rechnung fehlt.\n", "max@kunde.example", "Rechnung", "Die Rechnung fehlt."},
		{"attached message", "Subject: Refund\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee below\n--b\nContent-Type: message/rfc822\n\nFrom: Yan <yan@client.example>\nSubject: Money back\n\nI want it.\n--b--\n", "yan@client.example", "Money back", "I want it."},
		{"no forward subject", "Subject: Question\n\nFrom: Zed <zed@client.example>\nSubject: x\n\nbody\n", "", "", ""},
		{"forward without header block", "Subject: Fwd: nothing\n\njust text\n", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fw := forwarded(mailparse.Parse([]byte(strings.ReplaceAll(tc.raw, "\n", "\r\n"))))
			if tc.email == "" {
				if fw != nil {
					t.Fatalf("found %+v", fw)
				}
				return
			}
			if fw == nil || fw.From.Email != tc.email || fw.Subject != tc.subject || !strings.Contains(fw.Text, tc.textHas) {
				t.Fatalf("got %+v", fw)
			}
		})
	}
}

func FuzzEmbeddedMail(f *testing.F) {
	f.Add("From: a <a@b.example>\nSubject: x\n\nbody")
	f.Add("Von: [mailto:\nBetreff:\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		if fw := embeddedMail(s); fw != nil && fw.From.Email == "" {
			t.Fatalf("forward without a sender: %+v", fw)
		}
		parseFrom(s)
	})
}

// signed is an agent's reply with a command, DKIM-signed by domain with key.
func signed(t *testing.T, key ed25519.PrivateKey, domain, msg string) []byte {
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(strings.ReplaceAll(msg, "\n", "\r\n")), &dkim.SignOptions{Domain: domain, Selector: "s1", Signer: key}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestCommandsRequireDKIM(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		if _, err := f.s.AddAgent(ctx, f.p.ID, "alice@acme.example", "Alice", "support"); err != nil {
			t.Fatal(err)
		}
		pub, key, _ := ed25519.GenerateKey(rand.Reader)
		f.pl.RequireDKIM = true
		f.pl.LookupTXT = func(name string) ([]string, error) {
			if name == "s1._domainkey.acme.example" || name == "s1._domainkey.evil.example" {
				return []string{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}, nil
			}
			return nil, errors.New("no such record")
		}
		f.deliver(t, "ann@customer.example", "From: ann@customer.example\nSubject: Help\nMessage-ID: <c1@customer.example>\n\nHelp me.\n")
		a, _ := f.s.AgentByEmail(ctx, f.p.ID, "alice@acme.example")
		secret, _ := f.s.Secret(ctx)
		tok := replytoken.Address("acme", replytoken.Sign(secret, f.p.ID, replytoken.Claims{TicketID: 1, AgentID: a.ID}), "desk.example")
		reply := func(id, domain string, sign bool) {
			msg := "From: alice@acme.example\nTo: " + tok + "\nSubject: Re: Help\nMessage-ID: <" + id + "@acme.example>\n\n#priority high\n"
			raw := []byte(strings.ReplaceAll(msg, "\n", "\r\n"))
			if sign {
				raw = signed(t, key, domain, msg)
			}
			if _, err := f.pl.Deliver(ctx, f.p, []string{tok}, Prepare("alice@acme.example", raw)); err != nil {
				t.Fatal(err)
			}
		}
		priority := func() string {
			tk, err := f.s.Ticket(ctx, f.p.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			return tk.Priority
		}
		reply("unsigned", "", false)
		reply("other-domain", "evil.example", true) // a valid signature, not aligned with From
		if p := priority(); p != "normal" {
			t.Fatalf("commands ran without an aligned signature: priority %s", p)
		}
		reply("aligned", "acme.example", true)
		if p := priority(); p != "high" {
			t.Fatalf("commands with an aligned DKIM signature did not run: priority %s", p)
		}
	})
}
