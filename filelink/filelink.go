// Package filelink mints and checks the signed, expiring links to one attachment that an agent's
// copy of a message carries when its files are too big to attach: <web_url>/files/<token>. The
// token names the attachment, its property and an expiry, under an HMAC-SHA256 with the server
// secret, so it opens that one file of that one property until it expires, without a session
// (a mail-only agent has none); Handler serves it.
package filelink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// DefaultTTL is how long a link works when nothing else is said: 30 days.
const DefaultTTL = 30 * 24 * time.Hour

// Path is where the links are served: Path + token.
const Path = "/files/"

// Claims is what a token says: the attachment, the property it belongs to, and until when.
type Claims struct {
	AttachmentID int64
	PropertyID   int64
	Expires      time.Time // to the second
}

// Errors of Verify.
var (
	ErrInvalid = errors.New("filelink: not a valid link") // malformed, forged, or signed under another secret
	ErrExpired = errors.New("filelink: the link has expired")
)

// macLen is the number of base64url characters of the HMAC kept: 22 characters are 132 bits.
const macLen = 22

// Sign returns the token for c under secret. Shape: <attachment>.<property>.<expiry unix>.<mac>,
// all URL-safe (digits, dots, base64url).
func Sign(secret []byte, c Claims) string {
	body := strconv.FormatInt(c.AttachmentID, 10) + "." + strconv.FormatInt(c.PropertyID, 10) + "." + strconv.FormatInt(c.Expires.Unix(), 10)
	return body + "." + mac(secret, body)
}

func mac(secret []byte, body string) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("postdesk-file-link\x00"))
	h.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))[:macLen]
}

// URL is the link to token under base, the public address of the web inbox (no trailing slash
// needed).
func URL(base, token string) string { return strings.TrimRight(base, "/") + Path + token }

// Verify checks token against secret at now. A malformed, forged or foreign token is ErrInvalid;
// a genuine one past its expiry is ErrExpired (it says nothing the link's holder did not know).
// The signature is compared in constant time, before the expiry is looked at.
func Verify(secret []byte, token string, now time.Time) (Claims, error) {
	c, body, sig, ok := parse(token)
	if !ok {
		return Claims{}, ErrInvalid
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, body))) {
		return Claims{}, ErrInvalid
	}
	if !now.Before(c.Expires) {
		return Claims{}, ErrExpired
	}
	return c, nil
}

// parse takes a token apart; ok is false unless it has the shape Sign gives.
func parse(token string) (c Claims, body, sig string, ok bool) {
	if len(token) > 128 {
		return Claims{}, "", "", false
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 || len(parts[3]) != macLen {
		return Claims{}, "", "", false
	}
	for _, r := range parts[3] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return Claims{}, "", "", false
		}
	}
	var ids [3]int64
	for i := range ids {
		n, err := parseNumber(parts[i])
		if err != nil {
			return Claims{}, "", "", false
		}
		ids[i] = n
	}
	c = Claims{AttachmentID: ids[0], PropertyID: ids[1], Expires: time.Unix(ids[2], 0).UTC()}
	return c, strings.Join(parts[:3], "."), parts[3], true
}

// parseNumber reads a positive decimal number written as Sign writes it: no sign, no leading zero.
func parseNumber(s string) (int64, error) {
	if s == "" || len(s) > 18 || s[0] == '0' {
		return 0, strconv.ErrSyntax
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
