// Package oauth signs mailboxes and the relay in to Google and Microsoft 365 with OAuth2: the
// providers' endpoints and scopes, the sign-in flows an admin goes through once (Microsoft: the
// device authorization grant, RFC 8628; Google: the installed-app flow with PKCE, RFC 7636, and a
// loopback redirect, RFC 8252 §7.3), a Source of access tokens refreshed before they expire that
// keeps rotated refresh tokens, the SASL XOAUTH2 client mechanism, and the one distinction its
// callers act on: a grant that needs the admin to sign in again (ErrSignInNeeded) or a temporary
// failure.
//
// Tokens are secrets: no error or log line of this package contains one.
package oauth

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"
)

// Provider names.
const (
	Google    = "google"
	Microsoft = "microsoft"
)

// Scopes each provider is asked for.
var (
	// GoogleScopes: full mail access is the only scope Gmail's IMAP and SMTP accept.
	GoogleScopes = []string{"https://mail.google.com/"}
	// MicrosoftScopes: IMAP and SMTP AUTH for the signed-in user (and the shared mailboxes they
	// may open), and offline_access for a refresh token.
	MicrosoftScopes = []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"}
)

// ErrSignInNeeded means the grant no longer works (consent revoked, refresh token expired or
// never issued): only the admin signing in again helps. Asking the provider again would not.
var ErrSignInNeeded = errors.New("oauth: needs sign-in again")

// ErrConfig means the provider's app is not configured (no client id).
var ErrConfig = errors.New("oauth: not configured")

// Provider is one OAuth2 provider, with the app registered there.
type Provider struct {
	Name string
	// Device: the sign-in is the device authorization grant (Microsoft); otherwise the
	// authorization-code flow with PKCE and a loopback redirect (Google, which offers no device
	// flow for mail scopes).
	Device bool
	// IMAP and SMTP are the provider's servers (host:port).
	IMAP, SMTP string
	cfg        oauth2.Config
}

// GoogleConfig is the Google app: a "Desktop app" OAuth client.
type GoogleConfig struct {
	ClientID, ClientSecret string
	AuthURL, TokenURL      string
}

// MicrosoftConfig is the Microsoft Entra app registration.
type MicrosoftConfig struct {
	ClientID, ClientSecret string
	Tenant                 string // "organizations" when empty
	Authority              string // https://login.microsoftonline.com when empty
}

// NewGoogle returns the Google provider.
func NewGoogle(c GoogleConfig) *Provider {
	return &Provider{Name: Google, IMAP: "imap.gmail.com:993", SMTP: "smtp.gmail.com:587", cfg: oauth2.Config{
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, Scopes: GoogleScopes,
		Endpoint: oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}}
}

// NewMicrosoft returns the Microsoft 365 provider; its endpoints are
// {authority}/{tenant}/oauth2/v2.0/{devicecode,authorize,token}.
func NewMicrosoft(c MicrosoftConfig) *Provider {
	authority := strings.TrimRight(c.Authority, "/")
	if authority == "" {
		authority = "https://login.microsoftonline.com"
	}
	tenant := c.Tenant
	if tenant == "" {
		tenant = "organizations"
	}
	base := authority + "/" + tenant + "/oauth2/v2.0/"
	return &Provider{Name: Microsoft, Device: true, IMAP: "outlook.office365.com:993", SMTP: "smtp.office365.com:587", cfg: oauth2.Config{
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, Scopes: MicrosoftScopes,
		Endpoint: oauth2.Endpoint{AuthURL: base + "authorize", DeviceAuthURL: base + "devicecode", TokenURL: base + "token", AuthStyle: oauth2.AuthStyleInParams},
	}}
}

// Check reports ErrConfig when the app is not configured.
func (p *Provider) Check() error {
	if p.cfg.ClientID == "" {
		return fmt.Errorf("%w: oauth.%s.client_id is not set (see the README: register the app)", ErrConfig, p.Name)
	}
	if p.Name == Google && p.cfg.ClientSecret == "" {
		return fmt.Errorf("%w: oauth.google.client_secret is not set (Google's Desktop app clients have one)", ErrConfig)
	}
	return nil
}

// Endpoints lists the provider's endpoints, for messages.
func (p *Provider) Endpoints() oauth2.Endpoint { return p.cfg.Endpoint }

// Providers finds a provider by name.
type Providers map[string]*Provider

// Get returns the named provider, configured.
func (ps Providers) Get(name string) (*Provider, error) {
	p := ps[name]
	if p == nil {
		return nil, fmt.Errorf("oauth: unknown provider %q: google or microsoft", name)
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return p, nil
}

// RefusedError is a token endpoint's refusal: What is the provider's code and description, never
// a token. SignIn says only signing in again cures it (RFC 6749 §5.2: invalid_grant is an
// invalid, expired or revoked grant); it then matches ErrSignInNeeded.
type RefusedError struct {
	What   string
	SignIn bool
}

func (e *RefusedError) Error() string {
	if e.SignIn {
		return ErrSignInNeeded.Error() + " (the provider says " + e.What + ")"
	}
	return "oauth: token endpoint refused: " + e.What
}

// Is makes a refusal that needs sign-in match ErrSignInNeeded.
func (e *RefusedError) Is(target error) bool { return e.SignIn && target == ErrSignInNeeded }

// classify turns a token endpoint's refusal into a RefusedError; anything else (the network) is
// temporary.
func classify(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("oauth: token endpoint: %w", err)
	}
	what := re.ErrorCode
	if what == "" && re.Response != nil {
		what = re.Response.Status
	}
	if d := firstLine(re.ErrorDescription); d != "" {
		what += ": " + d
	}
	switch re.ErrorCode {
	case "invalid_grant", "interaction_required", "consent_required", "login_required":
		return &RefusedError{What: what, SignIn: true}
	}
	return &RefusedError{What: what}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
