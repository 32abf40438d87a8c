package tickets_test

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// Each view's count is the length of its list, for each agent, and the other property's
// tickets are never counted.
func TestCountViewsMatchTheLists(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		w.populate(t, 44)
		rs := w.refs(t)
		now := w.clk.Now()
		for _, a := range []tickets.Agent{w.alice, w.bob} {
			counts, err := w.s.CountViews(w.ctx, w.p.ID, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, view := range tickets.Views {
				want := len(swExpect(rs, now, a.Email, nil, view, "updated", false))
				if counts[view] != want {
					t.Errorf("%s: view %s counts %d, the list holds %d", a.Email, view, counts[view], want)
				}
			}
		}
		w.checkCounts(t, "populated")
	})
}

// listCount is the number of tickets the view's list shows agent viewer, read page by page.
func (w *swWorld) listCount(t *testing.T, p tickets.Property, viewer int64, view string) int {
	t.Helper()
	n := 0
	q := tickets.Query{View: view, Limit: tickets.MaxLimit}
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("%s: more than 100 pages", view)
		}
		page, err := w.s.Search(w.ctx, p.ID, viewer, q)
		if err != nil {
			t.Fatalf("%s: %v", view, err)
		}
		n += len(page.Tickets)
		if page.Next == "" {
			return n
		}
		q.After = page.Next
	}
}

// checkCounts says, after step, that on both properties every view's count for both agents is
// its list's length, and that the buckets are exactly the tickets' combinations.
func (w *swWorld) checkCounts(t *testing.T, step string) {
	t.Helper()
	for _, p := range []tickets.Property{w.p, w.other} {
		for _, a := range []tickets.Agent{w.alice, w.bob} {
			counts, err := w.s.CountViews(w.ctx, p.ID, a.ID)
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			if len(counts) != len(tickets.Views) {
				t.Errorf("%s: %d counts, %d views", step, len(counts), len(tickets.Views))
			}
			for _, view := range tickets.Views {
				if want := w.listCount(t, p, a.ID, view); counts[view] != want {
					t.Errorf("%s: %s on %s: view %s counts %d, the list holds %d", step, a.Email, p.Slug, view, counts[view], want)
				}
			}
		}
	}
	w.checkBuckets(t, step)
}

// checkBuckets compares ticket_counts, summed over its slots, with the tickets grouped the same
// way, and looks for a negative row.
func (w *swWorld) checkBuckets(t *testing.T, step string) {
	t.Helper()
	type row struct {
		P    int64  `db:"property_id"`
		S    string `db:"status"`
		A    int64  `db:"assignee_agent_id"`
		Dep  bool   `db:"has_department"`
		Spam bool   `db:"spam"`
		Del  bool   `db:"deleted"`
		Snz  bool   `db:"snoozed"`
		N    int64  `db:"n"`
	}
	var got, want []row
	if err := w.d.SelectContext(w.ctx, &got, `SELECT property_id, status, assignee_agent_id, has_department, spam, deleted, snoozed,
		CAST(SUM(n) AS BIGINT) AS n FROM ticket_counts GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING SUM(n) > 0 ORDER BY 1, 2, 3, 4, 5, 6, 7`); err != nil {
		t.Fatal(err)
	}
	if err := w.d.SelectContext(w.ctx, &want, `SELECT property_id, status, COALESCE(assignee_agent_id, 0) AS assignee_agent_id,
		assignee_department_id IS NOT NULL AS has_department, spam, deleted_at IS NOT NULL AS deleted,
		snoozed_until IS NOT NULL AS snoozed, COUNT(*) AS n FROM tickets WHERE merged_into_ticket_id IS NULL
		GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7`); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: buckets\n%v\nthe tickets\n%v", step, got, want)
	}
	var negative int
	if err := w.d.GetContext(w.ctx, &negative, `SELECT COUNT(*) FROM ticket_counts WHERE n < 0`); err != nil {
		t.Fatal(err)
	}
	if negative != 0 {
		t.Errorf("%s: %d buckets below zero", step, negative)
	}
}

// Every kind of change keeps the counts equal to the lists, on two properties for two agents.
func TestCountViewsFollowEveryChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		alice := tickets.AgentActor(w.alice)
		w.checkCounts(t, "empty")
		var nums []int64
		for i := range 6 {
			nums = append(nums, w.mail(t, w.p, fmt.Sprintf("c%d@customer.example", i), fmt.Sprintf("cust%d@customer.example", i), "Help", "body").TicketNumber)
			w.checkCounts(t, "new mail")
		}
		w.mail(t, w.other, "o1@customer.example", "cust0@customer.example", "Other", "body")
		w.checkCounts(t, "new mail on the other property")
		w.mail(t, w.p, "c0-r@customer.example", "cust0@customer.example", "Re: Help", "more", "c0@customer.example")
		w.checkCounts(t, "a message on a ticket")
		if _, err := w.s.Reply(w.ctx, w.p, nums[0], w.alice, tickets.Outgoing{Text: "hi"}, "<r0@acme.example>"); err != nil {
			t.Fatal(err)
		}
		w.checkCounts(t, "reply")
		step := func(name string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			w.checkCounts(t, name)
		}
		do := func(name string, f func() (tickets.Ticket, error)) { t.Helper(); _, err := f(); step(name, err) }
		do("assign to alice", func() (tickets.Ticket, error) { return w.s.Assign(w.ctx, w.p, nums[0], w.alice, "alice@acme.example") })
		do("assign to bob", func() (tickets.Ticket, error) { return w.s.Assign(w.ctx, w.p, nums[1], w.alice, "bob@acme.example") })
		do("assign to a department", func() (tickets.Ticket, error) { return w.s.Assign(w.ctx, w.p, nums[2], w.alice, "Billing") })
		do("reassign to alice", func() (tickets.Ticket, error) { return w.s.Assign(w.ctx, w.p, nums[1], w.alice, "alice@acme.example") })
		do("unassign", func() (tickets.Ticket, error) { return w.s.Unassign(w.ctx, w.p, nums[2], w.alice) })
		do("close", func() (tickets.Ticket, error) { return w.s.Close(w.ctx, w.p.ID, nums[0], alice) })
		do("reopen", func() (tickets.Ticket, error) { return w.s.Reopen(w.ctx, w.p.ID, nums[0], alice) })
		do("close again", func() (tickets.Ticket, error) { return w.s.Close(w.ctx, w.p.ID, nums[1], alice) })
		w.mail(t, w.p, "c1-r@customer.example", "cust1@customer.example", "Re: Help", "again", "c1@customer.example")
		w.checkCounts(t, "a customer's mail reopens")
		until := w.clk.Now().Add(time.Hour)
		do("snooze", func() (tickets.Ticket, error) { return w.s.Snooze(w.ctx, w.p, nums[3], w.alice, until) })
		do("snooze an assigned ticket", func() (tickets.Ticket, error) { return w.s.Snooze(w.ctx, w.p, nums[1], w.alice, until) })
		do("snooze another", func() (tickets.Ticket, error) {
			return w.s.Snooze(w.ctx, w.p, nums[4], w.alice, until.Add(time.Hour))
		})
		w.clk.Advance(until.Add(-time.Microsecond).Sub(w.clk.Now()))
		w.checkCounts(t, "just before the snooze ends")
		w.clk.Advance(until.Sub(w.clk.Now()))
		w.checkCounts(t, "the instant the snooze ends, not woken")
		w.clk.Advance(time.Minute)
		w.checkCounts(t, "snooze over, not woken")
		if _, err := w.s.WakeSnoozed(w.ctx); err != nil {
			t.Fatal(err)
		}
		w.checkCounts(t, "woken")
		do("unsnooze", func() (tickets.Ticket, error) { return w.s.Unsnooze(w.ctx, w.p, nums[4], w.alice) })
		do("spam", func() (tickets.Ticket, error) { return w.s.MarkSpam(w.ctx, w.p, nums[5], alice) })
		do("spam an assigned ticket", func() (tickets.Ticket, error) { return w.s.MarkSpam(w.ctx, w.p, nums[0], alice) })
		do("unspam", func() (tickets.Ticket, error) { return w.s.UnmarkSpam(w.ctx, w.p, nums[0], alice) })
		do("merge", func() (tickets.Ticket, error) { return w.s.Merge(w.ctx, w.p, nums[2], nums[4], alice) })
		do("trash", func() (tickets.Ticket, error) { return w.s.Trash(w.ctx, w.p, nums[3], alice) })
		do("trash spam", func() (tickets.Ticket, error) { return w.s.Trash(w.ctx, w.p, nums[5], alice) })
		do("restore", func() (tickets.Ticket, error) { return w.s.Restore(w.ctx, w.p, nums[3], alice) })
		step("purge", w.s.Purge(w.ctx, w.p, nums[5], alice))
		_, err := w.s.Block(w.ctx, w.p, "", "cust2@customer.example", alice)
		step("block", err)
	})
}

// The bucket sums follow viewWhere's rules over every combination of the columns they look at,
// with snoozes to come, over and none.
func TestCountViewsEveryBucket(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		var billing int64
		if err := d.GetContext(w.ctx, &billing, d.Rebind(`SELECT id FROM departments WHERE property_id = ?`), w.p.ID); err != nil {
			t.Fatal(err)
		}
		now := w.clk.Now()
		i := 0
		for _, status := range []string{tickets.StatusOpen, tickets.StatusClosed} {
			for _, agent := range []any{nil, w.alice.ID, w.bob.ID} {
				for _, dep := range []any{nil, billing} {
					for _, spam := range []bool{false, true} {
						for _, deleted := range []any{nil, now} {
							for _, snoozed := range []any{nil, now.Add(time.Hour), now.Add(-time.Hour), now} {
								i++
								id := w.mail(t, w.p, fmt.Sprintf("e%d@customer.example", i), "cust@customer.example", "Every", "body").TicketID
								w.exec(t, `UPDATE tickets SET status = ?, assignee_agent_id = ?, assignee_department_id = ?, spam = ?,
									deleted_at = ?, snoozed_until = ? WHERE id = ?`, status, agent, dep, spam, deleted, snoozed, id)
							}
						}
					}
				}
			}
		}
		w.checkCounts(t, "every bucket")
	})
}

// A seeded random walk of changes, the counts checked against the lists after each.
func TestCountViewsRandomWalk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		rnd := rand.New(rand.NewSource(12))
		alice := tickets.AgentActor(w.alice)
		type tk struct {
			p   tickets.Property
			num int64
		}
		var all []tk
		mails, merges := 0, 0
		for step := range 50 { // each step checks every view of two agents on two properties against its list
			p := w.p
			if rnd.Intn(4) == 0 {
				p = w.other
			}
			op := rnd.Intn(15)
			if len(all) == 0 || op == 0 {
				mails++
				n := w.mail(t, p, fmt.Sprintf("r%d@customer.example", mails), fmt.Sprintf("cust%d@customer.example", rnd.Intn(5)), "Random", "body").TicketNumber
				all = append(all, tk{p, n})
				w.checkCounts(t, fmt.Sprintf("step %d: new mail", step))
				continue
			}
			x := all[rnd.Intn(len(all))]
			var err error
			var name string
			switch op {
			case 1:
				name = "assign"
				target := []string{"alice@acme.example", "bob@acme.example", "Billing"}[rnd.Intn(3)]
				if x.p.ID == w.other.ID {
					target = "alice@acme.example"
				}
				_, err = w.s.Assign(w.ctx, x.p, x.num, w.alice, target)
			case 2:
				name = "unassign"
				_, err = w.s.Unassign(w.ctx, x.p, x.num, w.alice)
			case 3:
				name = "close"
				_, err = w.s.Close(w.ctx, x.p.ID, x.num, alice)
			case 4:
				name = "reopen"
				_, err = w.s.Reopen(w.ctx, x.p.ID, x.num, alice)
			case 5:
				name = "snooze"
				_, err = w.s.Snooze(w.ctx, x.p, x.num, w.alice, w.clk.Now().Add(time.Duration(1+rnd.Intn(90))*time.Second))
			case 6:
				name = "time passes"
				w.clk.Advance(time.Duration(rnd.Intn(60)) * time.Second)
			case 7:
				name = "wake"
				_, err = w.s.WakeSnoozed(w.ctx)
			case 8:
				name = "spam"
				_, err = w.s.MarkSpam(w.ctx, x.p, x.num, alice)
			case 9:
				name = "unspam"
				_, err = w.s.UnmarkSpam(w.ctx, x.p, x.num, alice)
			case 10:
				name = "trash"
				_, err = w.s.Trash(w.ctx, x.p, x.num, alice)
			case 11:
				name = "restore"
				_, err = w.s.Restore(w.ctx, x.p, x.num, alice)
			case 12:
				name = "purge"
				err = w.s.Purge(w.ctx, x.p, x.num, alice)
			case 13:
				name = "unsnooze"
				_, err = w.s.Unsnooze(w.ctx, x.p, x.num, w.alice)
			case 14:
				// Into another ticket of the same property; a pointer, or one in the trash, is
				// refused, which changes nothing either.
				y := all[rnd.Intn(len(all))]
				name = fmt.Sprintf("merge into #%d", y.num)
				if y.p.ID == x.p.ID {
					if _, err = w.s.Merge(w.ctx, x.p, y.num, x.num, alice); err == nil {
						merges++
					}
				}
			}
			// An operation the ticket's state refuses (restore what is not in the trash, a ticket
			// purged before) changes nothing, which the check confirms as well.
			_ = err
			w.checkCounts(t, fmt.Sprintf("step %d: %s #%d on %s (%v)", step, name, x.num, x.p.Slug, err))
		}
		if merges == 0 {
			t.Error("the walk merged no ticket: it tests no merge")
		}
	})
}

// Migration 0012 fills ticket_counts from the tickets a database already holds.
func TestCountsMigrationBackfills(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		w.populate(t, 30)
		latest, err := d.Version(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Back to version 11: no ticket_counts, no triggers (and nothing of the migrations after;
		// 0021's columns go once the store, which writes them, has made the changes below).
		w.exec(t, `DROP TABLE ticket_ratings`)                          // 0022
		w.exec(t, `ALTER TABLE mailboxes DROP COLUMN oauth_grant_id`)   // 0019
		w.exec(t, `DROP TABLE oauth_grants`)                            // 0019
		w.exec(t, `DROP TABLE dkim_keys`)                               // 0017
		w.exec(t, `ALTER TABLE properties DROP COLUMN close_mail`)      // 0016
		w.exec(t, `DROP TABLE property_texts`)                          // 0016
		w.exec(t, `ALTER TABLE thread_ids DROP COLUMN seen_message_id`) // 0015
		w.exec(t, `ALTER TABLE messages DROP COLUMN held`)              // 0015
		w.exec(t, `ALTER TABLE properties DROP COLUMN attach_limit`)    // 0014
		w.exec(t, `ALTER TABLE property_agents DROP COLUMN signature`)  // 0013
		drop := []string{`DROP TRIGGER ticket_counts_insert`, `DROP TRIGGER ticket_counts_delete`, `DROP TRIGGER ticket_counts_update`,
			`DROP TRIGGER ticket_counts_merge`, `DROP TRIGGER tickets_pointer_guard`, `ALTER TABLE tickets DROP COLUMN merged_into_ticket_id`, // 0020
			`DROP TABLE ticket_counts`, `UPDATE schema_version SET version = 11`}
		if d.Dialect == db.Postgres {
			drop = []string{`DROP TRIGGER ticket_counts_insert_delete ON tickets`, `DROP TRIGGER ticket_counts_update ON tickets`,
				`DROP TRIGGER tickets_pointer_guard ON tickets`, `DROP FUNCTION tickets_pointer_guard()`, `ALTER TABLE tickets DROP COLUMN merged_into_ticket_id`, // 0020
				`DROP FUNCTION ticket_counts_track()`, `DROP FUNCTION ticket_counts_add(BIGINT, TEXT, BIGINT, BOOLEAN, BOOLEAN, BOOLEAN, BOOLEAN, SMALLINT, BIGINT)`,
				`DROP TABLE ticket_counts`, `UPDATE schema_version SET version = 11`}
		}
		for _, q := range drop {
			w.exec(t, q)
		}
		// Changes made before 0012, which nothing counted.
		w.mail(t, w.p, "pre1@customer.example", "pre@customer.example", "Before", "body")
		w.mail(t, w.other, "pre2@customer.example", "pre@customer.example", "Before", "body")
		w.exec(t, `UPDATE tickets SET status = 'closed' WHERE property_id = ? AND number = 1`, w.p.ID)
		w.exec(t, `UPDATE tickets SET snoozed_until = ? WHERE property_id = ? AND number = 2`, w.clk.Now().Add(time.Hour), w.p.ID)
		w.rollBackWaiting(t) // 0021
		if err := d.Migrate(w.ctx); err != nil {
			t.Fatal(err)
		}
		if v, err := d.Version(w.ctx); err != nil || v != latest {
			t.Fatalf("version %d, %v; want %d", v, err, latest)
		}
		w.checkCounts(t, "backfilled")
		w.mail(t, w.p, "post1@customer.example", "post@customer.example", "After", "body")
		if _, err := w.s.Assign(w.ctx, w.p, 3, w.alice, "bob@acme.example"); err != nil {
			t.Fatal(err)
		}
		w.checkCounts(t, "after the migration, the triggers count")
	})
}

// CountViews needs an agent, for mine.
func TestCountViewsNeedsAnAgent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		if _, err := w.s.CountViews(w.ctx, w.p.ID, 0); err == nil {
			t.Error("no agent: want an error")
		}
	})
}
