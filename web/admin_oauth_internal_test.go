package web

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// What a provider says on a declined sign-in is cut at 200 bytes between characters, never in
// the middle of one.
func TestFirstLineCutsBetweenCharacters(t *testing.T) {
	for _, in := range []string{strings.Repeat("é", 150), strings.Repeat("a", 199) + "€€", "x\xffy", strings.Repeat("日本", 80) + "\nsecond"} {
		out := firstLine(in)
		if !utf8.ValidString(out) || len(strings.TrimSuffix(out, "…")) > 200 || strings.Contains(out, "\n") {
			t.Errorf("firstLine(%q) = %q", in, out)
		}
	}
	if got := firstLine("  access_denied the user declined\nmore"); got != "access_denied the user declined" {
		t.Errorf("a short line: %q", got)
	}
}
