package live_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/live"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
)

// fixture is a store writing through one *db.DB and a feed reading through another pool to the
// same database: two instances sharing it.
type fixture struct {
	ctx     context.Context
	writer  *db.DB // the store's
	reader  *db.DB // the feed's
	s       *tickets.Store
	clk     *testclock.Clock // the store's
	feedClk *testclock.Clock
	p       tickets.Property
	secret  []byte
	alice   tickets.Agent
	feed    *live.Feed
}

// eachTwoInstances runs f per engine with a fresh database opened twice.
func eachTwoInstances(t *testing.T, f func(t *testing.T, fx *fixture)) {
	for _, e := range dbtest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			ctx := context.Background()
			open := func() *db.DB {
				d, err := db.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d.Close() })
				return d
			}
			fx := &fixture{ctx: ctx, writer: open(), reader: open()}
			fx.clk = testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
			fx.feedClk = testclock.New(time.Now().UTC())
			var err error
			if fx.s, err = tickets.Open(ctx, fx.writer, tickets.WithClock(fx.clk.Now)); err != nil {
				t.Fatal(err)
			}
			if fx.p, err = fx.s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme", FromAddress: "support@acme.example"}); err != nil {
				t.Fatal(err)
			}
			if fx.secret, err = fx.s.Secret(ctx); err != nil {
				t.Fatal(err)
			}
			if fx.alice, err = fx.s.AddAgent(ctx, fx.p.ID, "alice@acme.example", "Alice", "support"); err != nil {
				t.Fatal(err)
			}
			fx.feed = fx.openFeed(t, fx.reader)
			f(t, fx)
		})
	}
}

func (fx *fixture) openFeed(t *testing.T, d *db.DB) *live.Feed {
	t.Helper()
	feed, err := live.Open(fx.ctx, d, live.Config{Poll: 10 * time.Millisecond, Now: fx.feedClk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return feed
}

func (fx *fixture) deliver(t *testing.T, p tickets.Property, id, subject string, inReplyTo ...string) tickets.Delivery {
	t.Helper()
	in := tickets.Inbound{
		From:      tickets.Address{Name: "Ann", Email: "ann@customer.example"},
		To:        []tickets.Address{{Email: p.FromAddress}},
		Subject:   subject,
		MessageID: id,
		InReplyTo: inReplyTo,
		Text:      "hello",
		Kind:      "human",
		Raw:       []byte("Subject: " + subject + "\r\n\r\nhello"),
	}
	d, err := fx.s.Deliver(fx.ctx, p, fx.secret, in)
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	return d
}

func (fx *fixture) sync(t *testing.T) {
	t.Helper()
	if err := fx.feed.Sync(fx.ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// buffered is what the channel holds now: after Sync returns, every change it read is there.
func buffered(ch <-chan live.Change) []live.Change {
	var out []live.Change
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, c)
		default:
			return out
		}
	}
}

func has(cs []live.Change, want live.Change) bool {
	for _, c := range cs {
		if c == want {
			return true
		}
	}
	return false
}

// waitFor reads ch until a change equal to want arrives, failing after a deadline.
func waitFor(t *testing.T, ch <-chan live.Change, want live.Change) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed waiting for %+v", want)
			}
			if c == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %+v within the deadline", want)
		}
	}
}

func ticketChange(p tickets.Property, n int64) live.Change {
	return live.Change{PropertyID: p.ID, Ticket: n, Kind: live.KindTicket}
}

// A change written through one pool reaches the subscriber of a feed running on another, by its
// own polling; when Run ends, the subscriber's channel is closed.
func TestChangeReachesAnotherInstance(t *testing.T) {
	eachTwoInstances(t, func(t *testing.T, fx *fixture) {
		ctx, stop := context.WithCancel(fx.ctx)
		done := make(chan error, 1)
		go func() { done <- fx.feed.Run(ctx) }()
		ch, cancel := fx.feed.Subscribe(fx.p.ID)
		defer cancel()
		fx.deliver(t, fx.p, "m1@customer", "Printer on fire")
		waitFor(t, ch, ticketChange(fx.p, 1))
		// Presence written through a feed on the writer's pool shows on the reader's feed too.
		other := fx.openFeed(t, fx.writer)
		if err := other.Heartbeat(fx.ctx, fx.p.ID, 1, fx.alice.ID, true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ch, live.Change{PropertyID: fx.p.ID, Ticket: 1, Kind: live.KindPresence})
		ps, err := fx.feed.Present(fx.ctx, fx.p.ID, 1)
		if err != nil || len(ps) != 1 || ps[0].Email != "alice@acme.example" || !ps[0].Typing {
			t.Fatalf("present on the other instance: %+v %v", ps, err)
		}
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return")
		}
		for range ch { // drained, then closed
		}
		late, _ := fx.feed.Subscribe(fx.p.ID)
		if _, ok := <-late; ok {
			t.Fatal("a subscription after Run ended is open")
		}
	})
}

// A feed starts at the end of the log: what was committed before it opened is not replayed.
func TestNoReplayOfOldChanges(t *testing.T) {
	eachTwoInstances(t, func(t *testing.T, fx *fixture) {
		fx.deliver(t, fx.p, "m1@customer", "Before")
		feed := fx.openFeed(t, fx.reader)
		ch, cancel := feed.Subscribe(fx.p.ID)
		defer cancel()
		if err := feed.Sync(fx.ctx); err != nil {
			t.Fatal(err)
		}
		if got := buffered(ch); len(got) != 0 {
			t.Fatalf("replayed: %+v", got)
		}
		fx.deliver(t, fx.p, "m2@customer", "After")
		if err := feed.Sync(fx.ctx); err != nil {
			t.Fatal(err)
		}
		if got := buffered(ch); len(got) != 1 || got[0] != ticketChange(fx.p, 2) {
			t.Fatalf("after: %+v", got)
		}
	})
}

// Every domain operation reaches the log through the triggers on tickets: none is missed because
// it only wrote another table (tags, messages).
func TestEveryDomainOperationIsAChange(t *testing.T) {
	eachTwoInstances(t, func(t *testing.T, fx *fixture) {
		ch, cancel := fx.feed.Subscribe(fx.p.ID)
		defer cancel()
		bob, err := fx.s.AddAgent(fx.ctx, fx.p.ID, "bob@acme.example", "Bob", "support")
		if err != nil {
			t.Fatal(err)
		}
		ops := []struct {
			name   string
			number int64
			op     func() error
		}{
			{"new ticket by mail", 1, func() error { fx.deliver(t, fx.p, "m1@customer", "Printer on fire"); return nil }},
			{"customer's reply", 1, func() error { fx.deliver(t, fx.p, "m2@customer", "Re: Printer on fire", "m1@customer"); return nil }},
			{"agent's reply", 1, func() error {
				_, err := fx.s.Reply(fx.ctx, fx.p, 1, fx.alice, tickets.Outgoing{Text: "on it"}, tickets.NewMessageID("acme.example"))
				return err
			}},
			{"note", 1, func() error {
				_, err := fx.s.Note(fx.ctx, fx.p, 1, fx.alice, tickets.Outgoing{Text: "internal"}, tickets.NewMessageID("acme.example"))
				return err
			}},
			{"tag", 1, func() error { _, err := fx.s.Retag(fx.ctx, fx.p, 1, fx.alice, []string{"vip"}, nil); return err }},
			{"untag", 1, func() error { _, err := fx.s.Retag(fx.ctx, fx.p, 1, fx.alice, nil, []string{"vip"}); return err }},
			{"assign", 1, func() error { _, err := fx.s.Assign(fx.ctx, fx.p, 1, fx.alice, bob.Email); return err }},
			{"unassign", 1, func() error { _, err := fx.s.Unassign(fx.ctx, fx.p, 1, fx.alice); return err }},
			{"priority", 1, func() error { _, err := fx.s.SetPriority(fx.ctx, fx.p, 1, fx.alice, "urgent"); return err }},
			{"snooze", 1, func() error {
				_, err := fx.s.Snooze(fx.ctx, fx.p, 1, fx.alice, fx.clk.Now().Add(time.Hour))
				return err
			}},
			{"snooze wakes", 1, func() error {
				fx.clk.Advance(2 * time.Hour)
				w, err := fx.s.WakeSnoozed(fx.ctx)
				if err == nil && len(w) != 1 {
					err = fmt.Errorf("woke %+v", w)
				}
				return err
			}},
			{"close", 1, func() error { _, err := fx.s.Close(fx.ctx, fx.p.ID, 1, tickets.ActorCLI); return err }},
			{"reopen", 1, func() error { _, err := fx.s.Reopen(fx.ctx, fx.p.ID, 1, tickets.ActorCLI); return err }},
			{"spam", 1, func() error { _, err := fx.s.MarkSpam(fx.ctx, fx.p, 1, tickets.AgentActor(fx.alice)); return err }},
			{"not spam", 1, func() error { _, err := fx.s.UnmarkSpam(fx.ctx, fx.p, 1, tickets.AgentActor(fx.alice)); return err }},
			{"ticket by an agent", 2, func() error {
				_, err := fx.s.CreateTicket(fx.ctx, fx.p, fx.alice, tickets.NewTicket{
					Customer: tickets.Address{Email: "carl@customer.example"}, Subject: "Invoice",
					Outgoing: tickets.Outgoing{Text: "Here it is"}}, tickets.NewMessageID("acme.example"))
				return err
			}},
			{"trash", 2, func() error { _, err := fx.s.Trash(fx.ctx, fx.p, 2, tickets.ActorCLI); return err }},
			{"restore", 2, func() error { _, err := fx.s.Restore(fx.ctx, fx.p, 2, tickets.ActorCLI); return err }},
			{"trash again", 2, func() error { _, err := fx.s.Trash(fx.ctx, fx.p, 2, tickets.ActorCLI); return err }},
			{"purge", 2, func() error { return fx.s.Purge(fx.ctx, fx.p, 2, tickets.ActorCLI) }},
		}
		for _, o := range ops {
			if err := o.op(); err != nil {
				t.Fatalf("%s: %v", o.name, err)
			}
			fx.sync(t)
			got := buffered(ch)
			if !has(got, ticketChange(fx.p, o.number)) {
				t.Errorf("%s: changes %+v, want ticket #%d", o.name, got, o.number)
			}
			for _, c := range got {
				if c.Ticket != o.number || c.PropertyID != fx.p.ID {
					t.Errorf("%s: a change of another ticket: %+v", o.name, c)
				}
			}
		}
	})
}

// A subscriber of one property never sees another's changes.
func TestPropertiesAreIsolated(t *testing.T) {
	eachTwoInstances(t, func(t *testing.T, fx *fixture) {
		other, err := fx.s.CreateProperty(fx.ctx, tickets.NewProperty{Slug: "other", Name: "Other", FromAddress: "help@other.example"})
		if err != nil {
			t.Fatal(err)
		}
		mine, cancelMine := fx.feed.Subscribe(fx.p.ID)
		defer cancelMine()
		theirs, cancelTheirs := fx.feed.Subscribe(other.ID)
		defer cancelTheirs()
		fx.deliver(t, fx.p, "m1@customer", "Mine")
		fx.sync(t)
		if got := buffered(theirs); len(got) != 0 {
			t.Fatalf("the other property's subscriber got %+v", got)
		}
		if got := buffered(mine); len(got) != 1 || got[0] != ticketChange(fx.p, 1) {
			t.Fatalf("mine: %+v", got)
		}
		// Both properties have a ticket #1 now: each subscriber gets its own.
		fx.deliver(t, other, "o1@customer", "Theirs")
		fx.sync(t)
		if got := buffered(theirs); len(got) != 1 || got[0] != ticketChange(other, 1) {
			t.Fatalf("theirs: %+v", got)
		}
		if got := buffered(mine); len(got) != 0 {
			t.Fatalf("mine got the other's: %+v", got)
		}
	})
}

// A subscriber that does not read loses its backlog for one resync; the feed and the other
// subscribers go on.
func TestSlowSubscriberGetsResync(t *testing.T) {
	eachTwoInstances(t, func(t *testing.T, fx *fixture) {
		fx.deliver(t, fx.p, "m1@customer", "Printer on fire")
		slow, cancelSlow := fx.feed.Subscribe(fx.p.ID)
		defer cancelSlow()
		fast, cancelFast := fx.feed.Subscribe(fx.p.ID)
		defer cancelFast()
		const n = 100
		got := make(chan int)
		go func() {
			count := 0
			for c := range fast {
				if c.Kind == live.KindTicket {
					count++
				}
				if count == n {
					break
				}
			}
			got <- count
		}()
		for i := range n {
			if _, err := fx.s.SetPriority(fx.ctx, fx.p, 1, fx.alice, []string{"low", "high"}[i%2]); err != nil {
				t.Fatal(err)
			}
			fx.sync(t) // one change a poll
		}
		select {
		case c := <-got:
			if c != n {
				t.Fatalf("the fast subscriber got %d changes", c)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the fast subscriber did not get every change")
		}
		cs := buffered(slow)
		if len(cs) == 0 || cs[0].Kind != live.KindResync || cs[0].PropertyID != fx.p.ID || len(cs) >= n {
			t.Fatalf("the slow subscriber holds %d changes, first %+v", len(cs), cs[:min(1, len(cs))])
		}
		for _, c := range cs[1:] {
			if c != ticketChange(fx.p, 1) {
				t.Fatalf("after the resync: %+v", c)
			}
		}
	})
}

// Subscribing and cancelling while the feed polls and delivers is safe (run with -race), and a
// cancelled subscription's channel is closed.
func TestSubscribeWhilePolling(t *testing.T) {
	eachTwoInstances(t, func(t *testing.T, fx *fixture) {
		fx.deliver(t, fx.p, "m1@customer", "Printer on fire")
		ctx, stop := context.WithCancel(fx.ctx)
		defer stop()
		go fx.feed.Run(ctx)
		done := make(chan struct{})
		for range 8 {
			go func() {
				defer func() { done <- struct{}{} }()
				for range 20 {
					ch, cancel := fx.feed.Subscribe(fx.p.ID)
					buffered(ch)
					cancel()
					cancel()
					for range ch { // closed by cancel: ends
					}
				}
			}()
		}
		for i := range 20 {
			if _, err := fx.s.SetPriority(fx.ctx, fx.p, 1, fx.alice, []string{"low", "high"}[i%2]); err != nil {
				t.Fatal(err)
			}
		}
		for range 8 {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("a subscriber did not finish")
			}
		}
	})
}
