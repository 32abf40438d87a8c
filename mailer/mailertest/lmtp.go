package mailertest

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Code is the reply code an error of go-smtp's client carries, 0 when it carries none.
func Code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// LMTPSend delivers raw to rcpts over LMTP at addr and returns each recipient's reply code, in
// order (RFC 2033: one reply per recipient after DATA). An addr holding a '/' is a unix socket.
func LMTPSend(t testing.TB, addr string, rcpts []string, raw string) []int {
	t.Helper()
	network := "tcp"
	if strings.Contains(addr, "/") {
		network = "unix"
	}
	conn, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("mta.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("ann@customer.example", nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			t.Fatalf("RCPT %s: %v", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(raw))
	resp, err := w.CloseWithLMTPResponse()
	var lerr smtp.LMTPDataError
	errors.As(err, &lerr)
	out := make([]int, len(rcpts))
	for i, r := range rcpts {
		if _, ok := resp[r]; ok {
			out[i] = 250
		} else if e, ok := lerr[r]; ok {
			out[i] = Code(e)
		}
	}
	return out
}
