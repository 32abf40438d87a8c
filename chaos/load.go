package chaos

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// load sends customers' mail at a steady rate, spread over the instances' SMTP ports. A message an
// instance does not take (it is dead, or answered 4xx, or died before answering) is offered to the
// next one, as a sending MTA tries the next MX host; only a 250 counts as accepted.
type load struct {
	tag       string
	instances []*instance

	mu       sync.Mutex
	accepted []string // Message-IDs answered 250
	retried  int      // offers refused or cut off, then made to another instance
	lost     []string // never accepted by any instance
}

func (l *load) message(n int) (id, raw string) {
	id = fmt.Sprintf("chaos-%s-%d@customer.example", l.tag, n)
	raw = fmt.Sprintf("From: Customer %d <customer%d@customer.example>\r\nTo: support@acme.example\r\nSubject: Order %d needs help\r\n"+
		"Message-ID: <%s>\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		n, n%50, n, id, time.Now().Format(time.RFC1123Z), strings.Repeat("The printer keeps jamming on page two. ", 40))
	return id, raw
}

// run sends rate messages a second until ctx ends, and waits for the ones under way.
func (l *load) run(ctx context.Context, rate float64) {
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.deliver(n)
		}()
	}
}

func (l *load) deliver(n int) {
	id, raw := l.message(n)
	deadline := time.Now().Add(2 * time.Minute)
	for try := 0; time.Now().Before(deadline); try++ {
		in := l.instances[(n+try)%len(l.instances)]
		if err := send(in.smtp, raw); err == nil {
			l.mu.Lock()
			l.accepted = append(l.accepted, id)
			l.mu.Unlock()
			return
		}
		l.mu.Lock()
		l.retried++
		l.mu.Unlock()
		if try%len(l.instances) == len(l.instances)-1 {
			time.Sleep(500 * time.Millisecond) // every instance refused: wait as an MTA's queue does
		}
	}
	l.mu.Lock()
	l.lost = append(l.lost, id)
	l.mu.Unlock()
}

func send(addr, raw string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("mx.customer.example"); err != nil {
		return err
	}
	return c.SendMail("customer@customer.example", []string{"acme@desk.example"}, strings.NewReader(raw))
}

func (l *load) counts() (accepted, lost []string, retried int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.accepted...), append([]string(nil), l.lost...), l.retried
}
