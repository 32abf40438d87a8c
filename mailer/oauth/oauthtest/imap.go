package oauthtest

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// IMAPPassword is every IMAP user's password (the tests' own sessions log in with it).
const IMAPPassword = "imap-password"

// IMAP is go-imap's in-memory server on 127.0.0.1 logging in with the bearer tokens p issued,
// over SASL XOAUTH2 and OAUTHBEARER (as the mechanisms it offers say). A token's owner opens
// their own mailbox, and the mailboxes shared with them (Share).
type IMAP struct {
	Host string
	Port int
	p    *Provider

	mu       sync.Mutex
	shared   map[string]string // mailbox → the user who may open it too
	attempts []Attempt
	conns    []net.Conn
}

// Attempt is one AUTHENTICATE.
type Attempt struct {
	Mech, User string
	OK         bool
}

// StartIMAP starts the server with users (each with an INBOX), offering mechs; it stops with
// the test.
func StartIMAP(t testing.TB, p *Provider, mechs []string, users ...string) *IMAP {
	t.Helper()
	mem := imapmemserver.New()
	for _, name := range users {
		u := imapmemserver.NewUser(name, IMAPPassword)
		if err := u.Create("INBOX", nil); err != nil {
			t.Fatal(err)
		}
		mem.AddUser(u)
	}
	s := &IMAP{p: p, shared: map[string]string{}}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &session{SessionIMAP4rev2: mem.NewSession().(imapserver.SessionIMAP4rev2), srv: s, mechs: mechs}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapMove: {}, imap.CapUIDPlus: {}},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	// Clients reach it through a proxy that Cut can sever, as a network failure would.
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { front.Close(); s.Cut() })
	go func() {
		for {
			c, err := front.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				c.Close()
				continue
			}
			s.mu.Lock()
			s.conns = append(s.conns, c, b)
			s.mu.Unlock()
			go func() { io.Copy(b, c); b.Close() }()
			go func() { io.Copy(c, b); c.Close() }()
		}
	}()
	s.Host, s.Port = "127.0.0.1", front.Addr().(*net.TCPAddr).Port
	return s
}

// Cut drops every connection.
func (s *IMAP) Cut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

// Addr is host:port.
func (s *IMAP) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Share lets user open mailbox (a Microsoft 365 shared mailbox).
func (s *IMAP) Share(mailbox, user string) {
	s.mu.Lock()
	s.shared[mailbox] = user
	s.mu.Unlock()
}

// Attempts lists the AUTHENTICATE commands so far.
func (s *IMAP) Attempts() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Attempt(nil), s.attempts...)
}

// Failures counts the refused ones.
func (s *IMAP) Failures() int {
	n := 0
	for _, a := range s.Attempts() {
		if !a.OK {
			n++
		}
	}
	return n
}

// Append puts a message in user's INBOX, as delivery would (over IMAP with the password).
func (s *IMAP) Append(t testing.TB, user, raw string) {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, IMAPPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	cmd := c.Append("INBOX", int64(len(raw)), &imap.AppendOptions{Time: time.Now()})
	if _, err := io.WriteString(cmd, raw); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

type session struct {
	imapserver.SessionIMAP4rev2
	srv   *IMAP
	mechs []string
}

// Idle reports the changes pending when IDLE starts, as Dovecot does (imapmemserver only reports
// those made during IDLE).
func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if err := s.Poll(w, true); err != nil {
		return err
	}
	return s.SessionIMAP4rev2.Idle(w, stop)
}

func (s *session) AuthenticateMechanisms() []string { return s.mechs }

var errBadToken = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "invalid token"}

// check logs the session in as user when token is valid now and its owner may open user's mailbox.
func (s *session) check(mech, user, token string) error {
	owner, ok := s.srv.p.Check(token)
	s.srv.mu.Lock()
	ok = ok && (user == owner || s.srv.shared[user] == owner)
	s.srv.attempts = append(s.srv.attempts, Attempt{mech, user, ok})
	s.srv.mu.Unlock()
	if !ok {
		return errBadToken
	}
	return s.SessionIMAP4rev2.Login(user, IMAPPassword)
}

func (s *session) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case "XOAUTH2":
		return &XOAuth2Server{Check: func(user, token string) error { return s.check(mech, user, token) }, Fail: errBadToken}, nil
	case sasl.OAuthBearer:
		return noOnFailure{sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if s.check(mech, o.Username, o.Token) != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		})}, nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "unsupported mechanism"}
}

// noOnFailure ends a failed exchange with NO [AUTHENTICATIONFAILED], as servers do.
type noOnFailure struct{ sasl.Server }

func (n noOnFailure) Next(resp []byte) ([]byte, bool, error) {
	ch, done, err := n.Server.Next(resp)
	if err != nil {
		return nil, true, errBadToken
	}
	return ch, done, nil
}

// XOAuth2Server is the server side of XOAUTH2: Check decides; a refusal is the JSON error
// challenge, then Fail.
type XOAuth2Server struct {
	Check  func(user, token string) error
	Fail   error
	failed bool
}

func (x *XOAuth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, x.Fail
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	var user, token string
	for _, f := range bytes.Split(resp, []byte{1}) {
		if v, ok := bytes.CutPrefix(f, []byte("user=")); ok {
			user = string(v)
		}
		if v, ok := bytes.CutPrefix(f, []byte("auth=Bearer ")); ok {
			token = string(v)
		}
	}
	if x.Check(user, token) != nil {
		x.failed = true
		return []byte(`{"status":"401","schemes":"bearer"}`), false, nil
	}
	return nil, true, nil
}
