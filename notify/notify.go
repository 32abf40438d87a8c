// Package notify decides who gets mail when a ticket changes, renders it from the templates and
// queues it in the outbox — inside the transaction of the change, so that mail goes out if and
// only if the change is committed (DESIGN.md §1, §3).
//
// Who gets what:
//   - a customer opens a ticket: an acknowledgement to the customer (per property, on by default)
//     and a notification to the ticket's audience (assignee, or department members, or the
//     property's default department, or else all its agents);
//   - a customer replies, or reopens a ticket: a notification to the audience, saying which;
//   - an agent replies (by mail, CLI, API or web inbox): the reply to the customer and Cc, and a
//     copy to every other party concerned — the agents involved and the ticket's audience
//     (tickets.MailContext.Parties); a note: the same copies, nothing to the customer;
//   - an agent opens a ticket: the first message to the customer, a copy to the assignee or the
//     department members;
//   - a ticket is assigned: a notification to the new assignee or department members;
//   - an agent closes a ticket: "your ticket was closed" to the customer, when the property asks
//     for it (customer.go).
//
// Nobody is ever sent their own action, and nothing is sent in answer to robots.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/filelink"
	"github.com/postdesk/postdesk/mailer/compose"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// Notifier is a tickets.Hook.
type Notifier struct {
	store   *tickets.Store
	db      *db.DB
	tpl     *templates.Set
	domain  string
	secret  []byte
	perHour int
	log     *slog.Logger
	// The loop brake: more than loopMax mails from one address on one ticket within loopWindow.
	loopMax    int
	loopWindow time.Duration
	linkTTL    time.Duration // what a sign-in link mail says of how long it works
	// The files of the agents' copies (files.go).
	webURL  string
	fileTTL time.Duration
	maxMail int64
}

// Config configures a Notifier.
type Config struct {
	Domain string // the forwarding domain: reply addresses are <slug>+<token>@Domain
	Secret []byte
	// AutoPerHour is the per-recipient limit on automatic mail to customers (the last loop
	// breaker); 0 means 10.
	AutoPerHour int
	// LoopMax and LoopWindow set the loop brake (see loopHeld); 0 means the defaults.
	LoopMax    int
	LoopWindow time.Duration
	// SignInLinkTTL is how long a sign-in link works, as the mail says it (auth.Config.LinkTTL);
	// 0 means 15 minutes, auth's default.
	SignInLinkTTL time.Duration
	// WebURL is the web inbox's public address (web_url): the links to the files too big for an
	// agent's copy point there. "": such files are only named.
	WebURL string
	// FileLinkTTL is how long those links work; 0 means filelink.DefaultTTL (30 days).
	FileLinkTTL time.Duration
	// MaxMailBytes is the largest agent's copy sent with its files attached; a larger one links
	// them. 0 means DefaultMaxMailBytes.
	MaxMailBytes int64
	Log          *slog.Logger
}

// New returns a notifier. Register it with tickets.WithHook(n) on the store it is given — the store
// calls it inside each change's transaction.
func New(store *tickets.Store, tpl *templates.Set, cfg Config) *Notifier {
	if cfg.AutoPerHour == 0 {
		cfg.AutoPerHour = 10
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.LoopMax == 0 {
		cfg.LoopMax = DefaultLoopMax
	}
	if cfg.LoopWindow == 0 {
		cfg.LoopWindow = DefaultLoopWindow
	}
	if cfg.SignInLinkTTL == 0 {
		cfg.SignInLinkTTL = DefaultSignInLinkTTL
	}
	if cfg.FileLinkTTL == 0 {
		cfg.FileLinkTTL = filelink.DefaultTTL
	}
	if cfg.MaxMailBytes == 0 {
		cfg.MaxMailBytes = DefaultMaxMailBytes
	}
	return &Notifier{store: store, db: store.DB(), tpl: tpl, domain: strings.ToLower(cfg.Domain), secret: cfg.Secret, perHour: cfg.AutoPerHour, log: cfg.Log,
		loopMax: cfg.LoopMax, loopWindow: cfg.LoopWindow, linkTTL: cfg.SignInLinkTTL,
		webURL: strings.TrimRight(cfg.WebURL, "/"), fileTTL: cfg.FileLinkTTL, maxMail: cfg.MaxMailBytes}
}

// OnChange implements tickets.Hook. It decides who gets mail and queues, for each recipient, the
// mail rendered from the ticket as this change leaves it (render.go).
func (n *Notifier) OnChange(ctx context.Context, tx *sqlx.Tx, c tickets.Change) error {
	if c.Kind == tickets.ChangeSnoozeEnded || c.Kind == tickets.ChangeContactBouncing {
		return n.away(ctx, tx, c) // to agents only (away.go)
	}
	if !c.Human {
		return nil // never answer robots
	}
	mc, err := n.store.MailContext(ctx, tx, c, false)
	if err != nil {
		return err
	}
	m := &batch{n: n, ctx: ctx, tx: tx, mc: mc, change: c}
	if m.loopHeld() {
		return m.err
	}
	switch c.Kind {
	case tickets.ChangeTicketCreated:
		m.acknowledge()
		kind := templates.NewTicket
		if mc.FollowsUp != 0 {
			kind = templates.FollowUp
		}
		m.toAgents(kind, mc.Audience)
	case tickets.ChangeCustomerReply, tickets.ChangeAgentMail:
		m.toAgents(templates.CustomerReply, mc.Audience)
	case tickets.ChangeTicketReopened:
		m.toAgents(templates.Reopened, mc.Audience)
	case tickets.ChangeAgentReply:
		m.toCustomer()
		m.toAgents(templates.AgentCopy, mc.Parties())
	case tickets.ChangeAgentReplyDirect:
		// The agent wrote to the customer directly: the customer has it; the others get a copy.
		m.toAgents(templates.AgentCopy, mc.Parties())
	case tickets.ChangeAgentNote:
		m.toAgents(templates.AgentCopy, mc.Parties())
	case tickets.ChangeCommandError:
		m.commandError()
	case tickets.ChangeReplyHeld:
		m.replyHeld() // held.go
	case tickets.ChangeAgentCreated:
		m.toCustomer()
		m.toAgents(templates.AgentCopy, mc.Audience)
	case tickets.ChangeAssigned:
		m.toAgents(templates.Assigned, mc.Audience)
	case tickets.ChangeClosed:
		m.closeMail() // customer.go
	}
	return m.err
}

// intent is one mail a change causes: whom it is for and what to render. Its JSON is kept on the
// outbox row (spec) as the record of why the mail was queued; the sender never reads it.
type intent struct {
	Kind      string            `json:"change"`
	TicketID  int64             `json:"ticket"`
	MessageID int64             `json:"message,omitempty"`
	ActorID   int64             `json:"actor,omitempty"`
	Template  string            `json:"template"`
	ToName    string            `json:"to_name,omitempty"`
	To        string            `json:"to"`
	Cc        []string          `json:"cc,omitempty"`
	AgentID   int64             `json:"agent,omitempty"` // the recipient agent, whose reply token goes in Reply-To
	Automatic string            `json:"auto,omitempty"`
	Errors    []string          `json:"errors,omitempty"` // for a command-error mail
	Files     bool              `json:"files,omitempty"`  // attach the message's attachments
	Attach    bool              `json:"attach,omitempty"` // an agent's copy: attach the files within the limit, link the rest (files.go)
	linkAll   bool              // the copy was too big with its files: link them all
	KeepRaw   bool              `json:"keep_raw,omitempty"` // store the rendered mail on the message
	Loop      *templates.Loop   `json:"loop,omitempty"`     // for a loop notice
	Bounce    *templates.Bounce `json:"bounce,omitempty"`   // for a bounce notice

	Since []templates.Message `json:"since,omitempty"` // for a held reply's notice: what was sent since
}

// batch queues the mails of one change; the first error stops it.
type batch struct {
	n      *Notifier
	ctx    context.Context
	tx     *sqlx.Tx
	mc     tickets.MailContext
	change tickets.Change
	fullMC *tickets.MailContext // see full
	err    error
}

func person(name, email string) templates.Person { return templates.Person{Name: name, Email: email} }

// queue renders one mail and writes its bytes to the outbox, with its Message-ID fixed now and
// recorded for threading.
func (b *batch) queue(in intent, messageID string) {
	if b.err != nil {
		return
	}
	in.Kind, in.TicketID, in.MessageID, in.ActorID = string(b.change.Kind), b.change.TicketID, b.change.MessageID, b.change.AgentID
	if messageID == "" {
		messageID = tickets.NewMessageID(b.n.domain)
	}
	spec, err := json.Marshal(in)
	if err != nil {
		b.err = fmt.Errorf("notify: %w", err)
		return
	}
	raw, err := b.render(in, messageID)
	if err != nil {
		b.err = err
		return
	}
	rcpts := append([]string{in.To}, in.Cc...)
	if _, err := outbox.Enqueue(b.ctx, b.n.db, b.tx, outbox.New{
		PropertyID: b.mc.Property.ID, TicketID: b.mc.Ticket.ID, MessageID: messageID, Kind: in.Template,
		Automatic: in.Automatic != "", From: b.mc.Property.From(b.n.domain), Rcpts: rcpts, Spec: string(spec), Raw: raw,
	}, b.n.store.Now()); err != nil {
		b.err = err
		return
	}
	b.err = b.n.store.RecordThreadID(b.ctx, b.tx, b.mc.Property.ID, messageID, b.mc.Ticket.ID, in.AgentID)
	if b.err == nil && (in.Template == templates.CommandError || in.Template == templates.LoopSuspected || in.Template == templates.ReplyHeld || b.change.Kind == tickets.ChangeAgentNote) {
		// A reply to a note's copy or to an error mail is internal too: never sent to the customer.
		b.err = b.n.store.MarkInternal(b.ctx, b.tx, b.mc.Property.ID, messageID)
	}
}

// acknowledge tells the customer their mail arrived — unless the property turned it off, the
// address bounces, the mail came through a mailing list, or the customer already had AutoPerHour automatic mails this hour (a loop).
func (b *batch) acknowledge() {
	c := b.mc.Contact
	if b.err != nil || !b.mc.Property.Acknowledge || c.Email == "" || b.mc.Actor != nil {
		return
	}
	why := b.whyNotAutomatic(b.change.List) // customer.go
	if b.err != nil {
		return
	}
	if why != "" {
		b.n.log.Warn("acknowledgement not sent", slog.String("to", c.Email), slog.String("why", why))
		b.err = b.n.store.AddEvent(b.ctx, b.tx, b.mc.Ticket.ID, "acknowledgement-suppressed", "system", why)
		return
	}
	b.queue(intent{Template: templates.Acknowledgement, ToName: c.Name, To: c.Email, Automatic: "auto-replied"}, "")
}

// toCustomer sends an agent's message to the customer, with everyone else on the ticket in Cc.
func (b *batch) toCustomer() {
	m := b.mc.Message
	if m == nil || b.mc.Contact.Email == "" {
		return
	}
	var cc []string
	for _, e := range b.mc.Cc {
		if e != b.mc.Contact.Email {
			cc = append(cc, e)
		}
	}
	// The mail carries the message's own Message-ID (an agent's reply by mail keeps the one their
	// client gave it, so their sent folder threads) — unless that one is not fit to send.
	id := m.MessageID
	if !compose.ValidID(id) {
		id = ""
	}
	b.queue(intent{Template: templates.AgentReply, ToName: b.mc.Contact.Name, To: b.mc.Contact.Email, Cc: cc, Files: true, KeepRaw: true}, id)
}

// commandErrorsPerHour bounds the error mails one agent gets for unreadable commands: a mail
// loop with an agent's autoresponder must not turn into a storm.
const commandErrorsPerHour = 5

// commandError tells the agent whose commands could not be read what was wrong and what is
// accepted — at most commandErrorsPerHour times an hour.
func (b *batch) commandError() {
	a := b.mc.Actor
	if b.err != nil || a == nil {
		return
	}
	n, err := outbox.RecentOfKind(b.ctx, b.n.db, b.tx, templates.CommandError, a.Email, b.n.store.Now().Add(-time.Hour))
	if b.err = err; err != nil {
		return
	}
	if n >= commandErrorsPerHour {
		b.n.log.Warn("command error mail not sent", slog.String("to", a.Email), slog.Int("sent_last_hour", n))
		return
	}
	b.queue(intent{Template: templates.CommandError, ToName: a.Name, To: a.Email, AgentID: a.ID, Errors: b.change.Errors, Automatic: "auto-replied"}, "")
}

// union is the agents of as and bs, each once.
func union(as, bs []tickets.Agent) []tickets.Agent {
	out := append([]tickets.Agent(nil), as...)
	for _, b := range bs {
		if !slices.ContainsFunc(out, func(a tickets.Agent) bool { return a.ID == b.ID }) {
			out = append(out, b)
		}
	}
	return out
}

// toAgents sends kind to each agent, never to the one who acted; each copy carries that agent's
// own reply token, so a reply by mail is known to be theirs.
func (b *batch) toAgents(kind string, agents []tickets.Agent) {
	for _, a := range agents {
		if b.mc.SentBy(a) {
			continue
		}
		b.queue(intent{Template: kind, ToName: a.Name, To: a.Email, AgentID: a.ID, Automatic: "auto-generated", Attach: showsMessage(kind)}, "")
	}
}
