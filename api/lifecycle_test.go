package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

func TestEditPropertyNameFromAddressAndReopenWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		ctx := context.Background()
		r := e.as("admin", "PATCH", "", map[string]any{"name": "Acme Help", "from_address": "Help@acme.example", "reopen_window_secs": 3600}).want(t, http.StatusOK, "")
		var got struct{ Property tickets.Property }
		r.decode(t, &got)
		if p := got.Property; p.Name != "Acme Help" || p.FromAddress != "help@acme.example" || p.ReopenSecs != 3600 || p.Slug != "acme" {
			t.Fatalf("edited: %+v", p)
		}
		// A wrong value changes nothing, the other fields of the body included.
		e.as("admin", "PATCH", "", map[string]any{"name": "Changed", "from_address": "nope"}).want(t, http.StatusBadRequest, "from_address")
		e.as("admin", "PATCH", "", map[string]any{"name": " "}).want(t, http.StatusBadRequest, "name")
		e.as("admin", "PATCH", "", map[string]any{"reopen_window_secs": -1, "name": "Changed"}).want(t, http.StatusBadRequest, "reopen_window_secs")
		e.as("admin", "PATCH", "", map[string]any{"slug": "other"}).want(t, http.StatusBadRequest, "slug") // not editable: the forwarding address
		p, err := e.store.PropertyBySlug(ctx, "acme")
		if err != nil || p.Name != "Acme Help" {
			t.Fatalf("after refused edits: %+v %v", p, err)
		}
		// The new address is the property's own from the next mail on: copied on a customer's mail,
		// it becomes no contact, as the agents do not (support@ is one), while Carl does.
		e.mail(p, "From: ann@customer.example\nTo: acme@desk.example\nCc: help@acme.example, support@acme.example, carl@customer.example\nSubject: Hi\nMessage-ID: <own1@customer.example>\n\nhello\n")
		var cs struct{ Contacts []tickets.ContactSummary }
		e.as("support", "GET", "/contacts", nil).want(t, http.StatusOK, "").decode(t, &cs)
		var emails []string
		for _, c := range cs.Contacts {
			emails = append(emails, c.Email)
		}
		if strings.Join(emails, " ") != "ann@customer.example carl@customer.example" {
			t.Fatalf("contacts after the edit: %v", emails)
		}
		e.as("manager", "PATCH", "", map[string]any{"name": "X"}).want(t, http.StatusForbidden, "")
	})
}

func TestRemovePropertyTakesItsOwnerAndItsSlug(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		e.customer(e.acme, "ann@customer.example", "Order", "Where is it?")
		e.as("admin", "DELETE", "?confirm=acme", nil).want(t, http.StatusForbidden, "")
		r := e.as("owner", "DELETE", "", nil).want(t, http.StatusUnprocessableEntity, "confirm")
		if _, msg, _ := r.apiError(t); !strings.Contains(msg, "1 tickets") || !strings.Contains(msg, "?confirm=acme") {
			t.Fatalf("without confirm: %s", msg)
		}
		e.as("owner", "DELETE", "?confirm=beta", nil).want(t, http.StatusUnprocessableEntity, "confirm")
		var got struct{ Removed tickets.PropertyContents }
		e.as("owner", "DELETE", "?confirm=acme", nil).want(t, http.StatusOK, "").decode(t, &got)
		if got.Removed.Tickets != 1 || got.Removed.Agents != 4 {
			t.Fatalf("removed %+v", got.Removed)
		}
		// Gone: its tokens went with it; beta is untouched.
		e.as("owner", "GET", "", nil).want(t, http.StatusUnauthorized, "")
		if r := e.do("GET", "/api/v1/properties/beta", e.token["beta"], nil); r.status != http.StatusOK {
			t.Fatalf("beta: %d %s", r.status, r.body)
		}
	})
}

func TestRemoveAgentUnassignsAndRevokes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		n := e.customer(e.acme, "ann@customer.example", "Order", "Where is it?")
		e.as("admin", "POST", "/tickets/"+itoa(n)+"/assign", map[string]any{"agent": "support@acme.example"}).want(t, http.StatusOK, "")
		// Nobody removes someone above them, nor themselves; a stranger is not found.
		e.as("admin", "DELETE", "/agents/owner@acme.example", nil).want(t, http.StatusForbidden, "email")
		e.as("admin", "DELETE", "/agents/admin@acme.example", nil).want(t, http.StatusForbidden, "email")
		e.as("admin", "DELETE", "/agents/boss@beta.example", nil).want(t, http.StatusNotFound, "")
		e.as("manager", "DELETE", "/agents/support@acme.example", nil).want(t, http.StatusForbidden, "")
		var res tickets.AgentRemoval
		e.as("admin", "DELETE", "/agents/support@acme.example", nil).want(t, http.StatusOK, "").decode(t, &res)
		if res.Unassigned != 1 || res.Tokens != 1 {
			t.Fatalf("removal %+v", res)
		}
		if tk := e.as("admin", "GET", "/tickets/"+itoa(n), nil).ticket(t); tk.Assignee != nil {
			t.Fatalf("still assigned to %s", *tk.Assignee)
		}
		e.as("support", "GET", "", nil).want(t, http.StatusUnauthorized, "")
		var ds struct{ Departments []tickets.Department }
		e.as("admin", "GET", "/departments", nil).decode(t, &ds)
		if len(ds.Departments) != 1 || len(ds.Departments[0].Members) != 0 {
			t.Fatalf("the removed agent is still a member: %+v", ds)
		}
		// The last owner stays.
		e.agent(e.acme, "second@acme.example", "owner")
		e.as("owner", "DELETE", "/agents/second@acme.example", nil).want(t, http.StatusOK, "")
		if _, err := e.store.RemoveAgent(context.Background(), e.acme, "owner@acme.example", tickets.ActorCLI); err == nil {
			t.Fatal("the last owner was removed")
		}
	})
}

func TestDepartmentsRenameRemoveAndLoseMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		e.as("admin", "POST", "/departments", map[string]any{"name": "Sales", "default": true, "members": []string{"manager@acme.example"}}).want(t, http.StatusCreated, "")
		n := e.customer(e.acme, "ann@customer.example", "Order", "Where is it?")
		e.as("admin", "POST", "/tickets/"+itoa(n)+"/assign", map[string]any{"department": "Sales"}).want(t, http.StatusOK, "")

		var dep tickets.Department
		e.as("admin", "PATCH", "/departments/sales", map[string]any{"name": "Deals"}).want(t, http.StatusOK, "").decode(t, &dep)
		if dep.Name != "Deals" || !dep.Default || len(dep.Members) != 1 {
			t.Fatalf("renamed: %+v", dep)
		}
		e.as("admin", "PATCH", "/departments/Deals", map[string]any{"name": "billing"}).want(t, http.StatusConflict, "name")
		e.as("admin", "PATCH", "/departments/Deals", map[string]any{"name": "a@b"}).want(t, http.StatusUnprocessableEntity, "name")
		e.as("manager", "PATCH", "/departments/Deals", map[string]any{"name": "X"}).want(t, http.StatusForbidden, "")
		if r := e.do("PATCH", "/api/v1/properties/beta/departments/Deals", e.token["beta"], map[string]any{"name": "Mine"}); r.status != http.StatusNotFound {
			t.Fatalf("beta renaming acme's department: %d", r.status)
		}

		e.as("admin", "DELETE", "/departments/Deals/members/manager@acme.example", nil).want(t, http.StatusOK, "").decode(t, &dep)
		if len(dep.Members) != 0 {
			t.Fatalf("members left: %v", dep.Members)
		}
		e.as("admin", "DELETE", "/departments/Deals/members/manager@acme.example", nil).want(t, http.StatusNotFound, "")

		var res struct{ Unassigned int }
		e.as("admin", "DELETE", "/departments/Deals", nil).want(t, http.StatusOK, "").decode(t, &res)
		if res.Unassigned != 1 {
			t.Fatalf("unassigned %d", res.Unassigned)
		}
		if tk := e.as("admin", "GET", "/tickets/"+itoa(n), nil).ticket(t); tk.Department != nil {
			t.Fatalf("still in %s", *tk.Department)
		}
		e.as("admin", "DELETE", "/departments/Deals", nil).want(t, http.StatusNotFound, "")
		var ds struct{ Departments []tickets.Department }
		e.as("admin", "GET", "/departments", nil).decode(t, &ds)
		if len(ds.Departments) != 1 || ds.Departments[0].Name != "Billing" || ds.Departments[0].Default {
			t.Fatalf("left: %+v", ds.Departments)
		}
	})
}

func TestBulkPurgeOnlyFromTheTrash(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		a := e.customer(e.acme, "ann@customer.example", "One", "1")
		b := e.customer(e.acme, "ann@customer.example", "Two", "2")
		e.as("support", "DELETE", "/tickets/"+itoa(a), nil).want(t, http.StatusOK, "")
		e.as("support", "POST", "/tickets/bulk", map[string]any{"numbers": []int64{a}, "action": "purge"}).want(t, http.StatusForbidden, "action")
		e.as("manager", "POST", "/tickets/bulk", map[string]any{"numbers": []int64{a}, "action": "purge", "tags": []string{"x"}}).want(t, http.StatusBadRequest, "tags")
		var res struct {
			Results []struct {
				Number int64
				OK     bool
				Error  *struct{ Code string }
			}
		}
		e.as("manager", "POST", "/tickets/bulk", map[string]any{"numbers": []int64{a, b, 999}, "action": "purge"}).want(t, http.StatusOK, "").decode(t, &res)
		if len(res.Results) != 3 || !res.Results[0].OK || res.Results[1].OK || res.Results[1].Error.Code != "conflict" ||
			res.Results[2].OK || res.Results[2].Error.Code != "not_found" {
			t.Fatalf("results %+v", res.Results)
		}
		e.as("manager", "GET", "/tickets/"+itoa(a), nil).want(t, http.StatusNotFound, "")
		e.as("manager", "GET", "/tickets/"+itoa(b), nil).want(t, http.StatusOK, "")
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
