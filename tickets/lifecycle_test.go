package tickets_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// Removing an agent, a department or a whole property keeps the views' counts equal to the lists
// (the triggers on tickets see the unassignments and the deletes).
func TestCountsFollowRemovals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		var nums []int64
		for i := range 4 {
			nums = append(nums, w.mail(t, w.p, fmt.Sprintf("r%d@customer.example", i), fmt.Sprintf("cust%d@customer.example", i), "Help", "body").TicketNumber)
		}
		w.mail(t, w.other, "o1@customer.example", "cust0@customer.example", "Other", "body")
		for _, a := range []struct {
			n      int64
			target string
		}{{nums[0], "bob@acme.example"}, {nums[1], "bob@acme.example"}, {nums[2], "Billing"}, {nums[3], "alice@acme.example"}} {
			if _, err := w.s.Assign(w.ctx, w.p, a.n, w.alice, a.target); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.s.Trash(w.ctx, w.p, nums[1], tickets.ActorCLI); err != nil {
			t.Fatal(err)
		}
		w.checkCounts(t, "assigned")

		r, err := w.s.RemoveAgent(w.ctx, w.p, "bob@acme.example", tickets.ActorCLI)
		if err != nil || r.Unassigned != 2 {
			t.Fatalf("remove bob: %+v %v", r, err)
		}
		w.checkBuckets(t, "bob removed")
		aliceCounts := func(step string) {
			counts, err := w.s.CountViews(w.ctx, w.p.ID, w.alice.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, view := range tickets.Views {
				if want := w.listCount(t, w.p, w.alice.ID, view); counts[view] != want {
					t.Errorf("%s: view %s counts %d, the list holds %d", step, view, counts[view], want)
				}
			}
		}
		aliceCounts("bob removed")

		if n, err := w.s.RemoveDepartment(w.ctx, w.p, "billing", tickets.ActorCLI); err != nil || n != 1 {
			t.Fatalf("remove Billing: %d %v", n, err)
		}
		w.checkBuckets(t, "Billing removed")
		aliceCounts("Billing removed")
		if _, err := w.s.DepartmentByName(w.ctx, w.p.ID, "Billing"); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("Billing is still there: %v", err)
		}

		if _, err := w.s.RemoveProperty(w.ctx, w.other); err != nil {
			t.Fatal(err)
		}
		w.checkBuckets(t, "the other property removed")
		aliceCounts("the other property removed")
		var rows int
		if err := d.GetContext(w.ctx, &rows, d.Rebind(`SELECT COUNT(*) FROM ticket_counts WHERE property_id = ?`), w.other.ID); err != nil || rows != 0 {
			t.Fatalf("%d count rows of the removed property (%v)", rows, err)
		}
	})
}

// A property's edit is checked as a whole: a bad field changes none of the others.
func TestEditPropertyIsAllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		name, bad := "Acme Two", "no address"
		if err := w.s.EditProperty(w.ctx, w.p.ID, tickets.PropertyEdit{Name: &name, FromAddress: &bad}); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("a bad from address: %v", err)
		}
		if p, _ := w.s.PropertyByID(w.ctx, w.p.ID); p.Name != "Acme" {
			t.Fatalf("renamed by a refused edit: %q", p.Name)
		}
		none := ""
		if err := w.s.EditProperty(w.ctx, w.p.ID, tickets.PropertyEdit{Name: &name, FromAddress: &none}); err != nil {
			t.Fatal(err)
		}
		if p, _ := w.s.PropertyByID(w.ctx, w.p.ID); p.Name != "Acme Two" || p.FromAddress != "" || p.From("desk.example") != "acme@desk.example" {
			t.Fatalf("edited: %+v, from %s", p, p.From("desk.example"))
		}
	})
}

// A new department's name has no @ (it would read as an agent's address), but a department named
// before that rule keeps working: adding to it adds members, as the web's "add member" does.
func TestDepartmentNamesWithAtAreRefusedOnlyWhenNew(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		if _, err := w.s.AddDepartment(w.ctx, w.p.ID, "team@acme", nil); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("a new department named with @: %v", err)
		}
		if _, err := d.ExecContext(w.ctx, d.Rebind(`INSERT INTO departments (property_id, name, name_key, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)`),
			w.p.ID, "Legacy@Team", "legacy@team"); err != nil {
			t.Fatal(err)
		}
		dep, err := w.s.AddDepartment(w.ctx, w.p.ID, " legacy@team ", []string{"bob@acme.example"})
		if err != nil || dep.Name != "Legacy@Team" || len(dep.Members) != 1 || dep.Members[0] != "bob@acme.example" {
			t.Fatalf("adding a member to a department named with @: %+v %v", dep, err)
		}
		if _, err := w.s.AddDepartment(w.ctx, w.p.ID, "Legacy@Team\nx", nil); !errors.Is(err, tickets.ErrInvalid) {
			t.Fatalf("two lines: %v", err)
		}
	})
}
