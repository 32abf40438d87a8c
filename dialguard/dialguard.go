// Package dialguard decides which addresses a connection asked for by a property's admin may
// reach: public addresses, and those the operator allows besides (admin_mailbox_hosts). It checks
// the address actually dialled, after DNS resolution (a net.Dialer Control func), so a name that
// resolves to 127.0.0.1 or to the cloud's metadata address is refused however it is spelt.
package dialguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// ErrRefused means the address is neither public nor allowed by the operator.
var ErrRefused = errors.New("dialguard: the address is not public")

// Policy is the addresses allowed besides the public ones: host names (any address they resolve
// to) and prefixes. The zero Policy allows public addresses only.
type Policy struct {
	hosts []string
	nets  []netip.Prefix
}

// Parse reads a comma-separated list of host names, IP addresses and CIDR prefixes
// ("imap.internal, 10.0.0.0/8, 127.0.0.1").
func Parse(list string) (Policy, error) {
	var p Policy
	for _, f := range strings.Split(list, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch {
		case f == "":
			continue
		case strings.Contains(f, "/"):
			pf, err := netip.ParsePrefix(f)
			if err != nil {
				return Policy{}, fmt.Errorf("dialguard: %q is not a CIDR prefix", f)
			}
			p.nets = append(p.nets, pf.Masked())
		default:
			if a, err := netip.ParseAddr(f); err == nil {
				a = a.Unmap()
				p.nets = append(p.nets, netip.PrefixFrom(a, a.BitLen()))
				continue
			}
			f = strings.TrimSuffix(f, ".")
			if !validHost(f) {
				return Policy{}, fmt.Errorf("dialguard: %q is not a host name, an address or a CIDR prefix", f)
			}
			p.hosts = append(p.hosts, f)
		}
	}
	return p, nil
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// String is the list as Parse reads it.
func (p Policy) String() string {
	out := append([]string(nil), p.hosts...)
	for _, n := range p.nets {
		if n.IsSingleIP() {
			out = append(out, n.Addr().String())
		} else {
			out = append(out, n.String())
		}
	}
	return strings.Join(out, ",")
}

// hostAllowed reports whether the operator allows host by name.
func (p Policy) hostAllowed(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	for _, h := range p.hosts {
		if h == host {
			return true
		}
	}
	return false
}

// Allowed reports whether a may be reached: a public address, or one of the operator's prefixes.
func (p Policy) Allowed(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return Public(a)
}

// Control is the net.Dialer Control func of a connection to host: it refuses an address that
// is not Allowed, unless the operator allows host by name.
func (p Policy) Control(host string) func(network, address string, c syscall.RawConn) error {
	byName := p.hostAllowed(host)
	return func(network, address string, _ syscall.RawConn) error {
		if byName {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrRefused, address)
		}
		if !p.Allowed(ap.Addr()) {
			return fmt.Errorf("%w: %s", ErrRefused, host)
		}
		return nil
	}
}

// Resolver is what CheckHost resolves with (net.DefaultResolver).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckHost resolves host and refuses it when any of its addresses is not Allowed: for a
// setting saved without connecting (Control checks a connection).
func (p Policy) CheckHost(ctx context.Context, r Resolver, host string) error {
	if p.hostAllowed(host) {
		return nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !p.Allowed(a) {
			return fmt.Errorf("%w: %s", ErrRefused, host)
		}
		return nil
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("dialguard: resolve %s: %w", host, err)
	}
	for _, a := range addrs {
		if !p.Allowed(a) {
			return fmt.Errorf("%w: %s", ErrRefused, host)
		}
	}
	return nil
}

// special are the blocks of the IANA special-purpose registries that are not globally
// reachable (RFC 6890 and its updates), beyond what netip's predicates cover.
var special = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"
		"100.64.0.0/10",   // shared address space (carrier-grade NAT, RFC 6598)
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"240.0.0.0/4",     // reserved, and the broadcast address
		"64:ff9b::/96",    // NAT64: an IPv4 address behind the translator
		"64:ff9b:1::/48",  // local-use NAT64
		"100::/64",        // discard
		"2001::/23",       // IETF protocol assignments (Teredo, ORCHID…)
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4: an IPv4 address inside
		"fc00::/7",        // unique local
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Public reports whether a is a globally reachable unicast address: not loopback, private,
// link-local (the cloud metadata address 169.254.169.254 is), multicast, unspecified or special.
func Public(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, n := range special {
		if n.Contains(a) {
			return false
		}
	}
	return true
}
