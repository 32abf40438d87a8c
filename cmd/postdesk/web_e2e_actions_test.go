package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// rowSel is the selector of a ticket's row in the list.
func rowSel(n int64) string { return fmt.Sprintf(`#rows tr.row[data-number="%d"]`, n) }

// has tells whether the page has an element matching sel.
func has(t *testing.T, tab context.Context, sel string) bool {
	t.Helper()
	return eval[bool](t, tab, "look for "+sel, fmt.Sprintf(`!!document.querySelector(%q)`, sel))
}

// 6. Trash, restore, trash again and purge from the Trash view after the confirmation; block a
// sender from the ticket page after the confirmation.
func (env *webEnv) testTrashPurgeBlock(t *testing.T) {
	env.send(t, customerMail{From: "tom@customer.example", Name: "Tom Trash", Subject: "Old question", Body: "Never mind."})
	n := env.number(t, "Old question")
	tab := env.as(t, mia)
	navigate(t, tab, env.url("/p/acme/t/%d", n))
	if st := submit(t, tab, "trash the ticket", chromedp.Click(chromedp.ID("trash"))); st != 200 {
		t.Fatalf("trash: status %d", st)
	}
	step(t, tab, "trashing goes back to the list", chromedp.WaitVisible(chromedp.ID("bulk")))
	if has(t, tab, rowSel(n)) {
		t.Errorf("a trashed ticket is still in All")
	}
	navigate(t, tab, env.url("/p/acme/?view=trash"))
	step(t, tab, "the trashed ticket is in Trash", chromedp.WaitVisible(chromedp.CSS(rowSel(n))))
	navigate(t, tab, env.url("/p/acme/t/%d", n))
	step(t, tab, "the trashed ticket's page says so", chromedp.WaitVisible(chromedp.ID("in-trash")))
	submit(t, tab, "restore", chromedp.Click(chromedp.ID("restore")))
	step(t, tab, "a restored ticket can be closed again", chromedp.WaitVisible(chromedp.ID("close")))
	if has(t, tab, "#in-trash") {
		t.Errorf("the restored ticket still says it is in the trash")
	}
	navigate(t, tab, env.url("/p/acme/"))
	step(t, tab, "the restored ticket is back in All", chromedp.WaitVisible(chromedp.CSS(rowSel(n))))

	navigate(t, tab, env.url("/p/acme/t/%d", n))
	submit(t, tab, "trash it again", chromedp.Click(chromedp.ID("trash")))
	navigate(t, tab, env.url("/p/acme/?view=trash"))
	if st := submit(t, tab, "purge from the bulk bar",
		chromedp.Click(chromedp.CSS(rowSel(n)+` input[name=n]`)),
		chromedp.Click(chromedp.CSS(`#bulk button[name=action][value=purge]`))); st != 200 {
		t.Fatalf("purge: status %d", st)
	}
	step(t, tab, "the purge asks first", chromedp.WaitVisible(chromedp.ID("confirm-message")))
	if msg := eval[string](t, tab, "the confirmation", `document.getElementById("confirm-message").textContent`); !strings.Contains(msg, "1") {
		t.Errorf("the confirmation %q does not say how many", msg)
	}
	if st := submit(t, tab, "confirm the purge", chromedp.Click(chromedp.ID("confirm"))); st != 200 {
		t.Fatalf("confirm: status %d", st)
	}
	step(t, tab, "the purge goes back to the trash", chromedp.WaitReady(chromedp.ID("listing")))
	if has(t, tab, rowSel(n)) {
		t.Errorf("a purged ticket is still in Trash")
	}
	if st := navigate(t, tab, env.url("/p/acme/t/%d", n)); st != 404 {
		t.Errorf("a purged ticket's page: status %d, want 404", st)
	}

	const spammer = "spammer@customer.example"
	env.send(t, customerMail{From: spammer, Name: "Spam Mer", Subject: "Cheap watches", Body: "Buy now."})
	s := env.number(t, "Cheap watches")
	navigate(t, tab, env.url("/p/acme/t/%d", s))
	submit(t, tab, "block the sender", chromedp.Click(chromedp.ID("block")))
	step(t, tab, "blocking asks first", chromedp.WaitVisible(chromedp.ID("confirm-message")))
	if msg := eval[string](t, tab, "the confirmation", `document.getElementById("confirm-message").textContent`); !strings.Contains(msg, spammer) {
		t.Errorf("the confirmation %q does not name the sender", msg)
	}
	submit(t, tab, "confirm the block", chromedp.Click(chromedp.ID("confirm")))
	navigate(t, tab, env.url("/p/acme/contacts/%s", spammer))
	step(t, tab, "the contact shows as blocked", chromedp.WaitVisible(chromedp.ID("blocked")))
	// Their next mail makes no ticket.
	env.send(t, customerMail{From: spammer, Name: "Spam Mer", Subject: "Cheaper watches", Body: "Buy now!"})
	for _, tk := range append(env.tickets(t, "--status", "open"), env.tickets(t, "--status", "closed")...) {
		if tk.Customer == spammer {
			t.Errorf("a blocked sender still has ticket #%d %q", tk.Number, tk.Subject)
		}
	}
}

// 7. The bulk bar's export downloads the selected tickets as JSON.
func (env *webEnv) testExport(t *testing.T) {
	var want []int64
	for _, s := range []string{"Export me one", "Export me two", "Not exported"} {
		env.send(t, customerMail{From: "exp@customer.example", Name: "Ex Port", Subject: s, Body: "Text of " + s})
		want = append(want, env.number(t, s))
	}
	skip := want[2]
	want = want[:2]
	tab := env.as(t, mia)
	dir := t.TempDir()
	id := chromedp.FromContext(tab).BrowserContextID
	if _, err := chromedp.CallBrowser(tab, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: id, DownloadPath: dir, EventsEnabled: new(true)}); err != nil {
		t.Fatalf("set the download behaviour: %v", err)
	}
	navigate(t, tab, env.url("/p/acme/?contact=exp@customer.example"))
	for _, n := range want {
		step(t, tab, fmt.Sprintf("select #%d", n), chromedp.Click(chromedp.CSS(rowSel(n)+` input[name=n]`)))
	}
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	step(t, tab, "export to a download",
		chromedp.SetValue(chromedp.CSS(`#bulk select[name=export_to]`), "download"),
		chromedp.Click(chromedp.CSS(`#bulk button[name=action][value=export]`)))
	var guid string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("the download did not complete: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			guid = ev.GUID
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatalf("the download was cancelled")
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, guid))
	if err != nil {
		t.Fatalf("the downloaded file: %v", err)
	}
	var ex struct {
		Property string `json:"property"`
		Tickets  []struct {
			Number  int64  `json:"number"`
			Subject string `json:"subject"`
		} `json:"tickets"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatalf("the download is not JSON: %v: %.200s", err, b)
	}
	var got []int64
	for _, tk := range ex.Tickets {
		got = append(got, tk.Number)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) || slices.Contains(got, skip) {
		t.Errorf("the export holds tickets %v, want the selected %v", got, want)
	}
	if !strings.Contains(string(b), "Export me one") {
		t.Errorf("the export lacks the subject: %.300s", b)
	}
}

// 8. Select all, then close: every selected ticket is closed.
func (env *webEnv) testBulkSelectAll(t *testing.T) {
	var nums []int64
	for i := range 3 {
		s := fmt.Sprintf("Bulk problem %d", i+1)
		env.send(t, customerMail{From: "bulk@customer.example", Name: "Bul K", Subject: s, Body: "Help."})
		nums = append(nums, env.number(t, s))
	}
	tab := env.as(t, alice)
	navigate(t, tab, env.url("/p/acme/?contact=bulk@customer.example"))
	step(t, tab, "select all", chromedp.Click(chromedp.ID("select-all")))
	if c := eval[string](t, tab, "the selected count", `document.getElementById("selected-count").textContent`); c != "3" {
		t.Errorf("the bulk bar counts %q selected, want 3", c)
	}
	if st := submit(t, tab, "close the selection", chromedp.Click(chromedp.CSS(`#bulk button[name=action][value=close]`))); st != 200 {
		t.Fatalf("bulk close: status %d", st)
	}
	closed := map[int64]bool{}
	for _, tk := range env.tickets(t, "--status", "closed") {
		closed[tk.Number] = true
	}
	for _, n := range nums {
		if !closed[n] {
			t.Errorf("#%d is not closed after closing all selected", n)
		}
	}
	navigate(t, tab, env.url("/p/acme/?view=closed&contact=bulk@customer.example"))
	if got := rowNumbers(t, tab); len(got) != 3 {
		t.Errorf("Closed lists %v, want the 3 closed tickets", got)
	}
}

// 9. A second browser on the inbox sees a new mail and another agent's change without reloading.
func (env *webEnv) testLive(t *testing.T) {
	a := env.as(t, alice)
	b := env.as(t, bob)
	navigate(t, b, env.url("/p/acme/"))
	step(t, b, "bob's list", chromedp.WaitVisible(chromedp.ID("bulk")))
	waitJS(t, b, "the event stream opens", `document.body.dataset.liveReady === "1"`)
	eval[bool](t, b, "mark the page", `(window.__sameDocument = true)`)
	env.send(t, customerMail{From: "live@customer.example", Name: "Liv E", Subject: "Live arrival", Body: "Am I there?"})
	n := env.number(t, "Live arrival")
	waitJS(t, b, "the new mail's ticket shows in bob's list", fmt.Sprintf(`!!document.querySelector(%q)`, rowSel(n)))
	navigate(t, a, env.url("/p/acme/t/%d", n))
	submit(t, a, "alice closes it", chromedp.Click(chromedp.ID("close")))
	waitJS(t, b, "bob's list shows it closed", fmt.Sprintf(`(document.querySelector(%q + " td.status") || {}).textContent.trim().startsWith("Closed")`, rowSel(n)))
	if !eval[bool](t, b, "the same page", `window.__sameDocument === true`) {
		t.Errorf("bob's page was reloaded")
	}
}

// 10. Two agents on one ticket: presence, typing; a customer mail arrives before A's reply,
// which is refused with 409 showing it and keeping the draft; "send anyway" sends it.
func (env *webEnv) testCollision(t *testing.T) {
	const customer = "cole@customer.example"
	env.send(t, customerMail{From: customer, Name: "Cole Lision", Subject: "Printer on fire", Body: "Smoke!", MessageID: "fire1@customer.example"})
	n := env.number(t, "Printer on fire")
	a := env.as(t, alice)
	b := env.as(t, bob)
	navigate(t, b, env.url("/p/acme/t/%d", n))
	waitJS(t, b, "bob's event stream opens", `document.body.dataset.liveReady === "1"`)
	navigate(t, a, env.url("/p/acme/t/%d", n))
	waitJS(t, b, "bob sees alice on the ticket", `document.getElementById("presence").textContent.includes("Alice")`)
	const draft = "We are sending a technician right away."
	step(t, a, "alice types", chromedp.SendKeys(chromedp.ID("text"), draft))
	waitJS(t, b, "bob sees alice writing a reply", `!!document.querySelector("#presence .agent.typing") && document.querySelector("#presence .typing").textContent.includes("Alice")`)
	env.send(t, customerMail{From: customer, Name: "Cole Lision", Subject: "Re: Printer on fire", Body: "It is out now, never mind.", MessageID: "fire2@customer.example", InReplyTo: "fire1@customer.example"})
	if st := submit(t, a, "alice sends", chromedp.Click(chromedp.ID("send-reply"))); st != 409 {
		t.Errorf("a reply after a new mail: status %d, want 409", st)
	}
	step(t, a, "the page shows what arrived", chromedp.WaitVisible(chromedp.CSS(`section#arrived`)))
	if got := eval[string](t, a, "what arrived", `document.getElementById("arrived").textContent`); !strings.Contains(got, "never mind") {
		t.Errorf("section#arrived reads %q", got)
	}
	if got := eval[string](t, a, "the draft", `document.getElementById("text").value`); got != draft {
		t.Errorf("the draft is %q, want it kept", got)
	}
	for _, m := range env.mails(t) {
		if strings.Contains(m.Text, draft) {
			t.Fatalf("the refused reply was sent")
		}
	}
	if st := submit(t, a, "send anyway", chromedp.Click(chromedp.ID("send-reply"))); st != 200 {
		t.Errorf("send anyway: status %d", st)
	}
	m := env.waitMail(t, "the reply sent anyway", func(m relayed) bool {
		return strings.Contains(m.Text, draft) && slices.Contains(m.Rcpts, customer)
	})
	if !slices.Contains(m.Rcpts, customer) {
		t.Errorf("the reply went to %v", m.Rcpts)
	}
}

// 11. The keyboard alone: j/k move the cursor, x selects, o opens; r, ? and / on the ticket.
func (env *webEnv) testKeyboard(t *testing.T) {
	var nums []int64
	for i := range 3 {
		s := fmt.Sprintf("Keyboard question %d", i+1)
		env.send(t, customerMail{From: "kim@customer.example", Name: "Kim Keys", Subject: s, Body: "Hi."})
		nums = append(nums, env.number(t, s))
		env.clock.Advance(time.Minute)
	}
	tab := env.as(t, alice)
	navigate(t, tab, env.url("/p/acme/?contact=kim@customer.example&sort=created&order=asc"))
	step(t, tab, "the list", chromedp.WaitVisible(chromedp.CSS(`#rows tr.row.cursor`)))
	cursor := func() int64 {
		return eval[int64](t, tab, "the cursor", `Number((document.querySelector("#rows tr.row.cursor") || {dataset: {}}).dataset.number || 0)`)
	}
	if c := cursor(); c != nums[0] {
		t.Errorf("the cursor starts on #%d, want #%d", c, nums[0])
	}
	step(t, tab, "j j", chromedp.KeyEvent("j"), chromedp.KeyEvent("j"))
	if c := cursor(); c != nums[2] {
		t.Errorf("after j j the cursor is on #%d, want #%d", c, nums[2])
	}
	step(t, tab, "k", chromedp.KeyEvent("k"))
	if c := cursor(); c != nums[1] {
		t.Errorf("after k the cursor is on #%d, want #%d", c, nums[1])
	}
	step(t, tab, "x", chromedp.KeyEvent("x"))
	checked := eval[[]int64](t, tab, "the selection", `Array.from(document.querySelectorAll("#rows input[name=n]:checked")).map(c => Number(c.value))`)
	if !slices.Equal(checked, nums[1:2]) {
		t.Errorf("x selected %v, want [#%d]", checked, nums[1])
	}
	if st := submit(t, tab, "o opens the ticket", chromedp.KeyEvent("o")); st != 200 {
		t.Fatalf("o: status %d", st)
	}
	if m := ticketURL.FindStringSubmatch(location(t, tab)); m == nil || m[2] != fmt.Sprint(nums[1]) {
		t.Fatalf("o opened %s, want ticket #%d", location(t, tab), nums[1])
	}
	step(t, tab, "the ticket page", chromedp.WaitVisible(chromedp.ID("text")))
	active := func() string {
		return eval[string](t, tab, "the focus", `document.activeElement ? document.activeElement.id : ""`)
	}
	step(t, tab, "r", chromedp.KeyEvent("r"))
	if f := active(); f != "text" {
		t.Errorf("r focused %q, want #text", f)
	}
	step(t, tab, "Escape leaves the reply", chromedp.KeyEvent("\u001b"))
	if f := active(); f == "text" {
		t.Errorf("Escape left the focus in #text")
	}
	step(t, tab, "?", chromedp.KeyEvent("?"))
	if !eval[bool](t, tab, "the help", `document.getElementById("help").open`) {
		t.Errorf("? did not open dialog#help")
	}
	step(t, tab, "? closes it again", chromedp.KeyEvent("?"))
	if eval[bool](t, tab, "the help", `document.getElementById("help").open`) {
		t.Errorf("? did not close dialog#help")
	}
	step(t, tab, "/", chromedp.KeyEvent("/"))
	if f := active(); f != "q" {
		t.Errorf("/ focused %q, want #q", f)
	}
}
