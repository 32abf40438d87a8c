package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// One 25 MiB attachment received over SMTP, stored, and sent on in an agent's copy (the
// property's attach limit raised above it) to a relay that discards it (Postfix's smtp-sink, so
// the relay's copy is not in this process): the peak Go heap of the whole serve process above
// where it was before, as a multiple of the message's size. The client streams the message from a
// generator, so its bytes are not in the heap either. The target is 3×.
func TestLargeAttachmentReceivedStoredAndSentOnMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a 25 MiB round trip")
	}
	sinkAddr := startSMTPSink(t)
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "support@acme.example", "--domain", "desk.example")
			must(t, dsn, "property", "edit", "--slug", "acme", "--attach-limit", "40MB")
			must(t, dsn, "agent", "add", "--property", "acme", "--email", "alice@acme.example", "--name", "Alice")
			addr, _ := startServe(t, dsn, "--relay", sinkAddr, "--relay-tls", "none", "--max-message-bytes", "40000000")
			// Warm up: statements prepared, connections open, the sender's session pooled.
			if err := sendMail(t, addr, "ann@customer.example", []string{"acme@desk.example"}, "From: ann@customer.example\nTo: support@acme.example\nSubject: Hello\nMessage-ID: <warm@customer.example>\n\nHi.\n"); err != nil {
				t.Fatal(err)
			}
			d, err := db.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			waitAllSent(t, d, 2)

			const size = 25 << 20
			debug.FreeOSMemory()
			peak, peakIn := watchHeap()
			if err := streamMail(addr, size); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: until the 250 (received, stored, copies rendered and queued): peak heap %.2f× the message", e.Name, float64(peakIn())/float64(size))
			// The acknowledgement and the agent's copy of the first mail, then of this one.
			waitAllSent(t, d, 4)
			var copyBytes int64
			if err := d.GetContext(context.Background(), &copyBytes, `SELECT MAX(LENGTH(raw)) FROM outbox`); err != nil {
				t.Fatal(err)
			}
			above := peak()
			ratio := float64(above) / float64(size)
			t.Logf("%s: 25 MiB attachment received, stored, sent on (agent's copy %.1f MB): peak heap %.1f MB above the start, %.2f× the message", e.Name, float64(copyBytes)/1e6, float64(above)/1e6, ratio)
			if copyBytes < size {
				t.Fatalf("the agent's copy is %d bytes: it does not carry the attachment", copyBytes)
			}
			// The target is 3×, not met yet (the README's benchmark section says where the
			// rest goes); this bound keeps what was won.
			if ratio > 8 {
				t.Errorf("peak heap %.2f× the message, want at most 8× (target 3×)", ratio)
			}
		})
	}
}

// watchHeap samples the Go heap's live and unswept objects every half millisecond until the
// first returned function is called, which returns the highest seen above the first sample; the
// second returns the highest so far.
func watchHeap() (stop func() uint64, sofar func() uint64) {
	read := func() uint64 {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	base := read()
	var mu sync.Mutex
	top := base
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			v := read()
			mu.Lock()
			top = max(top, v)
			mu.Unlock()
			select {
			case <-quit:
				return
			case <-time.After(500 * time.Microsecond):
			}
		}
	}()
	return func() uint64 {
			close(quit)
			<-done
			mu.Lock()
			defer mu.Unlock()
			return top - base
		}, func() uint64 {
			mu.Lock()
			defer mu.Unlock()
			return top - base
		}
}

// streamMail sends a mail of about size bytes with one base64 attachment, generated as it is
// written.
func streamMail(addr string, size int) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail("carol@customer.example", nil); err != nil {
		return err
	}
	if err := c.Rcpt("acme@desk.example", nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	head := "From: Carol <carol@customer.example>\r\nTo: support@acme.example\r\nSubject: The scans\r\nMessage-ID: <scans@customer.example>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe scans are attached.\r\n" +
		"--b1\r\nContent-Type: application/pdf; name=\"scans.pdf\"\r\nContent-Disposition: attachment; filename=\"scans.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	io.WriteString(bw, head)
	rng := rand.New(rand.NewPCG(1, 2))
	chunk, enc := make([]byte, 57), make([]byte, 76)
	for n := len(head); n < size-16; n += 78 {
		for j := range chunk {
			chunk[j] = byte(rng.Uint32())
		}
		base64.StdEncoding.Encode(enc, chunk)
		bw.Write(enc)
		bw.WriteString("\r\n")
	}
	bw.WriteString("--b1--\r\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// waitAllSent waits until the outbox holds n rows, all sent.
func waitAllSent(t *testing.T, d *db.DB, n int) {
	t.Helper()
	var sent, all int
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := d.GetContext(context.Background(), &all, `SELECT COUNT(*) FROM outbox`); err != nil {
			t.Fatal(err)
		}
		if err := d.GetContext(context.Background(), &sent, `SELECT COUNT(*) FROM outbox WHERE status = 'sent'`); err != nil {
			t.Fatal(err)
		}
		if all == n && sent == n {
			return
		}
	}
	t.Fatalf("outbox: %d of %d rows sent, want %d", sent, all, n)
}

// startSMTPSink runs Postfix's smtp-sink (it accepts mail and throws it away) on a free port
// until the test ends; the test is skipped where Postfix is not installed.
func startSMTPSink(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("smtp-sink")
	if err != nil {
		for _, p := range []string{"/usr/sbin/smtp-sink", "/usr/lib/postfix/sbin/smtp-sink"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		t.Skip("smtp-sink (Postfix) is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"-4"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody")
	}
	cmd := exec.Command(bin, append(args, addr, "64")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "220") {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtp-sink did not start on %s", addr)
		}
	}
}
