// Package replytoken mints and checks the signed tokens postdesk puts in reply addresses
// (<slug>+<token>@<domain>), so a reply comes back to its ticket even when a mail client drops
// In-Reply-To and References. A token names a ticket and, for the copies sent to one agent, that
// agent; an HMAC over the property, ticket and agent makes it unforgeable and property-bound.
package replytoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
)

// macLen is the number of base32 characters of the HMAC kept: 16 characters are 80 bits, far
// beyond guessing over SMTP, while the address stays short enough for every client.
const macLen = 16

// Lowercase base32 without padding: local parts are often lowercased by MTAs, so the token must
// survive case folding.
var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Claims is what a token says.
type Claims struct {
	TicketID int64
	AgentID  int64 // 0: the customer's token
}

// Sign returns the token for c, bound to propertyID under secret. Shape: t<ticket>[a<agent>]-<mac>.
func Sign(secret []byte, propertyID int64, c Claims) string {
	body := "t" + strconv.FormatInt(c.TicketID, 10)
	if c.AgentID != 0 {
		body += "a" + strconv.FormatInt(c.AgentID, 10)
	}
	return body + "-" + mac(secret, propertyID, body)
}

func mac(secret []byte, propertyID int64, body string) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("postdesk-reply-token\x00"))
	h.Write([]byte(strconv.FormatInt(propertyID, 10)))
	h.Write([]byte{0})
	h.Write([]byte(body))
	return enc.EncodeToString(h.Sum(nil))[:macLen]
}

// WellFormed reports whether token has the shape of a token, signed or not. The SMTP server
// accepts such sub-addresses; whether the signature holds is threading's business.
func WellFormed(token string) bool {
	_, ok := parse(strings.ToLower(token))
	return ok
}

// Verify checks token against secret and propertyID. A token that is malformed, forged, or minted
// for another property or under another secret yields ok == false.
func Verify(secret []byte, propertyID int64, token string) (Claims, bool) {
	token = strings.ToLower(token)
	c, ok := parse(token)
	if !ok {
		return Claims{}, false
	}
	body, sig, _ := strings.Cut(token, "-")
	if !hmac.Equal([]byte(sig), []byte(mac(secret, propertyID, body))) {
		return Claims{}, false
	}
	return c, true
}

func parse(token string) (Claims, bool) {
	body, sig, ok := strings.Cut(token, "-")
	if !ok || len(sig) != macLen || !strings.HasPrefix(body, "t") {
		return Claims{}, false
	}
	for _, r := range sig {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return Claims{}, false
		}
	}
	ticket, agent, hasAgent := strings.Cut(body[1:], "a")
	var c Claims
	var err error
	if c.TicketID, err = parseID(ticket); err != nil {
		return Claims{}, false
	}
	if hasAgent {
		if c.AgentID, err = parseID(agent); err != nil {
			return Claims{}, false
		}
	}
	return c, true
}

func parseID(s string) (int64, error) {
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

// Address is <slug>+<token>@<domain>.
func Address(slug, token, domain string) string {
	return slug + "+" + token + "@" + domain
}

// Split takes an address apart into slug, token (empty when there is no +detail) and domain, all
// lowercased. ok is false when addr is not an address.
func Split(addr string) (slug, token, domain string, ok bool) {
	local, domain, found := strings.Cut(strings.ToLower(strings.TrimSpace(addr)), "@")
	if !found || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", "", "", false
	}
	slug, token, _ = strings.Cut(local, "+")
	return slug, token, domain, slug != ""
}
