package relay

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/mailer/oauth"
)

// TokenSource hands out OAuth2 access tokens (oauth.Source): AccessToken refreshes one about to
// expire; Invalidate says the relay refused the last one.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
	Invalidate()
}

// UseOAuth makes the transport authenticate as Config.User with ts's access tokens; call it
// before the first Send.
func (t *SMTPTransport) UseOAuth(ts TokenSource) { t.cfg.Token = ts }

// authOAuth authenticates as user with the access token: OAUTHBEARER (RFC 7628) when the relay
// offers it, else XOAUTH2 (smtp.office365.com, smtp.gmail.com). A refused token is refreshed and
// tried once more. Its failures are temporary: the mail is not at fault, and it waits in the
// outbox until the sign-in works again (a grant that needs sign-in wraps oauth.ErrSignInNeeded).
func (t *SMTPTransport) authOAuth(ctx context.Context, c *smtp.Client) error {
	host, portStr, _ := net.SplitHostPort(t.cfg.Addr)
	port, _ := strconv.Atoi(portStr)
	var client func(token string) sasl.Client
	mech := ""
	switch {
	case c.SupportsAuth(sasl.OAuthBearer):
		mech, client = sasl.OAuthBearer, func(token string) sasl.Client { return oauth.NewOAuthBearerClient(t.cfg.User, token, host, port) }
	case c.SupportsAuth(oauth.XOAuth2):
		mech, client = oauth.XOAuth2, func(token string) sasl.Client { return oauth.NewXOAuth2Client(t.cfg.User, token) }
	default:
		return errors.New("the relay offers neither AUTH OAUTHBEARER nor AUTH XOAUTH2")
	}
	for attempt := 0; ; attempt++ {
		token, err := t.cfg.Token.AccessToken(ctx)
		if err != nil {
			return fmt.Errorf("AUTH %s: %w", mech, err)
		}
		err = c.Auth(client(token))
		if err == nil {
			return nil
		}
		var se *smtp.SMTPError
		// 535 (RFC 4954 §6) from most relays; 454 from some (go-smtp) for a refused bearer token.
		if attempt == 0 && errors.As(err, &se) && (se.Code == 535 || se.Code == 454) {
			t.cfg.Token.Invalidate()
			continue
		}
		// Not classified: a 5xx here is about our sign-in, not about the mail.
		return fmt.Errorf("AUTH %s as %s refused: %s", mech, t.cfg.User, err.Error())
	}
}

// authOAuth is the probe's XOAUTH2: the access token (a step of its own, so that a grant needing
// sign-in shows as such), then AUTH XOAUTH2; a refusal's JSON challenge is answered with the
// empty response to get the relay's final reply. No step shows the token.
func (p *prober) authOAuth(ctx context.Context, ext string) error {
	token, err := p.t.cfg.Token.AccessToken(ctx)
	if err := p.step(Step{Name: "OAuth2 access token", Reply: map[bool]string{true: "ok"}[err == nil], Err: err}); err != nil {
		return err
	}
	if !hasAuth(ext, oauth.XOAuth2) {
		return p.step(Step{Name: "AUTH", Err: errors.New("the relay does not offer AUTH XOAUTH2 (relay_auth = oauth2)")})
	}
	_, ir, _ := oauth.NewXOAuth2Client(p.t.cfg.User, token).Start()
	code, _, err := p.exchange("AUTH XOAUTH2", 235, "AUTH XOAUTH2 %s", base64.StdEncoding.EncodeToString(ir))
	if code == 334 {
		_, _, err = p.exchange("AUTH XOAUTH2 (refused)", 235, "%s", "")
	}
	return err
}
