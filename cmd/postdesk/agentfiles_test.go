package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/filelink"
	"github.com/postdesk/postdesk/mailer/mailertest"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
)

// Agents work from their mail client: the files a customer sends reach them with the copy —
// attached up to the property's limit, above it as a signed link that serve answers without a
// session. Real SMTP in, the capturing relay out, both engines.

// attachment is one file of a mail a test writes.
type attachment struct {
	name, contentType string
	data              []byte
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// withFiles is the MIME header lines and body of a mail with text and files.
func withFiles(text string, files ...attachment) (header, body string) {
	const boundary = "b0undary-of-the-test"
	var b strings.Builder
	fmt.Fprintf(&b, "--%s\nContent-Type: text/plain; charset=utf-8\n\n%s\n", boundary, text)
	for _, f := range files {
		fmt.Fprintf(&b, "--%s\nContent-Type: %s\nContent-Disposition: attachment; filename=\"%s\"\nContent-Transfer-Encoding: base64\n\n", boundary, f.contentType, f.name)
		enc := base64.StdEncoding.EncodeToString(f.data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\n")
	}
	fmt.Fprintf(&b, "--%s--\n", boundary)
	return "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"" + boundary + "\"\n", b.String()
}

// parts is a sent mail's plain text, decoded, and the files it carries attached, by name.
func parts(t *testing.T, m sentMail) (text string, files map[string][]byte) {
	t.Helper()
	r, err := gomail.CreateReader(strings.NewReader(m.raw))
	if err != nil {
		t.Fatal(err)
	}
	files = map[string][]byte{}
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return text, files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		switch h := p.Header.(type) {
		case *gomail.AttachmentHeader:
			name, _ := h.Filename()
			files[name] = b
		case *gomail.InlineHeader:
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				text = strings.ReplaceAll(string(b), "\r\n", "\n")
			}
		}
	}
}

var fileLinkRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/files/[0-9A-Za-z._-]+`)

// links is the file links a copy's text holds, by the file's name on the line before.
func links(t *testing.T, text string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if u := fileLinkRE.FindString(l); u != "" && i > 0 {
			name, _, _ := strings.Cut(strings.TrimPrefix(lines[i-1], "- "), " (")
			out[name] = u
		}
	}
	return out
}

type fetched struct {
	status int
	h      http.Header
	body   []byte
}

func get(t *testing.T, url string) fetched {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fetched{res.StatusCode, res.Header, b}
}

// downloads checks that url answers want as a safe download of name.
func downloads(t *testing.T, url, name, contentType string, want []byte) {
	t.Helper()
	r := get(t, url)
	if r.status != http.StatusOK || !bytes.Equal(r.body, want) {
		t.Fatalf("GET %s: %d, %d bytes (want %d)", url, r.status, len(r.body), len(want))
	}
	for k, v := range map[string]string{
		"Content-Type": contentType, "Content-Length": strconv.Itoa(len(want)), "X-Content-Type-Options": "nosniff",
		"Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer",
	} {
		if got := r.h.Get(k); got != v {
			t.Errorf("GET %s: %s is %q, want %q", url, k, got, v)
		}
	}
	if d := r.h.Get("Content-Disposition"); !strings.HasPrefix(d, `attachment; filename="`+name+`"`) {
		t.Errorf("GET %s: Content-Disposition %q", url, d)
	}
}

// refused checks that url is refused with status, naming nothing of any file.
func refused(t *testing.T, url string, status int, files ...[]byte) {
	t.Helper()
	r := get(t, url)
	if r.status != status || r.h.Get("Content-Disposition") != "" || len(r.body) > 200 {
		t.Fatalf("GET %s: %d %q, want %d", url, r.status, r.body, status)
	}
	for _, f := range files {
		if bytes.Contains(r.body, f[:16]) {
			t.Fatalf("GET %s: the answer holds a file's bytes", url)
		}
	}
}

// claims reads a link's token (the test checks what it names; only serve verifies it).
func claims(t *testing.T, url string) filelink.Claims {
	t.Helper()
	f := strings.Split(url[strings.LastIndex(url, "/")+1:], ".")
	if len(f) != 4 {
		t.Fatalf("link %s", url)
	}
	var n [3]int64
	for i := range n {
		var err error
		if n[i], err = strconv.ParseInt(f[i], 10, 64); err != nil {
			t.Fatalf("link %s: %v", url, err)
		}
	}
	return filelink.Claims{AttachmentID: n[0], PropertyID: n[1], Expires: time.Unix(n[2], 0)}
}

func TestAgentOpensTheCustomersFilesFromTheirCopy(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			// The clock stands 40 days back, so that moving it past a link's 30 days never takes
			// it past the real time the outbox sends by.
			clock := testclock.New(time.Now().UTC().Add(-40 * 24 * time.Hour).Truncate(time.Second))
			relay := mailertest.Start(t)
			must(t, dsn, "property", "add", "--slug", "acme", "--name", "Acme Support", "--from", "support@acme.example", "--domain", "desk.example")
			for _, a := range []string{"alice", "bob", "carol"} {
				must(t, dsn, "agent", "add", "--property", "acme", "--email", a+"@acme.example", "--name", strings.ToUpper(a[:1])+a[1:])
			}
			must(t, dsn, "property", "add", "--slug", "globex", "--name", "Globex", "--from", "help@globex.example", "--domain", "desk.example")
			must(t, dsn, "agent", "add", "--property", "globex", "--email", "dave@globex.example", "--name", "Dave")
			must(t, dsn, "property", "set", "--slug", "acme", "--attach-limit", "1MB")
			if out := must(t, dsn, "property", "list", "--json"); !strings.Contains(out, `"attach_limit": 1000000`) || !strings.Contains(out, `"attach_limit": 10000000`) {
				t.Fatalf("property list: %s", out)
			}
			smtpAddr, httpAddr := startServeWith(t, dsn, clock.Now, "--relay", relay.Addr, "--relay-tls", "none")
			d := &agentDesk{desk: &desk{t: t, dsn: dsn, smtp: smtpAddr, relay: relay}, copies: map[string]sentMail{}}

			// Ann sends an invoice (small) and a video (above Acme's 1 MB once the invoice is in).
			invoice := attachment{"invoice.pdf", "application/pdf", randomBytes(t, 3000)}
			video := attachment{"video.mp4", "video/mp4", randomBytes(t, 1_200_000)}
			h, body := withFiles("It burns, see the video.", invoice, video)
			d.customerMail("From: Ann <ann@customer.example>\nTo: support@acme.example\nSubject: Printer on fire\nMessage-ID: <f1@customer.example>\n" + h + "\n" + body)
			ms := d.newMail(4)
			if _, files := parts(t, to(ms, "ann@customer.example")[0]); len(files) != 0 {
				t.Fatalf("the acknowledgement carries files: %v", files)
			}
			var videoURL string
			for _, a := range []string{"alice", "bob", "carol"} {
				c := to(ms, a+"@acme.example")
				if len(c) != 1 {
					t.Fatalf("%s got %d notifications", a, len(c))
				}
				d.copies[a] = c[0]
				text, files := parts(t, c[0])
				ls := links(t, text)
				if len(files) != 1 || !bytes.Equal(files["invoice.pdf"], invoice.data) || len(ls) != 1 || ls["video.mp4"] == "" {
					t.Fatalf("%s's copy: files %v, links %v:\n%s", a, len(files), ls, text)
				}
				if !strings.Contains(text, "- invoice.pdf (3.0 kB)\n") || !strings.Contains(text, "- video.mp4 (1.2 MB), download until ") {
					t.Fatalf("%s's copy does not list the files:\n%s", a, c[0].raw)
				}
				videoURL = ls["video.mp4"]
			}
			if !strings.HasPrefix(videoURL, "http://"+httpAddr+"/files/") {
				t.Fatalf("the link %s is not on serve's address %s", videoURL, httpAddr)
			}
			d.quiet()

			// The link opens the video, without a session, as a download; a changed link does not.
			downloads(t, videoURL, "video.mp4", "video/mp4", video.data)
			vc := claims(t, videoURL)
			refused(t, videoURL[:len(videoURL)-1]+map[bool]string{true: "A", false: "B"}[!strings.HasSuffix(videoURL, "A")], http.StatusNotFound, video.data)
			refused(t, strings.Replace(videoURL, fmt.Sprintf("/files/%d.", vc.AttachmentID), fmt.Sprintf("/files/%d.", vc.AttachmentID-1), 1), http.StatusNotFound, invoice.data)
			refused(t, "http://"+httpAddr+"/files/", http.StatusNotFound)

			// Bob's work: assigned, then Alice answers from her copy with a file above the limit.
			// Ann gets it attached, as always; Bob's copy links it.
			d.cli("tickets", "assign", "--property", "acme", "--as", "alice@acme.example", "1", "bob@acme.example")
			d.seen = len(d.sent(5))
			manual := attachment{"manual.pdf", "application/pdf", randomBytes(t, 1_100_000)}
			h, body = withFiles("Here is the manual; read page 3.", manual)
			d.replyAs("alice", body, h)
			ms = d.newMail(2)
			if _, files := parts(t, to(ms, "ann@customer.example")[0]); !bytes.Equal(files["manual.pdf"], manual.data) {
				t.Fatalf("Ann's reply does not carry the manual: %v", files)
			}
			text, files := parts(t, to(ms, "bob@acme.example")[0])
			if len(files) != 0 || links(t, text)["manual.pdf"] == "" {
				t.Fatalf("Bob's copy of the reply: files %d:\n%s", len(files), text)
			}
			manualURL := links(t, text)["manual.pdf"]
			downloads(t, manualURL, "manual.pdf", "application/pdf", manual.data)
			d.quiet()

			// Alice opens a ticket for Ann with a small file: Ann and Bob (the assignee) have it
			// attached.
			dir := t.TempDir()
			label := attachment{"label.txt", "text/plain; charset=utf-8", []byte("Return label: ACME-4711\n")}
			for name, b := range map[string][]byte{"body.txt": []byte("Please print the label.\n"), label.name: label.data} {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			d.cli("tickets", "create", "--property", "acme", "--as", "alice@acme.example", "--to", "ann@customer.example", "--subject", "Your return",
				"--body-file", filepath.Join(dir, "body.txt"), "--assign", "bob@acme.example", "--attach", filepath.Join(dir, label.name))
			ms = d.newMail(2)
			for _, who := range []string{"ann@customer.example", "bob@acme.example"} {
				if _, files := parts(t, to(ms, who)[0]); !bytes.Equal(files["label.txt"], label.data) {
					t.Fatalf("%s's mail of the new ticket does not carry the label: %v", who, files)
				}
			}
			d.quiet()

			// Another property's file: Globex's own link works, but no link — even one signed with
			// the server's secret — opens a file of one property in the name of the other.
			plan := attachment{"plan.pdf", "application/pdf", randomBytes(t, 20_000)}
			must(t, dsn, "property", "set", "--slug", "globex", "--attach-limit", "0")
			h, body = withFiles("Our plan.", plan)
			if err := sendMail(t, smtpAddr, "frank@other.example", []string{"globex@desk.example"},
				"From: Frank <frank@other.example>\nTo: help@globex.example\nSubject: Plan\nMessage-ID: <g1@other.example>\n"+h+"\n"+body); err != nil {
				t.Fatal(err)
			}
			ms = d.newMail(2)
			text, files = parts(t, to(ms, "dave@globex.example")[0])
			planURL := links(t, text)["plan.pdf"]
			if len(files) != 0 || planURL == "" {
				t.Fatalf("Dave's copy (limit 0): files %d:\n%s", len(files), text)
			}
			downloads(t, planURL, "plan.pdf", "application/pdf", plan.data)
			pc := claims(t, planURL)
			ctx := context.Background()
			od, err := db.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer od.Close()
			st, err := tickets.Open(ctx, od)
			if err != nil {
				t.Fatal(err)
			}
			secret, err := st.Secret(ctx)
			if err != nil {
				t.Fatal(err)
			}
			forged := func(att, prop int64) string {
				return "http://" + httpAddr + filelink.Path + filelink.Sign(secret, filelink.Claims{AttachmentID: att, PropertyID: prop, Expires: clock.Now().Add(time.Hour)})
			}
			downloads(t, forged(vc.AttachmentID, vc.PropertyID), "video.mp4", "video/mp4", video.data) // the forger's signing is right
			refused(t, forged(vc.AttachmentID, pc.PropertyID), http.StatusNotFound, video.data)
			refused(t, forged(pc.AttachmentID, vc.PropertyID), http.StatusNotFound, plan.data)
			// Frank is blocked: his ticket and its files are gone, and so is the link's file.
			must(t, dsn, "tickets", "block", "--property", "globex", "frank@other.example")
			refused(t, planURL, http.StatusNotFound, plan.data)
			d.quiet()

			// 30 days later the links have expired.
			clock.Advance(30*24*time.Hour + time.Minute)
			refused(t, videoURL, http.StatusGone, video.data)
			refused(t, manualURL, http.StatusGone, manual.data)
		})
	}
}
