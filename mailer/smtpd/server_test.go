package smtpd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/mailer/mailertest"
)

type key string

func (k key) Key() string { return string(k) }

// fakeReceiver serves two properties by local part and can be told to fail one, for now or for
// good.
type fakeReceiver struct {
	mu       sync.Mutex
	failKey  string
	permKey  string
	failRcpt bool
	got      map[string][][]byte
	short    bool // answer with no results at all (a broken receiver)
	sources  []inbound.Source
}

func (f *fakeReceiver) Accept(_ context.Context, rcpt string) (inbound.Target, error) {
	if f.failRcpt {
		return nil, errors.New("database down")
	}
	local, _, _ := strings.Cut(strings.ToLower(rcpt), "@")
	local, _, _ = strings.Cut(local, "+")
	if local != "acme" && local != "globex" {
		return nil, fmt.Errorf("%w: %s", inbound.ErrUnknownRecipient, rcpt)
	}
	return key(local), nil
}

func (f *fakeReceiver) Receive(_ context.Context, m inbound.Message) []inbound.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sources = append(f.sources, m.Source)
	if f.short {
		return nil
	}
	raw := m.Raw
	errs := make([]inbound.Result, len(m.To))
	for i, b := range m.To {
		if b.Target.Key() == f.failKey {
			errs[i].Err = errors.New("database down")
			continue
		}
		if b.Target.Key() == f.permKey {
			errs[i].Err = inbound.Permanent(errors.New("the message breaks a rule of the store"))
			continue
		}
		if f.got == nil {
			f.got = map[string][][]byte{}
		}
		f.got[b.Target.Key()] = append(f.got[b.Target.Key()], raw)
	}
	return errs
}

func (f *fakeReceiver) count(k string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got[k])
}

func start(t *testing.T, lmtp bool, network string, r Receiver) string {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "lmtp.sock")
	}
	ln, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(ServerConfig{LMTP: lmtp, Domain: "desk.example", MaxBytes: 1 << 16}, ln, r)
	go s.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s.Addr().String()
}

const msg = "From: ann@customer.example\r\nTo: acme@desk.example\r\nSubject: hi\r\nMessage-ID: <1@c>\r\n\r\nhello\r\n"

func send(addr string, rcpts []string, body string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail("ann@customer.example", rcpts, strings.NewReader(body))
}

func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestSMTPAcceptsOnlyPropertyAddresses(t *testing.T) {
	r := &fakeReceiver{}
	addr := start(t, false, "tcp", r)
	if err := send(addr, []string{"acme@desk.example"}, msg); err != nil {
		t.Fatalf("mail to a property: %v", err)
	}
	err := send(addr, []string{"someone@elsewhere.example"}, msg)
	if code(err) != 550 {
		t.Fatalf("mail to a stranger: %v, want 550 (no open relay)", err)
	}
	if r.count("acme") != 1 {
		t.Fatalf("acme got %d messages", r.count("acme"))
	}
}

func TestSMTPAnswers451WhenStoringFails(t *testing.T) {
	r := &fakeReceiver{failKey: "globex"}
	addr := start(t, false, "tcp", r)
	// One message to two properties, one of which fails: the whole message is deferred so the
	// sender retries; the copy that was stored is a duplicate on the retry.
	err := send(addr, []string{"acme@desk.example", "globex@desk.example"}, msg)
	if code(err) != 451 {
		t.Fatalf("got %v, want 451", err)
	}
	r.failKey = ""
	if err := send(addr, []string{"acme@desk.example", "globex@desk.example"}, msg); err != nil {
		t.Fatal(err)
	}
	if r.count("globex") != 1 {
		t.Fatal("retry did not deliver")
	}
}

func TestSMTPAnswers451WhenRecipientCheckFails(t *testing.T) {
	addr := start(t, false, "tcp", &fakeReceiver{failRcpt: true})
	if err := send(addr, []string{"acme@desk.example"}, msg); code(err) != 451 {
		t.Fatalf("got %v, want 451", err)
	}
}

func TestSMTPRefusesOversizedMail(t *testing.T) {
	r := &fakeReceiver{}
	addr := start(t, false, "tcp", r)
	big := msg + strings.Repeat(strings.Repeat("x", 998)+"\r\n", 80)
	if err := send(addr, []string{"acme@desk.example"}, big); code(err) != 552 {
		t.Fatalf("got %v, want 552", err)
	}
	if r.count("acme") != 0 {
		t.Fatal("an oversized message was stored")
	}
}

func TestLMTPAnswersPerRecipient(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			r := &fakeReceiver{failKey: "globex"}
			addr := start(t, true, network, r)
			got := mailertest.LMTPSend(t, addr, []string{"acme@desk.example", "globex@desk.example"}, msg)
			if len(got) != 2 || got[0] != 250 || got[1] != 451 {
				t.Fatalf("per-recipient replies %v, want [250 451]", got)
			}
		})
	}
}

// A message the store can never take is refused for good (554 5.6.0), so its sender bounces it
// instead of retrying it for days — unless another copy was stored (250: a bounce would say the
// mail was lost while a ticket holds it) or failed only for now (451, and the retry settles it).
func TestSMTPAnswers554WhenTheMessageCanNeverBeStored(t *testing.T) {
	r := &fakeReceiver{permKey: "globex"}
	addr := start(t, false, "tcp", r)
	err := send(addr, []string{"globex@desk.example"}, msg)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 554 || se.EnhancedCode != (smtp.EnhancedCode{5, 6, 0}) {
		t.Fatalf("got %v, want 554 5.6.0", err)
	}
	if err := send(addr, []string{"acme@desk.example", "globex@desk.example"}, msg); err != nil {
		t.Fatalf("one copy stored, one permanent: got %v, want 250", err)
	}
	if r.count("acme") != 1 {
		t.Fatalf("acme got %d messages", r.count("acme"))
	}
	r.failKey = "acme"
	if err := send(addr, []string{"acme@desk.example", "globex@desk.example"}, msg); code(err) != 451 {
		t.Fatalf("one copy temporary, one permanent: got %v, want 451", err)
	}
	if r.sources[0] != inbound.SMTP {
		t.Fatalf("source %q, want smtp", r.sources[0])
	}
}

// A receiver that returns fewer results than copies is broken: that is never a 250.
func TestMissingResultIsTemporary(t *testing.T) {
	for _, lmtp := range []bool{false, true} {
		r := &fakeReceiver{short: true}
		addr := start(t, lmtp, "tcp", r)
		if !lmtp {
			if err := send(addr, []string{"acme@desk.example"}, msg); code(err) != 451 {
				t.Fatalf("SMTP: got %v, want 451", err)
			}
			continue
		}
		if got := mailertest.LMTPSend(t, addr, []string{"acme@desk.example"}, msg); len(got) != 1 || got[0] != 451 {
			t.Fatalf("LMTP: got %v, want [451]", got)
		}
	}
}

func TestLMTPAnswers554ForTheRecipientWhoseCopyCanNeverBeStored(t *testing.T) {
	r := &fakeReceiver{permKey: "globex"}
	addr := start(t, true, "tcp", r)
	got := mailertest.LMTPSend(t, addr, []string{"acme@desk.example", "globex@desk.example"}, msg)
	if len(got) != 2 || got[0] != 250 || got[1] != 554 {
		t.Fatalf("per-recipient replies %v, want [250 554]", got)
	}
	if r.count("acme") != 1 || r.sources[0] != inbound.LMTP {
		t.Fatalf("acme got %d messages, source %v", r.count("acme"), r.sources)
	}
}

// Shutdown right after start, before Serve has run, must still make Serve return.
func TestShutdownBeforeServeStarts(t *testing.T) {
	for range 50 {
		ln, err := Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := NewServer(ServerConfig{Domain: "desk.example", MaxBytes: 1 << 16}, ln, &fakeReceiver{})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.Shutdown(ctx)
		cancel()
		done := make(chan struct{})
		go func() { s.Serve(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Serve did not return after Shutdown")
		}
	}
}
