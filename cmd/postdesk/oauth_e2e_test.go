package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/mailer/oauth/oauthtest"
)

// oauthEnv is the environment of a postdesk whose providers are the stand-in.
func oauthEnv(dsn string, fp *oauthtest.Provider) func(string) string {
	vars := map[string]string{
		"POSTDESK_DB":                         dsn,
		"POSTDESK_OAUTH_MICROSOFT_CLIENT_ID":  oauthtest.ClientID,
		"POSTDESK_OAUTH_MICROSOFT_TENANT":     oauthtest.Tenant,
		"POSTDESK_OAUTH_MICROSOFT_AUTHORITY":  fp.URL,
		"POSTDESK_OAUTH_GOOGLE_CLIENT_ID":     oauthtest.ClientID,
		"POSTDESK_OAUTH_GOOGLE_CLIENT_SECRET": oauthtest.ClientSecret,
		"POSTDESK_OAUTH_GOOGLE_AUTH_URL":      fp.GoogleAuthURL(),
		"POSTDESK_OAUTH_GOOGLE_TOKEN_URL":     fp.GoogleTokenURL(),
	}
	return func(k string) string { return vars[k] }
}

// withEnv adds variables to env.
func withEnv(env func(string) string, kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return env(k)
	}
}

// runEnv runs one command with env, its output streamed to out.
func runEnv(env func(string) string, out io.Writer, args ...string) (int, string) {
	var errb bytes.Buffer
	code := run(context.Background(), args, out, &errb, env)
	return code, errb.String()
}

// startServeEnv runs 'postdesk serve' with env and the capturing relay until the test ends; it
// returns serve's log.
func startServeEnv(t *testing.T, env func(string) string, relayAddr string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int)
	args := []string{"serve", "--smtp", "127.0.0.1:0", "--http", "", "--domain", "desk.example", "--data-dir", t.TempDir()}
	if relayAddr != "" {
		args = append(args, "--relay", relayAddr, "--relay-tls", "none")
	}
	go func() { done <- run(ctx, args, &bytes.Buffer{}, logs, env) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, logs.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "imap: polling mailboxes") || !listening.MatchString(logs.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return logs
}

type statusJSON struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	Auth        string `json:"auth"`
	Imported    int64  `json:"imported"`
	UIDValidity int64  `json:"uidvalidity"`
	LastError   string `json:"last_error"`
	NeedsSignIn bool   `json:"needs_signin"`
}

func mailboxStatus(t *testing.T, env func(string) string) []statusJSON {
	t.Helper()
	var out bytes.Buffer
	if code, errs := runEnv(env, &out, "mailbox", "status", "--json"); code != 0 {
		t.Fatalf("mailbox status: %d %s", code, errs)
	}
	var rows []statusJSON
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitUntilFor(t, 20*time.Second, what, cond)
}

func waitUntilFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func ticketCount(t *testing.T, dsn string) int {
	t.Helper()
	var ts []listedTicket
	if err := json.Unmarshal([]byte(must(t, dsn, "tickets", "list", "--property", "acme", "--json")), &ts); err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

const (
	agentAccount = "support@acme.example"
	sharedBox    = "help@acme.example"
)

func sharedBoxMail(id, subject string) string {
	return "From: Ann <ann@customer.example>\r\nTo: " + sharedBox + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + id + "@customer.example>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nHello.\r\n"
}

// A Microsoft 365 shared mailbox, end to end: the admin signs in with the device flow, postdesk
// polls the shared mailbox as the signed-in member with XOAUTH2; the consent is revoked: the
// mailbox stops, says so in its status, the property's admin gets one mail; the admin signs in
// again and the polling goes on. No token shows anywhere.
func TestMicrosoftSharedMailboxEndToEnd(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dsn := e.DSN(t)
			fp := oauthtest.Start(t)
			fp.User, fp.Rotate = agentAccount, true
			fp.Script("authorization_pending", "authorization_pending", "slow_down", "")
			imapSrv := oauthtest.StartIMAP(t, fp, []string{"XOAUTH2"}, agentAccount, sharedBox)
			imapSrv.Share(sharedBox, agentAccount)
			env := oauthEnv(dsn, fp)
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
			must(t, dsn, "agent", "add", "--property", "acme", "--email", "alice@acme.example", "--name", "Alice", "--role", "admin")
			must(t, dsn, "agent", "add", "--property", "acme", "--email", "bob@acme.example", "--name", "Bob")

			var added syncBuffer
			code, errs := runEnv(env, &added, "mailbox", "add", "--property", "acme", "--provider", "microsoft", "--user", agentAccount+`\`+sharedBox,
				"--host", imapSrv.Host, "--port", strconv.Itoa(imapSrv.Port), "--tls", "none")
			if code != 0 {
				t.Fatalf("mailbox add: %d %s\n%s", code, errs, added.String())
			}
			out := added.String()
			if !strings.Contains(out, fp.URL+"/devicelogin") || !strings.Contains(out, fp.UserCode) || !strings.Contains(out, "checked: 0 messages in INBOX") {
				t.Fatalf("mailbox add printed:\n%s", out)
			}
			if len(fp.Polls()) != 4 {
				t.Errorf("the token endpoint was polled %d times, want 4", len(fp.Polls()))
			}
			rows := mailboxStatus(t, env)
			if len(rows) != 1 || rows[0].Username != sharedBox || rows[0].Auth != "microsoft as "+agentAccount || rows[0].NeedsSignIn {
				t.Fatalf("status %+v", rows)
			}

			d := &desk{t: t, dsn: dsn, relay: mailertest.Start(t)}
			logs := startServeEnv(t, env, d.relay.Addr)
			waitUntil(t, "the first poll", func() bool { return mailboxStatus(t, env)[0].UIDValidity != 0 })
			imapSrv.Append(t, sharedBox, sharedBoxMail("m1", "Printer on fire"))
			waitUntil(t, "the ticket", func() bool { return ticketCount(t, dsn) == 1 })
			if a := imapSrv.Attempts(); a[0] != (oauthtest.Attempt{Mech: "XOAUTH2", User: sharedBox, OK: true}) {
				t.Errorf("logins %+v", a)
			}
			base := len(d.drained()) // the new-ticket notices

			// The consent is revoked, and the connection drops.
			fp.Revoke()
			imapSrv.Cut()
			waitUntil(t, "the state in the status", func() bool { r := mailboxStatus(t, env); return len(r) == 1 && r[0].NeedsSignIn })
			ms := d.sent(base + 1)[base:]
			if len(ms) != 1 || ms[0].rcpts[0] != "alice@acme.example" || !strings.Contains(ms[0].h.Get("Subject"), "Microsoft 365 mailbox needs signing in again") ||
				!strings.Contains(ms[0].raw, "postdesk mailbox signin 1") || !strings.Contains(ms[0].raw, "invalid_grant") || ms[0].h.Get("Auto-Submitted") != "auto-generated" {
				t.Fatalf("the admin's notice: %+v", ms)
			}
			var status bytes.Buffer
			runEnv(env, &status, "mailbox", "status")
			if !strings.Contains(status.String(), "needs sign-in again: run 'postdesk mailbox signin 1'") {
				t.Errorf("status:\n%s", status.String())
			}
			failures, refreshes := imapSrv.Failures(), fp.Refreshes()
			// More mail arrives meanwhile; nobody asks the provider, nor the server, and the
			// admin is told once.
			imapSrv.Append(t, sharedBox, sharedBoxMail("m2", "Toner everywhere"))
			if got := d.drained(); len(got) != base+1 {
				t.Errorf("%d mails, want %d: the admin is told once", len(got), base+1)
			}
			if imapSrv.Failures() != failures || fp.Refreshes() != refreshes {
				t.Errorf("after the stop: %d more logins, %d more refreshes", imapSrv.Failures()-failures, fp.Refreshes()-refreshes)
			}

			// The admin signs in again: the mail that waited is imported.
			fp.Script("")
			var again syncBuffer
			if code, errs := runEnv(env, &again, "mailbox", "signin", "1"); code != 0 || !strings.Contains(again.String(), fp.UserCode) {
				t.Fatalf("mailbox signin: %d %s\n%s", code, errs, again.String())
			}
			// serve reads the mailbox table every 30 seconds.
			waitUntilFor(t, 45*time.Second, "the waiting mail", func() bool { return ticketCount(t, dsn) == 2 })
			if r := mailboxStatus(t, env); r[0].NeedsSignIn {
				t.Errorf("still needs sign-in: %+v", r)
			}

			// No token anywhere: the CLI's output, serve's log, the mail sent, the status.
			runEnv(env, &status, "mailbox", "list")
			runEnv(env, &status, "mailbox", "status", "--json")
			shown := out + again.String() + logs.String() + status.String()
			for _, m := range d.relay.Messages() {
				shown += string(m.Data)
			}
			for _, tok := range fp.Issued() {
				if strings.Contains(shown, tok) {
					t.Fatalf("a token shows in the output, the log or the mail")
				}
			}
		})
	}
}

var googleAuth = regexp.MustCompile(`http://127\.0\.0\.1:\d+/google/auth\?\S+`)

// Google: the loopback flow with PKCE, the test acting as the browser; Gmail offers OAUTHBEARER.
func TestGoogleMailboxAddWithTheLoopbackFlow(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dsn := e.DSN(t)
			fp := oauthtest.Start(t)
			imapSrv := oauthtest.StartIMAP(t, fp, []string{"XOAUTH2", "OAUTHBEARER"}, agentAccount)
			env := oauthEnv(dsn, fp)
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
			pr, pw := io.Pipe()
			done := make(chan string, 1)
			go func() {
				code, errs := runEnv(env, pw, "mailbox", "add", "--property", "acme", "--provider", "google", "--user", agentAccount,
					"--host", imapSrv.Host, "--port", strconv.Itoa(imapSrv.Port), "--tls", "none")
				pw.Close()
				if code != 0 {
					done <- errs
				}
				close(done)
			}()
			sc := bufio.NewScanner(pr)
			var printed strings.Builder
			for sc.Scan() {
				printed.WriteString(sc.Text() + "\n")
				if u := googleAuth.FindString(sc.Text()); u != "" {
					resp, err := http.Get(u) // the browser: the stand-in consents and redirects to postdesk's listener
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if !strings.Contains(string(body), "signed in") {
						t.Errorf("the browser shows %s", body)
					}
				}
			}
			if errs, failed := <-done; failed {
				t.Fatalf("mailbox add: %s\n%s", errs, printed.String())
			}
			if !strings.Contains(printed.String(), "signed in to Google as "+agentAccount) || !strings.Contains(printed.String(), "checked: 0 messages") {
				t.Fatalf("printed:\n%s", printed.String())
			}
			if a := imapSrv.Attempts(); len(a) != 1 || a[0] != (oauthtest.Attempt{Mech: "OAUTHBEARER", User: agentAccount, OK: true}) {
				t.Errorf("logins %+v", a)
			}
			if rows := mailboxStatus(t, env); len(rows) != 1 || rows[0].Auth != "google as "+agentAccount {
				t.Errorf("status %+v", rows)
			}
		})
	}
}

// The relay signs in with OAuth2: 'relay signin' once (the device flow), then serve sends through
// a submission server that takes bearer tokens only.
func TestRelayWithOAuth2EndToEnd(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dsn := e.DSN(t)
			fp := oauthtest.Start(t)
			fp.User = agentAccount
			smtpRelay := oauthtest.StartSMTP(t, fp, "XOAUTH2")
			env := withEnv(oauthEnv(dsn, fp), "POSTDESK_RELAY", smtpRelay.Addr, "POSTDESK_RELAY_TLS", "none",
				"POSTDESK_RELAY_AUTH", "oauth2", "POSTDESK_RELAY_OAUTH_PROVIDER", "microsoft", "POSTDESK_RELAY_USER", agentAccount)
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
			must(t, dsn, "agent", "add", "--property", "acme", "--email", "alice@acme.example", "--name", "Alice")

			// Not signed in yet: serve says what to do, and does not start.
			var out bytes.Buffer
			code, errs := runEnv(env, &out, "serve", "--smtp", "127.0.0.1:0", "--http", "", "--data-dir", t.TempDir())
			if code != 2 || !strings.Contains(errs, "postdesk relay signin") {
				t.Fatalf("serve without a sign-in: %d %s", code, errs)
			}
			fp.Script("")
			if code, errs := runEnv(env, &out, "relay", "signin"); code != 0 || !strings.Contains(out.String(), fp.UserCode) || !strings.Contains(out.String(), "signed in to Microsoft 365 as "+agentAccount) {
				t.Fatalf("relay signin: %d %s\n%s", code, errs, out.String())
			}

			var st bytes.Buffer
			if code, errs := runEnv(env, &st, "relay", "status"); code != 0 || !strings.Contains(st.String(), "signed in to Microsoft 365 as "+agentAccount) {
				t.Fatalf("relay status: %d %s %s", code, errs, st.String())
			}
			var probe bytes.Buffer
			if code, errs := runEnv(env, &probe, "relay", "test", "--to", "someone@example.com", "--from", agentAccount); code != 0 ||
				!strings.Contains(probe.String(), "OAuth2 access token") || !strings.Contains(probe.String(), "AUTH XOAUTH2") || !strings.Contains(probe.String(), "the relay accepted") {
				t.Fatalf("relay test: %d %s\n%s", code, errs, probe.String())
			}
			logs := startServeEnv(t, env, "")
			m := listening.FindStringSubmatch(logs.String())
			if err := sendMail(t, m[2], "ann@customer.example", []string{"acme@desk.example"}, "From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Printer on fire\nMessage-ID: <r1@customer.example>\n\nIt burns.\n"); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "the acknowledgement and the notice through the relay", func() bool { return len(smtpRelay.Mails()) == 3 })
			if a := smtpRelay.Attempts(); len(a) == 0 || a[0] != (oauthtest.Attempt{Mech: "XOAUTH2", User: agentAccount, OK: true}) {
				t.Errorf("relay logins %+v", a)
			}
			shown := out.String() + logs.String() + probe.String()
			for _, tok := range fp.Issued() {
				if strings.Contains(shown, tok) {
					t.Fatal("a token shows in the output or the log")
				}
			}
		})
	}
}
