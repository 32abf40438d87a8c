// Package rating is the customer's rating of a closed ticket: the signed links a close mail
// carries (one per choice: good, okay, bad) and the public page they open, served by serve at
// Path + token without a session (Handler).
//
// A link names the ticket, its property, the close it was sent for and the choice, under an
// HMAC-SHA256 with a key of its own derived from the server secret (a rating token is never a
// reply token or a file link, whatever it holds). It works until Window after that close: the
// customer may rate, and change the rating or its comment, for 7 days. A ticket closed again
// gets a new close mail whose links work for the new close.
//
// One package for the link and its page: the token's only other user is notify, which signs it.
package rating

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Window is how long a close mail's links work, counted from the close: 7 days.
const Window = 7 * 24 * time.Hour

// Path is where the links are served: Path + token.
const Path = "/rate/"

// The choices, as stored and as the API and the list's filter name them.
const (
	Good = "good"
	Okay = "okay"
	Bad  = "bad"
)

// Choices lists the choices, best first.
var Choices = []string{Good, Okay, Bad}

// Claims is what a token says.
type Claims struct {
	TicketID   int64
	PropertyID int64
	ClosedAt   time.Time // the close the link was sent for, to the second
	Choice     string    // Good, Okay or Bad
}

// Expires is when the link stops working: Window after the close.
func (c Claims) Expires() time.Time { return c.ClosedAt.Add(Window) }

// Errors of Verify.
var (
	ErrInvalid = errors.New("rating: not a valid link") // malformed, forged, or signed under another secret
	ErrExpired = errors.New("rating: the link has expired")
)

// macLen is the number of base64url characters of the HMAC kept: 22 characters are 132 bits.
const macLen = 22

// letters are the choices in a token, one letter each.
var letters = map[string]string{Good: "g", Okay: "o", Bad: "b"}

// Sign returns the token for c under secret (c.Choice must be one of Choices). Shape:
// <ticket>.<property>.<close unix>.<g|o|b>.<mac>, all URL-safe.
func Sign(secret []byte, c Claims) string {
	body := strconv.FormatInt(c.TicketID, 10) + "." + strconv.FormatInt(c.PropertyID, 10) + "." +
		strconv.FormatInt(c.ClosedAt.Unix(), 10) + "." + letters[c.Choice]
	return body + "." + mac(secret, body)
}

// key is the rating links' own key: derived from the server secret for this one use.
func key(secret []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("postdesk rating link key v1"))
	return h.Sum(nil)
}

func mac(secret []byte, body string) string {
	h := hmac.New(sha256.New, key(secret))
	h.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))[:macLen]
}

// URL is the link to token under base, the public address of serve (web_url).
func URL(base, token string) string { return strings.TrimRight(base, "/") + Path + token }

// Links are the three links of one close, by choice.
func Links(secret []byte, base string, ticketID, propertyID int64, closedAt time.Time) map[string]string {
	out := map[string]string{}
	for _, ch := range Choices {
		out[ch] = URL(base, Sign(secret, Claims{TicketID: ticketID, PropertyID: propertyID, ClosedAt: closedAt, Choice: ch}))
	}
	return out
}

// Verify checks token against secret at now. A malformed, forged or foreign token is ErrInvalid;
// a genuine one past its expiry is ErrExpired, with its claims (the page says which ticket). The
// signature is compared in constant time, before the expiry is looked at.
func Verify(secret []byte, token string, now time.Time) (Claims, error) {
	c, body, sig, ok := parse(token)
	if !ok {
		return Claims{}, ErrInvalid
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, body))) {
		return Claims{}, ErrInvalid
	}
	if !now.Before(c.Expires()) {
		return c, ErrExpired
	}
	return c, nil
}

// parse takes a token apart; ok is false unless it has the shape Sign gives.
func parse(token string) (c Claims, body, sig string, ok bool) {
	if len(token) > 128 {
		return Claims{}, "", "", false
	}
	parts := strings.Split(token, ".")
	if len(parts) != 5 || len(parts[4]) != macLen {
		return Claims{}, "", "", false
	}
	for _, r := range parts[4] {
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
	for ch, l := range letters {
		if parts[3] == l {
			c.Choice = ch
		}
	}
	if c.Choice == "" {
		return Claims{}, "", "", false
	}
	c.TicketID, c.PropertyID, c.ClosedAt = ids[0], ids[1], time.Unix(ids[2], 0).UTC()
	return c, strings.Join(parts[:4], "."), parts[4], true
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
