// Package oauthtest is a stand-in for Google's and Microsoft's OAuth2 endpoints, on 127.0.0.1:
// the device authorization endpoint (RFC 8628) with a scripted sequence of answers, the
// authorization endpoint of the loopback flow (which checks PKCE's challenge, RFC 7636), the
// token endpoint (device code, authorization code, refresh, with revocation) and a token
// introspection endpoint (RFC 7662) for Dovecot's oauth2 passdb. Servers under test ask it
// whether a bearer token is good (Check).
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tenant is the Microsoft tenant the stand-in serves: its endpoints are
// URL/Tenant/oauth2/v2.0/{devicecode,token}.
const Tenant = "acme-tenant"

// Client credentials the stand-in accepts.
const (
	ClientID     = "postdesk-test-client"
	ClientSecret = "postdesk-test-secret"
)

// Provider is the stand-in. Its fields may be changed between requests.
type Provider struct {
	URL string // http://127.0.0.1:PORT
	srv *httptest.Server

	mu sync.Mutex
	// User is the account that consents (the signed-in user) when the request has no login_hint.
	User     string
	signInAs string
	// DeviceScript is what the token endpoint answers to the device-code polls, in order
	// ("authorization_pending", "slow_down", "access_denied", "expired_token"; "" approves);
	// once it is used up, polls are approved.
	DeviceScript []string
	// Interval and DeviceExpiresIn are the device authorization's (seconds).
	Interval, DeviceExpiresIn int
	// AccessLifetime is how long access tokens last (an hour by default).
	AccessLifetime time.Duration
	// Rotate hands out a new refresh token with each refresh, as Microsoft does.
	Rotate bool
	// Deny makes the authorization endpoint redirect with access_denied.
	Deny bool
	// DeviceCode and UserCode are the device authorization's codes.
	DeviceCode, UserCode string

	polls     []time.Time
	refreshes int
	codes     map[string]authCode
	grants    map[string]*grant // refresh token → grant
	access    map[string]accessToken
	failNext  string // the next refresh fails with this error code
	issued    []string
}

type authCode struct{ challenge, redirect, user string }

type grant struct {
	user    string
	revoked bool
}

type accessToken struct {
	user    string
	expires time.Time
}

// Start starts the stand-in; it stops with the test.
func Start(t testing.TB) *Provider {
	p := &Provider{User: "support@acme.example", Interval: 1, DeviceExpiresIn: 900, AccessLifetime: time.Hour,
		DeviceCode: "device-" + random(), UserCode: "WDJB-MJHT",
		codes: map[string]authCode{}, grants: map[string]*grant{}, access: map[string]accessToken{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /"+Tenant+"/oauth2/v2.0/devicecode", p.deviceCode)
	mux.HandleFunc("POST /"+Tenant+"/oauth2/v2.0/token", p.token)
	mux.HandleFunc("GET /"+Tenant+"/oauth2/v2.0/authorize", p.authorize)
	mux.HandleFunc("GET /google/auth", p.authorize)
	mux.HandleFunc("POST /google/token", p.token)
	mux.HandleFunc("POST /introspect", p.introspect)
	p.srv = httptest.NewServer(mux)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// GoogleAuthURL and GoogleTokenURL are the Google endpoints (oauth.google.auth_url, token_url);
// the Microsoft authority is URL with tenant Tenant; IntrospectionURL is for Dovecot.
func (p *Provider) GoogleAuthURL() string    { return p.URL + "/google/auth" }
func (p *Provider) GoogleTokenURL() string   { return p.URL + "/google/token" }
func (p *Provider) IntrospectionURL() string { return p.URL + "/introspect" }

func random() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (p *Provider) set(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn()
}

// SignInAs makes user the account that consents whatever the login_hint, as someone does who
// picks another account at the provider's sign-in ("": the hint's account again).
func (p *Provider) SignInAs(user string) { p.set(func() { p.signInAs = user }) }

// Script sets DeviceScript.
func (p *Provider) Script(answers ...string) { p.set(func() { p.DeviceScript = answers }) }

// Polls returns when the device code was polled.
func (p *Provider) Polls() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.polls...)
}

// Refreshes counts the refresh-token grants asked for (successful or not).
func (p *Provider) Refreshes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refreshes
}

// Revoke revokes every grant and access token: the user withdrew the consent.
func (p *Provider) Revoke() {
	p.set(func() {
		for _, g := range p.grants {
			g.revoked = true
		}
		p.access = map[string]accessToken{}
	})
}

// ExpireAccessTokens ends every access token early (a server's view of a revoked session); the
// refresh tokens still work.
func (p *Provider) ExpireAccessTokens() { p.set(func() { p.access = map[string]accessToken{} }) }

// FailNextRefresh makes the next refresh fail with the OAuth error code (e.g. temporarily_unavailable).
func (p *Provider) FailNextRefresh(code string) { p.set(func() { p.failNext = code }) }

// Check reports whose a bearer token is, when it is valid now.
func (p *Provider) Check(token string) (user string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.access[token]
	if !ok || time.Now().After(a.expires) {
		return "", false
	}
	return a.user, true
}

// Grant returns a refresh token of user's, as if they had just signed in.
func (p *Provider) Grant(user string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	rt := "rt-" + random()
	p.grants[rt] = &grant{user: user}
	return rt
}

// Issued lists every access and refresh token handed out (tests check none shows in logs,
// listings or mail).
func (p *Provider) Issued() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.issued...)
}

// RefreshTokens lists the live refresh tokens (tests check none leaks into logs or listings).
func (p *Provider) RefreshTokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for rt, g := range p.grants {
		if !g.revoked {
			out = append(out, rt)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, code, desc string) {
	status := http.StatusBadRequest
	if code == "invalid_client" {
		status = http.StatusUnauthorized
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (p *Provider) deviceCode(w http.ResponseWriter, r *http.Request) {
	if r.FormValue("client_id") != ClientID {
		oauthError(w, "invalid_client", "unknown client")
		return
	}
	if !strings.Contains(r.FormValue("scope"), "offline_access") {
		oauthError(w, "invalid_scope", "offline_access missing")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code": p.DeviceCode, "user_code": p.UserCode, "verification_uri": p.URL + "/devicelogin",
		"expires_in": p.DeviceExpiresIn, "interval": p.Interval,
	})
}

// authorize acts as the user consenting in the browser: it redirects at once to the redirect
// (a loopback address: the CLI's listener, or a postdesk serving on 127.0.0.1) with a code (or
// access_denied). Microsoft's is the flow with a web redirect URI (the web inbox's "Connect").
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	wantScope := "https://mail.google.com/"
	if !strings.HasPrefix(r.URL.Path, "/google/") {
		wantScope = "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access"
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" {
		http.Error(w, "redirect_uri must be a loopback address", http.StatusBadRequest)
		return
	}
	if q.Get("client_id") != ClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
		q.Get("access_type") != "offline" || q.Get("scope") != wantScope {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	deny, user := p.Deny, p.User
	if h := q.Get("login_hint"); h != "" {
		user = h
	}
	if p.signInAs != "" {
		user = p.signInAs
	}
	code := "code-" + random()
	p.codes[code] = authCode{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), user: user}
	p.mu.Unlock()
	v := url.Values{"state": {q.Get("state")}}
	if deny {
		v.Set("error", "access_denied")
	} else {
		v.Set("code", code)
	}
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	google := strings.HasPrefix(r.URL.Path, "/google/")
	if r.FormValue("client_id") != ClientID || (google && r.FormValue("client_secret") != ClientSecret) {
		oauthError(w, "invalid_client", "unknown client or wrong secret")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch r.FormValue("grant_type") {
	case "urn:ietf:params:oauth:grant-type:device_code":
		if google || r.FormValue("device_code") != p.DeviceCode {
			oauthError(w, "invalid_grant", "unknown device code")
			return
		}
		p.polls = append(p.polls, time.Now())
		if len(p.DeviceScript) > 0 {
			answer := p.DeviceScript[0]
			p.DeviceScript = p.DeviceScript[1:]
			if answer != "" {
				oauthError(w, answer, "scripted")
				return
			}
		}
		p.issue(w, p.User, "")
	case "authorization_code":
		c, ok := p.codes[r.FormValue("code")]
		delete(p.codes, r.FormValue("code"))
		sum := sha256.Sum256([]byte(r.FormValue("code_verifier")))
		switch {
		case !ok:
			oauthError(w, "invalid_grant", "unknown or used code")
		case r.FormValue("redirect_uri") != c.redirect:
			oauthError(w, "invalid_grant", "redirect_uri differs")
		case base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
			oauthError(w, "invalid_grant", "code_verifier does not match the challenge")
		default:
			p.issue(w, c.user, "")
		}
	case "refresh_token":
		p.refreshes++
		rt := r.FormValue("refresh_token")
		g := p.grants[rt]
		if fail := p.failNext; fail != "" {
			p.failNext = ""
			oauthError(w, fail, "scripted failure")
			return
		}
		if g == nil || g.revoked {
			oauthError(w, "invalid_grant", "AADSTS50173: The provided grant has expired due to it being revoked.")
			return
		}
		keep := rt
		if p.Rotate {
			keep = ""
		}
		p.issue(w, g.user, keep)
	default:
		oauthError(w, "unsupported_grant_type", r.FormValue("grant_type"))
	}
}

// issue answers with a new access token for user, and a new refresh token unless keep is one.
func (p *Provider) issue(w http.ResponseWriter, user, keep string) {
	at := "at-" + random()
	p.issued = append(p.issued, at)
	p.access[at] = accessToken{user: user, expires: time.Now().Add(p.AccessLifetime)}
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(p.AccessLifetime.Seconds())}
	if keep == "" {
		rt := "rt-" + random()
		p.issued = append(p.issued, rt)
		p.grants[rt] = &grant{user: user}
		resp["refresh_token"] = rt
	}
	writeJSON(w, http.StatusOK, resp)
}

// introspect is RFC 7662 as Dovecot's oauth2 passdb asks it (introspection_mode = post).
func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) {
	user, ok := p.Check(r.FormValue("token"))
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": true, "username": user})
}
