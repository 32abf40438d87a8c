package config

import (
	"fmt"
	"net/url"
	"strings"
)

// OAuth is the [oauth.google] and [oauth.microsoft] tables: the apps an admin registered with each
// provider, for mailboxes and a relay that sign in with OAuth2 instead of a password. The
// endpoints are the providers' own unless set (a national cloud; tests point them at a stand-in).
type OAuth struct {
	Google    OAuthGoogle    `toml:"google"`
	Microsoft OAuthMicrosoft `toml:"microsoft"`
}

// OAuthGoogle is a Google Cloud "Desktop app" OAuth client.
type OAuthGoogle struct {
	ClientID     string `toml:"client_id" help:"Google OAuth client id (a Desktop app client)"`
	ClientSecret string `toml:"client_secret" help:"Google OAuth client secret (Google requires it even for Desktop app clients)"`
	AuthURL      string `toml:"auth_url" help:"Google authorization endpoint"`
	TokenURL     string `toml:"token_url" help:"Google token endpoint"`
}

// OAuthMicrosoft is a Microsoft Entra app registration (a public client: no secret needed).
type OAuthMicrosoft struct {
	ClientID     string `toml:"client_id" help:"Microsoft Entra application (client) id"`
	ClientSecret string `toml:"client_secret" help:"Microsoft client secret (only for a confidential client; a public client needs none)"`
	Tenant       string `toml:"tenant" help:"Microsoft tenant: its id or domain, or organizations"`
	Authority    string `toml:"authority" help:"Microsoft identity platform (national clouds: https://login.microsoftonline.us, ...); the endpoints are AUTHORITY/TENANT/oauth2/v2.0/devicecode and /token"`
}

func defaultOAuth() OAuth {
	return OAuth{
		Google: OAuthGoogle{
			AuthURL:  "https://accounts.google.com/o/oauth2/auth",
			TokenURL: "https://oauth2.googleapis.com/token",
		},
		Microsoft: OAuthMicrosoft{Tenant: "organizations", Authority: "https://login.microsoftonline.com"},
	}
}

func (c *Config) validateOAuth() error {
	for key, u := range map[string]string{
		"oauth.google.auth_url": c.OAuth.Google.AuthURL, "oauth.google.token_url": c.OAuth.Google.TokenURL,
		"oauth.microsoft.authority": c.OAuth.Microsoft.Authority,
	} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return fmt.Errorf("config: %s %q is not an http(s) address", key, u)
		}
	}
	if t := c.OAuth.Microsoft.Tenant; t == "" || strings.ContainsAny(t, "/?# ") {
		return fmt.Errorf("config: oauth.microsoft.tenant %q: a tenant id or domain, or organizations", t)
	}
	switch c.RelayAuth {
	case "", "password":
		if c.RelayOAuth != "" {
			return fmt.Errorf("config: relay_oauth_provider goes with relay_auth = \"oauth2\"")
		}
	case "oauth2":
		if c.RelayOAuth != "google" && c.RelayOAuth != "microsoft" {
			return fmt.Errorf("config: relay_auth = \"oauth2\" needs relay_oauth_provider = \"google\" or \"microsoft\"")
		}
		if c.RelayUser == "" || c.RelayPasswordEnv != "" {
			return fmt.Errorf("config: relay_auth = \"oauth2\" needs relay_user (the account signed in) and no relay_password_env")
		}
	default:
		return fmt.Errorf("config: relay_auth %q: password or oauth2", c.RelayAuth)
	}
	return nil
}
