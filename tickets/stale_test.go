package tickets

import "testing"

// Arrived is the one rule of the mail intake and the web inbox: everything after what the agent
// saw, but theirs; stale only for a colleague's reply or note.
func TestArrived(t *testing.T) {
	msgs := []Message{
		{ID: 1, From: "ann@customer.example", Direction: DirectionIn},
		{ID: 2, From: "alice@acme.example", Direction: DirectionOut},
		{ID: 3, From: "ann@customer.example", Direction: DirectionIn},
		{ID: 4, From: "bob@acme.example", Direction: DirectionNote, Trimmed: "#assign billing\n#close"},
		{ID: 5, From: "bob@acme.example", Direction: DirectionNote, Held: true, Trimmed: "Held."},
	}
	ids := func(ms []Message) (out []int64) {
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	all, stale := Arrived(msgs, 1, "Alice@acme.example")
	if got := ids(all); len(got) != 3 || got[0] != 3 || got[1] != 4 || got[2] != 5 || stale {
		t.Fatalf("after 1: %v stale %v", got, stale)
	}
	msgs = append(msgs, Message{ID: 6, From: "bob@acme.example", Direction: DirectionNote, Trimmed: "#note\nNo refund."})
	if all, stale = Arrived(msgs, 1, "alice@acme.example"); len(all) != 4 || !stale {
		t.Fatalf("a colleague's note: %v stale %v", ids(all), stale)
	}
	if got := ids(StaleOnly(all, "alice@acme.example")); len(got) != 1 || got[0] != 6 {
		t.Fatalf("stale only: %v", got)
	}
	if all, stale = Arrived(msgs, 6, "alice@acme.example"); len(all) != 0 || stale {
		t.Fatalf("after the last: %v stale %v", ids(all), stale)
	}
	// For Bob, his own messages are not news; Alice's reply makes his stale.
	if all, stale = Arrived(msgs, 1, "bob@acme.example"); len(all) != 2 || !stale {
		t.Fatalf("Bob: %v stale %v", ids(all), stale)
	}
}
