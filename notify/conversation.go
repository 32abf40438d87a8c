package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

// One ticket is one conversation in each agent's mailbox. Mail clients group mail by more than
// References: Gmail also wants the same subject (once "Re:"/"Fwd:" are gone), Outlook groups by
// Thread-Topic and Thread-Index. So every mail to an agent about a ticket (templates.
// AgentConversation) has the subject "[#N] <subject>" (the templates fix it), says what happened
// in its body and in EventHeader, and is chained to one root of its own — per ticket and agent,
// as Help Scout and Zendesk do:
//
//   - the root is a Message-ID derived from the server secret, the property, the ticket and the
//     agent; no mail ever carries it as its own (a virtual parent), but it is kept as a thread id of
//     the ticket and the agent, so a reply that references only the root still lands on the ticket
//     and is known to be that agent's;
//   - References is the root and the last chainMax mails to the agent about the ticket, oldest
//     first; In-Reply-To is the last of them, or the root;
//   - Thread-Topic is the ticket's subject, and Thread-Index Outlook's conversation index: a 22-byte
//     header block (the ticket's creation time, and a GUID derived as the root is) that is the same
//     in every mail of the conversation, then one 5-byte block per mail of the chain.

// EventHeader names, in a mail to an agent about a ticket, what happened (the template kind:
// "new-ticket", "customer-reply", ...) — the subject no longer does.
const EventHeader = "X-Postdesk-Event"

// chainMax bounds the earlier mails a mail to an agent references (and so its Thread-Index).
const chainMax = 10

// conversation is how one mail to an agent joins their conversation of a ticket.
type conversation struct {
	Root       string   // the virtual root's Message-ID
	References []string // the root, then the chain, oldest first
	InReplyTo  string   // the last mail of the chain, or the root
	Topic      string   // Thread-Topic
	Index      []byte   // Thread-Index, before base64
}

// header is the conversation's header fields beside References and In-Reply-To.
func (c conversation) header(event string) map[string]string {
	return map[string]string{
		EventHeader:    event,
		"Thread-Topic": c.Topic,
		"Thread-Index": base64.StdEncoding.EncodeToString(c.Index),
	}
}

// conversationKey is the key of the conversation of agent agentID on ticket ticketID: its root and
// its Outlook GUID are drawn from it. Without the secret nobody can make up the root of another
// ticket's conversation.
func conversationKey(secret []byte, propertyID, ticketID, agentID int64) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("postdesk conversation root\x00"))
	for _, v := range []int64{propertyID, ticketID, agentID} {
		m.Write(binary.BigEndian.AppendUint64(nil, uint64(v)))
	}
	return m.Sum(nil)
}

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// rootID is the conversation's root Message-ID: <t{N}.{key}@domain>.
func rootID(key []byte, number int64, domain string) string {
	return "t" + strconv.FormatInt(number, 10) + "." + lowerBase32.EncodeToString(key[:15]) + "@" + domain
}

// conversationGUID is the 16 bytes of the conversation's GUID, drawn from the key, stored as
// Outlook stores a GUID in the index (Data1, Data2 and Data3 big-endian), marked as a random
// (version 4, RFC 9562 variant) GUID.
func conversationGUID(key []byte) [16]byte {
	var g [16]byte
	copy(g[:], key[16:32])
	g[6] = g[6]&0x0f | 0x40
	g[8] = g[8]&0x3f | 0x80
	return g
}

// filetime is t as a Windows FILETIME: 100-nanosecond intervals since 1601-01-01 UTC (0 before).
func filetime(t time.Time) uint64 {
	const offset = 11644473600 // seconds from 1601-01-01 to 1970-01-01
	sec := t.Unix() + offset
	if sec < 0 {
		return 0
	}
	return uint64(sec)*10_000_000 + uint64(t.Nanosecond()/100)
}

// threadIndex is the conversation index ([MS-OXOMSG] 2.2.1.3, PidTagConversationIndex) of a mail
// of a conversation that started at start, with the GUID g, whose chain of mails (this one last)
// was dated dates. The header block is 22 bytes: the 6 most significant bytes of start as a
// FILETIME (the first is 0x01 for any date of this era), then the GUID. Each mail adds a 5-byte
// block: a delta code bit; 31 bits of the time since the header's (the difference's bits 18..48
// with code 0, 23..53 with code 1 when it does not fit); 4 random bits (drawn from the mail's
// Message-ID, so a mail rendered again is the same bytes) and a 4-bit sequence count (0).
func threadIndex(start time.Time, g [16]byte, dates []time.Time, ids []string) []byte {
	head := filetime(start) &^ 0xffff // what the header keeps of it
	out := make([]byte, 0, 22+5*len(dates))
	var ft [8]byte
	binary.BigEndian.PutUint64(ft[:], head)
	out = append(out, ft[:6]...)
	out = append(out, g[:]...)
	for i, d := range dates {
		var diff uint64
		if t := filetime(d); t > head {
			diff = t - head
		}
		var v uint32
		if diff < 1<<49 {
			v = uint32(diff >> 18)
		} else {
			v = 1<<31 | uint32(min(diff>>23, 1<<31-1))
		}
		out = binary.BigEndian.AppendUint32(out, v)
		var random byte
		if i < len(ids) {
			sum := sha256.Sum256([]byte(ids[i]))
			random = sum[0] >> 4
		}
		out = append(out, random<<4)
	}
	return out
}

// conversation reads and records what mail messageID, dated now, to agent agentID about the
// context's ticket needs to be one more mail of their conversation: the root (recorded as a thread
// id of the ticket and the agent, once), the chain of earlier mails, the topic and the index.
func (b *batch) conversation(mc tickets.MailContext, agentID int64, messageID, subject string, now time.Time) (conversation, error) {
	t := mc.Ticket
	key := conversationKey(b.n.secret, mc.Property.ID, t.ID, agentID)
	c := conversation{Root: rootID(key, t.Number, b.n.domain), Topic: threading.StripTags(subject)}
	if err := b.n.store.RecordConversationRoot(b.ctx, b.tx, mc.Property.ID, c.Root, t.ID, agentID); err != nil {
		return c, err
	}
	chain, err := b.n.store.AgentMails(b.ctx, b.tx, t.ID, agentID, chainMax)
	if err != nil {
		return c, fmt.Errorf("notify: %w", err)
	}
	// A mail queued before it was rendered (RenderQueued) is in the outbox already: the chain
	// is what came before it.
	for i, m := range chain {
		if m.MessageID == messageID {
			chain = chain[:i]
			break
		}
	}
	c.References = []string{c.Root}
	c.InReplyTo = c.Root
	var dates []time.Time
	var ids []string
	for _, m := range chain {
		c.References = append(c.References, m.MessageID)
		c.InReplyTo = m.MessageID
		dates, ids = append(dates, m.At), append(ids, m.MessageID)
	}
	dates, ids = append(dates, now), append(ids, messageID)
	c.Index = threadIndex(t.CreatedAt, conversationGUID(key), dates, ids)
	if c.Topic == "" {
		c.Topic = threading.Tag(t.Number)
	}
	return c, nil
}
