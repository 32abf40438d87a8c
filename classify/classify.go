// Package classify decides whether an inbound mail was written by a human or
// by a robot: an auto-reply (RFC 3834), a bounce (RFC 3464 DSN or MTA
// prose), an abuse/complaint feedback report (RFC 5965 ARF), a successful
// delivery notification, mailing-list / bulk mail, or a challenge-response
// request.
//
// The helpdesk only acknowledges or notifies in answer to Human mail; an
// AutoReply never opens or reopens a ticket; a Bounce marks the outgoing
// mail named by OriginalMessageID as failed and never opens a ticket.
//
// Order matters. Feedback reports are checked before bounces (an ARF is a
// multipart/report too), bounces before auto-replies (many MTAs stamp their
// bounces "Auto-Submitted: auto-replied"), auto-replies before list mail.
// Ordinary human mail is decided from the header alone; the parts are looked
// at only when the header says report, or the sender or subject looks like a
// mail system.
package classify

import (
	"strings"

	"github.com/postdesk/postdesk/mailparse"
)

// Kind is what sort of sender produced a message.
type Kind string

// The kinds Classify returns.
const (
	Human           Kind = "human"
	AutoReply       Kind = "auto-reply"           // RFC 3834 vacation/out-of-office/autoresponders, ticket-system acknowledgements, MDNs
	Bounce          Kind = "bounce"               // non-delivery / delayed-delivery notifications (DSN RFC 3464 or MTA-specific prose)
	FeedbackReport  Kind = "feedback-report"      // ARF abuse/complaint reports (RFC 5965)
	DeliverySuccess Kind = "delivery-success-dsn" // DSN whose every recipient Action is delivered/relayed/expanded
	List            Kind = "list"                 // mailing-list / bulk mail
	// Challenge is challenge-response mail: a request to prove a person wrote to the sender or
	// to be whitelisted (Boxbe, Bluebottle, TMDA…). A robot's, never a ticket, never answered.
	Challenge Kind = "challenge-response"
)

// Recipient is one recipient a bounce reports as failed or delayed.
type Recipient struct {
	Address    string // failed recipient, lowercased
	Status     string // enhanced status "5.1.1" when known (RFC 3463)
	ReplyCode  string // SMTP reply code "550" when known (RFC 5321 §4.2)
	Hard       bool   // permanent (5.x.x / 5xx) vs temporary
	Diagnostic string // short diagnostic text when available
}

// Result is the verdict of Classify.
type Result struct {
	Kind   Kind
	Reason string // which rule decided, e.g. "header Auto-Submitted: auto-replied"
	// Recipients lists, for bounces, the failed recipients (may be empty
	// when the report does not say).
	Recipients []Recipient
	// OriginalMessageID is the Message-ID (no brackets) of the message
	// that caused this one, when found: from the returned message/rfc822
	// or text/rfc822-headers part of a report, or In-Reply-To/References
	// for auto-replies. The helpdesk uses it to find which of its
	// outgoing mails bounced.
	OriginalMessageID string
}

// message holds what the rules look at. The view of the MIME tree is built
// lazily: most human mail is decided before anyone asks for it.
type message struct {
	h        header
	parsed   *mailparse.Message
	envelope string // MAIL FROM, lower-cased; "" is the null reverse-path
	from     string // From address, lower-cased
	fromRaw  string
	subject  string // RFC 2047-decoded
	mt       string // top-level media type, "" for an empty message
	params   map[string]string
	tree     *part

	// Sender and subject facts, computed once (see signals.go).
	daemon     bool // From/envelope is a mail-system account
	strict     bool // … a MAILER-DAEMON style one, never a person
	null       bool // null reverse-path
	noreply    bool // no-reply style automated sender
	bounceSubj bool // subject of a non-delivery notice
	replySubj  bool // subject starts with Re:/Fwd: and the like
}

func (m *message) root() *part {
	if m.tree == nil {
		if e := m.parsed.Root; e != nil {
			m.tree = fromEntity(e, 0)
		} else {
			m.tree = &part{mediaType: "text/plain"}
		}
	}
	return m.tree
}

// Classify looks at the message as mailparse.Parse read it and the SMTP
// envelope sender (MAIL FROM, "" for the null reverse-path <>). It never
// panics and, for ordinary human mail, reads only the header.
//
// envelopeFrom matters: only mail systems and responders use the null
// reverse-path, so "" alone makes otherwise unremarkable mail an
// AutoReply. A caller that does not know the envelope should pass the
// message's Return-Path value (or its From address), never "".
func Classify(pm *mailparse.Message, envelopeFrom string) Result {
	r, _ := classify(pm, envelopeFrom)
	return r
}

// classify also returns the message state, so tests can check that human
// mail was decided without looking at the parts.
func classify(pm *mailparse.Message, envelopeFrom string) (Result, *message) {
	if pm == nil {
		pm = &mailparse.Message{} // nothing parsed: judged by the envelope alone
	}
	m := &message{h: header{&pm.Header.Header.Header}, parsed: pm}
	m.envelope = addrSpec(envelopeFrom)
	m.fromRaw = mailparse.DecodeHeader(m.h.get("From"))
	m.from = addrSpec(m.fromRaw)
	m.subject = strings.TrimSpace(pm.Subject)
	if pm.Root != nil {
		m.mt, m.params = pm.Root.Type, pm.Root.Params
	}
	m.daemon = m.daemonSender()
	m.strict = m.strictDaemon()
	m.null = m.nullSender()
	m.noreply = m.noreplySender()
	m.replySubj = isReplySubject(m.subject)
	m.bounceSubj = !m.replySubj && reBounceSubject.MatchString(m.subject)

	for _, rule := range []func(*message) (Result, bool){
		classifyVendorJSON,     // Amazon SES notifications say what they are
		classifyReport,         // RFC 6522 reports: ARF, DSN, MDN
		classifyFeedbackHeader, // one-click unsubscribe complaints
		classifyProseBounce,    // MTA prose bounces
		classifyChallenge,      // challenge-response: before auto-replies, which they are marked as too
		classifyAutoReply,      // RFC 3834 markers, vacation subjects
		classifyList,           // RFC 2369/2919 list fields, bulk
		classifyLate,           // loop fields, weak subjects, null sender
	} {
		if r, ok := rule(m); ok {
			return r, m
		}
	}
	return Result{Kind: Human, Reason: "no robot signal"}, m
}
