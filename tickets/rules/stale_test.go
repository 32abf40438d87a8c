package rules

import "testing"

func TestMakesStale(t *testing.T) {
	const alice = "alice@acme.example"
	for _, c := range []struct {
		name string
		p    Arrival
		want bool
	}{
		{"a colleague's reply", Arrival{From: "bob@acme.example", Direction: "out"}, true},
		{"a colleague's note", Arrival{From: "bob@acme.example", Direction: "note"}, true},
		{"the agent's own reply", Arrival{From: "Alice@Acme.example", Direction: "out"}, false},
		{"the agent's own note", Arrival{From: alice, Direction: "note"}, false},
		{"the customer's mail", Arrival{From: "ann@customer.example", Direction: "in"}, false},
		{"a colleague's mail posted on the ticket", Arrival{From: "bob@acme.example", Direction: "in"}, false},
		{"a colleague's held reply", Arrival{From: "bob@acme.example", Direction: "note", Held: true}, false},
		{"a colleague's commands", Arrival{From: "bob@acme.example", Direction: "note", CommandsOnly: true}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := MakesStale(c.p, alice); got != c.want {
				t.Errorf("MakesStale(%+v) = %v, want %v", c.p, got, c.want)
			}
		})
	}
}

func TestStaleVerdict(t *testing.T) {
	reply := Verdict{Outcome: Reply, RunCommands: true}
	if v := reply.Stale(false); v.Outcome != Reply || !v.RunCommands {
		t.Errorf("a fresh reply became %+v", v)
	}
	v := reply.Stale(true)
	if v.Outcome != Held || v.RunCommands || v.Event != "reply-held" || v.Direction() != "note" {
		t.Errorf("a stale reply became %+v", v)
	}
	for _, o := range []Outcome{ReplyDirect, InternalNote, CommandsOnly, Refused, Posted} {
		if v := (Verdict{Outcome: o}).Stale(true); v.Outcome != o {
			t.Errorf("outcome %d held as stale: %+v", o, v)
		}
	}
}
