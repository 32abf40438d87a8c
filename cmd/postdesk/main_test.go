package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/dbtest"
)

// syncBuffer is a bytes.Buffer safe for the daemon's logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// postdesk runs one CLI command against dsn and returns its exit status, stdout and stderr.
func postdesk(t *testing.T, dsn string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "POSTDESK_DB" {
			return dsn
		}
		return ""
	}
	code := run(context.Background(), args, &out, &errb, env)
	return code, out.String(), errb.String()
}

func must(t *testing.T, dsn string, args ...string) string {
	t.Helper()
	code, out, errs := postdesk(t, dsn, args...)
	if code != 0 {
		t.Fatalf("postdesk %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

var listening = regexp.MustCompile(`msg=listening proto=(\w+) addr=(\S+)`)

// startServe runs 'postdesk serve' until the test ends and returns its SMTP and LMTP addresses.
func startServe(t *testing.T, dsn string, extra ...string) (smtpAddr, lmtpAddr string) {
	t.Helper()
	smtpAddr, lmtpAddr, _ = startServeHTTP(t, dsn, extra...)
	return smtpAddr, lmtpAddr
}

// startServeHTTP is startServe that also returns the HTTP address.
func startServeHTTP(t *testing.T, dsn string, extra ...string) (smtpAddr, lmtpAddr, httpAddr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int)
	env := func(k string) string {
		if k == "POSTDESK_DB" {
			return dsn
		}
		return ""
	}
	args := append([]string{"serve", "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--domain", "desk.example", "--data-dir", t.TempDir()}, extra...)
	go func() { done <- run(ctx, args, &bytes.Buffer{}, logs, env) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range listening.FindAllStringSubmatch(logs.String(), -1) {
			if m[1] == "smtp" {
				smtpAddr = m[2]
			} else {
				lmtpAddr = m[2]
			}
		}
		if m := httpListening.FindStringSubmatch(logs.String()); m != nil {
			httpAddr = m[1]
		}
		if smtpAddr != "" && httpAddr != "" && (lmtpAddr != "" || !slices.Contains(extra, "--lmtp")) {
			return smtpAddr, lmtpAddr, httpAddr
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("serve did not start: %s", logs.String())
	return "", "", ""
}

func sendMail(t *testing.T, addr, from string, to []string, msg string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.SendMail(from, to, strings.NewReader(strings.ReplaceAll(msg, "\n", "\r\n")))
}

type listedTicket struct {
	Number    int64  `json:"number"`
	Subject   string `json:"subject"`
	Status    string `json:"status"`
	Customer  string `json:"customer"`
	Messages  int64  `json:"messages"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	FollowsUp *int64 `json:"follows_up"`
}

func TestMailInBecomesThreadedTickets(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			fwd := must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
			if strings.TrimSpace(fwd) != "acme@desk.example" {
				t.Fatalf("property add printed %q, want the forwarding address", fwd)
			}
			must(t, dsn, "agent", "add", "--property", "acme", "--email", "alice@acme.example", "--name", "Alice")
			must(t, dsn, "department", "add", "--property", "acme", "--name", "Billing", "--member", "alice@acme.example")
			addr, _ := startServe(t, dsn)

			first := "From: Ann Customer <ann@customer.example>\nTo: support@acme.example\nSubject: =?utf-8?q?Caf=C3=A9_machine?= broken\nMessage-ID: <m1@customer.example>\nDate: Mon, 2 Mar 2026 10:00:00 +0100\n\nIt leaks.\n"
			if err := sendMail(t, addr, "ann@customer.example", []string{"acme@desk.example"}, first); err != nil {
				t.Fatalf("send: %v", err)
			}
			reply := "From: ann@customer.example\nTo: support@acme.example\nSubject: Re: Café machine broken\nMessage-ID: <m2@customer.example>\nIn-Reply-To: <m1@customer.example>\n\nStill leaking.\n"
			if err := sendMail(t, addr, "ann@customer.example", []string{"acme@desk.example"}, reply); err != nil {
				t.Fatal(err)
			}
			// The same message again (a retry after a lost 250): stored once, still 250.
			if err := sendMail(t, addr, "ann@customer.example", []string{"acme@desk.example"}, reply); err != nil {
				t.Fatalf("redelivery refused: %v", err)
			}
			// Unknown recipients are refused: no open relay.
			err := sendMail(t, addr, "ann@customer.example", []string{"someone@else.example"}, first)
			var se *smtp.SMTPError
			if !errorsAs(err, &se) || se.Code != 550 {
				t.Fatalf("relay attempt: %v, want 550", err)
			}

			var list []listedTicket
			if err := json.Unmarshal([]byte(must(t, dsn, "tickets", "list", "--property", "acme", "--json")), &list); err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].Number != 1 || list[0].Subject != "Café machine broken" || list[0].Status != "open" ||
				list[0].Customer != "ann@customer.example" || list[0].Messages != 2 || list[0].FollowsUp != nil || list[0].CreatedAt == "" {
				t.Fatalf("tickets list: %+v", list)
			}
			var show struct {
				Number   int64 `json:"number"`
				Messages []struct {
					Direction string `json:"direction"`
					From      string `json:"from"`
					Subject   string `json:"subject"`
					Text      string `json:"text"`
					MessageID string `json:"message_id"`
					Threading string `json:"threading"`
				} `json:"messages"`
			}
			if err := json.Unmarshal([]byte(must(t, dsn, "tickets", "show", "--property", "acme", "--json", "1")), &show); err != nil {
				t.Fatal(err)
			}
			if len(show.Messages) != 2 {
				t.Fatalf("show: %+v", show)
			}
			m := show.Messages[1]
			if m.Direction != "in" || m.From != "ann@customer.example" || !strings.Contains(m.Text, "Still leaking") ||
				m.MessageID != "m2@customer.example" || m.Threading != "in-reply-to <m1@customer.example>" {
				t.Fatalf("second message: %+v", m)
			}

			if out := must(t, dsn, "tickets", "close", "--property", "acme", "1"); !strings.Contains(out, "closed") {
				t.Fatalf("close: %q", out)
			}
			json.Unmarshal([]byte(must(t, dsn, "tickets", "list", "--property", "acme", "--status", "closed", "--json")), &list)
			if len(list) != 1 {
				t.Fatalf("closed list: %+v", list)
			}
			// A reply now (well within 72 h) reopens it.
			again := "From: ann@customer.example\nTo: support@acme.example\nSubject: Re: Café machine broken\nMessage-ID: <m3@customer.example>\nReferences: <m1@customer.example> <m2@customer.example>\n\nAnd now?\n"
			if err := sendMail(t, addr, "ann@customer.example", []string{"acme@desk.example"}, again); err != nil {
				t.Fatal(err)
			}
			json.Unmarshal([]byte(must(t, dsn, "tickets", "list", "--property", "acme", "--status", "open", "--json")), &list)
			if len(list) != 1 || list[0].Messages != 3 {
				t.Fatalf("after reply to closed ticket: %+v", list)
			}
		})
	}
}

func errorsAs(err error, target **smtp.SMTPError) bool {
	se, ok := err.(*smtp.SMTPError)
	if ok {
		*target = se
	}
	return ok
}

func TestLMTPServeOnUnixSocket(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Engines()[0].DSN(t)
	must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme")
	sock := t.TempDir() + "/lmtp.sock"
	_, lmtpAddr := startServe(t, dsn, "--lmtp", sock)
	if lmtpAddr != sock {
		t.Fatalf("lmtp on %q, want %q", lmtpAddr, sock)
	}
}

func TestCLIErrorsSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Engines()[0].DSN(t)
	must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"tickets", "list", "--property", "nope", "--json"}, 1, `unknown property "nope"`},
		{[]string{"tickets", "show", "--property", "acme", "42"}, 1, "ticket #42: not found"},
		{[]string{"tickets", "show", "--property", "acme", "x"}, 2, `"x" is not a ticket number`},
		{[]string{"tickets", "list", "--property", "acme", "--status", "weird"}, 2, "status"},
		{[]string{"property", "add", "--slug", "acme", "--name", "Again"}, 1, "already exists"},
		{[]string{"property", "add", "--slug", "Bad Slug", "--name", "X"}, 1, "slug"},
		{[]string{"agent", "add", "--property", "acme", "--email", "bad", "--name", "B"}, 1, "not an email address"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"tickets", "list", "--property", "acme", "--db", "mysql://x"}, 1, "neither a postgres:// URL nor a file path"},
	}
	for _, c := range cases {
		code, _, stderr := postdesk(t, dsn, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("postdesk %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, stderr, c.code, c.want)
		}
	}
}

func TestCommandsWorkInAnyOrderOnAFreshDatabase(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Engines()[0].DSN(t)
	// Listing first creates and migrates the database; the property does not exist yet.
	if code, _, stderr := postdesk(t, dsn, "tickets", "list", "--property", "acme"); code != 1 || !strings.Contains(stderr, "unknown property") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme")
	if out := must(t, dsn, "tickets", "list", "--property", "acme", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty list printed %q", out)
	}
}
