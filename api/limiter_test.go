package api

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/postdesk/postdesk/testclock"
)

func TestLimiterRefillsOneTokenAtATime(t *testing.T) {
	clk := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	l := newLimiter(5, time.Minute, clk.Now)
	for i := range 5 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("post %d refused within the burst", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait != 12*time.Second {
		t.Fatalf("6th post: %v, wait %v; want refused, 12s", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another client is limited by the first one's posts")
	}
	clk.Advance(6 * time.Second)
	if ok, wait := l.allow("a"); ok || wait != 6*time.Second {
		t.Fatalf("half a token later: %v %v", ok, wait)
	}
	clk.Advance(6 * time.Second)
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("a token later: still refused")
	}
	clk.Advance(time.Hour)
	l.allow("c") // sweeps the full buckets
	if _, kept := l.buckets["b"]; kept || len(l.buckets) != 1 {
		t.Fatalf("idle buckets are kept: %v", l.buckets)
	}
}

func TestClientIPGroupsAnIPv6Network(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:5555":             "192.0.2.7",
		"[2001:db8:1:2:aaaa::1]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:bbbb::9]:80":  "2001:db8:1:2::/64",
		"[2001:db8:1:3::1]:80":       "2001:db8:1:3::/64",
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = remote
		if got := clientIP(r); got != want {
			t.Errorf("clientIP(%s) = %s, want %s", remote, got, want)
		}
	}
}
