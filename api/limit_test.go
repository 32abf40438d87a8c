package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// One holder of an IPv6 /48 has 65,536 /64s: the network budget keeps them to 4 clients' worth,
// and the limiter's memory is bounded whatever the number of addresses.
func TestFormBudgetsPerNetwork(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := &Server{forms: newLimiter(5, time.Minute, clock), formNets: newLimiter(20, time.Minute, clock), formAll: newLimiter(300, time.Minute, clock)}
	accepted := 0
	for i := range 100 {
		r := &http.Request{RemoteAddr: fmt.Sprintf("[2001:db8:1:%x::1]:4000", i)}
		if ok, _ := s.allowForm(r); ok {
			accepted++
		}
	}
	if accepted != 20 {
		t.Fatalf("one /48 got %d posts a minute, want 20", accepted)
	}
	if ok, _ := s.allowForm(&http.Request{RemoteAddr: "[2001:db8:2::1]:4000"}); !ok {
		t.Fatal("another network was refused")
	}
	l := newLimiter(1, time.Minute, clock)
	for i := range maxBuckets + 10 {
		l.allow(fmt.Sprint(i))
	}
	if len(l.buckets) > maxBuckets {
		t.Fatalf("%d buckets", len(l.buckets))
	}
}
