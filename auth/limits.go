package auth

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/tickets/rules"
)

// limits bound the attempts of one kind within a sliding window: per address and per client.
type limits struct {
	kind       string
	perAddress int
	perClient  int
	window     time.Duration
}

var (
	// passwordLimits: 5 password attempts per address and 20 per client in 15 minutes (an attempt
	// counts from before its hash is checked; a right one is forgotten).
	passwordLimits = limits{kind: "password", perAddress: 5, perClient: 20, window: 15 * time.Minute}
	// linkLimits: 3 sign-in mails per address in 15 minutes, so nobody can mail-bomb an agent,
	// and 10 link requests per client (known addresses or not).
	linkLimits = limits{kind: "link", perAddress: 3, perClient: 10, window: 15 * time.Minute}
)

// attemptsKept is how long Prune keeps attempts: the longest window.
var attemptsKept = max(passwordLimits.window, linkLimits.window)

// count records an attempt of l.kind by client for address, unless either is over its limit:
// then it is a *RateLimitError and nothing is recorded. The count and the record are one step
// across instances (a per-key lock on PostgreSQL; SQLite's single writer), so concurrent
// attempts cannot all slip under the limit. It returns the attempt's id.
func (s *Service) count(ctx context.Context, l limits, address, client string) (int64, error) {
	now := s.now()
	since := now.Add(-l.window)
	var id int64
	var wait time.Duration
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if s.qs.Lock != "" {
			a, c := lockKey(l.kind, "address", address), lockKey(l.kind, "client", client)
			// Always in the same order, so that two transactions never wait for each other.
			for _, k := range []int64{min(a, c), max(a, c)} {
				if err := s.db.Exec(ctx, tx, s.qs.Lock, k); err != nil {
					return err
				}
			}
		}
		for _, c := range []struct {
			query, key string
			limit      int
		}{{s.qs.AttemptsByAddress, address, l.perAddress}, {s.qs.AttemptsByClient, client, l.perClient}} {
			var ts []time.Time
			if err := s.db.Select(ctx, tx, &ts, c.query, l.kind, c.key, since, c.limit); err != nil {
				return err
			}
			if len(ts) >= c.limit {
				// Free again when the limit-th most recent attempt leaves the window.
				wait = max(wait, ts[c.limit-1].Add(l.window).Sub(now))
			}
		}
		if wait > 0 {
			return nil
		}
		return s.db.Get(ctx, tx, &id, s.qs.AttemptAdd, l.kind, address, client, now)
	})
	if err != nil {
		return 0, fmt.Errorf("auth: count %s attempt: %w", l.kind, err)
	}
	if wait > 0 {
		wait = (wait + time.Second - 1).Truncate(time.Second) // whole seconds, rounded up
		s.log.WarnContext(ctx, "auth: rate limited", "kind", l.kind, "address", address, "client", client, "retry_after", wait)
		return 0, &RateLimitError{RetryAfter: wait}
	}
	return id, nil
}

// lockKey is the advisory lock of one counted key.
func lockKey(kind, scope, key string) int64 {
	h := sha256.Sum256([]byte("postdesk-auth\x00" + kind + "\x00" + scope + "\x00" + key))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// maxAddressKey bounds an address: RFC 5321's longest path is 256 bytes.
const maxAddressKey = 320

// addressKey is an address as agents' rows hold it (lowercase, trimmed), and as attempts are
// counted by: whatever was typed becomes text both engines store (valid UTF-8, no control
// characters), bounded.
func addressKey(email string) string { return textKey(rules.Norm(email), maxAddressKey) }

// textKey makes s valid UTF-8 without control characters (each replaced by U+FFFD, so that it
// never names what it does not say), of at most n bytes.
func textKey(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return utf8.RuneError
		}
		return r
	}, s)
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// maxClientKey bounds the client key of something that is not an IP address.
const maxClientKey = 64

// clientKey is what attempts are counted by for a client: its IP address (the host of
// r.RemoteAddr; a port, brackets and an IPv6 zone are ignored), IPv4-mapped IPv6 as IPv4, and
// IPv6 by its /64 — one host usually has a whole /64 to pick addresses from. Anything else is
// kept as text, bounded, so that it still counts.
func clientKey(client string) string {
	c := strings.TrimSpace(client)
	if host, _, err := net.SplitHostPort(c); err == nil {
		c = host
	}
	c = strings.TrimSuffix(strings.TrimPrefix(c, "["), "]")
	if a, err := netip.ParseAddr(c); err == nil {
		a = a.WithZone("").Unmap()
		if a.Is4() {
			return a.String()
		}
		p, _ := a.Prefix(64)
		return p.String()
	}
	return "?" + textKey(c, maxClientKey)
}
