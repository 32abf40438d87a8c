package rules

import (
	"testing"
	"time"
)

func TestPlanCommand(t *testing.T) {
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		cmd  Command
		want Step
	}{
		{Command{Name: "close"}, Step{Op: OpStatus, Value: "closed"}},
		{Command{Name: "reopen"}, Step{Op: OpStatus, Value: "open"}},
		{Command{Name: "priority", Arg: "high"}, Step{Op: OpPriority, Value: "high"}},
		{Command{Name: "tag", Arg: "vip"}, Step{Op: OpTag, Value: "vip"}},
		{Command{Name: "untag", Arg: "vip"}, Step{Op: OpUntag, Value: "vip"}},
		{Command{Name: "snooze", Arg: "3d", Until: at}, Step{Op: OpSnooze, Until: at}},
		{Command{Name: "assign", Arg: "billing"}, Step{Op: OpAssign, Value: "billing"}},
		{Command{Name: "assign", Arg: "bob@acme.example"}, Step{Op: OpAssign, Value: "bob@acme.example"}},
		{Command{Name: "assign", Arg: "Me"}, Step{Op: OpAssign, Value: "alice@acme.example"}},
		{Command{Name: "note"}, Step{}},
		{Command{Name: "reply", Arg: "refund"}, Step{Op: OpReply, Value: "refund"}},
	} {
		if got := PlanCommand(c.cmd, "alice@acme.example"); got != c.want {
			t.Errorf("PlanCommand(%+v) = %+v, want %+v", c.cmd, got, c.want)
		}
	}
}

func TestSavedReplyName(t *testing.T) {
	for in, want := range map[string]string{"refund": "refund", " Refund-EU_2 ": "refund-eu_2", "Réponse": "réponse", "42": "42"} {
		if got, err := SavedReplyName(in); err != nil || got != want {
			t.Errorf("SavedReplyName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "two words", "-x", "_x", "a.b", "a/b", "{x}", string(make([]byte, MaxSavedReplyName+1))} {
		if got, err := SavedReplyName(bad); err == nil {
			t.Errorf("SavedReplyName(%q) = %q, want an error", bad, got)
		}
	}
}
