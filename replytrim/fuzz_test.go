package replytrim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// addCorpusSeeds seeds f with the corpus mails (when present) and the
// table-test bodies; crashers found by fuzzing live in testdata/fuzz.
func addCorpusSeeds(f *testing.F) {
	for _, s := range []string{
		"", "\r", "\r\r\n\n", "a\x00b", "\xff\xfe>\xc3", strings.Repeat("<blockquote>", 40) + "x<br>y",
		"<pre>" + strings.Repeat("\n", 50) + "</pre>", strings.Repeat("<div>", 600) + "deep",
		"On 1 Jan 2024, Bob <b@x.y>\n\n\n\nwrote:", "```\n-- \n", "| a | b |\n|---|---|",
		"Text\n> q\n-----BEGIN PGP SIGNATURE-----\nx",
	} {
		f.Add(s)
	}
	for _, tc := range textCases {
		f.Add(tc.body)
	}
	for _, tc := range htmlCases {
		f.Add(tc.body)
	}
	for _, tc := range markerCases {
		f.Add(tc.body)
	}
	for _, tc := range headerBlockCases {
		f.Add(tc.body)
	}
	for _, tc := range belowCases {
		f.Add(tc.body)
	}
	entries, err := os.ReadDir(filepath.Join(corpusDir, "emails"))
	if err != nil {
		return // corpus absent: the seeds above still run
	}
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(corpusDir, "emails", e.Name())); err == nil {
			f.Add(string(b))
		}
	}
}

func checkResult(t *testing.T, body string, r Result) {
	t.Helper()
	if !utf8.ValidString(r.Reply) || !utf8.ValidString(r.Elided) {
		t.Fatalf("invalid UTF-8 in result %q", r)
	}
	if len(r.Reply) > len(body) {
		t.Fatalf("reply (%d bytes) longer than body (%d bytes)", len(r.Reply), len(body))
	}
	if strings.Contains(r.Reply, "\r") {
		t.Fatalf("CR in reply %q", r.Reply)
	}
}

func FuzzText(f *testing.F) {
	addCorpusSeeds(f)
	f.Fuzz(func(t *testing.T, body string) {
		r := Text(body, "##- Please type your reply above this line -##")
		checkResult(t, body, r)
	})
}

func FuzzHTML(f *testing.F) {
	addCorpusSeeds(f)
	f.Fuzz(func(t *testing.T, body string) {
		out, r := HTML(body, "##- Please type your reply above this line -##")
		checkResult(t, body, r)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 in trimmed HTML %q", out)
		}
		if _, err := html.Parse(strings.NewReader(out)); err != nil {
			t.Fatalf("trimmed HTML does not parse: %v", err)
		}
	})
}
