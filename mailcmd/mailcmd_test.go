package mailcmd

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		cmds       []string // name=arg
		body       string
		errors     int
		note       bool
	}{
		{"no commands", "Thanks, fixed.\n#close", nil, "Thanks, fixed.\n#close", 0, false},
		{"close only", "#close\n", []string{"close="}, "", 0, false},
		{"several then text", "#assign billing\r\n#priority HIGH\n\n#tag VIP\nHello there\n#close", []string{"assign=billing", "priority=high", "tag=vip"}, "Hello there\n#close", 0, false},
		{"note", "#note\nInternal: check the invoice", []string{"note="}, "Internal: check the invoice", 0, true},
		{"unknown command", "#frobnicate\nhi", nil, "hi", 1, false},
		{"bad priority", "#priority asap\nhi", nil, "hi", 1, false},
		{"close with value", "#close now", nil, "", 1, false},
		{"send", "#send\n", []string{"send="}, "", 0, false},
		{"send with value", "#send now", nil, "", 1, false},
		{"merge", "#merge 123\nsame issue", []string{"merge=123"}, "same issue", 0, false},
		{"merge with a hash", "#merge #12", []string{"merge=12"}, "", 0, false},
		{"merge without a number", "#merge", nil, "", 1, false},
		{"merge of a word", "#merge the other one", nil, "", 1, false},
		{"assign without whom", "#assign", nil, "", 1, false},
		{"a saved reply, named in any case", "#reply Refund_EU\nAnd one more thing", []string{"reply=refund_eu"}, "And one more thing", 0, false},
		{"a saved reply and a note", "#note\n#reply call-back", []string{"note=", "reply=call-back"}, "", 0, true},
		{"a saved reply without a name", "#reply\nhi", nil, "hi", 1, false},
		{"a saved reply of two words", "#reply the refund", nil, "", 1, false},
		{"bad tag", "#tag two words", nil, "", 1, false},
		{"a number is not a command", "#123 is my order\nthanks", nil, "#123 is my order\nthanks", 0, false},
		{"heading is not a command", "# Heading\ntext", nil, "# Heading\ntext", 0, false},
		{"leading blank lines", "\n\n  #reopen  \nok", []string{"reopen="}, "ok", 0, false},
		{"mixed good and bad", "#close\n#bogus", []string{"close="}, "", 1, false},
		{"punctuation after a command", "#close.\nThanks", nil, "Thanks", 1, false},
		{"note with a colon", "#note: she is difficult\nHello", nil, "Hello", 1, false},
		{"no-break space before the value", "#assign\u00a0billing team\nok", []string{"assign=billing team"}, "ok", 0, false},
		{"a hashtag line is an attempt", "#close\n#note: x\nHello", []string{"close="}, "Hello", 1, false},
		{"tag too long in bytes", "#tag " + strings.Repeat("é", 40), nil, "", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Parse(tc.text, now)
			var got []string
			for _, c := range p.Commands {
				got = append(got, c.Name+"="+c.Arg)
			}
			if strings.Join(got, ",") != strings.Join(tc.cmds, ",") {
				t.Errorf("commands %v, want %v", got, tc.cmds)
			}
			if p.Body != tc.body {
				t.Errorf("body %q, want %q", p.Body, tc.body)
			}
			if len(p.Errors) != tc.errors {
				t.Errorf("errors %v, want %d", p.Errors, tc.errors)
			}
			if p.Note() != tc.note {
				t.Errorf("note %v", p.Note())
			}
		})
	}
}

func TestSnoozeUntil(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2h", now.Add(2 * time.Hour), true},
		{"3d", now.Add(72 * time.Hour), true},
		{"1w", now.Add(7 * 24 * time.Hour), true},
		{"90m", now.Add(90 * time.Minute), true},
		{"2026-12-01", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), true},
		{"2026-11-29", time.Time{}, false}, // the start of today is past
		{"2030-01-01", time.Time{}, false}, // more than a year
		{"0h", time.Time{}, false},
		{"-2h", time.Time{}, false},
		{"soon", time.Time{}, false},
		{"", time.Time{}, false},
		{"h", time.Time{}, false},
		{"99999999w", time.Time{}, false},
		{"400d", time.Time{}, false},
	} {
		got, err := SnoozeUntil(tc.in, now)
		if (err == nil) != tc.ok || (tc.ok && !got.Equal(tc.want)) {
			t.Errorf("SnoozeUntil(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"#close\nhi", "#snooze 3d", "#assign a@b.c\n#tag x", "#", "#\xff", "# \n#note", "#merge 12\n#merge #x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := Parse(s, now)
		if len(p.Commands)+len(p.Errors) > MaxCommands+1 {
			t.Fatalf("%d commands and errors", len(p.Commands)+len(p.Errors))
		}
		if len(p.Body) > len(s) {
			t.Fatalf("body longer than the input")
		}
		for _, c := range p.Commands {
			if c.Name == "snooze" && !c.Until.After(now) {
				t.Fatalf("snooze into the past: %v", c.Until)
			}
		}
	})
}
