package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Saved replies in Chromium: a manager adds one on its page (a support agent may not open it);
// in a ticket's reply box the picker inserts the text the server filled in for the ticket and
// the agent after what was typed, and the reply sent is that text. Without the script the
// picker's button posts the form and the page comes back with the text in the box.
func TestWebE2ESavedReplies(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, env *webEnv) {
		mgr := env.as(t, mia)
		if st := navigate(t, mgr, env.url("/p/acme/saved-replies")); st != 200 {
			t.Fatalf("the saved replies page for a manager: status %d", st)
		}
		step(t, mgr, "no saved replies yet", chromedp.WaitVisible(chromedp.ID("no-saved-replies")))
		if st := submit(t, mgr, "add a saved reply",
			chromedp.SendKeys(chromedp.ID("saved-name"), "Refund"),
			chromedp.SetValue(chromedp.ID("saved-text"), "Hello {customer_name},\n\nyour refund for {ticket} is on its way.\n{agent_name}"),
			chromedp.Click(chromedp.ID("add-saved"))); st != 200 {
			t.Fatalf("add: status %d%s", st, pageState(mgr))
		}
		step(t, mgr, "the saved reply is listed", chromedp.WaitVisible(chromedp.ID("saved-refund-en")))
		if st := submit(t, mgr, "a second text of the name in the language",
			chromedp.SendKeys(chromedp.ID("saved-name"), "refund"),
			chromedp.SetValue(chromedp.ID("saved-text"), "again"),
			chromedp.Click(chromedp.ID("add-saved"))); st != 422 {
			t.Fatalf("a duplicate: status %d, want 422", st)
		}
		if msg := eval[string](t, mgr, "the error", `document.getElementById("error").textContent`); !strings.Contains(msg, "already exists") {
			t.Errorf("a duplicate says %q", msg)
		}

		tab := env.as(t, alice)
		if st := navigate(t, tab, env.url("/p/acme/saved-replies")); st != 403 {
			t.Errorf("the saved replies page for a support agent: status %d, want 403", st)
		}
		const customer = "sam@customer.example"
		env.send(t, customerMail{From: customer, Name: "Sam Saver", Subject: "Money back", Body: "I returned the kettle."})
		n := env.number(t, "Money back")
		navigate(t, tab, env.url("/p/acme/t/%d", n))
		step(t, tab, "the picker is in the reply box", chromedp.WaitVisible(chromedp.ID("saved-reply")))
		if !has(t, tab, `#saved-reply option[value=refund]`) {
			t.Fatalf("the picker does not offer the saved reply")
		}
		step(t, tab, "type, then insert the saved reply",
			chromedp.SendKeys(chromedp.ID("text"), "Thanks for waiting."),
			chromedp.Click(chromedp.ID("insert-saved-reply")))
		waitJS(t, tab, "the text is inserted", `document.body.dataset.savedInserted === "refund"`)
		want := fmt.Sprintf("Thanks for waiting.\n\nHello Sam Saver,\n\nyour refund for #%d is on its way.\nAlice Archer", n)
		if got := eval[string](t, tab, "the reply box", `document.getElementById("text").value`); got != want {
			t.Fatalf("the reply box holds %q, want %q", got, want)
		}
		if got := location(t, tab); !strings.HasSuffix(got, fmt.Sprintf("/t/%d", n)) {
			t.Errorf("inserting left the page: %s", got)
		}
		if st := submit(t, tab, "send the reply", chromedp.Click(chromedp.ID("send-reply"))); st != 200 {
			t.Fatalf("send: status %d%s", st, pageState(tab))
		}
		env.waitMail(t, "the reply with the saved text", func(m relayed) bool {
			return slices.Contains(m.Rcpts, customer) && strings.Contains(strings.ReplaceAll(m.Text, "\r\n", "\n"), want)
		})

		// Without the script: the button posts the form; the page comes back with the text.
		step(t, tab, "turn the script off", chromedp.Evaluate[chromedp.Void](`document.getElementById("insert-saved-reply").replaceWith(document.getElementById("insert-saved-reply").cloneNode(true))`))
		if st := submit(t, tab, "insert without the script", chromedp.Click(chromedp.ID("insert-saved-reply"))); st != 200 {
			t.Fatalf("insert without the script: status %d%s", st, pageState(tab))
		}
		if got := eval[string](t, tab, "the reply box", `document.getElementById("text").value`); !strings.HasPrefix(got, "Hello Sam Saver,") {
			t.Errorf("without the script the reply box holds %q", got)
		}
	})
}
