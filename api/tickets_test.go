package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

type listJSON struct {
	Tickets []struct {
		ticketJSON
		Unread  bool `json:"unread"`
		Deleted bool `json:"deleted"`
		Spam    bool `json:"spam"`
	} `json:"tickets"`
	Next string `json:"next"`
}

func (l listJSON) numbers() []int64 {
	var ns []int64
	for _, t := range l.Tickets {
		ns = append(ns, t.Number)
	}
	return ns
}

func TestTicketListFiltersAndRefusesBadValues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		a := e.customer(e.acme, "ann@example.org", "Invoice missing", "Where is my invoice?")
		b := e.customer(e.acme, "bob@example.org", "Broken kettle", "It leaks.")
		c := e.customer(e.acme, "cy@example.org", "Refund", "Please refund")
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/priority", b), map[string]string{"priority": "urgent"}).want(t, 200, "")
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/close", c), nil).want(t, 200, "")

		var l listJSON
		e.as("support", "GET", "/tickets", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 3 {
			t.Fatalf("all tickets: %v", l.numbers())
		}
		e.as("support", "GET", "/tickets?status=open", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 2 {
			t.Fatalf("open tickets: %v", l.numbers())
		}
		e.as("support", "GET", "/tickets?priority=urgent,high", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 1 || l.Tickets[0].Number != b {
			t.Fatalf("urgent tickets: %v", l.numbers())
		}
		e.as("support", "GET", "/tickets?contact=ann@example.org", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 1 || l.Tickets[0].Number != a {
			t.Fatalf("ann's tickets: %v", l.numbers())
		}
		e.as("support", "GET", "/tickets?sort=created&order=asc&limit=2", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 2 || l.Tickets[0].Number != a || l.Next == "" {
			t.Fatalf("first page: %v next %q", l.numbers(), l.Next)
		}
		e.as("support", "GET", "/tickets?sort=created&order=asc&limit=2&after="+l.Next, nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 1 || l.Tickets[0].Number != c {
			t.Fatalf("second page: %v", l.numbers())
		}

		for query, field := range map[string]string{
			"view=everything":        "view",
			"status=pending":         "status",
			"priority=critical":      "priority",
			"created_from=yesterday": "created_from",
			"updated_to=2026-13-01":  "updated_to",
			"min_messages=-1":        "min_messages",
			"limit=0":                "limit",
			"limit=201":              "limit",
			"sort=size":              "sort",
			"order=up":               "order",
			"assignee=nobody":        "assignee",
			"contact=ann":            "contact",
			"colour=red":             "colour",
			"view=all&view=mine":     "view",
			"after=garbage!!":        "after",
			"waiting=soon":           "waiting",
		} {
			e.as("support", "GET", "/tickets?"+query, nil).want(t, 400, field)
		}
	})
}

// The ticket object says who it waits for; the list filters and sorts by it.
func TestTicketsSayWhoIsWaiting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		a := e.customer(e.acme, "ann@example.org", "Invoice missing", "Where is my invoice?")
		b := e.customer(e.acme, "bob@example.org", "Broken kettle", "It leaks.")
		c := e.customer(e.acme, "cy@example.org", "Refund", "Please refund")
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/reply", b), map[string]any{"text": "Try descaling."}).want(t, 201, "")
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/note", a), map[string]any{"text": "Ask accounting."}).want(t, 201, "")
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/close", c), nil).want(t, 200, "")

		type waitJSON struct {
			Number          int64      `json:"number"`
			Waiting         *string    `json:"waiting"`
			WaitingSince    *time.Time `json:"waiting_since"`
			FirstResponseAt *time.Time `json:"first_response_at"`
		}
		var l struct {
			Tickets []waitJSON `json:"tickets"`
		}
		e.as("support", "GET", "/tickets?sort=waiting", nil).want(t, 200, "").decode(t, &l)
		var got []string
		for _, tk := range l.Tickets {
			side := "null"
			if tk.Waiting != nil {
				side = *tk.Waiting
			}
			got = append(got, fmt.Sprintf("#%d %s %v", tk.Number, side, tk.FirstResponseAt != nil))
		}
		want := []string{fmt.Sprintf("#%d us false", a), fmt.Sprintf("#%d customer true", b), fmt.Sprintf("#%d null false", c)}
		if !slices.Equal(got, want) {
			t.Fatalf("by waiting: %v, want %v", got, want)
		}
		e.as("support", "GET", "/tickets?waiting=customer", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 1 || l.Tickets[0].Number != b || l.Tickets[0].WaitingSince == nil || !l.Tickets[0].WaitingSince.Equal(*l.Tickets[0].FirstResponseAt) {
			t.Fatalf("waiting for the customer: %+v", l.Tickets)
		}
		var one waitJSON
		e.as("support", "GET", fmt.Sprintf("/tickets/%d", a), nil).want(t, 200, "").decode(t, &one)
		if one.Waiting == nil || *one.Waiting != "us" || one.WaitingSince == nil || one.FirstResponseAt != nil {
			t.Fatalf("ticket #%d: %+v", a, one)
		}
	})
}

func TestTicketDetailShowsTheTrimmedReplyUnlessAskedInFull(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		n := e.mail(e.acme, "From: Ann <ann@example.org>\nTo: acme@desk.example\nSubject: Kettle\nMessage-ID: <k1@example.org>\n\nMy kettle leaks.\n")
		e.mail(e.acme, "From: Ann <ann@example.org>\nTo: acme@desk.example\nSubject: Re: Kettle\nMessage-ID: <k2@example.org>\nIn-Reply-To: <k1@example.org>\n\n"+
			"Any news?\n\nOn Mon, 2 Mar 2026 at 10:00, Ann <ann@example.org> wrote:\n> My kettle leaks.\n")
		type msg struct {
			Trimmed string  `json:"trimmed"`
			Text    *string `json:"text"`
			Quoted  bool    `json:"quoted"`
		}
		var v struct {
			Number       int64 `json:"number"`
			MessageCount int64 `json:"message_count"`
			Messages     []msg `json:"messages"`
		}
		e.as("support", "GET", fmt.Sprintf("/tickets/%d", n), nil).want(t, 200, "").decode(t, &v)
		if v.MessageCount != 2 || len(v.Messages) != 2 {
			t.Fatalf("detail: %+v", v)
		}
		m := v.Messages[1]
		if strings.TrimSpace(m.Trimmed) != "Any news?" || m.Text != nil || !m.Quoted {
			t.Fatalf("default view of a reply: %+v", m)
		}
		e.as("support", "GET", fmt.Sprintf("/tickets/%d?full=1", n), nil).want(t, 200, "").decode(t, &v)
		m = v.Messages[1]
		if m.Text == nil || !strings.Contains(*m.Text, "> My kettle leaks.") || strings.TrimSpace(m.Trimmed) != "Any news?" {
			t.Fatalf("full view of a reply: %+v", m)
		}
		e.as("support", "GET", fmt.Sprintf("/tickets/%d?full=maybe", n), nil).want(t, 400, "full")
		e.as("support", "GET", fmt.Sprintf("/tickets/%d?verbose=1", n), nil).want(t, 400, "verbose")
		e.as("support", "GET", "/tickets/abc", nil).want(t, 400, "number")
		e.as("support", "GET", "/tickets/999", nil).want(t, 404, "")
	})
}

type eventJSON struct{ Kind, Actor, Detail string }

func (e *desk) events(t *testing.T, n int64) []eventJSON {
	t.Helper()
	var v struct{ Events []eventJSON }
	e.as("owner", "GET", fmt.Sprintf("/tickets/%d", n), nil).want(t, 200, "").decode(t, &v)
	return v.Events
}

func TestTicketOperationsRecordTheirActor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		n := e.customer(e.acme, "ann@example.org", "Kettle", "It leaks.")
		path := func(op string) string { return fmt.Sprintf("/tickets/%d/%s", n, op) }

		tk := e.as("support", "POST", path("assign"), map[string]string{"agent": "manager@acme.example"}).want(t, 200, "").ticket(t)
		if tk.Assignee == nil || *tk.Assignee != "manager@acme.example" {
			t.Fatalf("assigned: %+v", tk)
		}
		tk = e.as("support", "POST", path("assign"), map[string]string{"department": "billing"}).want(t, 200, "").ticket(t)
		if tk.Department == nil || *tk.Department != "Billing" || tk.Assignee != nil {
			t.Fatalf("assigned to a department: %+v", tk)
		}
		tk = e.as("support", "POST", path("unassign"), nil).want(t, 200, "").ticket(t)
		if tk.Department != nil || tk.Assignee != nil {
			t.Fatalf("unassigned: %+v", tk)
		}
		var ul listJSON
		e.as("support", "GET", "/tickets?view=unassigned", nil).want(t, 200, "").decode(t, &ul)
		if !slices.Contains(ul.numbers(), n) {
			t.Fatalf("the unassigned view lacks #%d: %v", n, ul.numbers())
		}
		e.as("support", "POST", path("assign"), map[string]string{"department": "billing"}).want(t, 200, "")
		e.as("support", "POST", path("assign"), map[string]string{"agent": "a@acme.example", "department": "Billing"}).want(t, 400, "department")
		e.as("support", "POST", path("assign"), map[string]string{}).want(t, 400, "agent")
		e.as("support", "POST", path("assign"), map[string]string{"agent": "stranger@example.org"}).want(t, 422, "agent")
		e.as("support", "POST", path("assign"), map[string]string{"department": "Nowhere"}).want(t, 422, "department")

		if tk = e.as("support", "POST", path("priority"), map[string]string{"priority": "high"}).want(t, 200, "").ticket(t); tk.Priority != "high" {
			t.Fatalf("priority: %+v", tk)
		}
		e.as("support", "POST", path("priority"), map[string]string{"priority": "whenever"}).want(t, 400, "priority")
		e.as("support", "POST", path("priority"), `{"priority": 3}`).want(t, 400, "priority")
		e.as("support", "POST", path("priority"), `{"priority": "low", "urgent": true}`).want(t, 400, "urgent")
		e.as("support", "POST", path("priority"), `{"priority": "low"`).want(t, 400, "")
		e.as("support", "POST", path("priority"), `{"priority": "low"} {}`).want(t, 400, "")
		r := e.do("POST", "/api/v1/properties/acme"+path("priority"), e.token["support"], nil)
		r.want(t, 400, "")
		e.as("support", "POST", path("priority"), strings.Repeat(" ", 70<<10)+`{"priority":"low"}`).want(t, 413, "")

		tk = e.as("support", "POST", path("tags"), map[string]any{"add": []string{"VIP", "kettle"}}).want(t, 200, "").ticket(t)
		if strings.Join(tk.Tags, ",") != "kettle,vip" {
			t.Fatalf("tags: %+v", tk.Tags)
		}
		if tk = e.as("support", "POST", path("tags"), map[string]any{"remove": []string{"kettle"}}).want(t, 200, "").ticket(t); strings.Join(tk.Tags, ",") != "vip" {
			t.Fatalf("tags after removing: %+v", tk.Tags)
		}
		e.as("support", "POST", path("tags"), map[string]any{}).want(t, 400, "add")
		e.as("support", "POST", path("tags"), map[string]any{"add": []string{"two words"}}).want(t, 422, "add")

		if tk = e.as("manager", "POST", path("close"), nil).want(t, 200, "").ticket(t); tk.Status != "closed" {
			t.Fatalf("close: %+v", tk)
		}
		e.as("manager", "POST", path("close"), `{"reason":"done"}`).want(t, 400, "reason")
		if tk = e.as("manager", "POST", path("reopen"), "{}").want(t, 200, "").ticket(t); tk.Status != "open" {
			t.Fatalf("reopen: %+v", tk)
		}

		until := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
		e.as("support", "POST", path("snooze"), map[string]string{"until": until}).want(t, 200, "")
		var l listJSON
		e.as("support", "GET", "/tickets?view=snoozed", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 1 || l.Tickets[0].Number != n {
			t.Fatalf("snoozed view: %v", l.numbers())
		}
		e.as("support", "POST", path("snooze"), map[string]string{"until": "tomorrow"}).want(t, 400, "until")
		e.as("support", "POST", path("snooze"), map[string]string{"until": "2001-01-01T00:00:00Z"}).want(t, 422, "until")
		e.as("support", "POST", path("unsnooze"), nil).want(t, 200, "")
		e.as("support", "GET", "/tickets?view=snoozed", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 0 {
			t.Fatalf("snoozed view after unsnooze: %v", l.numbers())
		}

		e.as("support", "POST", path("read"), nil).want(t, 204, "")
		e.as("support", "GET", "/tickets", nil).want(t, 200, "").decode(t, &l)
		if l.Tickets[0].Unread {
			t.Fatalf("read ticket still unread: %+v", l.Tickets[0])
		}
		e.as("support", "POST", path("unread"), nil).want(t, 204, "")
		e.as("support", "GET", "/tickets", nil).want(t, 200, "").decode(t, &l)
		if !l.Tickets[0].Unread {
			t.Fatalf("unread ticket shows read: %+v", l.Tickets[0])
		}

		actors := map[string]string{}
		for _, ev := range e.events(t, n) {
			actors[ev.Kind] = ev.Actor
		}
		for kind, who := range map[string]string{"assigned": "agent:support@acme.example", "closed": "agent:manager@acme.example",
			"reopened": "agent:manager@acme.example", "snoozed": "agent:support@acme.example", "unsnoozed": "agent:support@acme.example"} {
			if actors[kind] != who {
				t.Errorf("event %s by %q, want %q (events %v)", kind, actors[kind], who, actors)
			}
		}
	})
}

func TestRepliesNotesAndNewTicketsCarryAttachments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		n := e.customer(e.acme, "ann@example.org", "Kettle", "It leaks.")
		pdf := []byte("%PDF-1.4 manual")
		att := map[string]string{"filename": "../../etc/manual.pdf", "content_type": "application/pdf", "data": base64.StdEncoding.EncodeToString(pdf)}
		var posted struct {
			Ticket    ticketJSON `json:"ticket"`
			MessageID string     `json:"message_id"`
		}
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/reply", n), map[string]any{"text": "Try descaling.", "attachments": []any{att}}).
			want(t, 201, "").decode(t, &posted)
		if posted.Ticket.Number != n || !strings.HasSuffix(posted.MessageID, "@"+domain) {
			t.Fatalf("reply: %+v", posted)
		}
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/note", n), map[string]any{"text": "Customer sounds upset."}).want(t, 201, "")
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/reply", n), map[string]any{"text": "  "}).want(t, 400, "text")
		bad := map[string]string{"filename": "x.bin", "data": "not base64!"}
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/reply", n), map[string]any{"text": "x", "attachments": []any{bad}}).want(t, 400, "attachments[0].data")
		big := map[string]string{"filename": "big.bin", "data": base64.StdEncoding.EncodeToString(make([]byte, 65<<10))}
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/reply", n), map[string]any{"text": "x", "attachments": []any{big}}).want(t, 413, "attachments")
		e.as("support", "POST", "/tickets/999/reply", map[string]any{"text": "x"}).want(t, 404, "")

		var v struct {
			Messages []struct {
				Direction   string
				Trimmed     string
				Attachments []struct {
					ID          int64
					Filename    string
					ContentType string `json:"content_type"`
					Size        int64
					URL         string
				}
			}
		}
		e.as("support", "GET", fmt.Sprintf("/tickets/%d", n), nil).want(t, 200, "").decode(t, &v)
		if len(v.Messages) != 3 || v.Messages[1].Direction != "out" || v.Messages[2].Direction != "note" || v.Messages[2].Trimmed != "Customer sounds upset." {
			t.Fatalf("messages: %+v", v.Messages)
		}
		a := v.Messages[1].Attachments
		if len(a) != 1 || a[0].Filename != "manual.pdf" || a[0].Size != int64(len(pdf)) || a[0].URL != fmt.Sprintf("/api/v1/properties/acme/attachments/%d", a[0].ID) {
			t.Fatalf("attachment: %+v", a)
		}
		r := e.do("GET", a[0].URL, e.token["support"], nil).want(t, 200, "")
		if string(r.body) != string(pdf) || r.header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("download: %q %v", r.body, r.header)
		}

		r = e.as("manager", "POST", "/tickets", map[string]any{
			"customer": map[string]string{"email": "new@example.org", "name": "New Customer"}, "subject": "Your order",
			"text": "It ships today.", "priority": "high", "tags": []string{"orders"}, "department": "Billing",
		}).want(t, 201, "")
		tk := r.ticket(t)
		if tk.Customer != "new@example.org" || tk.Priority != "high" || tk.Department == nil || *tk.Department != "Billing" ||
			r.header.Get("Location") != fmt.Sprintf("/api/v1/properties/acme/tickets/%d", tk.Number) {
			t.Fatalf("created: %+v %v", tk, r.header)
		}
		e.as("manager", "POST", "/tickets", map[string]any{"customer": map[string]string{"email": "nope"}, "subject": "s", "text": "t"}).want(t, 400, "customer.email")
		e.as("manager", "POST", "/tickets", map[string]any{"customer": map[string]string{"email": "a@b.example"}, "subject": "s", "text": "t", "cc": "x"}).want(t, 400, "cc")
		e.as("manager", "POST", "/tickets", map[string]any{"customer": map[string]string{"email": "a@b.example"}, "text": "t"}).want(t, 400, "subject")
		e.as("manager", "POST", "/tickets", map[string]any{"customer": map[string]string{"email": "a@b.example"}, "subject": "s", "text": "t", "agent": "ghost@acme.example"}).want(t, 422, "agent")
		e.as("manager", "POST", "/tickets", map[string]any{"customer": map[string]string{"email": "a@b.example"}, "subject": "s", "text": "t", "agent": "billing"}).want(t, 400, "agent")
		e.as("manager", "POST", "/tickets", map[string]any{"customer": map[string]string{"email": "a@b.example"}, "subject": "s", "text": "t", "tags": []string{"a b"}}).want(t, 422, "tags")
	})
}

func TestBulkActionsAnswerPerTicket(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		a := e.customer(e.acme, "ann@example.org", "One", "x")
		b := e.customer(e.acme, "bob@example.org", "Two", "x")
		type result struct {
			Results []struct {
				Number int64
				OK     bool
				Ticket *ticketJSON
				Error  *struct{ Code, Message string }
			}
		}
		var res result
		bulk := func(body map[string]any) {
			t.Helper()
			res = result{}
			e.as("support", "POST", "/tickets/bulk", body).want(t, 200, "").decode(t, &res)
		}
		bulk(map[string]any{"numbers": []int64{a, 999, b}, "action": "close"})
		if len(res.Results) != 3 || !res.Results[0].OK || res.Results[0].Ticket.Status != "closed" || res.Results[1].OK ||
			res.Results[1].Error.Code != "not_found" || res.Results[2].Number != b || !res.Results[2].OK {
			t.Fatalf("bulk close: %+v", res)
		}
		bulk(map[string]any{"numbers": []int64{a, b}, "action": "priority", "priority": "urgent"})
		if res.Results[0].Ticket.Priority != "urgent" || res.Results[1].Ticket.Priority != "urgent" {
			t.Fatalf("bulk priority: %+v", res)
		}
		bulk(map[string]any{"numbers": []int64{a}, "action": "tag", "tags": []string{"batch"}})
		bulk(map[string]any{"numbers": []int64{a, b}, "action": "assign", "agent": "admin@acme.example"})
		if *res.Results[1].Ticket.Assignee != "admin@acme.example" {
			t.Fatalf("bulk assign: %+v", res.Results[1].Ticket)
		}
		bulk(map[string]any{"numbers": []int64{a, b}, "action": "read"})
		if !res.Results[0].OK || res.Results[0].Ticket != nil {
			t.Fatalf("bulk read: %+v", res)
		}
		bulk(map[string]any{"numbers": []int64{b}, "action": "trash"})
		var l listJSON
		e.as("support", "GET", "/tickets?view=trash", nil).want(t, 200, "").decode(t, &l)
		if len(l.Tickets) != 1 || l.Tickets[0].Number != b {
			t.Fatalf("trash after bulk: %v", l.numbers())
		}
		until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		bulk(map[string]any{"numbers": []int64{a}, "action": "snooze", "until": until})

		many := make([]int64, 101)
		for i := range many {
			many[i] = int64(i + 1)
		}
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"numbers": []int64{a}, "action": "explode"}, "action"},
			{map[string]any{"numbers": []int64{}, "action": "close"}, "numbers"},
			{map[string]any{"numbers": many, "action": "close"}, "numbers"},
			{map[string]any{"numbers": []int64{-1}, "action": "close"}, "numbers"},
			{map[string]any{"numbers": []int64{a}, "action": "priority"}, "priority"},
			{map[string]any{"numbers": []int64{a}, "action": "close", "priority": "low"}, "priority"},
			{map[string]any{"numbers": []int64{a}, "action": "tag"}, "tags"},
			{map[string]any{"numbers": []int64{a}, "action": "snooze", "until": "soon"}, "until"},
			{map[string]any{"numbers": []int64{a}, "action": "assign"}, "agent"},
		} {
			e.as("support", "POST", "/tickets/bulk", c.body).want(t, 400, c.field)
		}
		tk, err := e.store.Ticket(context.Background(), e.acme.ID, a)
		if err != nil || tk.Status != "closed" || tk.Priority != "urgent" {
			t.Fatalf("a refused bulk request changed the ticket: %+v %v", tk, err)
		}
	})
}
