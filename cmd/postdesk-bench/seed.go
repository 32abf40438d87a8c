package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/tickets"
)

// seed fills a new property with many tickets and messages, straight into the database, for the
// list benchmark:
//
//	postdesk-bench seed --db DSN --tickets 100000 --messages 1000000 --property bench
type seedOptions struct {
	dsn      string
	slug     string
	tickets  int
	messages int
	agents   int
	seed     uint64
}

func runSeed(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-bench seed", flag.ContinueOnError)
	var o seedOptions
	fs.StringVar(&o.dsn, "db", "", "database: a postgres:// URL or a SQLite file path")
	fs.StringVar(&o.slug, "property", "bench", "slug of the property to create")
	fs.IntVar(&o.tickets, "tickets", 100000, "tickets to create")
	fs.IntVar(&o.messages, "messages", 1000000, "messages to create (at least one a ticket)")
	fs.IntVar(&o.agents, "agents", 20, "agents of the property")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed: the same seed builds the same data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.dsn == "" {
		return errors.New("seed: --db is required")
	}
	if o.tickets < 1 || o.messages < o.tickets || o.agents < 1 {
		return errors.New("seed: need --tickets ≥ 1, --messages ≥ --tickets and --agents ≥ 1")
	}
	ctx := context.Background()
	start := time.Now()
	d, err := db.Open(ctx, o.dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	st := tickets.New(d)
	p, err := st.CreateProperty(ctx, tickets.NewProperty{Slug: o.slug, Name: "Bench " + o.slug, FromAddress: "support@" + o.slug + ".example"})
	if errors.Is(err, tickets.ErrExists) {
		return fmt.Errorf("seed: property %q exists already: seed another --property or a fresh database", o.slug)
	}
	if err != nil {
		return err
	}
	s := &seeder{o: o, d: d, p: p, rnd: mrand.New(mrand.NewPCG(o.seed, 0x9e3779b97f4a7c15)), out: out}
	s.vocab = newVocabulary(s.rnd)
	if err := s.people(ctx, st); err != nil {
		return err
	}
	if err := s.fill(ctx); err != nil {
		return err
	}
	// Who each ticket waits for, since when, its first response: the rule over the tickets, as
	// the store settles them one by one (the rows above are inserted without them).
	fmt.Fprintf(out, "waiting…\n")
	if _, err := st.SettleWaitingAll(ctx, p.ID); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// PostgreSQL: the messages' search words, as serve's indexer would have written them by now.
	fmt.Fprintf(out, "search index…\n")
	if err := st.DrainSearchIndex(ctx); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// PostgreSQL: what autovacuum would have done by now (statistics, and the GIN pending lists
	// merged). SQLite: nothing, as postdesk runs no ANALYZE there; its plans must not need one.
	if d.Dialect == db.Postgres {
		fmt.Fprintf(out, "vacuum analyze…\n")
		if _, err := d.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			return fmt.Errorf("seed: vacuum analyze: %w", err)
		}
	}
	fmt.Fprintf(out, "seeded property %q: %d tickets, %d messages, %d agents in %s\n", o.slug, o.tickets, o.messages, o.agents, time.Since(start).Round(time.Second))
	return nil
}

type seeder struct {
	o        seedOptions
	d        *db.DB
	p        tickets.Property
	rnd      *mrand.Rand
	vocab    *vocabulary
	out      io.Writer
	agentIDs []int64
	deptIDs  []int64
	contacts []int64
}

// people adds the agents, departments and contacts.
func (s *seeder) people(ctx context.Context, st *tickets.Store) error {
	for i := range s.o.agents {
		a, err := st.AddAgent(ctx, s.p.ID, fmt.Sprintf("agent%d@%s.example", i+1, s.o.slug), fmt.Sprintf("Agent %d", i+1), "")
		if err != nil {
			return err
		}
		s.agentIDs = append(s.agentIDs, a.ID)
	}
	for i, name := range []string{"Billing", "Shipping", "Technical"} {
		var members []string
		for j := i; j < s.o.agents; j += 3 {
			members = append(members, fmt.Sprintf("agent%d@%s.example", j+1, s.o.slug))
		}
		dep, err := st.AddDepartment(ctx, s.p.ID, name, members)
		if err != nil {
			return err
		}
		s.deptIDs = append(s.deptIDs, dep.ID)
	}
	n := max(1, s.o.tickets/4)
	now := time.Now().UTC()
	for lo := 0; lo < n; lo += 2000 {
		hi := min(n, lo+2000)
		var rows [][]any
		for i := lo; i < hi; i++ {
			rows = append(rows, []any{s.p.ID, fmt.Sprintf("customer%d@mail%d.example", i, i%97), s.vocab.name(s.rnd), now})
		}
		err := s.d.Tx(ctx, func(tx *sqlx.Tx) error {
			var ids []int64
			q, args := multiInsert(`INSERT INTO contacts (property_id, email, name, created_at)`, rows, ` RETURNING id`)
			if err := tx.SelectContext(ctx, &ids, tx.Rebind(q), args...); err != nil {
				return fmt.Errorf("seed: contacts: %w", err)
			}
			s.contacts = append(s.contacts, ids...)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// multiInsert builds one INSERT of many rows.
func multiInsert(head string, rows [][]any, tail string) (string, []any) {
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(" VALUES ")
	args := make([]any, 0, len(rows)*len(rows[0]))
	row := "(?" + strings.Repeat(", ?", len(rows[0])-1) + ")"
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
		args = append(args, r...)
	}
	b.WriteString(tail)
	return b.String(), args
}

// seedTicket is a ticket being generated, with the messages it gets.
type seedTicket struct {
	number           int64
	subject          string
	created, updated time.Time
	messages         int
	contact          int64
	customer         string
}

// seedChunk is a run of tickets with everything that belongs to them, generated ahead of its
// insertion. Rows that name a ticket carry its index in ts until its id is known.
type seedChunk struct {
	ts                []seedTicket
	tickets           [][]any
	messages, tags    [][]any // [1] / [0] is the ticket's index
	reads             [][]any // [0] is the ticket's index
	lastTicket, nMsgs int
}

// fill creates the tickets and their messages, a chunk at a time, each chunk in one transaction.
// One goroutine generates; on PostgreSQL two insert in parallel (SQLite has one writer anyway).
func (s *seeder) fill(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	counts := s.messageCounts()
	now := time.Now().UTC().Truncate(time.Microsecond)
	span := 2 * 365 * 24 * time.Hour
	first := now.Add(-span)
	const chunkSize = 2500
	chunks := make(chan seedChunk, 4)
	genErr := make(chan error, 1)
	go func() {
		defer close(chunks)
		for lo := 0; lo < s.o.tickets; lo += chunkSize {
			hi := min(s.o.tickets, lo+chunkSize)
			var c seedChunk
			for i := lo; i < hi; i++ {
				created := first.Add(time.Duration(float64(span) * (float64(i) + s.rnd.Float64()) / float64(s.o.tickets)))
				life := time.Duration(s.rnd.ExpFloat64() * float64(24*time.Hour) * float64(counts[i]))
				updated := created.Add(life)
				if updated.After(now) {
					updated = now.Add(-time.Duration(s.rnd.IntN(3600)) * time.Second)
					if updated.Before(created) {
						updated = created
					}
				}
				t := seedTicket{number: int64(i + 1), subject: s.vocab.subject(s.rnd), created: created, updated: updated, messages: counts[i]}
				ci := s.rnd.IntN(len(s.contacts))
				t.contact, t.customer = s.contacts[ci], fmt.Sprintf("customer%d@mail%d.example", ci, ci%97)
				c.ts = append(c.ts, t)
				c.tickets = append(c.tickets, s.ticketRow(t, now))
				idx := len(c.ts) - 1
				for k := range t.messages {
					c.messages = append(c.messages, s.messageRow(t, idx, k))
				}
				c.nMsgs += t.messages
				s.tagsAndReads(&c, t, idx)
			}
			c.lastTicket = hi
			select {
			case chunks <- c:
			case <-ctx.Done():
				genErr <- ctx.Err()
				return
			}
		}
		genErr <- nil
	}()
	workers := 1
	if s.d.Dialect == db.Postgres {
		workers = 2
	}
	var mu sync.Mutex
	var firstErr error
	done, msgs := 0, 0
	t0 := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range chunks {
				if err := s.insertChunk(ctx, c); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					for range chunks { // let the generator finish
					}
					return
				}
				mu.Lock()
				done, msgs = done+len(c.ts), msgs+c.nMsgs
				if done%20000 < len(c.ts) || done == s.o.tickets {
					fmt.Fprintf(s.out, "%d/%d tickets, %d messages, %s\n", done, s.o.tickets, msgs, time.Since(t0).Round(time.Second))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := <-genErr; err != nil {
		return err
	}
	_, err := s.d.ExecContext(ctx, s.d.Rebind(`UPDATE properties SET next_ticket_number = ? WHERE id = ?`), s.o.tickets+1, s.p.ID)
	return err
}

// messageCounts spreads the messages over the tickets: one each, the rest unevenly, so that most
// tickets are short and some are long threads.
func (s *seeder) messageCounts() []int {
	counts := make([]int, s.o.tickets)
	for i := range counts {
		counts[i] = 1
	}
	hot := make([]int, max(1, s.o.tickets/10))
	for i := range hot {
		hot[i] = s.rnd.IntN(s.o.tickets)
	}
	for range s.o.messages - s.o.tickets {
		if s.rnd.IntN(2) == 0 {
			counts[hot[s.rnd.IntN(len(hot))]]++
		} else {
			counts[s.rnd.IntN(s.o.tickets)]++
		}
	}
	return counts
}

// insertChunk inserts a chunk in one transaction, run again when PostgreSQL breaks a deadlock
// (two workers' ticket rows lock the counters of 0012 in different orders): it changes nothing
// of c.
func (s *seeder) insertChunk(ctx context.Context, c seedChunk) error {
	return s.d.TxRetry(ctx, func(tx *sqlx.Tx) error {
		byNumber := map[int64]int{}
		for i, t := range c.ts {
			byNumber[t.number] = i
		}
		ids := make([]int64, len(c.ts))
		for b := 0; b < len(c.tickets); b += 1000 {
			q, args := multiInsert(`INSERT INTO tickets (property_id, number, subject, status, priority, contact_id, assignee_agent_id,
				assignee_department_id, spam, message_count, snoozed_until, deleted_at, created_at, updated_at, closed_at)`,
				c.tickets[b:min(len(c.tickets), b+1000)], ` RETURNING id, number`)
			var got []struct {
				ID     int64 `db:"id"`
				Number int64 `db:"number"`
			}
			if err := tx.SelectContext(ctx, &got, tx.Rebind(q), args...); err != nil {
				return fmt.Errorf("seed: tickets: %w", err)
			}
			for _, g := range got {
				ids[byNumber[g.Number]] = g.ID
			}
		}
		insert := func(what, head string, rows [][]any, col, per int) error {
			for b := 0; b < len(rows); b += per {
				batch := make([][]any, 0, per)
				for _, r := range rows[b:min(len(rows), b+per)] {
					r = slices.Clone(r)
					r[col] = ids[r[col].(int)]
					batch = append(batch, r)
				}
				q, args := multiInsert(head, batch, ``)
				if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
					return fmt.Errorf("seed: %s: %w", what, err)
				}
			}
			return nil
		}
		if err := insert("tags", `INSERT INTO ticket_tags (ticket_id, tag)`, c.tags, 0, 2000); err != nil {
			return err
		}
		if err := insert("reads", `INSERT INTO ticket_reads (ticket_id, agent_id, read_at)`, c.reads, 0, 2000); err != nil {
			return err
		}
		return insert("messages", `INSERT INTO messages (property_id, ticket_id, direction, kind, agent_id, contact_id, from_name,
			from_email, subject, message_id, dedup_key, text_body, threading, created_at)`, c.messages, 1, 1000)
	})
}

var seedPriorities = []string{"low", "low", "low", "normal", "normal", "normal", "normal", "normal", "normal", "normal", "normal", "normal", "high", "high", "high", "high", "urgent"}

func (s *seeder) ticketRow(t seedTicket, now time.Time) []any {
	r := s.rnd
	status, closedAt := tickets.StatusOpen, (*time.Time)(nil)
	// Old tickets are mostly closed; recent ones mostly open.
	if (now.Sub(t.updated) > 14*24*time.Hour && r.Float64() < 0.93) || r.Float64() < 0.15 {
		status, closedAt = tickets.StatusClosed, &t.updated
	}
	var agent, dept *int64
	switch x := r.Float64(); {
	case x < 0.75:
		// A few agents carry most of the load.
		a := s.agentIDs[int(float64(len(s.agentIDs))*r.Float64()*r.Float64())]
		agent = &a
	case x < 0.85:
		dp := s.deptIDs[r.IntN(len(s.deptIDs))]
		dept = &dp
	}
	var snoozed, deleted *time.Time
	spam := false
	switch x := r.Float64(); {
	case x < 0.01 && status == tickets.StatusOpen:
		u := now.Add(time.Duration(1+r.IntN(14*24)) * time.Hour)
		snoozed = &u
	case x < 0.02:
		spam = true
	case x < 0.03:
		del := t.updated
		deleted = &del
	}
	return []any{s.p.ID, t.number, t.subject, status, seedPriorities[r.IntN(len(seedPriorities))], t.contact, agent, dept,
		spam, t.messages, snoozed, deleted, t.created, t.updated, closedAt}
}

var seedTags = []string{"vip", "billing", "bug", "feature", "refund", "shipping", "urgent", "followup", "b2b", "churn-risk"}

// tagsAndReads tags a third of the tickets and marks what three agents have read.
func (s *seeder) tagsAndReads(c *seedChunk, t seedTicket, idx int) {
	if s.rnd.Float64() < 0.35 {
		first := s.rnd.IntN(len(seedTags))
		c.tags = append(c.tags, []any{idx, seedTags[first]})
		if s.rnd.Float64() < 0.3 {
			c.tags = append(c.tags, []any{idx, seedTags[(first+1+s.rnd.IntN(len(seedTags)-1))%len(seedTags)]})
		}
	}
	for _, a := range s.agentIDs[:min(3, len(s.agentIDs))] {
		if s.rnd.Float64() < 0.6 {
			at := t.updated
			if s.rnd.Float64() < 0.2 {
				at = t.updated.Add(-time.Hour) // read before the last change: unread
			}
			c.reads = append(c.reads, []any{idx, a, at})
		}
	}
}

func (s *seeder) messageRow(t seedTicket, idx, k int) []any {
	at := t.created
	if t.messages > 1 {
		at = t.created.Add(t.updated.Sub(t.created) * time.Duration(k) / time.Duration(t.messages-1))
	}
	subject := t.subject
	if k > 0 {
		subject = "Re: " + t.subject
	}
	id := fmt.Sprintf("seed-%d-%d-%d@%s.example", t.number, k, s.o.seed, s.o.slug)
	// Customers and agents take turns; every third agent message is an internal note.
	if k%2 == 0 {
		return []any{s.p.ID, idx, tickets.DirectionIn, "human", nil, t.contact, "", t.customer, subject, id, id,
			s.vocab.body(s.rnd, 30+s.rnd.IntN(90)), "seed", at}
	}
	ai := s.rnd.IntN(len(s.agentIDs))
	dir := tickets.DirectionOut
	if k%6 == 5 {
		dir = tickets.DirectionNote
	}
	return []any{s.p.ID, idx, dir, "human", s.agentIDs[ai], nil, fmt.Sprintf("Agent %d", ai+1), fmt.Sprintf("agent%d@%s.example", ai+1, s.o.slug), subject, id, id,
		s.vocab.body(s.rnd, 20+s.rnd.IntN(60)), "seed", at}
}

// vocabulary makes subjects and bodies: real words of support mail, most frequent first, then a
// long tail of made-up words, drawn with a Zipf law as words are, so a search may hit a third of
// the messages or a handful.
type vocabulary struct {
	words []string
	zipf  *mrand.Zipf
}

const commonWords = `the to and you i a for is it of my this on in we not have with can be your that please order
have from are will was but account as at if our an thanks help would or do get so me there has any now just when
what been issue hi they still know all also need could again about problem payment one invoice back new time
email like did today which working how here see up out no delivery only password refund login error update
received should some let after were us them first app could number device please address card their return
shipping price subscription website page phone screen battery charge charged twice cancel change customer
package tracking missing damaged broken replacement warranty product item size colour color late week days
weeks month support team reply soon possible urgent asap sorry problem again software version install
download upgrade settings profile reset link code verify verification receipt bill billing plan monthly
yearly discount coupon voucher promo credit debit bank transfer paypal stripe checkout cart basket stock
available delay delayed courier parcel label warehouse store shop online mobile android iphone laptop
printer tablet camera headphones charger cable adapter keyboard mouse monitor router wifi network server
outage slow crash crashes freezes bug feature request feedback complaint question answer manager contract
invoice quote tax vat company business enterprise trial licence license seats users admin permission access
denied blocked locked unlock export import report dashboard integration api webhook token sync calendar
notification notifications spam unsubscribe newsletter privacy gdpr data delete deletion backup restore`

var syllables = []string{"ba", "ko", "ri", "zu", "mel", "tor", "vin", "sa", "qu", "xe", "lo", "pra", "dun", "fi", "gor", "hal", "jen", "ny", "ost", "wey"}

var givenNames = []string{"Ann", "Bob", "Chen", "Dana", "Emil", "Fatima", "Gus", "Hana", "Igor", "Jo", "Kemal", "Lena", "Mo", "Nina", "Omar", "Pia", "Raj", "Sofia", "Tom", "Uma"}
var familyNames = []string{"Smith", "Garcia", "Müller", "Rossi", "Dubois", "Kowalski", "Nakamura", "Okafor", "Silva", "Jensen", "Novak", "Haddad"}

func newVocabulary(r *mrand.Rand) *vocabulary {
	v := &vocabulary{}
	seen := map[string]bool{}
	for _, w := range strings.Fields(commonWords) {
		if !seen[w] {
			seen[w] = true
			v.words = append(v.words, w)
		}
	}
	for len(v.words) < 6000 {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			v.words = append(v.words, w)
		}
	}
	v.zipf = mrand.NewZipf(r, 1.07, 2, uint64(len(v.words)-1))
	return v
}

func (v *vocabulary) word() string { return v.words[v.zipf.Uint64()] }

func (v *vocabulary) subject(r *mrand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("Order %d: %s %s", 100000+r.IntN(900000), v.word(), v.word())
	case 1:
		return fmt.Sprintf("Problem with my %s", v.word())
	default:
		var ws []string
		for range 3 + r.IntN(5) {
			ws = append(ws, v.word())
		}
		s := strings.Join(ws, " ")
		return strings.ToUpper(s[:1]) + s[1:]
	}
}

func (v *vocabulary) body(r *mrand.Rand, n int) string {
	var b strings.Builder
	b.WriteString("Hello,\n\n")
	for i := range n {
		if i > 0 {
			if r.IntN(12) == 0 {
				b.WriteString(". ")
			} else {
				b.WriteString(" ")
			}
		}
		if r.IntN(200) == 0 {
			fmt.Fprintf(&b, "%d", 100000+r.IntN(900000))
			continue
		}
		b.WriteString(v.word())
	}
	b.WriteString(".\n\nBest regards")
	return b.String()
}

func (v *vocabulary) name(r *mrand.Rand) string {
	return givenNames[r.IntN(len(givenNames))] + " " + familyNames[r.IntN(len(familyNames))]
}
