package templates

import (
	"strings"
	"time"
)

// Data is what a mail is rendered from. Every field may be zero.
type Data struct {
	Property  Property
	Ticket    Ticket
	Message   Message // the message that caused this mail (customer's message, agent's reply/note); zero when none
	Recipient Person  // who this mail is for
	Actor     Person  // who acted (the agent who replied, assigned, ...); zero when the customer/system
	Note      bool    // for AgentCopy: the message is an internal note, never sent to the customer
	// AgentSignature is the acting agent's own signature on the property ("" : the default, their
	// name and the property's), under their messages to customers.
	AgentSignature string
	FollowsUp      int64    // for FollowUp: the closed ticket's number
	Errors         []string // for CommandError: what went wrong, one line each
	Commands       []string // for CommandError: the accepted commands, e.g. "#close", "#assign <agent email | department | me>"
	Loop           Loop     // for LoopSuspected: whose mail is held, and why
	Bounce         Bounce   // for ContactBouncing: which address bounced, and why
	// For SignInLink: the address that signs the recipient in (once), and for how many minutes it
	// works (0: not said).
	Link        string
	LinkMinutes int
	Export      ExportFile // for Export: the file attached
	// For ReplyHeld: the colleagues' replies and notes sent since the copy the agent answered,
	// oldest first (Message is the held reply).
	Since []Message
	// CustomText is, for Acknowledgement and Closed, the property's own text in the locale (set
	// with "postdesk property text"), as written, placeholders and all: when it has a body, it
	// replaces the kind's built-in subject and body (custom.go). Zero: the built-in text.
	CustomText CustomText
	SignIn     SignIn // for MailboxSignInNeeded: which sign-in stopped working
	// Rating is, for Closed, the links that rate the ticket; zero when the mail carries none (no
	// web address to link to).
	Rating RatingLinks
}

// RatingLinks are a close mail's links, one per answer: each opens a page (package rating) where
// the customer rates the ticket and may add a comment, until Until (7 days after the close).
type RatingLinks struct {
	Good, Okay, Bad string
	Until           time.Time
}

// SignIn is what a MailboxSignInNeeded notice says: the OAuth2 sign-in of Account with Provider
// ("Microsoft 365", "Google") stopped working (Reason, the provider's words), so Mailboxes are
// not polled until an admin runs Command.
type SignIn struct {
	Provider  string
	Account   string
	Mailboxes []string
	Reason    string
	Command   string
}

// ExportFile is the export of tickets an Export mail brings: Tickets tickets in the attached
// file Filename, asked for by By.
type ExportFile struct {
	Tickets  int
	Filename string
	By       Person
}

// Loop is what a LoopSuspected notice says: Sender sent Count mails to the ticket within Minutes.
type Loop struct {
	Sender  string
	Count   int
	Minutes int
}

// Bounce is what a ContactBouncing notice says: mail to Address bounced, the relay said Reason.
type Bounce struct {
	Address string
	Reason  string
}

// Property is the brand a ticket belongs to.
type Property struct {
	Name    string // display name, e.g. "Acme Support"
	Address string // the address customers write to
}

// Ticket is the ticket a mail is about.
type Ticket struct {
	Number     int64
	Subject    string
	Status     string // "open", "closed"
	Priority   string // "low", "normal", "high", "urgent" (others are shown as is)
	Customer   Person
	Assignee   string // the assigned agent's email address, or ""
	Department string
	Tags       []string
}

// Message is one message of a ticket.
type Message struct {
	From        Person
	Text        string // plain text; also used for the HTML body when HTML is ""
	HTML        string // HTML already sanitised by the caller, or ""
	Attachments []File // its files, in order
	Date        time.Time
	Note        bool // an internal note, never sent to the customer (in Since)
}

// File is one file of a message, as an agent's copy lists it: its name and size, and, when the
// copy does not carry it attached (too big for the property's limit), a signed link to download
// it until Expires.
type File struct {
	Name    string
	Size    int64 // bytes
	URL     string
	Expires time.Time
}

// IsZero reports whether m is the zero Message (no message).
func (m Message) IsZero() bool {
	return m.From == (Person{}) && m.Text == "" && m.HTML == "" && len(m.Attachments) == 0 && m.Date.IsZero()
}

// Person is a name and a mail address; either may be empty.
type Person struct {
	Name, Email string
}

// Display returns p's name, or its address when it has no name.
func (p Person) Display() string {
	if n := oneLine(p.Name); n != "" {
		return n
	}
	return oneLine(p.Email)
}

// String returns "Name <email>", or whichever of the two p has.
func (p Person) String() string {
	n, e := oneLine(p.Name), oneLine(p.Email)
	switch {
	case n == "":
		return e
	case e == "":
		return n
	}
	return n + " <" + e + ">"
}

// AssignedToRecipient reports whether an Assigned mail tells its recipient
// that the ticket is theirs: the assignee is the recipient, or neither an
// assignee nor a department is known. Otherwise the ticket went to
// d.Ticket.Department (or to another agent, d.Ticket.Assignee).
func (d Data) AssignedToRecipient() bool {
	t := d.Ticket
	return sameAddress(t.Assignee, d.Recipient.Email) || (strings.TrimSpace(t.Assignee) == "" && strings.TrimSpace(t.Department) == "")
}

// oneLine collapses runs of white space (line breaks included) to one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Sample returns realistic sample data for kind, in English, the same for
// every locale: property "Acme Support", ticket #12 "Printer on fire" of
// customer Ann Smith, agents Alice Martin and Bob Dupont, dates in March 2026.
// An unknown kind gets the NewTicket sample. Each call returns fresh data.
func Sample(kind string) Data {
	date := time.Date(2026, time.March, 2, 10, 4, 0, 0, time.UTC)
	ann := Person{Name: "Ann Smith", Email: "ann@customer.example"}
	alice := Person{Name: "Alice Martin", Email: "alice@acme.example"}
	bob := Person{Name: "Bob Dupont", Email: "bob@acme.example"}
	d := Data{
		Property: Property{Name: "Acme Support", Address: "support@acme.example"},
		Ticket: Ticket{
			Number:   12,
			Subject:  "Printer on fire",
			Status:   "open",
			Priority: "high",
			Customer: ann,
			Tags:     []string{"printer", "urgent"},
		},
		Message: Message{
			From: ann,
			Text: "Hello,\n\nMy printer started smoking this morning, then it caught fire.\n" +
				"It's the LaserJet 4000 I bought from you last year. What should I do?\n\n" +
				"Thank you,\nAnn",
			Attachments: []File{{Name: "printer.jpg", Size: 1_240_000}},
			Date:        date,
		},
		Recipient: alice,
	}
	assigned := func() {
		d.Ticket.Assignee = alice.Email
		d.Ticket.Department = "Hardware"
	}
	switch kind {
	case Acknowledgement:
		d.Recipient = ann
	case Closed:
		assigned()
		d.Recipient = ann
		d.Actor = alice
		d.Ticket.Status = "closed"
		d.Message = Message{}
		base := "https://desk.acme.example/rate/12.1.1772445840."
		d.Rating = RatingLinks{Good: base + "g.q8Zt0bWm3xKc7LrA2sHy1G", Okay: base + "o.V4nPj9TqXe2Lw8CzKd5RsB", Bad: base + "b.Hm2Yx7NcQa4Tk9Wr1Zp3Ef",
			Until: time.Date(2026, time.March, 9, 10, 4, 0, 0, time.UTC)}
	case CustomerReply:
		assigned()
		d.Message.Text = "It's unplugged now, and the fire is out.\n" +
			"The technician can call me at any time before 6 pm.\n\nAnn"
		d.Message.Attachments = nil
		d.Message.Date = date.Add(26 * time.Minute)
	case Reopened:
		assigned()
		d.Message.Text = "Hello again,\n\nThe new printer smells of smoke too, as soon as it warms up.\n\nAnn"
		d.Message.Attachments = nil
		d.Message.Date = time.Date(2026, time.March, 9, 8, 15, 0, 0, time.UTC)
	case FollowUp:
		d.Ticket.Number = 13
		d.Ticket.Subject = "Re: [#11] Printer on fire"
		d.Ticket.Priority = "normal"
		d.Ticket.Tags = nil
		d.FollowsUp = 11
		d.Message.Text = "Hello,\n\nThe replacement printer you sent me last month is smoking too.\n\nAnn"
		// Too big to attach: a link.
		d.Message.Attachments = []File{{Name: "smoke.mp4", Size: 24_300_000,
			URL:     "https://desk.acme.example/files/301.1.1777653600.Xk2pV9rT4mQw7LcZ8sHy1G",
			Expires: time.Date(2026, time.May, 1, 16, 40, 0, 0, time.UTC)}}
		d.Message.Date = time.Date(2026, time.April, 1, 16, 40, 0, 0, time.UTC)
	case AgentReply:
		assigned()
		d.Recipient = ann
		d.Actor = alice
		d.Message = Message{
			From: alice,
			Text: "Hello Ann,\n\nPlease unplug the printer right away and do not use it again.\n" +
				"A technician will call you this afternoon to arrange a replacement.",
			Date: date.Add(12 * time.Minute),
		}
	case AgentCopy:
		assigned()
		d.Recipient = bob
		d.Actor = alice
		d.Message = Message{
			From: alice,
			Text: "Hello Ann,\n\nPlease unplug the printer right away and do not use it again.\n" +
				"A technician will call you this afternoon to arrange a replacement.",
			Date: date.Add(12 * time.Minute),
		}
	case Assigned:
		assigned()
		d.Actor = bob
		d.Message = Message{}
	case LoopSuspected:
		assigned()
		d.Message = Message{}
		d.Loop = Loop{Sender: "autoreply@customer.example", Count: 11, Minutes: 10}
	case SnoozeEnded:
		assigned()
		d.Message = Message{}
	case ContactBouncing:
		assigned()
		d.Message = Message{}
		d.Bounce = Bounce{Address: ann.Email, Reason: "ann@customer.example 5.1.1 smtp; 550 5.1.1 User unknown"}
	case SignInLink:
		// About no ticket: the agent asked the web inbox for a link.
		d.Ticket = Ticket{}
		d.Message = Message{}
		d.Link = "https://desk.acme.example/login/Zq0x7CfLr2Wm9TbKd4PjVn8sHy1GaUe6Ro3Xi5Mw_Bk"
		d.LinkMinutes = 15
	case Export:
		// About no ticket: Bob asked for an export mailed to Alice.
		d.Ticket = Ticket{}
		d.Message = Message{}
		d.Export = ExportFile{Tickets: 42, Filename: "acme-support-tickets-2026-03-02.json", By: bob}
	case MailboxSignInNeeded:
		// About no ticket: the consent for the support mailbox was revoked.
		d.Ticket = Ticket{}
		d.Message = Message{}
		d.SignIn = SignIn{Provider: "Microsoft 365", Account: "support@acme.example",
			Mailboxes: []string{"support@acme.example (INBOX)", "billing@acme.example (INBOX)"},
			Reason:    "invalid_grant: AADSTS50173: The grant was revoked.",
			Command:   "postdesk mailbox signin 1"}
	case ReplyHeld:
		assigned()
		d.Recipient = alice
		d.Actor = alice
		d.Message = Message{
			From: alice,
			Text: "Hello Ann,\n\nWe will refund the printer in full.",
			Date: date.Add(40 * time.Minute),
		}
		d.Since = []Message{
			{From: bob, Text: "Hello Ann,\n\nA technician will replace the printer tomorrow.", Date: date.Add(20 * time.Minute)},
			{From: bob, Text: "Replacement booked; no refund.", Date: date.Add(21 * time.Minute), Note: true},
		}
	case CommandError:
		assigned()
		d.Actor = alice
		d.Message = Message{}
		// As mailcmd and tickets write them; Render translates them.
		d.Errors = []string{
			`"#clsoe": unknown command #clsoe`,
			`"#assign hardwre": no agent or department "hardwre" on this property`,
		}
		d.Commands = []string{
			"#close",
			"#reopen",
			"#assign <agent email | department | me>",
			"#priority <low | normal | high | urgent>",
			"#tag <tag>",
			"#note (the rest of the mail is an internal note)",
		}
	}
	return d
}
