package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

// decodedIndex is a conversation index read back as Outlook reads it.
type decodedIndex struct {
	start  time.Time // the header's FILETIME
	guid   [16]byte
	deltas []time.Duration
	codes  []bool
}

func fromFiletime(ft uint64) time.Time {
	const epoch = 116444736000000000
	return time.Unix(0, (int64(ft)-epoch)*100).UTC()
}

func decodeIndex(t *testing.T, b []byte) decodedIndex {
	t.Helper()
	if len(b) < 22 || (len(b)-22)%5 != 0 {
		t.Fatalf("conversation index of %d bytes: not 22 + 5k", len(b))
	}
	var ft [8]byte
	copy(ft[:6], b[:6])
	d := decodedIndex{start: fromFiletime(binary.BigEndian.Uint64(ft[:]))}
	copy(d.guid[:], b[6:22])
	for c := b[22:]; len(c) > 0; c = c[5:] {
		v := binary.BigEndian.Uint32(c[:4])
		code := v&(1<<31) != 0
		shift := 18
		if code {
			shift = 23
		}
		d.deltas = append(d.deltas, time.Duration(uint64(v&^(1<<31))<<shift)*100)
		d.codes = append(d.codes, code)
		if c[4]&0x0f != 0 {
			t.Errorf("sequence count %d, want 0", c[4]&0x0f)
		}
	}
	return d
}

// The layout is Outlook's own: a Thread-Index Outlook wrote, decoded by a forensic tool to a header
// time of 2018-07-16 07:40:00.2799616 UTC and one reply 14:03:22.5476096 later, is what threadIndex
// writes for the same start, GUID and date.
func TestThreadIndexLayout(t *testing.T) {
	outlook, err := base64.StdEncoding.DecodeString("AdQc2DN7rLoS3hgnE/O76rpFzxN/EwAddF4A")
	if err != nil {
		t.Fatal(err)
	}
	d := decodeIndex(t, outlook)
	if want := time.Date(2018, 7, 16, 7, 40, 0, 279961600, time.UTC); !d.start.Equal(want) {
		t.Fatalf("header time %v, want %v", d.start, want)
	}
	if want := 14*time.Hour + 3*time.Minute + 22*time.Second + 547609600; len(d.deltas) != 1 || d.deltas[0] != want || d.codes[0] {
		t.Fatalf("children %v %v, want one of %v", d.deltas, d.codes, want)
	}
	got := threadIndex(d.start, d.guid, []time.Time{d.start.Add(d.deltas[0])}, nil)
	if !bytes.Equal(got, outlook) {
		t.Fatalf("threadIndex = %x\n        want %x", got, outlook)
	}

	// Our own: 22 bytes of header, then 5 per mail, each delta to within the unit of its code.
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	g := conversationGUID(conversationKey([]byte("secret"), 1, 2, 3))
	dates := []time.Time{start.Add(time.Second), start.Add(3 * time.Hour), start.Add(3 * 365 * 24 * time.Hour), start.Add(-time.Hour)}
	idx := threadIndex(start, g, dates, []string{"a@x", "b@x", "c@x", "d@x"})
	if len(idx) != 22+5*len(dates) || idx[0] != 0x01 {
		t.Fatalf("index of %d bytes starting %#x", len(idx), idx[0])
	}
	d = decodeIndex(t, idx)
	if d.guid != g || d.start.After(start) || start.Sub(d.start) > 7*time.Millisecond {
		t.Fatalf("header %v %x, want %v %x", d.start, d.guid, start, g)
	}
	for i, date := range dates {
		want := max(date.Sub(d.start), 0)
		unit := time.Duration(1<<18) * 100
		if d.codes[i] {
			unit = time.Duration(1<<23) * 100
		}
		if d.deltas[i] > want || want-d.deltas[i] >= unit {
			t.Errorf("child %d: delta %v, want %v (code %v)", i, d.deltas[i], want, d.codes[i])
		}
	}
	if d.codes[0] || !d.codes[2] {
		t.Errorf("delta codes %v: a second takes code 0, three years code 1", d.codes)
	}
	if g[6]>>4 != 4 || g[8]>>6 != 2 {
		t.Errorf("GUID %x is not a version 4 GUID", g)
	}
}

// The root and the GUID are one per property, ticket and agent.
func TestConversationKeys(t *testing.T) {
	secret := []byte("secret")
	k := conversationKey(secret, 1, 2, 3)
	if rootID(k, 7, "desk.example") != rootID(conversationKey(secret, 1, 2, 3), 7, "desk.example") {
		t.Fatal("the root is not stable")
	}
	root := rootID(k, 7, "desk.example")
	if !strings.HasPrefix(root, "t7.") || !strings.HasSuffix(root, "@desk.example") || strings.ContainsAny(root, "<> =") {
		t.Fatalf("root %q", root)
	}
	for _, other := range [][]byte{
		conversationKey(secret, 1, 2, 4), conversationKey(secret, 1, 4, 3), conversationKey(secret, 9, 2, 3),
		conversationKey([]byte("other secret"), 1, 2, 3),
	} {
		if rootID(other, 7, "desk.example") == root || conversationGUID(other) == conversationGUID(k) {
			t.Errorf("two conversations share a root or a GUID")
		}
	}
}

type sentRaw struct {
	kind, rcpt string
	h          mail.Header
}

func agentMails(t *testing.T, d *db.DB) []sentRaw {
	t.Helper()
	var rows []struct {
		Rcpts string `db:"rcpts"`
		Kind  string `db:"kind"`
		Raw   []byte `db:"raw"`
	}
	if err := d.SelectContext(context.Background(), &rows, `SELECT rcpts, kind, raw FROM outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	var out []sentRaw
	for _, r := range rows {
		m, err := mail.ReadMessage(bytes.NewReader(r.Raw))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sentRaw{kind: r.Kind, rcpt: r.Rcpts, h: m.Header})
	}
	return out
}

func ids(h string) []string {
	var out []string
	for _, f := range strings.Fields(h) {
		out = append(out, strings.Trim(f, "<>"))
	}
	return out
}

// Every mail to an agent about a ticket: one subject, the event in a header, References from one
// root (kept as the agent's thread id of the ticket), In-Reply-To the mail before, and a
// Thread-Index that grows by 5 bytes from one header block; the customer's mail is untouched.
func TestAgentMailIsOneConversation(t *testing.T) {
	tpl, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newRenderEnv(t, d, tpl)
		ctx := context.Background()
		if _, err := e.s.AddAgent(ctx, e.p.ID, "bob@acme.example", "Bob", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.deliver("Printer on fire", "c1@customer.example"); err != nil {
			t.Fatal(err)
		}
		for i, id := range []string{"c2@customer.example", "c3@customer.example"} {
			*e.now = e.now.Add(time.Duration(i+1) * time.Hour)
			if _, err := e.s.Deliver(ctx, e.p, e.secret, tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, Subject: "Re: [#1] Printer on fire",
				MessageID: id, InReplyTo: []string{"c1@customer.example"}, Raw: []byte("Subject: x\r\n\r\nmore\r\n"), Kind: "human"}); err != nil {
				t.Fatal(err)
			}
		}
		roots := map[string]string{}
		prefixes := map[string]string{}
		for _, agent := range []string{"alice@acme.example", "bob@acme.example"} {
			var chain []sentRaw
			for _, m := range agentMails(t, d) {
				if m.rcpt == agent {
					chain = append(chain, m)
				}
			}
			if len(chain) != 3 {
				t.Fatalf("%s got %d mails, want 3", agent, len(chain))
			}
			var prev []string
			for k, m := range chain {
				if s := m.h.Get("Subject"); s != "[#1] Printer on fire" {
					t.Errorf("%s mail %d: subject %q", agent, k, s)
				}
				if ev := m.h.Get(EventHeader); ev != m.kind {
					t.Errorf("%s mail %d: %s %q, want %q", agent, k, EventHeader, ev, m.kind)
				}
				if tt := m.h.Get("Thread-Topic"); tt != "Printer on fire" {
					t.Errorf("%s mail %d: Thread-Topic %q", agent, k, tt)
				}
				refs := ids(m.h.Get("References"))
				if len(refs) != k+1 || strings.Join(refs[1:], " ") != strings.Join(prev, " ") {
					t.Errorf("%s mail %d: References %v, want the root and %v", agent, k, refs, prev)
				}
				root := refs[0]
				if roots[agent] == "" {
					roots[agent] = root
				} else if roots[agent] != root {
					t.Errorf("%s mail %d: root %s, want %s", agent, k, root, roots[agent])
				}
				if irt := ids(m.h.Get("In-Reply-To")); len(irt) != 1 || irt[0] != refs[len(refs)-1] {
					t.Errorf("%s mail %d: In-Reply-To %v, References %v", agent, k, irt, refs)
				}
				idx, err := base64.StdEncoding.DecodeString(m.h.Get("Thread-Index"))
				if err != nil || len(idx) != 22+5*(k+1) {
					t.Fatalf("%s mail %d: Thread-Index of %d bytes (%v)", agent, k, len(idx), err)
				}
				if prefixes[agent] == "" {
					prefixes[agent] = string(idx[:22])
				} else if string(idx[:22]) != prefixes[agent] {
					t.Errorf("%s mail %d: the Thread-Index header block changed", agent, k)
				}
				prev = append(prev, ids(m.h.Get("Message-Id"))...)
			}
		}
		if roots["alice@acme.example"] == roots["bob@acme.example"] || prefixes["alice@acme.example"] == prefixes["bob@acme.example"] {
			t.Fatal("two agents share a conversation root")
		}
		for _, m := range agentMails(t, d) {
			if m.kind == templates.Acknowledgement && (m.h.Get(EventHeader) != "" || m.h.Get("Thread-Index") != "" || !strings.HasPrefix(m.h.Get("Subject"), "Re: [#1]")) {
				t.Errorf("the acknowledgement is dressed as an agent's mail: %v", m.h)
			}
		}

		// A reply that names only Alice's root lands on the ticket, as Alice's.
		dv, err := e.s.Deliver(ctx, e.p, e.secret, tickets.Inbound{From: tickets.Address{Email: "alice@acme.example"}, Subject: "about that",
			MessageID: "a1@acme.example", References: []string{roots["alice@acme.example"]}, Raw: []byte("Subject: about that\r\n\r\nOn it.\r\n"), Kind: "human"})
		if err != nil {
			t.Fatal(err)
		}
		if dv.TicketNumber != 1 || dv.Decision.Reason != threading.ByReferences || dv.Decision.AgentID == 0 {
			t.Fatalf("a reply to the root: ticket #%d, %+v", dv.TicketNumber, dv.Decision)
		}
		alice, err := e.s.AgentByEmail(ctx, e.p.ID, "alice@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		if dv.Decision.AgentID != alice.ID {
			t.Fatalf("the root names agent %d, want Alice (%d)", dv.Decision.AgentID, alice.ID)
		}
	})
}

// The chain is bounded: References hold the root and the last chainMax mails, the index as many
// blocks and this mail's.
func TestAgentChainIsBounded(t *testing.T) {
	tpl, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newRenderEnv(t, d, tpl)
		ctx := context.Background()
		if _, err := e.deliver("Printer on fire", "c0@customer.example"); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= chainMax+2; i++ {
			*e.now = e.now.Add(time.Minute)
			if _, err := e.s.Deliver(ctx, e.p, e.secret, tickets.Inbound{From: tickets.Address{Email: "ann@customer.example"}, Subject: "Re: [#1] Printer on fire",
				MessageID: strings.Repeat("c", i) + "@customer.example", Raw: []byte("Subject: x\r\n\r\nmore " + strings.Repeat("!", i) + "\r\n"), Kind: "human"}); err != nil {
				t.Fatal(err)
			}
		}
		var chain []sentRaw
		for _, m := range agentMails(t, d) {
			if m.rcpt == "alice@acme.example" {
				chain = append(chain, m)
			}
		}
		if len(chain) != chainMax+3 {
			t.Fatalf("%d mails to alice", len(chain))
		}
		last := chain[len(chain)-1]
		refs := ids(last.h.Get("References"))
		want := []string{ids(chain[0].h.Get("References"))[0]}
		for _, m := range chain[len(chain)-1-chainMax : len(chain)-1] {
			want = append(want, ids(m.h.Get("Message-Id"))...)
		}
		if strings.Join(refs, " ") != strings.Join(want, " ") {
			t.Fatalf("References %v\nwant %v", refs, want)
		}
		if idx, _ := base64.StdEncoding.DecodeString(last.h.Get("Thread-Index")); len(idx) != 22+5*(chainMax+1) {
			t.Fatalf("Thread-Index of %d bytes", len(idx))
		}
	})
}

// No date, however odd, breaks the index: a zero time is the FILETIME epoch.
func TestFiletimeRange(t *testing.T) {
	if filetime(time.Time{}) != 0 || filetime(time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)) != 0 {
		t.Fatal("the FILETIME epoch is not 0")
	}
	if got := filetime(time.Unix(0, 0)); got != 116444736000000000 {
		t.Fatalf("1970 = %d", got)
	}
	if idx := threadIndex(time.Time{}, [16]byte{}, []time.Time{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, nil); len(idx) != 27 || idx[22]&0x80 == 0 {
		t.Fatalf("index %x", idx)
	}
}
