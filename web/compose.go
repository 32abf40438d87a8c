package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/tickets"
)

// composeData is the new-ticket page's.
type composeData struct {
	Agents      []tickets.Agent
	Departments []tickets.Department
	Priorities  []string
	// the form as posted, when it comes back with an error
	Email, Name, Subject, Text, Assign, Priority, Tags string
}

func (s *Server) composeForm(r *http.Request, c *call, d composeData) (*page, error) {
	var err error
	if d.Agents, err = s.store.Agents(r.Context(), c.prop.ID); err != nil {
		return nil, err
	}
	if d.Departments, err = s.store.Departments(r.Context(), c.prop.ID); err != nil {
		return nil, err
	}
	d.Priorities = tickets.Priorities
	if d.Priority == "" {
		d.Priority = "normal"
	}
	p := s.newPage(r, c, "compose")
	p.Title = p.T("compose_title")
	p.Data = d
	return p, nil
}

func (s *Server) composePage(w http.ResponseWriter, r *http.Request, c *call) error {
	d := composeData{Email: r.URL.Query().Get("email"), Assign: "a:" + c.agent.Email}
	p, err := s.composeForm(r, c, d)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, p)
	return nil
}

// compose opens a ticket for a customer: its first message goes to them.
func (s *Server) compose(w http.ResponseWriter, r *http.Request, c *call) error {
	if r.MultipartForm == nil {
		if err := s.parseUpload(w, r); err != nil {
			return err
		}
	}
	d := composeData{Email: strings.TrimSpace(formValue(r, "email")), Name: strings.TrimSpace(formValue(r, "name")),
		Subject: strings.TrimSpace(formValue(r, "subject")), Text: formValue(r, "text"), Assign: formValue(r, "assign"),
		Priority: formValue(r, "priority"), Tags: formValue(r, "tags")}
	again := func(err error) error {
		p, perr := s.composeForm(r, c, d)
		if perr != nil {
			return perr
		}
		p.Error = storeMessage(err)
		s.render(w, r, http.StatusUnprocessableEntity, p)
		return nil
	}
	if !tickets.ValidEmail(strings.ToLower(d.Email)) {
		return again(&tickets.ParamError{Field: "email", Msg: fmt.Sprintf("%q is not an email address", d.Email)})
	}
	if d.Subject == "" {
		return again(&tickets.ParamError{Field: "subject", Msg: "a subject is required"})
	}
	if d.Priority != "" {
		if err := tickets.CheckPriority(d.Priority); err != nil {
			return again(err)
		}
	}
	out, err := s.outgoing(w, r)
	if err != nil {
		return again(err)
	}
	agent, dep := assignee(d.Assign)
	target := ""
	if agent != "" || dep != "" {
		if target, err = tickets.AssignTarget(agent, dep); err != nil {
			return again(err)
		}
	}
	t, err := s.store.CreateTicket(r.Context(), c.prop, c.agent, tickets.NewTicket{
		Customer: tickets.Address{Email: d.Email, Name: d.Name}, Subject: d.Subject, Priority: d.Priority,
		Tags: tagList(d.Tags), Assign: target, Outgoing: out,
	}, tickets.NewMessageID(s.cfg.Domain))
	if isInvalid(err) {
		return again(err)
	}
	if err != nil {
		return err
	}
	if s.cfg.Kick != nil {
		s.cfg.Kick()
	}
	s.flash(w, r, "notice_created", t.Number)
	http.Redirect(w, r, fmt.Sprintf("%s/t/%d", c.base(), t.Number), http.StatusSeeOther)
	return nil
}
