package oauth

import (
	"encoding/json"
	"errors"

	"github.com/emersion/go-sasl"
)

// XOAuth2 is the name of Google's and Microsoft's SASL mechanism for bearer tokens.
const XOAuth2 = "XOAUTH2"

// XOAuth2Error is what a server said when it refused the token: its JSON challenge, before the
// final NO or 535 (https://developers.google.com/gmail/imap/xoauth2-protocol).
type XOAuth2Error struct {
	Status  string `json:"status"`
	Schemes string `json:"schemes"`
	Scope   string `json:"scope"`
}

func (e *XOAuth2Error) Error() string { return "XOAUTH2 refused (status " + e.Status + ")" }

type xoauth2Client struct {
	user, token string
	refused     *XOAuth2Error
}

// NewXOAuth2Client is the XOAUTH2 client mechanism, which go-sasl lacks: the initial response is
// "user=" user ^A "auth=Bearer " token ^A ^A. For a Microsoft 365 shared mailbox, user is the
// shared mailbox's address and the token the signed-in member's.
func NewXOAuth2Client(user, token string) sasl.Client {
	return &xoauth2Client{user: user, token: token}
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	return XOAuth2, []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers the server's error challenge with an empty response, as the mechanism wants; the
// server then fails the command.
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	if c.refused != nil {
		return nil, errors.New("oauth: XOAUTH2: unexpected second challenge")
	}
	c.refused = &XOAuth2Error{}
	if err := json.Unmarshal(challenge, c.refused); err != nil {
		c.refused.Status = "unreadable"
	}
	return []byte{}, nil
}

// NewOAuthBearerClient is OAUTHBEARER (RFC 7628) from go-sasl: user is the authorization
// identity (a shared mailbox), host and port the server's.
func NewOAuthBearerClient(user, token, host string, port int) sasl.Client {
	return &bearerClient{Client: sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: token, Host: host, Port: port})}
}

// bearerClient answers the server's error challenge with the dummy response RFC 7628 §3.2.3 asks
// for (%x01), so that the server ends the exchange with its failure. go-sasl's client returns the
// error instead, which leaves an IMAP or SMTP client waiting for a command the server never ends.
type bearerClient struct {
	sasl.Client
	refused bool
}

func (c *bearerClient) Next(challenge []byte) ([]byte, error) {
	if c.refused {
		return nil, errors.New("oauth: OAUTHBEARER: unexpected second challenge")
	}
	c.refused = true
	return []byte{0x01}, nil
}
