package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/mailer/mailertest"
)

// relay test speaks to the configured relay directly and shows every step with its reply code.
func TestRelayTestShowsTheDialogue(t *testing.T) {
	t.Parallel()
	relayDB := filepath.Join(t.TempDir(), "postdesk.db")
	r := mailertest.Start(t)
	must(t, relayDB, "init", "--domain", "desk.example")
	// The domain is the installation's: the stored one, without --domain.
	code, out, errs := postdesk(t, relayDB, "relay", "test", "--to", "admin@acme.example", "--relay", r.Addr, "--relay-tls", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, out, errs)
	}
	for _, step := range []string{`connect\s+ok\s+127\.0\.0\.1:`, `greeting\s+ok\s+220 `, `EHLO\s+ok\s+250 `, `MAIL FROM\s+ok\s+250 `, `RCPT TO\s+ok\s+250 `, `DATA\s+ok\s+354 `, `end of DATA\s+ok\s+250 `, `QUIT\s+ok\s+221 `} {
		if !regexp.MustCompile(step).MatchString(out) {
			t.Errorf("no step %q in:\n%s", step, out)
		}
	}
	ms := r.Messages()
	if len(ms) != 1 || ms[0].From != "postmaster@desk.example" || len(ms[0].Rcpts) != 1 || ms[0].Rcpts[0] != "admin@acme.example" ||
		!strings.Contains(string(ms[0].Data), "Subject: postdesk relay test") {
		t.Fatalf("the relay got %+v", ms)
	}

	// A refused recipient: the step, the relay's code, a failure.
	r.RefuseRcpt("nobody@acme.example")
	code, out, errs = postdesk(t, relayDB, "relay", "test", "--to", "nobody@acme.example", "--relay", r.Addr, "--relay-tls", "none")
	if code != 1 || !regexp.MustCompile(`RCPT TO\s+FAILED\s+550 `).MatchString(out) || !strings.Contains(errs, "550") || strings.Contains(out, "DATA ") {
		t.Fatalf("refused recipient: exit %d:\n%s\n%s", code, out, errs)
	}
	if len(r.Messages()) != 1 {
		t.Fatalf("the relay got %d mails", len(r.Messages()))
	}

	// A refused message after DATA.
	r.Script(mailertest.Refuse)
	code, out, _ = postdesk(t, relayDB, "relay", "test", "--to", "admin@acme.example", "--relay", r.Addr, "--relay-tls", "none")
	if code != 1 || !regexp.MustCompile(`end of DATA\s+FAILED\s+550 `).MatchString(out) {
		t.Fatalf("refused after DATA: exit %d:\n%s", code, out)
	}

	// Nobody listening: the connect step fails.
	code, out, _ = postdesk(t, relayDB, "relay", "test", "--to", "admin@acme.example", "--relay", "127.0.0.1:1", "--relay-tls", "none")
	if code != 1 || !regexp.MustCompile(`connect\s+FAILED\s+127\.0\.0\.1:1: .*refused`).MatchString(out) {
		t.Fatalf("no relay: exit %d:\n%s", code, out)
	}

	// No relay configured, no --to: said so.
	if code, _, errs := postdesk(t, relayDB, "relay", "test", "--to", "admin@acme.example"); code != 1 || !strings.Contains(errs, "no relay is configured") {
		t.Fatalf("without a relay: exit %d: %s", code, errs)
	}
	if code, _, _ := postdesk(t, relayDB, "relay", "test", "--relay", r.Addr); code != 2 {
		t.Fatalf("without --to: exit %d", code)
	}
}

func TestRelayTestSecuresTheSessionWithSTARTTLS(t *testing.T) {
	t.Parallel()
	relayDB := filepath.Join(t.TempDir(), "postdesk.db")
	r, ca := mailertest.StartTLS(t, false)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := postdesk(t, relayDB, "relay", "test", "--to", "admin@acme.example", "--relay", r.Addr, "--relay-tls", "starttls", "--relay-ca-file", caFile)
	if code != 0 || !regexp.MustCompile(`STARTTLS\s+ok\s+220 `).MatchString(out) || !regexp.MustCompile(`TLS handshake\s+ok\s+TLS 1\.[23]`).MatchString(out) {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errs)
	}
	if secured, all := r.Sessions(); secured != 1 || all != 1 {
		t.Fatalf("%d of %d sessions secured", secured, all)
	}
	// Without the CA, the certificate is not trusted: the handshake fails, nothing is sent.
	code, out, _ = postdesk(t, relayDB, "relay", "test", "--to", "admin@acme.example", "--relay", r.Addr, "--relay-tls", "starttls")
	if code != 1 || !regexp.MustCompile(`TLS handshake\s+FAILED.*certificate`).MatchString(out) {
		t.Fatalf("untrusted certificate: exit %d:\n%s", code, out)
	}
}

// authRelay is a relay that wants AUTH PLAIN as relay/secret before it takes mail.
type authRelay struct{ got atomic.Int32 }

func (a *authRelay) NewSession(*smtp.Conn) (smtp.Session, error) { return &authSession{r: a}, nil }

type authSession struct {
	r      *authRelay
	authed bool
}

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "relay" || pass != "secret" {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.authed = true
		return nil
	}), nil
}
func (s *authSession) Mail(string, *smtp.MailOptions) error {
	if !s.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	return nil
}
func (s *authSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *authSession) Data(r io.Reader) error {
	io.Copy(io.Discard, r)
	s.r.got.Add(1)
	return nil
}
func (s *authSession) Reset()        {}
func (s *authSession) Logout() error { return nil }

func TestRelayTestLogsIn(t *testing.T) {
	t.Parallel()
	relayDB := filepath.Join(t.TempDir(), "postdesk.db")
	backend := &authRelay{}
	srv := smtp.NewServer(backend)
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	relayTest := func(password string) (int, string) {
		t.Helper()
		var out, errb strings.Builder
		env := func(k string) string {
			switch k {
			case "RELAY_PASSWORD":
				return password
			case "POSTDESK_DB":
				return relayDB
			}
			return ""
		}
		code := run(context.Background(), []string{"relay", "test", "--to", "admin@acme.example", "--relay", ln.Addr().String(), "--relay-tls", "none",
			"--relay-user", "relay", "--relay-password-env", "RELAY_PASSWORD"}, &out, &errb, env)
		return code, out.String() + errb.String()
	}
	if code, out := relayTest("secret"); code != 0 || !regexp.MustCompile(`AUTH PLAIN\s+ok\s+235 `).MatchString(out) || backend.got.Load() != 1 {
		t.Fatalf("exit %d, %d mails:\n%s", code, backend.got.Load(), out)
	}
	if code, out := relayTest("wrong"); code != 1 || !regexp.MustCompile(`AUTH PLAIN\s+FAILED\s+535 `).MatchString(out) || strings.Contains(out, "MAIL FROM") || backend.got.Load() != 1 {
		t.Fatalf("a wrong password: exit %d:\n%s", code, out)
	}
}
