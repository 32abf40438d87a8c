package replytrim

import "strings"

// The helpdesk's own "reply above this line" marker says where its mail
// starts in a reply. It means "what is above is new" only when something was
// written above it. A bottom-posting client (Thunderbird's "start my reply
// below the quote", many mailing-list users) puts the quoted mail first,
// marker included, and the answer below it: there the marker only opens the
// quote, and the answer is the text after it.

// aroundMarker is the sequence the rules look at for a body whose marker
// spans lines m to mEnd. Top posting (the usual case): the lines above the
// marker, or above the quote header just above it. Bottom posting — nothing
// written above, the marker quoted (so our mail after it is quoted too) and
// unquoted text after it — the whole body, the marker and its header
// counting as a quote header, so the rules keep the answer below the quote.
func aroundMarker(lines []string, cls []byte, m, mEnd int) *seq {
	cut := cutAboveMarker(lines, cls, m)
	above := newSeq(lines, cls, cut)
	if !bottomPosted(lines, cls, m, mEnd) {
		return above
	}
	probe := &seq{idx: append([]int(nil), above.idx...), cls: append([]byte(nil), above.cls...), lines: lines}
	applyRules(probe)
	if strings.ContainsRune(probe.pattern(), clsText) {
		return above // written above the marker: the marker's own reading
	}
	s := newSeq(lines, cls, len(lines))
	// The empty quote lines (">") right below the marker go with it: they
	// space our mail, they are not the start of an inline answer's quote.
	end := mEnd
	for end+1 < len(lines) && (cls[end+1] == clsEmpty || cls[end+1] == clsQuote && strings.Trim(lines[end+1], "> \t") == "") {
		end++
	}
	for i := cut; i <= end; i++ {
		if s.cls[i] != clsEmpty {
			s.cls[i] = clsHeader
		}
	}
	return s
}

// bottomPosted reports whether a reply may have been written below the
// quote holding the marker: the marker's line is quoted and some text that
// is not quoted follows it. An unquoted marker says nothing of where our
// mail ends (a client that does not quote), so it keeps its top-post
// reading: sending our own mail on as the answer would be worse than
// sending nothing.
func bottomPosted(lines []string, cls []byte, m, mEnd int) bool {
	if cls[m] != clsQuote && !strings.HasPrefix(strings.TrimLeft(lines[m], " \t"), ">") {
		return false
	}
	for _, c := range cls[mEnd+1:] {
		if c == clsText {
			return true
		}
	}
	return false
}

// findMarker returns the lines (first and last) holding the first of the
// helpdesk's "reply above this line" markers, or -1, -1. Clients quote and
// wrap such lines, so quote marks are ignored, runs of blanks compare equal,
// and a marker may be split over two consecutive lines.
func findMarker(lines []string, markers []string) (first, last int) {
	var want []markerWords
	for _, m := range markers {
		if m = collapseSpace(m); m != "" {
			w := strings.Fields(m)
			want = append(want, markerWords{m, w[0], w[len(w)-1]})
		}
	}
	if len(want) == 0 {
		return -1, -1
	}
	// Blanks are collapsed only on lines that hold a marker's first or last
	// word: a marker on one line holds both, one split over two lines starts
	// with the first and ends with the last. Most lines hold neither, and
	// are passed over without building a string.
	prevHead := -1 // index of the last line holding a first word
	for i, l := range lines {
		for _, m := range want {
			head, tail := strings.Contains(l, m.first), strings.Contains(l, m.last)
			if head && tail && strings.Contains(collapseSpace(strings.TrimLeft(l, "> \t")), m.text) {
				return i, i
			}
			if tail && prevHead == i-1 && i > 0 {
				prev := collapseSpace(strings.TrimLeft(lines[i-1], "> \t"))
				cur := collapseSpace(strings.TrimLeft(l, "> \t"))
				if prev != "" && cur != "" && strings.Contains(prev+" "+cur, m.text) {
					return i - 1, i
				}
			}
		}
		for _, m := range want {
			if strings.Contains(l, m.first) {
				prevHead = i
				break
			}
		}
	}
	return -1, -1
}

// markerWords is a marker with its blanks collapsed, and its first and last words.
type markerWords struct{ text, first, last string }

// cutAboveMarker returns where the elided part starts for a marker on line
// m: at the marker, or at the quote header just above it (blank lines and
// empty quote lines ">" may sit between the two).
func cutAboveMarker(lines []string, cls []byte, m int) int {
	for i := m - 1; i >= 0; i-- {
		switch {
		case cls[i] == clsEmpty,
			cls[i] == clsQuote && strings.Trim(lines[i], "> \t") == "":
			continue
		case cls[i] == clsHeader:
			return i
		}
		return m
	}
	return m
}

// collapseSpace trims s and replaces each run of white space by one space.
func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
