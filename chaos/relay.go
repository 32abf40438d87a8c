package chaos

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// relay is the instances' relay: it accepts every mail and counts each Message-ID it receives, so
// a mail handed over twice shows. It can be held: MAIL FROM then waits until released, so no mail
// reaches the end of DATA meanwhile (the between-sends kills).
type relay struct {
	addr string
	srv  *smtp.Server

	mu       sync.Mutex
	counts   map[string]int // Message-ID → times received
	received int
	gate     chan struct{} // non-nil while held
	inTx     int           // sessions past MAIL FROM, not yet done with their DATA
	delay    time.Duration // at MAIL FROM: a relay's latency, so that kills find mail in flight
}

func startRelay(delay time.Duration) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{addr: ln.Addr().String(), counts: map[string]int{}, delay: delay}
	r.srv = smtp.NewServer(r)
	r.srv.Domain = "relay.chaos"
	r.srv.MaxMessageBytes = 64 << 20
	r.srv.ErrorLog = log.New(io.Discard, "", 0) // a killed instance's sessions end mid-command
	go r.srv.Serve(ln)
	return r, nil
}

func (r *relay) close() { r.release(); r.srv.Close() }

func (r *relay) hold() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gate == nil {
		r.gate = make(chan struct{})
	}
}

func (r *relay) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gate != nil {
		close(r.gate)
		r.gate = nil
	}
}

// idle reports whether no session is in a mail transaction: with the relay held, none starts
// one, so once idle, no mail reaches the end of DATA until release.
func (r *relay) idle() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inTx == 0
}

// seen returns how many mails were received and a copy of the counts.
func (r *relay) seen() (int, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := make(map[string]int, len(r.counts))
	for k, v := range r.counts {
		c[k] = v
	}
	return r.received, c
}

func (r *relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }

type relaySession struct {
	r    *relay
	inTx bool
}

func (s *relaySession) Reset()                             { s.endTx() }
func (s *relaySession) Logout() error                      { s.endTx(); return nil }
func (*relaySession) Rcpt(string, *smtp.RcptOptions) error { return nil }

func (s *relaySession) endTx() {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.inTx {
		s.inTx = false
		s.r.inTx--
	}
}

// Mail waits while the relay is held; passing the gate and joining the transactions are one step,
// so that hold then idle leaves no session between them.
func (s *relaySession) Mail(string, *smtp.MailOptions) error {
	s.r.mu.Lock()
	for s.r.gate != nil {
		gate := s.r.gate
		s.r.mu.Unlock()
		<-gate
		s.r.mu.Lock()
	}
	if !s.inTx {
		s.inTx = true
		s.r.inTx++
	}
	s.r.mu.Unlock()
	time.Sleep(s.r.delay)
	return nil
}

func (s *relaySession) Data(rd io.Reader) error {
	defer s.endTx()
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	h, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(b))).ReadMIMEHeader()
	id := strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.received++
	s.r.counts[id]++
	return nil
}
