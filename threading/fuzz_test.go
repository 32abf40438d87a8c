package threading

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSubject checks the subject rules on any input: a tag written is read back; stripping is
// idempotent and leaves no tag; the base subject has no reply prefix left and is stable.
func FuzzSubject(f *testing.F) {
	for _, s := range []string{"RE: AW: [#2] printer", "Fwd: TR: x", "回复：价格", "[#999999999999999999] big", "Re[2]:", "[#0]", "  re :  re: ", "\x00\r\n"} {
		f.Add(s, int64(7))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		if n <= 0 {
			n = -n%1_000_000 + 1
		}
		tagged := WithTag(s, n)
		if strings.ContainsAny(tagged, "\r\n") {
			t.Fatalf("WithTag(%q) spans lines: %q", s, tagged)
		}
		if got := SubjectTag(Tag(n)); got != n {
			t.Fatalf("SubjectTag(Tag(%d)) = %d", n, got)
		}
		if SubjectTag(s) == 0 && SubjectTag(tagged) != n {
			t.Fatalf("WithTag(%q, %d) = %q reads as #%d", s, n, tagged, SubjectTag(tagged))
		}
		st := StripTags(s)
		if SubjectTag(st) != 0 || StripTags(st) != st {
			t.Fatalf("StripTags(%q) = %q is not clean", s, st)
		}
		b := BaseSubject(s)
		if BaseSubject(b) != b && utf8.ValidString(s) {
			t.Fatalf("BaseSubject not stable: %q → %q → %q", s, b, BaseSubject(b))
		}
		if len(b) > len(s) {
			t.Fatalf("BaseSubject grew %q → %q", s, b)
		}
		if sf := StripForward(s); IsForward(sf) {
			t.Fatalf("StripForward(%q) = %q still forwards", s, sf)
		}
	})
}

// FuzzKeys checks the thread keys of any headers: bounded, each once, never the message's own id,
// and the ghost keys a prefix of them.
func FuzzKeys(f *testing.F) {
	f.Add("self@x", "parent@x self@x", "root@x  mid@x parent@x")
	f.Add("", "", "")
	f.Add("a@x", "a@x", "a@x a@x")
	f.Fuzz(func(t *testing.T, own, inReplyTo, refs string) {
		m := Message{MessageID: own, InReplyTo: strings.Split(inReplyTo, " "), References: strings.Split(strings.Repeat(refs+" ", 30), " ")}
		keys, ghosts := Keys(m), GhostKeys(m)
		if len(keys) > MaxLookup || len(ghosts) > MaxGhosts || len(ghosts) > len(keys) {
			t.Fatalf("%d keys, %d ghosts", len(keys), len(ghosts))
		}
		seen := map[string]bool{}
		for i, k := range keys {
			if k == "" || k == own || seen[k] {
				t.Fatalf("key %q at %d of %q", k, i, keys)
			}
			seen[k] = true
			if i < len(ghosts) && ghosts[i] != k {
				t.Fatalf("ghosts %q are not a prefix of keys %q", ghosts, keys)
			}
		}
	})
}
