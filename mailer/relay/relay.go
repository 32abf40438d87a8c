// Package relay hands outgoing mail to the next hop: an SMTP relay (dialing, TLS, AUTH, pooled
// sessions, deadlines), or .eml files when none is configured. Its errors say what happened to
// the mail (ErrPermanent, ErrAfterData, ErrCommit), so that the outbox sender settles the row.
package relay

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Config says how to reach the SMTP relay.
type Config struct {
	Addr     string // host:port
	TLS      string // "none", "starttls" or "implicit"
	User     string // AUTH PLAIN/LOGIN when set
	Password string
	// Token, when set, authenticates as User with OAuth2 (XOAUTH2, OAUTHBEARER) instead of the
	// password (see oauth.go).
	Token    TokenSource
	HeloName string
	Timeout  time.Duration // per command; default 1 minute
	// AttemptTimeout bounds one whole attempt, dial to the end of DATA; default 4 minutes. It
	// must stay below the outbox lease (5 minutes), so that no other worker recovers a row
	// whose attempt is still running.
	AttemptTimeout time.Duration
	// RootCAs, when set, is trusted for the relay's certificate instead of the system's pool;
	// Insecure accepts any certificate (a self-signed relay on a trusted network).
	RootCAs  *x509.CertPool
	Insecure bool
}

// SMTPTransport sends through a relay. Sessions are reused between mails (a new TCP and TLS
// handshake and AUTH per mail would cost more than the mail).
type SMTPTransport struct {
	cfg  Config
	idle chan idleClient
}

type idleClient struct {
	c     *smtp.Client
	since time.Time
}

// maxIdle is how long a session may wait for its next mail; relays drop idle clients after a
// minute or more.
const maxIdle = 30 * time.Second

// NewSMTPTransport checks cfg and returns the transport.
func NewSMTPTransport(cfg Config) (*SMTPTransport, error) {
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("relay: address %q: %w", cfg.Addr, err)
	}
	switch cfg.TLS {
	case "", "none", "starttls", "implicit":
	default:
		return nil, fmt.Errorf("relay: TLS %q: none, starttls or implicit", cfg.TLS)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.AttemptTimeout == 0 {
		cfg.AttemptTimeout = 4 * time.Minute
	}
	if cfg.HeloName == "" {
		cfg.HeloName = "localhost"
	}
	return &SMTPTransport{cfg: cfg, idle: make(chan idleClient, 32)}, nil
}

// get returns an idle session, or a new one; reused tells which.
func (t *SMTPTransport) get(ctx context.Context) (c *smtp.Client, reused bool, err error) {
	for {
		select {
		case ic := <-t.idle:
			if time.Since(ic.since) < maxIdle {
				return ic.c, true, nil
			}
			ic.c.Close()
			continue
		default:
		}
		c, err := t.dial(ctx)
		return c, false, err
	}
}

// put keeps a session that ended a transaction cleanly for the next mail.
func (t *SMTPTransport) put(c *smtp.Client) {
	select {
	case t.idle <- idleClient{c, time.Now()}:
	default:
		c.Quit()
	}
}

// Close ends the idle sessions.
func (t *SMTPTransport) Close() {
	for {
		select {
		case ic := <-t.idle:
			ic.c.Quit()
		default:
			return
		}
	}
}

func (t *SMTPTransport) tlsConfig() *tls.Config {
	host, _, _ := net.SplitHostPort(t.cfg.Addr)
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, RootCAs: t.cfg.RootCAs, InsecureSkipVerify: t.cfg.Insecure} // #nosec G402 -- only when relay_tls_insecure says so
}

// LoadCAFile reads a PEM file of CA certificates for Config.RootCAs.
func LoadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("relay: CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("relay: CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

func (t *SMTPTransport) dial(ctx context.Context) (*smtp.Client, error) {
	if t.cfg.Token != nil {
		// No access token, no session: a grant that needs sign-in does not cost the relay a
		// connection per mail.
		if _, err := t.cfg.Token.AccessToken(ctx); err != nil {
			return nil, fmt.Errorf("AUTH: %w", err)
		}
	}
	d := &net.Dialer{Timeout: 30 * time.Second}
	var conn net.Conn
	var err error
	if t.cfg.TLS == "implicit" {
		conn, err = (&tls.Dialer{NetDialer: d, Config: t.tlsConfig()}).DialContext(ctx, "tcp", t.cfg.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", t.cfg.Addr)
	}
	if err != nil {
		return nil, err
	}
	// go-smtp sets its own deadlines for the greeting and EHLO (5 minutes when it makes the
	// client, as NewClientStartTLS does): a watchdog bounds the whole handshake instead, and the
	// attempt's context can cut it short.
	var hung atomic.Bool
	watchdog := time.AfterFunc(handshakeCommands*t.cfg.Timeout, func() { hung.Store(true); conn.Close() })
	unwatch := context.AfterFunc(ctx, func() { conn.Close() })
	c, err := t.handshake(ctx, conn)
	watchdog.Stop()
	unwatch()
	if err != nil {
		conn.Close()
		if hung.Load() {
			return nil, fmt.Errorf("the relay did not answer within %s (timeout): %w", handshakeCommands*t.cfg.Timeout, err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", ctx.Err(), err)
		}
		return nil, err
	}
	return c, nil
}

// handshakeCommands is how many command timeouts the handshake may take: greeting, EHLO,
// STARTTLS and EHLO again, AUTH.
const handshakeCommands = 4

// handshake greets, secures and authenticates a fresh connection.
func (t *SMTPTransport) handshake(ctx context.Context, conn net.Conn) (*smtp.Client, error) {
	var c *smtp.Client
	var err error
	if t.cfg.TLS == "starttls" {
		// go-smtp greets as "localhost" before STARTTLS; the name matters little to a relay that
		// authenticates us.
		if c, err = smtp.NewClientStartTLS(conn, t.tlsConfig()); err != nil {
			// go-smtp has no sentinel for it; mailer/sender TestRelayWithoutSTARTTLSIsSaidOnce pins the text.
			if strings.Contains(err.Error(), "support STARTTLS") {
				return nil, fmt.Errorf("%w (relay %s)", ErrNoSTARTTLS, t.cfg.Addr)
			}
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
	} else {
		c = smtp.NewClient(conn)
		c.CommandTimeout = t.cfg.Timeout
		if err := c.Hello(t.cfg.HeloName); err != nil {
			return nil, err
		}
	}
	c.CommandTimeout = t.cfg.Timeout
	c.SubmissionTimeout = t.cfg.AttemptTimeout
	if t.cfg.Token != nil {
		if err := t.authOAuth(ctx, c); err != nil {
			return nil, err
		}
	} else if t.cfg.User != "" {
		var auth sasl.Client
		if c.SupportsAuth("PLAIN") {
			auth = sasl.NewPlainClient("", t.cfg.User, t.cfg.Password)
		} else if c.SupportsAuth("LOGIN") {
			auth = sasl.NewLoginClient(t.cfg.User, t.cfg.Password)
		} else {
			return nil, errors.New("the relay offers neither AUTH PLAIN nor AUTH LOGIN")
		}
		if err := c.Auth(auth); err != nil {
			return nil, fmt.Errorf("AUTH: %w", classify(err))
		}
	}
	return c, nil
}

// Check connects to the relay as a delivery would (TLS, AUTH) and quits, so that a relay that
// cannot work (no STARTTLS, a refused login) is reported at start rather than by the first mail.
func (t *SMTPTransport) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, handshakeCommands*t.cfg.Timeout)
	defer cancel()
	c, err := t.dial(ctx)
	if err != nil {
		return classify(err)
	}
	return c.Quit()
}

// Send implements Transport. One attempt is bounded by the attempt timeout: a relay that hangs
// has its connection closed, and the attempt fails like a dropped connection (temporary before the
// end of DATA, uncertain after it).
func (t *SMTPTransport) Send(ctx context.Context, from string, rcpts []string, raw []byte, commit func() error) (refused map[string]string, err error) {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.AttemptTimeout)
	defer cancel()
	c, reused, err := t.get(ctx)
	if err != nil {
		return nil, classify(err)
	}
	// c is closed unless the attempt ended cleanly, and at once when ctx ends (a hung relay).
	ok := false
	first := c // the watcher closes this session, whatever c is later set to
	unwatch := context.AfterFunc(ctx, func() { first.Close() })
	defer func() {
		if c == nil {
			return
		}
		if unwatch() && ok {
			t.put(c)
			return
		}
		c.Close()
	}()
	err = c.Mail(from, nil)
	var se *smtp.SMTPError
	if err != nil && reused && !errors.As(err, &se) && ctx.Err() == nil {
		// The relay dropped the idle session; nothing was sent on it: start afresh.
		unwatch()
		c.Close()
		var fresh *smtp.Client
		fresh, err = t.dial(ctx)
		if err != nil {
			// The deferred close must not touch the dead session again, nor a nil one.
			c, unwatch = nil, func() bool { return false }
			return nil, classify(err)
		}
		c = fresh
		unwatch = context.AfterFunc(ctx, func() { fresh.Close() })
		err = c.Mail(from, nil)
	}
	if err != nil {
		return nil, classify(err)
	}
	refused = map[string]string{}
	accepted := 0
	var lastErr error
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			var se *smtp.SMTPError
			if errors.As(err, &se) && se.Code/100 == 5 {
				refused[r] = err.Error()
				lastErr = err
				continue
			}
			return nil, classify(err) // temporary: retry the whole mail later
		}
		accepted++
	}
	if accepted == 0 {
		return nil, permanent("every recipient refused: %v", lastErr)
	}
	w, err := c.Data()
	if err != nil {
		return nil, classify(err)
	}
	if _, err := w.Write(raw); err != nil {
		return nil, classify(err)
	}
	if err := commit(); err != nil {
		// Close the connection without the end of DATA: the relay discards the message.
		return nil, fmt.Errorf("%w: %w", ErrCommit, err)
	}
	if err := w.Close(); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return nil, classify(err) // the relay answered: it did not take the mail
		}
		return nil, fmt.Errorf("%w: %w", ErrAfterData, err)
	}
	ok = true
	return refused, nil
}

// classify turns an SMTP reply into ErrPermanent (5xx) or leaves it temporary.
func classify(err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code/100 == 5 {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	return err
}

// FileTransport writes each mail as an .eml file, for a first run with no relay: what would have
// gone out is there to read.
type FileTransport struct{ Dir string }

// Send implements Transport.
func (t FileTransport) Send(_ context.Context, from string, rcpts []string, raw []byte, commit func() error) (map[string]string, error) {
	if err := os.MkdirAll(t.Dir, 0o750); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(t.Dir, ".tmp-*.eml")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	header := fmt.Sprintf("X-Postdesk-Envelope-From: %s\r\nX-Postdesk-Envelope-To: %s\r\n", from, strings.Join(rcpts, ", "))
	if _, err := io.WriteString(f, header); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := commit(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCommit, err)
	}
	name := filepath.Join(t.Dir, time.Now().UTC().Format("20060102T150405.000000000")+"-"+safeName(rcpts[0])+".eml")
	if err := os.Rename(f.Name(), name); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAfterData, err)
	}
	return nil, nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '@' {
			return r
		}
		return '_'
	}, s)
}

// Delivery errors a transport returns, so the sender knows what happened.
var (
	// ErrPermanent wraps a permanent refusal (5xx): the mail fails for good.
	ErrPermanent = errors.New("permanent failure")
	// ErrAfterData wraps a failure after the end of DATA was sent: the relay may have the mail.
	ErrAfterData = errors.New("interrupted after the end of DATA")
	// ErrCommit wraps a failure of the commit callback: nothing was sent; retry.
	ErrCommit = errors.New("could not record the attempt")
	// ErrNoSTARTTLS is a relay_tls = starttls relay that offers no STARTTLS: no mail goes out
	// until the relay offers it or the setting changes. It is temporary (the mail stays queued),
	// and it is the same for every mail, so the sender says it once.
	ErrNoSTARTTLS = errors.New("the relay offers no STARTTLS, and relay_tls is starttls: nothing is sent to it in clear; enable TLS on the relay, or set relay_tls = none for a relay on a trusted network")
)

func permanent(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrPermanent, fmt.Sprintf(format, a...))
}
