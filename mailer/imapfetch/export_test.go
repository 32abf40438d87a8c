package imapfetch

import (
	"github.com/emersion/go-sasl"

	"github.com/postdesk/postdesk/mailer/oauth"
)

// NewIMAPXOAuth2Client is the XOAUTH2 client mechanism as the poller uses it over IMAP.
func NewIMAPXOAuth2Client(user, token string) sasl.Client {
	return imapXOAuth2{oauth.NewXOAuth2Client(user, token)}
}
