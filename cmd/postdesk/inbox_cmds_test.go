package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
)

type shownTicket struct {
	Number   int64    `json:"number"`
	Priority string   `json:"priority"`
	Tags     []string `json:"tags"`
	Messages []struct {
		Direction string `json:"direction"`
		Text      string `json:"text"`
	} `json:"messages"`
	Events []struct {
		Kind  string `json:"kind"`
		Actor string `json:"actor"`
	} `json:"events"`
}

func TestInboxCommands(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			dir := t.TempDir()
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme")
			must(t, dsn, "agent", "add", "--property", "acme", "--email", "alice@acme.example", "--name", "Alice", "--role", "manager")
			body := filepath.Join(dir, "body.txt")
			os.WriteFile(body, []byte("Your order ships today.\n"), 0o600)
			must(t, dsn, "tickets", "create", "--property", "acme", "--as", "alice@acme.example", "--to", "ann@example.org", "--subject", "Order", "--body-file", body)

			as := []string{"--property", "acme", "--as", "alice@acme.example"}
			for _, c := range []struct {
				args []string
				want string
			}{
				{append([]string{"tickets", "priority", "1", "high"}, as...), "#1 is high priority"},
				{append([]string{"tickets", "tag", "1", "VIP", "billing"}, as...), "#1 tags: billing, vip"},
				{append([]string{"tickets", "untag", "1", "billing"}, as...), "#1 tags: vip"},
				{append([]string{"tickets", "snooze", "1", "--for", "2h"}, as...), "#1 snoozed until"},
				{append([]string{"tickets", "unsnooze", "1"}, as...), "#1 is back in the open views"},
				{append([]string{"tickets", "note", "1", "--body-file", body}, as...), "note added to #1"},
				{[]string{"tickets", "trash", "--property", "acme", "1"}, "#1 is in the trash"},
				{[]string{"tickets", "restore", "--property", "acme", "1"}, "#1 is out of the trash"},
				{[]string{"tickets", "spam", "--property", "acme", "1"}, "#1 is spam"},
				{[]string{"tickets", "unspam", "--property", "acme", "1"}, "#1 is not spam"},
				{[]string{"tickets", "block", "--property", "acme", "pest@example.net"}, "pest@example.net is blocked; removed 0 messages and 0 tickets"},
				{[]string{"tickets", "unblock", "--property", "acme", "pest@example.net"}, "pest@example.net is no longer blocked"},
			} {
				if out := must(t, dsn, c.args...); !strings.Contains(out, c.want) {
					t.Errorf("postdesk %s: %q, want %q", strings.Join(c.args, " "), out, c.want)
				}
			}
			var tk shownTicket
			if err := json.Unmarshal([]byte(must(t, dsn, "tickets", "show", "--property", "acme", "--json", "1")), &tk); err != nil {
				t.Fatal(err)
			}
			kinds := map[string]string{}
			for _, ev := range tk.Events {
				kinds[ev.Kind] = ev.Actor
			}
			if tk.Priority != "high" || strings.Join(tk.Tags, ",") != "vip" || len(tk.Messages) != 2 || tk.Messages[1].Direction != "note" ||
				kinds["snoozed"] != "agent:alice@acme.example" || kinds["trashed"] != "cli" || kinds["noted"] == "" {
				t.Fatalf("after the commands: %+v", tk)
			}

			out := filepath.Join(dir, "export.json")
			if got := must(t, dsn, "tickets", "export", "--property", "acme", "--numbers", "1", "--out", out); !strings.Contains(got, "1 tickets written to") {
				t.Fatalf("export: %q", got)
			}
			var ex tickets.Export
			b, _ := os.ReadFile(out)
			if err := json.Unmarshal(b, &ex); err != nil || len(ex.Tickets) != 1 || ex.Tickets[0].Number != 1 || len(ex.Tickets[0].Messages) != 2 {
				t.Fatalf("export file: %v %s", err, b)
			}
			if err := json.Unmarshal([]byte(must(t, dsn, "tickets", "export", "--property", "acme", "--numbers", "#1")), &ex); err != nil || len(ex.Tickets) != 1 {
				t.Fatalf("export to stdout: %v", err)
			}

			for _, c := range []struct {
				args []string
				code int
				want string
			}{
				{append([]string{"tickets", "priority", "1", "asap"}, as...), 1, `priority "asap"`},
				{[]string{"tickets", "tag", "--property", "acme", "1", "x"}, 2, "--as is required"},
				{append([]string{"tickets", "tag", "1"}, as...), 2, "TAG [TAG ...]"},
				{append([]string{"tickets", "snooze", "1"}, as...), 2, "--until TIME or --for DURATION"},
				{append([]string{"tickets", "snooze", "1", "--until", "soon"}, as...), 2, "--until"},
				{[]string{"tickets", "priority", "--property", "acme", "--as", "ghost@acme.example", "1", "low"}, 1, "not found"},
				{[]string{"tickets", "export", "--property", "acme"}, 2, "--numbers is required"},
				{[]string{"tickets", "export", "--property", "acme", "--numbers", "1,x"}, 2, `"x" is not a ticket number`},
				{[]string{"tickets", "export", "--property", "acme", "--numbers", "7"}, 1, "not found"},
				{[]string{"tickets", "trash", "--property", "acme", "9"}, 1, "not found"},
				{[]string{"tickets", "block", "--property", "acme", "alice@acme.example"}, 1, "cannot be blocked"},
				{[]string{"agent", "token", "--property", "acme"}, 2, "--email is required"},
				{[]string{"agent", "token", "--property", "acme", "--email", "nobody@acme.example"}, 1, "not found"},
			} {
				code, _, stderr := postdesk(t, dsn, c.args...)
				if code != c.code || !strings.Contains(stderr, c.want) {
					t.Errorf("postdesk %s: exit %d, %q; want exit %d and %q", strings.Join(c.args, " "), code, stderr, c.code, c.want)
				}
			}
		})
	}
}

var httpListening = regexp.MustCompile(`msg="HTTP API listening" addr=(\S+)`)

// serveHTTP runs 'postdesk serve' with the HTTP API on a free port until the test ends, and
// returns the API's base URL.
func serveHTTP(t *testing.T, dsn string) string {
	t.Helper()
	_, _, addr := startServeHTTP(t, dsn)
	return "http://" + addr
}

func httpCall(t *testing.T, method, url, token string, body io.Reader, contentType string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServeRunsTheHTTPAPIWithAgentTokens(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme")
			must(t, dsn, "agent", "add", "--property", "acme", "--email", "alice@acme.example", "--name", "Alice")
			token := strings.TrimSpace(must(t, dsn, "agent", "token", "--property", "acme", "--email", "alice@acme.example", "--name", "laptop"))
			if !strings.HasPrefix(token, tickets.TokenPrefix) || strings.Contains(token, "\n") {
				t.Fatalf("agent token printed %q", token)
			}
			base := serveHTTP(t, dsn)

			if code, body := httpCall(t, "GET", base+"/healthz", "", nil, ""); code != 200 || !strings.Contains(body, `"ok"`) {
				t.Fatalf("healthz: %d %s", code, body)
			}
			form := url.Values{"name": {"Ann"}, "email": {"ann@example.org"}, "message": {"Is the shop open on Sunday?"}}
			if code, body := httpCall(t, "POST", base+"/api/v1/properties/acme/form", "", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"); code != 202 {
				t.Fatalf("form: %d %s", code, body)
			}
			code, body := httpCall(t, "GET", base+"/api/v1/properties/acme/tickets", token, nil, "")
			var page struct {
				Tickets []struct {
					Number   int64  `json:"number"`
					Customer string `json:"customer"`
				} `json:"tickets"`
			}
			if json.Unmarshal([]byte(body), &page); code != 200 || len(page.Tickets) != 1 || page.Tickets[0].Customer != "ann@example.org" {
				t.Fatalf("tickets: %d %s", code, body)
			}
			if code, body := httpCall(t, "GET", base+"/metrics", "", nil, ""); code != 200 ||
				!strings.Contains(body, `postdesk_mail_accepted_total{source="form"} 1`) || !strings.Contains(body, "postdesk_outbox_queue_depth") {
				t.Fatalf("metrics: %d %s", code, body)
			}

			if out := must(t, dsn, "agent", "token", "--property", "acme", "--email", "alice@acme.example", "--revoke"); !strings.Contains(out, "revoked 1 tokens") {
				t.Fatalf("revoke: %q", out)
			}
			if code, body := httpCall(t, "GET", base+"/api/v1/properties/acme/tickets", token, nil, ""); code != 401 {
				t.Fatalf("revoked token: %d %s", code, body)
			}
		})
	}
}

func TestSnoozedTicketsWakeOnTheLoop(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			d := dbtest.Open(t, e)
			clk := testclock.New(time.Now())
			s := tickets.New(d, tickets.WithClock(clk.Now))
			p, _ := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
			a, _ := s.AddAgent(ctx, p.ID, "alice@acme.example", "Alice", "")
			tk, err := s.CreateTicket(ctx, p, a, tickets.NewTicket{Customer: tickets.Address{Email: "ann@example.org"}, Subject: "S", Outgoing: tickets.Outgoing{Text: "x"}}, "m1@desk.example")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Snooze(ctx, p, tk.Number, a, clk.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			clk.Advance(2 * time.Hour)
			logs := &syncBuffer{}
			loopCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			wake := snoozeWake(s, time.Hour, slog.New(slog.NewTextHandler(logs, nil)))
			go func() {
				defer close(done)
				wake.Run(loopCtx)
			}()
			// The loop wakes what is due at once, without waiting for its first tick (an hour).
			for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "snooze ended") && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			stop()
			<-done
			if !strings.Contains(logs.String(), "ticket=1") {
				t.Fatalf("wake-up log: %s", logs.String())
			}
			d2, err := s.Detail(ctx, p.ID, tk.Number)
			if err != nil {
				t.Fatal(err)
			}
			if last := d2.Events[len(d2.Events)-1]; last.Kind != "woke" {
				t.Fatalf("last event %+v, want woke", last)
			}
		})
	}
}
