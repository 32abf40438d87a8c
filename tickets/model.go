// Package tickets holds postdesk's domain — properties, agents, departments, contacts, tickets,
// messages, attachments and their event log — and the store that keeps them in the database.
package tickets

import (
	"errors"
	"slices"
	"time"

	"github.com/postdesk/postdesk/tickets/rules"
)

// Sentinel errors callers branch on.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrInvalid  = errors.New("invalid")
)

// Ticket status.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Message direction.
const (
	DirectionIn   = "in"   // mail received
	DirectionOut  = "out"  // mail postdesk sent for an agent
	DirectionNote = "note" // internal note, never sent to the customer
)

// Roles of an agent on a property, weakest first.
var Roles = []string{"support", "manager", "admin", "owner"}

// RoleRank orders roles: support < manager < admin < owner; -1 for anything else.
func RoleRank(role string) int { return slices.Index(Roles, role) }

// Priorities, lowest first (the rule's list: see rules.Priorities).
var Priorities = rules.Priorities

// ChangeKind is the kind of change a hook is told about (notify decides who gets what).
type ChangeKind string

// Kinds of change.
const (
	ChangeTicketCreated  ChangeKind = "ticket-created"  // a customer's mail (or one an agent forwarded) opened a ticket
	ChangeCustomerReply  ChangeKind = "customer-reply"  // the customer wrote on their ticket
	ChangeTicketReopened ChangeKind = "ticket-reopened" // … and that reopened it
	ChangeRobotMessage   ChangeKind = "robot-message"   // an auto-reply, bounce or list mail: never answered
	ChangeAgentCreated   ChangeKind = "agent-created"   // an agent opened a ticket: the first message goes to the customer
	ChangeAssigned       ChangeKind = "assigned"        // the new assignee is told
	ChangeClosed         ChangeKind = "closed"          // an agent (mail #close, CLI, API, web, bulk) closed the ticket: the customer may be told

	// What an agent's mail, or reply, causes.
	ChangeAgentReply       ChangeKind = "agent-reply"        // sent to the customer and Cc, copies to agents
	ChangeAgentReplyDirect ChangeKind = "agent-reply-direct" // the customer has it already: copies to agents
	ChangeAgentNote        ChangeKind = "agent-note"         // internal note: copies to agents
	ChangeAgentCommands    ChangeKind = "agent-commands"     // commands only: nothing to send for the mail itself
	ChangeCommandError     ChangeKind = "command-error"      // commands could not be read: error mail to the agent
	ChangeAgentMail        ChangeKind = "agent-mail"         // other agent mail on a ticket: the audience is told
	ChangeReplyHeld        ChangeKind = "reply-held"         // a stale reply by mail, kept: its author is told what was sent since
)

// Actor is who did something, as a ticket's log names them: "agent:<email>" for an agent (see
// AgentActor), or a name for who acts without being one ("cli", "system").
type Actor string

// Who acts without being an agent: postdesk itself (snoozes ending), and the command line.
const (
	ActorSystem Actor = "system"
	ActorCLI    Actor = "cli"
)

// AgentActor is the log's name of an agent acting.
func AgentActor(a Agent) Actor { return Actor("agent:" + a.Email) }

// CustomerActor is the log's name of a customer writing.
func CustomerActor(email string) Actor { return Actor("customer:" + email) }

// Property is a brand or website with its own inbox.
type Property struct {
	ID           int64         `db:"id" json:"-"`
	Slug         string        `db:"slug" json:"slug"`
	Name         string        `db:"name" json:"name"`
	FromAddress  string        `db:"from_address" json:"from_address"`
	ReopenWindow time.Duration `db:"-" json:"-"`
	ReopenSecs   int64         `db:"reopen_window_secs" json:"reopen_window_secs"`
	Locale       string        `db:"locale" json:"locale"`
	Acknowledge  bool          `db:"acknowledge" json:"acknowledge"`
	// CloseMail mails the customer "your ticket was closed" when an agent closes it (off by
	// default).
	CloseMail bool `db:"close_mail" json:"close_mail"`
	// IgnoreListMail makes mail that came through a mailing list a robot's: it opens no ticket
	// and is kept only as system mail. Off by default: a support address is often a Google or
	// Microsoft 365 group, which marks every customer's mail as list mail.
	IgnoreListMail bool `db:"ignore_list_mail" json:"ignore_list_mail"`
	// AttachLimit is the most bytes of a message's files its agents' copies carry attached (in
	// all); above it they get signed download links. 0: always links.
	AttachLimit int64     `db:"attach_limit" json:"attach_limit"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
}

// From is the address the property's mail is sent from: its from address, else its forwarding
// address at domain.
func (p Property) From(domain string) string {
	if p.FromAddress != "" {
		return p.FromAddress
	}
	return p.Slug + "@" + domain
}

// Addresses is what makes an address the property's own, with domain the forwarding domain.
func (p Property) Addresses(domain string) rules.Addresses {
	return rules.Addresses{From: p.FromAddress, Domain: domain}
}

// Agent is a person who works tickets. Role is the agent's role on the property it was read for.
type Agent struct {
	ID        int64     `db:"id" json:"-"`
	Email     string    `db:"email" json:"email"`
	Name      string    `db:"name" json:"name"`
	Role      string    `db:"role" json:"role,omitempty"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	// Signature is the agent's own signature on the property read for ("": the default); only
	// the mail context reads it.
	Signature string `db:"signature" json:"-"`
}

// Department is a group of agents a ticket can be assigned to.
type Department struct {
	ID         int64    `db:"id" json:"-"`
	PropertyID int64    `db:"property_id" json:"-"`
	Name       string   `db:"name" json:"name"`
	Members    []string `db:"-" json:"members"`
	Default    bool     `db:"-" json:"default"` // told about unassigned tickets
}

// Contact is a customer of a property, known by email.
type Contact struct {
	ID       int64  `db:"id" json:"-"`
	Email    string `db:"email" json:"email"`
	Name     string `db:"name" json:"name"`
	Bouncing bool   `db:"bouncing" json:"bouncing"`
	Blocked  bool   `db:"blocked" json:"blocked"`
}

// Ticket is one conversation with a customer.
type Ticket struct {
	ID           int64      `db:"id" json:"-"`
	PropertyID   int64      `db:"property_id" json:"-"`
	Number       int64      `db:"number" json:"number"`
	Subject      string     `db:"subject" json:"subject"`
	Status       string     `db:"status" json:"status"`
	Priority     string     `db:"priority" json:"priority"`
	Customer     string     `db:"customer" json:"customer"`
	CustomerName string     `db:"customer_name" json:"customer_name"`
	Assignee     *string    `db:"assignee" json:"assignee"`
	Department   *string    `db:"department" json:"department"`
	Tags         []string   `db:"-" json:"tags"`
	Messages     int64      `db:"message_count" json:"messages"`
	FollowsUp    *int64     `db:"follows_up" json:"follows_up"`
	CreatedAt    time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at" json:"updated_at"`
	ClosedAt     *time.Time `db:"closed_at" json:"closed_at"`
	// Waiting is who the open ticket waits for — WaitingUs or WaitingCustomer — nil while it is
	// closed; WaitingSince is when that side started waiting, FirstResponseAt the first agent
	// reply the customer got (nil: none yet). See waiting.go.
	Waiting         *string    `db:"waiting" json:"waiting"`
	WaitingSince    *time.Time `db:"waiting_since" json:"waiting_since"`
	FirstResponseAt *time.Time `db:"first_response_at" json:"first_response_at"`
	// Rating is the customer's rating, "good", "okay" or "bad"; nil when none (ratings.go).
	Rating *string `db:"-" json:"rating"`
}

// Message is one mail or note on a ticket.
type Message struct {
	ID          int64        `db:"id" json:"id"`
	Direction   string       `db:"direction" json:"direction"`
	Kind        string       `db:"kind" json:"kind"`
	FromName    string       `db:"from_name" json:"from_name"`
	From        string       `db:"from_email" json:"from"`
	To          string       `db:"to_list" json:"to"`
	Cc          string       `db:"cc_list" json:"cc"`
	Subject     string       `db:"subject" json:"subject"`
	MessageID   string       `db:"message_id" json:"message_id"`
	InReplyTo   string       `db:"in_reply_to" json:"in_reply_to"`
	References  string       `db:"refs" json:"references"`
	Text        string       `db:"text_body" json:"text"`
	Trimmed     string       `db:"trimmed_text" json:"trimmed"` // the reply without quotes and signature
	HTML        string       `db:"html_body" json:"html,omitempty"`
	Threading   string       `db:"threading" json:"threading"`
	Problems    string       `db:"problems" json:"problems,omitempty"`
	RawSize     int64        `db:"raw_size" json:"raw_size"`
	Date        *time.Time   `db:"date_header" json:"date"`
	CreatedAt   time.Time    `db:"created_at" json:"created_at"`
	Attachments []Attachment `db:"-" json:"attachments"`

	// Held is an agent's reply by mail kept, not sent: it answered a copy older than a
	// colleague's reply or note (Arrived). It is a note until the agent sends it anyway (#send).
	Held bool `db:"held" json:"held,omitempty"`
}

// Attachment is a file that came with a message. Data is loaded only on request.
type Attachment struct {
	ID          int64  `db:"id" json:"id"`
	MessageID   int64  `db:"message_id" json:"-"`
	Filename    string `db:"filename" json:"filename"`
	ContentType string `db:"content_type" json:"content_type"`
	Size        int64  `db:"size" json:"size"`
	ContentID   string `db:"content_id" json:"content_id,omitempty"`
	Inline      bool   `db:"inline" json:"inline"`
	SHA256      string `db:"sha256" json:"sha256"`
	Data        []byte `db:"data" json:"-"`
}

// Event is one entry in a ticket's log.
type Event struct {
	Kind      string    `db:"kind" json:"kind"`
	Actor     string    `db:"actor" json:"actor"`
	Detail    string    `db:"detail" json:"detail"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// TicketDetail is a ticket with its messages and events. Its "messages" is the list of messages
// (shadowing the count of the list view, which is kept as "message_count").
type TicketDetail struct {
	Ticket
	Spam         bool       `json:"spam"`
	DeletedAt    *time.Time `json:"deleted_at"`    // in the trash since, nil when not
	SnoozedUntil *time.Time `json:"snoozed_until"` // nil when not snoozed (a snooze over shows until it is woken)
	MessageCount int64      `json:"message_count"`
	Messages     []Message  `json:"messages"`
	Participants []string   `json:"participants"`
	Events       []Event    `json:"events"`
	RatingDetail *Rating    `json:"rating_detail"` // the customer's rating with its comment, nil when none
}
