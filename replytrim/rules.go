package replytrim

import (
	"strings"
)

// The rules below look at the string of line classes (see the cls*
// constants), e.g. "teebqqqe" for "text, two blanks, a quote header, three
// quoted lines, a blank". Regular expressions over that string say what a
// message looks like far more readably than loops would.
var (
	// The person answered below the quote: "On … wrote:", the quote, then
	// only the reply. Keep the trailing text, drop the header and the quote.
	reReplyBelow   = classRE(`^b[^t]+t[et]*$`)
	reTrailingText = classRE(`t[et]*$`)
	// Top posting above a quote header whose message is not ">"-quoted
	// (Outlook, Apple Mail with forwarded text, "-----Original Message-----").
	reTopPostUnquoted = classRE(`te*b[^q]*$`)
	// Top posting above a quote header and its ">"-quoted history, which may
	// be followed by a few lines that belong to the quoted mail (its
	// signature, a mailing-list footer). The group is that trailing text.
	reTopPostQuoted = classRE(`te*b[eqbh]*([te]*)$`)
	// A header field whose value was wrapped onto the next line
	// ("Subject: a long\nsubject\nTo: …"): the continuation belongs to the block.
	reWrappedField = classRE(`h{2,}t{1,2}h`)
	// Text, then a block of at least three header fields: Outlook's reply
	// layout, where the copied message follows the block unquoted.
	reFieldBlock = classRE(`t[eq]*h{3,}`)
)

// maxTrailingText is how many lines of text may follow a quoted history and
// still count as part of it (its signature or footer). More than that is the
// person writing below the quote, which must be kept. Seven is what separates
// the corpus cases of a signature after the quote from bottom posts.
const maxTrailingText = 7

// seq is the sequence of lines still considered part of the reply: their
// indices in the prepared lines and their classes, kept in step.
type seq struct {
	idx   []int
	cls   []byte
	lines []string // all the prepared lines (indexed by idx), for the rules that read words
}

func (s *seq) pattern() string { return string(s.cls) }

// keepFirst keeps the first n lines.
func (s *seq) keepFirst(n int) { s.idx, s.cls = s.idx[:n], s.cls[:n] }

// keepFrom keeps the lines from i on.
func (s *seq) keepFrom(i int) { s.idx, s.cls = s.idx[i:], s.cls[i:] }

// drop removes the lines for which del reports true.
func (s *seq) drop(del func(i int) bool) {
	n := 0
	for i := range s.cls {
		if !del(i) {
			s.idx[n], s.cls[n] = s.idx[i], s.cls[i]
			n++
		}
	}
	s.keepFirst(n)
}

// decide returns which prepared lines belong to the reply.
func decide(lines []string, cls []byte, markers []string) []bool {
	var s *seq
	if m, mEnd := findMarker(lines, markers); m >= 0 {
		s = aroundMarker(lines, cls, m, mEnd)
	} else {
		s = newSeq(lines, cls, len(lines))
	}
	applyRules(s)
	keep := make([]bool, len(lines))
	for _, i := range s.idx {
		keep[i] = true
	}
	return keep
}

// newSeq is the sequence of the first n lines, with their classes (copied:
// the rules change them).
func newSeq(lines []string, cls []byte, n int) *seq {
	s := &seq{idx: make([]int, n), cls: append([]byte(nil), cls[:n]...), lines: lines}
	for i := range s.idx {
		s.idx[i] = i
	}
	return s
}

func applyRules(s *seq) {
	// Everything after a delimiter is signature or a copied message.
	if i := strings.IndexByte(s.pattern(), clsDelimiter); i >= 0 {
		s.keepFirst(i)
	}
	// Footers of phones and mail apps, and PGP armor, go wherever they are.
	s.drop(func(i int) bool { return s.cls[i] == clsSignature || s.cls[i] == clsArmor })

	p := s.pattern()
	if !strings.ContainsRune(p, clsText) {
		// Nothing written: if there is history (a header or a header block)
		// everything is history; a body made only of quotes is kept, as it is
		// all the person sent.
		if strings.ContainsRune(p, clsHeader) || strings.Contains(p, "hh") {
			s.keepFirst(0)
		}
		return
	}
	if reReplyBelow.MatchString(p) {
		s.keepFrom(reTrailingText.FindStringIndex(p)[0])
		p = s.pattern()
	}
	if loc := reTopPostUnquoted.FindStringIndex(p); loc != nil {
		s.keepFirst(loc[0] + 1)
		p = s.pattern()
	}
	if m := reTopPostQuoted.FindStringSubmatchIndex(p); m != nil &&
		strings.Count(p[m[2]:m[3]], string(clsText)) < maxTrailingText {
		if answeredBelow(s, m[0], m[2]) {
			// Written below the quote too: drop the header and the quote only.
			// The blanks above the header stay: they separate the two parts.
			hdr := m[0] + strings.IndexByte(p[m[0]:], clsHeader)
			first := m[2] + strings.IndexByte(p[m[2]:m[3]], clsText)
			s.drop(func(i int) bool { return i >= hdr && i < first })
		} else {
			s.keepFirst(m[0] + 1)
		}
	}
	// Remaining quote headers sit between the person's inline answers.
	s.drop(func(i int) bool { return s.cls[i] == clsHeader })

	// Header blocks: join wrapped values, cut a reply above a block, drop
	// blocks left (a forwarded mail's header when nothing was written above
	// it). A lone "To: …" line is text someone wrote, not a block.
	p = s.pattern()
	for _, loc := range reWrappedField.FindAllStringIndex(p, -1) {
		for i := loc[0]; i < loc[1]; i++ {
			s.cls[i] = clsField
		}
	}
	p = s.pattern()
	if loc := reFieldBlock.FindStringIndex(p); loc != nil {
		s.keepFirst(loc[0] + 1)
	}
	dropFieldBlocks(s)

	// Quotes (and blanks) ending the message are the history being answered.
	n := len(s.cls)
	for n > 0 && (s.cls[n-1] == clsQuote || s.cls[n-1] == clsEmpty) {
		n--
	}
	if n > 0 {
		s.keepFirst(n)
	}
}

// dropFieldBlocks removes runs of two or more header fields; a single field
// line becomes text.
func dropFieldBlocks(s *seq) {
	del := make([]bool, len(s.cls))
	for i := 0; i < len(s.cls); {
		if s.cls[i] != clsField {
			i++
			continue
		}
		j := i
		for j < len(s.cls) && s.cls[j] == clsField {
			j++
		}
		for k := i; k < j; k++ {
			if j-i >= 2 {
				del[k] = true
			} else {
				s.cls[k] = clsText
			}
		}
		i = j
	}
	s.drop(func(i int) bool { return del[i] })
}
