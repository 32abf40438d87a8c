package relay_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/mailer/oauth"
	"github.com/postdesk/postdesk/mailer/oauth/oauthtest"
	"github.com/postdesk/postdesk/mailer/relay"
)

// oauthRelay is an SMTP submission server that authenticates with the stand-in provider's
// bearer tokens, as smtp.office365.com and smtp.gmail.com do.
type oauthRelay struct {
	fp    *oauthtest.Provider
	mechs []string
	addr  string

	mu       sync.Mutex
	sessions int
	auths    []string // "MECH user ok|refused"
	mails    []string // from → data
}

func startOAuthRelay(t *testing.T, fp *oauthtest.Provider, mechs ...string) *oauthRelay {
	r := &oauthRelay{fp: fp, mechs: mechs}
	srv := smtp.NewServer(r)
	srv.AllowInsecureAuth = true
	srv.Domain = "relay.test"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	r.addr = ln.Addr().String()
	return r
}

func (r *oauthRelay) NewSession(*smtp.Conn) (smtp.Session, error) {
	r.mu.Lock()
	r.sessions++
	r.mu.Unlock()
	return &relaySession{r: r}, nil
}

func (r *oauthRelay) state() (sessions int, auths, mails []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions, append([]string(nil), r.auths...), append([]string(nil), r.mails...)
}

type relaySession struct {
	r      *oauthRelay
	authed bool
	from   string
}

var errAuth = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication unsuccessful"}

func (s *relaySession) check(mech, user, token string) error {
	owner, ok := s.r.fp.Check(token)
	ok = ok && owner == user
	verdict := "refused"
	if ok {
		verdict, s.authed = "ok", true
	}
	s.r.mu.Lock()
	s.r.auths = append(s.r.auths, mech+" "+user+" "+verdict)
	s.r.mu.Unlock()
	if !ok {
		return errAuth
	}
	return nil
}

func (s *relaySession) AuthMechanisms() []string { return s.r.mechs }

func (s *relaySession) Auth(mech string) (sasl.Server, error) {
	switch mech {
	case oauth.XOAuth2:
		return &oauthtest.XOAuth2Server{Check: func(u, tok string) error { return s.check(mech, u, tok) }, Fail: errAuth}, nil
	case sasl.OAuthBearer:
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if s.check(mech, o.Username, o.Token) != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		}), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 57}, Message: "Client not authenticated"}
	}
	s.from = from
	return nil
}
func (s *relaySession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *relaySession) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	s.r.mu.Lock()
	s.r.mails = append(s.r.mails, s.from+" → "+string(b))
	s.r.mu.Unlock()
	return err
}
func (s *relaySession) Reset()        {}
func (s *relaySession) Logout() error { return nil }

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
			r := startOAuthRelay(t, fp, mechs...)
			tr, err := relay.NewSMTPTransport(relay.Config{Addr: r.addr, TLS: "none", User: sender, Token: src, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if err := send(t, tr, "one"); err != nil {
				t.Fatal(err)
			}
			_, auths, mails := r.state()
			if len(auths) != 1 || auths[0] != want+" "+sender+" ok" || len(mails) != 1 {
				t.Fatalf("auths %v, %d mails", auths, len(mails))
			}

			// The token ends early; a new session is refused once, refreshes, and sends.
			fp.ExpireAccessTokens()
			tr.Close() // no idle session: the next mail dials
			if err := send(t, tr, "two"); err != nil {
				t.Fatal(err)
			}
			_, auths, mails = r.state()
			if len(auths) != 3 || !strings.HasSuffix(auths[1], "refused") || !strings.HasSuffix(auths[2], "ok") || len(mails) != 2 || fp.Refreshes() != 2 {
				t.Fatalf("after early expiry: auths %v, %d mails, %d refreshes", auths, len(mails), fp.Refreshes())
			}

			// Revoked: the mail is kept for later (not a permanent failure), the grant needs
			// sign-in, and later mails neither ask the provider nor open sessions.
			fp.Revoke()
			tr.Close()
			err = send(t, tr, "three")
			if !errors.Is(err, oauth.ErrSignInNeeded) || errors.Is(err, relay.ErrPermanent) || !store.needed {
				t.Fatalf("revoked: %v (permanent %v), needed %v", err, errors.Is(err, relay.ErrPermanent), store.needed)
			}
			sessions, _, _ := r.state()
			asked := fp.Refreshes()
			for range 3 {
				if err := send(t, tr, "more"); !errors.Is(err, oauth.ErrSignInNeeded) {
					t.Fatalf("later: %v", err)
				}
			}
			if s, _, _ := r.state(); s != sessions || fp.Refreshes() != asked {
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
	r := startOAuthRelay(t, fp, "XOAUTH2")
	tr, _ := relay.NewSMTPTransport(relay.Config{Addr: r.addr, TLS: "none", User: sender, Token: src, Timeout: 5 * time.Second})
	err := send(t, tr, "one")
	if err == nil || errors.Is(err, relay.ErrPermanent) || !strings.Contains(err.Error(), "XOAUTH2 as support@acme.example refused") {
		t.Fatalf("err = %v", err)
	}
	for _, tok := range fp.RefreshTokens() {
		if strings.Contains(err.Error(), tok) {
			t.Error("a token shows in the error")
		}
	}
	if _, auths, _ := r.state(); len(auths) != 2 {
		t.Errorf("auths %v, want two tries", auths)
	}
}
