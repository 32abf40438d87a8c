package api_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/api"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// postForm posts an HTML form (application/x-www-form-urlencoded), as a browser does.
func (e *desk) postForm(slug string, v url.Values) response {
	e.t.Helper()
	res, err := http.Post(e.srv.URL+"/api/v1/properties/"+slug+"/form", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func TestContactFormOpensATicketLikeMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		e.do("POST", "/api/v1/properties/acme/form", "", map[string]string{
			"name": "Ann Visitor", "email": "ann@example.org", "subject": "Opening hours", "message": "When are you open?\nThanks",
		}).want(t, 202, "")
		e.postForm("acme", url.Values{"name": {"Bob"}, "email": {"bob@example.org"}, "message": {"Call me"}, "submit": {"Send"}}).want(t, 202, "")
		// Anyone can post under Ann's address: a ticket tag in the subject never slips the post
		// into her ticket.
		e.postForm("acme", url.Values{"name": {"Ann"}, "email": {"ann@example.org"}, "subject": {"Re: [#1] Opening hours"}, "message": {"spoofed"}}).want(t, 202, "")

		var l listJSON
		e.as("support", "GET", "/tickets?sort=created&order=asc", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 3 || l.Tickets[0].Subject != "Opening hours" || l.Tickets[2].Subject != "Re: Opening hours" || l.Tickets[0].Customer != "ann@example.org" ||
			l.Tickets[1].Subject != "Message from the contact form" || l.Tickets[1].Customer != "bob@example.org" {
			t.Fatalf("form tickets: %+v", l.Tickets)
		}
		var v struct {
			Messages []struct {
				ID        int64
				FromName  string `json:"from_name"`
				Trimmed   string
				MessageID string `json:"message_id"`
				Threading string
			}
		}
		e.as("support", "GET", "/tickets/"+strconv.FormatInt(l.Tickets[0].Number, 10), nil).want(t, 200, "").decode(t, &v)
		m := v.Messages[0]
		if m.FromName != "Ann Visitor" || !strings.Contains(m.Trimmed, "When are you open?") || !strings.HasSuffix(m.MessageID, "@"+domain) || m.Threading != "new" {
			t.Fatalf("form message: %+v", m)
		}
		raw, err := e.store.Raw(context.Background(), e.acme.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{api.FormHeader + ": 1", "From: \"Ann Visitor\" <ann@example.org>", "Date: ", "Message-Id: <" + m.MessageID + ">"} {
			if !strings.Contains(string(raw), h) {
				t.Errorf("the stored mail lacks %q:\n%s", h, raw)
			}
		}

		for _, c := range []struct {
			body  map[string]string
			field string
		}{
			{map[string]string{"email": "ann@example.org", "message": "x"}, "name"},
			{map[string]string{"name": "Ann", "message": "x"}, "email"},
			{map[string]string{"name": "Ann", "email": "ann@", "message": "x"}, "email"},
			{map[string]string{"name": "Ann", "email": "ann@example.org"}, "message"},
			{map[string]string{"name": "Ann", "email": "ann@example.org", "message": "x", "subject": strings.Repeat("s", 400)}, "subject"},
			// An agent's address would pass for the agent's own mail.
			{map[string]string{"name": "Sue", "email": "support@acme.example", "message": "#close"}, "email"},
		} {
			e.clock.Advance(time.Minute) // stay under the rate limit: this is about validation
			e.do("POST", "/api/v1/properties/acme/form", "", c.body).want(t, 422, c.field)
		}
		e.clock.Advance(time.Minute)
		e.do("POST", "/api/v1/properties/acme/form", "", `{"name":"A","email":"a@example.org","message":"x","phone":"1"}`).want(t, 400, "phone")
		e.clock.Advance(time.Minute)
		e.do("POST", "/api/v1/properties/nosuch/form", "", map[string]string{"name": "A", "email": "a@example.org", "message": "x"}).want(t, 404, "")
		e.clock.Advance(time.Minute)
		pre, _ := http.NewRequest("OPTIONS", e.srv.URL+"/api/v1/properties/acme/form", nil)
		if res, err := http.DefaultClient.Do(pre); err != nil || res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Methods") != "POST" {
			t.Fatalf("preflight: %v %v", res, err)
		} else {
			res.Body.Close()
		}
		r, err := http.Post(e.srv.URL+"/api/v1/properties/acme/form", "text/plain", strings.NewReader("hi"))
		if err != nil || r.StatusCode != 415 {
			t.Fatalf("text/plain form: %v %v", r.StatusCode, err)
		}
		r.Body.Close()
	})
}

func TestContactFormIsRateLimitedPerClient(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		post := func() response {
			return e.postForm("acme", url.Values{"name": {"Bot"}, "email": {"bot@example.org"}, "message": {"spam"}})
		}
		for i := range 5 {
			if r := post(); r.status != 202 {
				t.Fatalf("post %d: %d %s", i+1, r.status, r.body)
			}
		}
		r := post().want(t, 429, "")
		if after, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || after < 1 || after > 12 {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
		// Invalid posts count too: the limit is on the client, not on good behaviour.
		e.postForm("beta", url.Values{}).want(t, 429, "")
		e.clock.Advance(12 * time.Second)
		post().want(t, 202, "")
		post().want(t, 429, "")
		var l listJSON
		e.as("support", "GET", "/tickets", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 6 {
			t.Fatalf("%d tickets from 6 accepted posts", len(l.Tickets))
		}
	})
}

func TestHealthAndMetrics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		var h struct{ Status, Database string }
		e.do("GET", "/healthz", "", nil).want(t, 200, "").decode(t, &h)
		if h.Status != "ok" || h.Database != string(d.Dialect) {
			t.Fatalf("healthz: %+v", h)
		}
		n := e.customer(e.acme, "ann@example.org", "Hello", "x")
		e.mail(e.acme, "From: ann@example.org\nTo: acme@desk.example\nSubject: Re: Hello [#"+strconv.FormatInt(n, 10)+"]\nMessage-ID: <tag@example.org>\n\nmore\n")
		e.postForm("acme", url.Values{"name": {"Bob"}, "email": {"bob@example.org"}, "message": {"hi"}}).want(t, 202, "")
		e.as("manager", "POST", "/export", map[string]any{"numbers": []int64{n}, "mail_to": "owner@acme.example"}).want(t, 202, "")
		e.as("support", "GET", "/tickets/999", nil).want(t, 404, "")

		r := e.do("GET", "/metrics", "", nil).want(t, 200, "")
		body := string(r.body)
		for _, want := range []string{
			`postdesk_mail_accepted_total{source="mail"} 2`,
			`postdesk_mail_accepted_total{source="form"} 1`,
			`postdesk_mail_threaded_total{reason="new"} 2`,
			`postdesk_mail_threaded_total{reason="subject-tag"} 1`,
			`postdesk_mails_sent_total 0`,
			`postdesk_mails_failed_total 0`,
			`postdesk_outbox_queue_depth 1`,
			`postdesk_outbox_mails{status="queued"} 1`,
			`postdesk_http_requests_total{code="404",route="GET /api/v1/properties/{slug}/tickets/{number}"} 1`,
			"go_goroutines",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if t.Failed() {
			t.Logf("/metrics:\n%s", body)
		}
	})
}
