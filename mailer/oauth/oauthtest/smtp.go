package oauthtest

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTP is a capturing submission server on 127.0.0.1 that authenticates with the bearer tokens
// p issued (XOAUTH2, OAUTHBEARER, as the mechanisms it offers say), as smtp.office365.com and
// smtp.gmail.com do: only the token's owner may send, and only once authenticated.
type SMTP struct {
	Addr  string
	p     *Provider
	mechs []string

	mu       sync.Mutex
	sessions int
	auths    []Attempt
	mails    []Mail
}

// Mail is a message the server took.
type Mail struct {
	From  string
	Rcpts []string
	Data  []byte
}

// StartSMTP starts the server; it stops with the test.
func StartSMTP(t testing.TB, p *Provider, mechs ...string) *SMTP {
	t.Helper()
	s := &SMTP{p: p, mechs: mechs}
	srv := smtp.NewServer(s)
	srv.AllowInsecureAuth = true
	srv.Domain = "relay.test"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.Addr = ln.Addr().String()
	return s
}

// Sessions counts the connections so far.
func (s *SMTP) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Attempts lists the AUTH commands so far.
func (s *SMTP) Attempts() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Attempt(nil), s.auths...)
}

// Mails lists the messages taken.
func (s *SMTP) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// NewSession implements smtp.Backend.
func (s *SMTP) NewSession(*smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.sessions++
	s.mu.Unlock()
	return &smtpSession{s: s}, nil
}

type smtpSession struct {
	s      *SMTP
	user   string
	from   string
	rcpts  []string
	authed bool
}

var errSMTPAuth = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication unsuccessful"}

func (ss *smtpSession) check(mech, user, token string) error {
	owner, ok := ss.s.p.Check(token)
	ok = ok && owner == user
	ss.s.mu.Lock()
	ss.s.auths = append(ss.s.auths, Attempt{mech, user, ok})
	ss.s.mu.Unlock()
	if !ok {
		return errSMTPAuth
	}
	ss.authed, ss.user = true, user
	return nil
}

func (ss *smtpSession) AuthMechanisms() []string { return ss.s.mechs }

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	switch mech {
	case "XOAUTH2":
		return &XOAuth2Server{Check: func(u, tok string) error { return ss.check(mech, u, tok) }, Fail: errSMTPAuth}, nil
	case sasl.OAuthBearer:
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if ss.check(mech, o.Username, o.Token) != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		}), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 57}, Message: "Client not authenticated to send mail"}
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.mails = append(ss.s.mails, Mail{From: ss.from, Rcpts: ss.rcpts, Data: b})
	ss.s.mu.Unlock()
	return nil
}

func (ss *smtpSession) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *smtpSession) Logout() error { return nil }
