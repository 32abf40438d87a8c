package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/mailer/mailertest"
)

// A backup taken while serve runs, restored into a fresh folder, is the desk as it was: a
// customer's answer to the reply address of a mail sent before the backup (signed with the
// server secret, which the backup carries) joins the ticket made before it.
func TestABackupTakenWhileServingRestoresTheDesk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	live := filepath.Join(dir, "live", "postdesk.db")
	bak := filepath.Join(dir, "postdesk-backup.db")
	var replyTo, ackID string
	t.Run("serving", func(t *testing.T) {
		d := newDesk(t, live)
		d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Printer on fire\nMessage-ID: <c1@customer.example>\n\nIt burns.\n")
		ack := to(d.sent(4), "ann@customer.example")
		if len(ack) != 1 {
			t.Fatalf("%d acknowledgements", len(ack))
		}
		a, err := mail.ParseAddress(ack[0].h.Get("Reply-To"))
		if err != nil || !strings.HasPrefix(a.Address, "acme+") {
			t.Fatalf("the acknowledgement's Reply-To %q: %v", ack[0].h.Get("Reply-To"), err)
		}
		replyTo, ackID = a.Address, ack[0].h.Get("Message-ID")
		d.drained()

		out := must(t, live, "backup", "--out", bak) // serve is running
		if !strings.Contains(out, "schema version") {
			t.Fatalf("backup printed %q", out)
		}
		if fi, err := os.Stat(bak); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("the backup: %v, %v (want a file only its owner reads: it holds the server secret)", fi, err)
		}
		if code, _, errs := postdesk(t, live, "backup", "--out", bak); code != 1 || !strings.Contains(errs, "exists") {
			t.Fatalf("a backup over an existing file: exit %d: %s", code, errs)
		}
		// Not under a running serve, even with --force.
		if code, _, errs := postdesk(t, live, "restore", "--from", bak, "--force"); code != 1 || !strings.Contains(errs, "stop it first") {
			t.Fatalf("a restore under a running serve: exit %d: %s", code, errs)
		}
	}) // serve stops here

	fresh := filepath.Join(t.TempDir(), "restored", "postdesk.db")
	if out := must(t, fresh, "restore", "--from", bak); !strings.Contains(out, "restored") {
		t.Fatalf("restore printed %q", out)
	}
	if code, _, errs := postdesk(t, fresh, "restore", "--from", bak); code != 1 || !strings.Contains(errs, "--force") {
		t.Fatalf("a restore over an existing database: exit %d: %s", code, errs)
	}
	must(t, fresh, "restore", "--from", bak, "--force")

	d := &desk{t: t, dsn: fresh, relay: mailertest.Start(t)}
	d.smtp, _ = startServe(t, fresh, "--relay", d.relay.Addr, "--relay-tls", "none")
	// The reply address alone (no In-Reply-To, no ticket number): only the restored secret
	// verifies it; then an answer that says In-Reply-To the acknowledgement.
	for i, msg := range []struct{ rcpt, text string }{
		{replyTo, "From: Ann <ann@customer.example>\nTo: " + replyTo + "\nSubject: One more thing\nMessage-ID: <c2@customer.example>\n\nThe toner too.\n"},
		{"acme@desk.example", "From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Re: Printer on fire\nIn-Reply-To: " + ackID + "\nMessage-ID: <c3@customer.example>\n\nStill burning.\n"},
	} {
		if err := sendMail(t, d.smtp, "ann@customer.example", []string{msg.rcpt}, msg.text); err != nil {
			t.Fatalf("the answer to %s was refused: %v", msg.rcpt, err)
		}
		var ts []listedTicket
		if err := json.Unmarshal([]byte(must(t, fresh, "tickets", "list", "--property", "acme", "--status", "all", "--json")), &ts); err != nil {
			t.Fatal(err)
		}
		if len(ts) != 1 || ts[0].Number != 1 || ts[0].Messages != int64(2+i) {
			t.Fatalf("after the restore, the answer to %s made %+v; want it in ticket #1", msg.rcpt, ts)
		}
	}
}

// restore takes only a whole postdesk database this postdesk can run.
func TestRestoreRefusesWhatIsNoPostdeskDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	live := filepath.Join(dir, "postdesk.db")
	must(t, live, "property", "add", "--slug", "acme", "--name", "Acme")
	bak := filepath.Join(dir, "ok.db")
	must(t, live, "backup", "--out", bak)

	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not a database at all, just some words to fill a header"), 0o600)
	other := filepath.Join(dir, "other.db")
	sqlExec(t, other, `CREATE TABLE things (id INTEGER)`)
	newer := filepath.Join(dir, "newer.db")
	raw, _ := os.ReadFile(bak)
	os.WriteFile(newer, raw, 0o600)
	sqlExec(t, newer, `UPDATE schema_version SET version = 9999`)

	for file, want := range map[string]string{
		text:                         "not a SQLite database",
		other:                        "not a postdesk database",
		newer:                        "newer than this postdesk",
		filepath.Join(dir, "absent"): "no such file",
	} {
		target := filepath.Join(t.TempDir(), "postdesk.db")
		code, _, errs := postdesk(t, target, "restore", "--from", file)
		if code != 1 || !strings.Contains(errs, want) {
			t.Errorf("restore --from %s: exit %d: %s (want %q)", filepath.Base(file), code, errs, want)
		}
		if _, err := os.Stat(target); err == nil {
			t.Errorf("restore --from %s wrote a database", filepath.Base(file))
		}
	}
	if code, _, _ := postdesk(t, filepath.Join(dir, "x.db"), "restore"); code != 2 {
		t.Errorf("restore without --from: exit %d", code)
	}
	// A backup of a database that is not there is no empty backup.
	if code, _, errs := postdesk(t, filepath.Join(dir, "nothing.db"), "backup", "--out", filepath.Join(dir, "b2.db")); code != 1 || !strings.Contains(errs, "no database") {
		t.Errorf("backup of nothing: exit %d: %s", code, errs)
	}
}

// On PostgreSQL, backup and restore say what to use instead, and fail (a script must not take
// their silence for a backup).
func TestBackupOnPostgresSaysToUsePgDump(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"backup", "--out", "x"}, {"restore", "--from", "x"}} {
		code, _, errs := postdesk(t, "postgres://postdesk@127.0.0.1:1/postdesk", cmd...)
		if code != 1 || !strings.Contains(errs, "pg_dump") || !strings.Contains(errs, "pg_restore") || !strings.Contains(errs, "server_secret") {
			t.Errorf("%s on PostgreSQL: exit %d: %s", cmd[0], code, errs)
		}
	}
}

func sqlExec(t *testing.T, path, q string) {
	t.Helper()
	x, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, err := x.ExecContext(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}
