package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

func TestTrashPurgeAndSpam(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		n := e.customer(e.acme, "ann@example.org", "Junk?", "Buy now")
		path := fmt.Sprintf("/tickets/%d", n)

		// Purging is the second step, never the first.
		e.as("manager", "DELETE", path+"/purge", nil).want(t, 409, "")
		e.as("support", "DELETE", path, nil).want(t, 200, "")
		var l listJSON
		e.as("support", "GET", "/tickets?view=trash", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 1 || !l.Tickets[0].Deleted {
			t.Fatalf("trash: %+v", l.Tickets)
		}
		e.as("support", "POST", path+"/restore", nil).want(t, 200, "")
		e.as("support", "GET", path, nil).want(t, 200, "")
		e.as("support", "DELETE", path, nil).want(t, 200, "")
		e.as("support", "DELETE", path+"/purge", nil).want(t, 403, "")
		e.as("manager", "DELETE", path+"/purge", nil).want(t, 204, "")
		e.as("manager", "DELETE", path+"/purge", nil).want(t, 404, "")
		e.as("support", "POST", path+"/restore", nil).want(t, 404, "")

		s := e.customer(e.acme, "spammer@example.net", "Cheap pills", "Buy now")
		tk := e.as("support", "POST", fmt.Sprintf("/tickets/%d/spam", s), nil).want(t, 200, "").ticket(t)
		if tk.Number != s {
			t.Fatalf("spam: %+v", tk)
		}
		e.as("support", "GET", "/tickets?view=spam", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 1 || l.Tickets[0].Number != s || !l.Tickets[0].Spam {
			t.Fatalf("spam view: %+v", l.Tickets)
		}
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/unspam", s), nil).want(t, 200, "")
		e.as("support", "GET", "/tickets?view=spam", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 0 {
			t.Fatalf("spam view after unspam: %v", l.numbers())
		}
	})
}

func TestContactsHistoryAndBlocking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		e.customer(e.acme, "Ann <ann@example.org>", "First", "x")
		e.customer(e.acme, "Ann <ann@example.org>", "Second", "y")
		e.customer(e.acme, "pest@example.net", "Spam", "z")
		e.customer(e.beta, "ann@example.org", "Beta's own", "w")

		var cs struct {
			Contacts []struct {
				Email   string
				Tickets int64
			}
			Next string
		}
		e.as("support", "GET", "/contacts?limit=1", nil).want(t, 200, "").decode(t, &cs)
		if len(cs.Contacts) != 1 || cs.Contacts[0].Email != "ann@example.org" || cs.Contacts[0].Tickets != 2 || cs.Next == "" {
			t.Fatalf("contacts page 1: %+v", cs)
		}
		e.as("support", "GET", "/contacts?limit=1&after="+cs.Next, nil).want(t, 200, "").decode(t, &cs)
		if len(cs.Contacts) != 1 || cs.Contacts[0].Email != "pest@example.net" {
			t.Fatalf("contacts page 2: %+v", cs)
		}
		e.as("support", "GET", "/contacts?q=PEST", nil).want(t, 200, "").decode(t, &cs)
		if len(cs.Contacts) != 1 {
			t.Fatalf("contacts search: %+v", cs)
		}
		e.as("support", "GET", "/contacts?limit=0", nil).want(t, 400, "limit")
		e.as("support", "GET", "/contacts?sort=x", nil).want(t, 400, "sort")

		var h struct {
			Contact struct{ Email string }
			Tickets []struct {
				Subject  string
				Messages []struct{ Trimmed string }
			}
		}
		e.as("support", "GET", "/contacts/ann@example.org", nil).want(t, 200, "").decode(t, &h)
		if h.Contact.Email != "ann@example.org" || len(h.Tickets) != 2 || h.Tickets[0].Subject != "Second" {
			t.Fatalf("history: %+v", h)
		}
		e.as("support", "GET", "/contacts/nobody@example.org", nil).want(t, 404, "")
		e.as("support", "GET", "/contacts/not-an-address", nil).want(t, 400, "email")

		var blocked struct {
			Blocked bool
			Removed struct{ Messages, Tickets int64 }
		}
		e.as("manager", "POST", "/contacts/pest@example.net/block", nil).want(t, 200, "").decode(t, &blocked)
		if !blocked.Blocked || blocked.Removed.Messages != 1 || blocked.Removed.Tickets != 1 {
			t.Fatalf("block: %+v", blocked)
		}
		e.as("manager", "POST", "/contacts/admin@acme.example/block", nil).want(t, 422, "email")
		e.as("manager", "POST", "/contacts/support@acme.example/block", nil).want(t, 422, "email") // an agent
		e.as("manager", "POST", "/contacts/acme@desk.example/block", nil).want(t, 422, "email")    // our own address
		e.as("manager", "POST", "/contacts/pest@example.net/unblock", nil).want(t, 204, "")
		// Blocking on acme leaves beta's contact of the same address alone.
		e.as("manager", "POST", "/contacts/ann@example.org/block", nil).want(t, 200, "")
		var l listJSON
		e.do("GET", "/api/v1/properties/beta/tickets", e.token["beta"], nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 1 {
			t.Fatalf("beta's tickets after blocking on acme: %v", l.numbers())
		}
	})
}

func TestExportDownloadsOrMailsUpTo100Tickets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		var numbers []int64
		for i := range 101 {
			numbers = append(numbers, e.customer(e.acme, fmt.Sprintf("c%d@example.org", i), fmt.Sprintf("Ticket %d", i), "hello"))
		}
		r := e.as("manager", "POST", "/export", map[string]any{"numbers": numbers[:100]}).want(t, 200, "")
		_, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
		if err != nil || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") || !strings.HasPrefix(params["filename"], "acme-tickets-") {
			t.Fatalf("Content-Disposition %q: %v", r.header.Get("Content-Disposition"), err)
		}
		var ex struct {
			Property string
			Tickets  []struct {
				Number   int64
				Messages []struct{ Text string }
			}
		}
		r.decode(t, &ex)
		if ex.Property != "acme" || len(ex.Tickets) != 100 || ex.Tickets[99].Number != numbers[99] || ex.Tickets[0].Messages[0].Text == "" {
			t.Fatalf("export: %d tickets", len(ex.Tickets))
		}
		r = e.as("manager", "POST", "/export", map[string]any{"numbers": numbers}).want(t, 400, "numbers")
		if _, msg, _ := r.apiError(t); !strings.Contains(msg, "at most 100") {
			t.Fatalf("101 tickets: %q", msg)
		}
		e.as("manager", "POST", "/export", map[string]any{"numbers": []int64{}}).want(t, 400, "numbers")
		e.as("manager", "POST", "/export", map[string]any{"numbers": []int64{numbers[0], 5000}}).want(t, 404, "")
		e.as("manager", "POST", "/export", map[string]any{"numbers": []int64{1}, "mail_to": "nope"}).want(t, 400, "mail_to")
		// Customer data is mailed only to the property's agents: not to anyone, not to another
		// property's agent.
		e.as("manager", "POST", "/export", map[string]any{"numbers": []int64{1}, "mail_to": "someone@elsewhere.example"}).want(t, 400, "mail_to")
		e.as("manager", "POST", "/export", map[string]any{"numbers": []int64{1}, "mail_to": "boss@beta.example"}).want(t, 400, "mail_to")

		var queued struct {
			Queued    bool
			MessageID string `json:"message_id"`
		}
		e.as("manager", "POST", "/export", map[string]any{"numbers": numbers[:2], "mail_to": "Owner@Acme.example"}).want(t, 202, "").decode(t, &queued)
		if !queued.Queued || e.kicked != 1 {
			t.Fatalf("mailed export: %+v, sender kicked %d times", queued, e.kicked)
		}
		var rows []struct {
			From  string `db:"mail_from"`
			Rcpts string `db:"rcpts"`
			Kind  string `db:"kind"`
			Raw   []byte `db:"raw"`
		}
		if err := d.SelectContext(context.Background(), &rows, d.Rebind(`SELECT mail_from, rcpts, kind, raw FROM outbox WHERE message_id = ?`), queued.MessageID); err != nil || len(rows) != 1 {
			t.Fatalf("outbox: %v %v", rows, err)
		}
		if rows[0].From != "support@acme.example" || rows[0].Rcpts != "owner@acme.example" || rows[0].Kind != "export" {
			t.Fatalf("outbox row: %+v", rows[0])
		}
		mr, err := mail.CreateReader(bytes.NewReader(rows[0].Raw))
		if err != nil {
			t.Fatal(err)
		}
		var attached []byte
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if ah, ok := p.Header.(*mail.AttachmentHeader); ok {
				if name, _ := ah.Filename(); strings.HasSuffix(name, ".json") {
					attached, _ = io.ReadAll(p.Body)
				}
			}
		}
		var mailed tickets.Export
		if err := json.Unmarshal(attached, &mailed); err != nil || len(mailed.Tickets) != 2 {
			t.Fatalf("attached export: %v, %d tickets", err, len(mailed.Tickets))
		}
	})
}

func TestAttachmentsDownloadSafelyAndHTMLIsSanitised(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		n := e.mail(e.acme, `From: Ann <ann@example.org>
To: acme@desk.example
Subject: Photos
Message-ID: <photos@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/html; charset=utf-8

<p onclick="steal()">Look <b>here</b><script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">link</a></p>
--b1
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.txt

my résumé
--b1--
`)
		var v struct {
			Messages []struct {
				HTMLURL     string `json:"html_url"`
				Attachments []struct{ URL string }
			}
		}
		e.as("support", "GET", fmt.Sprintf("/tickets/%d", n), nil).want(t, 200, "").decode(t, &v)
		if len(v.Messages) != 1 || v.Messages[0].HTMLURL == "" || len(v.Messages[0].Attachments) != 1 {
			t.Fatalf("detail: %+v", v)
		}
		r := e.do("GET", v.Messages[0].Attachments[0].URL, e.token["support"], nil).want(t, 200, "")
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("attachment headers: %v", r.header)
		}
		cd := r.header.Get("Content-Disposition")
		if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, `filename*=UTF-8''r%C3%A9sum%C3%A9%20final.txt`) || !strings.Contains(cd, `filename="r_sum_ final.txt"`) {
			t.Fatalf("Content-Disposition: %s", cd)
		}
		if _, params, err := mime.ParseMediaType(cd); err != nil || params["filename"] != "résumé final.txt" {
			t.Fatalf("Content-Disposition does not parse back to the name: %v %v", params, err)
		}
		if strings.TrimSpace(string(r.body)) != "my résumé" {
			t.Fatalf("attachment bytes: %q", r.body)
		}
		// Another property's token cannot fetch it, nor can acme fetch beta's files by ID.
		e.do("GET", v.Messages[0].Attachments[0].URL, e.token["beta"], nil).want(t, 404, "")
		e.do("GET", strings.Replace(v.Messages[0].Attachments[0].URL, "/acme/", "/beta/", 1), e.token["beta"], nil).want(t, 404, "")
		e.do("GET", strings.Replace(v.Messages[0].HTMLURL, "/acme/", "/beta/", 1), e.token["beta"], nil).want(t, 404, "")
		e.as("support", "GET", "/attachments/0", nil).want(t, 400, "id")

		r = e.do("GET", v.Messages[0].HTMLURL, e.token["support"], nil).want(t, 200, "")
		html := string(r.body)
		for _, bad := range []string{"<script", "alert(1)", "onerror", "onclick", "javascript:"} {
			if strings.Contains(html, bad) {
				t.Errorf("sanitised HTML still has %q: %s", bad, html)
			}
		}
		if !strings.Contains(html, "Look <b>here</b>") {
			t.Errorf("sanitised HTML lost the text: %s", html)
		}
		csp := r.header.Get("Content-Security-Policy")
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") {
			t.Fatalf("HTML headers: %v", r.header)
		}
		plain := e.customer(e.acme, "bob@example.org", "Plain", "no html")
		var pv struct{ Messages []struct{ ID int64 } }
		e.as("support", "GET", fmt.Sprintf("/tickets/%d", plain), nil).want(t, 200, "").decode(t, &pv)
		e.as("support", "GET", fmt.Sprintf("/messages/%d/html", pv.Messages[0].ID), nil).want(t, 404, "")
	})
}
