// Package mailertest provides a real SMTP relay for tests: it listens on 127.0.0.1, captures what
// it accepts, and can be scripted to defer, refuse, or drop the connection after DATA.
package mailertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
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
	Hang                           // read the whole message, then never answer (until Stop)
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
	hung     chan struct{} // closed by Stop: hung sessions give up
	secured  int           // sessions that sent mail over TLS
	sessions int
	tls      *tls.Config // offered with STARTTLS, or spoken from the start when implicit
	implicit bool
}

// Start runs a relay until the test ends.
func Start(t testing.TB) *Relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{Addr: ln.Addr().String(), refuse: map[string]bool{}, arrived: make(chan struct{}, 1<<16)}
	r.serve(ln)
	t.Cleanup(func() { r.Stop() })
	return r
}

// StartTLS runs a relay with a certificate for 127.0.0.1 made for the test: it offers STARTTLS,
// or with implicit speaks TLS from the first byte. CA is the PEM of the certificate, to trust it.
func StartTLS(t testing.TB, implicit bool) (r *Relay, caPEM []byte) {
	t.Helper()
	cert, caPEM := SelfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r = &Relay{Addr: ln.Addr().String(), refuse: map[string]bool{}, arrived: make(chan struct{}, 1<<16),
		tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, implicit: implicit}
	r.serve(ln)
	t.Cleanup(func() { r.Stop() })
	return r, caPEM
}

// SelfSigned makes a certificate for 127.0.0.1 valid for an hour, and its PEM.
func SelfSigned(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Sessions counts the messages (DATA) received over TLS, and all of them.
func (r *Relay) Sessions() (secured, all int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.secured, r.sessions
}

func (r *Relay) serve(ln net.Listener) {
	srv := smtp.NewServer(r)
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true
	if r.tls != nil {
		srv.TLSConfig = r.tls
		if r.implicit {
			ln = tls.NewListener(ln, r.tls)
		}
	}
	r.mu.Lock()
	r.srv, r.hung = srv, make(chan struct{})
	r.mu.Unlock()
	go srv.Serve(ln)
}

// Stop closes the listener and every session at once, as a relay that crashed: clients holding
// a connection find it dead. Messages already accepted stay readable.
func (r *Relay) Stop() {
	r.mu.Lock()
	srv, hung := r.srv, r.hung
	r.mu.Unlock()
	select {
	case <-hung:
	default:
		close(hung)
	}
	srv.Close()
}

// Restart listens again on the same address after Stop.
func (r *Relay) Restart(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", r.Addr)
	if err != nil {
		t.Fatalf("relay restart on %s: %v", r.Addr, err)
	}
	r.serve(ln)
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
	hung := s.r.hung
	s.r.sessions++
	if _, ok := s.conn.TLSConnectionState(); ok {
		s.r.secured++
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
	case Hang:
		<-hung
		return errDropped
	}
	s.r.arrived <- struct{}{}
	return nil
}
