package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
)

// The relay speaks TLS with a self-signed certificate: trusted through relay_ca_file with
// STARTTLS, through relay_tls_insecure with implicit TLS; refused without either.
func TestRelayOverTLS(t *testing.T) {
	cases := []struct {
		name     string
		implicit bool
		flags    func(ca string) []string
	}{
		{"starttls-ca-file", false, func(ca string) []string { return []string{"--relay-tls", "starttls", "--relay-ca-file", ca} }},
		{"implicit-insecure", true, func(string) []string { return []string{"--relay-tls", "implicit", "--relay-tls-insecure"} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dsn := dbtest.Engines()[0].DSN(t)
			relay, caPEM := mailertest.StartTLS(t, c.implicit)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(ca, caPEM, 0o600); err != nil {
				t.Fatal(err)
			}
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "support@acme.example", "--domain", "desk.example")
			addr, _ := startServe(t, dsn, append([]string{"--relay", relay.Addr}, c.flags(ca)...)...)
			if err := sendMail(t, addr, "ann@customer.example", []string{"acme@desk.example"}, "From: ann@customer.example\nTo: support@acme.example\nSubject: Hello\nMessage-ID: <tls1@customer.example>\n\nHi.\n"); err != nil {
				t.Fatal(err)
			}
			got := relay.Wait(t, 1, 15*time.Second)
			if got[0].Rcpts[0] != "ann@customer.example" || !strings.Contains(string(got[0].Data), "[#1]") {
				t.Fatalf("relay got %+v", got[0])
			}
			if secured, all := relay.Sessions(); secured != all || all == 0 {
				t.Fatalf("%d of %d mails over TLS", secured, all)
			}
		})
	}
	t.Run("untrusted", func(t *testing.T) {
		dsn := dbtest.Engines()[0].DSN(t)
		relay, _ := mailertest.StartTLS(t, false)
		must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "support@acme.example", "--domain", "desk.example")
		addr, _ := startServe(t, dsn, "--relay", relay.Addr, "--relay-tls", "starttls")
		if err := sendMail(t, addr, "ann@customer.example", []string{"acme@desk.example"}, "From: ann@customer.example\nTo: support@acme.example\nSubject: Hello\nMessage-ID: <tls2@customer.example>\n\nHi.\n"); err != nil {
			t.Fatal(err)
		}
		m := waitOutbox(t, dsn, func(m outboxRow) bool { return m.Attempts > 0 && m.Status == "queued" })
		if len(relay.Messages()) != 0 || !strings.Contains(m.LastError, "certificate") {
			t.Fatalf("mail sent to an untrusted relay, or not kept queued: %+v", m)
		}
	})
}

type outboxRow struct {
	Status    string `db:"status"`
	Attempts  int    `db:"attempts"`
	LastError string `db:"last_error"`
}

// waitOutbox waits until the first outbox row satisfies ok, and returns it.
func waitOutbox(t *testing.T, dsn string, ok func(outboxRow) bool) outboxRow {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var m outboxRow
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := d.GetContext(context.Background(), &m, `SELECT status, attempts, last_error FROM outbox ORDER BY id LIMIT 1`); err == nil && ok(m) {
			return m
		}
	}
	t.Fatalf("outbox row never became as wanted: %+v", m)
	return m
}
