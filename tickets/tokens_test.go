package tickets_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

func TestAPITokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newIBEnv(t, d)
		if _, err := e.s.AddAgent(e.ctx, e.b.ID, e.alice.Email, "Alice", "support"); err != nil {
			t.Fatal(err)
		}
		tok, err := e.s.CreateToken(e.ctx, e.a, "Alice@Acme.example", "laptop")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "pd_"))
		if !strings.HasPrefix(tok, "pd_") || err != nil || len(raw) != 32 {
			t.Fatalf("token %q: %d bytes, %v", tok, len(raw), err)
		}
		p, a, err := e.s.Authenticate(e.ctx, tok)
		if err != nil || p.ID != e.a.ID || p.Slug != "acme" || a.ID != e.alice.ID || a.Email != "alice@acme.example" || a.Role != "manager" {
			t.Fatalf("authenticate: %+v %+v %v", p, a, err)
		}

		// The database holds the hash, never the token.
		rows, err := d.QueryxContext(e.ctx, `SELECT * FROM api_tokens`)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(tok))
		hashes := 0
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				t.Fatal(err)
			}
			for col, v := range m {
				s := fmt.Sprintf("%s", v)
				if strings.Contains(s, tok[3:]) || strings.Contains(s, hex.EncodeToString(raw)) {
					t.Fatalf("column %s holds the token", col)
				}
			}
			if fmt.Sprintf("%s", m["token_hash"]) == hex.EncodeToString(sum[:]) {
				hashes++
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if hashes != 1 {
			t.Fatal("the token's SHA-256 is not stored")
		}

		// last_used_at moves at most once a minute.
		lastUsed := func() time.Time {
			t.Helper()
			var at time.Time
			if err := d.GetContext(e.ctx, &at, d.Rebind(`SELECT last_used_at FROM api_tokens WHERE token_hash = ?`), hex.EncodeToString(sum[:])); err != nil {
				t.Fatal(err)
			}
			return at.UTC()
		}
		first := e.clk.Now()
		if !lastUsed().Equal(first) {
			t.Fatalf("last used %v, want %v", lastUsed(), first)
		}
		e.clk.Advance(30 * time.Second)
		if _, _, err := e.s.Authenticate(e.ctx, tok); err != nil || !lastUsed().Equal(first) {
			t.Fatalf("after 30s: %v, last used %v", err, lastUsed())
		}
		e.clk.Advance(31 * time.Second)
		if _, _, err := e.s.Authenticate(e.ctx, tok); err != nil || !lastUsed().Equal(e.clk.Now()) {
			t.Fatalf("after 61s: %v, last used %v", err, lastUsed())
		}

		// A token is for one property, with the agent's role there.
		tokB, err := e.s.CreateToken(e.ctx, e.b, "alice@acme.example", "")
		if err != nil {
			t.Fatal(err)
		}
		if p, a, err := e.s.Authenticate(e.ctx, tokB); err != nil || p.ID != e.b.ID || a.Role != "support" {
			t.Fatalf("B token: %+v %+v %v", p, a, err)
		}
		tok2, err := e.s.CreateToken(e.ctx, e.a, "alice@acme.example", "ci")
		if err != nil || tok2 == tok {
			t.Fatalf("second token: %q %v", tok2, err)
		}

		bad := []string{"", "garbage", "pd_", tok[:len(tok)-1], tok + "x", strings.ToUpper(tok),
			"pd_" + base64.RawURLEncoding.EncodeToString(make([]byte, 32)), hex.EncodeToString(sum[:])}
		last := tok[len(tok)-1:]
		if last == "A" {
			bad = append(bad, tok[:len(tok)-1]+"B")
		} else {
			bad = append(bad, tok[:len(tok)-1]+"A")
		}
		for _, b := range bad {
			_, _, err := e.s.Authenticate(e.ctx, b)
			wantErr(t, fmt.Sprintf("token %q", b), err, tickets.ErrNotFound)
		}
		_, err = e.s.CreateToken(e.ctx, e.a, "bob@globex.example", "x")
		wantErr(t, "token for an agent of another property", err, tickets.ErrNotFound)
		_, err = e.s.CreateToken(e.ctx, e.a, "alice@acme.example", "two\nlines")
		wantErr(t, "token name on two lines", err, tickets.ErrInvalid)

		// Revoking on B leaves A's tokens alone.
		if n, err := e.s.RevokeTokens(e.ctx, e.b, "alice@acme.example"); err != nil || n != 1 {
			t.Fatalf("revoke on B: %d %v", n, err)
		}
		_, _, err = e.s.Authenticate(e.ctx, tokB)
		wantErr(t, "revoked B token", err, tickets.ErrNotFound)
		if _, _, err := e.s.Authenticate(e.ctx, tok); err != nil {
			t.Fatalf("A token after revoking on B: %v", err)
		}
		if n, err := e.s.RevokeTokens(e.ctx, e.a, "ALICE@acme.example"); err != nil || n != 2 {
			t.Fatalf("revoke on A: %d %v", n, err)
		}
		for _, x := range []string{tok, tok2} {
			_, _, err := e.s.Authenticate(e.ctx, x)
			wantErr(t, "revoked token", err, tickets.ErrNotFound)
		}
		if n, err := e.s.RevokeTokens(e.ctx, e.a, "alice@acme.example"); err != nil || n != 0 {
			t.Fatalf("revoke again: %d %v", n, err)
		}
		_, err = e.s.RevokeTokens(e.ctx, e.a, "nobody@acme.example")
		wantErr(t, "revoke a stranger's tokens", err, tickets.ErrNotFound)

		// An agent who leaves the property loses the use of their tokens.
		tokC, err := e.s.CreateToken(e.ctx, e.a, "carol@acme.example", "")
		if err != nil {
			t.Fatal(err)
		}
		e.exec(t, `DELETE FROM property_agents WHERE property_id = ? AND agent_id = ?`, e.a.ID, e.carol.ID)
		_, _, err = e.s.Authenticate(e.ctx, tokC)
		wantErr(t, "token of an agent who left", err, tickets.ErrNotFound)
	})
}
