// Package clientip finds the address an HTTP request came from when postdesk sits behind reverse
// proxies the admin trusts: the rate limits of the contact form and of signing in count clients,
// not the proxy. Only a request whose connection comes from a trusted proxy has its forwarded
// header read, and then the rightmost address that is not a trusted proxy is the client (the
// leftmost entries are whatever the client chose to send). The reading of the header is
// realclientip's RightmostTrustedRange strategy.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/realclientip/realclientip-go"
)

// Header is the forwarded header read: nginx, HAProxy, Caddy and Traefik all set it.
const Header = "X-Forwarded-For"

// Proxies is a set of trusted reverse proxies. A nil *Proxies trusts none.
type Proxies struct {
	ranges []net.IPNet
	strat  realclientip.Strategy
}

// Parse reads a comma-separated list of addresses and CIDR ranges ("127.0.0.1, 10.0.0.0/8,
// ::1"). An empty list is nil: no proxy is trusted.
func Parse(list string) (*Proxies, error) {
	var items []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			items = append(items, s)
		}
	}
	if len(items) == 0 {
		return nil, nil
	}
	ranges, err := realclientip.AddressesAndRangesToIPNets(items...)
	if err != nil {
		return nil, fmt.Errorf("clientip: trusted_proxies %q: addresses or CIDR ranges, comma-separated: %w", list, err)
	}
	strat, err := realclientip.NewRightmostTrustedRangeStrategy(Header, ranges)
	if err != nil {
		return nil, fmt.Errorf("clientip: %w", err)
	}
	return &Proxies{ranges: ranges, strat: strat}, nil
}

// Trusted reports whether the peer of a connection (a RemoteAddr, host:port) is a trusted proxy.
func (p *Proxies) Trusted(remoteAddr string) bool {
	if p == nil {
		return false
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	host, _ = realclientip.SplitHostZone(host)
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, r := range p.ranges {
		if r.Contains(ip) {
			return true
		}
	}
	return false
}

// Client is the client's address for a request: from the forwarded header when the connection
// is a trusted proxy's and the header names a client, else the connection's own host.
func (p *Proxies) Client(r *http.Request) string {
	if p.Trusted(r.RemoteAddr) {
		if ip := p.strat.ClientIP(r.Header, r.RemoteAddr); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Handler gives next requests whose RemoteAddr is the client's (Client, with port 0) when they
// came through a trusted proxy, so every reader of RemoteAddr — the form's limits, the sign-in
// limits, the logs — counts the client. Requests from anyone else pass unchanged, forwarded
// header and all: a client cannot choose its own address.
func (p *Proxies) Handler(next http.Handler) http.Handler {
	if p == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.Trusted(r.RemoteAddr) {
			if ip := p.strat.ClientIP(r.Header, r.RemoteAddr); ip != "" {
				r = r.WithContext(r.Context()) // a shallow copy: the caller's request is not changed
				r.RemoteAddr = net.JoinHostPort(ip, "0")
			}
		}
		next.ServeHTTP(w, r)
	})
}
