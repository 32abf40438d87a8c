package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
)

const bounceRaw = "From: MAILER-DAEMON@mx.other.example\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@mx.other.example>\r\n\r\nThis is the mail system at host mx.other.example.\r\n"

func keptBounce(t *testing.T, ctx context.Context, s *tickets.Store, p tickets.Property) {
	t.Helper()
	secret, _ := s.Secret(ctx)
	got, err := s.Deliver(ctx, p, secret, tickets.Inbound{From: tickets.Address{Email: "mailer-daemon@mx.other.example"}, Subject: "Undelivered Mail Returned to Sender",
		MessageID: "b1@mx.other.example", Raw: []byte(bounceRaw), Text: "This is the mail system.", Kind: "bounce"})
	if err != nil || !got.Kept {
		t.Fatalf("the bounce: %+v, %v", got, err)
	}
}

// The admin's view of mail that is no ticket, and the property settings, from the command line.
func TestSystemAndPropertySetCommands(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := e.DSN(t)
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--domain", "desk.example")
			must(t, dsn, "property", "set", "--slug", "acme", "--ignore-list-mail=true")
			var props []struct {
				Slug   string `json:"slug"`
				Ignore bool   `json:"ignore_list_mail"`
			}
			if err := json.Unmarshal([]byte(must(t, dsn, "property", "list", "--json")), &props); err != nil || len(props) != 1 || !props[0].Ignore {
				t.Fatalf("property list: %+v, %v", props, err)
			}
			if code, _, _ := postdesk(t, dsn, "property", "set", "--slug", "acme"); code != 2 {
				t.Fatalf("property set without a setting: exit %d, want 2", code)
			}

			d, err := db.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			s, err := tickets.Open(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := s.PropertyBySlug(ctx, "acme")
			keptBounce(t, ctx, s, p)

			var ms []tickets.SystemMail
			if err := json.Unmarshal([]byte(must(t, dsn, "system", "list", "--property", "acme", "--kind", "robot", "--class", "bounce", "--json")), &ms); err != nil || len(ms) != 1 {
				t.Fatalf("system list: %+v, %v", ms, err)
			}
			if ms[0].Property != "acme" || ms[0].Class != "bounce" || ms[0].From != "mailer-daemon@mx.other.example" {
				t.Fatalf("system list: %+v", ms[0])
			}
			if out := must(t, dsn, "system", "list", "--class", "auto-reply", "--json"); strings.TrimSpace(out) != "[]" {
				t.Fatalf("auto-replies: %s", out)
			}
			if out := must(t, dsn, "system", "list"); !strings.Contains(out, "Undelivered Mail") {
				t.Fatalf("system list: %s", out)
			}
			id := strconv.FormatInt(ms[0].ID, 10)
			if raw := must(t, dsn, "system", "show", "--raw", id); raw != bounceRaw {
				t.Fatalf("system show --raw: %q", raw)
			}
			if out := must(t, dsn, "system", "show", id); !strings.Contains(out, "Class: bounce") || !strings.Contains(out, "This is the mail system.") {
				t.Fatalf("system show: %s", out)
			}
			if code, _, _ := postdesk(t, dsn, "system", "list", "--kind", "weird"); code != 2 {
				t.Fatalf("--kind weird: exit %d", code)
			}
			if out := must(t, dsn, "system", "retention"); strings.TrimSpace(out) != "720h0m0s" {
				t.Fatalf("default retention: %s", out)
			}
			if out := must(t, dsn, "system", "retention", "--set", "48h"); strings.TrimSpace(out) != "48h0m0s" {
				t.Fatalf("retention set: %s", out)
			}
		})
	}
}

// serve's purge job deletes robot system mail past its retention time, at start.
func TestSystemMailPurgeLoop(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			d := dbtest.Open(t, e)
			clk := testclock.New(time.Now())
			s := tickets.New(d, tickets.WithClock(clk.Now))
			p, _ := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
			keptBounce(t, ctx, s, p)
			loopCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			purge := systemMailPurge(s, time.Hour, slog.New(slog.DiscardHandler))
			go func() {
				defer close(done)
				purge.Run(loopCtx)
			}()
			defer func() { stop(); <-done }()
			if err := purge.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if ms, _ := s.ListSystemMail(ctx, tickets.SystemMailFilter{}); len(ms) != 1 {
				t.Fatalf("%d system mails within the retention time, want 1", len(ms))
			}
			clk.Advance(31 * 24 * time.Hour)
			if err := purge.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if ms, _ := s.ListSystemMail(ctx, tickets.SystemMailFilter{}); len(ms) != 0 {
				t.Fatalf("%d system mails after 31 days, want 0", len(ms))
			}
		})
	}
}
