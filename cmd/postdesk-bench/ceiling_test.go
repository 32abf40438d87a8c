package main

import (
	"bytes"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// --ceiling=ADDR: the sink's turns come between postdesk's slices, every message reaches the
// server measured, and the share is printed. Both ends are the benchmark's own sink here.
func TestCeilingTurnsBetweenSlices(t *testing.T) {
	server, ceiling := freeAddr(t), freeAddr(t)
	srv, err := startSink(server)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := startSink(ceiling); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run([]string{"--addr", server, "-c", "4", "-n", "60", "--ceiling=" + ceiling, "--ceiling-rounds", "3", "--pid", strconv.Itoa(os.Getpid())}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := out.String()
	if n, _, _ := srv.stats(); n != 60 {
		t.Fatalf("the server measured got %d messages, want 60\n%s", n, got)
	}
	for _, want := range []string{"sent 60 messages", "4 turns between postdesk's slices", "postdesk's share of smtp-sink: ", "peak RSS"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// With Postfix installed, --ceiling alone starts smtp-sink itself.
func TestCeilingStartsSMTPSink(t *testing.T) {
	addr, stop, err := startSMTPSink()
	if err != nil {
		t.Skip(err)
	}
	defer stop()
	o := options{to: "acme@localhost", conns: 2, n: 10, bodyBytes: 1024}
	msgs, ids := corpus(o)
	if r := bench(o, addr, msgs, ids); len(r.latencies) != 10 || r.failures != 0 {
		t.Fatalf("smtp-sink accepted %d of 10 (%d failures: %v)", len(r.latencies), r.failures, r.firstErr)
	}
}
