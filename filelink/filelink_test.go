package filelink

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	now    = time.Date(2026, time.March, 2, 10, 4, 0, 0, time.UTC)
	claims = Claims{AttachmentID: 42, PropertyID: 7, Expires: now.Add(DefaultTTL)}
)

func TestALinkOpensItsFileUntilItExpires(t *testing.T) {
	tok := Sign(secret, claims)
	if url.PathEscape(tok) != tok {
		t.Fatalf("token %q is not URL-safe", tok)
	}
	if got := URL("https://desk.example/", tok); got != "https://desk.example/files/"+tok {
		t.Fatalf("URL = %q", got)
	}
	c, err := Verify(secret, tok, now)
	if err != nil || c != claims {
		t.Fatalf("Verify = %+v, %v; want %+v", c, err, claims)
	}
	if _, err := Verify(secret, tok, claims.Expires.Add(-time.Second)); err != nil {
		t.Fatalf("a second before its expiry: %v", err)
	}
	for _, at := range []time.Time{claims.Expires, claims.Expires.Add(time.Hour)} {
		if _, err := Verify(secret, tok, at); !errors.Is(err, ErrExpired) {
			t.Fatalf("at %s: %v, want ErrExpired", at, err)
		}
	}
}

func TestATamperedOrForeignLinkIsInvalid(t *testing.T) {
	tok := Sign(secret, claims)
	parts := strings.Split(tok, ".")
	other := Claims{AttachmentID: 43, PropertyID: 7, Expires: claims.Expires}
	flip := func(s string) string {
		b := []byte(s)
		if b[len(b)-1] == 'A' {
			b[len(b)-1] = 'B'
		} else {
			b[len(b)-1] = 'A'
		}
		return string(b)
	}
	for name, bad := range map[string]string{
		"another attachment":   "43." + strings.Join(parts[1:], "."),
		"another property":     parts[0] + ".8." + strings.Join(parts[2:], "."),
		"a later expiry":       strings.Join(parts[:2], ".") + ".9999999999." + parts[3],
		"a changed signature":  strings.Join(parts[:3], ".") + "." + flip(parts[3]),
		"another secret":       Sign([]byte("another secret of thirty-two b!!"), claims),
		"another's signature":  strings.Join(parts[:3], ".") + "." + strings.Split(Sign(secret, other), ".")[3],
		"a short signature":    strings.Join(parts[:3], ".") + "." + parts[3][:10],
		"a leading zero":       "042." + strings.Join(parts[1:], "."),
		"a negative id":        "-42." + strings.Join(parts[1:], "."),
		"no signature":         strings.Join(parts[:3], "."),
		"empty":                "",
		"a path":               "../" + tok,
		"a signature with '.'": strings.Join(parts[:3], ".") + "." + parts[3][:21] + ".",
	} {
		if _, err := Verify(secret, bad, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s (%q): %v, want ErrInvalid", name, bad, err)
		}
	}
}

// Verify never panics, and accepts only what Sign made under the secret, naming what it signed.
func FuzzVerify(f *testing.F) {
	f.Add(Sign(secret, claims))
	f.Add(Sign(secret, Claims{AttachmentID: 1, PropertyID: 1, Expires: now.Add(time.Hour)}))
	f.Add("1.2.3." + strings.Repeat("A", macLen))
	f.Add("")
	f.Add("....")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := Verify(secret, tok, now)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) {
				t.Fatalf("Verify(%q): %v", tok, err)
			}
			return
		}
		if Sign(secret, c) != tok || !now.Before(c.Expires) || c.AttachmentID <= 0 || c.PropertyID <= 0 {
			t.Fatalf("Verify(%q) accepted %+v", tok, c)
		}
	})
}
