package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/dbtest"
)

// postfixBin is Debian's postfix command, or "" (the test then skips, and fails on CI).
func postfixBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("postfix")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/postfix"); serr == nil {
			bin, err = "/usr/sbin/postfix", nil
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("postfix is not installed, and CI must run the Postfix tests: apt-get install postfix")
		}
		t.Skip("postfix is not installed (apt-get install postfix): skipping the test through a real Postfix")
	}
	if os.Getuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the Postfix test must run as root (Postfix starts as root and drops to the user postfix)")
		}
		t.Skip("the Postfix test runs as root only (Postfix starts as root and drops to the user postfix)")
	}
	return bin
}

// postfixInstance is a throwaway Postfix: its config, queue and data in a temporary folder, its
// smtpd on a free port of 127.0.0.1, nothing local (mydestination empty), the test domain routed
// by the transport map the test gives — never the system's instance, port 25 or /etc/postfix.
type postfixInstance struct {
	dir, queue, addr string
}

func (p *postfixInstance) maillog() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "maillog"))
	return string(b)
}

// newPostfix lays out the folders; start writes the config with the transport map and starts it.
func newPostfix(t *testing.T) *postfixInstance {
	t.Helper()
	// A short path, traversable by the user postfix: unix socket paths are limited to ~100 bytes,
	// and Postfix's daemons drop to the user postfix.
	dir, err := os.MkdirTemp("", "pd-postfix-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &postfixInstance{dir: dir, queue: filepath.Join(dir, "queue")}
	for _, d := range []string{"conf", "queue", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	pf, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("postfix is installed but there is no user postfix: %v", err)
	}
	uid, _ := strconv.Atoi(pf.Uid)
	gid, _ := strconv.Atoi(pf.Gid)
	// Postfix creates the queue's folders itself at start; the data folder must be its own.
	if err := os.Chown(filepath.Join(dir, "data"), uid, gid); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *postfixInstance) start(t *testing.T, bin, transport string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	ln.Close()
	conf := filepath.Join(p.dir, "conf")
	main := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.test.invalid
mydomain = test.invalid
mydestination =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtp_dns_support_level = disabled
lmtp_tls_security_level = none
relay_domains = desk.example
transport_maps = texthash:%[1]s/conf/transport
`, p.dir)
	// No chroot (Debian's master.cf chroots the delivery agents into the queue folder; a
	// relative socket path such as private/x or postdesk/lmtp reads the same either way).
	master := "" +
		p.addr + "  inet  n - n - - smtpd\n" +
		"pickup    unix  n - n 60 1 pickup\n" +
		"cleanup   unix  n - n - 0 cleanup\n" +
		"qmgr      unix  n - n 300 1 qmgr\n" +
		"rewrite   unix  - - n - - trivial-rewrite\n" +
		"bounce    unix  - - n - 0 bounce\n" +
		"defer     unix  - - n - 0 bounce\n" +
		"trace     unix  - - n - 0 bounce\n" +
		"verify    unix  - - n - 1 verify\n" +
		"flush     unix  n - n 1000 0 flush\n" +
		"proxymap  unix  - - n - - proxymap\n" +
		"smtp      unix  - - n - - smtp\n" +
		"relay     unix  - - n - - smtp\n" +
		"lmtp      unix  - - n - - lmtp\n" +
		"error     unix  - - n - - error\n" +
		"retry     unix  - - n - - error\n" +
		"discard   unix  - - n - - discard\n" +
		"anvil     unix  - - n - 1 anvil\n" +
		"scache    unix  - - n - 1 scache\n" +
		"postlog   unix-dgram n - n - 1 postlogd\n"
	for name, body := range map[string]string{"main.cf": main, "master.cf": master, "transport": transport + "\n"} {
		if err := os.WriteFile(filepath.Join(conf, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(bin, "-c", conf, "start").CombinedOutput(); err != nil {
		t.Fatalf("postfix -c %s start: %v\n%s\nmaillog:\n%s", conf, err, out, p.maillog())
	}
	t.Cleanup(func() {
		if out, err := exec.Command(bin, "-c", conf, "stop").CombinedOutput(); err != nil {
			t.Errorf("postfix stop: %v\n%s", err, out)
		}
		if t.Failed() {
			t.Logf("Postfix's maillog:\n%s", p.maillog())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("postfix does not listen on %s:\n%s", p.addr, p.maillog())
		}
	}
}

// waitTicket waits until property acme has Ann's ticket with subject (the maillog is logged
// when the test fails).
func waitTicket(t *testing.T, dsn, subject string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var list []listedTicket
		if err := json.Unmarshal([]byte(must(t, dsn, "tickets", "list", "--property", "acme", "--json")), &list); err != nil {
			t.Fatal(err)
		}
		for _, tk := range list {
			if tk.Subject == subject && tk.Customer == "ann@customer.example" {
				return
			}
		}
	}
	t.Fatalf("no ticket %q came through Postfix", subject)
}

// The README's recipes, end to end through a real Postfix: mail submitted to Postfix for the
// postdesk domain lands on a ticket, over LMTP on a unix socket in Postfix's queue folder
// (Postfix's lmtp client runs as the user postfix: the socket's mode and group let it in), and
// over SMTP.
func TestPostfixDeliversToPostdesk(t *testing.T) {
	t.Parallel()
	bin := postfixBin(t)
	t.Run("lmtp unix socket", func(t *testing.T) {
		dsn := dbtest.Engines()[0].DSN(t)
		must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "support@acme.example", "--domain", "desk.example")
		pf := newPostfix(t)
		// The README: a folder of postdesk's in Postfix's queue folder, open to the group postfix.
		sockDir := filepath.Join(pf.queue, "postdesk")
		if err := os.MkdirAll(sockDir, 0o750); err != nil {
			t.Fatal(err)
		}
		g, err := user.LookupGroup("postfix")
		if err != nil {
			t.Fatal(err)
		}
		gid, _ := strconv.Atoi(g.Gid)
		if err := os.Chown(sockDir, -1, gid); err != nil {
			t.Fatal(err)
		}
		os.Chmod(sockDir, 0o750)
		// postdesk first: mail Postfix cannot hand over waits minutes for its next try.
		startServe(t, dsn, "--lmtp", filepath.Join(sockDir, "lmtp"))
		pf.start(t, bin, "desk.example    lmtp:unix:postdesk/lmtp")
		if err := sendMail(t, pf.addr, "ann@customer.example", []string{"acme@desk.example"},
			"From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Through Postfix over LMTP\nMessage-ID: <pf-lmtp@customer.example>\n\nHello.\n"); err != nil {
			t.Fatalf("postfix refused the mail: %v\n%s", err, pf.maillog())
		}
		waitTicket(t, dsn, "Through Postfix over LMTP")
		if log := pf.maillog(); !strings.Contains(log, "status=sent") || strings.Contains(log, "Permission denied") {
			t.Errorf("postfix's log:\n%s", log)
		}
	})
	t.Run("smtp", func(t *testing.T) {
		dsn := dbtest.Engines()[0].DSN(t)
		must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme", "--from", "support@acme.example", "--domain", "desk.example")
		smtpAddr, _ := startServe(t, dsn)
		pf := newPostfix(t)
		pf.start(t, bin, "desk.example    smtp:["+strings.Replace(smtpAddr, ":", "]:", 1))
		if err := sendMail(t, pf.addr, "ann@customer.example", []string{"acme@desk.example"},
			"From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Through Postfix over SMTP\nMessage-ID: <pf-smtp@customer.example>\n\nHello.\n"); err != nil {
			t.Fatalf("postfix refused the mail: %v\n%s", err, pf.maillog())
		}
		waitTicket(t, dsn, "Through Postfix over SMTP")
	})
}
