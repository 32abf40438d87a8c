package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/tickets"
)

// viewLink is one of the views on the left, with its count.
type viewLink struct {
	Name, URL string
	Count     int
	Active    bool
}

// inboxData is the inbox page's.
type inboxData struct {
	Views       []viewLink
	View        string
	Q           url.Values // the list's parameters, as given
	Rows        []tickets.ListItem
	Next, First string // the next page's URL; the first page's when this is not it
	Agents      []tickets.Agent
	Departments []tickets.Department
	Priorities  []string
	Sorts       []string
	Filtered    bool   // a filter beyond the view is on
	Back        string // this list's URL, to come back to after an action
	SortURL     map[string]string
	Ratings     *tickets.RatingSummary // the last 30 days' ratings, above the closed view (ratings.go)
}

// inbox is the ticket list: a view, filters and sorts from the URL (the API's parameters, read by
// the same code), one keyset page.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request, c *call) error {
	v := r.URL.Query()
	p := s.newPage(r, c, "inbox")
	q, err := tickets.ParseQuery(v, c.agent.Email, false)
	status := http.StatusOK
	if err != nil {
		p.Error = storeMessage(err)
		var pe *tickets.ParamError
		if errors.As(err, &pe) {
			p.Error = pe.Msg
		}
		status = http.StatusBadRequest
		q = tickets.Query{View: v.Get("view")}
		if !slices.Contains(tickets.Views, q.View) {
			q.View = "all"
		}
	}
	if q.View == "" {
		q.View = "all"
	}
	ctx := r.Context()
	var page tickets.Page
	if status == http.StatusOK {
		page, err = s.store.Search(ctx, c.prop.ID, c.agent.ID, q)
		if err != nil {
			if !errors.Is(err, tickets.ErrBadCursor) {
				return err
			}
			// A stale cursor (the sort changed under a bookmarked page): the first page.
			q.After = ""
			if page, err = s.store.Search(ctx, c.prop.ID, c.agent.ID, q); err != nil {
				return err
			}
		}
	}
	counts, err := s.store.CountViews(ctx, c.prop.ID, c.agent.ID)
	if err != nil {
		return err
	}
	agents, err := s.store.Agents(ctx, c.prop.ID)
	if err != nil {
		return err
	}
	deps, err := s.store.Departments(ctx, c.prop.ID)
	if err != nil {
		return err
	}
	d := inboxData{View: q.View, Q: v, Rows: page.Tickets, Agents: agents, Departments: deps,
		Priorities: tickets.Priorities, Sorts: tickets.Sorts, Back: r.URL.RequestURI(), SortURL: map[string]string{}}
	if d.Ratings, err = s.ratingSummary(ctx, c, q); err != nil { // ratings.go
		return err
	}
	for _, name := range tickets.Views {
		d.Views = append(d.Views, viewLink{Name: name, URL: c.base() + "/?view=" + name, Count: counts[name], Active: name == q.View})
	}
	if page.Next != "" {
		d.Next = c.base() + "/?" + with(v, "after", page.Next).Encode()
	}
	if v.Get("after") != "" {
		d.First = c.base() + "/?" + with(v, "after", "").Encode()
	}
	for k, vals := range v {
		if k != "view" && k != "after" && k != "sort" && k != "order" && len(vals) > 0 && vals[0] != "" {
			d.Filtered = true
		}
	}
	for _, so := range tickets.Sorts {
		order := "desc"
		if (q.Sort == so || q.Sort == "" && so == "updated") && !q.Asc {
			order = "asc"
		}
		d.SortURL[so] = c.base() + "/?" + with(with(with(v, "after", ""), "sort", so), "order", order).Encode()
	}
	p.Title = p.T("view_" + q.View)
	p.Data = d
	if f := s.takeFlash(w, r); f != "" {
		p.Notice = f
	}
	s.render(w, r, status, p)
	return nil
}

// Name is an assignee's name, their address when they have none.
func (d inboxData) Name(email string) string {
	for _, a := range d.Agents {
		if a.Email == email && a.Name != "" {
			return a.Name
		}
	}
	return email
}

// with is a copy of v with key set to value ("" removes it).
func with(v url.Values, key, value string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	if value == "" {
		out.Del(key)
	} else {
		out.Set(key, value)
	}
	return out
}

// numbers reads the selected ticket numbers of a form.
func numbers(r *http.Request) ([]int64, error) {
	var out []int64
	for _, s := range r.PostForm["n"] {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n <= 0 {
			return nil, &tickets.ParamError{Field: "n", Msg: "not a ticket number: " + s}
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// assignee reads an assignment select: "a:<email>" or "d:<department>".
func assignee(v string) (agent, department string) {
	switch {
	case strings.HasPrefix(v, "a:"):
		return strings.TrimPrefix(v, "a:"), ""
	case strings.HasPrefix(v, "d:"):
		return "", strings.TrimPrefix(v, "d:")
	}
	return v, ""
}

// tagList reads tags typed into one field, separated by commas or spaces.
func tagList(v string) []string {
	var out []string
	for _, t := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if t = strings.ToLower(strings.TrimPrefix(t, "#")); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// op reads an action and its arguments from a form (the bulk bar, a ticket's buttons).
func (s *Server) op(r *http.Request, c *call) (tickets.Op, error) {
	o := tickets.Op{Action: formValue(r, "action")}
	switch o.Action {
	case "assign":
		o.Agent, o.Department = assignee(formValue(r, "assign"))
		if o.Agent == "" && o.Department == "" {
			o.Action = "unassign"
		}
	case "priority":
		o.Priority = formValue(r, "priority")
	case "tag", "untag":
		o.Tags = tagList(formValue(r, "tags"))
	case "snooze":
		until, err := snoozeUntil(formValue(r, "snooze"), formValue(r, "until"), s.cfg.Now(), c.pref.loc)
		if err != nil {
			return o, err
		}
		o.Until = until
	}
	return o, o.Check()
}

// bulk runs one action on the selected tickets, each on its own, then goes back to the list
// saying how many it changed. Purge asks first; export answers with the file or mails it.
func (s *Server) bulk(w http.ResponseWriter, r *http.Request, c *call) error {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		return err
	}
	nums, err := numbers(r)
	if err != nil {
		return err
	}
	back := safeNext(r.PostFormValue("back"))
	if back == "" {
		back = c.base() + "/"
	}
	action := r.PostFormValue("action")
	if len(nums) == 0 {
		s.flash(w, r, "notice_none_selected")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	if len(nums) > tickets.MaxBulk {
		return &tickets.ParamError{Field: "n", Msg: "select at most " + strconv.Itoa(tickets.MaxBulk) + " tickets"}
	}
	switch action {
	case "purge":
		return s.purge(w, r, c, nums, back)
	case "export":
		return s.export(w, r, c, nums)
	}
	o, err := s.op(r, c)
	if err != nil {
		return err
	}
	// Each ticket on its own: one that cannot take the action (gone, in the trash) is counted
	// and named, the others are done; a failure of ours stops the rest.
	done, failed := 0, []string{}
	for _, n := range nums {
		_, err := s.store.Apply(r.Context(), c.prop, c.agent, n, o)
		switch {
		case err == nil:
			done++
		case isNotFound(err) || isInvalid(err):
			failed = append(failed, "#"+strconv.FormatInt(n, 10))
		default:
			if done > 0 {
				s.log.ErrorContext(r.Context(), "web: bulk action stopped", "action", o.Action, "done", done, "err", err)
			}
			return err
		}
	}
	if len(failed) > 0 {
		s.flash(w, r, "notice_done_failed", texts(c).T("action_"+o.Action), done, len(failed), strings.Join(failed, ", "))
	} else {
		s.flash(w, r, "notice_done", texts(c).T("action_"+o.Action), done)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// texts is a page in the call's language, for texts outside a page.
func texts(c *call) *page { return &page{Lang: c.pref.lang} }

// confirmData is the page asking before something that cannot be undone.
type confirmData struct {
	Action, Message, Back string
	// Yes is the button's text ("Yes, delete for good" when empty); Type, when set, must be
	// typed to confirm (a property's slug).
	Yes, Type string
	Numbers   []int64
	Fields    map[string]string
}

// purge deletes tickets in the trash for good, after a confirmation naming how many.
func (s *Server) purge(w http.ResponseWriter, r *http.Request, c *call, nums []int64, back string) error {
	if !c.can("manager") {
		s.errorPage(w, r, c, http.StatusForbidden, "err_role", "manager")
		return nil
	}
	pg := s.newPage(r, c, "confirm")
	if r.PostFormValue("confirm") != "1" {
		pg.Title = pg.T("confirm_title")
		pg.Data = confirmData{Action: c.base() + "/bulk", Message: pg.T("confirm_purge", len(nums)), Back: back, Numbers: nums,
			Fields: map[string]string{"action": "purge"}}
		s.render(w, r, http.StatusOK, pg)
		return nil
	}
	done := 0
	for _, n := range nums {
		err := s.store.Purge(r.Context(), c.prop, n, tickets.AgentActor(c.agent))
		switch {
		case err == nil:
			done++
		case isNotFound(err) || isInvalid(err): // gone already, or not in the trash
		default:
			return err
		}
	}
	s.flash(w, r, "notice_purged", done)
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
