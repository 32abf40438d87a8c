package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

const unmatchedBounce = "From: MAILER-DAEMON@mx.other.example\nTo: acme@desk.example\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <nb1@mx.other.example>\n\nThis is the mail system at host mx.other.example.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n<gone@example.net>: host said: 550 5.1.1 User unknown\n"

// Admins see the robot mail that threaded into no ticket, and its bytes; nobody else does, and no
// other property's.
func TestSystemMailForAdmins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		if n := e.mail(e.acme, unmatchedBounce); n != 0 {
			t.Fatalf("an unmatched bounce opened ticket #%d", n)
		}
		const path = "/api/v1/properties/acme/system-mail"
		if r := e.do("GET", path, e.token["manager"], nil); r.status != http.StatusForbidden {
			t.Fatalf("a manager: %d", r.status)
		}
		r := e.do("GET", path+"?class=bounce", e.token["admin"], nil)
		var list struct {
			SystemMail []struct {
				ID       int64  `json:"id"`
				Class    string `json:"class"`
				Property string `json:"property"`
				Subject  string `json:"subject"`
			} `json:"system_mail"`
		}
		if r.status != http.StatusOK || json.Unmarshal(r.body, &list) != nil || len(list.SystemMail) != 1 {
			t.Fatalf("system mail: %d %s", r.status, r.body)
		}
		m := list.SystemMail[0]
		if m.Class != "bounce" || m.Property != "acme" || m.Subject != "Undelivered Mail Returned to Sender" {
			t.Fatalf("system mail: %+v", m)
		}
		if r := e.do("GET", path+"?class=auto-reply", e.token["admin"], nil); !strings.Contains(string(r.body), `"system_mail": []`) {
			t.Fatalf("auto-replies: %s", r.body)
		}
		one := e.do("GET", fmt.Sprintf("%s/%d", path, m.ID), e.token["admin"], nil)
		if one.status != http.StatusOK || !strings.Contains(string(one.body), "could not") {
			t.Fatalf("one system mail: %d %s", one.status, one.body)
		}
		raw := e.do("GET", fmt.Sprintf("%s/%d/raw", path, m.ID), e.token["admin"], nil)
		if raw.status != http.StatusOK || raw.header.Get("Content-Type") != "message/rfc822" || string(raw.body) != strings.ReplaceAll(unmatchedBounce, "\n", "\r\n") {
			t.Fatalf("raw: %d %q %q", raw.status, raw.header.Get("Content-Type"), raw.body)
		}
		if r := e.do("GET", fmt.Sprintf("/api/v1/properties/beta/system-mail/%d", m.ID), e.token["beta"], nil); r.status != http.StatusNotFound {
			t.Fatalf("another property's admin: %d", r.status)
		}
	})
}

func TestSetIgnoreListMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		const path = "/api/v1/properties/acme"
		if r := e.do("PATCH", path, e.token["manager"], map[string]any{"ignore_list_mail": true}); r.status != http.StatusForbidden {
			t.Fatalf("a manager: %d", r.status)
		}
		if r := e.do("PATCH", path, e.token["admin"], map[string]any{}); r.status != http.StatusBadRequest {
			t.Fatalf("nothing to change: %d %s", r.status, r.body)
		}
		r := e.do("PATCH", path, e.token["admin"], map[string]any{"ignore_list_mail": true})
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `"ignore_list_mail": true`) {
			t.Fatalf("set: %d %s", r.status, r.body)
		}
		list := "From: ann@customer.example\nTo: support@acme.example\nSubject: hi\nMessage-ID: <l1@customer.example>\nList-Id: <support.acme.example>\n\nhello\n"
		acme, err := e.store.PropertyBySlug(context.Background(), "acme") // as intake reads it for each mail
		if err != nil {
			t.Fatal(err)
		}
		if n := e.mail(acme, list); n != 0 {
			t.Fatalf("ignored list mail opened ticket #%d", n)
		}
		if r := e.do("GET", path, e.token["support"], nil); !strings.Contains(string(r.body), `"ignore_list_mail": true`) {
			t.Fatalf("the property: %s", r.body)
		}
		r = e.do("PATCH", path, e.token["admin"], map[string]any{"acknowledge": false})
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `"acknowledge": false`) {
			t.Fatalf("acknowledge off: %d %s", r.status, r.body)
		}
		if p, err := e.store.PropertyBySlug(context.Background(), "acme"); err != nil || p.Acknowledge {
			t.Fatalf("acknowledge is still on: %+v %v", p, err)
		}
		if r := e.do("GET", path, e.token["support"], nil); !strings.Contains(string(r.body), `"attach_limit": 10000000`) {
			t.Fatalf("the default attach limit: %s", r.body)
		}
		r = e.do("PATCH", path, e.token["admin"], map[string]any{"attach_limit": 2_000_000})
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `"attach_limit": 2000000`) {
			t.Fatalf("attach limit: %d %s", r.status, r.body)
		}
		for _, bad := range []any{-1, "10MB", 2e12} {
			if r := e.do("PATCH", path, e.token["admin"], map[string]any{"attach_limit": bad}); r.status != http.StatusBadRequest {
				t.Fatalf("attach limit %v: %d %s", bad, r.status, r.body)
			}
		}
		if p, err := e.store.PropertyBySlug(context.Background(), "acme"); err != nil || p.AttachLimit != 2_000_000 {
			t.Fatalf("attach limit: %+v %v", p, err)
		}
	})
}
