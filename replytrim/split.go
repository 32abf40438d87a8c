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

// splitInlineHeaders returns lines with every glued header split off, and
// bold header blocks written on one line split into their fields; lines
// itself when there is none.
func splitInlineHeaders(lines []string) []string {
	var out []string // nil until the first split
	for i, l := range lines {
		var parts []string
		if p := inlineHeaderAt(l); p > 0 {
			parts = []string{strings.TrimRight(l[:p], " \t"), l[p:]}
		} else {
			parts = boldFields(l)
		}
		if parts == nil {
			if out != nil {
				out = append(out, l)
			}
			continue
		}
		if out == nil {
			out = append(make([]string, 0, len(lines)+len(parts)), lines[:i]...)
		}
		out = append(out, parts...)
	}
	if out == nil {
		return lines
	}
	return out
}

// boldFields splits a header block that the text part of an HTML mail put
// on one line, its field names in bold: "*From:* Support <s@…> *Sent:*
// Monday … *To:* Bob *Subject:* RE: Ticket". nil when line is not one: the
// bold names are what make the field boundaries sure.
func boldFields(line string) []string {
	if !strings.HasPrefix(strings.TrimLeft(line, " \t"), "*") || strings.Count(line, ":*") < 2 || !isHeaderField(line) {
		return nil
	}
	var parts []string
	start := 0
	for q := 1; q+1 < len(line); q++ {
		if line[q] == '*' && line[q-1] == ' ' && strings.Contains(line[q:min(len(line), q+40)], ":*") && isHeaderField(line[q:]) {
			parts = append(parts, strings.TrimRight(line[start:q], " \t"))
			start = q
		}
	}
	if parts == nil {
		return nil
	}
	return append(parts, line[start:])
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
