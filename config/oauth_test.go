package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOAuthTablesFileEnvAndFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "postdesk.toml")
	os.WriteFile(file, []byte(`relay = "smtp.office365.com:587"
relay_auth = "oauth2"
relay_oauth_provider = "microsoft"
relay_user = "support@acme.example"

[oauth.microsoft]
client_id = "ms-client"
tenant = "acme.example"

[oauth.google]
client_id = "g-client"
token_url = "http://127.0.0.1:1/token"
`), 0o600)
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c, _, err := Load(fs, []string{"--config", file, "--oauth-google-client-secret", "g-secret"},
		env(map[string]string{"POSTDESK_OAUTH_MICROSOFT_AUTHORITY": "https://login.microsoftonline.us"}))
	if err != nil {
		t.Fatal(err)
	}
	m, g := c.OAuth.Microsoft, c.OAuth.Google
	if m.ClientID != "ms-client" || m.Tenant != "acme.example" || m.Authority != "https://login.microsoftonline.us" {
		t.Errorf("microsoft: %+v", m)
	}
	if g.ClientID != "g-client" || g.ClientSecret != "g-secret" || g.TokenURL != "http://127.0.0.1:1/token" || g.AuthURL != "https://accounts.google.com/o/oauth2/auth" {
		t.Errorf("google: %+v", g)
	}
	if c.RelayAuth != "oauth2" || c.RelayOAuth != "microsoft" {
		t.Errorf("relay: %q %q", c.RelayAuth, c.RelayOAuth)
	}
	// A secret is never shown as a flag's default (help output).
	if f := fs.Lookup("oauth-google-client-secret"); f == nil || f.Value.String() != "" {
		t.Errorf("the client secret flag shows %v", f)
	}
}

func TestOAuthBadSettingsSayWhat(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"relay oauth2 without provider": {map[string]string{"POSTDESK_RELAY_AUTH": "oauth2", "POSTDESK_RELAY_USER": "a@b.example"}, "relay_oauth_provider"},
		"relay oauth2 without user":     {map[string]string{"POSTDESK_RELAY_AUTH": "oauth2", "POSTDESK_RELAY_OAUTH_PROVIDER": "google"}, "relay_user"},
		"unknown relay auth":            {map[string]string{"POSTDESK_RELAY_AUTH": "kerberos"}, "password or oauth2"},
		"provider without oauth2":       {map[string]string{"POSTDESK_RELAY_OAUTH_PROVIDER": "google"}, "relay_oauth_provider"},
		"bad authority":                 {map[string]string{"POSTDESK_OAUTH_MICROSOFT_AUTHORITY": "login.microsoftonline.com"}, "oauth.microsoft.authority"},
		"bad tenant":                    {map[string]string{"POSTDESK_OAUTH_MICROSOFT_TENANT": "a/b"}, "oauth.microsoft.tenant"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := load(t, nil, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %s", err, tc.want)
			}
		})
	}
}
