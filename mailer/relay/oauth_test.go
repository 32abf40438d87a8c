package relay_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/mailer/oauth"
	"github.com/postdesk/postdesk/mailer/oauth/oauthtest"
	"github.com/postdesk/postdesk/mailer/relay"
)

// auths renders the relay's AUTH attempts as "MECH user ok|refused".
func auths(r *oauthtest.SMTP) []string {
	var out []string
	for _, a := range r.Attempts() {
		v := "refused"
		if a.OK {
			v = "ok"
		}
		out = append(out, a.Mech+" "+a.User+" "+v)
	}
	return out
}

type memGrants struct {
	mu     sync.Mutex
	rt     string
	needed bool
}

func (m *memGrants) OAuthToken(context.Context, int64) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rt, m.needed, nil
}
func (m *memGrants) RotateOAuthToken(_ context.Context, _ int64, rt string) error {
	m.mu.Lock()
	m.rt = rt
	m.mu.Unlock()
	return nil
}
func (m *memGrants) OAuthSignInNeeded(context.Context, int64, string) error {
	m.mu.Lock()
	m.needed = true
	m.mu.Unlock()
	return nil
}

const sender = "support@acme.example"

func send(t *testing.T, tr *relay.SMTPTransport, subject string) error {
	t.Helper()
	_, err := tr.Send(context.Background(), sender, []string{"customer@example.com"}, []byte("Subject: "+subject+"\r\n\r\nHello.\r\n"), func() error { return nil })
	return err
}

func TestRelayWithOAuth2(t *testing.T) {
	for _, mechs := range [][]string{{"XOAUTH2"}, {"PLAIN", "XOAUTH2", "OAUTHBEARER"}} {
		want := mechs[len(mechs)-1]
		t.Run(want, func(t *testing.T) {
			fp := oauthtest.Start(t)
			fp.User = sender
			ms := oauth.NewMicrosoft(oauth.MicrosoftConfig{ClientID: oauthtest.ClientID, Tenant: oauthtest.Tenant, Authority: fp.URL})
			store := &memGrants{rt: fp.Grant(sender)}
			src := oauth.NewSource(ms, store, 1, nil, nil)
			r := oauthtest.StartSMTP(t, fp, mechs...)
			tr, err := relay.NewSMTPTransport(relay.Config{Addr: r.Addr, TLS: "none", User: sender, Token: src, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if err := send(t, tr, "one"); err != nil {
				t.Fatal(err)
			}
			if a := auths(r); len(a) != 1 || a[0] != want+" "+sender+" ok" || len(r.Mails()) != 1 {
				t.Fatalf("auths %v, %d mails", a, len(r.Mails()))
			}

			// The token ends early; a new session is refused once, refreshes, and sends.
			fp.ExpireAccessTokens()
			tr.Close() // no idle session: the next mail dials
			if err := send(t, tr, "two"); err != nil {
				t.Fatal(err)
			}
			if a := auths(r); len(a) != 3 || !strings.HasSuffix(a[1], "refused") || !strings.HasSuffix(a[2], "ok") || len(r.Mails()) != 2 || fp.Refreshes() != 2 {
				t.Fatalf("after early expiry: auths %v, %d mails, %d refreshes", a, len(r.Mails()), fp.Refreshes())
			}

			// Revoked: the mail is kept for later (not a permanent failure), the grant needs
			// sign-in, and later mails neither ask the provider nor open sessions.
			fp.Revoke()
			tr.Close()
			err = send(t, tr, "three")
			if !errors.Is(err, oauth.ErrSignInNeeded) || errors.Is(err, relay.ErrPermanent) || !store.needed {
				t.Fatalf("revoked: %v (permanent %v), needed %v", err, errors.Is(err, relay.ErrPermanent), store.needed)
			}
			sessions := r.Sessions()
			asked := fp.Refreshes()
			for range 3 {
				if err := send(t, tr, "more"); !errors.Is(err, oauth.ErrSignInNeeded) {
					t.Fatalf("later: %v", err)
				}
			}
			if s := r.Sessions(); s != sessions || fp.Refreshes() != asked {
				t.Errorf("after revocation: %d more sessions, %d more refreshes", s-sessions, fp.Refreshes()-asked)
			}
		})
	}
}

func TestRelayOAuth2RefusedForGoodIsTemporary(t *testing.T) {
	fp := oauthtest.Start(t)
	fp.User = "someone-else@acme.example" // the token is not the sender's: SMTP AUTH refuses it
	ms := oauth.NewMicrosoft(oauth.MicrosoftConfig{ClientID: oauthtest.ClientID, Tenant: oauthtest.Tenant, Authority: fp.URL})
	src := oauth.NewSource(ms, &memGrants{rt: fp.Grant(fp.User)}, 1, nil, nil)
	r := oauthtest.StartSMTP(t, fp, "XOAUTH2")
	tr, _ := relay.NewSMTPTransport(relay.Config{Addr: r.Addr, TLS: "none", User: sender, Token: src, Timeout: 5 * time.Second})
	err := send(t, tr, "one")
	if err == nil || errors.Is(err, relay.ErrPermanent) || !strings.Contains(err.Error(), "XOAUTH2 as support@acme.example refused") {
		t.Fatalf("err = %v", err)
	}
	for _, tok := range fp.RefreshTokens() {
		if strings.Contains(err.Error(), tok) {
			t.Error("a token shows in the error")
		}
	}
	if a := auths(r); len(a) != 2 {
		t.Errorf("auths %v, want two tries", a)
	}
}
