package smtpd

import (
	"context"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/mailer/mailertest"
)

// Real mail has lines far over 998 bytes (HTML on one line, long base64 without breaks): go-smtp's
// default refused lines of 2,000 bytes with a permanent 554, and the sending MTA bounced the mail.
func TestSMTPAcceptsLongLines(t *testing.T) {
	for _, n := range []int{2000, 10_000, 60_000} {
		r := &fakeReceiver{}
		addr := start(t, false, "tcp", r) // MaxBytes 64 KiB
		body := msg + strings.Repeat("y", n) + "\r\n"
		if err := send(addr, []string{"acme@desk.example"}, body); err != nil {
			t.Fatalf("a line of %d bytes: %v", n, err)
		}
		if r.count("acme") != 1 || !strings.Contains(string(r.got["acme"][0]), strings.Repeat("y", n)) {
			t.Fatalf("a line of %d bytes was not stored whole", n)
		}
	}
}

// A message of exactly max_message_bytes is accepted; one byte more is 552, and so is a SIZE
// declared over the limit.
func TestSMTPSizeLimitIsInclusive(t *testing.T) {
	const max = 1 << 16
	r := &fakeReceiver{}
	addr := start(t, false, "tcp", r)
	// send writes body and the client adds nothing when it ends in CRLF: len(body) is what the
	// server receives.
	exact := msg + strings.Repeat("z", max-len(msg)-2) + "\r\n"
	if len(exact) != max {
		t.Fatalf("test message is %d bytes", len(exact))
	}
	if err := send(addr, []string{"acme@desk.example"}, exact); err != nil {
		t.Fatalf("a message of exactly the limit: %v", err)
	}
	if got := len(r.got["acme"][0]); got != max {
		t.Fatalf("stored %d bytes, want %d", got, max)
	}
	over := msg + strings.Repeat("z", max-len(msg)-1) + "\r\n"
	if err := send(addr, []string{"acme@desk.example"}, over); code(err) != 552 {
		t.Fatalf("one byte over the limit: %v, want 552", err)
	}
	if r.count("acme") != 1 {
		t.Fatal("an oversized message was stored")
	}
	tc, err := textproto.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.ReadResponse(220)
	tc.PrintfLine("EHLO client.example")
	if _, line, err := tc.ReadResponse(250); err != nil || !strings.Contains(line, "SIZE") {
		t.Fatalf("EHLO: %q %v", line, err)
	}
	tc.PrintfLine("MAIL FROM:<ann@customer.example> SIZE=%d", max+1)
	if code, line, _ := tc.ReadResponse(250); code != 552 {
		t.Fatalf("MAIL with SIZE over the limit: %d %s, want 552", code, line)
	}
	tc.PrintfLine("MAIL FROM:<ann@customer.example> SIZE=%d", max)
	if code, line, _ := tc.ReadResponse(250); code != 250 {
		t.Fatalf("MAIL with SIZE at the limit: %d %s, want 250", code, line)
	}
}

// hangingReceiver never answers until released, as a database that hangs.
type hangingReceiver struct {
	fakeReceiver
	hangRcpt, hangData bool
	release            chan struct{}
}

func (h *hangingReceiver) Accept(ctx context.Context, rcpt string) (inbound.Target, error) {
	if h.hangRcpt {
		<-h.release // ignores ctx, as lib/pq does with a server that does not answer
	}
	return h.fakeReceiver.Accept(ctx, rcpt)
}

func (h *hangingReceiver) Receive(ctx context.Context, m inbound.Message) []inbound.Result {
	if h.hangData {
		<-h.release
	}
	return h.fakeReceiver.Receive(ctx, m)
}

// A delivery that does not finish within the delivery timeout is answered 451, at RCPT and after
// DATA, on SMTP and per recipient on LMTP; the session is not held forever.
func TestSMTPAnswers451WhenTheDatabaseHangs(t *testing.T) {
	for _, c := range []struct {
		name                 string
		lmtp                 bool
		rcptHangs, dataHangs bool
	}{{"smtp-rcpt", false, true, false}, {"smtp-data", false, false, true}, {"lmtp-data", true, false, true}} {
		t.Run(c.name, func(t *testing.T) {
			r := &hangingReceiver{hangRcpt: c.rcptHangs, hangData: c.dataHangs, release: make(chan struct{})}
			defer close(r.release)
			ln, err := Listen("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			s := NewServer(ServerConfig{LMTP: c.lmtp, Domain: "desk.example", MaxBytes: 1 << 16, DeliveryTimeout: 200 * time.Millisecond}, ln, r)
			go s.Serve()
			defer s.Shutdown(context.Background())
			if c.lmtp {
				codes := mailertest.LMTPSend(t, s.Addr().String(), []string{"acme@desk.example", "globex@desk.example"}, msg)
				if len(codes) != 2 || codes[0] != 451 || codes[1] != 451 {
					t.Fatalf("LMTP answers %v, want 451 for each recipient", codes)
				}
				return
			}
			if err := send(s.Addr().String(), []string{"acme@desk.example"}, msg); code(err) != 451 {
				t.Fatalf("got %v, want 451", err)
			}
		})
	}
}
