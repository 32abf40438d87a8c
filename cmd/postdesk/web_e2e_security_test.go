package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/testclock"
)

// 12. Another property's pages are not found; a POST without the CSRF token is refused; a
// hostile HTML mail runs nothing and loads nothing.
func (env *webEnv) testSecurity(t *testing.T) {
	env.send(t, customerMail{From: "olga@customer.example", Name: "Olga", Subject: "Other property's ticket", Body: "Secret.", To: "other@desk.example"})
	tab := env.as(t, alice)
	for _, path := range []string{"/p/other/t/1", "/p/other/", "/p/no-such-property/t/1"} {
		if st := navigate(t, tab, env.base+path); st != 404 {
			t.Errorf("GET %s as an agent of acme only: status %d, want 404", path, st)
		}
	}

	env.send(t, customerMail{From: "carl@customer.example", Name: "Carl", Subject: "CSRF target", Body: "Do not close me."})
	n := env.number(t, "CSRF target")
	navigate(t, tab, env.url("/p/acme/t/%d", n))
	post := func(header bool) int {
		js := fmt.Sprintf(`fetch("/p/acme/t/%d/act", {method: "POST", credentials: "same-origin",
			headers: %s, body: new URLSearchParams({action: "close"})}).then(r => r.status)`, n,
			map[bool]string{false: `{}`, true: `{"X-CSRF-Token": document.body.dataset.csrf}`}[header])
		return eval[int](t, tab, "POST with fetch", js)
	}
	if st := post(false); st != 403 {
		t.Errorf("a POST from the page without the CSRF token: status %d, want 403", st)
	}
	if got := env.tickets(t, "--status", "closed"); closedHas(got, n) {
		t.Fatalf("a POST without the CSRF token closed the ticket")
	}
	// The session cookie alone, from another program or another site: refused too.
	cookies, err := chromedp.Call(tab, network.GetCookies, network.GetCookiesParams{URLs: []string{env.base}})
	if err != nil {
		t.Fatal(err)
	}
	var session string
	for _, c := range cookies.Cookies {
		if c.Name == "pd_session" {
			session = c.Value
		}
	}
	if session == "" {
		t.Fatalf("no session cookie among %d", len(cookies.Cookies))
	}
	for _, origin := range []string{"", "http://evil.example"} {
		req, _ := http.NewRequest("POST", env.url("/p/acme/t/%d/act", n), strings.NewReader(url.Values{"action": {"close"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "pd_session", Value: session})
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("a POST with the session cookie and no token (Origin %q): status %d, want 403", origin, resp.StatusCode)
		}
	}
	if got := env.tickets(t, "--status", "closed"); closedHas(got, n) {
		t.Fatalf("a POST without the CSRF token closed the ticket")
	}
	// With the token the same POST works: the refusals were the token's.
	if st := post(true); st != 200 {
		t.Errorf("a POST with the CSRF token: status %d, want 200", st)
	}
	if got := env.tickets(t, "--status", "closed"); !closedHas(got, n) {
		t.Errorf("a POST with the CSRF token did not close the ticket")
	}

	// The hostile mail: a script, an event handler, a remote image, a javascript: link.
	var hits atomic.Int64
	var paths atomic.Value
	paths.Store("")
	pixel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		paths.Store(paths.Load().(string) + " " + r.URL.Path)
		w.Header().Set("Content-Type", "image/gif")
		w.Write([]byte("GIF89a"))
	}))
	defer pixel.Close()
	host := strings.TrimPrefix(pixel.URL, "http://")
	html := fmt.Sprintf(`<html><head><title>x</title><script>top.document.title = "pwned"; fetch("http://%[1]s/script")</script></head>
<body><p>Hello <b>support</b>, see the picture.</p>
<img src="http://%[1]s/pixel" width="1" height="1">
<img src="x" onerror="fetch('http://%[1]s/onerror')">
<a href="javascript:fetch('http://%[1]s/link')">click</a>
<script>document.title = "pwned"; new Image().src = "http://%[1]s/script2";</script>
<iframe src="http://%[1]s/frame"></iframe>
</body></html>`, host)
	subject := fmt.Sprintf(`Hostile <img src="http://%s/subject">`, host)
	env.send(t, customerMail{From: "mallory@customer.example", Name: "Mallory", Subject: subject, Body: "See the HTML part.", HTML: html})
	h := env.number(t, subject)
	navigate(t, env.as(t, alice), env.url("/p/acme/")) // the list shows the subject too
	navigate(t, tab, env.url("/p/acme/t/%d", h))
	step(t, tab, "the HTML part is offered", chromedp.WaitReady(chromedp.CSS(`details.html iframe`)))
	eval[bool](t, tab, "watch the frame", `(window.__frameLoaded = false, document.querySelector("details.html iframe").addEventListener("load", () => window.__frameLoaded = true), true)`)
	step(t, tab, "open the HTML part", chromedp.Click(chromedp.CSS(`details.html summary`)))
	waitJS(t, tab, "the frame loads", `window.__frameLoaded === true`)
	if title := eval[string](t, tab, "the title", `document.title`); strings.Contains(title, "pwned") || !strings.HasPrefix(title, fmt.Sprintf("#%d ", h)) {
		t.Errorf("the page's title is %q: a script of the mail ran", title)
	}
	if sb := eval[string](t, tab, "the frame's sandbox", `document.querySelector("details.html iframe").getAttribute("sandbox")`); sb != "" {
		t.Errorf("the frame's sandbox is %q, want empty (nothing allowed)", sb)
	}
	src := eval[string](t, tab, "the frame's URL", `document.querySelector("details.html iframe").src`)
	body := eval[string](t, tab, "the frame's HTML", fmt.Sprintf(`fetch(%q).then(r => r.text().then(t => r.headers.get("content-security-policy") + "\n" + t))`, src))
	csp, doc, _ := strings.Cut(body, "\n")
	if !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("the frame's CSP is %q", csp)
	}
	if !strings.Contains(doc, "Hello") {
		t.Errorf("the sanitised HTML lost the text: %q", doc)
	}
	for _, bad := range []string{"<script", "onerror", "javascript:", host, "<iframe", "pwned"} {
		if strings.Contains(doc, bad) {
			t.Errorf("the frame's HTML still holds %q: %s", bad, doc)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the mail made %d requests to the pixel server:%s", n, paths.Load())
	}
}

func closedHas(list []e2eTicket, n int64) bool {
	for _, tk := range list {
		if tk.Number == n {
			return true
		}
	}
	return false
}

// 13. Screenshots of the inbox and a ticket, on a desktop and a phone, after a few realistic
// tickets (go test -run TestWebE2EScreenshots -screenshots DIR).
func TestWebE2EScreenshots(t *testing.T) {
	t.Parallel()
	if *screenshots == "" {
		t.Skip("no -screenshots DIR")
	}
	needChromium(t)
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	clock := testclock.New(time.Now().UTC().Add(-26 * time.Hour).Truncate(time.Minute))
	env := newWebEnv(t, dbtest.Engines()[0].DSN(t), clock)
	seed := []struct {
		from, name, subject, body, priority, tag, assign string
	}{
		{"emma.schmidt@example.de", "Emma Schmidt", "Order #4821 arrived damaged", "Hello,\n\nmy order arrived today but the box was crushed and the mug inside is broken. Can you send a new one?\n\nThanks, Emma", "high", "shipping", bob},
		{"liam.obrien@example.ie", "Liam O'Brien", "Can't log in to my account", "Hi, since yesterday the password reset mail never arrives. I need to download my invoices today.", "urgent", "login", alice},
		{"sofia.rossi@example.it", "Sofia Rossi", "Invoice for March", "Could you send me the invoice for March with our VAT number on it? IT01234567890.", "normal", "billing", ""},
		{"noah.kim@example.com", "Noah Kim", "Feature request: dark mode", "Love the app! A dark mode for the customer portal would be great.", "low", "feedback", ""},
		{"ava.johnson@example.com", "Ava Johnson", "Refund status?", "I returned the jacket two weeks ago. When will I see the refund?", "normal", "billing", mia},
		{"lucas.martin@example.fr", "Lucas Martin", "Delivery address change", "Please ship order #4890 to my office instead: 12 rue de la Paix, Paris.", "high", "shipping", ""},
	}
	for _, s := range seed {
		env.send(t, customerMail{From: s.from, Name: s.name, Subject: s.subject, Body: s.body})
		n := env.number(t, s.subject)
		env.at(t, "tickets", "priority", "--property", e2eProp, "--as", alice, fmt.Sprint(n), s.priority)
		env.at(t, "tickets", "tag", "--property", e2eProp, "--as", alice, fmt.Sprint(n), s.tag)
		if s.assign != "" {
			env.at(t, "tickets", "assign", "--property", e2eProp, "--as", alice, fmt.Sprint(n), s.assign)
		}
		clock.Advance(3*time.Hour + 17*time.Minute)
	}
	first := env.number(t, seed[0].subject)
	tab := env.signIn(t, bob)
	navigate(t, tab, env.url("/p/acme/t/%d", first))
	submit(t, tab, "a note", chromedp.SendKeys(chromedp.ID("text"), "Checked with the warehouse: a replacement mug is in stock. Sending it today."), chromedp.Click(chromedp.ID("add-note")))
	clock.Advance(10 * time.Minute)
	submit(t, tab, "a reply", chromedp.SendKeys(chromedp.ID("text"), "Hello Emma,\n\nsorry about that! A replacement is on its way, you will get the tracking number by mail today.\n\nBest regards,\nBob"), chromedp.Click(chromedp.ID("send-reply")))
	clock.Advance(40 * time.Minute)
	sent := env.waitMail(t, "the reply to Emma", func(m relayed) bool { return strings.Contains(m.Text, "replacement is on its way") })
	env.send(t, customerMail{From: seed[0].from, Name: seed[0].name, Subject: "Re: " + seed[0].subject, Body: "Thank you, that was quick!\n\n> sorry about that! A replacement is on its way", InReplyTo: sent.MessageID})
	shoot := func(name string, w, h int64, mobile bool, url string) {
		t.Helper()
		opts := []chromedp.EmulateViewportOption{}
		if mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(1))
		}
		step(t, tab, "the viewport for "+name, chromedp.EmulateViewport(w, h, opts...))
		navigate(t, tab, url)
		step(t, tab, "the page for "+name, chromedp.WaitVisible(chromedp.CSS(`main`)))
		c, cancel := context.WithTimeout(tab, 15*time.Second)
		defer cancel()
		png, err := chromedp.Run(c, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inbox, ticket := env.url("/p/acme/"), env.url("/p/acme/t/%d", first)
	shoot("inbox-desktop.png", 1280, 800, false, inbox)
	shoot("ticket-desktop.png", 1280, 800, false, ticket)
	shoot("inbox-phone.png", 390, 844, true, inbox)
	shoot("ticket-phone.png", 390, 844, true, ticket)
}

// The inbox and a ticket fit a phone's width: nothing sticks out sideways.
func (env *webEnv) testPhoneLayout(t *testing.T) {
	env.send(t, customerMail{From: "pia@customer.example", Name: "Pia Phone", Subject: "Small screen question", Body: "Does it work on my phone?"})
	n := env.number(t, "Small screen question")
	tab := env.as(t, alice)
	step(t, tab, "a phone's viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, path := range []string{"/p/acme/", fmt.Sprintf("/p/acme/t/%d", n)} {
		navigate(t, tab, env.base+path)
		step(t, tab, "the page", chromedp.WaitVisible(chromedp.CSS(`main`)))
		wide := eval[[]string](t, tab, "what is wider than the screen", `Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > 391 && e.offsetParent !== null && !e.closest("nav.views")).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).split(" ").join(".") : "") + (e.name ? "[name=" + e.name + "]" : "")).slice(0, 8)`)
		if w := eval[int](t, tab, "the page's width", `document.documentElement.scrollWidth`); w > 391 {
			t.Errorf("%s on a 390 px phone is %d px wide; wider than the screen: %v", path, w, wide)
		}
	}
}
