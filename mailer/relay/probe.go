package relay

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"
)

// Step is one exchange of a relay test: the command, the relay's reply code and text (0 and ""
// when it gave none), and what went wrong, if anything.
type Step struct {
	Name  string
	Code  int
	Reply string
	Err   error
}

// Probe sends raw from from to to through the relay, in one new session spoken step by step
// (connect, greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT) so that an admin sees where
// it fails and what the relay answered; report is called after each step. It is a diagnosis, not
// the outbox's path: Send is. It returns the first step's error.
func (t *SMTPTransport) Probe(ctx context.Context, from, to string, raw []byte, report func(Step)) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.AttemptTimeout)
	defer cancel()
	p := &prober{t: t, report: report}
	err := p.run(ctx, from, to, raw)
	if p.conn != nil {
		p.conn.Close()
	}
	return err
}

type prober struct {
	t      *SMTPTransport
	report func(Step)
	conn   net.Conn
	tp     *textproto.Conn
}

func (p *prober) run(ctx context.Context, from, to string, raw []byte) error {
	d := &net.Dialer{Timeout: 30 * time.Second}
	var err error
	if p.t.cfg.TLS == "implicit" {
		p.conn, err = (&tls.Dialer{NetDialer: d, Config: p.t.tlsConfig()}).DialContext(ctx, "tcp", p.t.cfg.Addr)
	} else {
		p.conn, err = d.DialContext(ctx, "tcp", p.t.cfg.Addr)
	}
	detail := p.t.cfg.Addr
	if err == nil {
		detail = p.conn.RemoteAddr().String()
		if tc, ok := p.conn.(*tls.Conn); ok {
			detail += " (" + tlsState(tc) + ")"
		}
	}
	if err := p.step(Step{Name: "connect", Reply: detail, Err: err}); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { p.conn.Close() })
	defer stop()
	p.tp = textproto.NewConn(p.conn)
	if _, _, err := p.exchange("greeting", 220, ""); err != nil {
		return err
	}
	_, ext, err := p.exchange("EHLO", 250, "EHLO %s", p.t.cfg.HeloName)
	if err != nil {
		return err
	}
	if p.t.cfg.TLS == "starttls" {
		if !hasExtension(ext, "STARTTLS") {
			return p.step(Step{Name: "STARTTLS", Err: errors.New("the relay does not offer STARTTLS (relay_tls = starttls)")})
		}
		if _, _, err := p.exchange("STARTTLS", 220, "STARTTLS"); err != nil {
			return err
		}
		tc := tls.Client(p.conn, p.t.tlsConfig())
		p.deadline()
		err := tc.HandshakeContext(ctx)
		reply := ""
		if err == nil {
			reply = tlsState(tc)
		}
		if err := p.step(Step{Name: "TLS handshake", Reply: reply, Err: err}); err != nil {
			return err
		}
		p.conn = tc
		p.tp = textproto.NewConn(tc)
		if _, ext, err = p.exchange("EHLO", 250, "EHLO %s", p.t.cfg.HeloName); err != nil {
			return err
		}
	}
	if p.t.cfg.Token != nil {
		if err := p.authOAuth(ctx, ext); err != nil {
			return err
		}
	} else if p.t.cfg.User != "" {
		if err := p.auth(ext); err != nil {
			return err
		}
	}
	if _, _, err := p.exchange("MAIL FROM", 250, "MAIL FROM:<%s>", from); err != nil {
		return err
	}
	if _, _, err := p.exchange("RCPT TO", 25, "RCPT TO:<%s>", to); err != nil {
		return err
	}
	if _, _, err := p.exchange("DATA", 354, "DATA"); err != nil {
		return err
	}
	p.deadline()
	w := p.tp.DotWriter()
	_, err = w.Write(raw)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return p.step(Step{Name: "message", Err: err})
	}
	if _, _, err := p.exchange("end of DATA", 250, ""); err != nil {
		return err
	}
	p.exchange("QUIT", 221, "QUIT") // the mail is accepted: a rude goodbye changes nothing
	return nil
}

// auth logs in with PLAIN, or LOGIN when only that is offered.
func (p *prober) auth(ext string) error {
	user, pass := p.t.cfg.User, p.t.cfg.Password
	switch {
	case hasAuth(ext, "PLAIN"):
		cred := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
		_, _, err := p.exchange("AUTH PLAIN", 235, "AUTH PLAIN %s", cred)
		return err
	case hasAuth(ext, "LOGIN"):
		if _, _, err := p.exchange("AUTH LOGIN", 334, "AUTH LOGIN"); err != nil {
			return err
		}
		if _, _, err := p.exchange("AUTH LOGIN (user)", 334, "%s", base64.StdEncoding.EncodeToString([]byte(user))); err != nil {
			return err
		}
		_, _, err := p.exchange("AUTH LOGIN (password)", 235, "%s", base64.StdEncoding.EncodeToString([]byte(pass)))
		return err
	}
	return p.step(Step{Name: "AUTH", Err: errors.New("the relay offers neither AUTH PLAIN nor AUTH LOGIN (relay_user is set)")})
}

// exchange sends a command (none for the greeting and the end of DATA) and reads the reply,
// which must have the code expected (or begin with it, for a 2-digit expectation).
func (p *prober) exchange(name string, expect int, format string, args ...any) (int, string, error) {
	p.deadline()
	if format != "" {
		id, err := p.tp.Cmd(format, args...)
		if err != nil {
			return 0, "", p.step(Step{Name: name, Err: err})
		}
		p.tp.StartResponse(id)
		defer p.tp.EndResponse(id)
	}
	code, msg, err := p.tp.ReadResponse(expect)
	var te *textproto.Error
	if errors.As(err, &te) {
		err = fmt.Errorf("the relay answered %d %s", te.Code, firstLine(te.Msg))
	}
	return code, msg, p.step(Step{Name: name, Code: code, Reply: firstLine(msg), Err: err})
}

func (p *prober) step(s Step) error {
	if p.report != nil {
		p.report(s)
	}
	return s.Err
}

func (p *prober) deadline() { p.conn.SetDeadline(time.Now().Add(p.t.cfg.Timeout)) }

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func hasExtension(ext, name string) bool {
	for _, l := range strings.Split(ext, "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], name) {
			return true
		}
	}
	return false
}

func hasAuth(ext, mech string) bool {
	for _, l := range strings.Split(ext, "\n") {
		f := strings.Fields(strings.ToUpper(l))
		if len(f) > 0 && (f[0] == "AUTH" || f[0] == "AUTH=") {
			for _, m := range f[1:] {
				if m == mech {
					return true
				}
			}
		}
	}
	return false
}

func tlsState(c *tls.Conn) string {
	s := c.ConnectionState()
	return tls.VersionName(s.Version) + ", " + tls.CipherSuiteName(s.CipherSuite)
}
