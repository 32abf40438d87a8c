package smtpd

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/mailer/mailertest"
)

func TestSTARTTLSWhenACertificateIsConfigured(t *testing.T) {
	cert, _ := mailertest.SelfSigned(t)
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeReceiver{}
	s := NewServer(ServerConfig{Domain: "desk.example", MaxBytes: 1 << 16, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, ln, r)
	go s.Serve()
	defer s.Shutdown(t.Context())

	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool.AddCert(leaf)
	c, err := smtp.DialStartTLS(s.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	defer c.Close()
	if err := c.SendMail("ann@customer.example", []string{"acme@desk.example"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if r.count("acme") != 1 {
		t.Fatal("mail over TLS not received")
	}
	// The handshake happens with the first command after STARTTLS.
	if state, ok := c.TLSConnectionState(); !ok || !state.HandshakeComplete {
		t.Fatal("the session was not encrypted")
	}
	// Without a certificate, STARTTLS is not offered.
	plain := start(t, false, "tcp", &fakeReceiver{})
	pc, err := smtp.Dial(plain)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	pc.Hello("client.example")
	if ok, _ := pc.Extension("STARTTLS"); ok {
		t.Fatal("STARTTLS offered without a certificate")
	}
}
