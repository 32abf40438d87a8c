package oauth_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/mailer/oauth"
	"github.com/postdesk/postdesk/mailer/oauth/oauthtest"
)

func microsoft(fp *oauthtest.Provider) *oauth.Provider {
	return oauth.NewMicrosoft(oauth.MicrosoftConfig{ClientID: oauthtest.ClientID, Tenant: oauthtest.Tenant, Authority: fp.URL})
}

func google(fp *oauthtest.Provider) *oauth.Provider {
	return oauth.NewGoogle(oauth.GoogleConfig{ClientID: oauthtest.ClientID, ClientSecret: oauthtest.ClientSecret, AuthURL: fp.GoogleAuthURL(), TokenURL: fp.GoogleTokenURL()})
}

// syncBuffer is what the admin's terminal shows.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDeviceFlowWaitsForTheConsentAtTheServersPace(t *testing.T) {
	t.Parallel()
	fp := oauthtest.Start(t)
	fp.Script("authorization_pending", "authorization_pending", "slow_down", "")
	var out syncBuffer
	rt, err := microsoft(fp).SignIn(context.Background(), oauth.SignInOptions{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rt, "rt-") {
		t.Errorf("refresh token %q", rt)
	}
	if s := out.String(); !strings.Contains(s, fp.URL+"/devicelogin") || !strings.Contains(s, fp.UserCode) {
		t.Errorf("the admin is not told where to go and what to enter:\n%s", s)
	}
	polls := fp.Polls()
	if len(polls) != 4 {
		t.Fatalf("%d polls, want 4", len(polls))
	}
	// interval = 1 s, then slow_down adds 5 s for this and every later poll (RFC 8628 §3.5).
	for i, want := range []time.Duration{time.Second, time.Second, 6 * time.Second} {
		if gap := polls[i+1].Sub(polls[i]); gap < want-100*time.Millisecond {
			t.Errorf("poll %d came %s after the one before, want at least %s", i+2, gap, want)
		}
	}
}

func TestDeviceFlowEnds(t *testing.T) {
	t.Parallel()
	t.Run("the code expires", func(t *testing.T) {
		t.Parallel()
		fp := oauthtest.Start(t)
		fp.DeviceExpiresIn = 2
		fp.Script(strings.Split(strings.Repeat("authorization_pending,", 10), ",")[:10]...)
		_, err := microsoft(fp).SignIn(context.Background(), oauth.SignInOptions{})
		if err == nil || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("err = %v, want the code expired", err)
		}
	})
	t.Run("the server says the code expired", func(t *testing.T) {
		t.Parallel()
		fp := oauthtest.Start(t)
		fp.Script("expired_token")
		_, err := microsoft(fp).SignIn(context.Background(), oauth.SignInOptions{})
		if err == nil || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("err = %v, want the code expired", err)
		}
	})
	t.Run("the user declines", func(t *testing.T) {
		t.Parallel()
		fp := oauthtest.Start(t)
		fp.Script("access_denied")
		_, err := microsoft(fp).SignIn(context.Background(), oauth.SignInOptions{})
		if err == nil || !strings.Contains(err.Error(), "declined") {
			t.Fatalf("err = %v, want declined", err)
		}
	})
	t.Run("no client id", func(t *testing.T) {
		_, err := oauth.NewMicrosoft(oauth.MicrosoftConfig{}).SignIn(context.Background(), oauth.SignInOptions{})
		if !errors.Is(err, oauth.ErrConfig) || !strings.Contains(err.Error(), "oauth.microsoft.client_id") {
			t.Fatalf("err = %v, want ErrConfig naming the key", err)
		}
	})
}

var urlRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/google/auth\?\S+`)

// signInAsBrowser runs the loopback flow, and does what the admin's browser would: open the
// printed address (the stand-in consents at once and redirects to the loopback listener).
func signInAsBrowser(t *testing.T, p *oauth.Provider, visit func(authURL string)) (string, error) {
	t.Helper()
	pr, pw := io.Pipe()
	type res struct {
		rt  string
		err error
	}
	done := make(chan res, 1)
	go func() {
		rt, err := p.SignIn(context.Background(), oauth.SignInOptions{Out: pw, LoginHint: "support@acme.example", Timeout: 20 * time.Second})
		pw.Close()
		done <- res{rt, err}
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u := urlRE.FindString(sc.Text()); u != "" {
			visit(u)
			break
		}
	}
	go io.Copy(io.Discard, pr)
	r := <-done
	return r.rt, r.err
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLoopbackFlowWithPKCE(t *testing.T) {
	t.Parallel()
	fp := oauthtest.Start(t)
	rt, err := signInAsBrowser(t, google(fp), func(u string) {
		if !strings.Contains(u, "code_challenge_method=S256") || !strings.Contains(u, "access_type=offline") || !strings.Contains(u, "redirect_uri=http%3A%2F%2F127.0.0.1%3A") {
			t.Errorf("authorization address %s", u)
		}
		// A redirect with another state is refused, and the sign-in goes on waiting.
		q := regexp.MustCompile(`redirect_uri=([^&]+)`).FindStringSubmatch(u)[1]
		redirect := strings.NewReplacer("%3A", ":", "%2F", "/").Replace(q)
		if code, _ := get(t, redirect+"?code=forged&state=other"); code != http.StatusBadRequest {
			t.Errorf("a forged redirect got %d", code)
		}
		if code, body := get(t, u); code != http.StatusOK || !strings.Contains(body, "signed in") {
			t.Errorf("the browser shows %d %s", code, body)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rt, "rt-") {
		t.Errorf("refresh token %q", rt)
	}
}

func TestLoopbackFlowDeclined(t *testing.T) {
	t.Parallel()
	fp := oauthtest.Start(t)
	fp.Deny = true
	_, err := signInAsBrowser(t, google(fp), func(u string) { get(t, u) })
	if err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("err = %v, want access_denied", err)
	}
}

// memGrants is a GrantStore in memory.
type memGrants struct {
	mu      sync.Mutex
	rt      string
	needed  string
	marks   int
	rotated int
}

func (m *memGrants) OAuthToken(context.Context, int64) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rt, m.needed != "", nil
}

func (m *memGrants) RotateOAuthToken(_ context.Context, _ int64, rt string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rt = rt
	m.rotated++
	return nil
}

func (m *memGrants) OAuthSignInNeeded(_ context.Context, _ int64, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.needed = reason
	m.marks++
	return nil
}

func TestSourceRefreshesBeforeExpiryKeepsRotatedTokensAndStopsOnRevocation(t *testing.T) {
	t.Parallel()
	fp := oauthtest.Start(t)
	fp.Script("")
	ctx := context.Background()
	p := microsoft(fp)
	rt, err := p.SignIn(ctx, oauth.SignInOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fp.Rotate = true
	store := &memGrants{rt: rt}
	now := time.Now()
	clock := func() time.Time { return now }
	src := oauth.NewSource(p, store, 1, clock, nil)
	at, err := src.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fp.Check(at); !ok {
		t.Fatal("the access token does not work")
	}
	if store.rt == rt || store.rotated != 1 {
		t.Errorf("the rotated refresh token was not kept")
	}
	if again, _ := src.AccessToken(ctx); again != at || fp.Refreshes() != 1 {
		t.Errorf("a valid access token was refreshed")
	}
	// Fifty-six minutes later, within the margin of its hour: a new one.
	now = now.Add(56 * time.Minute)
	at2, err := src.AccessToken(ctx)
	if err != nil || at2 == at || fp.Refreshes() != 2 {
		t.Fatalf("near its expiry: %v, same token %v, %d refreshes", err, at2 == at, fp.Refreshes())
	}
	// The server refused it: Invalidate, and the next call refreshes.
	src.Invalidate()
	if at3, err := src.AccessToken(ctx); err != nil || at3 == at2 || fp.Refreshes() != 3 {
		t.Fatalf("after Invalidate: %v, %d refreshes", err, fp.Refreshes())
	}
	// A temporary failure is not a dead grant.
	src.Invalidate()
	fp.FailNextRefresh("temporarily_unavailable")
	if _, err := src.AccessToken(ctx); err == nil || errors.Is(err, oauth.ErrSignInNeeded) || store.marks != 0 {
		t.Fatalf("temporary failure: %v (sign-in marked %d times)", err, store.marks)
	}
	// Revoked: needs sign-in, recorded once, and the provider is not asked again.
	fp.Revoke()
	_, err = src.AccessToken(ctx)
	if !errors.Is(err, oauth.ErrSignInNeeded) || store.marks != 1 || !strings.Contains(store.needed, "invalid_grant") {
		t.Fatalf("revoked: %v, marked %d: %q", err, store.marks, store.needed)
	}
	asked := fp.Refreshes()
	for range 5 {
		if _, err := src.AccessToken(ctx); !errors.Is(err, oauth.ErrSignInNeeded) {
			t.Fatalf("after revocation: %v", err)
		}
	}
	if fp.Refreshes() != asked || store.marks != 1 {
		t.Errorf("the provider was asked %d more times, marked %d times", fp.Refreshes()-asked, store.marks)
	}
	for _, tok := range append(fp.RefreshTokens(), rt, at) {
		if strings.Contains(err.Error(), tok) || strings.Contains(store.needed, tok) {
			t.Errorf("a token shows in an error")
		}
	}
}

func TestXOAuth2InitialResponse(t *testing.T) {
	c := oauth.NewXOAuth2Client(`shared@acme.example`, "at-1")
	mech, ir, err := c.Start()
	if err != nil || mech != "XOAUTH2" || string(ir) != "user=shared@acme.example\x01auth=Bearer at-1\x01\x01" {
		t.Fatalf("%s %q %v", mech, ir, err)
	}
	resp, err := c.Next([]byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`))
	if err != nil || len(resp) != 0 {
		t.Fatalf("the error challenge is answered with %q, %v", resp, err)
	}
}

// The flow redirected to postdesk itself (the web inbox's "Connect"): the authorization address
// carries the PKCE challenge and the redirect; the code comes back there and is exchanged with
// the verifier only, once. Microsoft's works the same with a web redirect URI.
func TestRedirectFlowWithPKCE(t *testing.T) {
	t.Parallel()
	fp := oauthtest.Start(t)
	for _, p := range []*oauth.Provider{google(fp), microsoft(fp)} {
		t.Run(p.Name, func(t *testing.T) {
			const redirect = "http://127.0.0.1:8080/admin/oauth/callback"
			state, verifier := oauth.GenerateVerifier(), oauth.GenerateVerifier()
			u := p.AuthCodeURL(redirect, state, verifier, "support@acme.example")
			if !strings.Contains(u, "code_challenge_method=S256") || strings.Contains(u, verifier) || !strings.Contains(u, "login_hint=support%40acme.example") {
				t.Fatalf("authorization address %s", u)
			}
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := c.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			back, err := res.Location()
			if err != nil || !strings.HasPrefix(back.String(), redirect+"?") || back.Query().Get("state") != state {
				t.Fatalf("the provider redirects to %v (%v)", back, err)
			}
			code := back.Query().Get("code")
			if _, err := p.Exchange(context.Background(), redirect, code, oauth.GenerateVerifier()); err == nil {
				t.Fatal("a code was exchanged with another verifier")
			}
			u = p.AuthCodeURL(redirect, state, verifier, "")
			res, err = c.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			back, _ = res.Location()
			code = back.Query().Get("code")
			rt, err := p.Exchange(context.Background(), redirect, code, verifier)
			if err != nil || !strings.HasPrefix(rt, "rt-") {
				t.Fatalf("exchange: %q %v", rt, err)
			}
			if _, err := p.Exchange(context.Background(), redirect, code, verifier); !errors.Is(err, oauth.ErrSignInNeeded) {
				t.Fatalf("the code was used twice: %v", err)
			}
		})
	}
}
