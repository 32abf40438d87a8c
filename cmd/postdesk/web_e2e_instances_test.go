package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Two 'postdesk serve' instances on one database: a page served by the second shows, without
// reloading, a mail taken in by the first over SMTP and a change an agent makes through the
// first. The live feed comes from the database, never from one process's memory.
func (env *webEnv) testTwoInstances(t *testing.T) {
	if !strings.HasPrefix(env.dsn, "postgres") {
		// SQLite serves one instance: the second refuses to start, naming the first
		// (TestOneServePerSQLiteFile); several instances are PostgreSQL's.
		if code, _, errs := postdesk(t, env.dsn, "serve", "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", t.TempDir()); code != 1 || !strings.Contains(errs, "another postdesk serve") {
			t.Fatalf("a second serve on one SQLite file: exit %d: %s", code, errs)
		}
		return
	}
	_, http2 := startServeWith(t, env.dsn, env.clock.Now, "--relay", env.relay.Addr, "--relay-tls", "none")
	second := "http://" + http2
	a := env.as(t, alice) // signed in on the first instance; the session is the database's
	b := env.as(t, bob)
	navigate(t, b, second+"/p/acme/")
	step(t, b, "bob's list, served by the second instance", chromedp.WaitVisible(chromedp.ID("bulk")))
	waitJS(t, b, "the second instance's event stream opens", `document.body.dataset.liveReady === "1"`)
	eval[bool](t, b, "mark the page", `(window.__sameDocument = true)`)
	env.send(t, customerMail{From: "twice@customer.example", Name: "Tess Twice", Subject: "Seen everywhere", Body: "Through instance one."})
	n := env.number(t, "Seen everywhere")
	waitJS(t, b, "the first instance's mail shows on the second's page", fmt.Sprintf(`!!document.querySelector(%q)`, rowSel(n)))
	navigate(t, a, env.url("/p/acme/t/%d", n))
	submit(t, a, "alice closes it through the first instance", chromedp.Click(chromedp.ID("close")))
	waitJS(t, b, "the second instance's page shows it closed", fmt.Sprintf(`(document.querySelector(%q + " td.status") || {}).textContent.trim().startsWith("Closed")`, rowSel(n)))
	if !eval[bool](t, b, "the same page", `window.__sameDocument === true`) {
		t.Errorf("bob's page was reloaded")
	}
}
