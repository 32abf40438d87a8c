package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// sink is an SMTP relay that accepts everything and notes when each mail arrived, by the
// Message-ID it answers (In-Reply-To): postdesk's notification about a customer's mail answers it.
type sink struct {
	mu      sync.Mutex
	arrived map[string]time.Time // In-Reply-To → first arrival
	count   int
	first   time.Time
	last    time.Time
	srv     *smtp.Server
}

func startSink(addr string) (*sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &sink{arrived: map[string]time.Time{}}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "sink.bench"
	s.srv.MaxMessageBytes = 64 << 20
	go s.srv.Serve(ln)
	return s, nil
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

func (s *sink) stats() (count int, first, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count, s.first, s.last
}

func (s *sink) arrivedAt(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.arrived[id]
	return t, ok
}

type sinkSession struct{ s *sink }

func (*sinkSession) Reset()                               {}
func (*sinkSession) Logout() error                        { return nil }
func (*sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	now := time.Now()
	h, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(b))).ReadMIMEHeader()
	irt := strings.Trim(strings.TrimSpace(h.Get("In-Reply-To")), "<>")
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.count == 0 {
		s.first = now
	}
	s.count++
	s.last = now
	if _, seen := s.arrived[irt]; irt != "" && !seen {
		s.arrived[irt] = now
	}
	return nil
}
