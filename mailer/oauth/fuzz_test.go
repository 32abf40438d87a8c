package oauth_test

import (
	"testing"

	"github.com/postdesk/postdesk/mailer/oauth"
)

// FuzzXOAuth2Challenge: whatever a server sends as XOAUTH2's error challenge, the client answers
// it once with the empty response (never a panic), and refuses a second one.
func FuzzXOAuth2Challenge(f *testing.F) {
	for _, seed := range []string{`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`, `{"status":400}`, ``, `not json`, `{"status":"401"`, "\x00\xff"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, challenge []byte) {
		c := oauth.NewXOAuth2Client("user@example.com", "at-token")
		resp, err := c.Next(challenge)
		if err != nil || resp == nil || len(resp) != 0 {
			t.Fatalf("first challenge: %q, %v", resp, err)
		}
		if _, err := c.Next(challenge); err == nil {
			t.Fatal("a second challenge is answered")
		}
	})
}
