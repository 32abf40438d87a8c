package mailbox_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/tickets"
)

func TestGrantsSealRotateAndNeedSignInOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ts := tickets.New(d)
		p, err := ts.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		secret, err := ts.Secret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		type told struct {
			g     mailbox.Grant
			boxes []mailbox.Mailbox
		}
		var tells []told
		s, err := mailbox.Open(ctx, d, secret, mailbox.WithSignInNeeded(func(ctx context.Context, tx *sqlx.Tx, g mailbox.Grant, boxes []mailbox.Mailbox) error {
			tells = append(tells, told{g, boxes})
			return nil
		}, nil))
		if err != nil {
			t.Fatal(err)
		}
		g, err := s.SaveGrant(ctx, "microsoft", "agent@acme.example", "rt-first")
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(g.Secret, []byte("rt-first")) || g.String() != "microsoft:agent@acme.example" {
			t.Fatalf("grant %v: the token is not sealed", g)
		}
		// Two mailboxes opened as that account: its own and a shared one.
		own, err := s.Add(ctx, mailbox.New{PropertyID: p.ID, Host: "outlook.office365.com", Username: "agent@acme.example", OAuth: true, GrantID: g.ID})
		if err != nil {
			t.Fatal(err)
		}
		shared, err := s.Add(ctx, mailbox.New{PropertyID: p.ID, Host: "outlook.office365.com", Username: "shared@acme.example", OAuth: true, GrantID: g.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !own.OAuth() || own.OAuthProvider != "microsoft" || own.OAuthUser != "agent@acme.example" || shared.OAuthUser != "agent@acme.example" || own.SignInNeededAt != nil {
			t.Fatalf("mailbox %+v", own)
		}
		if _, err := s.Add(ctx, mailbox.New{PropertyID: p.ID, Host: "h", Username: "u", OAuth: true, Password: "x", GrantID: g.ID}); !errors.Is(err, mailbox.ErrInvalid) {
			t.Errorf("an OAuth mailbox with a password: %v", err)
		}
		if _, err := s.Add(ctx, mailbox.New{PropertyID: p.ID, Host: "h", Username: "u", OAuth: true}); !errors.Is(err, mailbox.ErrInvalid) {
			t.Errorf("an OAuth mailbox without a grant: %v", err)
		}
		if err := s.RotateOAuthToken(ctx, g.ID, "rt-second"); err != nil {
			t.Fatal(err)
		}
		if rt, needed, err := s.OAuthToken(ctx, g.ID); rt != "rt-second" || needed || err != nil {
			t.Fatalf("token %q needed %v %v", rt, needed, err)
		}
		// Needing sign-in: told once, with both mailboxes; the state shows on them.
		for range 3 {
			if err := s.OAuthSignInNeeded(ctx, g.ID, "needs sign-in again (invalid_grant)"); err != nil {
				t.Fatal(err)
			}
		}
		if len(tells) != 1 || len(tells[0].boxes) != 2 || tells[0].g.SignInNeededAt == nil {
			t.Fatalf("told %d times: %+v", len(tells), tells)
		}
		m, _ := s.Get(ctx, shared.ID)
		if m.SignInNeededAt == nil {
			t.Errorf("the shared mailbox does not show the state")
		}
		if _, needed, _ := s.OAuthToken(ctx, g.ID); !needed {
			t.Errorf("the grant does not need sign-in")
		}
		// Signing in again ends the state, keeps the grant (and its mailboxes).
		g2, err := s.SaveGrant(ctx, "microsoft", "agent@acme.example", "rt-third")
		if err != nil || g2.ID != g.ID || g2.SignInNeededAt != nil || g2.LastError != "" {
			t.Fatalf("signed in again: %+v %v", g2, err)
		}
		if rt, needed, _ := s.OAuthToken(ctx, g.ID); rt != "rt-third" || needed {
			t.Errorf("after sign-in: %q %v", rt, needed)
		}
		if err := s.OAuthSignInNeeded(ctx, g.ID, "again"); err != nil || len(tells) != 2 {
			t.Errorf("a second transition is told again: %d, %v", len(tells), err)
		}
		if found, err := s.FindGrant(ctx, "microsoft", "agent@acme.example"); err != nil || found.ID != g.ID {
			t.Errorf("FindGrant: %v %v", found, err)
		}
		if _, err := s.FindGrant(ctx, "google", "agent@acme.example"); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("FindGrant of another provider: %v", err)
		}
	})
}
