package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// SignInOptions says how to talk to the admin signing in.
type SignInOptions struct {
	// Out receives what the admin must do: the address to open and the code to enter.
	Out io.Writer
	// LoginHint pre-fills the account on the provider's page (Google).
	LoginHint string
	// Listen is the loopback address of the redirect (Google): 127.0.0.1:0 (any free port) when
	// empty; a fixed port lets an admin on another machine forward it over SSH.
	Listen string
	// Timeout bounds the wait for the consent: 15 minutes when zero (the device code's own
	// expiry ends the device flow sooner).
	Timeout time.Duration
}

// SignIn has the admin consent, and returns the grant's refresh token.
func (p *Provider) SignIn(ctx context.Context, o SignInOptions) (string, error) {
	if err := p.Check(); err != nil {
		return "", err
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	var tok *oauth2.Token
	var err error
	if p.Device {
		tok, err = p.deviceFlow(ctx, o)
	} else {
		tok, err = p.loopbackFlow(ctx, o)
	}
	if err != nil {
		return "", err
	}
	return p.refreshToken(tok)
}

// deviceFlow is RFC 8628: the admin opens the verification address anywhere and enters the code;
// meanwhile the token endpoint is polled at the interval the server asks for (x/oauth2 waits
// through authorization_pending and adds 5 seconds on slow_down, §3.5).
func (p *Provider) deviceFlow(ctx context.Context, o SignInOptions) (*oauth2.Token, error) {
	da, err := p.cfg.DeviceAuth(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s device authorization: %w", p.Name, classify(err))
	}
	if da.VerificationURI == "" || da.UserCode == "" || da.DeviceCode == "" {
		return nil, fmt.Errorf("oauth: %s device authorization: the answer lacks the address or the code", p.Name)
	}
	fmt.Fprintf(o.Out, "To sign in, open %s in a browser and enter the code %s\n", da.VerificationURI, da.UserCode)
	if !da.Expiry.IsZero() {
		fmt.Fprintf(o.Out, "(the code works for %s; waiting for the consent…)\n", time.Until(da.Expiry).Round(time.Minute))
	}
	tok, err := p.cfg.DeviceAccessToken(ctx, da)
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.ErrorCode == "access_denied":
		return nil, fmt.Errorf("oauth: %s: the sign-in was declined", p.Name)
	case errors.As(err, &re) && re.ErrorCode == "expired_token", errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("oauth: %s: the code expired before anyone signed in: run the command again", p.Name)
	}
	return nil, fmt.Errorf("oauth: %s device sign-in: %w", p.Name, classify(err))
}

// loopbackFlow is the installed-app flow (RFC 8252): the admin opens the authorization address in
// a browser on this machine; the provider redirects the browser to a listener on 127.0.0.1 with
// the code, which is exchanged with the PKCE verifier (RFC 7636) only this process knows.
func (p *Provider) loopbackFlow(ctx context.Context, o SignInOptions) (*oauth2.Token, error) {
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("oauth: listen for the redirect: %w", err)
	}
	defer ln.Close()
	redirect := "http://" + ln.Addr().String() + "/"
	state, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	fmt.Fprintf(o.Out, "To sign in, open this address in a browser on this machine (or forward port %d to it over SSH):\n%s\n",
		ln.Addr().(*net.TCPAddr).Port, p.AuthCodeURL(redirect, state, verifier, o.LoginHint))
	type result struct {
		code string
		err  error
	}
	got := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/" || (q.Get("code") == "" && q.Get("error") == "") {
			http.NotFound(w, r)
			return
		}
		// The state ties the redirect to this sign-in (RFC 6749 §10.12): another page of the
		// browser cannot feed us a code.
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
			http.Error(w, "This is not the sign-in postdesk is waiting for.", http.StatusBadRequest)
			return
		}
		res := result{code: q.Get("code")}
		msg := "postdesk is signed in: you can close this page."
		if e := q.Get("error"); e != "" {
			res = result{err: fmt.Errorf("oauth: %s: the sign-in failed: %s", p.Name, firstLine(e+" "+q.Get("error_description")))}
			msg = "The sign-in failed: " + e
		}
		// The page is written before the code is handed on, and the server is shut down
		// gracefully below, so the browser always gets its answer.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>postdesk</title><p>%s</p>\n", html.EscapeString(msg))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		select {
		case got <- res:
		default:
		}
	})}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
	}()
	var res result
	select {
	case res = <-got:
	case <-ctx.Done():
		return nil, fmt.Errorf("oauth: %s: nobody signed in in time: %w", p.Name, ctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	return p.exchange(ctx, redirect, res.code, verifier)
}

// AuthCodeURL is the provider's authorization address for the authorization-code flow with PKCE
// (RFC 7636, S256): the browser comes back to redirect with the code and state. verifier is
// the PKCE verifier (GenerateVerifier), kept by the caller until the code is exchanged;
// loginHint, when set, pre-fills the account. The consent is asked for every time: Google
// issues a refresh token on consent only.
func (p *Provider) AuthCodeURL(redirect, state, verifier, loginHint string) string {
	cfg := p.cfg
	cfg.RedirectURL = redirect
	opts := []oauth2.AuthCodeOption{oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "consent")}
	if loginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", loginHint))
	}
	return cfg.AuthCodeURL(state, opts...)
}

// GenerateVerifier is a new random PKCE verifier, or state (32 random bytes, base64url).
func GenerateVerifier() string { return oauth2.GenerateVerifier() }

// Exchange trades the code a redirect to redirect brought for the grant's refresh token, with the
// PKCE verifier of its AuthCodeURL: the second half of a sign-in redirected to postdesk itself
// (the web inbox's "Connect" button).
func (p *Provider) Exchange(ctx context.Context, redirect, code, verifier string) (string, error) {
	if err := p.Check(); err != nil {
		return "", err
	}
	tok, err := p.exchange(ctx, redirect, code, verifier)
	if err != nil {
		return "", err
	}
	return p.refreshToken(tok)
}

func (p *Provider) exchange(ctx context.Context, redirect, code, verifier string) (*oauth2.Token, error) {
	cfg := p.cfg
	cfg.RedirectURL = redirect
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: exchange the code: %w", p.Name, classify(err))
	}
	return tok, nil
}

// refreshToken is the token's refresh token; a sign-in without one is of no use to postdesk.
func (p *Provider) refreshToken(tok *oauth2.Token) (string, error) {
	if tok.RefreshToken == "" {
		return "", fmt.Errorf("oauth: %s signed in but gave no refresh token (for Microsoft, offline_access must be granted; for Google, remove postdesk's access at myaccount.google.com/permissions and sign in again)", p.Name)
	}
	return tok.RefreshToken, nil
}
