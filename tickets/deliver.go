package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/threading"
)

// Address is a mail party.
type Address struct {
	Name  string
	Email string
}

// Inbound is a received mail, parsed and classified, for one property.
type Inbound struct {
	EnvelopeFrom string
	// Recipients are the addresses that may carry a reply token, strongest first: envelope
	// recipients, Delivered-To/X-Original-To, then To and Cc.
	Recipients []string
	From       Address // the header From, or the envelope sender when there is none
	To, Cc     []Address
	Subject    string
	MessageID  string // "" when the mail has none
	InReplyTo  []string
	References []string
	Date       time.Time
	Text, HTML string
	// Trimmed is the reply as written: Text without the quoted history and signature.
	Trimmed     string
	Attachments []NewAttachment
	Raw         []byte
	// Kind is the classifier's verdict; only "human" mail opens and reopens tickets.
	Kind     string
	Problems []string
	// contentHash is ContentHash(Raw), set by Deliver.
	contentHash string
	// Domain is the forwarding domain the mail came through: with the property's from address, it
	// makes an address the property's own (see rules.Addresses), which never becomes a participant.
	Domain string
	// Forwarded is the customer's mail this one forwards (a "Fwd:" header block or an attached
	// message), nil when none. When an agent forwards it to the property, the ticket is the
	// original sender's.
	Forwarded *Forwarded
	// Unverified, when not "", is why this mail may not act for an agent — neither run commands
	// nor be sent on to the customer — even from an agent's address with a valid token: it has
	// more than one From, or the DKIM requirement is on and no passing signature is aligned with
	// its From.
	Unverified string
	// ListPost is the List-Post address of mail that came through a list, "" otherwise: it never
	// becomes a participant, or every reply would be copied to the whole list.
	ListPost string
	// ListMail: the mail came through a mailing list; the addresses in its To and Cc are the
	// list's, and none becomes a contact of the property.
	ListMail bool
}

// Forwarded is a mail embedded in another.
type Forwarded struct {
	From    Address
	Subject string
	Text    string
}

// NewAttachment is an attachment to store.
type NewAttachment struct {
	Filename    string
	ContentType string
	ContentID   string
	Inline      bool
	Data        []byte
}

// Delivery says what became of an inbound mail.
type Delivery struct {
	Duplicate    bool // stored before: nothing changed
	Action       threading.Action
	Decision     threading.Decision
	TicketID     int64
	TicketNumber int64
	MessageID    int64 // the stored message's ID
	FollowsUp    int64 // for a follow-up, the number of the closed ticket it answers
	// Kept is true when the mail, a robot's that threads nowhere (Action Drop), was kept as
	// system mail (tickets.SystemRobot).
	Kept bool
}

// Change is what a hook is told about: enough to decide who gets mail.
type Change struct {
	Kind      ChangeKind
	Property  Property
	TicketID  int64
	MessageID int64 // the message that caused it, 0 when none
	AgentID   int64 // the acting agent, 0 when none
	Human     bool  // false for auto-replies, bounces and other robots: never answered
	// List is true for a person's mail that came through a mailing list: agents are told, but
	// nothing automatic goes back — no acknowledgement (RFC 3834 §2), which would go to the
	// list or to everyone on it.
	List bool
	// Received is true when a mail postdesk received caused the change (not an agent's action in
	// the API, CLI or web): the loop brake applies to the mail it causes.
	Received bool
	// Errors is, for "command-error", what was wrong with an agent's commands by mail.
	Errors []string
	// Detail is, for "contact-bouncing", why the mail bounced (the relay's words).
	Detail string
	// Since is, for "reply-held", the colleagues' replies and notes sent since the copy the
	// held reply answered.
	Since []Message
}

// DedupKey is what makes a delivery the same as an earlier one: the Message-ID, or a hash of the
// raw bytes when there is none.
func DedupKey(messageID string, raw []byte) string {
	if messageID != "" {
		return "mid:" + messageID
	}
	h := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(h[:])
}

const noSubject = "(no subject)"

// KindList is the classifier's kind of list mail (classify.List), as Inbound.Kind carries it.
const KindList = "list"

// errDuplicate unwinds a delivery transaction that lost a race to store the same message.
var errDuplicate = errors.New("duplicate")

// Deliver stores an inbound mail for property p in one transaction: de-duplication, threading,
// the reopen rule, the ticket, the message with its attachments, participants, events and whatever
// the hooks queue. On any error nothing is stored, so the sender can retry.
func (s *Store) Deliver(ctx context.Context, p Property, secret []byte, in Inbound) (Delivery, error) {
	in.contentHash = ContentHash(in.Raw)
	if err := s.ensureNumbering(ctx, p.ID); err != nil {
		return Delivery{}, err
	}
	var d Delivery
	var err error
	// A delivery that lost the race to store its Message-ID is tried once more: it sees the
	// winner then, and is either its duplicate or, with other content, a new message.
	for try := 0; try < 2; try++ {
		// Group commit: on SQLite, concurrent deliveries share a transaction, each in a
		// savepoint; one caller's cancellation must not interrupt the others' statements (see
		// db.Batch).
		err = s.db.Batch(ctx, func(tx *sqlx.Tx) error {
			var err error
			d, err = s.deliver(context.WithoutCancel(ctx), tx, p, secret, in)
			return err
		})
		if !errors.Is(err, errDuplicate) {
			break
		}
	}
	if errors.Is(err, errDuplicate) {
		return Delivery{Duplicate: true}, nil
	}
	if err != nil {
		return Delivery{}, err
	}
	return d, nil
}

func (s *Store) deliver(ctx context.Context, tx *sqlx.Tx, p Property, secret []byte, in Inbound) (Delivery, error) {
	key, seen, dup, clash, err := s.dedup(ctx, tx, p.ID, in)
	if err != nil {
		return Delivery{}, err
	}
	if dup {
		return Delivery{Duplicate: true, TicketID: seen}, nil
	}
	if clash {
		in.Problems = append(append([]string(nil), in.Problems...),
			"Message-ID <"+in.MessageID+"> is also that of an earlier, different message: stored as a new one")
	}
	now := s.Now()
	from := normEmail(in.From.Email)
	// List mail is a person's mail (a support address is often a group that marks every mail it
	// passes on), unless the property asks for it to be ignored.
	list := in.Kind == KindList && !p.IgnoreListMail
	human := in.Kind == "" || in.Kind == "human" || list
	if list && in.Unverified == "" {
		// Anyone may post to a list under any From, and groups rewrite it: such mail never acts
		// for an agent (no commands, nothing sent on to the customer).
		in.Unverified = "it came through a mailing list"
	}
	dec, err := threading.Resolve(threading.Property{ID: p.ID, Slug: p.Slug, Secret: secret}, threading.Message{
		Recipients: in.Recipients, From: from, MessageID: in.MessageID, InReplyTo: in.InReplyTo, References: in.References, Subject: in.Subject,
	}, txLookup{ctx: ctx, db: s.db, qs: &s.qs, tx: tx, propertyID: p.ID})
	if err != nil {
		return Delivery{}, fmt.Errorf("tickets: %w", err)
	}
	d := Delivery{Decision: dec, Action: threading.Lifecycle(dec, human, now, p.ReopenWindow)}
	if d.Action == threading.Drop {
		// A robot's mail that names no ticket: kept for the admins, never a ticket, never
		// answered (no hook runs).
		var err error
		d.Kept, d.Duplicate, err = s.keepRobotMail(ctx, tx, p, key, in)
		return d, err
	}

	agent, contact, err := s.author(ctx, tx, p.ID, in.From, now)
	if err != nil {
		return Delivery{}, err
	}
	agentID, contactID := agent.ID, contact.ID
	if agentID != 0 && in.Forwarded != nil && !dec.Found() && human && s.forwardable(ctx, tx, p, in) {
		return s.deliverForward(ctx, tx, p, in, key, dec, agent, now)
	}
	if contact.Blocked {
		// Accepted and dropped without a trace: the sender is blocked (DESIGN: block a sender).
		return Delivery{Decision: dec, Action: threading.Drop}, nil
	}
	if agentID != 0 && dec.Found() && human {
		return s.deliverAgentMail(ctx, tx, p, in, key, dec, agent, now)
	}
	if contact.Spam {
		human = false // stored, in spam, never answered
	}
	actor := CustomerActor(from)
	if agentID != 0 {
		actor = AgentActor(agent)
	}
	change := Change{Property: p, AgentID: agentID, Human: human, List: list, Received: true}

	switch d.Action {
	case threading.Create, threading.FollowUp:
		var followsUp *int64
		if d.Action == threading.FollowUp {
			followsUp = &dec.Ticket.ID
			d.FollowsUp = dec.Ticket.Number
		}
		d.TicketID, d.TicketNumber, err = s.insertTicket(ctx, tx, p.ID, ticketSubject(in.Subject), contactID, followsUp, now)
		if err != nil {
			return Delivery{}, err
		}
		if contact.Spam {
			if err := s.db.Exec(ctx, tx, s.qs.TicketSetSpam, true, d.TicketID); err != nil {
				return Delivery{}, fmt.Errorf("tickets: spam: %w", err)
			}
		}
		detail := ""
		if followsUp != nil {
			detail = fmt.Sprintf("follows up #%d, closed more than %s before", d.FollowsUp, p.ReopenWindow)
			why := fmt.Sprintf("answered after the reopen window: new ticket #%d", d.TicketNumber)
			if dec.Reason == threading.Answers {
				detail = fmt.Sprintf("answers #%d, in which %s takes no part", d.FollowsUp, from)
				why = fmt.Sprintf("answered by %s, who takes no part in it: new ticket #%d", from, d.TicketNumber)
			}
			if err := s.addEvent(ctx, tx, dec.Ticket.ID, "followed-up", actor, why, now); err != nil {
				return Delivery{}, err
			}
		}
		if err := s.addEvent(ctx, tx, d.TicketID, "created", actor, detail, now); err != nil {
			return Delivery{}, err
		}
		change.Kind = ChangeTicketCreated
	case threading.Reopen:
		d.TicketID, d.TicketNumber = dec.Ticket.ID, dec.Ticket.Number
		if err := s.db.Exec(ctx, tx, s.qs.TicketReopenByMail,
			StatusOpen, now, d.TicketID); err != nil {
			return Delivery{}, fmt.Errorf("tickets: reopen: %w", err)
		}
		if err := s.addEvent(ctx, tx, d.TicketID, "reopened", actor, "answered "+now.Sub(dec.Ticket.ClosedAt).Round(time.Minute).String()+" after closing", now); err != nil {
			return Delivery{}, err
		}
		change.Kind = ChangeTicketReopened
	case threading.Append:
		d.TicketID, d.TicketNumber = dec.Ticket.ID, dec.Ticket.Number
		change.Kind = ChangeCustomerReply
		if agentID != 0 {
			change.Kind = ChangeAgentMail
		}
	}
	if !human {
		change.Kind = ChangeRobotMessage
	}

	d.MessageID, err = s.insertInbound(ctx, tx, p.ID, d.TicketID, agentID, contactID, in, DirectionIn, in.Trimmed, key, dec.String(), now)
	if err != nil {
		return Delivery{}, err
	}
	// Robots do not move a ticket up the inbox; people do (and end a snooze).
	bump, args := s.qs.TicketCountRobotMessage, []any{d.TicketID}
	if human {
		bump, args = s.qs.TicketCountHumanMessage, []any{now, d.TicketID}
	}
	if err := s.db.Exec(ctx, tx, bump, args...); err != nil {
		return Delivery{}, fmt.Errorf("tickets: count message: %w", err)
	}
	if err := s.settleWaiting(ctx, tx, d.TicketID); err != nil {
		return Delivery{}, err
	}
	if human {
		if err := s.addParticipants(ctx, tx, p, d.TicketID, agentID != 0, in); err != nil {
			return Delivery{}, err
		}
	}
	change.TicketID, change.MessageID = d.TicketID, d.MessageID
	if err := s.runHooks(ctx, tx, change); err != nil {
		return Delivery{}, fmt.Errorf("tickets: after delivery: %w", err)
	}
	return d, nil
}

// ticketSubject is the subject a new ticket gets: without any ticket tag of ours (a follow-up
// carries the old ticket's tag; the new ticket gets its own when mail goes out).
func ticketSubject(subject string) string {
	s := threading.StripTags(subject)
	if s == "" {
		return noSubject
	}
	return s
}

// author finds who wrote a mail: an agent of the property, or else a contact (created on first
// mail, and read with its blocked and spam flags).
func (s *Store) author(ctx context.Context, tx *sqlx.Tx, propertyID int64, from Address, now time.Time) (agent Agent, c contactFlags, err error) {
	email := normEmail(from.Email)
	if email == "" {
		return agent, c, nil
	}
	agent, ok, err := s.propertyAgent(ctx, tx, propertyID, email)
	if err != nil || ok {
		return agent, c, err
	}
	c, err = s.upsertContactFlags(ctx, tx, propertyID, email, from.Name, now)
	return Agent{}, c, err
}

// propertyAgent finds an agent of the property by email inside tx.
func (s *Store) propertyAgent(ctx context.Context, tx *sqlx.Tx, propertyID int64, email string) (Agent, bool, error) {
	var as []Agent
	if err := s.db.Select(ctx, tx, &as, s.qs.AgentByEmail, propertyID, normEmail(email)); err != nil {
		return Agent{}, false, fmt.Errorf("tickets: find agent: %w", err)
	}
	if len(as) == 0 {
		return Agent{}, false, nil
	}
	return as[0], true, nil
}

type contactFlags struct {
	ID      int64 `db:"id"`
	Blocked bool  `db:"blocked"`
	Spam    bool  `db:"spam"`
}

func (s *Store) upsertContact(ctx context.Context, tx *sqlx.Tx, propertyID int64, email, name string, now time.Time) (int64, error) {
	c, err := s.upsertContactFlags(ctx, tx, propertyID, email, name, now)
	return c.ID, err
}

func (s *Store) upsertContactFlags(ctx context.Context, tx *sqlx.Tx, propertyID int64, email, name string, now time.Time) (contactFlags, error) {
	var c contactFlags
	// A contact's name is learnt from the first mail that has one.
	err := s.db.Get(ctx, tx, &c, s.qs.ContactUpsert, propertyID, email, strings.TrimSpace(name), now)
	if err != nil {
		return c, fmt.Errorf("tickets: upsert contact: %w", err)
	}
	return c, nil
}

func (s *Store) insertTicket(ctx context.Context, tx *sqlx.Tx, propertyID int64, subject string, contactID int64, followsUp *int64, now time.Time) (id, number int64, err error) {
	if number, err = s.nextNumber(ctx, tx, propertyID); err != nil {
		return 0, 0, err
	}
	var contact *int64
	if contactID != 0 {
		contact = &contactID
	}
	err = s.db.Get(ctx, tx, &id, s.qs.TicketInsert, propertyID, number, subject, StatusOpen, contact, followsUp, now, now)
	if err != nil {
		return 0, 0, fmt.Errorf("tickets: insert ticket: %w", err)
	}
	return id, number, nil
}

func (s *Store) insertInbound(ctx context.Context, tx *sqlx.Tx, propertyID, ticketID, agentID, contactID int64, in Inbound, direction, trimmed, key, threadingReason string, now time.Time) (int64, error) {
	var date *time.Time
	if !in.Date.IsZero() {
		t := in.Date.UTC().Truncate(time.Microsecond)
		date = &t
	}
	// On PostgreSQL the large values of a large message follow the row in pieces (see pgPut), and a
	// reply that is the whole text is copied from it there rather than sent again.
	text, html, raw, fullTrimmed := in.Text, in.HTML, any(in.Raw), trimmed
	sameTrim := s.pgLarge(len(trimmed)) && trimmed == in.Text
	if s.pgLarge(len(text)) {
		text = ""
	}
	if s.pgLarge(len(trimmed)) {
		trimmed = ""
	}
	if s.pgLarge(len(html)) {
		html = ""
	}
	if s.pgLarge(len(in.Raw)) {
		raw = nil
	}
	var ids []int64
	err := s.db.Select(ctx, tx, &ids, s.qs.MessageInsertInbound,
		propertyID, ticketID, direction, kindOrHuman(in.Kind), nullID(agentID), nullID(contactID),
		strings.TrimSpace(in.From.Name), normEmail(in.From.Email), joinAddrs(in.To), joinAddrs(in.Cc), normEmail(in.EnvelopeFrom),
		orNoSubject(in.Subject), in.MessageID, key, in.contentHash, joinIDs(in.InReplyTo), joinIDs(in.References),
		text, trimmed, html, raw, len(in.Raw), threadingReason, strings.Join(in.Problems, "\n"), date, now)
	if err != nil {
		return 0, fmt.Errorf("tickets: insert message: %w", err)
	}
	if len(ids) == 0 {
		return 0, errDuplicate // a concurrent delivery of the same message committed first
	}
	id := ids[0]
	if s.pgLarge(len(in.Text)) {
		if err := s.pgPutText(ctx, tx, s.qs.LOSetTextBody, id, in.Text); err != nil {
			return 0, err
		}
	}
	switch {
	case sameTrim:
		if err := s.db.Exec(ctx, tx, s.qs.MessageTrimmedIsText, id); err != nil {
			return 0, fmt.Errorf("tickets: store trimmed text: %w", err)
		}
	case s.pgLarge(len(fullTrimmed)):
		if err := s.pgPutText(ctx, tx, s.qs.LOSetTrimmedText, id, fullTrimmed); err != nil {
			return 0, err
		}
	}
	if s.pgLarge(len(in.HTML)) {
		if err := s.pgPutText(ctx, tx, s.qs.LOSetHTMLBody, id, in.HTML); err != nil {
			return 0, err
		}
	}
	if s.pgLarge(len(in.Raw)) {
		if err := s.pgPut(ctx, tx, s.qs.LOSetRaw, id, in.Raw); err != nil {
			return 0, err
		}
	}
	if in.MessageID != "" {
		if err := s.db.Exec(ctx, tx, s.qs.ThreadIDRecordInbound,
			propertyID, in.MessageID, ticketID); err != nil {
			return 0, fmt.Errorf("tickets: record message-id: %w", err)
		}
	}
	if err := s.recordGhosts(ctx, tx, propertyID, ticketID, in); err != nil {
		return 0, err
	}
	for _, a := range in.Attachments {
		if err := s.insertAttachment(ctx, tx, id, a); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func (s *Store) insertAttachment(ctx context.Context, tx *sqlx.Tx, messageID int64, a NewAttachment) error {
	h := sha256.Sum256(a.Data)
	data := a.Data
	if data == nil {
		data = []byte{}
	}
	if s.pgLarge(len(data)) {
		// The row first, then its data in pieces (see pgPut).
		var id int64
		if err := s.db.Get(ctx, tx, &id, s.qs.AttachmentInsertReturning, messageID, a.Filename, a.ContentType, len(a.Data), a.ContentID, a.Inline, hex.EncodeToString(h[:]), []byte{}); err != nil {
			return fmt.Errorf("tickets: insert attachment: %w", err)
		}
		return s.pgPut(ctx, tx, s.qs.LOSetAttachmentData, id, data)
	}
	err := s.db.Exec(ctx, tx, s.qs.AttachmentInsert, messageID, a.Filename, a.ContentType, len(a.Data), a.ContentID, a.Inline, hex.EncodeToString(h[:]), data)
	if err != nil {
		return fmt.Errorf("tickets: insert attachment: %w", err)
	}
	return nil
}

// addParticipants records the sender and every other person on the mail (not the property's own
// addresses), so a later mail from them may thread by subject tag and receives replies.
func (s *Store) addParticipants(ctx context.Context, tx *sqlx.Tx, p Property, ticketID int64, fromAgent bool, in Inbound) error {
	type party struct{ email, name, role string }
	var ps []party
	if e := normEmail(in.From.Email); e != "" {
		role := "customer"
		if fromAgent {
			role = "agent"
		}
		ps = append(ps, party{e, "", role})
	}
	for _, a := range append(append([]Address{}, in.To...), in.Cc...) {
		e := normEmail(a.Email)
		if e == "" || p.Addresses(in.Domain).Own(e) || (in.ListPost != "" && e == normEmail(in.ListPost)) {
			continue
		}
		ps = append(ps, party{e, a.Name, "cc"})
	}
	now := s.Now()
	for _, pt := range ps {
		if err := s.addParticipant(ctx, tx, ticketID, pt.email, pt.role); err != nil {
			return err
		}
		// The people a customer copies are the property's contacts too (not its agents, nor a
		// list's addresses): the contact list finds them, and their history shows the tickets
		// they were copied on.
		if pt.role == "cc" && !fromAgent && !in.ListMail && pt.email != normEmail(in.From.Email) {
			if err := s.db.Exec(ctx, tx, s.qs.ContactUpsertCopied, p.ID, pt.email, strings.TrimSpace(pt.name), now, p.ID, pt.email); err != nil {
				return fmt.Errorf("tickets: contact of a copied address: %w", err)
			}
		}
	}
	return nil
}

func kindOrHuman(k string) string {
	if k == "" {
		return "human"
	}
	return k
}

func orNoSubject(s string) string {
	if strings.TrimSpace(s) == "" {
		return noSubject
	}
	return s
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func joinAddrs(as []Address) string {
	var out []string
	for _, a := range as {
		if e := normEmail(a.Email); e != "" {
			out = append(out, e)
		}
	}
	return strings.Join(out, ", ")
}

func joinIDs(ids []string) string {
	var out []string
	for _, id := range ids {
		out = append(out, "<"+id+">")
	}
	return strings.Join(out, " ")
}
