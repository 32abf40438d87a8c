package replytrim

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The corpus is discourse/email_reply_trimmer's test suite (MIT), kept in
// shared/corpus beside the repository, never inside it.
var corpusDir = filepath.Join("..", "..", "shared", "corpus", "discourse-email-reply-trimmer")

// Floors: the scores reached when they were last raised. A change that
// lowers one fails the test; raise them when a change improves a score.
const (
	floorReply    = 64 // of 64 files, Text(...).Reply == trimmed/NAME
	floorElided   = 64 // of 64 files, Text(...).Elided == elided/NAME
	floorEmbedded = 10 // of 10 files, Embedded(...) == embedded/NAME and before/NAME
)

// normalizeExpected is the whole of the comparison's tolerance: CRLF
// becomes LF and trailing white space at the very end is ignored (the
// corpus files end with a newline, Result never does). Nothing else: leading
// indentation, inner blank lines and every character must match.
func normalizeExpected(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), " \t\r\n")
}

func readCorpus(t testing.TB, sub string) map[string]string {
	t.Helper()
	dir := filepath.Join(corpusDir, sub)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	files := make(map[string]string, len(entries))
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}

func skipWithoutCorpus(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus %s is absent (a fresh clone without shared/): %v", corpusDir, err)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestCorpusScore scores Text on every corpus mail: Reply against
// trimmed/NAME and Elided against elided/NAME, exact after normalizeExpected.
func TestCorpusScore(t *testing.T) {
	skipWithoutCorpus(t)
	emails := readCorpus(t, "emails")
	trimmed := readCorpus(t, "trimmed")
	elided := readCorpus(t, "elided")

	var replyOK, elidedOK int
	var replyFail, elidedFail []string
	for _, name := range sortedKeys(emails) {
		got := Text(emails[name])
		if normalizeExpected(got.Reply) == normalizeExpected(trimmed[name]) {
			replyOK++
		} else {
			replyFail = append(replyFail, name)
			if testing.Verbose() {
				t.Logf("REPLY %s\n--- got:\n%s\n--- want:\n%s", name, got.Reply, normalizeExpected(trimmed[name]))
			}
		}
		if normalizeExpected(got.Elided) == normalizeExpected(elided[name]) {
			elidedOK++
		} else {
			elidedFail = append(elidedFail, name)
			if testing.Verbose() {
				t.Logf("ELIDED %s\n--- got:\n%s\n--- want:\n%s", name, got.Elided, normalizeExpected(elided[name]))
			}
		}
	}
	total := len(emails)
	t.Logf("replytrim: %d/%d exact (%.1f%%) reply; failures: %v", replyOK, total, pct(replyOK, total), replyFail)
	t.Logf("replytrim: %d/%d exact (%.1f%%) elided; failures: %v", elidedOK, total, pct(elidedOK, total), elidedFail)
	if replyOK < floorReply {
		t.Errorf("reply score %d/%d fell below the floor %d", replyOK, total, floorReply)
	}
	if elidedOK < floorElided {
		t.Errorf("elided score %d/%d fell below the floor %d", elidedOK, total, floorElided)
	}
}

// TestCorpusEmbedded scores Embedded on the corpus's forwarded mails:
// embedded/NAME is the forwarded mail, before/NAME what was written above it.
func TestCorpusEmbedded(t *testing.T) {
	skipWithoutCorpus(t)
	emails := readCorpus(t, "emails")
	embedded := readCorpus(t, "embedded")
	before := readCorpus(t, "before")

	var ok int
	var fail []string
	for _, name := range sortedKeys(embedded) {
		fwd, found := Embedded(emails[name])
		if found && normalizeExpected(fwd.Message) == normalizeExpected(embedded[name]) &&
			normalizeExpected(fwd.Before) == normalizeExpected(before[name]) {
			ok++
			continue
		}
		fail = append(fail, name)
		if testing.Verbose() {
			t.Logf("EMBEDDED %s found=%v\n--- before:\n%s\n--- message:\n%s", name, found, fwd.Before, fwd.Message)
		}
	}
	total := len(embedded)
	t.Logf("replytrim: %d/%d exact (%.1f%%) embedded; failures: %v", ok, total, pct(ok, total), fail)
	if ok < floorEmbedded {
		t.Errorf("embedded score %d/%d fell below the floor %d", ok, total, floorEmbedded)
	}
	// Mails without a forwarded message must not report one.
	for _, name := range []string{"text_only.txt", "quote_and_text.txt", "usenet.txt", "signatures.txt"} {
		if _, found := Embedded(emails[name]); found {
			t.Errorf("Embedded(%s) found a forwarded message", name)
		}
	}
}

func pct(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(n) / float64(total)
}
