// Package smtpd is the SMTP and LMTP server that accepts mail for properties and hands it to an
// inbound.Receiver.
package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/mailer/inbound"
)

// Receiver is what the server hands mail to: the delivery contract, and the recipient check
// that SMTP alone makes before the message is there.
type Receiver interface {
	// Accept decides on a recipient at RCPT time. An error wrapping inbound.ErrUnknownRecipient
	// is a permanent refusal (550); any other error is temporary (451).
	Accept(ctx context.Context, rcpt string) (inbound.Target, error)
	inbound.Receiver
}

// ServerConfig configures an SMTP or LMTP server.
type ServerConfig struct {
	Addr     string // host:port, or a unix socket path (anything containing a '/')
	LMTP     bool
	Domain   string // the name the server greets with
	MaxBytes int64  // message size limit: a message of exactly MaxBytes is accepted
	TLS      *tls.Config
	Log      *slog.Logger
	// DeliveryTimeout bounds a recipient check and the storing of one message (default 30 s):
	// past it the answer is 451 and the sender retries; a store that commits later is recognised
	// as a duplicate then.
	DeliveryTimeout time.Duration
}

// Server accepts mail over SMTP or LMTP.
type Server struct {
	srv *smtp.Server
	ln  net.Listener
	log *slog.Logger
}

// Reply codes, with enhanced codes (RFC 3463).
var (
	errUnknownRcpt = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such recipient here"}
	errTempRcpt    = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Cannot check the recipient now, try again later"}
	errTempStore   = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Message not stored, try again later"}
	errBadSender   = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Malformed sender address"}
	// A message that can never be stored is refused for good (RFC 3463 5.6.0: other or undefined
	// media error), so that its sender bounces it instead of retrying it for days.
	errPermStore = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message cannot be stored"}
)

// Listen opens addr: a unix socket when addr contains a '/', else TCP. A stale socket file is
// replaced.
func Listen(addr string) (net.Listener, error) {
	if strings.Contains(addr, "/") {
		if fi, err := os.Stat(addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(addr)
		}
		ln, err := net.Listen("unix", addr)
		if err != nil {
			return nil, fmt.Errorf("smtpd: listen on %s: %w", addr, err)
		}
		return ln, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smtpd: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// SocketPerm says who may connect to a unix socket: connecting needs write permission on the
// socket file, so an MTA running as another user (Postfix's lmtp client runs as postfix) needs
// the group or the other bits.
type SocketPerm struct {
	Mode os.FileMode // permission bits, e.g. 0660
	GID  int         // the socket's group; -1 leaves the group it was created with
}

// ListenSocket is Listen, and a unix socket then gets perm's mode and group (a TCP address
// ignores perm). Every start creates the socket anew, so the permissions hold across restarts.
func ListenSocket(addr string, perm SocketPerm) (net.Listener, error) {
	ln, err := Listen(addr)
	if err != nil || !strings.Contains(addr, "/") {
		return ln, err
	}
	if perm.GID >= 0 {
		if err := os.Chown(addr, -1, perm.GID); err != nil {
			ln.Close()
			return nil, fmt.Errorf("smtpd: give %s the group %d (the user must be a member of the group): %w", addr, perm.GID, err)
		}
	}
	if perm.Mode == 0 {
		return ln, nil // no mode asked for: the socket keeps what the umask gave it
	}
	if err := os.Chmod(addr, perm.Mode.Perm()); err != nil {
		ln.Close()
		return nil, fmt.Errorf("smtpd: chmod %s: %w", addr, err)
	}
	return ln, nil
}

// NewServer returns a server for r listening on ln.
func NewServer(cfg ServerConfig, ln net.Listener, r Receiver) *Server {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	proto := "smtp"
	if cfg.LMTP {
		proto = "lmtp"
	}
	log = log.With(slog.String("proto", proto))
	if cfg.DeliveryTimeout <= 0 {
		cfg.DeliveryTimeout = 30 * time.Second
	}
	source := inbound.SMTP
	if cfg.LMTP {
		source = inbound.LMTP
	}
	s := smtp.NewServer(&backend{r: r, log: log, max: cfg.MaxBytes, timeout: cfg.DeliveryTimeout, source: source})
	s.Domain = cfg.Domain
	s.LMTP = cfg.LMTP
	// go-smtp refuses a message of exactly its limit (it asks for one byte more before it sees the
	// end of DATA): it is given one byte of room, and the session enforces MaxBytes itself.
	s.MaxMessageBytes = cfg.MaxBytes + 1
	// RFC 5322 lines may be up to 998 bytes, but real mail has longer ones (HTML on one line);
	// refusing them with 554 bounces the mail. A line may be as long as a message.
	s.MaxLineLength = int(min(cfg.MaxBytes+1, 1<<30))
	s.MaxRecipients = 100
	s.ReadTimeout = 5 * time.Minute
	s.WriteTimeout = 5 * time.Minute
	s.TLSConfig = cfg.TLS
	s.EnableSMTPUTF8 = true
	s.ErrorLog = slogLogger{log}
	if ln.Addr().Network() == "unix" {
		s.Network = "unix"
	}
	return &Server{srv: s, ln: ln, log: log}
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Shutdown.
func (s *Server) Serve() error {
	err := s.srv.Serve(s.ln)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for sessions in progress until ctx ends, then
// closes what is left: a message whose DATA was cut off was never answered 250, so its sender
// retries it.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	// go-smtp closes only the listeners Serve has registered; if Serve has not started yet, it
	// would then block in Accept forever. The listener is ours: close it too.
	s.ln.Close()
	if err != nil {
		s.srv.Close()
	}
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

type backend struct {
	r       Receiver
	log     *slog.Logger
	max     int64
	timeout time.Duration
	source  inbound.Source
}

// errDeadline is returned when a step did not finish within the delivery timeout.
var errDeadline = errors.New("the database did not answer in time")

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{b: b, remote: c.Conn().RemoteAddr().String()}, nil
}

type session struct {
	b       *backend
	remote  string
	from    string
	rcpts   []string
	targets []inbound.Target
}

func (s *session) Reset() { s.from, s.rcpts, s.targets = "", nil, nil }

func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if strings.ContainsAny(from, "\r\n\x00") {
		return errBadSender
	}
	if opts != nil && opts.Size > s.b.max {
		return smtp.ErrDataTooLarge
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	type accepted struct {
		t   inbound.Target
		err error
	}
	a := db.Bounded(context.Background(), s.b.timeout, func(ctx context.Context) accepted {
		t, err := s.b.r.Accept(ctx, to)
		return accepted{t, err}
	}, accepted{nil, errDeadline})
	t, err := a.t, a.err
	if errors.Is(err, inbound.ErrUnknownRecipient) {
		s.b.log.Info("recipient refused", slog.String("rcpt", to), slog.String("remote", s.remote))
		return errUnknownRcpt
	}
	if err != nil {
		s.b.log.Error("recipient check failed", slog.String("rcpt", to), slog.Any("err", err))
		return errTempRcpt
	}
	s.rcpts = append(s.rcpts, to)
	s.targets = append(s.targets, t)
	return nil
}

// receive reads the message and delivers it; it returns one result per recipient.
func (s *session) receive(r io.Reader) ([]error, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err // too large (552), or the connection broke
	}
	if int64(len(raw)) > s.b.max {
		return nil, smtp.ErrDataTooLarge
	}
	var dests []inbound.Destination
	index := map[string]int{}
	rcptBatch := make([]int, len(s.rcpts))
	for i, t := range s.targets {
		bi, ok := index[t.Key()]
		if !ok {
			bi = len(dests)
			index[t.Key()] = bi
			dests = append(dests, inbound.Destination{Target: t})
		}
		dests[bi].Rcpts = append(dests[bi].Rcpts, s.rcpts[i])
		rcptBatch[i] = bi
	}
	m := inbound.Message{Source: s.b.source, EnvelopeFrom: s.from, Raw: raw, To: dests}
	late := make([]inbound.Result, len(dests))
	for i := range late {
		late[i].Err = errDeadline
	}
	results := db.Bounded(context.Background(), s.b.timeout, func(ctx context.Context) []inbound.Result { return s.b.r.Receive(ctx, m) }, late)
	for _, r := range results {
		if errors.Is(r.Err, errDeadline) {
			s.b.log.Error("message not stored in time; answered 451", slog.String("from", m.EnvelopeFrom), slog.Duration("timeout", s.b.timeout), slog.String("remote", s.remote))
			break
		}
	}
	out := make([]error, len(s.rcpts))
	for i, bi := range rcptBatch {
		switch {
		case bi >= len(results):
			// A receiver that answered for fewer copies than it was given stored nobody knows
			// what: never a 250 for that.
			s.b.log.Error("receiver returned no result for a recipient; answered 451", slog.String("rcpt", s.rcpts[i]), slog.Int("results", len(results)))
			out[i] = errTempStore
		case results[bi].Err == nil:
		case inbound.IsPermanent(results[bi].Err):
			s.b.log.Warn("message cannot be stored; answered 554", slog.String("from", m.EnvelopeFrom), slog.String("rcpt", s.rcpts[i]), slog.Any("err", results[bi].Err), slog.String("remote", s.remote))
			out[i] = errPermStore
		default:
			out[i] = errTempStore
		}
	}
	return out, nil
}

// Data answers for the whole message (SMTP has one answer). If any copy failed for now, it is
// refused with 451: the sender retries it, and the copies already committed are recognised as
// duplicates then. When every failure is permanent: 554 if no copy was stored — a retry could
// not mend it, and the sender's bounce tells the customer — but 250 if a copy was, since a
// bounce would tell the customer their mail was lost when a ticket holds it (the copies that
// cannot be stored are logged).
func (s *session) Data(r io.Reader) error {
	results, err := s.receive(r)
	if err != nil {
		return err
	}
	var failed error
	stored := false
	for _, e := range results {
		if e == errTempStore {
			return e
		}
		if e != nil {
			failed = e
		} else {
			stored = true
		}
	}
	if stored {
		return nil
	}
	return failed
}

// LMTPData answers per recipient (RFC 2033 §4.2).
func (s *session) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	results, err := s.receive(r)
	if err != nil {
		return err
	}
	for i, rcpt := range s.rcpts {
		status.SetStatus(rcpt, results[i])
	}
	return nil
}

type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Printf(format string, v ...any) { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l slogLogger) Println(v ...any)               { l.log.Warn(fmt.Sprint(v...)) }
