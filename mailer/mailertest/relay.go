// Package mailertest provides a real SMTP relay for tests: it listens on 127.0.0.1, captures what
// it accepts, and can be scripted to defer, refuse, or drop the connection after DATA.
package mailertest

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Behaviour is how the relay answers one DATA.
type Behaviour int

const (
	Accept        Behaviour = iota // 250
	Defer                          // 451 after DATA
	Refuse                         // 550 after DATA
	DropAfterData                  // read the whole message, then close the connection without a reply
)

// Message is one accepted mail.
type Message struct {
	From  string
	Rcpts []string
	Data  []byte
}

// Relay is a capturing SMTP server.
type Relay struct {
	Addr string
	// OnMessage, when set before mail arrives, is called (in its own goroutine) with each
	// accepted message: a test can forward it on, to close a loop.
	OnMessage func(Message)

	mu       sync.Mutex
	script   []Behaviour
	refuse   map[string]bool
	got      []Message
	attempts int
	arrived  chan struct{}
	srv      *smtp.Server
}

// Start runs a relay until the test ends.
func Start(t testing.TB) *Relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{Addr: ln.Addr().String(), refuse: map[string]bool{}, arrived: make(chan struct{}, 1<<16)}
	r.srv = smtp.NewServer(r)
	r.srv.Domain = "relay.test"
	r.srv.AllowInsecureAuth = true
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

// Script sets how the next DATA commands are answered, in order; after the script, Accept.
func (r *Relay) Script(b ...Behaviour) {
	r.mu.Lock()
	r.script = append(r.script, b...)
	r.mu.Unlock()
}

// RefuseRcpt makes RCPT TO addr answer 550.
func (r *Relay) RefuseRcpt(addr string) {
	r.mu.Lock()
	r.refuse[strings.ToLower(addr)] = true
	r.mu.Unlock()
}

// Messages returns what was accepted so far.
func (r *Relay) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.got...)
}

// Attempts counts DATA commands received, whatever the answer.
func (r *Relay) Attempts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

// Wait waits until n messages were accepted in all, or fails the test after timeout.
func (r *Relay) Wait(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if ms := r.Messages(); len(ms) >= n {
			return ms
		}
		select {
		case <-r.arrived:
		case <-deadline:
			t.Fatalf("relay: %d messages after %s, want %d", len(r.Messages()), timeout, n)
		}
	}
}

// NewSession implements smtp.Backend.
func (r *Relay) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{r: r, conn: c}, nil }

type session struct {
	r     *Relay
	conn  *smtp.Conn
	from  string
	rcpts []string
}

func (s *session) AuthMechanisms() []string { return nil }
func (s *session) Reset()                   { s.from, s.rcpts = "", nil }
func (s *session) Logout() error            { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.r.mu.Lock()
	refused := s.r.refuse[strings.ToLower(to)]
	s.r.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

var errDropped = errors.New("dropped")

func (s *session) Data(rd io.Reader) error {
	data, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.attempts++
	b := Accept
	if len(s.r.script) > 0 {
		b, s.r.script = s.r.script[0], s.r.script[1:]
	}
	m := Message{From: s.from, Rcpts: append([]string(nil), s.rcpts...), Data: data}
	if b == Accept {
		s.r.got = append(s.r.got, m)
	}
	s.r.mu.Unlock()
	if b == Accept && s.r.OnMessage != nil {
		go s.r.OnMessage(m)
	}
	switch b {
	case Defer:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	case Refuse:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Rejected"}
	case DropAfterData:
		s.conn.Conn().Close()
		return errDropped
	}
	s.r.arrived <- struct{}{}
	return nil
}

// Shutdown stops the relay (for restart tests).
func (r *Relay) Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r.srv.Shutdown(ctx)
}
