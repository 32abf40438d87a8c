package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/intake"
	"github.com/postdesk/postdesk/tickets"
)

// getProperty: the property and the calling agent, which is how a client checks its token.
func (s *Server) getProperty(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, map[string]any{
		"property":           c.prop,
		"forwarding_address": intake.ForwardingAddress(c.prop.Slug, s.cfg.Domain),
		"agent":              c.agent,
	})
	return nil
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := parseQuery(r.URL.Query(), c.agent.Email)
	if err != nil {
		return err
	}
	page, err := s.store.Search(r.Context(), c.prop.ID, c.agent.ID, q)
	if errors.Is(err, tickets.ErrInvalid) {
		// What the store refuses in a query is the client's mistake too: a stale or forged cursor
		// is the usual one.
		field := ""
		if errors.Is(err, tickets.ErrBadCursor) {
			field = "after"
		}
		return invalid(field, "%s", storeMessage(err))
	}
	if err != nil {
		return err
	}
	if page.Tickets == nil {
		page.Tickets = []tickets.ListItem{}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// number reads the ticket number of the path.
func number(r *http.Request) (int64, error) {
	return positive(r, "number")
}

func positive(r *http.Request, name string) (int64, error) {
	s := r.PathValue(name)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalid(name, "%s %q: a positive whole number", name, s)
	}
	return n, nil
}

// messageView is a message as the API shows it: the reply as written ("trimmed") by default, the
// full text with quoted history and signature only on request (?full=1). HTML is served apart,
// sanitised (html_url), never inline.
type messageView struct {
	ID          int64            `json:"id"`
	Direction   string           `json:"direction"`
	Kind        string           `json:"kind"`
	FromName    string           `json:"from_name"`
	From        string           `json:"from"`
	To          string           `json:"to"`
	Cc          string           `json:"cc"`
	Subject     string           `json:"subject"`
	MessageID   string           `json:"message_id"`
	InReplyTo   string           `json:"in_reply_to"`
	References  string           `json:"references"`
	Threading   string           `json:"threading"`
	Date        *time.Time       `json:"date"`
	CreatedAt   time.Time        `json:"created_at"`
	Trimmed     string           `json:"trimmed"`
	Quoted      bool             `json:"quoted"` // the full text holds more than the trimmed reply
	Text        *string          `json:"text,omitempty"`
	HTMLURL     string           `json:"html_url,omitempty"`
	Problems    string           `json:"problems,omitempty"`
	RawSize     int64            `json:"raw_size"`
	Attachments []attachmentView `json:"attachments"`
}

type attachmentView struct {
	tickets.Attachment
	URL string `json:"url"`
}

type ticketView struct {
	tickets.Ticket
	MessageCount int64           `json:"message_count"`
	Messages     []messageView   `json:"messages"`
	Participants []string        `json:"participants"`
	Events       []tickets.Event `json:"events"`
	RatingDetail *tickets.Rating `json:"rating_detail"` // the customer's rating with its comment (ratings.go)
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := number(r)
	if err != nil {
		return err
	}
	full := false
	for k, v := range r.URL.Query() {
		if k != "full" {
			return invalid(k, "unknown parameter %q: only full", k)
		}
		if full, err = strconv.ParseBool(v[0]); err != nil {
			return invalid("full", "full %q: 1 or 0", v[0])
		}
	}
	d, err := s.store.Detail(r.Context(), c.prop.ID, n)
	if s.redirectMerged(w, r, c, err) {
		return nil
	}
	if err != nil {
		return err
	}
	prefix := "/api/v1/properties/" + c.prop.Slug
	v := ticketView{Ticket: d.Ticket, MessageCount: d.MessageCount, Participants: d.Participants, Events: d.Events, Messages: []messageView{}, RatingDetail: d.RatingDetail}
	for _, m := range d.Messages {
		trimmed := m.Trimmed
		if strings.TrimSpace(trimmed) == "" {
			trimmed = m.Text // agents' messages and notes are stored as written
		}
		mv := messageView{
			ID: m.ID, Direction: m.Direction, Kind: m.Kind, FromName: m.FromName, From: m.From, To: m.To, Cc: m.Cc,
			Subject: m.Subject, MessageID: m.MessageID, InReplyTo: m.InReplyTo, References: m.References,
			Threading: m.Threading, Date: m.Date, CreatedAt: m.CreatedAt, Trimmed: trimmed,
			Quoted: strings.TrimSpace(trimmed) != strings.TrimSpace(m.Text), Problems: m.Problems, RawSize: m.RawSize,
			Attachments: []attachmentView{},
		}
		if full {
			text := m.Text
			mv.Text = &text
		}
		if m.HTML != "" {
			mv.HTMLURL = fmt.Sprintf("%s/messages/%d/html", prefix, m.ID)
		}
		for _, a := range m.Attachments {
			mv.Attachments = append(mv.Attachments, attachmentView{Attachment: a, URL: fmt.Sprintf("%s/attachments/%d", prefix, a.ID)})
		}
		v.Messages = append(v.Messages, mv)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// createBody opens a ticket for a customer.
type createBody struct {
	Customer struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"customer"`
	Subject     string   `json:"subject"`
	Text        string   `json:"text"`
	Attachments []upload `json:"attachments"`
	Priority    string   `json:"priority"`
	Tags        []string `json:"tags"`
	Agent       string   `json:"agent"`
	Department  string   `json:"department"`
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request, c *call) error {
	var b createBody
	if err := decode(w, r, &b, s.messageLimit()); err != nil {
		return err
	}
	if !tickets.ValidEmail(strings.TrimSpace(b.Customer.Email)) {
		return invalid("customer.email", "customer.email %q is not an email address", b.Customer.Email)
	}
	if strings.TrimSpace(b.Subject) == "" {
		return invalid("subject", "a subject is required")
	}
	if b.Priority != "" {
		if err := tickets.CheckPriority(b.Priority); err != nil {
			return err
		}
	}
	target := "" // the creator
	if b.Agent != "" || b.Department != "" {
		var err error
		if target, err = (assignBody{Agent: b.Agent, Department: b.Department}).target(); err != nil {
			return err
		}
	}
	out, err := s.outgoing(b.Text, b.Attachments, "")
	if err != nil {
		return err
	}
	t, err := s.store.CreateTicket(r.Context(), c.prop, c.agent, tickets.NewTicket{
		Customer: tickets.Address{Email: b.Customer.Email, Name: b.Customer.Name}, Subject: b.Subject,
		Priority: b.Priority, Tags: b.Tags, Assign: target, Outgoing: out,
	}, tickets.NewMessageID(s.cfg.Domain))
	if err != nil {
		field := ""
		switch {
		case target != "" && strings.Contains(err.Error(), target):
			field = assignBody{Agent: b.Agent, Department: b.Department}.field()
		case strings.Contains(err.Error(), "tag"):
			field = "tags"
		}
		return withField(err, field)
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/properties/%s/tickets/%d", c.prop.Slug, t.Number))
	writeJSON(w, http.StatusCreated, t)
	return nil
}

// ticketOp is an action on one ticket that answers with the ticket.
func (s *Server) ticketOp(w http.ResponseWriter, r *http.Request, body any, do func(n int64) (tickets.Ticket, error)) error {
	n, err := number(r)
	if err != nil {
		return err
	}
	if body == nil {
		err = decodeEmpty(w, r)
	} else {
		err = decode(w, r, body, maxJSONBody)
	}
	if err != nil {
		return err
	}
	t, err := do(n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

type assignBody struct {
	Agent      string `json:"agent"`
	Department string `json:"department"`
}

// field is the input an assignment error is about.
func (b assignBody) field() string {
	if b.Department != "" {
		return "department"
	}
	return "agent"
}

// target checks an assignment: exactly one of an agent's email or a department's name.
func (b assignBody) target() (string, error) { return tickets.AssignTarget(b.Agent, b.Department) }

func (s *Server) assign(w http.ResponseWriter, r *http.Request, c *call) error {
	var b assignBody
	return s.ticketOp(w, r, &b, func(n int64) (tickets.Ticket, error) {
		if _, err := b.target(); err != nil {
			return tickets.Ticket{}, err
		}
		t, err := s.store.Apply(r.Context(), c.prop, c.agent, n, tickets.Op{Action: "assign", Agent: b.Agent, Department: b.Department})
		return t, withField(err, b.field())
	})
}

func (s *Server) unassign(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.ticketOp(w, r, nil, func(n int64) (tickets.Ticket, error) {
		return s.store.Apply(r.Context(), c.prop, c.agent, n, tickets.Op{Action: "unassign"})
	})
}

func (s *Server) priority(w http.ResponseWriter, r *http.Request, c *call) error {
	var b struct {
		Priority string `json:"priority"`
	}
	return s.ticketOp(w, r, &b, func(n int64) (tickets.Ticket, error) {
		if err := tickets.CheckPriority(b.Priority); err != nil {
			return tickets.Ticket{}, err
		}
		return s.store.Apply(r.Context(), c.prop, c.agent, n, tickets.Op{Action: "priority", Priority: b.Priority})
	})
}

func (s *Server) tags(w http.ResponseWriter, r *http.Request, c *call) error {
	var b struct {
		Add    []string `json:"add"`
		Remove []string `json:"remove"`
	}
	return s.ticketOp(w, r, &b, func(n int64) (tickets.Ticket, error) {
		if len(b.Add) == 0 && len(b.Remove) == 0 {
			return tickets.Ticket{}, invalid("add", "give tags to add, to remove, or both")
		}
		t, err := s.store.Retag(r.Context(), c.prop, n, c.agent, b.Add, b.Remove)
		return t, withField(err, "add")
	})
}

func (s *Server) close(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.ticketOp(w, r, nil, func(n int64) (tickets.Ticket, error) {
		return s.store.Apply(r.Context(), c.prop, c.agent, n, tickets.Op{Action: "close"})
	})
}

func (s *Server) reopen(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.ticketOp(w, r, nil, func(n int64) (tickets.Ticket, error) {
		return s.store.Apply(r.Context(), c.prop, c.agent, n, tickets.Op{Action: "reopen"})
	})
}

func parseUntil(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, invalid("until", "until %q: a time as 2006-01-02T15:04:05Z (RFC 3339)", s)
	}
	return t, nil
}

func (s *Server) snooze(w http.ResponseWriter, r *http.Request, c *call) error {
	var b struct {
		Until string `json:"until"`
	}
	return s.ticketOp(w, r, &b, func(n int64) (tickets.Ticket, error) {
		until, err := parseUntil(b.Until)
		if err != nil {
			return tickets.Ticket{}, err
		}
		t, err := s.store.Apply(r.Context(), c.prop, c.agent, n, tickets.Op{Action: "snooze", Until: until})
		return t, withField(err, "until")
	})
}

func (s *Server) unsnooze(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.ticketOp(w, r, nil, func(n int64) (tickets.Ticket, error) {
		return s.store.Unsnooze(r.Context(), c.prop, n, c.agent)
	})
}

func (s *Server) trash(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.ticketOp(w, r, nil, func(n int64) (tickets.Ticket, error) {
		return s.store.Apply(r.Context(), c.prop, c.agent, n, tickets.Op{Action: "trash"})
	})
}

func (s *Server) restore(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.ticketOp(w, r, nil, func(n int64) (tickets.Ticket, error) {
		return s.store.Apply(r.Context(), c.prop, c.agent, n, tickets.Op{Action: "restore"})
	})
}

func (s *Server) spam(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.ticketOp(w, r, nil, func(n int64) (tickets.Ticket, error) {
		return s.store.Apply(r.Context(), c.prop, c.agent, n, tickets.Op{Action: "spam"})
	})
}

func (s *Server) unspam(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.ticketOp(w, r, nil, func(n int64) (tickets.Ticket, error) {
		return s.store.Apply(r.Context(), c.prop, c.agent, n, tickets.Op{Action: "unspam"})
	})
}

// purge deletes a ticket in the trash for good; one not in the trash is a conflict (409): purging
// is the second step, never the first.
func (s *Server) purge(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := number(r)
	if err != nil {
		return err
	}
	if err := decodeEmpty(w, r); err != nil {
		return err
	}
	err = s.store.Purge(r.Context(), c.prop, n, c.actor())
	if errors.Is(err, tickets.ErrInvalid) {
		return apiErr(http.StatusConflict, codeConflict, "", "%s", storeMessage(err))
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) read(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.readState(w, r, c, s.store.MarkRead)
}

func (s *Server) unread(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.readState(w, r, c, s.store.MarkUnread)
}

func (s *Server) readState(w http.ResponseWriter, r *http.Request, c *call, mark func(context.Context, tickets.Property, int64, tickets.Agent) error) error {
	n, err := number(r)
	if err != nil {
		return err
	}
	if err := decodeEmpty(w, r); err != nil {
		return err
	}
	if err := mark(r.Context(), c.prop, n, c.agent); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// reply and note post an agent's message: text, and attachments as base64.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.post(w, r, c, s.store.Reply)
}

func (s *Server) note(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.post(w, r, c, s.store.Note)
}
