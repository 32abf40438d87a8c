package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
	"github.com/postdesk/postdesk/web"
)

// adminSite is the site with an admin (ada) and an owner (olga) on acme, their passwords set,
// and the mail templates' locales.
func adminSite(t *testing.T, d *db.DB, with func(*web.Config)) *site {
	t.Helper()
	s := newSiteWith(t, d, func(c *web.Config) {
		set, err := templates.Default()
		if err != nil {
			t.Fatal(err)
		}
		c.Locales = set
		if with != nil {
			with(c)
		}
	})
	for _, a := range []struct{ email, role string }{{"ada@acme.example", "admin"}, {"olga@acme.example", "owner"}} {
		if _, err := s.store.AddAgent(context.Background(), s.acme.ID, a.email, strings.Split(a.email, "@")[0], a.role); err != nil {
			t.Fatal(err)
		}
	}
	s.auth.mu.Lock()
	s.auth.password["ada@acme.example"], s.auth.password["olga@acme.example"] = "ada's password", "olga's password"
	s.auth.mu.Unlock()
	return s
}

func (s *site) as(email, password string) *browser {
	b := s.browser()
	b.signIn(email, password)
	b.get("/p/acme/") // its CSRF token
	return b
}

func (b *browser) form(kv ...string) url.Values {
	v := url.Values{"csrf": {b.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// Support agents and managers neither see the Admin menu nor open or post to its pages (403,
// as in the API, where these routes are admin's); admins do, and only owners remove the
// property. Every POST needs the session's CSRF token.
func TestAdminPagesNeedTheRoleAndTheToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := adminSite(t, d, nil)
		pages := []string{"/p/acme/admin/property", "/p/acme/admin/agents", "/p/acme/admin/departments", "/p/acme/admin/mailboxes"}
		posts := []struct{ path, field, value string }{
			{"/p/acme/admin/property", "name", "Pwned"}, {"/p/acme/admin/agents", "email", "eve@acme.example"},
			{"/p/acme/admin/agents/remove", "email", "alice@acme.example"}, {"/p/acme/admin/departments", "name", "Sales"},
			{"/p/acme/admin/mailboxes", "host", "imap.example"}, {"/p/acme/admin/mailboxes/connect", "provider", "google"},
			{"/p/acme/admin/property/remove", "typed", "acme"},
		}
		for _, who := range []struct{ email, password string }{{"alice@acme.example", "correct horse"}, {"mo@acme.example", "battery staple"}} {
			b := s.as(who.email, who.password)
			if _, page, _ := b.get("/p/acme/"); strings.Contains(page, `id="admin-menu"`) {
				t.Errorf("%s sees the Admin menu", who.email)
			}
			// The role refuses them, not the CSRF check (which answers 403 too).
			for _, p := range append(pages, "/p/acme/admin/") {
				if code, page, _ := b.get(p); code != http.StatusForbidden || !strings.Contains(page, "This needs the admin role.") {
					t.Errorf("%s GET %s: %d, want 403 for the role\n%s", who.email, p, code, page)
				}
			}
			for _, p := range posts {
				want := "This needs the admin role."
				if p.path == "/p/acme/admin/property/remove" {
					want = "This needs the owner role."
				}
				code, page, _ := b.post(p.path, b.form(p.field, p.value, "name", "Pwned", "confirm", "1", "reopen_hours", "1"))
				if code != http.StatusForbidden || !strings.Contains(page, want) || strings.Contains(page, "This form has expired") {
					t.Errorf("%s POST %s: %d, want 403 for the role\n%s", who.email, p.path, code, page)
				}
			}
		}
		ada := s.as("ada@acme.example", "ada's password")
		if _, page, _ := ada.get("/p/acme/"); !strings.Contains(page, `id="admin-menu"`) {
			t.Error("an admin does not see the Admin menu")
		}
		for _, p := range pages {
			if code, page, _ := ada.get(p); code != http.StatusOK {
				t.Errorf("admin GET %s: %d\n%s", p, code, page)
			}
		}
		if _, page, _ := ada.get("/p/acme/admin/property"); strings.Contains(page, `id="remove-property"`) {
			t.Error("an admin is offered to remove the property")
		}
		if code, _, _ := ada.post("/p/acme/admin/property/remove", ada.form("confirm", "1", "typed", "acme")); code != http.StatusForbidden {
			t.Errorf("an admin removes the property: %d", code)
		}
		// Without the token, or with another's, nothing changes.
		for _, tok := range []string{"", "forged"} {
			v := url.Values{"csrf": {tok}, "name": {"Pwned"}, "reopen_hours": {"1"}}
			if code, _, _ := ada.post("/p/acme/admin/property", v); code != http.StatusForbidden {
				t.Errorf("POST without the CSRF token %q: %d", tok, code)
			}
		}
		if p, _ := s.store.PropertyByID(context.Background(), s.acme.ID); p.Name != "Acme" {
			t.Fatalf("the property was changed: %+v", p)
		}
		// Another property's admin pages are not found.
		if code, _, _ := ada.get("/p/beta/admin/property"); code != http.StatusNotFound {
			t.Errorf("beta's settings: %d", code)
		}
	})
}

// An admin edits the property's settings, checked as the API checks them: a refused value
// changes nothing.
func TestAdminEditsTheProperty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := adminSite(t, d, nil)
		ada := s.as("ada@acme.example", "ada's password")
		_, page, _ := ada.get("/p/acme/admin/property")
		if !strings.Contains(page, `<option value="fr">`) || !strings.Contains(page, `name="reopen_hours" min="0" step="any" value="72"`) {
			t.Fatalf("the settings page:\n%s", page)
		}
		bad := ada.form("name", "Acme Inc", "from_address", "not an address", "reopen_hours", "24", "locale", "fr")
		if code, page, _ := ada.post("/p/acme/admin/property", bad); code != http.StatusBadRequest || !strings.Contains(page, "not an email address") {
			t.Fatalf("a bad from address: %d\n%s", code, page)
		}
		if code, _, _ := ada.post("/p/acme/admin/property", ada.form("name", "Acme Inc", "reopen_hours", "24", "locale", "xx-nope")); code != http.StatusUnprocessableEntity {
			t.Fatalf("an unknown locale: %d", code)
		}
		if p, _ := s.store.PropertyByID(context.Background(), s.acme.ID); p.Name != "Acme" || p.Locale != "en" {
			t.Fatalf("a refused change changed %+v", p)
		}
		good := ada.form("name", "Acme Inc", "from_address", "help@acme.example", "reopen_hours", "1.5", "locale", "fr", "close_mail", "1")
		code, _, h := ada.post("/p/acme/admin/property", good)
		if code != http.StatusSeeOther || h.Get("Location") != "/p/acme/admin/property" {
			t.Fatalf("save: %d %q", code, h.Get("Location"))
		}
		p, err := s.store.PropertyByID(context.Background(), s.acme.ID)
		if err != nil || p.Name != "Acme Inc" || p.FromAddress != "help@acme.example" || p.ReopenWindow != 90*time.Minute || p.Locale != "fr" || p.Acknowledge || !p.CloseMail {
			t.Fatalf("after saving: %+v %v", p, err)
		}
		if _, page, _ := ada.get("/p/acme/admin/property"); !strings.Contains(page, "Saved.") || !strings.Contains(page, `value="Acme Inc"`) || !strings.Contains(page, `value="1.5"`) {
			t.Errorf("the page after saving:\n%s", page)
		}
	})
}

// An owner removes the property only by typing its slug; it goes with what it holds.
func TestOwnerRemovesThePropertyByTypingItsSlug(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := adminSite(t, d, nil)
		s.mail(s.acme, "carol@customer.example", "Hello", "Hi there", "")
		olga := s.as("olga@acme.example", "olga's password")
		code, page, _ := olga.post("/p/acme/admin/property/remove", olga.form())
		if code != http.StatusOK || !strings.Contains(page, `id="confirm-typed"`) || !strings.Contains(page, "1 tickets") {
			t.Fatalf("the confirmation: %d\n%s", code, page)
		}
		if code, _, _ := olga.post("/p/acme/admin/property/remove", olga.form("confirm", "1", "typed", "beta")); code != http.StatusUnprocessableEntity {
			t.Fatalf("the wrong slug: %d", code)
		}
		if _, err := s.store.PropertyByID(context.Background(), s.acme.ID); err != nil {
			t.Fatalf("removed without its slug: %v", err)
		}
		// The removal ends olga's session (her memberships changed): the result is a page of its
		// own, not a notice lost on the way to the sign-in page.
		if code, page, _ := olga.post("/p/acme/admin/property/remove", olga.form("confirm", "1", "typed", "acme")); code != http.StatusOK ||
			!strings.Contains(page, `id="removed"`) || !strings.Contains(page, "Property acme was removed with its 1 tickets.") {
			t.Fatalf("remove: %d\n%s", code, page)
		}
		if _, err := s.store.PropertyByID(context.Background(), s.acme.ID); !isNotFound(err) {
			t.Fatalf("the property is still there: %v", err)
		}
	})
}

// Without the server's template set (Config.Locales), the property's language is checked against
// the built-in locales, as the API checks it: an unknown one is refused, not stored.
func TestAdminPropertyLocaleIsCheckedWithoutTheServersTemplates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := adminSite(t, d, func(c *web.Config) { c.Locales = nil })
		ada := s.as("ada@acme.example", "ada's password")
		if _, page, _ := ada.get("/p/acme/admin/property"); !strings.Contains(page, `<option value="fr">`) {
			t.Errorf("the built-in locales are not offered:\n%s", page)
		}
		code, page, _ := ada.post("/p/acme/admin/property", ada.form("name", "Acme", "from_address", "help@acme.example", "reopen_hours", "24", "locale", "xx-nope"))
		if code != http.StatusUnprocessableEntity {
			t.Errorf("an unknown locale: %d\n%s", code, page)
		}
		if p, _ := s.store.PropertyByID(context.Background(), s.acme.ID); p.Locale != "en" {
			t.Fatalf("the unknown locale was stored: %q", p.Locale)
		}
		if code, _, _ := ada.post("/p/acme/admin/property", ada.form("name", "Acme", "from_address", "help@acme.example", "reopen_hours", "24", "locale", "it")); code != http.StatusSeeOther {
			t.Errorf("a built-in locale: %d", code)
		}
	})
}

func isNotFound(err error) bool { return err != nil && strings.Contains(err.Error(), "not found") }

// linkMail captures the sign-in links the web mails.
type linkMail struct {
	mu    sync.Mutex
	links map[string]string // email → link
}

func (m *linkMail) SignInLink(_ context.Context, _ tickets.Property, to tickets.Address, link, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.links[to.Email] = link
	return nil
}

func (m *linkMail) Export(context.Context, tickets.Property, tickets.Agent, string, string, int, []byte) error {
	return nil
}

// An admin adds an agent (mailed a sign-in link), changes a role and removes an agent, with
// the API's rules: no role above their own, nobody above them, not themselves.
func TestAdminManagesAgents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		mails := &linkMail{links: map[string]string{}}
		s := adminSite(t, d, func(c *web.Config) { c.Mail = mails })
		ctx := context.Background()
		ada := s.as("ada@acme.example", "ada's password")
		code, _, _ := ada.post("/p/acme/admin/agents", ada.form("email", "Dora@Acme.example", "name", "Dora", "role", "support", "link", "1"))
		if code != http.StatusSeeOther {
			t.Fatalf("add an agent: %d", code)
		}
		if a, err := s.store.AgentByEmail(ctx, s.acme.ID, "dora@acme.example"); err != nil || a.Role != "support" {
			t.Fatalf("dora: %+v %v", a, err)
		}
		if l := mails.links["dora@acme.example"]; !strings.HasPrefix(l, "http://desk.test/signin/link?token=") {
			t.Fatalf("dora's sign-in link: %q", l)
		}
		for _, c := range []struct {
			path string
			form url.Values
			want string
		}{
			{"/p/acme/admin/agents", ada.form("email", "eve@acme.example", "name", "Eve", "role", "owner"), "cannot grant owner"},
			{"/p/acme/admin/agents/role", ada.form("email", "olga@acme.example", "role", "support"), "above you"},
			{"/p/acme/admin/agents/remove", ada.form("email", "olga@acme.example", "confirm", "1"), "above you"},
			{"/p/acme/admin/agents/role", ada.form("email", "ada@acme.example", "role", "support"), "your own role"},
			{"/p/acme/admin/agents/remove", ada.form("email", "ada@acme.example", "confirm", "1"), "remove yourself"},
		} {
			if code, page, _ := ada.post(c.path, c.form); code != http.StatusForbidden || !strings.Contains(page, c.want) {
				t.Errorf("POST %s %v: %d, want 403 saying %q", c.path, c.form, code, c.want)
			}
		}
		if code, _, _ := ada.post("/p/acme/admin/agents/role", ada.form("email", "dora@acme.example", "role", "manager")); code != http.StatusSeeOther {
			t.Fatalf("change a role: %d", code)
		}
		if a, _ := s.store.AgentByEmail(ctx, s.acme.ID, "dora@acme.example"); a.Role != "manager" {
			t.Fatalf("dora is %s", a.Role)
		}
		del := s.mail(s.acme, "carol@customer.example", "Help", "Please", "")
		olga, err := s.store.AgentByEmail(ctx, s.acme.ID, "olga@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.store.Apply(ctx, s.acme, olga, del.TicketNumber, tickets.Op{Action: "assign", Agent: "alice@acme.example"}); err != nil {
			t.Fatal(err)
		}
		code, page, _ := ada.post("/p/acme/admin/agents/remove", ada.form("email", "alice@acme.example"))
		if code != http.StatusOK || !strings.Contains(page, `id="confirm-form"`) || !strings.Contains(page, "alice@acme.example") {
			t.Fatalf("the confirmation: %d\n%s", code, page)
		}
		if _, err := s.store.AgentByEmail(ctx, s.acme.ID, "alice@acme.example"); err != nil {
			t.Fatal("removed before the confirmation")
		}
		if code, _, _ := ada.post("/p/acme/admin/agents/remove", ada.form("email", "alice@acme.example", "confirm", "1")); code != http.StatusSeeOther {
			t.Fatalf("remove: %d", code)
		}
		if _, err := s.store.AgentByEmail(ctx, s.acme.ID, "alice@acme.example"); !isNotFound(err) {
			t.Fatalf("alice is still an agent: %v", err)
		}
		tk, err := s.store.Ticket(ctx, s.acme.ID, del.TicketNumber)
		if err != nil || tk.Assignee != nil {
			t.Fatalf("alice's ticket: %+v %v", tk, err)
		}
		if _, page, _ := ada.get("/p/acme/admin/agents"); !strings.Contains(page, "alice@acme.example was removed; 1 ticket(s) are unassigned.") {
			t.Errorf("the notice:\n%s", page)
		}
	})
}

// Departments: created, given members, renamed, their members taken out, removed.
func TestAdminManagesDepartments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := adminSite(t, d, nil)
		ctx := context.Background()
		ada := s.as("ada@acme.example", "ada's password")
		if code, _, _ := ada.post("/p/acme/admin/departments", ada.form("name", "a@b")); code != http.StatusUnprocessableEntity {
			t.Errorf("a name with @: %d", code)
		}
		for _, f := range []url.Values{
			ada.form("name", "Sales", "default", "1"),
			ada.form("name", "Sales", "email", "alice@acme.example"),
			ada.form("name", "sales", "email", "mo@acme.example"),
		} {
			path := "/p/acme/admin/departments"
			if f.Has("email") {
				path += "/members"
			}
			if code, page, _ := ada.post(path, f); code != http.StatusSeeOther {
				t.Fatalf("POST %s %v: %d\n%s", path, f, code, page)
			}
		}
		if code, _, _ := ada.post("/p/acme/admin/departments/members", ada.form("name", "Sales", "email", "bea@beta.example")); code != http.StatusUnprocessableEntity {
			t.Errorf("another property's agent as a member: %d", code)
		}
		// A department named with @ before names were checked still takes members.
		if _, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO departments (property_id, name, name_key, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)`), s.acme.ID, "Old@Team", "old@team"); err != nil {
			t.Fatal(err)
		}
		if code, page, _ := ada.post("/p/acme/admin/departments/members", ada.form("name", "Old@Team", "email", "alice@acme.example")); code != http.StatusSeeOther {
			t.Errorf("a member added to a department named with @: %d\n%s", code, page)
		}
		if old, err := s.store.DepartmentByName(ctx, s.acme.ID, "old@team"); err != nil || strings.Join(old.Members, ",") != "alice@acme.example" {
			t.Errorf("the department named with @: %+v %v", old, err)
		}
		if code, _, _ := ada.post("/p/acme/admin/departments/rename", ada.form("name", "sales", "to", "Deals")); code != http.StatusSeeOther {
			t.Fatalf("rename: %d", code)
		}
		if code, _, _ := ada.post("/p/acme/admin/departments/members/remove", ada.form("name", "Deals", "email", "mo@acme.example")); code != http.StatusSeeOther {
			t.Fatalf("remove a member: %d", code)
		}
		dep, err := s.store.DepartmentByName(ctx, s.acme.ID, "deals")
		if err != nil || dep.Name != "Deals" || !dep.Default || strings.Join(dep.Members, ",") != "alice@acme.example" {
			t.Fatalf("the department: %+v %v", dep, err)
		}
		if _, page, _ := ada.get("/p/acme/admin/departments"); !strings.Contains(page, `data-name="Deals"`) {
			t.Errorf("the page:\n%s", page)
		}
		if code, page, _ := ada.post("/p/acme/admin/departments/remove", ada.form("name", "Deals")); code != http.StatusOK || !strings.Contains(page, `id="confirm-form"`) {
			t.Fatalf("the confirmation: %d", code)
		}
		if code, _, _ := ada.post("/p/acme/admin/departments/remove", ada.form("name", "Deals", "confirm", "1")); code != http.StatusSeeOther {
			t.Fatalf("remove: %d", code)
		}
		if _, err := s.store.DepartmentByName(ctx, s.acme.ID, "deals"); !isNotFound(err) {
			t.Fatalf("the department is still there: %v", err)
		}
	})
}
