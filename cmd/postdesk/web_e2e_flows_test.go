package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWebE2E runs the web inbox's flows in Chromium on each engine, one server and one browser
// per engine; each flow works on tickets of its own.
func TestWebE2E(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, env *webEnv) {
		t.Run("sign in by password", env.testPasswordSignIn)
		t.Run("sign in by mailed link", env.testLinkSignIn)
		t.Run("filters and sort", env.testFiltersAndSort)
		t.Run("reply and note", env.testReplyAndNote)
		t.Run("assign snooze close", env.testAssignSnoozeClose)
		t.Run("trash restore purge block", env.testTrashPurgeBlock)
		t.Run("export download", env.testExport)
		t.Run("bulk select all", env.testBulkSelectAll)
		t.Run("live updates", env.testLive)
		t.Run("two instances", env.testTwoInstances)
		t.Run("collision", env.testCollision)
		t.Run("keyboard", env.testKeyboard)
		t.Run("security", env.testSecurity)
		t.Run("phone layout", env.testPhoneLayout)
		t.Run("who is waiting", env.testWaiting)
	})
}

// 1. GET / shows the sign-in form; signing in shows the inbox with a mail that came over SMTP,
// and its ticket's URL names the property and the number.
func (env *webEnv) testPasswordSignIn(t *testing.T) {
	env.send(t, customerMail{From: "ann@customer.example", Name: "Ann Customer", Subject: "Espresso machine leaks", Body: "Water everywhere."})
	n := env.number(t, "Espresso machine leaks")
	tab := newTab(t, env.browser)
	if st := navigate(t, tab, env.base+"/"); st != 200 {
		t.Fatalf("GET /: status %d, want 200", st)
	}
	step(t, tab, "the sign-in form has an email and a password field",
		chromedp.WaitVisible(chromedp.CSS(`#signin-form input[name=email]`)),
		chromedp.WaitVisible(chromedp.CSS(`#signin-form input[name=password]`)))
	// A wrong password is refused, saying so.
	st := submit(t, tab, "sign in with a wrong password",
		chromedp.SendKeys(chromedp.CSS(`#signin-form input[name=email]`), alice),
		chromedp.SendKeys(chromedp.CSS(`#signin-form input[name=password]`), "not the password"),
		chromedp.Click(chromedp.CSS(`#signin-form button[type=submit]`)))
	if st != 401 {
		t.Errorf("a wrong password: status %d, want 401", st)
	}
	step(t, tab, "a wrong password shows an error", chromedp.WaitVisible(chromedp.ID("error")))
	st = submit(t, tab, "sign in",
		chromedp.SetValue(chromedp.CSS(`#signin-form input[name=email]`), alice),
		chromedp.SendKeys(chromedp.CSS(`#signin-form input[name=password]`), env.password),
		chromedp.Click(chromedp.CSS(`#signin-form button[type=submit]`)))
	if st != 200 {
		t.Fatalf("sign in: status %d%s", st, pageState(tab))
	}
	if u := location(t, tab); !strings.HasSuffix(u, "/p/acme/") {
		t.Errorf("after signing in the browser is at %s, want the inbox /p/acme/", u)
	}
	link := fmt.Sprintf(`#rows tr.row[data-number="%d"] td.subject a`, n)
	step(t, tab, "the inbox lists the mail's ticket", chromedp.WaitVisible(chromedp.CSS(link)))
	text := eval[string](t, tab, "the row's subject", fmt.Sprintf(`document.querySelector(%q).textContent`, link))
	if !strings.Contains(text, "Espresso machine leaks") {
		t.Errorf("the row's subject reads %q", text)
	}
	if st := submit(t, tab, "open the ticket", chromedp.Click(chromedp.CSS(link))); st != 200 {
		t.Fatalf("the ticket page: status %d", st)
	}
	m := ticketURL.FindStringSubmatch(location(t, tab))
	if m == nil || m[1] != e2eProp || m[2] != fmt.Sprint(n) {
		t.Errorf("the ticket page is at %s, want /p/%s/t/%d", location(t, tab), e2eProp, n)
	}
	step(t, tab, "the ticket page shows the subject and the mail",
		chromedp.WaitVisible(chromedp.ID("subject")), chromedp.WaitVisible(chromedp.CSS(`article.message.in`)))
	if s := eval[string](t, tab, "the subject", `document.getElementById("subject").textContent`); s != "Espresso machine leaks" {
		t.Errorf("the ticket's subject reads %q", s)
	}
}

var signinLink = regexp.MustCompile(`http://127\.0\.0\.1:\d+/signin/link\?token=[^\s"<>]+`)

// 2. A mailed link signs in once: the confirmation page's button uses it; a second use is refused.
func (env *webEnv) testLinkSignIn(t *testing.T) {
	tab := newTab(t, env.browser)
	navigate(t, tab, env.base+"/")
	// The sign-in page is the password form alone; asking for a link is a page of its own.
	step(t, tab, "the sign-in page links to the link page",
		chromedp.Click(chromedp.ID("ask-link")), chromedp.WaitVisible(chromedp.ID("link-form")))
	st := submit(t, tab, "ask for a link",
		chromedp.SendKeys(chromedp.CSS(`#link-form input[name=email]`), bob),
		chromedp.Click(chromedp.CSS(`#link-form button[type=submit]`)))
	if st != 200 {
		t.Fatalf("the link form: status %d", st)
	}
	step(t, tab, "the page says a link was sent", chromedp.WaitVisible(chromedp.ID("link-sent")))
	m := env.waitMail(t, "the sign-in link mail to bob", func(m relayed) bool {
		return slices.Contains(m.Rcpts, bob) && signinLink.MatchString(m.Text)
	})
	link := signinLink.FindString(m.Text)
	if !strings.HasPrefix(link, env.base+"/") {
		t.Errorf("the link %s does not point at the inbox %s", link, env.base)
	}
	// A fresh browser context: the link is all that signs it in.
	tab = newTab(t, env.browser)
	if st := navigate(t, tab, link); st != 200 {
		t.Fatalf("open the link: status %d", st)
	}
	step(t, tab, "the link page asks to confirm", chromedp.WaitVisible(chromedp.CSS(`#use-link button`)))
	if st := submit(t, tab, "use the link", chromedp.Click(chromedp.CSS(`#use-link button`))); st != 200 {
		t.Fatalf("use the link: status %d%s", st, pageState(tab))
	}
	step(t, tab, "the link leads to the inbox", chromedp.WaitVisible(chromedp.ID("bulk")))
	if u := location(t, tab); !strings.HasSuffix(u, "/p/acme/") {
		t.Errorf("after the link the browser is at %s", u)
	}
	// The same link again, from another browser context: refused.
	tab2 := newTab(t, env.browser)
	navigate(t, tab2, link)
	if st := submit(t, tab2, "use the link again", chromedp.Click(chromedp.CSS(`#use-link button`))); st != 401 {
		t.Errorf("the link used a second time: status %d, want 401", st)
	}
	step(t, tab2, "a used link is refused with an error and no inbox",
		chromedp.WaitVisible(chromedp.ID("error")), chromedp.WaitVisible(chromedp.ID("signin-form")))
}

// rowNumbers are the ticket numbers the list shows, in order.
func rowNumbers(t *testing.T, tab context.Context) []int64 {
	t.Helper()
	return eval[[]int64](t, tab, "the list's rows", `Array.from(document.querySelectorAll("#rows tr.row")).map(r => Number(r.dataset.number))`)
}

// 3. The priority filter and the sorts change the list, and the URL keeps them.
func (env *webEnv) testFiltersAndSort(t *testing.T) {
	var nums []int64
	for i, p := range []string{"low", "high", "normal"} {
		subject := fmt.Sprintf("Filter test %d", i+1)
		env.send(t, customerMail{From: "filt@customer.example", Name: "Fil Ter", Subject: subject, Body: "Please help " + p})
		n := env.number(t, subject)
		env.at(t, "tickets", "priority", "--property", e2eProp, "--as", alice, fmt.Sprint(n), p)
		nums = append(nums, n)
		env.clock.Advance(time.Minute) // created one after another
	}
	tab := env.as(t, alice)
	navigate(t, tab, env.url("/p/acme/?contact=filt@customer.example"))
	if got := rowNumbers(t, tab); len(got) != 3 {
		t.Fatalf("the contact's list: %v, want the 3 tickets %v", got, nums)
	}
	st := submit(t, tab, "filter by priority high",
		openFilters,
		chromedp.WaitVisible(chromedp.CSS(`#filters select[name=priority]`)),
		chromedp.SetValue(chromedp.CSS(`#filters select[name=priority]`), "high"),
		chromedp.Click(chromedp.ID("apply-filters")))
	if st != 200 {
		t.Fatalf("the filtered list: status %d", st)
	}
	if got := rowNumbers(t, tab); !slices.Equal(got, nums[1:2]) {
		t.Errorf("priority high lists %v, want %v", got, nums[1:2])
	}
	if u := location(t, tab); !strings.Contains(u, "priority=high") || !strings.Contains(u, "contact=filt%40customer.example") {
		t.Errorf("the filtered list's URL %s lost the query", u)
	}
	// Sorted by created, from the filters form: oldest first.
	st = submit(t, tab, "sort by created, ascending",
		chromedp.SetValue(chromedp.CSS(`#filters select[name=priority]`), ""),
		chromedp.SetValue(chromedp.CSS(`#filters select[name=sort]`), "created"),
		chromedp.SetValue(chromedp.CSS(`#filters select[name=order]`), "asc"),
		chromedp.Click(chromedp.ID("apply-filters")))
	if st != 200 {
		t.Fatalf("the sorted list: status %d", st)
	}
	if got := rowNumbers(t, tab); !slices.Equal(got, nums) {
		t.Errorf("sorted by created ascending: %v, want %v", got, nums)
	}
	if u := location(t, tab); !strings.Contains(u, "sort=created") || !strings.Contains(u, "order=asc") || !strings.Contains(u, "contact=filt%40customer.example") {
		t.Errorf("the sorted list's URL %s lost the query", u)
	}
	// The priority header link: sorted by priority, keeping the contact filter.
	submit(t, tab, "sort by priority with the header link", chromedp.Click(chromedp.CSS(`#tickets thead a[href*="sort=priority"]`)))
	u := location(t, tab)
	if !strings.Contains(u, "sort=priority") || !strings.Contains(u, "contact=filt%40customer.example") {
		t.Errorf("the header link went to %s", u)
	}
	got := rowNumbers(t, tab)
	asc := strings.Contains(u, "order=asc")
	want := []int64{nums[1], nums[2], nums[0]} // high, normal, low
	if asc {
		want = []int64{nums[0], nums[2], nums[1]}
	}
	if !slices.Equal(got, want) {
		t.Errorf("sorted by priority (%s): %v, want %v", u, got, want)
	}
}

// openFilters opens the filters' details (a filtered list has them open already).
var openFilters = chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
	_, err := chromedp.Evaluate[chromedp.Void](`document.querySelector("details.filters").open = true`)(ctx, tg)
	return err
})

// 4. A reply reaches the customer through the relay; a note shows as a note and is not sent.
func (env *webEnv) testReplyAndNote(t *testing.T) {
	const customer = "rita@customer.example"
	env.send(t, customerMail{From: customer, Name: "Rita Reply", Subject: "Invoice missing", Body: "Where is my invoice?", MessageID: "inv1@customer.example"})
	n := env.number(t, "Invoice missing")
	tab := env.as(t, alice)
	navigate(t, tab, env.url("/p/acme/t/%d", n))
	const note = "Internal: check the billing system first (do not send)"
	if st := submit(t, tab, "add a note", chromedp.SendKeys(chromedp.ID("text"), note), chromedp.Click(chromedp.ID("add-note"))); st != 200 {
		t.Fatalf("add a note: status %d%s", st, pageState(tab))
	}
	step(t, tab, "the note shows as a note", chromedp.WaitVisible(chromedp.CSS(`article.message.note`)))
	if got := eval[string](t, tab, "the note's text", `document.querySelector("article.message.note pre.text").textContent`); got != note {
		t.Errorf("the note reads %q", got)
	}
	const reply = "Hello Rita, the invoice is attached to your account page."
	if st := submit(t, tab, "send a reply", chromedp.SendKeys(chromedp.ID("text"), reply), chromedp.Click(chromedp.ID("send-reply"))); st != 200 {
		t.Fatalf("send a reply: status %d%s", st, pageState(tab))
	}
	step(t, tab, "the reply shows as sent", chromedp.WaitVisible(chromedp.CSS(`article.message.out`)))
	// The customer's mail (the other agents get copies too).
	m := env.waitMail(t, "the reply to the customer", func(m relayed) bool {
		return strings.Contains(m.Text, reply) && slices.Contains(m.Rcpts, customer)
	})
	if !slices.Contains(m.Rcpts, customer) {
		t.Errorf("the reply went to %v, want %s", m.Rcpts, customer)
	}
	if !strings.Contains(m.Subject, "Invoice missing") {
		t.Errorf("the reply's subject is %q", m.Subject)
	}
	// The reply was queued after the note: once the outbox is empty, whatever the note could
	// have sent is at the relay too.
	deadline := time.Now().Add(20 * time.Second)
	for env.unsent(t) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the outbox still holds %d mails", env.unsent(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, m := range env.mails(t) {
		if strings.Contains(m.Text, "billing system first") && slices.Contains(m.Rcpts, customer) {
			t.Errorf("the note was mailed to the customer: %v %q", m.Rcpts, m.Subject)
		}
	}
}

// 5. Assign, snooze until tomorrow (out of All, in Snoozed, back in All when the clock passes
// it), close (in Closed).
func (env *webEnv) testAssignSnoozeClose(t *testing.T) {
	env.send(t, customerMail{From: "sam@customer.example", Name: "Sam Snooze", Subject: "Call me next week", Body: "I am away until then."})
	n := env.number(t, "Call me next week")
	tab := env.as(t, alice)
	navigate(t, tab, env.url("/p/acme/t/%d", n))
	submit(t, tab, "assign to Bob",
		chromedp.SetValue(chromedp.ID("assign"), "a:"+bob),
		chromedp.Click(chromedp.CSS(`#assign-form button[name=action][value=assign]`)))
	step(t, tab, "the ticket shows its assignee", chromedp.WaitVisible(chromedp.ID("assignee")))
	if got := eval[string](t, tab, "the assignee", `document.getElementById("assignee").textContent`); !strings.Contains(got, "bob") && !strings.Contains(got, "Bob") {
		t.Errorf("the assignee reads %q, want Bob", got)
	}
	submit(t, tab, "snooze until tomorrow",
		chromedp.SetValue(chromedp.ID("snooze"), "tomorrow"),
		chromedp.Click(chromedp.CSS(`#snooze-form button[name=action][value=snooze]`)))
	step(t, tab, "the ticket shows it is snoozed", chromedp.WaitVisible(chromedp.ID("snoozed")))
	row := fmt.Sprintf(`#rows tr.row[data-number="%d"]`, n)
	inList := func(view string) bool {
		navigate(t, tab, env.url("/p/acme/?view=%s", view))
		step(t, tab, "the "+view+" list", chromedp.WaitReady(chromedp.ID("listing")))
		return eval[bool](t, tab, "look for the row", fmt.Sprintf(`!!document.querySelector(%q)`, row))
	}
	if inList("all") {
		t.Errorf("a snoozed ticket is in All")
	}
	if !inList("snoozed") {
		t.Errorf("a snoozed ticket is not in Snoozed")
	}
	env.clock.Advance(48 * time.Hour) // past tomorrow 09:00
	if !inList("all") {
		t.Errorf("the snooze is over and the ticket is not back in All")
	}
	if inList("snoozed") {
		t.Errorf("the snooze is over and the ticket is still in Snoozed")
	}
	navigate(t, tab, env.url("/p/acme/t/%d", n))
	submit(t, tab, "close", chromedp.Click(chromedp.ID("close")))
	step(t, tab, "a closed ticket offers to reopen", chromedp.WaitVisible(chromedp.ID("reopen")))
	if !inList("closed") {
		t.Errorf("a closed ticket is not in Closed")
	}
}
