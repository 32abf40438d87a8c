package imapfetch

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"

	"github.com/postdesk/postdesk/mailer/oauth"
)

// TokenSource hands out OAuth2 access tokens (oauth.Source): AccessToken refreshes one that is
// about to expire; Invalidate says the server refused the last one.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
	Invalidate()
}

// Tokens finds the token source of an OAuth2 grant.
type Tokens func(provider string, grantID int64) (TokenSource, error)

// WithOAuth lets the pollers log in to mailboxes signed in with OAuth2.
func WithOAuth(tokens Tokens) PollersOption { return func(c *pollConfig) { c.Tokens = tokens } }

// loginOAuth authenticates with the access token: OAUTHBEARER (RFC 7628) where the server offers
// it, else XOAUTH2 (Gmail, Microsoft 365). A refusal may be a token the provider ended early:
// the token is refreshed and tried once more; a second refusal is an error like a wrong
// password. ErrSignInNeeded from the token source comes through wrapped.
func (ic *imapConn) loginOAuth(ctx context.Context, a Account) error {
	caps := ic.c.Caps()
	var client func(token string) sasl.Client
	mech := ""
	switch {
	case caps.Has(imap.AuthCap(sasl.OAuthBearer)):
		mech, client = sasl.OAuthBearer, func(token string) sasl.Client {
			return oauth.NewOAuthBearerClient(a.Username, token, a.Host, a.Port)
		}
	case caps.Has(imap.AuthCap(oauth.XOAuth2)):
		mech, client = oauth.XOAuth2, func(token string) sasl.Client { return imapXOAuth2{oauth.NewXOAuth2Client(a.Username, token)} }
	default:
		return errors.New("the server offers neither AUTH=OAUTHBEARER nor AUTH=XOAUTH2: it cannot log in with OAuth2")
	}
	for attempt := 0; ; attempt++ {
		token, err := a.Token.AccessToken(ctx)
		if err != nil {
			return err
		}
		err = ic.c.Authenticate(client(token))
		if err == nil {
			return nil
		}
		var ie *imap.Error
		if attempt == 0 && errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
			a.Token.Invalidate()
			continue
		}
		return fmt.Errorf("%s refused: %w", mech, err)
	}
}

// imapXOAuth2 answers the error challenge with a one-byte response instead of the empty one:
// imapclient writes an empty response as "=", which RFC 9051 allows only in an initial response
// and Dovecot refuses ("Invalid base64 data"); any answer ends the exchange with NO.
type imapXOAuth2 struct{ sasl.Client }

func (c imapXOAuth2) Next(challenge []byte) ([]byte, error) {
	resp, err := c.Client.Next(challenge)
	if err == nil && len(resp) == 0 {
		resp = []byte{0x01}
	}
	return resp, err
}
