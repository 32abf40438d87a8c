package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

func TestLink(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		tok, email, name, err := e.s.NewLink(ctx, " Alice@ACME.example", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if email != "alice@acme.example" || name != "Alice Martin" || !wellFormed(tok) {
			t.Fatalf("NewLink = %q, %q, %q", tok, email, name)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM sign_in_links WHERE token_hash = ?`, hashToken(tok)); n != 1 {
			t.Fatalf("%d rows hold the token's hash", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM sign_in_links WHERE token_hash = ?`, tok); n != 0 {
			t.Fatal("the token itself is stored")
		}
		e.clock.Advance(DefaultLinkTTL - time.Second)
		if id, err := e.s.UseLink(ctx, tok); err != nil || id != e.alice {
			t.Fatalf("UseLink = %d, %v", id, err)
		}
		if _, err := e.s.UseLink(ctx, tok); !errors.Is(err, ErrBadLink) {
			t.Errorf("second use: %v", err)
		}
		for _, bad := range []string{"", "x", strings.Repeat("A", tokenLen), tok[:tokenLen-1] + "!", tok + "A"} {
			if _, err := e.s.UseLink(ctx, bad); !errors.Is(err, ErrBadLink) {
				t.Errorf("UseLink(%q): %v", bad, err)
			}
		}
		if _, _, _, err := e.s.NewLink(ctx, "nobody@acme.example", "192.0.2.1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("NewLink of an unknown address: %v", err)
		}
		// Expired: valid LinkTTL, not a moment more.
		tok2, _, _, err := e.s.NewLink(ctx, "bob@acme.example", "192.0.2.2")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(DefaultLinkTTL)
		if _, err := e.s.UseLink(ctx, tok2); !errors.Is(err, ErrBadLink) {
			t.Errorf("an expired link: %v", err)
		}
		// A shorter LinkTTL from the Config.
		s := e.open(t, Config{LinkTTL: time.Minute})
		tok3, _, _, err := s.NewLink(ctx, "bob@acme.example", "192.0.2.2")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		if _, err := s.UseLink(ctx, tok3); !errors.Is(err, ErrBadLink) {
			t.Errorf("a link past its Config.LinkTTL: %v", err)
		}
	})
}

func TestLinkRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		// Three mails per address in 15 minutes, whoever asks.
		for i := range 3 {
			if _, _, _, err := e.s.NewLink(ctx, "alice@acme.example", "192.0.2."+string(rune('1'+i))); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(time.Minute)
		}
		_, _, _, err := e.s.NewLink(ctx, "alice@acme.example", "198.51.100.1")
		if got := retryAfter(t, err); got != 12*time.Minute {
			t.Errorf("RetryAfter = %s, want 12m", got)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM sign_in_links WHERE agent_id = ?`, e.alice); n != 3 {
			t.Errorf("%d links made, want 3", n)
		}
		if _, _, _, err := e.s.NewLink(ctx, "bob@acme.example", "198.51.100.1"); err != nil {
			t.Errorf("another address: %v", err)
		}
		// Ten requests per client, for known addresses or not; the limit answers before the
		// address is looked up, so it tells nothing of it.
		for i := range 9 {
			if _, _, _, err := e.s.NewLink(ctx, "user"+string(rune('a'+i))+"@acme.example", "203.0.113.5"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		if _, _, _, err := e.s.NewLink(ctx, "bob@acme.example", "203.0.113.5"); err != nil {
			t.Fatalf("tenth request: %v", err)
		}
		for _, a := range []string{"bob@acme.example", "nobody@acme.example"} {
			if _, _, _, err := e.s.NewLink(ctx, a, "203.0.113.5"); !errors.Is(err, ErrRateLimited) {
				t.Errorf("eleventh request (%s): %v", a, err)
			}
		}
		e.clock.Advance(12 * time.Minute)
		if _, _, _, err := e.s.NewLink(ctx, "alice@acme.example", "198.51.100.1"); err != nil {
			t.Errorf("after the window: %v", err)
		}
	})
}

// Of concurrent uses of one token, on two instances, exactly one signs in.
func TestLinkConcurrentUse(t *testing.T) {
	for _, eng := range dbtest.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := eng.DSN(t)
			var ds []*db.DB
			for range 2 {
				d, err := db.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d.Close() })
				ds = append(ds, d)
			}
			e := newEnv(t, ds[0])
			services := []*Service{e.s, (&env{d: ds[1], clock: e.clock}).open(t, Config{})}
			for round := range 3 {
				tok, _, _, err := e.s.NewLink(ctx, "alice@acme.example", "192.0.2."+string(rune('1'+round)))
				if err != nil {
					t.Fatal(err)
				}
				const n = 12
				ids := make(chan int64, n)
				errs := make(chan error, n)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						<-start
						id, err := services[i%2].UseLink(ctx, tok)
						if err != nil {
							errs <- err
							return
						}
						ids <- id
					})
				}
				close(start)
				wg.Wait()
				close(ids)
				close(errs)
				if len(ids) != 1 {
					t.Errorf("round %d: %d uses succeeded", round, len(ids))
				}
				for id := range ids {
					if id != e.alice {
						t.Errorf("round %d: agent %d", round, id)
					}
				}
				for err := range errs {
					if !errors.Is(err, ErrBadLink) {
						t.Errorf("round %d: %v", round, err)
					}
				}
			}
		})
	}
}

func lastSeen(t *testing.T, e *env, id int64) time.Time {
	t.Helper()
	var ts time.Time
	if err := e.d.GetContext(context.Background(), &ts, e.d.Rebind(`SELECT last_seen_at FROM web_sessions WHERE id = ?`), id); err != nil {
		t.Fatal(err)
	}
	return ts.UTC()
}

func TestSessionLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		cookie, sess, err := e.s.NewSession(ctx, e.alice, "Mozilla/5.0 \x00\xff"+strings.Repeat("x", 1000))
		if err != nil {
			t.Fatal(err)
		}
		if !wellFormed(cookie) || sess.ID == 0 || sess.AgentID != e.alice || sess.Email != "alice@acme.example" || sess.Name != "Alice Martin" {
			t.Fatalf("NewSession = %q, %+v", cookie, sess)
		}
		if !sess.CreatedAt.Equal(t0) || !sess.ExpiresAt.Equal(t0.Add(DefaultIdleTTL)) || !wellFormed(sess.CSRF) {
			t.Errorf("NewSession: %+v", sess)
		}
		want := []Membership{{e.acme.ID, "acme", "Acme Support", "admin"}, {e.beta.ID, "beta", "Beta Desk", "support"}}
		if len(sess.Memberships) != 2 || sess.Memberships[0] != want[0] || sess.Memberships[1] != want[1] {
			t.Errorf("memberships %+v, want %+v", sess.Memberships, want)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM web_sessions WHERE token_hash = ? AND user_agent LIKE 'Mozilla/5.0 %'`, hashToken(cookie)); n != 1 {
			t.Errorf("%d rows hold the cookie's hash and the user agent", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM web_sessions WHERE token_hash = ? OR csrf = ?`, cookie, cookie); n != 0 {
			t.Error("the cookie value itself is stored")
		}

		got, err := e.s.Session(ctx, cookie)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != sess.ID || got.CSRF != sess.CSRF || !got.ValidCSRF(sess.CSRF) || got.ValidCSRF(sess.CSRF[1:]) || got.ValidCSRF("") || len(got.Memberships) != 2 {
			t.Errorf("Session = %+v, want %+v", got, sess)
		}
		// last_seen_at is written at most once a minute.
		e.clock.Advance(59 * time.Second)
		if _, err := e.s.Session(ctx, cookie); err != nil {
			t.Fatal(err)
		}
		if ls := lastSeen(t, e, sess.ID); !ls.Equal(t0) {
			t.Errorf("last seen %s after 59 s, want %s", ls, t0)
		}
		e.clock.Advance(time.Second)
		got, err = e.s.Session(ctx, cookie)
		if err != nil {
			t.Fatal(err)
		}
		if ls := lastSeen(t, e, sess.ID); !ls.Equal(t0.Add(time.Minute)) {
			t.Errorf("last seen %s after a minute, want %s", ls, t0.Add(time.Minute))
		}
		if !got.ExpiresAt.Equal(t0.Add(time.Minute + DefaultIdleTTL)) {
			t.Errorf("ExpiresAt %s", got.ExpiresAt)
		}

		// Idle: alive a second before IdleTTL after it was last seen, gone at IdleTTL.
		e.clock.Advance(DefaultIdleTTL - time.Second)
		if _, err := e.s.Session(ctx, cookie); err != nil {
			t.Fatalf("a second before the idle expiry: %v", err)
		}
		e.clock.Advance(DefaultIdleTTL)
		if _, err := e.s.Session(ctx, cookie); !errors.Is(err, ErrNoSession) {
			t.Fatalf("after the idle time: %v", err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM web_sessions`); n != 0 {
			t.Errorf("an expired session stays: %d rows", n)
		}

		// Absolute: used every day, it still ends MaxTTL after sign-in.
		start := e.clock.Now()
		cookie, _, err = e.s.NewSession(ctx, e.alice, "")
		if err != nil {
			t.Fatal(err)
		}
		for day := 1; day < 30; day++ {
			e.clock.Advance(24 * time.Hour)
			s, err := e.s.Session(ctx, cookie)
			if err != nil {
				t.Fatalf("day %d: %v", day, err)
			}
			if want := start.Add(DefaultMaxTTL); day == 29 && !s.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt on day 29: %s, want %s", s.ExpiresAt, want)
			}
		}
		e.clock.Advance(24 * time.Hour)
		if _, err := e.s.Session(ctx, cookie); !errors.Is(err, ErrNoSession) {
			t.Errorf("after MaxTTL: %v", err)
		}

		// Shorter times from the Config.
		s := e.open(t, Config{IdleTTL: time.Hour, MaxTTL: 2 * time.Hour})
		cookie, _, err = s.NewSession(ctx, e.alice, "")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(59 * time.Minute)
		if _, err := s.Session(ctx, cookie); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(59 * time.Minute)
		if _, err := s.Session(ctx, cookie); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Minute)
		if _, err := s.Session(ctx, cookie); !errors.Is(err, ErrNoSession) {
			t.Errorf("after Config.MaxTTL: %v", err)
		}

		for _, bad := range []string{"", "nope", strings.Repeat("A", tokenLen)} {
			if _, err := e.s.Session(ctx, bad); !errors.Is(err, ErrNoSession) {
				t.Errorf("Session(%q): %v", bad, err)
			}
		}
		if _, _, err := e.s.NewSession(ctx, e.carol, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("NewSession of an agent on no property: %v", err)
		}
		if _, _, err := e.s.NewSession(ctx, 999999, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("NewSession of no agent: %v", err)
		}
	})
}

// A session ends as soon as its agent's memberships differ from those at sign-in.
func TestSessionEndsWhenMembershipsChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, c := range []struct {
			name   string
			change string
			args   func(e *env) []any
		}{
			{"role changed", `UPDATE property_agents SET role = 'owner' WHERE agent_id = ? AND property_id = ?`, func(e *env) []any { return []any{e.alice, e.beta.ID} }},
			{"membership removed", `DELETE FROM property_agents WHERE agent_id = ? AND property_id = ?`, func(e *env) []any { return []any{e.alice, e.beta.ID} }},
			{"membership added", `INSERT INTO property_agents (agent_id, property_id, role) VALUES (?, ?, 'support')`, func(e *env) []any { return []any{e.bob, e.beta.ID} }},
			{"agent deleted", `DELETE FROM agents WHERE id = ?`, func(e *env) []any { return []any{e.alice} }},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := newEnv(t, dbtest.Open(t, engineOf(d)))
				ca, _, err := e.s.NewSession(ctx, e.alice, "")
				if err != nil {
					t.Fatal(err)
				}
				cb, _, err := e.s.NewSession(ctx, e.bob, "")
				if err != nil {
					t.Fatal(err)
				}
				e.exec(t, c.change, c.args(e)...)
				changed, kept := ca, cb
				if c.name == "membership added" {
					changed, kept = cb, ca
				}
				if _, err := e.s.Session(ctx, changed); !errors.Is(err, ErrNoSession) {
					t.Errorf("the changed agent's session: %v", err)
				}
				if n := e.count(t, `SELECT COUNT(*) FROM web_sessions WHERE token_hash = ?`, hashToken(changed)); n != 0 {
					t.Error("the ended session's row stays")
				}
				if _, err := e.s.Session(ctx, kept); err != nil {
					t.Errorf("the other agent's session: %v", err)
				}
				if c.name == "role changed" {
					// Changing it back does not bring the session back.
					e.exec(t, `UPDATE property_agents SET role = 'support' WHERE agent_id = ? AND property_id = ?`, e.alice, e.beta.ID)
					if _, err := e.s.Session(ctx, changed); !errors.Is(err, ErrNoSession) {
						t.Errorf("after changing back: %v", err)
					}
				}
			})
		}
	})
}

// engineOf is the engine of d, to open another fresh database of it.
func engineOf(d *db.DB) dbtest.Engine {
	for _, e := range dbtest.Engines() {
		if e.Name == string(d.Dialect) {
			return e
		}
	}
	panic("no engine " + d.Dialect)
}

func TestEndSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		var alice []string
		for range 3 {
			c, _, err := e.s.NewSession(ctx, e.alice, "")
			if err != nil {
				t.Fatal(err)
			}
			alice = append(alice, c)
		}
		bob, _, err := e.s.NewSession(ctx, e.bob, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.EndSession(ctx, alice[0]); err != nil {
			t.Fatal(err)
		}
		if err := e.s.EndSession(ctx, "not a cookie"); err != nil {
			t.Errorf("EndSession of nothing: %v", err)
		}
		if _, err := e.s.Session(ctx, alice[0]); !errors.Is(err, ErrNoSession) {
			t.Errorf("an ended session: %v", err)
		}
		if _, err := e.s.Session(ctx, alice[1]); err != nil {
			t.Errorf("another session of the agent: %v", err)
		}
		if err := e.s.EndAgentSessions(ctx, e.alice); err != nil {
			t.Fatal(err)
		}
		for _, c := range alice[1:] {
			if _, err := e.s.Session(ctx, c); !errors.Is(err, ErrNoSession) {
				t.Errorf("after EndAgentSessions: %v", err)
			}
		}
		if _, err := e.s.Session(ctx, bob); err != nil {
			t.Errorf("another agent's session: %v", err)
		}
	})
}

func TestPrune(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		if err := e.s.SetPassword(ctx, "alice@acme.example", alicePassword); err != nil {
			t.Fatal(err)
		}
		// To go: a session idle for IdleTTL, a used link, an expired link, two old attempts.
		idle, _, err := e.s.NewSession(ctx, e.alice, "")
		if err != nil {
			t.Fatal(err)
		}
		used, _, _, err := e.s.NewLink(ctx, "alice@acme.example", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.UseLink(ctx, used); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := e.s.NewLink(ctx, "bob@acme.example", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(DefaultIdleTTL - 30*time.Minute)
		// To stay: a session seen since, a link and two attempts of the last 15 minutes.
		live, _, err := e.s.NewSession(ctx, e.alice, "")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(25 * time.Minute)
		fresh, _, _, err := e.s.NewLink(ctx, "alice@acme.example", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(5 * time.Minute)
		if _, err := e.s.CheckPassword(ctx, "alice@acme.example", "guess", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatal(err)
		}
		n, err := e.s.Prune(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The idle session, the two old links, the two old link requests.
		if want := 1 + 2 + 2; n != want {
			t.Errorf("Prune = %d, want %d", n, want)
		}
		if _, err := e.s.Session(ctx, idle); !errors.Is(err, ErrNoSession) {
			t.Errorf("the idle session: %v", err)
		}
		if _, err := e.s.Session(ctx, live); err != nil {
			t.Errorf("the live session: %v", err)
		}
		if got := e.count(t, `SELECT COUNT(*) FROM auth_attempts`); got != 2 {
			t.Errorf("%d attempts kept, want 2", got)
		}
		if got := e.count(t, `SELECT COUNT(*) FROM sign_in_links`); got != 1 {
			t.Errorf("%d links kept, want 1", got)
		}
		if _, err := e.s.UseLink(ctx, fresh); err != nil {
			t.Errorf("the fresh link: %v", err)
		}
		if n, err := e.s.Prune(ctx); err != nil || n != 0 {
			t.Errorf("Prune again = %d, %v", n, err)
		}
	})
}
