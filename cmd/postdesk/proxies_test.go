package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/dbtest"
)

// Behind a trusted reverse proxy, the contact form's limit counts each client X-Forwarded-For
// names; a client talking to postdesk directly cannot pick its address with the header. (The
// limit is per instance, in memory: one engine is enough.)
func TestTheFormCountsClientsBehindATrustedProxy(t *testing.T) {
	t.Parallel()
	e := dbtest.Engines()[0]
	dsn := e.DSN(t)
	must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
	post := func(base, forwardedFor, who string) int {
		t.Helper()
		form := url.Values{"name": {who}, "email": {who + "@customer.example"}, "message": {"Hello from " + who}}
		req, err := http.NewRequest("POST", base+"/api/v1/properties/acme/form", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if forwardedFor != "" {
			req.Header.Set("X-Forwarded-For", forwardedFor)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	limited := func(base, forwardedFor, who string) {
		t.Helper()
		for i := range 5 {
			if code := post(base, forwardedFor, who); code != http.StatusAccepted {
				t.Fatalf("post %d of %s: %d", i+1, who, code)
			}
		}
		if code := post(base, forwardedFor, who); code != http.StatusTooManyRequests {
			t.Fatalf("the 6th post of %s in a minute: %d, want 429", who, code)
		}
	}

	_, _, proxied := startServeHTTP(t, dsn, "--trusted-proxies", "127.0.0.1, ::1")
	limited("http://"+proxied, "6.6.6.6, 198.51.100.1", "ann")
	// Another client behind the same proxy has a budget of its own, whatever it put on the left.
	if code := post("http://"+proxied, "198.51.100.1, 198.51.100.2", "bob"); code != http.StatusAccepted {
		t.Fatalf("another client behind the proxy: %d", code)
	}

	// Without trusted proxies the header is the client's word: it changes nothing.
	dsn2 := e.DSN(t)
	must(t, dsn2, "property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
	_, _, direct := startServeHTTP(t, dsn2)
	limited("http://"+direct, "198.51.100.1", "ann")
	if code := post("http://"+direct, "198.51.100.2", "bob"); code != http.StatusTooManyRequests {
		t.Fatalf("a direct client naming another address: %d, want 429", code)
	}

	// A list that is not addresses stops serve with the key named.
	if code, _, errs := postdesk(t, e.DSN(t), "serve", "--trusted-proxies", "proxy.example", "--smtp", "", "--http", "127.0.0.1:0"); code == 0 || !strings.Contains(errs, "trusted_proxies") {
		t.Fatalf("serve with a bad list: %d %s", code, errs)
	}
}
