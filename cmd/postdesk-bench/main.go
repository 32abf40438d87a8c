// Command postdesk-bench drives a running 'postdesk serve' over SMTP with concurrent connections
// and a realistic mix of mail — ~10 KB bodies, some attachments, about half of them replies to
// earlier messages — and prints the acceptance rate and latency percentiles.
//
//	postdesk-bench --addr 127.0.0.1:2525 --to acme@localhost -c 32 -n 10000 --ceiling --pid PID
//
// --ceiling sends the same kind of mail to Postfix's smtp-sink in turns with postdesk and prints
// postdesk's rate as a share of it; --pid follows the serve process (peak RSS, CPU per message).
//
// Subcommands seed a property, then measure the inbox list query straight on the database, or
// the web inbox's pages in process (server time and page weight):
//
//	postdesk-bench seed --db DSN --tickets 100000 --messages 1000000 --property bench
//	postdesk-bench list --db DSN --property bench --n 200
//	postdesk-bench pages --db DSN --property bench --n 200
//
// and chaos runs several serve processes on one PostgreSQL, killing one every few seconds:
//
//	postdesk-bench chaos --postdesk ./postdesk --db DSN --instances 3 --duration 5m
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "postdesk-bench:", err)
		os.Exit(1)
	}
}

type options struct {
	addr        string
	to          string
	conns       int
	n           int
	replyRatio  float64
	attachRatio float64
	bodyBytes   int
	sink        string
	wait        time.Duration
	ceiling     ceilingFlag
	rounds      int
	pid         int
}

func run(args []string, out io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "seed":
			return runSeed(args[1:], out)
		case "list":
			return runList(args[1:], out)
		case "pages":
			return runPages(args[1:], out)
		case "chaos":
			return runChaos(args[1:], out)
		}
	}
	fs := flag.NewFlagSet("postdesk-bench", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.addr, "addr", "127.0.0.1:2525", "SMTP address of postdesk serve")
	fs.StringVar(&o.to, "to", "acme@localhost", "recipient: a property's forwarding address")
	fs.IntVar(&o.conns, "c", 32, "concurrent SMTP connections")
	fs.IntVar(&o.n, "n", 10000, "messages to send")
	fs.Float64Var(&o.replyRatio, "replies", 0.5, "share of messages that reply to an earlier one")
	fs.Float64Var(&o.attachRatio, "attachments", 0.1, "share of messages with a ~40 KB attachment")
	fs.IntVar(&o.bodyBytes, "body", 10*1024, "body size in bytes")
	fs.StringVar(&o.sink, "sink", "", "also run a sink relay on this address (start postdesk with --relay ADDR --relay-tls none) and measure outgoing mail")
	fs.DurationVar(&o.wait, "wait", 60*time.Second, "with --sink: how long to wait for the notifications after the last message")
	fs.Var(&o.ceiling, "ceiling", "also send the same kind of mail to Postfix's smtp-sink, in turns with postdesk, and print postdesk's rate as a share of the sink's (--ceiling starts one; --ceiling=ADDR uses one listening there)")
	fs.IntVar(&o.rounds, "ceiling-rounds", 5, "with --ceiling: postdesk's messages are sent in this many slices, each after a turn of the sink, and one turn ends the run")
	fs.IntVar(&o.pid, "pid", 0, "pid of postdesk serve: print its peak RSS and CPU time per message during the run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 1 && o.ceiling.set && o.ceiling.addr == "" {
		// --ceiling ADDR (a boolean-style flag does not take the next argument itself).
		if err := o.ceiling.Set(fs.Arg(0)); err != nil {
			return err
		}
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.conns < 1 || o.n < 1 {
		return fmt.Errorf("-c and -n must be positive")
	}
	var ceilingAddr string
	if o.ceiling.set {
		ceilingAddr = o.ceiling.addr
		if ceilingAddr == "" {
			addr, stop, err := startSMTPSink()
			if err != nil {
				return err
			}
			defer stop()
			ceilingAddr = addr
		}
	}
	var ps *procSampler
	if o.pid > 0 {
		var err error
		if ps, err = startProcSampler(o.pid); err != nil {
			return err
		}
	}
	var sk *sink
	if o.sink != "" {
		var err error
		if sk, err = startSink(o.sink); err != nil {
			return err
		}
	}
	msgs, ids := corpus(o)
	var r result
	var sinkRates []float64
	if ceilingAddr == "" {
		r = bench(o, o.addr, msgs, ids)
	} else {
		var err error
		if r, sinkRates, err = interleaved(o, ceilingAddr, msgs, ids); err != nil {
			return err
		}
	}
	if ps != nil {
		ps.finish(out, len(r.latencies))
	}
	if len(r.latencies) == 0 {
		return fmt.Errorf("no message was accepted: %v", r.firstErr)
	}
	r.print(out, o)
	if ceilingAddr != "" {
		printCeiling(out, ceilingAddr, r, sinkRates)
	}
	if sk != nil {
		r.printSink(out, sk, o.wait)
	}
	return nil
}

// printSink waits for a notification answering each accepted message, then prints the outbox's
// throughput at the sink and the latency from acceptance to notification.
func (r result) printSink(w io.Writer, sk *sink, wait time.Duration) {
	deadline := time.Now().Add(wait)
	var lat []time.Duration
	for {
		lat = lat[:0]
		for id, accepted := range r.accepted {
			if t, ok := sk.arrivedAt(id); ok {
				lat = append(lat, t.Sub(accepted))
			}
		}
		if len(lat) == len(r.accepted) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	n, first, last := sk.stats()
	fmt.Fprintf(w, "sink received %d mails in %s: %.0f mails/s\n", n, last.Sub(first).Round(time.Millisecond), float64(n)/max(last.Sub(first).Seconds(), 0.001))
	if len(lat) == 0 {
		fmt.Fprintln(w, "no notification matched an accepted message (is postdesk's --relay the sink, and does the property have agents?)")
		return
	}
	slices.Sort(lat)
	fmt.Fprintf(w, "accepted → notification at the relay, %d of %d messages: p50 %s  p90 %s  p99 %s  max %s\n",
		len(lat), len(r.accepted), pct(lat, 50), pct(lat, 90), pct(lat, 99), lat[len(lat)-1].Round(time.Millisecond))
}

type result struct {
	accepted  map[string]time.Time // Message-ID → when postdesk answered 250
	elapsed   time.Duration
	latencies []time.Duration
	failures  int64
	firstErr  error
}

func (r result) print(w io.Writer, o options) {
	ok := len(r.latencies)
	slices.Sort(r.latencies)
	fmt.Fprintf(w, "sent %d messages over %d connections in %s: %.0f messages/s\n", ok, o.conns, r.elapsed.Round(time.Millisecond), float64(ok)/r.elapsed.Seconds())
	if ok > 0 {
		fmt.Fprintf(w, "acceptance latency: p50 %s  p90 %s  p99 %s  max %s\n",
			pct(r.latencies, 50), pct(r.latencies, 90), pct(r.latencies, 99), r.latencies[ok-1].Round(10*time.Microsecond))
	}
	if r.failures > 0 {
		fmt.Fprintf(w, "failures: %d (first: %v)\n", r.failures, r.firstErr)
	}
}

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))].Round(10 * time.Microsecond)
}

// corpus builds the messages up front so generation does not count in the measurement.
func corpus(o options) ([]string, []string) {
	run := make([]byte, 4)
	rand.Read(run)
	tag := hex.EncodeToString(run)
	filler := strings.Repeat("The quick brown fox jumps over the lazy dog while the printer keeps on jamming. ", 1+o.bodyBytes/80)[:o.bodyBytes]
	attachment := make([]byte, 30*1024)
	rand.Read(attachment)
	att := wrap(base64.StdEncoding.EncodeToString(attachment))
	msgs := make([]string, o.n)
	ids := make([]string, o.n)
	for i := range o.n {
		id := fmt.Sprintf("<bench-%s-%d@customer.example>", tag, i)
		var h strings.Builder
		fmt.Fprintf(&h, "From: Customer %d <customer%d@customer.example>\r\nTo: %s\r\nDate: %s\r\nMessage-ID: %s\r\n",
			i%500, i%500, o.to, time.Now().Format(time.RFC1123Z), id)
		subject := fmt.Sprintf("Order %d needs help", i)
		// A reply answers a message sent well before it, so that it has most likely been stored.
		if i >= 2*o.conns && mrand.Float64() < o.replyRatio {
			parent := mrand.IntN(i - o.conns)
			pid := fmt.Sprintf("<bench-%s-%d@customer.example>", tag, parent)
			subject = fmt.Sprintf("Re: Order %d needs help", parent)
			fmt.Fprintf(&h, "In-Reply-To: %s\r\nReferences: %s\r\n", pid, pid)
		}
		fmt.Fprintf(&h, "Subject: %s\r\nMIME-Version: 1.0\r\n", subject)
		body := wrap(filler)
		if mrand.Float64() < o.attachRatio {
			fmt.Fprintf(&h, "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n--b1\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n", body, att)
		} else {
			fmt.Fprintf(&h, "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", body)
		}
		msgs[i] = h.String()
		ids[i] = strings.Trim(id, "<>")
	}
	return msgs, ids
}

func wrap(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

// bench sends msgs to addr over o.conns connections.
func bench(o options, addr string, msgs, ids []string) result {
	var next atomic.Int64
	var mu sync.Mutex
	res := result{accepted: map[string]time.Time{}}
	var wg sync.WaitGroup
	start := time.Now()
	for range o.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *smtp.Client
			var lat []time.Duration
			defer func() {
				if c != nil {
					c.Quit()
				}
				mu.Lock()
				res.latencies = append(res.latencies, lat...)
				mu.Unlock()
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(msgs) {
					return
				}
				t0 := time.Now()
				err := sendOne(&c, addr, o.to, msgs[i])
				if err != nil {
					mu.Lock()
					res.failures++
					if res.firstErr == nil {
						res.firstErr = err
					}
					mu.Unlock()
					continue
				}
				lat = append(lat, time.Since(t0))
				mu.Lock()
				res.accepted[ids[i]] = time.Now()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// sendOne sends a message on the connection's session, reconnecting when it has none.
func sendOne(c **smtp.Client, addr, to, msg string) error {
	if *c == nil {
		cl, err := smtp.Dial(addr)
		if err != nil {
			return err
		}
		if err := cl.Hello("bench.example"); err != nil {
			cl.Close()
			return err
		}
		*c = cl
	}
	cl := *c
	err := func() error {
		if err := cl.Mail("customer@customer.example", nil); err != nil {
			return err
		}
		if err := cl.Rcpt(to, nil); err != nil {
			return err
		}
		w, err := cl.Data()
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, msg); err != nil {
			return err
		}
		return w.Close()
	}()
	if err != nil {
		cl.Close()
		*c = nil
	}
	return err
}
