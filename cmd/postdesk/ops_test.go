package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/mailertest"
)

// A host's own /etc/postdesk/postdesk.toml must not change the tests.
func init() { defaultConfigFile = "" }

// serveLogged runs 'postdesk serve' on dsn until the test ends; it returns serve's log and waits
// until the log has every line in want.
func serveLogged(t *testing.T, dsn string, want []string, extra ...string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int)
	env := func(k string) string {
		if k == "POSTDESK_DB" {
			return dsn
		}
		return ""
	}
	args := append([]string{"serve", "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--domain", "desk.example", "--data-dir", t.TempDir()}, extra...)
	go func() { done <- run(ctx, args, &bytes.Buffer{}, logs, env) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, logs.String())
		}
	})
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		missing := false
		for _, w := range want {
			missing = missing || !strings.Contains(logs.String(), w)
		}
		if !missing {
			return logs
		}
	}
	t.Fatalf("serve's log lacks one of %q:\n%s", want, logs.String())
	return nil
}

func TestStartWarnings(t *testing.T) {
	t.Parallel()
	base := func() *config.Config { c := config.Defaults(); return &c }
	cases := []struct {
		name string
		set  func(c *config.Config)
		want []string // a part of each warning, in order; none: no warning
	}{
		{"zero configuration", func(*config.Config) {}, nil},
		{"localhost with a relay", func(c *config.Config) { c.Relay = "smtp.example.com:587" }, []string{"domain is localhost while a relay is set"}},
		{"a real domain with a relay", func(c *config.Config) { c.Relay = "smtp.example.com:587"; c.Domain = "desk.example.com" }, nil},
		{"plain HTTP on every address", func(c *config.Config) { c.HTTP = "0.0.0.0:8080" }, []string{"plain HTTP on 0.0.0.0:8080", "/metrics is open", "web_url is not set"}},
		{"plain HTTP on a LAN address, with a metrics token", func(c *config.Config) { c.HTTP = "192.0.2.7:8080"; c.MetricsToken = "t" }, []string{"plain HTTP on 192.0.2.7:8080"}},
		{"behind a TLS proxy, no metrics token", func(c *config.Config) { c.HTTP = ":8080"; c.WebTLS = true }, []string{"/metrics is open", "web_url is not set"}},
		{"an https web_url", func(c *config.Config) {
			c.HTTP = "[::]:8080"
			c.WebURL = "https://desk.example.com"
			c.MetricsToken = "t"
		}, nil},
		{"loopback by name", func(c *config.Config) { c.HTTP = "localhost:8080" }, nil},
		{"IPv6 loopback", func(c *config.Config) { c.HTTP = "[::1]:8080" }, nil},
		{"HTTP off", func(c *config.Config) { c.HTTP = "" }, nil},
	}
	for _, tc := range cases {
		c := base()
		tc.set(c)
		got := startWarnings(c)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d warnings %q, want %d", tc.name, len(got), got, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: warning %q lacks %q", tc.name, got[i], w)
			}
		}
	}
}

// With metrics_token set, /metrics answers only the bearer of the token; serve warns at start
// of a localhost domain with a relay, and says once that a starttls relay offers no STARTTLS.
func TestMetricsTokenAndStartWarnings(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Engines()[0].DSN(t)
	relay := mailertest.Start(t) // no TLS offered
	logs := serveLogged(t, dsn, []string{"HTTP API listening", "offers no STARTTLS", "domain is localhost while a relay is set"},
		"--domain", "localhost", "--relay", relay.Addr, "--relay-tls", "starttls", "--metrics-token", "s3cret")
	addr := httpListening.FindStringSubmatch(logs.String())[1]
	for _, c := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 401}, {"Basic s3cret", 401}, {"Bearer s3cret", 200}, {"bearer s3cret", 200}} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET /metrics with %q: %d, want %d", c.auth, resp.StatusCode, c.want)
		}
	}
	if n := strings.Count(logs.String(), "offers no STARTTLS"); n != 1 || !strings.Contains(logs.String(), `level=ERROR msg="no mail can go out"`) {
		t.Errorf("the missing STARTTLS said %d times:\n%s", n, logs.String())
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz needs no token: %v %v", resp, err)
	}
}

// A second serve on the same SQLite file refuses to start and names the first; a lock file left
// by a crashed instance (its pid, no lock held) blocks nothing. On PostgreSQL, two instances
// share a database on purpose.
func TestOneServePerSQLiteFile(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme")
			if e.Name == "sqlite" {
				// A crashed instance's lock file.
				if err := os.WriteFile(dsn+".lock", []byte("999999\n"), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			startServe(t, dsn)
			if e.Name == "postgres" {
				startServe(t, dsn) // both run
				return
			}
			code, _, errs := postdesk(t, dsn, "serve", "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", t.TempDir(), "--domain", "desk.example")
			want := fmt.Sprintf("another postdesk serve (pid %d) is running on %s", os.Getpid(), dsn)
			if code != 1 || !strings.Contains(errs, want) {
				t.Fatalf("second serve on one SQLite file: exit %d, %q; want exit 1 and %q", code, errs, want)
			}
			// The CLI is not serve: it still works beside it.
			must(t, dsn, "property", "list")
		})
	}
}

// The LMTP unix socket is srw-rw---- with the group postfix (Postfix's lmtp client runs as
// postfix); without a group postfix on the host, srw-rw-rw-. (A restart sets them again: the
// smtpd test.)
func TestLMTPSocketPermissionsThroughServe(t *testing.T) {
	t.Parallel()
	dsn := dbtest.Engines()[0].DSN(t)
	must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme")
	sock := filepath.Join(t.TempDir(), "lmtp.sock")
	wantMode, wantGID := os.FileMode(0o660), -1
	if g, err := user.LookupGroup("postfix"); err == nil {
		wantGID, _ = strconv.Atoi(g.Gid)
	} else {
		wantMode = 0o666
	}
	_, lmtpAddr := startServe(t, dsn, "--lmtp", sock)
	fi, err := os.Stat(lmtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	gid := int(fi.Sys().(*syscall.Stat_t).Gid)
	if fi.Mode().Perm() != wantMode || (wantGID >= 0 && gid != wantGID) {
		t.Fatalf("socket %v group %d, want mode %v group %d", fi.Mode(), gid, wantMode, wantGID)
	}
	// An explicit group that does not exist is an error at start, not a socket nobody can use.
	other := dbtest.Engines()[0].DSN(t) // the first serve holds dsn
	code, _, errs := postdesk(t, other, "serve", "--smtp", "", "--http", "", "--lmtp", filepath.Join(t.TempDir(), "x.sock"), "--lmtp-socket-group", "no-such-group-pd", "--data-dir", t.TempDir())
	if code != 2 || !strings.Contains(errs, `lmtp_socket_group "no-such-group-pd"`) {
		t.Fatalf("unknown group: exit %d: %s", code, errs)
	}
}

// Under systemd (Type=notify), serve says READY=1 once it listens, feeds the watchdog at half
// of WATCHDOG_USEC, and says STOPPING=1 when it stops.
func TestServeTellsSystemd(t *testing.T) {
	dsn := dbtest.Engines()[0].DSN(t)
	must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme")
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "200000") // 200 ms: a WATCHDOG=1 every 100 ms
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	read := func(want string) {
		t.Helper()
		buf := make([]byte, 256)
		for deadline := time.Now().Add(10 * time.Second); ; {
			conn.SetReadDeadline(deadline)
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("waiting for %s: %v", want, err)
			}
			if string(buf[:n]) == want {
				return
			}
		}
	}
	t.Cleanup(func() { read("STOPPING=1"); conn.Close() }) // runs after serve's own cleanup stopped it
	smtpAddr, _ := startServe(t, dsn)
	read("READY=1")
	if c, err := net.Dial("tcp", smtpAddr); err != nil {
		t.Fatalf("READY=1 before the SMTP listener took connections: %v", err)
	} else {
		c.Close()
	}
	read("WATCHDOG=1")
	read("WATCHDOG=1")
}
