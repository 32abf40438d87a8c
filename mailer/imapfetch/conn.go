package imapfetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/postdesk/postdesk/mailbox"
)

// Account is how to reach a mailbox and log in.
type Account struct {
	Host     string
	Port     int
	TLS      string // mailbox.TLSImplicit, TLSStartTLS or TLSNone
	Username string
	Password string
	// Token, when set, logs in with OAuth2 (SASL OAUTHBEARER or XOAUTH2) as Username instead of
	// the password.
	Token TokenSource
	// TLSConfig, when set, is used instead of the system roots (a private CA; tests).
	TLSConfig *tls.Config
	// Debug, when set, receives the raw protocol, password included: for debugging only.
	Debug io.Writer
	// Control, when set, is the dialer's Control func: it may refuse the address dialled, after
	// DNS resolution (dialguard.Policy.Control, for a mailbox an admin names on the web).
	Control func(network, address string, c syscall.RawConn) error
}

// imapConn is a logged-in connection with its folder selected.
type imapConn struct {
	c    *imapclient.Client
	caps imap.CapSet
	sel  *imap.SelectData
	// wake is signalled when the server reports a new message count (EXISTS), which it does
	// during IDLE (RFC 2177) and alongside the responses to other commands (RFC 9051 §7.4.1).
	wake chan struct{}
	stop func() bool
}

const dialTimeout = 30 * time.Second

// dialIMAP connects, logs in and selects folder. Cancelling ctx closes the connection, which ends
// any command in progress.
func dialIMAP(ctx context.Context, a Account, folder string) (*imapConn, error) {
	addr := net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
	d := net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second, Control: a.Control}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &StageError{Stage: StageConnect, Err: fmt.Errorf("imapfetch: connect to %s: %w", addr, err)}
	}
	ic := &imapConn{wake: make(chan struct{}, 1)}
	ic.stop = context.AfterFunc(ctx, func() { conn.Close() })
	opts := &imapclient.Options{
		DebugWriter: a.Debug,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(m *imapclient.UnilateralDataMailbox) {
				if m.NumMessages != nil {
					ic.signal()
				}
			},
		},
	}
	tc := &tls.Config{ServerName: a.Host, MinVersion: tls.VersionTLS12}
	if a.TLSConfig != nil {
		tc = a.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = a.Host
		}
	}
	opts.TLSConfig = tc
	switch a.TLS {
	case mailbox.TLSImplicit:
		tconn := tls.Client(conn, tc)
		hctx, cancel := context.WithTimeout(ctx, dialTimeout)
		err = tconn.HandshakeContext(hctx)
		cancel()
		if err != nil {
			ic.stop()
			conn.Close()
			return nil, &StageError{Stage: StageConnect, Err: fmt.Errorf("imapfetch: TLS with %s: %w", addr, err)}
		}
		ic.c = imapclient.New(tconn, opts)
	case mailbox.TLSStartTLS:
		// RFC 9051 §6.2.1; imapclient refuses a PREAUTH greeting here (RFC 9051 §7.1.4).
		ic.c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			ic.stop()
			conn.Close()
			return nil, &StageError{Stage: StageConnect, Err: fmt.Errorf("imapfetch: STARTTLS with %s: %w", addr, err)}
		}
	default:
		ic.c = imapclient.New(conn, opts)
	}
	if err := ic.login(ctx, a); err != nil {
		ic.close()
		return nil, &StageError{Stage: stageOf(err), Err: fmt.Errorf("imapfetch: %s: %w", addr, err)}
	}
	if err := ic.selectFolder(folder); err != nil {
		ic.close()
		return nil, &StageError{Stage: StageFolder, Err: fmt.Errorf("imapfetch: %s: %w", addr, err)}
	}
	return ic, nil
}

func (ic *imapConn) signal() {
	select {
	case ic.wake <- struct{}{}:
	default:
	}
}

// drainWake forgets earlier signals: what they announced is about to be read.
func (ic *imapConn) drainWake() {
	select {
	case <-ic.wake:
	default:
	}
}

func (ic *imapConn) close() {
	ic.stop()
	ic.c.Close()
}

func (ic *imapConn) login(ctx context.Context, a Account) error {
	if err := ic.c.WaitGreeting(); err != nil {
		return &StageError{Stage: StageConnect, Err: fmt.Errorf("greeting: %w", err)}
	}
	if ic.c.State() == imap.ConnStateAuthenticated { // PREAUTH
		ic.caps = ic.c.Caps()
		return nil
	}
	caps := ic.c.Caps()
	var err error
	switch {
	case a.Token != nil:
		err = ic.loginOAuth(ctx, a)
	case caps.Has(imap.AuthCap("PLAIN")):
		// SASL PLAIN (RFC 4616) copes with any character in a password; LOGIN's quoting does not
		// everywhere.
		err = ic.c.Authenticate(sasl.NewPlainClient("", a.Username, a.Password))
	case caps.Has(imap.CapLoginDisabled):
		return fmt.Errorf("the server refuses to log in over this connection (LOGINDISABLED): use --tls implicit or starttls")
	default:
		err = ic.c.Login(a.Username, a.Password).Wait()
	}
	if err != nil {
		return fmt.Errorf("log in as %s: %w", a.Username, err)
	}
	// Capabilities may change after login (RFC 9051 §6.2.3); imapclient asks for them again.
	ic.caps = ic.c.Caps()
	return nil
}

func (ic *imapConn) selectFolder(folder string) error {
	sel, err := ic.c.Select(folder, nil).Wait()
	if err != nil {
		return fmt.Errorf("select %q: %w", folder, err)
	}
	if sel.UIDValidity == 0 {
		return fmt.Errorf("select %q: the server sent no UIDVALIDITY (RFC 9051 §7.1 requires it)", folder)
	}
	if sel.UIDNext == 0 {
		// RFC 2060 servers may omit UIDNEXT; the highest UID plus one is as good.
		top, err := ic.highestUID()
		if err != nil {
			return fmt.Errorf("select %q: %w", folder, err)
		}
		sel.UIDNext = top + 1
	}
	ic.sel = sel
	return nil
}

func (ic *imapConn) highestUID() (imap.UID, error) {
	data, err := ic.c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("find the highest UID: %w", err)
	}
	var top imap.UID
	for _, u := range data.AllUIDs() {
		top = max(top, u)
	}
	return top, nil
}

// ensureFolder creates folder when it is missing, for move:FOLDER.
func (ic *imapConn) ensureFolder(folder string) error {
	err := ic.c.Create(folder, nil).Wait()
	if err == nil {
		return nil
	}
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists {
		return nil
	}
	// Not every server sends ALREADYEXISTS (RFC 5530): the folder may be there all the same.
	if _, serr := ic.c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait(); serr == nil {
		return nil
	}
	return fmt.Errorf("create folder %q: %w", folder, err)
}

// searchUIDs returns the UIDs in [from, to] (to 0: no upper bound) matching since (zero: any
// date), ascending.
func (ic *imapConn) searchUIDs(from, to imap.UID, since time.Time) ([]imap.UID, error) {
	var set imap.UIDSet
	set.AddRange(from, to) // to 0 is "*"
	crit := &imap.SearchCriteria{UID: []imap.UIDSet{set}}
	if !since.IsZero() {
		// SEARCH SINCE compares dates only, in the server's time zone (RFC 9051 §6.4.4): ask
		// from the day before and let the caller compare INTERNALDATE exactly.
		crit.Since = since.AddDate(0, 0, -1)
	}
	data, err := ic.c.UIDSearch(crit, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	var out []imap.UID
	for _, u := range data.AllUIDs() {
		// "n:*" always matches the highest UID, even below n (RFC 9051 §6.4.8).
		if u >= from && (to == 0 || u <= to) {
			out = append(out, u)
		}
	}
	sortUIDs(out)
	return out, nil
}

// applyAfter does what the mailbox asks with messages whose tickets are committed.
func (ic *imapConn) applyAfter(a mailbox.After, uids []imap.UID) error {
	if len(uids) == 0 {
		return nil
	}
	set := imap.UIDSetNum(uids...)
	switch a.Kind {
	case mailbox.AfterMove:
		return ic.move(set, a.Folder)
	case mailbox.AfterDelete:
		if err := ic.addFlag(set, imap.FlagDeleted); err != nil {
			return err
		}
		return ic.expunge(set)
	default:
		return ic.addFlag(set, imap.FlagSeen)
	}
}

func (ic *imapConn) addFlag(set imap.UIDSet, flag imap.Flag) error {
	err := ic.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{flag}}, nil).Close()
	if err != nil {
		return fmt.Errorf("flag %s: %w", flag, err)
	}
	return nil
}

// move uses MOVE (RFC 6851) when the server has it. Otherwise COPY, then \Deleted, then expunge,
// each waited for: imapclient's own fallback pipelines them, and a failed COPY must not be followed
// by an expunge of the original (RFC 6851 §3.3).
func (ic *imapConn) move(set imap.UIDSet, folder string) error {
	if ic.caps.Has(imap.CapMove) {
		if _, err := ic.c.Move(set, folder).Wait(); err != nil {
			return fmt.Errorf("move to %q: %w", folder, err)
		}
		return nil
	}
	if _, err := ic.c.Copy(set, folder).Wait(); err != nil {
		return fmt.Errorf("copy to %q: %w", folder, err)
	}
	if err := ic.addFlag(set, imap.FlagDeleted); err != nil {
		return err
	}
	return ic.expunge(set)
}

// expunge removes exactly set with UID EXPUNGE (UIDPLUS, RFC 4315 §2.1). Without it, EXPUNGE also
// removes whatever else someone flagged \Deleted in the folder: that is what they asked for.
func (ic *imapConn) expunge(set imap.UIDSet) error {
	var err error
	if ic.caps.Has(imap.CapUIDPlus) {
		err = ic.c.UIDExpunge(set).Close()
	} else {
		err = ic.c.Expunge().Close()
	}
	if err != nil {
		return fmt.Errorf("expunge: %w", err)
	}
	return nil
}

// fetched is one message read from the server.
type fetched struct {
	uid  imap.UID
	date time.Time // INTERNALDATE: when the server received it
	raw  []byte
}

// fetchBody is BODY.PEEK[]: the whole message, without setting \Seen (RFC 9051 §6.4.5).
var fetchBody = &imap.FetchItemBodySection{Peek: true}

// fetch streams the messages of uids to each; messages the server no longer has are left out.
func (ic *imapConn) fetch(uids []imap.UID, each func(fetched) error) error {
	cmd := ic.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		BodySection:  []*imap.FetchItemBodySection{fetchBody},
	})
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		buf, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return fmt.Errorf("fetch: %w", err)
		}
		if buf.UID == 0 || len(buf.BodySection) == 0 {
			continue // a flag update that happened to arrive now, not our answer
		}
		if err := each(fetched{uid: buf.UID, date: buf.InternalDate, raw: buf.BodySection[0].Bytes}); err != nil {
			cmd.Close()
			return err
		}
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	return nil
}

// idle waits in IDLE (RFC 2177) until the server reports new mail, refresh passes (servers may
// drop a client idle for 30 minutes; re-issuing also finds dead connections), or ctx ends.
func (ic *imapConn) idle(ctx context.Context, refresh time.Duration) error {
	cmd, err := ic.c.Idle()
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	t := time.NewTimer(refresh)
	defer t.Stop()
	select {
	case <-ic.wake:
	case <-t.C:
	case <-ctx.Done():
	case <-ic.c.Closed():
	}
	if err := cmd.Close(); err != nil {
		return ctxErr(ctx, fmt.Errorf("idle: %w", err))
	}
	if err := cmd.Wait(); err != nil {
		return ctxErr(ctx, fmt.Errorf("idle: %w", err))
	}
	return ctx.Err()
}

// ctxErr prefers the context's error: a closed connection is the consequence, not the cause.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// MailboxInfo is what Check found.
type MailboxInfo struct {
	Messages    uint32
	UIDValidity uint32
	UIDNext     uint32
	Idle        bool // the server pushes new mail (RFC 2177)
	Move        bool // the server moves atomically (RFC 6851)
}

// Check connects to a mailbox, logs in and selects folder, to tell an admin at once whether the
// settings work.
func Check(ctx context.Context, a Account, folder string) (MailboxInfo, error) {
	ic, err := dialIMAP(ctx, a, folder)
	if err != nil {
		return MailboxInfo{}, err
	}
	defer ic.close()
	ic.c.Logout().Wait()
	return MailboxInfo{
		Messages: ic.sel.NumMessages, UIDValidity: ic.sel.UIDValidity, UIDNext: uint32(ic.sel.UIDNext),
		Idle: ic.caps.Has(imap.CapIdle), Move: ic.caps.Has(imap.CapMove),
	}, nil
}
