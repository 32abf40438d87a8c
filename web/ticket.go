package web

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/httpsafe"
	"github.com/postdesk/postdesk/tickets"
)

// A thread longer than collapseOver messages shows its first and its last showLast, and a link to
// the rest.
const (
	collapseOver = 40
	showLast     = 25
	maxText      = tickets.MaxText
	maxFiles     = tickets.MaxAttachments
)

// messageView is a message as the ticket page shows it.
type messageView struct {
	tickets.Message
	Note, Out bool
	Shown     string // the reply as written; the full text is Text
	Quoted    bool   // the full text holds more than Shown
	HTMLURL   string
	Files     []fileView
}

type fileView struct {
	tickets.Attachment
	URL   string
	Image bool // shown as a thumbnail
}

// ticketData is the ticket page's.
type ticketData struct {
	T           tickets.TicketDetail
	Messages    []messageView
	Hidden      int    // messages collapsed out of the thread
	AllURL      string // the thread in full
	Seen        int64  // the newest message id on the page: a reply checks nothing arrived since
	Agents      []tickets.Agent
	Departments []tickets.Department
	Priorities  []string
	Snoozes     []string
	Present     []Presence
	// After a refused reply: what arrived meanwhile, and the text to send again.
	Arrived []messageView
	Draft   string
	Kind    string // "reply" or "note"
	// SavedReplies is the names of the saved replies the reply box offers.
	SavedReplies []string
}

// ticket is a ticket's page; opening it marks it read for this agent.
func (s *Server) ticket(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := pathNumber(r)
	if err != nil {
		return err
	}
	d, err := s.ticketData(r, c, n, r.URL.Query().Get("all") == "1")
	if s.redirectMerged(w, r, c, err) {
		return nil
	}
	if err != nil {
		return err
	}
	// Read as shown: what changed while the page was being built stays unread.
	if err := s.store.MarkReadAt(r.Context(), c.prop, n, c.agent, d.T.UpdatedAt); err != nil {
		return err
	}
	p := s.newPage(r, c, "ticket")
	p.Title = fmt.Sprintf("#%d %s", d.T.Number, d.T.Subject)
	p.Data = d
	p.Notice = s.takeFlash(w, r)
	s.render(w, r, http.StatusOK, p)
	return nil
}

func pathNumber(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("number"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("web: ticket %q: %w", r.PathValue("number"), tickets.ErrNotFound)
	}
	return n, nil
}

func (s *Server) ticketData(r *http.Request, c *call, n int64, all bool) (*ticketData, error) {
	ctx := r.Context()
	t, err := s.store.Detail(ctx, c.prop.ID, n)
	if err != nil {
		return nil, err
	}
	d := &ticketData{T: t, Priorities: tickets.Priorities, Snoozes: snoozePresets, Kind: "reply"}
	msgs := t.Messages
	for _, m := range msgs {
		d.Seen = max(d.Seen, m.ID)
	}
	if !all && len(msgs) > collapseOver {
		d.Hidden = len(msgs) - 1 - showLast
		d.AllURL = fmt.Sprintf("%s/t/%d?all=1", c.base(), n)
		msgs = append(msgs[:1:1], msgs[len(msgs)-showLast:]...)
	}
	for _, m := range msgs {
		d.Messages = append(d.Messages, s.messageView(c, m))
	}
	if d.Agents, err = s.store.Agents(ctx, c.prop.ID); err != nil {
		return nil, err
	}
	if d.Departments, err = s.store.Departments(ctx, c.prop.ID); err != nil {
		return nil, err
	}
	if d.SavedReplies, err = s.store.SavedReplyNames(ctx, c.prop); err != nil {
		return nil, err
	}
	if s.cfg.Feed != nil {
		if d.Present, err = s.cfg.Feed.Present(ctx, c.prop.ID, n); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Server) messageView(c *call, m tickets.Message) messageView {
	shown := m.Trimmed
	if strings.TrimSpace(shown) == "" {
		shown = m.Text // agents' messages and notes are stored as written
	}
	v := messageView{Message: m, Note: m.Direction == tickets.DirectionNote, Out: m.Direction == tickets.DirectionOut,
		Shown: shown, Quoted: strings.TrimSpace(shown) != strings.TrimSpace(m.Text)}
	if m.HTML != "" {
		v.HTMLURL = fmt.Sprintf("%s/m/%d/html", c.base(), m.ID)
	}
	for _, a := range m.Attachments {
		v.Files = append(v.Files, fileView{Attachment: a, URL: fmt.Sprintf("%s/a/%d", c.base(), a.ID), Image: httpsafe.InlineImage(a.ContentType)})
	}
	return v
}

// outgoing reads a reply's, a note's or a new ticket's text and files from a multipart form.
func (s *Server) outgoing(w http.ResponseWriter, r *http.Request) (tickets.Outgoing, error) {
	text := strings.ReplaceAll(formValue(r, "text"), "\r\n", "\n")
	if strings.TrimSpace(text) == "" {
		return tickets.Outgoing{}, &tickets.ParamError{Field: "text", Msg: "the text is empty"}
	}
	if len(text) > maxText {
		return tickets.Outgoing{}, &tickets.ParamError{Field: "text", Msg: fmt.Sprintf("the text is longer than %d bytes", maxText)}
	}
	out := tickets.Outgoing{Text: strings.ToValidUTF8(text, "\uFFFD")}
	if r.MultipartForm == nil {
		return out, nil
	}
	files := r.MultipartForm.File["files"]
	if len(files) > maxFiles {
		return out, &tickets.ParamError{Field: "files", Msg: fmt.Sprintf("at most %d files", maxFiles)}
	}
	var total int64
	for i, fh := range files {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the empty file input of a form posted without a file
		}
		if total += fh.Size; total > s.cfg.MaxUpload {
			return out, &tickets.ParamError{Field: "files", Msg: fmt.Sprintf("the files add up to more than %d MB", s.cfg.MaxUpload>>20)}
		}
		f, err := fh.Open()
		if err != nil {
			return out, fmt.Errorf("web: upload: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(f, s.cfg.MaxUpload+1))
		f.Close()
		if err != nil {
			return out, fmt.Errorf("web: upload: %w", err)
		}
		a, err := tickets.AttachmentOf(fmt.Sprintf("files[%d]", i), fh.Filename, fh.Header.Get("Content-Type"), data)
		if err != nil {
			return out, err
		}
		out.Attachments = append(out.Attachments, a)
	}
	return out, nil
}

// parseUpload reads a multipart form of at most the upload limit plus the text.
func (s *Server) parseUpload(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload+2*maxText+64<<10)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(8 << 20)
	}
	return r.ParseForm()
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.post(w, r, c, "reply")
}

func (s *Server) note(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.post(w, r, c, "note")
}

// post stores a reply or a note. When another message arrived since the page was loaded (seen),
// it is not sent: the page comes back showing what arrived, with the text kept, to send anyway.
func (s *Server) post(w http.ResponseWriter, r *http.Request, c *call, kind string) error {
	n, err := pathNumber(r)
	if err != nil {
		return err
	}
	if r.MultipartForm == nil {
		if err := s.parseUpload(w, r); err != nil {
			return err
		}
	}
	out, err := s.outgoing(w, r)
	if err != nil {
		return err
	}
	seen, _ := strconv.ParseInt(formValue(r, "seen"), 10, 64)
	if formValue(r, "confirm") != "1" {
		d, err := s.ticketData(r, c, n, false)
		if err != nil {
			return err
		}
		// The web holds on any arrival, the customer's too: the page shows it on the spot (the
		// mail intake holds only a stale reply: tickets.Arrived).
		arrived, _ := tickets.Arrived(d.T.Messages, seen, c.agent.Email)
		for _, m := range arrived {
			d.Arrived = append(d.Arrived, s.messageView(c, m))
		}
		if len(d.Arrived) > 0 {
			d.Draft, d.Kind = out.Text, kind
			p := s.newPage(r, c, "ticket")
			p.Title = fmt.Sprintf("#%d %s", d.T.Number, d.T.Subject)
			p.Error = p.T("collision", len(d.Arrived))
			if len(out.Attachments) > 0 {
				p.Error += " " + p.T("collision_files")
			}
			p.Data = d
			s.render(w, r, http.StatusConflict, p)
			return nil
		}
	}
	id := tickets.NewMessageID(s.cfg.Domain)
	var t tickets.Ticket
	if kind == "note" {
		t, err = s.store.Note(r.Context(), c.prop, n, c.agent, out, id)
	} else {
		t, err = s.store.Reply(r.Context(), c.prop, n, c.agent, out, id)
	}
	if err != nil {
		return err
	}
	// The agent has seen the ticket as their message leaves it.
	if err := s.store.MarkReadAt(r.Context(), c.prop, n, c.agent, t.UpdatedAt); err != nil {
		return err
	}
	if s.cfg.Kick != nil {
		s.cfg.Kick()
	}
	if s.cfg.Feed != nil {
		s.cfg.Feed.Heartbeat(r.Context(), c.prop.ID, n, c.agent.ID, false)
	}
	s.flash(w, r, "notice_"+kind)
	http.Redirect(w, r, fmt.Sprintf("%s/t/%d#m-last", c.base(), n), http.StatusSeeOther)
	return nil
}

// act runs one action on the ticket, then shows it again (or the list, when it left the view).
func (s *Server) act(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := pathNumber(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return err
	}
	here := fmt.Sprintf("%s/t/%d", c.base(), n)
	switch r.PostFormValue("action") {
	case "unsnooze":
		if _, err := s.store.Unsnooze(r.Context(), c.prop, n, c.agent); err != nil {
			return err
		}
		http.Redirect(w, r, here, http.StatusSeeOther)
		return nil
	case "purge":
		return s.purge(w, r, c, []int64{n}, c.base()+"/?view=trash")
	case "merge":
		return s.merge(w, r, c, n)
	}
	o, err := s.op(r, c)
	if err != nil {
		return err
	}
	if _, err := s.store.Apply(r.Context(), c.prop, c.agent, n, o); err != nil {
		return err
	}
	s.flash(w, r, "notice_done", texts(c).T("action_"+o.Action), 1)
	switch o.Action {
	case "trash", "spam", "unread":
		http.Redirect(w, r, c.base()+"/", http.StatusSeeOther)
	default:
		http.Redirect(w, r, here, http.StatusSeeOther)
	}
	return nil
}

// presence is the ticket page's heartbeat: the agent has it open, and is typing or not; or has
// left it.
func (s *Server) presence(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := pathNumber(r)
	if err != nil {
		return err
	}
	if s.cfg.Feed == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if r.PostFormValue("leave") == "1" {
		err = s.cfg.Feed.Leave(r.Context(), c.prop.ID, n, c.agent.ID)
	} else {
		err = s.cfg.Feed.Heartbeat(r.Context(), c.prop.ID, n, c.agent.ID, r.PostFormValue("typing") == "1")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
