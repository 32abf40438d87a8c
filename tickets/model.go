// Package tickets holds postdesk's domain — properties, agents, departments, contacts, tickets,
// messages, attachments and their event log — and the store that keeps them in the database.
package tickets

import (
	"errors"
	"time"
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

// Priorities, lowest first.
var Priorities = []string{"low", "normal", "high", "urgent"}

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
	CreatedAt    time.Time     `db:"created_at" json:"created_at"`
}

// Agent is a person who works tickets. Role is the agent's role on the property it was read for.
type Agent struct {
	ID        int64     `db:"id" json:"-"`
	Email     string    `db:"email" json:"email"`
	Name      string    `db:"name" json:"name"`
	Role      string    `db:"role" json:"role,omitempty"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Department is a group of agents a ticket can be assigned to.
type Department struct {
	ID         int64    `db:"id" json:"-"`
	PropertyID int64    `db:"property_id" json:"-"`
	Name       string   `db:"name" json:"name"`
	Members    []string `db:"-" json:"members"`
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
	DeletedAt    *time.Time `json:"deleted_at"` // in the trash since, nil when not
	MessageCount int64      `json:"message_count"`
	Messages     []Message  `json:"messages"`
	Participants []string   `json:"participants"`
	Events       []Event    `json:"events"`
}
