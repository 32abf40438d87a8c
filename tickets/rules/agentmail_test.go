package rules

import (
	"slices"
	"testing"
)

func TestDecideAgentMail(t *testing.T) {
	own := AgentMail{Scoped: true, ByToken: true, Body: "Here is your answer."} // a reply to their own copy
	with := func(m AgentMail, f func(*AgentMail)) AgentMail { f(&m); return m }
	for _, c := range []struct {
		name    string
		m       AgentMail
		outcome Outcome
		run     bool
		event   string
	}{
		{"a reply to their own copy goes to the customer", own, Reply, false, ""},
		{"… copied only when the customer has it", with(own, func(m *AgentMail) { m.Direct = true }), ReplyDirect, false, ""},
		{"… of nothing but the quote is held", with(own, func(m *AgentMail) { m.Body = "" }), Refused, false, "empty-reply"},
		{"… answering an internal copy is a note", with(own, func(m *AgentMail) { m.Internal = true }), InternalNote, false, ""},
		{"… unverified is refused", with(own, func(m *AgentMail) { m.Unverified = "no aligned DKIM signature" }), Refused, false, "agent-mail-refused"},
		{"a reply by Message-ID only is still theirs", with(own, func(m *AgentMail) { m.ByToken = false }), Reply, false, ""},
		{"commands with a reply run, and the reply goes out", with(own, func(m *AgentMail) { m.HasCommands = true }), Reply, true, ""},
		{"commands only", with(own, func(m *AgentMail) { m.HasCommands, m.Body = true, "" }), CommandsOnly, true, ""},
		{"#note with text", with(own, func(m *AgentMail) { m.HasCommands, m.Note = true, true }), InternalNote, true, ""},
		{"#note alone", with(own, func(m *AgentMail) { m.HasCommands, m.Note, m.Body = true, true, "" }), CommandsOnly, true, ""},
		{"commands on an internal copy", with(own, func(m *AgentMail) { m.HasCommands, m.Internal = true, true }), InternalNote, true, ""},
		{"commands that cannot run change nothing", with(own, func(m *AgentMail) { m.HasCommands, m.CommandErrors = true, []string{"#frobnicate"} }), Refused, false, "commands-rejected"},
		{"commands without the token are refused", with(own, func(m *AgentMail) { m.HasCommands, m.ByToken = true, false }), Refused, false, "commands-refused"},
		{"commands on someone else's copy are refused", AgentMail{HasCommands: true, ByToken: true, Body: "x"}, Refused, false, "commands-refused"},
		{"unverified commands are refused", AgentMail{HasCommands: true, Unverified: "two From addresses"}, Refused, false, "agent-mail-refused"},
		{"other agent mail is posted", AgentMail{Body: "FYI"}, Posted, false, ""},
		{"… and copied when they wrote to the customer", AgentMail{Body: "Hello", Direct: true}, ReplyDirect, false, ""},
		{"… unless unverified", AgentMail{Body: "Hello", Direct: true, Unverified: "x"}, Posted, false, ""},
		{"… or empty", AgentMail{Direct: true}, Posted, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := DecideAgentMail(c.m)
			if v.Outcome != c.outcome || v.RunCommands != c.run || v.Event != c.event {
				t.Fatalf("got %+v, want outcome %d, run %v, event %q", v, c.outcome, c.run, c.event)
			}
			if (v.Event != "") != (len(v.Notices) > 0) {
				t.Errorf("a refusal without notices, or notices without a refusal: %+v", v)
			}
		})
	}
	v := DecideAgentMail(with(own, func(m *AgentMail) { m.HasCommands, m.CommandErrors = true, []string{"a", "b"} }))
	if v.Detail != "a; b" || !slices.Equal(v.Notices, []string{"a", "b"}) {
		t.Errorf("command errors: %+v", v)
	}
}

func TestDirection(t *testing.T) {
	for o, want := range map[Outcome]string{Posted: "in", Reply: "out", ReplyDirect: "out", InternalNote: "note", CommandsOnly: "note", Refused: "note"} {
		if got := (Verdict{Outcome: o}).Direction(); got != want {
			t.Errorf("outcome %d: direction %q, want %q", o, got, want)
		}
	}
}

func TestBrakeHoldsRepliesPastTheHourlyLimit(t *testing.T) {
	reply := DecideAgentMail(AgentMail{Scoped: true, ByToken: true, HasCommands: true, Body: "x"})
	if v := reply.Brake(MaxRepliesByMailPerHour - 1); v.Outcome != Reply {
		t.Fatalf("below the limit: %+v", v)
	}
	v := reply.Brake(MaxRepliesByMailPerHour)
	if v.Outcome != Refused || v.Event != "reply-held" || !v.RunCommands {
		t.Fatalf("at the limit: %+v (the commands still run; only the reply is held)", v)
	}
	direct := Verdict{Outcome: ReplyDirect}
	if v := direct.Brake(1000); v.Outcome != ReplyDirect {
		t.Fatalf("a copy of what the customer has is never braked: %+v", v)
	}
}
