package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/mailer/oauth/oauthtest"
)

const ada = "ada@acme.example" // admin

// addAdmin makes ada an admin of acme, with the harness's password.
func (env *webEnv) addAdmin(t *testing.T) {
	t.Helper()
	must(t, env.dsn, "agent", "add", "--property", e2eProp, "--email", ada, "--name", "Ada Admin", "--role", "admin")
	if code, _, errs := withInput(t, env.dsn, env.password+"\n", "agent", "password", "--property", e2eProp, "--email", ada); code != 0 {
		t.Fatalf("agent password %s: exit %d: %s", ada, code, errs)
	}
}

// queryOne reads one value from the server's database.
func queryOne[T any](t *testing.T, dsn, q string, args ...any) T {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var v T
	if err := d.Get(context.Background(), nil, &v, d.Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// In a real browser, through serve: an admin opens the Admin menu, edits the property's
// settings, and removes an agent after a confirmation; the agent's tickets become unassigned and
// their session ends. A support agent sees no Admin menu and is refused its pages.
func TestWebE2EAdmin(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, env *webEnv) {
		env.addAdmin(t)
		env.send(t, customerMail{From: "ann@customer.example", Name: "Ann", Subject: "Bob's ticket", Body: "For Bob."})
		n := env.number(t, "Bob's ticket")
		env.at(t, "tickets", "assign", "--property", e2eProp, "--as", mia, fmt.Sprint(n), bob)

		bobTab := env.signIn(t, bob)
		if has(t, bobTab, "#admin-menu") {
			t.Error("a support agent sees the Admin menu")
		}
		if st := navigate(t, bobTab, env.url("/p/acme/admin/property")); st != 403 {
			t.Errorf("a support agent opens the settings: %d", st)
		}

		tab := env.signIn(t, ada)
		if st := submit(t, tab, "open the Admin menu", chromedp.Click(chromedp.ID("admin-menu"))); st != 200 {
			t.Fatalf("the Admin menu: %d", st)
		}
		step(t, tab, "the settings form", chromedp.WaitVisible(chromedp.ID("property-form")))
		st := submit(t, tab, "save the settings",
			chromedp.SetValue(chromedp.CSS(`#property-form input[name=name]`), "Acme Helpdesk"),
			chromedp.SetValue(chromedp.CSS(`#property-form input[name=reopen_hours]`), "24"),
			chromedp.SetValue(chromedp.CSS(`#property-form select[name=locale]`), "fr"),
			chromedp.Click(chromedp.CSS(`#property-form input[name=acknowledge]`)),
			chromedp.Click(chromedp.CSS(`#property-form input[name=close_mail]`)),
			chromedp.Click(chromedp.ID("save-property")))
		if st != 200 {
			t.Fatalf("save: %d%s", st, pageState(tab))
		}
		step(t, tab, "the notice", chromedp.WaitVisible(chromedp.CSS(`.notice`)))
		type prop struct {
			Name      string `db:"name"`
			Secs      int64  `db:"reopen_window_secs"`
			Locale    string `db:"locale"`
			Ack       bool   `db:"acknowledge"`
			CloseMail bool   `db:"close_mail"`
		}
		p := queryOne[prop](t, env.dsn, `SELECT name, reopen_window_secs, locale, acknowledge, close_mail FROM properties WHERE slug = ?`, e2eProp)
		if p != (prop{Name: "Acme Helpdesk", Secs: 24 * 3600, Locale: "fr", Ack: false, CloseMail: true}) {
			t.Fatalf("the property after saving: %+v", p)
		}

		navigate(t, tab, env.url("/p/acme/admin/agents"))
		row := fmt.Sprintf(`#agents tr[data-email=%q]`, bob)
		step(t, tab, "bob's row", chromedp.WaitVisible(chromedp.CSS(row)))
		if has(t, tab, fmt.Sprintf(`#agents tr[data-email=%q] .remove-agent`, ada)) {
			t.Error("the admin is offered to remove themself")
		}
		if st := submit(t, tab, "remove bob", chromedp.Click(chromedp.CSS(row+` .remove-agent`))); st != 200 {
			t.Fatalf("the confirmation: %d", st)
		}
		msg := eval[string](t, tab, "the confirmation", `document.getElementById("confirm-message").textContent`)
		if !strings.Contains(msg, bob) {
			t.Errorf("the confirmation says %q", msg)
		}
		if st := submit(t, tab, "confirm", chromedp.Click(chromedp.ID("confirm"))); st != 200 {
			t.Fatalf("remove: %d", st)
		}
		step(t, tab, "the agents page again", chromedp.WaitVisible(chromedp.ID("agents")))
		if has(t, tab, row) {
			t.Error("bob is still listed")
		}
		if notice := eval[string](t, tab, "the notice", `document.querySelector(".notice").textContent`); !strings.Contains(notice, "1 ticket(s) are unassigned") {
			t.Errorf("the notice says %q", notice)
		}
		if a := queryOne[*int64](t, env.dsn, `SELECT assignee_agent_id FROM tickets WHERE number = ?`, n); a != nil {
			t.Errorf("bob's ticket is still assigned")
		}
		// Bob's session ended: his next page is the sign-in page.
		navigate(t, bobTab, env.url("/p/acme/"))
		if u := location(t, bobTab); !strings.Contains(u, "/signin") {
			t.Errorf("bob, removed, is at %s", u)
		}
	})
}

// waitAcrossPages waits until expr is true in the tab while it goes from page to page (a poll
// in a page that navigates away fails: it is asked again in the next).
func waitAcrossPages(t *testing.T, tab context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, cancel := context.WithTimeout(tab, 2*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not in 20 s (%v)%s", what, err, pageState(tab))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// In a real browser, through serve: an admin connects a Google mailbox with the button, the
// stand-in provider consenting and sending the browser back to postdesk; the mailbox is then
// polled (by the stand-in's IMAP server, with XOAUTH2) and its mail becomes a ticket.
func TestWebE2EConnectGoogleMailbox(t *testing.T) {
	t.Parallel()
	needChromium(t)
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			fp := oauthtest.Start(t)
			imapSrv := oauthtest.StartIMAP(t, fp, []string{"XOAUTH2", "OAUTHBEARER"}, agentAccount)
			must(t, dsn, "property", "add", "--slug", e2eProp, "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
			env := &webEnv{dsn: dsn, password: e2ePass, sessions: map[string]context.Context{}, relay: mailertest.Start(t)}
			env.addAdmin(t)
			oenv := oauthEnv(dsn, fp)
			var httpAddr string
			// The test's IMAP server is on 127.0.0.1, which the admin pages may use only when allowed.
			env.smtp, httpAddr = startServeWithEnv(t, oenv, nil, "--relay", env.relay.Addr, "--relay-tls", "none", "--admin-mailbox-hosts", "127.0.0.1")
			env.base = "http://" + httpAddr
			env.browser = startBrowser(t)

			tab := env.signIn(t, ada)
			navigate(t, tab, env.url("/p/acme/admin/mailboxes"))
			step(t, tab, "the Connect buttons", chromedp.WaitVisible(chromedp.ID("connect-google")), chromedp.WaitVisible(chromedp.ID("connect-microsoft")))
			form := `#connect-google `
			step(t, tab, "fill in the account and the test's IMAP server",
				chromedp.SendKeys(chromedp.CSS(form+`input[name=account]`), agentAccount),
				chromedp.Click(chromedp.CSS(form+`details summary`)),
				chromedp.SetValue(chromedp.CSS(form+`input[name=host]`), imapSrv.Host),
				chromedp.SetValue(chromedp.CSS(form+`input[name=port]`), strconv.Itoa(imapSrv.Port)),
				chromedp.SetValue(chromedp.CSS(form+`select[name=tls]`), "none"))
			step(t, tab, "connect", chromedp.Click(chromedp.CSS(form+`button[type=submit]`)))
			// The page goes on to the provider, which sends the browser back to postdesk.
			waitAcrossPages(t, tab, "back on the mailboxes page", `location.pathname === "/p/acme/admin/mailboxes" && !!document.querySelector(".notice")`)
			if notice := eval[string](t, tab, "the notice", `document.querySelector(".notice").textContent`); !strings.Contains(notice, agentAccount) {
				t.Fatalf("the notice says %q", notice)
			}
			rows := mailboxStatus(t, oenv)
			if len(rows) != 1 || rows[0].Auth != "google as "+agentAccount || rows[0].NeedsSignIn {
				t.Fatalf("mailbox status: %+v", rows)
			}
			waitUntil(t, "the first poll", func() bool { return mailboxStatus(t, oenv)[0].UIDValidity != 0 })
			imapSrv.Append(t, agentAccount, "From: Ann <ann@customer.example>\r\nTo: "+agentAccount+"\r\nSubject: Sent to Gmail\r\nMessage-ID: <g1@customer.example>\r\nDate: "+
				time.Now().Format(time.RFC1123Z)+"\r\n\r\nHello.\r\n")
			waitUntil(t, "the ticket", func() bool { return ticketCount(t, dsn) == 1 })
			navigate(t, tab, env.url("/p/acme/admin/mailboxes"))
			state := eval[string](t, tab, "the mailbox's state", `document.querySelector("#mailboxes tbody tr").dataset.state`)
			if state != "ok" {
				t.Errorf("the mailbox's state is %q, want ok%s", state, pageState(tab))
			}
			if a := imapSrv.Attempts(); len(a) < 2 || !a[len(a)-1].OK || a[len(a)-1].User != agentAccount {
				t.Errorf("the IMAP logins: %+v", a)
			}
		})
	}
}
