package imapfetch_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/intake"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/mailer/imapfetch"
	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/tickets"
)

const (
	imapUser     = "support@acme.example"
	imapPassword = "correct horse battery staple"
)

// account is a test mailbox account on a server.
type account struct {
	host string
	port int
	tls  string
	user string
	pass string
}

func (a account) addr() string { return net.JoinHostPort(a.host, strconv.Itoa(a.port)) }

// memIMAP is go-imap's in-memory server on 127.0.0.1, behind a proxy the test can cut.
type memIMAP struct {
	account
	user  *imapmemserver.User
	proxy *proxy
}

type memOptions struct {
	caps     imap.CapSet // nil: IMAP4rev1 with MOVE and UIDPLUS
	tls      string      // mailbox.TLSNone (default), TLSStartTLS or TLSImplicit
	tlsCerts *tls.Config
}

func startMemIMAP(t testing.TB, o memOptions) *memIMAP {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(imapUser, imapPassword)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	caps := o.caps
	if caps == nil {
		caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapMove: {}, imap.CapUIDPlus: {}}
	}
	srvOpts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return flushingIdle{mem.NewSession().(imapserver.SessionIMAP4rev2)}, nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       testLogger{t},
	}
	if o.tls == mailbox.TLSStartTLS {
		srvOpts.TLSConfig = o.tlsCerts
	}
	srv := imapserver.New(srvOpts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.tls == mailbox.TLSImplicit {
		ln = tls.NewListener(ln, o.tlsCerts)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	px := startProxy(t, ln.Addr().String())
	mode := o.tls
	if mode == "" {
		mode = mailbox.TLSNone
	}
	return &memIMAP{account: account{host: "127.0.0.1", port: px.port(), tls: mode, user: imapUser, pass: imapPassword}, user: u, proxy: px}
}

// flushingIdle reports the changes pending when IDLE starts, as Dovecot and other servers do.
// imapmemserver only reports changes made during IDLE, so mail appended between the poller's last
// command and its IDLE would wait for the next change (production has IdleRefresh for such
// servers; the tests want the push).
type flushingIdle struct{ imapserver.SessionIMAP4rev2 }

func (s flushingIdle) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if err := s.Poll(w, true); err != nil {
		return err
	}
	return s.SessionIMAP4rev2.Idle(w, stop)
}

type testLogger struct{ t testing.TB }

func (l testLogger) Printf(format string, args ...any) { l.t.Logf("imapserver: "+format, args...) }

// proxy forwards TCP connections and can cut them all, as a network failure would.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t testing.TB, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// selfSigned is a certificate for 127.0.0.1 and the configs that serve and trust it.
func selfSigned(t testing.TB) (server, client *tls.Config) {
	cert, caPEM := mailertest.SelfSigned(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &tls.Config{Certificates: []tls.Certificate{cert}}, &tls.Config{RootCAs: pool}
}

// dial is a second client, the way a person's mail program or the MTA would touch the mailbox.
func (a account) dial(t testing.TB) *imapclient.Client {
	t.Helper()
	var c *imapclient.Client
	var err error
	switch a.tls {
	case mailbox.TLSNone:
		c, err = imapclient.DialInsecure(a.addr(), nil)
	case mailbox.TLSStartTLS:
		c, err = imapclient.DialStartTLS(a.addr(), &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	default:
		c, err = imapclient.DialTLS(a.addr(), &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(a.user, a.pass).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// appendMail puts a message in folder, as delivery to the mailbox would.
func (a account) appendMail(t testing.TB, c *imapclient.Client, folder, raw string, at time.Time, flags ...imap.Flag) {
	t.Helper()
	if c == nil {
		c = a.dial(t)
		defer c.Close()
	}
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags, Time: at})
	if _, err := io.WriteString(cmd, raw); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// folderState maps each message's Message-ID in folder to its flags. The poller may expunge
// while we look; a FETCH answered for a message expunged under us carries no envelope, so we
// look again until we see a settled folder.
func (a account) folderState(t testing.TB, folder string) map[string][]imap.Flag {
	t.Helper()
	for attempt := 0; ; attempt++ {
		out, settled := a.tryFolderState(t, folder)
		if settled || attempt == 50 {
			if !settled {
				t.Fatalf("folder %s never settled", folder)
			}
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (a account) tryFolderState(t testing.TB, folder string) (map[string][]imap.Flag, bool) {
	t.Helper()
	c := a.dial(t)
	defer c.Close()
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("examine %s: %v", folder, err)
	}
	out := map[string][]imap.Flag{}
	if sel.NumMessages == 0 {
		return out, true
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	bufs, err := c.Fetch(all, &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
	if err != nil {
		return nil, false // a message vanished between SELECT and FETCH
	}
	for _, b := range bufs {
		if b.Envelope == nil {
			return nil, false
		}
		out[b.Envelope.MessageID] = b.Flags
	}
	return out, true
}

// mail is a customer's message to the support address. The n-th mail of a conversation, id
// "c3-2", is from the conversation's customer, c3: a reply joins a ticket only from one who takes
// part in it.
func mail(id, subject string, headers ...string) string {
	h := strings.Join(headers, "\r\n")
	if h != "" {
		h += "\r\n"
	}
	who := id
	if i := strings.LastIndexByte(id, '-'); i > 0 && strings.Trim(id[i+1:], "0123456789") == "" {
		who = id[:i]
	}
	return fmt.Sprintf("Return-Path: <%s@customer.example>\r\nFrom: Customer %s <%s@customer.example>\r\nTo: support@acme.example\r\nSubject: %s\r\nMessage-ID: <%s@customer.example>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n%s\r\nHello, %s here.\r\n",
		who, who, who, subject, id, h, id)
}

// fixture is a property with the real intake pipeline over a real database.
type fixture struct {
	d     *db.DB
	ts    *tickets.Store
	prop  tickets.Property
	pipe  *intake.Pipeline
	boxes *mailbox.Store
	log   *slog.Logger
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	ctx := context.Background()
	ts := tickets.New(d)
	p, err := ts.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme Support", FromAddress: "support@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := ts.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The pollers' log shows with -v and when a test fails.
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return &fixture{d: d, ts: ts, prop: p, pipe: intake.New(ts, "desk.example", secret, slog.New(slog.DiscardHandler)),
		boxes: mailbox.NewStore(d, secret), log: log}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// deliverer is the intake path, as cmd/postdesk wires it.
func (f *fixture) deliverer() inbound.Receiver { return f.pipe }

func (f *fixture) addMailbox(t testing.TB, a account, folder, after string, since *time.Time) mailbox.Mailbox {
	t.Helper()
	m, err := f.boxes.Add(context.Background(), mailbox.New{PropertyID: f.prop.ID, Host: a.host, Port: a.port, TLS: a.tls,
		Username: a.user, Password: a.pass, Folder: folder, After: after, Since: since})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fast are intervals for tests: nothing waits for seconds unless a test means it to.
var fast = imapfetch.Intervals{Scan: 100 * time.Millisecond, Lease: 3 * time.Second, Renew: time.Second, Poll: 200 * time.Millisecond,
	MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond}

// run starts pollers and returns a function that stops them and waits.
func (f *fixture) run(t testing.TB, d inbound.Receiver, opts ...imapfetch.PollersOption) (*imapfetch.Pollers, func()) {
	t.Helper()
	p := imapfetch.NewPollers(f.boxes, d, f.ts, f.log, append([]imapfetch.PollersOption{imapfetch.WithIntervals(fast)}, opts...)...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Pollers.Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Pollers.Run did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return p, stop
}

func (f *fixture) tickets(t testing.TB) []tickets.Ticket {
	t.Helper()
	ts, err := f.ts.List(context.Background(), f.prop.ID, tickets.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func (f *fixture) messageCount(t testing.TB) int {
	t.Helper()
	var n int
	if err := f.d.GetContext(context.Background(), &n, `SELECT COUNT(*) FROM messages`); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) mailbox(t testing.TB, id int64) mailbox.Mailbox {
	t.Helper()
	m, err := f.boxes.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitPolled waits until the mailbox's first poll recorded its checkpoint.
func (f *fixture) waitPolled(t testing.TB, id int64) mailbox.Mailbox {
	t.Helper()
	var m mailbox.Mailbox
	waitFor(t, 30*time.Second, "the first poll", func() bool {
		m = f.mailbox(t, id)
		return m.UIDValidity != 0 && m.LastPollAt != nil
	})
	return m
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool { return slices.Contains(flags, f) }
