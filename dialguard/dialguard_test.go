package dialguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2a00:1450:4001::1": true, "142.250.1.1": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fd00::1": false, "0.0.0.0": false, "::": false,
		"100.64.0.1": false, "224.0.0.1": false, "255.255.255.255": false, "::ffff:127.0.0.1": false,
		"::ffff:169.254.169.254": false, "64:ff9b::a9fe:a9fe": false, "2002:7f00:1::1": false, "192.0.2.1": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v", addr, got)
		}
	}
}

func TestParse(t *testing.T) {
	p, err := Parse(" IMAP.Internal. , 10.0.0.0/8,127.0.0.1, ,::1")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.String(); got != "imap.internal,10.0.0.0/8,127.0.0.1,::1" {
		t.Errorf("String: %q", got)
	}
	for _, bad := range []string{"10.0.0.0/33", "imap internal", "-x.example", "a..b", "http://x"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// A connection is checked at the address it dials: a name that resolves to a loopback address is
// refused, unless the operator allows the address or the name.
func TestControlChecksTheAddressDialled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	dial := func(p Policy, host string) error {
		d := net.Dialer{Timeout: 5 * time.Second, Control: p.Control(host)}
		c, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(host, port))
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(Policy{}, "localhost"); !errors.Is(err, ErrRefused) {
		t.Errorf("localhost with no allowance: %v", err)
	}
	if err := dial(Policy{}, "127.0.0.1"); !errors.Is(err, ErrRefused) {
		t.Errorf("127.0.0.1 with no allowance: %v", err)
	}
	for _, allow := range []string{"127.0.0.0/8", "localhost"} {
		p, _ := Parse(allow)
		if err := dial(p, "localhost"); err != nil {
			t.Errorf("allowed by %q: %v", allow, err)
		}
	}
	p, _ := Parse("localhost")
	if err := dial(p, "127.0.0.1"); !errors.Is(err, ErrRefused) {
		t.Errorf("a name allowed does not allow its address by another spelling: %v", err)
	}
}

type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestCheckHost(t *testing.T) {
	r := fakeResolver{
		"imap.example":  {netip.MustParseAddr("8.8.8.8")},
		"mixed.example": {netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("169.254.169.254")},
	}
	ctx := context.Background()
	if err := (Policy{}).CheckHost(ctx, r, "imap.example"); err != nil {
		t.Errorf("public: %v", err)
	}
	if err := (Policy{}).CheckHost(ctx, r, "mixed.example"); !errors.Is(err, ErrRefused) {
		t.Errorf("one address not public: %v", err)
	}
	if err := (Policy{}).CheckHost(ctx, r, "10.0.0.1"); !errors.Is(err, ErrRefused) {
		t.Errorf("a private address: %v", err)
	}
	if err := (Policy{}).CheckHost(ctx, r, "nowhere.example"); err == nil || errors.Is(err, ErrRefused) {
		t.Errorf("a name that does not resolve: %v", err)
	}
	p, _ := Parse("169.254.0.0/16")
	if err := p.CheckHost(ctx, r, "mixed.example"); err != nil {
		t.Errorf("allowed: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "imap.internal,10.0.0.0/8", "::1, 127.0.0.1", "a..b", "x/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		q, err := Parse(p.String())
		if err != nil || q.String() != p.String() {
			t.Fatalf("%q → %q → %q (%v)", s, p.String(), q.String(), err)
		}
	})
}
