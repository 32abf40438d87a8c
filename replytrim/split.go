package replytrim

import (
	"strings"
	"unicode"
)

// Some clients glue the quote header to the last line of the reply — the
// text part of an HTML mail whose blocks were joined, a phone app that
// writes no line break: "Thanks, see you then. On Mon, Jan 15, 2024 at
// 10:00 AM Support <s@example.com> wrote:", "Done.-----Original
// Message-----". splitInlineHeaders puts such a header on a line of its own,
// so the reply keeps its last words and the header is cut as usual.

// inlineLeads are the words a dated quote header starts with, as clients
// write them: capitalised, which keeps "see you on Monday" from being one.
var inlineLeads = []string{"On ", "Le ", "Am ", "El ", "Em ", "Il ", "Op ", "Den ", "W dniu ", "Dnia ", "Dne ", "Vào ", "在"}

// splitInlineHeaders returns lines with every glued header split off; lines
// itself when there is none.
func splitInlineHeaders(lines []string) []string {
	var out []string // nil until the first split
	for i, l := range lines {
		p := inlineHeaderAt(l)
		if p <= 0 {
			if out != nil {
				out = append(out, l)
			}
			continue
		}
		if out == nil {
			out = append(make([]string, 0, len(lines)+1), lines[:i]...)
		}
		out = append(out, strings.TrimRight(l[:p], " \t"), l[p:])
	}
	if out == nil {
		return lines
	}
	return out
}

// inlineHeaderAt returns where a header glued to the end of line starts, or
// -1. The part before it must be text someone wrote: not quoted, not itself
// the start of a header (a name with an address, a lead word).
func inlineHeaderAt(line string) int {
	if len(line) > maxHeaderLen || len(line) < 16 {
		return -1
	}
	t := strings.TrimLeft(line, " \t")
	if t == "" || t[0] == '>' {
		return -1
	}
	if i := strings.Index(line, "-----"); i > 0 && written(line[:i]) && matchForward(line[i:]) {
		return i
	}
	if !mayEndHeader(line) || hasLead(t) {
		return -1
	}
	for q := 1; q < len(line); q++ {
		c := line[q-1]
		if c != ' ' && c != '.' && c != '!' && c != '?' {
			continue
		}
		if !hasLead(line[q:]) {
			continue
		}
		before := line[:q]
		if strings.ContainsAny(before, "<@") {
			return -1 // a name and address first: the line is a header of its own
		}
		if !written(before) {
			continue // decoration ("---- On … wrote ----", "*On …*"), not words
		}
		if h := line[q:]; strings.ContainsAny(h, "0123456789") && isQuoteHeader(h) {
			return q
		}
	}
	return -1
}

// written reports whether s holds a word: a letter or a digit.
func written(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

func hasLead(s string) bool {
	for _, l := range inlineLeads {
		if strings.HasPrefix(s, l) {
			return true
		}
	}
	return false
}
