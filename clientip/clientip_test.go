package clientip

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestTheClientBehindTrustedProxies(t *testing.T) {
	p, err := Parse(" 127.0.0.1, 10.0.0.0/8 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"no proxy, no header", "203.0.113.7:5123", nil, "203.0.113.7"},
		{"a stranger's header is not read", "203.0.113.7:5123", []string{"198.51.100.1"}, "203.0.113.7"},
		{"one trusted proxy", "127.0.0.1:40000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"the client's own entries on the left are ignored", "127.0.0.1:40000", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"a chain of trusted proxies", "127.0.0.1:40000", []string{"198.51.100.1, 10.1.2.3"}, "198.51.100.1"},
		{"several header lines", "127.0.0.1:40000", []string{"6.6.6.6", "198.51.100.1, 10.1.2.3"}, "198.51.100.1"},
		{"IPv6 client through an IPv6 proxy", "[::1]:40000", []string{"2001:db8::5"}, "2001:db8::5"},
		{"a trusted proxy without the header", "127.0.0.1:40000", nil, "127.0.0.1"},
		{"only trusted addresses", "127.0.0.1:40000", []string{"10.0.0.1"}, "127.0.0.1"},
		{"garbage in the header", "127.0.0.1:40000", []string{"not-an-ip"}, "127.0.0.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			for _, v := range c.xff {
				r.Header.Add(Header, v)
			}
			if got := p.Client(r); got != c.want {
				t.Errorf("Client = %q, want %q", got, c.want)
			}
			var seen string
			p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr })).ServeHTTP(httptest.NewRecorder(), r)
			if c.remote != seen && seen != c.want+":0" && seen != "["+c.want+"]:0" {
				t.Errorf("the handler saw RemoteAddr %q, want the client %q", seen, c.want)
			}
			if r.RemoteAddr != c.remote {
				t.Errorf("the caller's request was changed: %q", r.RemoteAddr)
			}
		})
	}
}

func TestNoProxiesTrustNobody(t *testing.T) {
	p, err := Parse(" , ")
	if err != nil || p != nil {
		t.Fatalf("Parse of nothing: %v %v", p, err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set(Header, "198.51.100.1")
	if got := p.Client(r); got != "127.0.0.1" {
		t.Errorf("Client = %q", got)
	}
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if h := p.Handler(next); h == nil {
		t.Error("no handler")
	}
}

func TestParseRefusesWhatIsNotAnAddress(t *testing.T) {
	for _, s := range []string{"proxy.example", "10.0.0.0/33", "127.0.0.1:8080"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) took it", s)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "10.0.0.0/8, ::1", "", "fe80::1%eth0", "1.2.3.4/0"} {
		f.Add(s, "198.51.100.1, 10.0.0.1")
	}
	f.Fuzz(func(t *testing.T, list, xff string) {
		p, err := Parse(list)
		if err != nil {
			return
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "127.0.0.1:9"
		r.Header.Set(Header, xff)
		if p.Client(r) == "" {
			t.Fatalf("no client for %q / %q", list, xff)
		}
	})
}
