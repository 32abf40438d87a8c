package imapfetch_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailbox"
)

// dovecotUsers all have imapPassword.
var dovecotUsers = []string{"seen@acme.example", "move@acme.example", "delete@acme.example", "bench@acme.example", "oauth@acme.example"}

// startDovecot runs a throwaway Dovecot on 127.0.0.1: its own config, state, sockets and maildirs
// in a temporary folder, its own port — never the system's instance on port 143. Without the
// dovecot binary the test is skipped, except in CI, where it fails.
//
// extra is appended to the configuration (a later setting overrides an earlier one).
func startDovecot(t testing.TB, extra ...string) (accountFor func(user string) account) {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/dovecot"); serr == nil {
			bin, err = "/usr/sbin/dovecot", nil
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("dovecot is not installed, and CI must run the Dovecot tests: apt-get install dovecot-imapd")
		}
		t.Skip("dovecot is not installed (apt-get install dovecot-imapd): skipping the test against a real IMAP server")
	}
	// A short path: Dovecot's unix sockets live in base_dir, and socket paths are limited to ~100 bytes.
	dir, err := os.MkdirTemp("", "pd-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// The mail processes run as an unprivileged user when we are root (Dovecot refuses uid 0 for
	// mail and for its login processes), and must reach the maildirs.
	mailUID, mailGID, loginUser, internalUser := strconv.Itoa(os.Getuid()), strconv.Itoa(os.Getgid()), "", ""
	if cur, err := user.Current(); err == nil {
		loginUser, internalUser = cur.Username, cur.Username
	}
	if os.Getuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("dovecot: need the user nobody to run mail processes as: %v", err)
		}
		mailUID, mailGID, internalUser, loginUser = nobody.Uid, nobody.Gid, "root", nobody.Username
		if _, err := user.Lookup("dovenull"); err == nil {
			loginUser = "dovenull"
		}
	}
	for _, d := range []string{"run", "state", "mail", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o777); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Join(dir, "mail"), 0o777)
	os.Chmod(filepath.Join(dir, "home"), 0o777)
	var pw strings.Builder
	for _, u := range dovecotUsers {
		fmt.Fprintf(&pw, "%s:{PLAIN}%s::::::\n", u, imapPassword)
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(pw.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	out, _ := exec.Command(bin, "--version").Output()
	version := strings.TrimSpace(string(out))
	conf := dovecotConf(version, dir, port, mailUID, mailGID, loginUser, internalUser)
	for _, e := range extra {
		conf += strings.ReplaceAll(e, "DIR", dir)
	}
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-F", "-c", confPath)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("dovecot: start: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	logs := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
		return stderr.String() + string(b)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("dovecot %s exited at start:\n%s", version, logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dovecot %s did not listen on %s:\n%s", version, addr, logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("dovecot %s on %s", version, addr)
	return func(u string) account {
		return account{host: "127.0.0.1", port: port, tls: mailbox.TLSNone, user: u, pass: imapPassword}
	}
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// dovecotConf is a minimal configuration: passwd-file users, maildirs, IMAP on 127.0.0.1 without
// TLS. Dovecot 2.4 changed the format; Debian 12 ships 2.3.
func dovecotConf(version, dir string, port int, uid, gid, loginUser, internalUser string) string {
	common := fmt.Sprintf(`protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = postdesk-test-%[2]d
log_path = %[1]s/dovecot.log
ssl = no
auth_mechanisms = plain login
default_internal_user = %[3]s
default_internal_group = %[3]s
default_login_user = %[4]s
first_valid_uid = 0
first_valid_gid = 0
mail_fsync = never
service imap-login {
  inet_listener imap {
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
}
`, dir, port, internalUser, loginUser)
	if strings.HasPrefix(version, "2.4") || strings.HasPrefix(version, "3.") {
		return "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n" + common + fmt.Sprintf(`auth_allow_cleartext = yes
mail_driver = maildir
mail_home = %[1]s/home/%%{user}
mail_path = %[1]s/mail/%%{user}
passdb passwd-file {
  passwd_file_path = %[1]s/passwd
}
userdb static {
  fields {
    uid = %[2]s
    gid = %[3]s
    home = %[1]s/home/%%{user}
  }
}
`, dir, uid, gid)
	}
	return common + fmt.Sprintf(`disable_plaintext_auth = no
mail_location = maildir:%[1]s/mail/%%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[2]s gid=%[3]s home=%[1]s/home/%%u
}
`, dir, uid, gid)
}

func TestIMAPDovecot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		acct := startDovecot(t)
		f := newFixture(t, d)
		since := time.Now().Add(-time.Hour)
		boxes := map[string]account{}
		for _, after := range []string{"seen", "move:Processed", "delete"} {
			a := acct(strings.SplitN(after, ":", 2)[0] + "@acme.example")
			boxes[after] = a
			c := a.dial(t)
			// Mail already there, one of it read in somebody's client; a reply to the first.
			who := strings.SplitN(a.user, "@", 2)[0]
			a.appendMail(t, c, "INBOX", mail(who+"-1", "Refund for "+who), time.Now())
			a.appendMail(t, c, "INBOX", mail(who+"-2", "Read already by "+who), time.Now(), imap.FlagSeen)
			a.appendMail(t, c, "INBOX", mail(who+"-3", "Re: Refund for "+who,
				fmt.Sprintf("In-Reply-To: <%s-1@customer.example>", who), fmt.Sprintf("References: <%s-1@customer.example>", who)), time.Now())
			c.Close()
			f.addMailbox(t, a, "INBOX", after, &since)
		}
		f.run(t, f.deliverer())
		waitFor(t, 30*time.Second, "the mail of three mailboxes", func() bool { return f.messageCount(t) == 9 })
		if n := len(f.tickets(t)); n != 6 {
			t.Fatalf("%d tickets, want 6 (each reply joins its ticket)", n)
		}
		check := func(want int) {
			t.Helper()
			defer func() {
				if t.Failed() {
					for after, a := range boxes {
						t.Logf("%s: INBOX %v", after, a.folderState(t, "INBOX"))
					}
					t.Logf("Processed: %v", boxes["move:Processed"].folderState(t, "Processed"))
				}
			}()
			waitFor(t, 30*time.Second, "the after-actions", func() bool {
				seen := boxes["seen"].folderState(t, "INBOX")
				for _, flags := range seen {
					if !hasFlag(flags, imap.FlagSeen) {
						return false
					}
				}
				return len(seen) == want &&
					len(boxes["move:Processed"].folderState(t, "INBOX")) == 0 &&
					len(boxes["move:Processed"].folderState(t, "Processed")) == want &&
					len(boxes["delete"].folderState(t, "INBOX")) == 0
			})
		}
		check(3)
		// New mail is pushed (IDLE) to each of them.
		for _, a := range boxes {
			who := strings.SplitN(a.user, "@", 2)[0]
			a.appendMail(t, nil, "INBOX", mail(who+"-4", "Another question from "+who), time.Now())
		}
		waitFor(t, 30*time.Second, "the pushed mail", func() bool { return f.messageCount(t) == 12 })
		check(4)
	})
}

// BenchmarkImportDovecot measures a backlog import: 5,000 varied messages (~10 KB, some with
// attachments, about half replies) in a Dovecot mailbox, from the first poll until all are stored.
//
//	go test -run '^$' -bench ImportDovecot -benchtime 1x ./mailer/imapfetch
func BenchmarkImportDovecot(b *testing.B) {
	const n = 5000
	acct := startDovecot(b)("bench@acme.example")
	fillDovecot(b, acct, n)
	for _, e := range dbtest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				f := newFixture(b, dbtest.Open(b, e))
				f.log = slog.New(slog.DiscardHandler)
				since := time.Now().Add(-24 * time.Hour)
				f.addMailbox(b, acct, "INBOX", "seen", &since)
				b.StartTimer()
				start := time.Now()
				_, stop := f.run(b, f.deliverer())
				waitForEvery(b, 100*time.Millisecond, 5*time.Minute, "the import", func() bool { return f.messageCount(b) == n })
				took := time.Since(start)
				b.StopTimer()
				stop()
				b.ReportMetric(float64(n)/took.Seconds(), "msgs/s")
				b.ReportMetric(float64(len(f.tickets(b))), "tickets")
				b.StartTimer()
			}
		})
	}
}

func waitForEvery(t testing.TB, every, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(every)
	}
}

// fillDovecot appends n messages over four connections, each pipelining its APPENDs.
func fillDovecot(t testing.TB, a account, n int) {
	t.Helper()
	start := time.Now()
	const conns = 4
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := imapclient.DialInsecure(a.addr(), nil)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			if err := c.Login(a.user, a.pass).Wait(); err != nil {
				errs <- err
				return
			}
			var pending []*imapclient.AppendCommand
			for i := w; i < n; i += conns {
				raw := benchMessage(i)
				cmd := c.Append("INBOX", int64(len(raw)), nil)
				io.WriteString(cmd, raw)
				if err := cmd.Close(); err != nil {
					errs <- err
					return
				}
				pending = append(pending, cmd)
				if len(pending) == 50 {
					for _, p := range pending {
						if _, err := p.Wait(); err != nil {
							errs <- err
							return
						}
					}
					pending = pending[:0]
				}
			}
			for _, p := range pending {
				if _, err := p.Wait(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("fill: %v", err)
	}
	t.Logf("filled the mailbox with %d messages in %s", n, time.Since(start).Round(time.Millisecond))
}

var benchBody = strings.Repeat("The printer keeps on jamming and the toner is leaking everywhere, again. ", 135)

// benchMessage is message i of a realistic mix: 300 customers, ~10 KB of text, every tenth with a
// small PDF attached, and about half of them replies to a message 40 earlier.
func benchMessage(i int) string {
	var h strings.Builder
	cust := i % 300
	fmt.Fprintf(&h, "Return-Path: <c%d@customer.example>\r\nFrom: Customer %d <c%d@customer.example>\r\nTo: support@acme.example\r\n", cust, cust, cust)
	fmt.Fprintf(&h, "Message-ID: <bench-%d@customer.example>\r\nDate: Mon, 02 Mar 2026 10:%02d:%02d +0000\r\nMIME-Version: 1.0\r\n", i, (i/60)%60, i%60)
	subject := fmt.Sprintf("Order %d does not print", i)
	if i >= 40 && i%2 == 1 {
		subject = fmt.Sprintf("Re: Order %d does not print", i-40)
		fmt.Fprintf(&h, "In-Reply-To: <bench-%d@customer.example>\r\nReferences: <bench-%d@customer.example>\r\n", i-40, i-40)
	}
	fmt.Fprintf(&h, "Subject: %s\r\n", subject)
	text := fmt.Sprintf("Hello,\r\n\r\nmessage %d.\r\n%s\r\n", i, benchBody)
	if i%10 != 0 {
		return h.String() + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text
	}
	pdf := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte(fmt.Sprintf("%%PDF-1.4 invoice %d ", i)), 200))
	var wrapped strings.Builder
	for len(pdf) > 76 {
		wrapped.WriteString(pdf[:76] + "\r\n")
		pdf = pdf[76:]
	}
	wrapped.WriteString(pdf + "\r\n")
	return h.String() + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		wrapped.String() + "--b--\r\n"
}
