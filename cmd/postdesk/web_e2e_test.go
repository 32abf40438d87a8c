package main

// End-to-end tests of the web inbox in a real Chromium: a real 'postdesk serve' (SMTP intake, the
// outbox sending to a capturing relay, the live feed), agents set up with the CLI, and a browser
// driven through chromedp. The flows are in web_e2e_*_test.go; this file holds the harness.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/testclock"
)

// screenshots is where TestWebE2EScreenshots writes its PNGs ("" skips it).
var screenshots = flag.String("screenshots", "", "write PNGs of the web inbox to this directory")

const chromiumPath = "/usr/bin/chromium"

// chromiumFlags are exactly the flags the browser runs with (chromedp adds the debugging pipe,
// the user data directory and about:blank).
var chromiumFlags = []string{"headless", "no-sandbox", "disable-gpu", "disable-background-networking",
	"disable-component-update", "disable-sync", "no-first-run", "disable-quic"}

// needChromium skips the test without a browser, or fails it on CI.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required on CI: %v (install Debian's chromium package)", err)
		}
		t.Skipf("chromium is not installed (%v): the web inbox's browser tests are skipped", err)
	}
}

// startBrowser runs one Chromium for the test, with a fresh profile, and returns a context
// that has it: tabs are its children (newTab).
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	needChromium(t)
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(chromiumPath), chromedp.UserDataDir(t.TempDir())}
	for _, f := range chromiumFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// newTab opens a tab in a browser context of its own (its own cookies: another agent), until
// the test ends.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	setUpTab(t, ctx)
	return ctx
}

// setUpTab opens the tab of ctx at a desktop's size, in UTC.
func setUpTab(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	// The page's script takes the browser's zone; a fixed one keeps the pages from reloading
	// to store it while a test works on them.
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"}); err != nil {
		t.Fatalf("time zone: %v", err)
	}
}

// step runs actions within a timeout and fails the test naming what did not happen.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		t.Fatalf("%s: %v%s", what, err, pageState(ctx))
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, what, expr string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v%s", what, err, pageState(ctx))
	}
	return v
}

// waitJS waits until the expression is true in the page.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(c, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(12*time.Second))); err != nil {
		t.Fatalf("%s: %v%s", what, err, pageState(ctx))
	}
}

// pageState is the page's URL and the start of its text, for a failure message.
func pageState(ctx context.Context) string {
	c, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText.slice(0, 600) : "")`))
	if err != nil {
		return ""
	}
	return "\n--- the page: " + s
}

// navigate opens a URL and returns the status of its answer.
func navigate(t *testing.T, ctx context.Context, url string) int64 {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.Run(c, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	if resp == nil {
		t.Fatalf("open %s: no answer", url)
	}
	return resp.Status
}

// submit runs actions that post a form and returns the status of the page it lands on.
func submit(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(c, actions...)
	if err != nil {
		t.Fatalf("%s: %v%s", what, err, pageState(ctx))
	}
	return resp.Status
}

// location is the page's URL.
func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, "read the URL", `location.href`)
}

// webEnv is one running postdesk with its web inbox, a relay, agents and a browser.
type webEnv struct {
	dsn      string
	smtp     string
	base     string // http://127.0.0.1:PORT
	relay    *mailertest.Relay
	clock    *testclock.Clock
	browser  context.Context
	password string
	sessions map[string]context.Context // an agent's signed-in browser context, by email
	closers  []context.CancelFunc
}

const (
	e2eProp  = "acme"
	e2eAddr  = "acme@desk.example"
	alice    = "alice@acme.example" // support
	bob      = "bob@acme.example"   // support
	mia      = "mia@acme.example"   // manager
	e2ePass  = "correct horse battery staple"
	otherOne = "oscar@other.example"
)

// newWebEnv sets up a property with three agents and their passwords, a second property, and
// starts 'postdesk serve' on dsn with the clock given, sending mail to a capturing relay.
func newWebEnv(t *testing.T, dsn string, clock *testclock.Clock) *webEnv {
	t.Helper()
	must(t, dsn, "property", "add", "--slug", e2eProp, "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
	must(t, dsn, "property", "add", "--slug", "other", "--name", "Other Co", "--from", "help@other.example", "--domain", "desk.example")
	for _, a := range []struct{ email, name, role string }{{alice, "Alice Archer", "support"}, {bob, "Bob Baker", "support"}, {mia, "Mia Manager", "manager"}} {
		must(t, dsn, "agent", "add", "--property", e2eProp, "--email", a.email, "--name", a.name, "--role", a.role)
		if code, _, errs := withInput(t, dsn, e2ePass+"\n", "agent", "password", "--property", e2eProp, "--email", a.email); code != 0 {
			t.Fatalf("agent password %s: exit %d: %s", a.email, code, errs)
		}
	}
	must(t, dsn, "agent", "add", "--property", "other", "--email", otherOne, "--name", "Oscar")
	relay := mailertest.Start(t)
	env := &webEnv{dsn: dsn, relay: relay, clock: clock, password: e2ePass, sessions: map[string]context.Context{}}
	var now func() time.Time
	if clock != nil {
		now = clock.Now
	}
	var httpAddr string
	env.smtp, httpAddr = startServeWith(t, dsn, now, "--relay", relay.Addr, "--relay-tls", "none")
	env.base = "http://" + httpAddr
	env.browser = startBrowser(t)
	return env
}

// startServeWith is startServeHTTP with a clock: 'postdesk serve' until the test ends, and its
// SMTP and HTTP addresses.
func startServeWith(t *testing.T, dsn string, now func() time.Time, extra ...string) (smtpAddr, httpAddr string) {
	t.Helper()
	return startServeWithEnv(t, func(k string) string {
		if k == "POSTDESK_DB" {
			return dsn
		}
		return ""
	}, now, extra...)
}

// startServeWithEnv is startServeWith with the environment env (its POSTDESK_DB the database).
func startServeWithEnv(t *testing.T, env func(string) string, now func() time.Time, extra ...string) (smtpAddr, httpAddr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int)
	args := append([]string{"serve", "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--domain", "desk.example", "--data-dir", t.TempDir()}, extra...)
	go func() { done <- runWith(ctx, args, &bytes.Buffer{}, logs, env, now) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, logs.String())
		}
		if t.Failed() {
			lines := strings.Split(logs.String(), "\n")
			t.Logf("the end of serve's log:\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range listening.FindAllStringSubmatch(logs.String(), -1) {
			if m[1] == "smtp" {
				smtpAddr = m[2]
			}
		}
		if m := httpListening.FindStringSubmatch(logs.String()); m != nil {
			httpAddr = m[1]
		}
		if smtpAddr != "" && httpAddr != "" {
			return smtpAddr, httpAddr
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("serve did not start: %s", logs.String())
	return "", ""
}

// engines runs f on each engine, each with its own database, server and browser.
func engines(t *testing.T, f func(t *testing.T, env *webEnv)) {
	needChromium(t)
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			// The clock starts three days back, so that moving it (snoozes) never takes it past
			// the real time the outbox sends by.
			clock := testclock.New(time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second))
			env := newWebEnv(t, e.DSN(t), clock)
			t.Cleanup(func() {
				for _, c := range env.closers {
					c()
				}
			})
			f(t, env)
		})
	}
}

// customerMail is a mail from a customer to the property's forwarding address.
type customerMail struct {
	From, Name, Subject, Body string
	MessageID, InReplyTo      string
	HTML                      string // sent as multipart/alternative with Body as its text part
	To                        string // default e2eAddr
}

// send delivers m over SMTP; when it returns, the mail is stored.
func (env *webEnv) send(t *testing.T, m customerMail) {
	t.Helper()
	to := m.To
	if to == "" {
		to = e2eAddr
	}
	if m.MessageID == "" {
		m.MessageID = fmt.Sprintf("%d.%s", time.Now().UnixNano(), m.From)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s <%s>\nTo: %s\nSubject: %s\nMessage-ID: <%s>\nDate: %s\n", m.Name, m.From, to,
		mime.QEncoding.Encode("utf-8", m.Subject), m.MessageID, env.clock.Now().Format(time.RFC1123Z))
	if m.InReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\nReferences: <%s>\n", m.InReplyTo, m.InReplyTo)
	}
	b.WriteString("MIME-Version: 1.0\n")
	if m.HTML == "" {
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\n\n%s\n", m.Body)
	} else {
		fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n%s\n--b1\nContent-Type: text/html; charset=utf-8\n\n%s\n--b1--\n", m.Body, m.HTML)
	}
	if err := sendMail(t, env.smtp, m.From, []string{to}, b.String()); err != nil {
		t.Fatalf("send the mail %q: %v", m.Subject, err)
	}
}

// ticket is a ticket as 'tickets list --json' prints it.
type e2eTicket struct {
	Number   int64  `json:"number"`
	Subject  string `json:"subject"`
	Status   string `json:"status"`
	Customer string `json:"customer"`
	Messages int64  `json:"messages"`
	Priority string `json:"priority"`
}

// tickets lists the property's tickets with the CLI (extra: its filters).
func (env *webEnv) tickets(t *testing.T, extra ...string) []e2eTicket {
	t.Helper()
	var list []e2eTicket
	out := must(t, env.dsn, append([]string{"tickets", "list", "--property", e2eProp, "--json"}, extra...)...)
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("tickets list: %v: %s", err, out)
	}
	return list
}

// number is the number of the ticket with subject (the newest one when several have it).
func (env *webEnv) number(t *testing.T, subject string) int64 {
	t.Helper()
	for _, s := range []string{"open", "closed"} {
		for _, tk := range env.tickets(t, "--status", s) {
			if tk.Subject == subject {
				return tk.Number
			}
		}
	}
	t.Fatalf("no ticket %q", subject)
	return 0
}

// at runs a CLI command on the server's clock, as the server would make the change.
func (env *webEnv) at(t *testing.T, args ...string) {
	t.Helper()
	var out, errb bytes.Buffer
	dsn := env.dsn
	if code := runWith(context.Background(), args, &out, &errb, func(k string) string {
		if k == "POSTDESK_DB" {
			return dsn
		}
		return ""
	}, env.clock.Now); code != 0 {
		t.Fatalf("postdesk %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
}

func (env *webEnv) url(format string, args ...any) string {
	return env.base + fmt.Sprintf(format, args...)
}

// signIn signs an agent in with the password form, in a new tab of their own, and waits for
// the inbox.
func (env *webEnv) signIn(t *testing.T, email string) context.Context {
	t.Helper()
	tab := newTab(t, env.browser)
	env.signInTab(t, tab, email)
	return tab
}

// signInTab signs an agent in on tab.
func (env *webEnv) signInTab(t *testing.T, tab context.Context, email string) {
	t.Helper()
	if st := navigate(t, tab, env.base+"/"); st != 200 {
		t.Fatalf("GET /: %d", st)
	}
	st := submit(t, tab, "sign in as "+email,
		chromedp.SendKeys(chromedp.CSS(`#signin-form input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`#signin-form input[name=password]`), env.password),
		chromedp.Click(chromedp.CSS(`#signin-form button[type=submit]`)))
	if st != 200 {
		t.Fatalf("sign in as %s: status %d%s", email, st, pageState(tab))
	}
	step(t, tab, "the inbox after signing in as "+email, chromedp.WaitVisible(chromedp.CSS(`#bulk`)))
}

// as is a new tab of an agent signed in once per engine: a tab of their browser context, which
// lives as long as the engine's browser, sharing its cookies.
func (env *webEnv) as(t *testing.T, email string) context.Context {
	t.Helper()
	signed, ok := env.sessions[email]
	if !ok {
		var cancel context.CancelFunc
		signed, cancel = chromedp.NewContext(env.browser, chromedp.WithNewBrowserContext())
		env.closers = append(env.closers, cancel)
		setUpTab(t, signed)
		env.signInTab(t, signed, email)
		step(t, signed, "leave the inbox", chromedp.Navigate("about:blank")) // its event stream closes
		env.sessions[email] = signed
	}
	tab, cancel := chromedp.NewContext(signed)
	t.Cleanup(cancel)
	setUpTab(t, tab)
	return tab
}

// relayed is a mail the relay accepted, decoded.
type relayed struct {
	Rcpts     []string
	Subject   string
	MessageID string // without its angle brackets
	Text      string // the text parts, decoded
}

// mails are the mails the relay accepted so far.
func (env *webEnv) mails(t *testing.T) []relayed {
	t.Helper()
	var out []relayed
	for _, m := range env.relay.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatalf("a relayed mail does not parse: %v", err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		out = append(out, relayed{Rcpts: m.Rcpts, Subject: subject, MessageID: strings.Trim(msg.Header.Get("Message-ID"), "<> "), Text: mailText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)})
	}
	return out
}

// waitMail waits for a relayed mail that match accepts.
func (env *webEnv) waitMail(t *testing.T, what string, match func(relayed) bool) relayed {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, m := range env.mails(t) {
			if match(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			var got []string
			for _, m := range env.mails(t) {
				got = append(got, fmt.Sprintf("%v %q", m.Rcpts, m.Subject))
			}
			t.Fatalf("%s: no such mail reached the relay in 20 s; it has: %v", what, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailText is the decoded text of a body and of its text parts.
func mailText(contentType, encoding string, body io.Reader) string {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		var out strings.Builder
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			out.WriteString(mailText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p))
			out.WriteString("\n")
		}
		return out.String()
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	if !strings.HasPrefix(mt, "text/") {
		return ""
	}
	b, _ := io.ReadAll(body)
	return string(b)
}

// unsent counts the outbox's mails not sent yet.
func (env *webEnv) unsent(t *testing.T) int {
	t.Helper()
	d, err := db.Open(context.Background(), env.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.Get(context.Background(), nil, &n, `SELECT COUNT(*) FROM outbox WHERE status <> 'sent'`); err != nil {
		t.Fatal(err)
	}
	return n
}

var ticketURL = regexp.MustCompile(`/p/([a-z0-9-]+)/t/(\d+)$`)

// chromiumRuns is the check .ci/run makes too: the browser starts.
func TestChromiumRuns(t *testing.T) {
	t.Parallel()
	needChromium(t)
	out, err := exec.Command(chromiumPath, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Chromium") {
		t.Fatalf("chromium --version: %v: %s", err, out)
	}
}
