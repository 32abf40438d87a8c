package dkimkeys_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/dkimkeys"
	"github.com/postdesk/postdesk/tickets"
)

var secret = []byte("a server secret of enough length")

type env struct {
	ctx        context.Context
	d          *db.DB
	s          *dkimkeys.Store
	acme, beta int64
}

func newEnv(t *testing.T, d *db.DB) *env {
	ctx := context.Background()
	ts, err := tickets.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ctx: ctx, d: d}
	for _, p := range []struct {
		slug string
		id   *int64
	}{{"acme", &e.acme}, {"beta", &e.beta}} {
		pr, err := ts.CreateProperty(ctx, tickets.NewProperty{Slug: p.slug, Name: p.slug, FromAddress: "support@" + p.slug + ".example"})
		if err != nil {
			t.Fatal(err)
		}
		*p.id = pr.ID
	}
	clock := func() time.Time { return time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC) }
	if e.s, err = dkimkeys.Open(ctx, d, secret, dkimkeys.WithClock(clock)); err != nil {
		t.Fatal(err)
	}
	return e
}

const mailFrom = "From: \"Acme Support\" <support@acme.example>\r\nTo: ann@customer.example\r\nSubject: [#1] Printer on fire\r\n" +
	"Date: Fri, 04 Dec 2026 03:00:00 +0000\r\nMessage-ID: <m1@desk.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
	"Auto-Submitted: auto-replied\r\n\r\nWe have your mail.\r\n"

// A mail signed with a generated key verifies against the record printed for it, with either
// algorithm; a changed body or an added From no longer does.
func TestSignedMailVerifiesWithThePrintedRecord(t *testing.T) {
	for _, alg := range []string{"rsa", "ed25519"} {
		t.Run(alg, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				e := newEnv(t, d)
				k, err := e.s.Generate(e.ctx, e.acme, "acme.example", "", alg)
				if err != nil {
					t.Fatal(err)
				}
				if !k.Active || k.Selector != "postdesk202612" || k.Algorithm != alg {
					t.Fatalf("key %+v", k)
				}
				rec := k.Record().String()
				if !strings.HasPrefix(rec, "postdesk202612._domainkey.acme.example. IN TXT \"v=DKIM1; k="+alg+"; p=") {
					t.Fatalf("record %s", rec)
				}
				signed, err := e.s.Sign(e.ctx, e.acme, []byte(mailFrom))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(signed, []byte("DKIM-Signature: ")) || !bytes.HasSuffix(signed, []byte(mailFrom)) {
					t.Fatalf("signed mail:\n%s", signed)
				}
				if got, err := verify(t, signed, rec); err != nil || len(got) != 1 || got[0] != "acme.example" {
					t.Fatalf("verify: %v, %v", got, err)
				}
				sig := string(signed[:len(signed)-len(mailFrom)])
				for _, want := range []string{"a=" + alg + "-sha256", "c=relaxed/relaxed", "d=acme.example", "s=postdesk202612", "h=From:From:To:Cc:Subject:Date:Message-ID:"} {
					if !strings.Contains(strings.NewReplacer("\r\n", "", " ", "", "\t", "").Replace(sig), strings.ReplaceAll(want, " ", "")) {
						t.Errorf("signature lacks %s:\n%s", want, sig)
					}
				}
				tampered := bytes.Replace(signed, []byte("We have"), []byte("We lost"), 1)
				if _, err := verify(t, tampered, rec); err == nil {
					t.Error("a changed body verifies")
				}
				added := bytes.Replace(signed, []byte("To: ann"), []byte("From: evil@attacker.example\r\nTo: ann"), 1)
				if _, err := verify(t, added, rec); err == nil {
					t.Error("a second From verifies")
				}
				// The key is read again and the record is the same.
				ks, err := e.s.Keys(e.ctx, e.acme)
				if err != nil || len(ks) != 1 || ks[0].Record().String() != rec {
					t.Fatalf("keys %+v, %v", ks, err)
				}
			})
		})
	}
}

// Only the property's own mail from the key's domain is signed; a property without a key sends
// its mail as it was.
func TestSignOnlyTheKeysDomainAndProperty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := e.s.Generate(e.ctx, e.acme, "acme.example", "s1", "ed25519"); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			prop int64
			raw  string
		}{
			"another property": {e.beta, mailFrom},
			"another domain":   {e.acme, strings.Replace(mailFrom, "support@acme.example", "support@other.example", 1)},
			"a subdomain":      {e.acme, strings.Replace(mailFrom, "support@acme.example", "support@eu.acme.example", 1)},
			"no From":          {e.acme, strings.Replace(mailFrom, "From:", "X-From:", 1)},
			"two From":         {e.acme, "From: a@acme.example, b@acme.example\r\n" + mailFrom[strings.Index(mailFrom, "To:"):]},
			"no header at all": {e.acme, "garbage"},
			"a broken From":    {e.acme, strings.Replace(mailFrom, "<support@acme.example>", "<support@", 1)},
		} {
			got, err := e.s.Sign(e.ctx, c.prop, []byte(c.raw))
			if err != nil || string(got) != c.raw {
				t.Errorf("%s: signed (%v):\n%s", name, err, got)
			}
		}
		upper := strings.Replace(mailFrom, "support@acme.example", "Support@ACME.Example", 1)
		if got, _ := e.s.Sign(e.ctx, e.acme, []byte(upper)); !bytes.HasPrefix(got, []byte("DKIM-Signature:")) {
			t.Error("the domain compares without case")
		}
	})
}

// Rotation: a second key waits while the first signs; once activated it signs and the first is
// gone; disabling removes every key and mail goes out unsigned.
func TestKeyRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		old, err := e.s.Generate(e.ctx, e.acme, "acme.example", "", "rsa")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Generate(e.ctx, e.acme, "acme.example", "", "rsa"); !errors.Is(err, dkimkeys.ErrExists) {
			t.Fatalf("a second key with the same selector: %v", err)
		}
		// Another property sending from acme.example: its record needs a name of its own.
		if _, err := e.s.Generate(e.ctx, e.beta, "acme.example", old.Selector, "rsa"); !errors.Is(err, dkimkeys.ErrExists) {
			t.Fatalf("another property's key under the same DNS name: %v", err)
		}
		if _, err := e.s.Generate(e.ctx, e.beta, "beta.example", old.Selector, "ed25519"); err != nil {
			t.Fatalf("the same selector on another domain: %v", err)
		}
		next, err := e.s.Generate(e.ctx, e.acme, "acme.example", "Next", "ed25519")
		if err != nil || next.Active || next.Selector != "next" {
			t.Fatalf("the new key should wait: %+v, %v", next, err)
		}
		signedBy := func() string {
			t.Helper()
			raw, err := e.s.Sign(e.ctx, e.acme, []byte(mailFrom))
			if err != nil {
				t.Fatal(err)
			}
			got, err := verify(t, raw, old.Record().String(), next.Record().String())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				return ""
			}
			for _, sel := range []string{old.Selector, next.Selector} {
				if bytes.Contains(raw[:bytes.Index(raw, []byte("\r\nFrom:"))], []byte("s="+sel+";")) {
					return sel
				}
			}
			return "?"
		}
		if got := signedBy(); got != old.Selector {
			t.Fatalf("signed by %q before the switch", got)
		}
		if err := e.s.Activate(e.ctx, e.acme, "nope"); !errors.Is(err, dkimkeys.ErrNotFound) {
			t.Fatalf("activating an unknown selector: %v", err)
		}
		if got := signedBy(); got != old.Selector {
			t.Fatalf("a failed switch changed the key: %q", got)
		}
		if err := e.s.Activate(e.ctx, e.acme, "next"); err != nil {
			t.Fatal(err)
		}
		if got := signedBy(); got != "next" {
			t.Fatalf("signed by %q after the switch", got)
		}
		if ks, _ := e.s.Keys(e.ctx, e.acme); len(ks) != 1 || ks[0].Selector != "next" || !ks[0].Active {
			t.Fatalf("keys after the switch: %+v", ks)
		}
		if n, err := e.s.Delete(e.ctx, e.acme); n != 1 || err != nil {
			t.Fatalf("delete: %d, %v", n, err)
		}
		if got := signedBy(); got != "" {
			t.Fatalf("signed by %q after disabling", got)
		}
	})
}

// A key sealed under another server secret, or copied to another property, does not sign: the
// sender keeps the mail and tries again.
func TestAKeyThatDoesNotOpenIsAnError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := e.s.Generate(e.ctx, e.acme, "acme.example", "s1", "ed25519"); err != nil {
			t.Fatal(err)
		}
		other, err := dkimkeys.Open(e.ctx, d, []byte("another secret"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Sign(e.ctx, e.acme, []byte(mailFrom)); err == nil || !strings.Contains(err.Error(), "secret") {
			t.Fatalf("signing with another server's secret: %v", err)
		}
		if err := e.d.Tx(e.ctx, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(e.ctx, tx.Rebind(`INSERT INTO dkim_keys (property_id, selector, domain, algorithm, private_key, active, created_at)
				SELECT ?, 'copy', domain, algorithm, private_key, active, created_at FROM dkim_keys WHERE property_id = ?`), e.beta, e.acme)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Sign(e.ctx, e.beta, []byte(mailFrom)); err == nil {
			t.Fatal("a key copied to another property signed")
		}
	})
}

func TestRecordSplitsLongValues(t *testing.T) {
	r := dkimkeys.Record{Name: "s._domainkey.acme.example", Value: strings.Repeat("x", 600)}
	got := r.String()
	if want := `s._domainkey.acme.example. IN TXT "` + strings.Repeat("x", 255) + `" "` + strings.Repeat("x", 255) + `" "` + strings.Repeat("x", 90) + `"`; got != want {
		t.Fatalf("record:\n%s\nwant\n%s", got, want)
	}
	if n, v := recordValue(t, got); n != r.Name || v != r.Value {
		t.Fatalf("read back %q %q", n, v)
	}
}

func TestSelectorsAndDomains(t *testing.T) {
	for s, ok := range map[string]bool{"postdesk202612": true, "Mail.2026": true, "a-b": true, "": false, "-a": false,
		"a_b": false, "a..b": false, "a b": false, "ü": false, strings.Repeat("a", 64): false} {
		if _, err := dkimkeys.CheckSelector(s); (err == nil) != ok {
			t.Errorf("selector %q: %v", s, err)
		}
	}
	for a, want := range map[string]string{"support@acme.example": "acme.example", "x@Sub.ACME.example.": "sub.acme.example",
		"nobody": "", "@acme.example": "", "x@localhost": "", "x@ac me.example": ""} {
		if got, err := dkimkeys.DomainOf(a); got != want || (err == nil) != (want != "") {
			t.Errorf("domain of %q: %q, %v", a, got, err)
		}
	}
	for _, a := range []string{"", "rsa", "RSA", "ed25519", "rsa-sha256"} {
		if _, err := dkimkeys.ParseAlgorithm(a); err != nil {
			t.Errorf("algorithm %q: %v", a, err)
		}
	}
	if _, err := dkimkeys.ParseAlgorithm("dsa"); !errors.Is(err, dkimkeys.ErrInvalid) {
		t.Errorf("algorithm dsa: %v", err)
	}
}
