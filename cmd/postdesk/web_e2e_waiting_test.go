package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// 15. Who is waiting: a ticket nobody answered is "Open" in orange in the list, with how long the
// customer has waited; one answered from the web shows plainly; the filter and the sort find the
// first; the ticket page shows the first-response time.
func (env *webEnv) testWaiting(t *testing.T) {
	const customer = "wanda@customer.example"
	env.send(t, customerMail{From: customer, Name: "Wanda Wait", Subject: "Kettle leaks", Body: "Nobody answers."})
	asked := env.number(t, "Kettle leaks")
	env.send(t, customerMail{From: customer, Name: "Wanda Wait", Subject: "Kettle descaling", Body: "How do I descale it?"})
	answered := env.number(t, "Kettle descaling")
	env.clock.Advance(2 * time.Hour)

	tab := env.as(t, alice)
	navigate(t, tab, env.url("/p/acme/t/%d", answered))
	if st := submit(t, tab, "answer from the web", chromedp.SendKeys(chromedp.ID("text"), "Vinegar and water, one to one."),
		chromedp.Click(chromedp.ID("send-reply"))); st != 200 {
		t.Fatalf("send a reply: status %d%s", st, pageState(tab))
	}
	step(t, tab, "the reply shows", chromedp.WaitVisible(chromedp.CSS(`article.message.out`)))
	if got := eval[string](t, tab, "the first response", `document.getElementById("first-response").textContent`); got != "after 2 h" {
		t.Errorf("the answered ticket's first response reads %q", got)
	}

	navigate(t, tab, env.url("/p/acme/?contact=%s", customer))
	// The orange is the browser's: the status of the ticket nobody answered is drawn in the
	// stylesheet's --waiting colour (#e8710a), the answered one's in the text colour.
	color := func(n int64) string {
		return eval[string](t, tab, "the status colour", fmt.Sprintf(`getComputedStyle(document.querySelector('%s td.status span')).color`, rowSel(n)))
	}
	if got := color(asked); got != "rgb(232, 113, 10)" {
		t.Errorf("the status of the ticket nobody answered is drawn in %s, want the orange rgb(232, 113, 10)", got)
	}
	if got := color(answered); got == "rgb(232, 113, 10)" {
		t.Errorf("the answered ticket is orange too")
	}
	if got := eval[string](t, tab, "how long she waited", fmt.Sprintf(`document.querySelector('%s td.status small.waited').textContent`, rowSel(asked))); got != "waiting 2 h" {
		t.Errorf("the list says %q of her wait", got)
	}

	// The filter from the form; then the sort from the header, keeping it.
	st := submit(t, tab, "filter: waiting for us", openFilters,
		chromedp.SetValue(chromedp.ID("filter-waiting"), "us"), chromedp.Click(chromedp.ID("apply-filters")))
	if got := rowNumbers(t, tab); st != 200 || !slices.Equal(got, []int64{asked}) || !strings.Contains(location(t, tab), "waiting=us") {
		t.Errorf("waiting for us: status %d, %v at %s; want [%d]", st, got, location(t, tab), asked)
	}
	navigate(t, tab, env.url("/p/acme/?contact=%s&sort=updated", customer))
	submit(t, tab, "sort by waiting", chromedp.Click(chromedp.ID("sort-waiting")))
	if got, u := rowNumbers(t, tab), location(t, tab); !slices.Equal(got, []int64{asked, answered}) || !strings.Contains(u, "sort=waiting") {
		t.Errorf("sorted by waiting (%s): %v, want %v", u, got, []int64{asked, answered})
	}
	navigate(t, tab, env.url("/p/acme/t/%d", asked))
	if got := eval[string](t, tab, "no response yet", `document.getElementById("first-response").textContent`); got != "none yet" {
		t.Errorf("the unanswered ticket's first response reads %q", got)
	}
}
