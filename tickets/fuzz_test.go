package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/testclock"
)

// searchSeeds are the searches and texts of the table tests.
var searchSeeds = []string{
	"printer", "PRINTER fire", "melted xylophone", "printer parcel", "smoke", "?!", "", " ",
	"billing@acme-corp.example", "ORD-4711", "shop.example.net", "billingacme", "Café machine broken",
	"Cafe\u0301", "Straße ΣΊΣΥΦΟΣ", "日本語のメール", "v2.5 order-1234 ann@example.org", `"quoted" OR NEAR(a b) col:x*`,
	"\xff\xfe bad", "a\x00b", strings.Repeat("word ", 20), "x\uE000y", "\u0301",
}

// searchWords promises runs of letters, digits and combining marks, in order, everything else a
// separator: no word is empty, none carries FTS5 syntax (a quote, a star, a colon), and the words
// of its own output are that output.
func FuzzSearchWords(f *testing.F) {
	for _, s := range searchSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		words := searchWords(text)
		if !slices.Equal(words, searchWords(text)) {
			t.Fatalf("%q: two calls, two answers", text)
		}
		rest, total := text, 0
		for _, w := range words {
			if w == "" || !utf8.ValidString(w) {
				t.Fatalf("%q: word %q", text, w)
			}
			for _, r := range w {
				if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r) {
					t.Fatalf("%q: word %q holds %U", text, w, r)
				}
			}
			i := strings.Index(rest, w)
			if i < 0 {
				t.Fatalf("%q: word %q is not in the text, in order", text, w)
			}
			rest = rest[i+len(w):]
			total += len(w)
		}
		// Words are apart: n words take n bytes and n-1 separators at least.
		if total > len(text) || (len(words) > 0 && 2*len(words)-1 > len(text)) {
			t.Fatalf("%q: %d words of %d bytes", text, len(words), total)
		}
		if again := searchWords(strings.Join(words, " ")); !slices.Equal(again, words) {
			t.Fatalf("%q: words %q, whose words are %q", text, words, again)
		}
	})
}

// unfindable says why a message is not found by its own text, on a known divergence between
// searchWords and the engines' tokenizers ("" when it must be found). Both are open issues, not
// what the search should do:
//   - a private-use character (Co, as Apple's U+F8FF logo): FTS5's unicode61 counts it a letter,
//     searchWords and PostgreSQL a separator, so "x\uE000y" is one word in the SQLite index and
//     the search for "x" and "y" misses it there (PostgreSQL finds it);
//   - a word of combining marks alone ("\u0301"): searchWords keeps it, neither engine indexes it.
func unfindable(text string) string {
	if strings.ContainsFunc(text, func(r rune) bool { return unicode.Is(unicode.Co, r) }) {
		return "a private-use character"
	}
	for _, w := range searchWords(text) {
		if !strings.ContainsFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) {
			return "a word of combining marks alone"
		}
	}
	return ""
}

// No search text is SQL or FTS5 syntax: Search answers a page or ErrInvalid, never an error of
// the engine; and a message is found by its own text, on SQLite (FTS5) as on PostgreSQL.
func FuzzSearchText(f *testing.F) {
	for _, s := range searchSeeds {
		f.Add(s)
	}
	ctx := context.Background()
	d := dbtest.Open(f, dbtest.Engines()[0])
	clk := testclock.New(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	s := New(d, WithClock(clk.Now))
	p, err := s.CreateProperty(ctx, NewProperty{Slug: "acme", Name: "Acme"})
	if err != nil {
		f.Fatal(err)
	}
	a, err := s.AddAgent(ctx, p.ID, "alice@acme.example", "Alice", "")
	if err != nil {
		f.Fatal(err)
	}
	n := 0
	f.Fuzz(func(t *testing.T, text string) {
		n++
		clk.Advance(time.Second) // the newest ticket leads the list
		var number int64
		if utf8.ValidString(text) && !strings.ContainsRune(text, 0) && strings.TrimSpace(text) != "" {
			tk, err := s.CreateTicket(ctx, p, a, NewTicket{Customer: Address{Email: "ann@customer.example"}, Subject: "Fuzz",
				Outgoing: Outgoing{Text: text}}, fmt.Sprintf("fuzz%d@desk.example", n))
			if err != nil {
				t.Fatalf("ticket with text %q: %v", text, err)
			}
			number = tk.Number
			if err := s.DrainSearchIndex(ctx); err != nil {
				t.Fatal(err)
			}
		}
		page, err := s.Search(ctx, p.ID, a.ID, Query{Text: text})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("search %q: %v, want a page or ErrInvalid", text, err)
			}
			return
		}
		if number != 0 && unfindable(text) == "" && !slices.ContainsFunc(page.Tickets, func(it ListItem) bool { return it.Number == number }) {
			t.Fatalf("search %q (words %q) does not find the ticket whose message it is", text, searchWords(text))
		}
	})
}

// ParseSize never panics, never returns a negative size or one above MaxSize, and reads back the
// plain number of bytes it returns.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"10MB", "512 kB", "2MiB", "1.5mb", "0", "", "-1", "1e6", "10 MB", "1.2.3MB", ".5MB", "5.MB", "1000000000001", "99999999999999999999GB", "1.99999999999GiB", "12b", "1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseSize(%q): %v is not ErrInvalid", s, err)
			}
			return
		}
		if n < 0 || n > MaxSize {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		if m, err := ParseSize(fmt.Sprint(n)); err != nil || m != n {
			t.Fatalf("ParseSize(%d) = %d, %v", n, m, err)
		}
	})
}
