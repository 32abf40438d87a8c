package chaos

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

const (
	imapUser     = "support@acme.example"
	imapPassword = "chaos mailbox password"
)

// mailboxServer is go-imap's in-memory server with the support mailbox the instances poll. It
// counts the sessions that have the folder selected at once: a poller selects it, so more than one
// means two instances polled the mailbox at the same time.
type mailboxServer struct {
	port int
	user *imapmemserver.User
	srv  *imapserver.Server

	mu          sync.Mutex
	selected    int
	maxSelected int
	appended    []string // Message-IDs
}

func startMailbox() (*mailboxServer, error) {
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(imapUser, imapPassword)
	if err := u.Create("INBOX", nil); err != nil {
		return nil, err
	}
	mem.AddUser(u)
	m := &mailboxServer{user: u}
	m.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &countingSession{SessionIMAP4rev2: mem.NewSession().(imapserver.SessionIMAP4rev2), m: m}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapMove: {}, imap.CapUIDPlus: {}, imap.CapIdle: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0), // a killed instance's session ends mid-IDLE
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m.port = ln.Addr().(*net.TCPAddr).Port
	go m.srv.Serve(ln)
	return m, nil
}

func (m *mailboxServer) close() { m.srv.Close() }

// add delivers a message with Message-ID id to the mailbox, as the provider would.
func (m *mailboxServer) add(id string, n int) error {
	raw := fmt.Sprintf("From: Imogen %d <imogen%d@customer.example>\r\nTo: support@acme.example\r\nSubject: By IMAP %d\r\n"+
		"Message-ID: <%s>\r\nDate: %s\r\n\r\nThis one came through the mailbox.\r\n", n, n%20, n, id, time.Now().Format(time.RFC1123Z))
	if _, err := m.user.Append("INBOX", literal{bytes.NewReader([]byte(raw))}, &imap.AppendOptions{Time: time.Now()}); err != nil {
		return err
	}
	m.mu.Lock()
	m.appended = append(m.appended, id)
	m.mu.Unlock()
	return nil
}

func (m *mailboxServer) counts() (appended []string, maxSelected int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.appended...), m.maxSelected
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

// countingSession counts itself among the selected sessions from its first SELECT to its end.
type countingSession struct {
	imapserver.SessionIMAP4rev2
	m        *mailboxServer
	selected bool
}

func (s *countingSession) Select(name string, o *imap.SelectOptions) (*imap.SelectData, error) {
	d, err := s.SessionIMAP4rev2.Select(name, o)
	if err == nil && !s.selected {
		s.selected = true
		s.m.mu.Lock()
		s.m.selected++
		s.m.maxSelected = max(s.m.maxSelected, s.m.selected)
		s.m.mu.Unlock()
	}
	return d, err
}

func (s *countingSession) Close() error {
	if s.selected {
		s.selected = false
		s.m.mu.Lock()
		s.m.selected--
		s.m.mu.Unlock()
	}
	return s.SessionIMAP4rev2.Close()
}

// Idle reports what is pending when IDLE starts, as Dovecot does (imapmemserver reports only what
// changes during IDLE, so mail added just before would wait for the next change).
func (s *countingSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if err := s.SessionIMAP4rev2.Poll(w, true); err != nil {
		return err
	}
	return s.SessionIMAP4rev2.Idle(w, stop)
}
