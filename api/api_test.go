package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/api"
	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/intake"
	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/metrics"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
)

const domain = "desk.example"

// desk is a running API over a real database: property acme with one agent of each role, and
// property beta with its owner.
type desk struct {
	t        *testing.T
	d        *db.DB
	store    *tickets.Store
	pipeline *intake.Pipeline
	metrics  *metrics.Metrics
	clock    *testclock.Clock // the form's rate limit
	srv      *httptest.Server
	acme     tickets.Property
	beta     tickets.Property
	token    map[string]string // acme's owner, admin, manager, support; "beta" is beta's owner
	kicked   int
}

func newDesk(t *testing.T, d *db.DB) *desk {
	t.Helper()
	ctx := context.Background()
	e := &desk{t: t, d: d, store: tickets.New(d), clock: testclock.New(time.Now()), token: map[string]string{}}
	var err error
	if e.acme, err = e.store.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme Support", FromAddress: "support@acme.example"}); err != nil {
		t.Fatal(err)
	}
	if e.beta, err = e.store.CreateProperty(ctx, tickets.NewProperty{Slug: "beta", Name: "Beta"}); err != nil {
		t.Fatal(err)
	}
	for _, role := range tickets.Roles {
		e.agent(e.acme, role+"@acme.example", role)
		if e.token[role], err = e.store.CreateToken(ctx, e.acme, role+"@acme.example", "test"); err != nil {
			t.Fatal(err)
		}
	}
	e.agent(e.beta, "boss@beta.example", "owner")
	if e.token["beta"], err = e.store.CreateToken(ctx, e.beta, "boss@beta.example", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddDepartment(ctx, e.acme.ID, "Billing", []string{"support@acme.example"}); err != nil {
		t.Fatal(err)
	}
	secret, err := e.store.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.metrics = metrics.New(d, nil)
	e.pipeline = intake.New(e.metrics.Store(e.store), domain, secret, slog.New(slog.DiscardHandler))
	form := inbound.ReceiverFunc(func(ctx context.Context, m inbound.Message) []inbound.Result {
		ctx = metrics.WithSource(ctx, metrics.SourceForm)
		return e.pipeline.Receive(ctx, m)
	})
	h := api.New(api.Config{Store: e.store, Domain: domain, Deliver: form, Kick: func() { e.kicked++ },
		Metrics: e.metrics.Handler(), Observe: e.metrics.ObserveHTTP, Now: e.clock.Now, MaxUpload: 64 << 10})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *desk) agent(p tickets.Property, email, role string) {
	e.t.Helper()
	if _, err := e.store.AddAgent(context.Background(), p.ID, email, strings.Split(email, "@")[0], role); err != nil {
		e.t.Fatal(err)
	}
}

// mail delivers a raw message to a property as SMTP would, and returns the ticket number.
func (e *desk) mail(p tickets.Property, raw string) int64 {
	e.t.Helper()
	raw = strings.ReplaceAll(raw, "\n", "\r\n")
	from := "customer@example.org"
	d, err := e.pipeline.Deliver(context.Background(), p, []string{intake.ForwardingAddress(p.Slug, domain)}, intake.Prepare(from, []byte(raw)))
	if err != nil {
		e.t.Fatalf("deliver: %v", err)
	}
	return d.TicketNumber
}

var mailSeq int

// customer sends a plain new mail to a property and returns its ticket number.
func (e *desk) customer(p tickets.Property, from, subject, body string) int64 {
	mailSeq++
	return e.mail(p, fmt.Sprintf("From: %s\nTo: %s@%s\nSubject: %s\nMessage-ID: <m%d-%d@example.org>\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n\n%s\n",
		from, p.Slug, domain, subject, mailSeq, time.Now().UnixNano(), body))
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do calls the API as the holder of token ("" for none); body is JSON-encoded unless it is a
// string (sent as is) or nil.
func (e *desk) do(method, path, token string, body any) response {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// as calls the API on acme as the agent of role.
func (e *desk) as(role, method, path string, body any) response {
	e.t.Helper()
	return e.do(method, "/api/v1/properties/acme"+path, e.token[role], body)
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v: %s", r.status, err, r.body)
	}
}

// apiError is the error of an error response.
func (r response) apiError(t *testing.T) (code, message, field string) {
	t.Helper()
	var e struct {
		Error struct {
			Code, Message, Field string
		} `json:"error"`
	}
	r.decode(t, &e)
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error response without code and message: %s", r.body)
	}
	return e.Error.Code, e.Error.Message, e.Error.Field
}

// want checks the status, and for an error the field it names.
func (r response) want(t *testing.T, status int, field string) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if status >= 400 {
		if _, _, f := r.apiError(t); f != field {
			t.Fatalf("error names field %q, want %q: %s", f, field, r.body)
		}
	}
	return r
}

type ticketJSON struct {
	Number     int64    `json:"number"`
	Subject    string   `json:"subject"`
	Status     string   `json:"status"`
	Priority   string   `json:"priority"`
	Customer   string   `json:"customer"`
	Assignee   *string  `json:"assignee"`
	Department *string  `json:"department"`
	Tags       []string `json:"tags"`
}

func (r response) ticket(t *testing.T) ticketJSON {
	t.Helper()
	var tj ticketJSON
	r.decode(t, &tj)
	return tj
}

func TestTokensScopeEveryRequestToTheirProperty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		n := e.customer(e.acme, "ann@example.org", "Printer on fire", "Help!")
		e.customer(e.beta, "bob@example.org", "Beta question", "Hello")

		r := e.do("GET", "/api/v1/properties/acme/tickets", "", nil).want(t, 401, "")
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("401 without a Bearer challenge: %v", r.header)
		}
		e.do("GET", "/api/v1/properties/acme/tickets", "pd_not-a-real-token", nil).want(t, 401, "")
		e.do("GET", "/api/v1/properties/acme/tickets", "Basic x", nil).want(t, 401, "")

		// Beta's owner learns nothing of acme: its paths, tickets and files are all "not found",
		// worded exactly like a property that does not exist.
		missing := e.do("GET", "/api/v1/properties/nosuch/tickets", e.token["beta"], nil).want(t, 404, "")
		for _, path := range []string{"/tickets", fmt.Sprintf("/tickets/%d", n), "", "/contacts", "/attachments/1", "/agents"} {
			r := e.do("GET", "/api/v1/properties/acme"+path, e.token["beta"], nil).want(t, 404, "")
			if !bytes.Equal(r.body, missing.body) {
				t.Fatalf("GET acme%s with beta's token: %s, differs from an unknown property's %s", path, r.body, missing.body)
			}
		}
		e.do("POST", fmt.Sprintf("/api/v1/properties/acme/tickets/%d/close", n), e.token["beta"], nil).want(t, 404, "")
		e.do("DELETE", fmt.Sprintf("/api/v1/properties/acme/tickets/%d", n), e.token["beta"], nil).want(t, 404, "")
		if tk, _ := e.store.Ticket(context.Background(), e.acme.ID, n); tk.Status != "open" {
			t.Fatalf("beta's token changed acme's ticket: %+v", tk)
		}
		// And the other way round; ticket numbers are per property, so acme's #1 is acme's own.
		e.do("GET", "/api/v1/properties/beta/tickets", e.token["owner"], nil).want(t, 404, "")
		e.do("GET", "/api/v1/properties/beta/tickets/1", e.token["owner"], nil).want(t, 404, "")

		var me struct {
			Property struct{ Slug string } `json:"property"`
			Agent    struct{ Email, Role string }
			Forward  string `json:"forwarding_address"`
		}
		e.as("support", "GET", "", nil).want(t, 200, "").decode(t, &me)
		if me.Property.Slug != "acme" || me.Agent.Email != "support@acme.example" || me.Agent.Role != "support" || me.Forward != "acme@"+domain {
			t.Fatalf("GET property: %+v", me)
		}

		// What no route serves is JSON too: 404, or 405 with Allow.
		e.do("GET", "/api/v1/nothing", e.token["owner"], nil).want(t, 404, "")
		r = e.do("PUT", fmt.Sprintf("/api/v1/properties/acme/tickets/%d", n), e.token["owner"], nil).want(t, 405, "")
		if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "DELETE") {
			t.Fatalf("405 Allow: %q", allow)
		}
	})
}

func TestRolesGuardManagementAndDestructiveActions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		n := e.customer(e.acme, "ann@example.org", "One", "x")
		cases := []struct {
			method, path string
			body         any
			min          string
		}{
			{"POST", "/contacts/spammer@example.net/block", nil, "manager"},
			{"POST", "/contacts/spammer@example.net/unblock", nil, "manager"},
			{"POST", "/export", map[string]any{"numbers": []int64{n}}, "manager"},
			{"DELETE", fmt.Sprintf("/tickets/%d/purge", n), nil, "manager"},
			{"GET", "/agents", nil, "admin"},
			{"POST", "/agents", map[string]string{"email": "new@acme.example", "name": "New"}, "admin"},
			{"GET", "/departments", nil, "admin"},
			{"POST", "/departments", map[string]any{"name": "Sales"}, "admin"},
		}
		for _, c := range cases {
			for _, role := range tickets.Roles {
				r := e.as(role, c.method, c.path, c.body)
				allowed := slicesIndex(tickets.Roles, role) >= slicesIndex(tickets.Roles, c.min)
				if !allowed && r.status != 403 {
					t.Errorf("%s %s as %s: %d, want 403: %s", c.method, c.path, role, r.status, r.body)
				}
				if allowed && (r.status == 403 || r.status >= 500) {
					t.Errorf("%s %s as %s: %d, want it allowed: %s", c.method, c.path, role, r.status, r.body)
				}
				if !allowed {
					if code, _, _ := r.apiError(t); code != "forbidden" {
						t.Errorf("403 with code %q", code)
					}
				}
			}
		}
		// The inbox itself is everyone's.
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/close", n), nil).want(t, 200, "")
	})
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestAgentsAndDepartments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		r := e.as("admin", "POST", "/agents", map[string]string{"email": "dora@acme.example", "name": "Dora", "role": "manager"}).want(t, 201, "")
		var a struct{ Email, Name, Role string }
		r.decode(t, &a)
		if a.Email != "dora@acme.example" || a.Role != "manager" {
			t.Fatalf("added agent: %+v", a)
		}
		e.as("admin", "POST", "/agents", map[string]string{"email": "dora@acme.example", "name": "Dora D", "role": "admin"}).want(t, 200, "")
		// No one grants more than they have, or touches someone above them.
		e.as("admin", "POST", "/agents", map[string]string{"email": "eve@acme.example", "name": "Eve", "role": "owner"}).want(t, 403, "role")
		e.as("admin", "POST", "/agents", map[string]string{"email": "owner@acme.example", "name": "Demoted", "role": "support"}).want(t, 403, "email")
		e.as("owner", "POST", "/agents", map[string]string{"email": "eve@acme.example", "name": "Eve", "role": "owner"}).want(t, 201, "")
		e.as("owner", "POST", "/agents", map[string]string{"email": "x@acme.example", "name": "X", "role": "boss"}).want(t, 400, "role")
		e.as("owner", "POST", "/agents", map[string]string{"email": "not-an-email", "name": "X"}).want(t, 400, "email")
		e.as("owner", "POST", "/agents", `{"email":"y@acme.example","name":"Y","admin":true}`).want(t, 400, "admin")
		// Nobody changes their own role (the last owner could demote themself), and another
		// property's agent keeps their name.
		e.as("owner", "POST", "/agents", map[string]string{"email": "owner@acme.example", "name": "Me", "role": "support"}).want(t, 403, "email")
		e.as("owner", "POST", "/agents", map[string]string{"email": "boss@beta.example", "name": "Pwned", "role": "support"}).want(t, 201, "")
		if b, err := e.store.AgentByEmail(context.Background(), e.beta.ID, "boss@beta.example"); err != nil || b.Name != "boss" {
			t.Fatalf("beta's owner renamed by acme: %+v %v", b, err)
		}

		var list struct {
			Agents []struct{ Email, Role string } `json:"agents"`
		}
		e.as("admin", "GET", "/agents", nil).want(t, 200, "").decode(t, &list)
		roles := map[string]string{}
		for _, a := range list.Agents {
			roles[a.Email] = a.Role
		}
		if len(list.Agents) != 7 || roles["dora@acme.example"] != "admin" || roles["eve@acme.example"] != "owner" || roles["owner@acme.example"] != "owner" {
			t.Fatalf("agents: %+v", list.Agents)
		}

		e.as("admin", "POST", "/departments", map[string]any{"name": "Sales", "members": []string{"dora@acme.example"}, "default": true}).want(t, 201, "")
		e.as("admin", "POST", "/departments", map[string]any{"name": "sales", "members": []string{"eve@acme.example"}}).want(t, 200, "")
		e.as("admin", "POST", "/departments", map[string]any{"name": "Ghosts", "members": []string{"nobody@acme.example"}}).want(t, 422, "members")
		var deps struct {
			Departments []struct {
				Name    string
				Members []string
			}
		}
		e.as("admin", "GET", "/departments", nil).want(t, 200, "").decode(t, &deps)
		if len(deps.Departments) != 2 || deps.Departments[1].Name != "Sales" || strings.Join(deps.Departments[1].Members, ",") != "dora@acme.example,eve@acme.example" {
			t.Fatalf("departments: %+v", deps)
		}
	})
}

// A new department's name has no @; a department named before that rule still takes members
// (200), as it did.
func TestDepartmentNamedWithAtStillTakesMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		e.as("admin", "POST", "/departments", map[string]any{"name": "team@acme"}).want(t, 400, "name")
		if _, err := d.ExecContext(context.Background(), d.Rebind(`INSERT INTO departments (property_id, name, name_key, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)`), e.acme.ID, "Legacy@Team", "legacy@team"); err != nil {
			t.Fatal(err)
		}
		var dep struct {
			Name    string
			Members []string
		}
		e.as("admin", "POST", "/departments", map[string]any{"name": "legacy@team", "members": []string{"support@acme.example"}}).want(t, 200, "").decode(t, &dep)
		if dep.Name != "Legacy@Team" || strings.Join(dep.Members, ",") != "support@acme.example" {
			t.Fatalf("the department: %+v", dep)
		}
	})
}
