package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/postdesk/postdesk/auth"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// withInput runs 'postdesk args...' with input on standard input.
// The tests run in parallel and standard input is one variable: one command with input at a time.
var inputMu sync.Mutex

func withInput(t *testing.T, dsn, input string, args ...string) (int, string, string) {
	t.Helper()
	inputMu.Lock()
	defer inputMu.Unlock()
	old := passwordInput
	passwordInput = strings.NewReader(input)
	defer func() { passwordInput = old }()
	return postdesk(t, dsn, args...)
}

// 'agent password' sets an agent's web inbox password from standard input, and signs them out.
func TestAgentPasswordCommand(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := e.DSN(t)
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme Support", "--domain", "desk.example")
			must(t, dsn, "property", "add", "--slug", "beta", "--name", "Beta", "--domain", "desk.example")
			must(t, dsn, "agent", "add", "--property", "acme", "--email", "alice@acme.example", "--name", "Alice")
			must(t, dsn, "agent", "add", "--property", "beta", "--email", "bob@beta.example", "--name", "Bob")

			d, err := db.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			svc, err := auth.Open(ctx, d, auth.Config{ArgonTime: 1, ArgonMemoryKiB: 64})
			if err != nil {
				t.Fatal(err)
			}
			st, err := tickets.Open(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			p, err := st.PropertyBySlug(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			alice, err := st.AgentByEmail(ctx, p.ID, "alice@acme.example")
			if err != nil {
				t.Fatal(err)
			}
			cookie, _, err := svc.NewSession(ctx, alice.ID, "test")
			if err != nil {
				t.Fatal(err)
			}

			const pw = "a long enough password"
			code, out, errs := withInput(t, dsn, pw+"\r\nsecond line is not the password\n", "agent", "password", "--property", "acme", "--email", "Alice@acme.example")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if strings.Count(out, "\n") != 1 || !strings.Contains(out, "alice@acme.example") || strings.Contains(out+errs, pw) {
				t.Errorf("output %q", out)
			}
			if id, err := svc.CheckPassword(ctx, "alice@acme.example", pw, "192.0.2.1"); err != nil || id != alice.ID {
				t.Errorf("the password set does not sign in: %d, %v", id, err)
			}
			if _, err := svc.Session(ctx, cookie); !errors.Is(err, auth.ErrNoSession) {
				t.Errorf("a session from before the change: %v", err)
			}
			// Without a line ending at the end of the input.
			if code, _, errs := withInput(t, dsn, "another long password", "agent", "password", "--property", "acme", "--email", "alice@acme.example"); code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if _, err := svc.CheckPassword(ctx, "alice@acme.example", "another long password", "192.0.2.1"); err != nil {
				t.Errorf("the second password: %v", err)
			}

			for _, c := range []struct {
				name, input string
				args        []string
				code        int
				says        string
			}{
				{"empty input", "", []string{"--property", "acme", "--email", "alice@acme.example"}, 2, "no password"},
				{"empty line", "\nlong enough password\n", []string{"--property", "acme", "--email", "alice@acme.example"}, 2, "no password"},
				{"weak", "short\n", []string{"--property", "acme", "--email", "alice@acme.example"}, 1, "at least 10 characters"},
				{"another property's agent", pw + "\n", []string{"--property", "acme", "--email", "bob@beta.example"}, 1, "not an agent of acme"},
				{"no such property", pw + "\n", []string{"--property", "nope", "--email", "alice@acme.example"}, 1, "unknown property"},
				{"no email", pw + "\n", []string{"--property", "acme"}, 2, "--email is required"},
			} {
				code, out, errs := withInput(t, dsn, c.input, append([]string{"agent", "password"}, c.args...)...)
				if code != c.code || !strings.Contains(errs, c.says) || out != "" {
					t.Errorf("%s: exit %d, %q, %q; want %d, %q", c.name, code, out, errs, c.code, c.says)
				}
			}
			if ok, _ := svc.HasPassword(ctx, "bob@beta.example"); ok {
				t.Error("bob got a password through another property")
			}
			if _, err := svc.CheckPassword(ctx, "alice@acme.example", "another long password", "192.0.2.2"); err != nil {
				t.Errorf("a refused change changed the password: %v", err)
			}

			var usage strings.Builder
			run(ctx, []string{"help"}, &strings.Builder{}, &usage, func(string) string { return "" })
			if !strings.Contains(usage.String(), "password") {
				t.Errorf("the usage does not list 'agent password':\n%s", usage.String())
			}
		})
	}
}
