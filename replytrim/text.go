// Package replytrim shows only what was written in a reply: it strips the
// quoted history, the quote header above it ("On …, Bob wrote:"), copied
// header blocks ("From: … Sent: …"), forwarded-message separators and
// signatures from a mail body, keeping the removed part apart so a helpdesk
// can still show it on demand.
//
// The plain-text algorithm classifies every line (text, quote, quote header,
// header field, delimiter, "sent from" signature, blank), then applies a few
// rules to the sequence of classes (for instance "text, blanks, quote header,
// then only quotes and blanks: cut at the header"). Looking at the shape of
// the whole message, rather than cutting at the first ">" line, is what keeps
// the person's answers written between quotes (bottom and inline posting).
// The rules and the test corpus follow discourse/email_reply_trimmer (MIT).
package replytrim

import (
	"regexp"
	"strings"
)

// Result of trimming a plain-text reply body.
type Result struct {
	Reply  string // what the person wrote, trimmed of trailing/leading blank lines
	Elided string // what was removed (quotes, quote header, signature), "" when nothing
}

// Line classes. Each line of the body gets exactly one.
const (
	clsEmpty     = 'e' // blank
	clsDelimiter = 'd' // "-- ", "____": the rest is signature or copied mail
	clsSignature = 's' // "Sent from my iPhone"
	clsHeader    = 'b' // quote header or forward separator ("On … wrote:")
	clsField     = 'h' // header field of a copied header block ("From: …")
	clsQuote     = 'q' // "> quoted"
	clsText      = 't' // anything else: what people write
	clsArmor     = 'p' // PGP clear-sign armor, never part of the reply
)

// Text trims a plain-text body. markers are extra "reply above this line" separators the helpdesk itself
// puts in its outgoing mails (localized, e.g. "##- Please type your reply above this line -##"): everything
// from a line containing one of them (and an "On ... wrote:" header just above it) is elided — unless
// nothing was written above a quoted marker and the answer is below the quote (a bottom post, see
// aroundMarker).
//
// Line endings are normalized to LF and invalid UTF-8 bytes are dropped, so
// Reply and Elided are valid UTF-8 and Reply is never longer than body.
func Text(body string, markers ...string) Result {
	lines, _ := prepare(splitLines(body))
	lines = splitInlineHeaders(lines)
	cls := classify(lines, nil)
	keep := decide(lines, cls, markers)
	return assemble(lines, keep)
}

// splitLines splits body into lines: valid UTF-8 (invalid bytes dropped)
// and any line ending (CRLF, LF, lone CR) as the separator.
func splitLines(body string) []string {
	body = strings.ToValidUTF8(body, "")
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	return strings.Split(body, "\n")
}

// prepare normalizes lines: ">" becomes the only quote mark and wrapped
// quote headers are joined on one line; span[i] is how many input lines
// make prepared line i. Every step only shortens the text, so the reply can
// never grow.
func prepare(lines []string) (out []string, span []int) {
	for i, l := range lines {
		lines[i] = normalizeQuoteMarks(l)
	}
	return joinWrappedHeaders(lines)
}

// normalizeQuoteMarks rewrites the other quoting styles to ">": supercite
// ("Richard> text", "C> text") and pipes ("| text"). A pipe line that holds
// another "|" is a table row and stays as it is, and supercite needs a
// capitalized name so shell prompts ("mysql> …") stay text.
func normalizeQuoteMarks(line string) string {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i == len(line) {
		return line
	}
	if line[i] == '|' {
		if strings.IndexByte(line[i+1:], '|') < 0 {
			return line[:i] + ">" + line[i+1:]
		}
		return line
	}
	if line[i] < 'A' || line[i] > 'Z' {
		return line
	}
	j := i + 1
	for j < len(line) && j-i <= 10 && isASCIILetter(line[j]) {
		j++
	}
	if j >= len(line) || line[j] != '>' {
		return line
	}
	if j+1 < len(line) && line[j+1] != ' ' && line[j+1] != '>' {
		return line
	}
	return line[:i] + line[j:]
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// maxHeaderLines is how many lines a wrapped quote header may span. Gmail
// wraps at 80 columns and some clients put the address on lines of its own
// ("<\nmailto:Bob <b@…>\n> wrote:"), which takes five.
const maxHeaderLines = 5

// joinWrappedHeaders puts quote headers that the sender's client wrapped
// over several lines back on one line, so they can be recognised:
//
//	On Mon, Feb 1, 2016 at 6:32 PM, Jeff Atwood <info@discourse.org>
//	wrote:
//
// For each line that could end a header it tries the shortest run of
// preceding lines that forms one; the shortest, so that a line of the reply
// just above the header ("Call me at 555-1234") is never glued to it.
func joinWrappedHeaders(lines []string) (out []string, span []int) {
	out = make([]string, 0, len(lines))
	span = make([]int, 0, len(lines))
	start := 0     // first line not yet copied to out
	lastJoin := -1 // index in out of the last joined header, if it ends at start-1
	copyTo := func(end int) {
		for _, l := range lines[start:end] {
			out = append(out, l)
			span = append(span, 1)
		}
	}
	for j := 1; j < len(lines); j++ {
		if !mayEndHeader(lines[j]) || isQuoteHeader(lines[j]) {
			continue
		}
		// A bare tail ("wrote:", "a écrit :", ">:") cannot stand alone, so it
		// may even extend a line that already reads as a header by itself
		// ("Le 4 janv. 2016 19:03, "Neil" <n@…>" + "a écrit :").
		tail := !headerLead(lines[j])
		joined := false
		for k := 1; k < maxHeaderLines && j-k >= start; k++ {
			first := lines[j-k]
			if strings.TrimSpace(first) == "" {
				continue
			}
			if len(first) > maxHeaderLen || !tail && isQuoteHeader(first) {
				break
			}
			if !headerLead(first) {
				continue
			}
			if h := joinLines(lines[j-k : j+1]); isQuoteHeader(h) {
				copyTo(j - k)
				out = append(out, h)
				span = append(span, k+1)
				lastJoin, start, joined = len(out)-1, j+1, true
				break
			}
		}
		if !joined && tail && lastJoin >= 0 && lastJoin == len(out)-1 && j-start < maxHeaderLines &&
			blank(lines[start:j]) {
			// The tail of a header joined just above, which already read as a
			// header before its tail.
			if h := joinLines(append([]string{out[lastJoin]}, lines[start:j+1]...)); isQuoteHeader(h) {
				out[lastJoin] = h
				span[lastJoin] += j + 1 - start
				start = j + 1
			}
		}
		if start != j+1 {
			lastJoin = -1 // something else came after the last joined header
		}
	}
	copyTo(len(lines))
	return out, span
}

// blank reports whether all lines are blank.
func blank(lines []string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			return false
		}
	}
	return true
}

// mayEndHeader is a cheap filter for the last line of a wrapped header.
func mayEndHeader(line string) bool {
	if len(line) > maxHeaderLen {
		return false
	}
	s := headerCore(line) // an empty quote line ">" ends nothing
	return s != "" && headerEnding(s)
}

// joinLines joins a wrapped header: each line break, with the blank lines
// and indentation after it, becomes one space.
func joinLines(lines []string) string {
	var b strings.Builder
	b.WriteString(lines[0])
	for _, l := range lines[1:] {
		l = strings.TrimLeft(l, " \t")
		if l == "" {
			continue
		}
		b.WriteByte(' ')
		b.WriteString(l)
	}
	return b.String()
}

// classify gives each line its class. force, when not nil, imposes the
// class of non-blank lines where it is not 0: the HTML side knows from the
// markup that a line is a quote header, a signature or copied history.
func classify(lines []string, force []byte) []byte {
	cls := make([]byte, len(lines))
	code := codeBlocks(lines)
	armor := false
	for i, l := range lines {
		trimmed := strings.TrimSpace(l)
		switch {
		case force != nil && force[i] == clsText:
			cls[i] = clsText // an image: content without text
		case trimmed == "":
			cls[i] = clsEmpty
		case force != nil && force[i] != 0:
			cls[i] = force[i]
		case code[i]:
			cls[i] = clsText // "####" in a code block is code, not a delimiter
		case trimmed == "-----BEGIN PGP SIGNED MESSAGE-----":
			cls[i], armor = clsArmor, true
		case armor && strings.HasPrefix(trimmed, "Hash:"):
			cls[i] = clsArmor
		case trimmed == "-----BEGIN PGP SIGNATURE-----":
			cls[i] = clsDelimiter // the signature block closes the signed text
		default:
			cls[i] = classifyLine(l, trimmed)
		}
		if cls[i] != clsArmor && cls[i] != clsEmpty {
			armor = false
		}
	}
	// A header field whose value the client wrapped onto a line of its own
	// ("From: A long name\n<a@example.com>\nSent: …") belongs to the block.
	for i := 1; i+1 < len(cls); i++ {
		if cls[i] == clsText && cls[i-1] == clsField && cls[i+1] == clsField && fieldContinuation(lines[i]) {
			cls[i] = clsField
		}
	}
	// A "sent from" line is a footer only where a footer can be: followed by
	// nothing but blanks, other footers, or the quoted history. One followed
	// by more text is a sentence of the reply ("Sent from my iPhone, the
	// app crashes…" ends differently from a footer).
	next := byte(0)
	for i := len(cls) - 1; i >= 0; i-- {
		switch {
		case cls[i] == clsEmpty:
		case cls[i] == clsSignature && (force == nil || force[i] == 0):
			if next == clsText || inSentence(lines, i) {
				cls[i] = clsText
				next = clsText
			}
		default:
			next = cls[i]
		}
	}
	return cls
}

// fieldContinuation reports whether line can be the wrapped rest of a header
// field's value: an address alone ("<a@example.com>", "[mailto:a@…]", "a@…").
func fieldContinuation(line string) bool {
	t := strings.TrimSpace(line)
	if len(t) > 120 || !strings.Contains(t, "@") {
		return false
	}
	switch t[0] {
	case '<', '[', '(':
		return true
	}
	return !strings.ContainsAny(t, " \t")
}

// classifyLine classifies one non-blank line on its own.
func classifyLine(line, trimmed string) byte {
	switch {
	case isDelimiter(line):
		return clsDelimiter
	case isMobileSignature(line):
		return clsSignature
	case isQuoteHeader(line):
		return clsHeader
	case isHeaderField(line):
		return clsField
	case trimmed[0] == '>':
		return clsQuote
	}
	return clsText
}

// codeBlocks marks the lines of fenced code blocks (```), fences included.
// A fence that is never closed opens no block: otherwise a stray ``` would
// protect the whole quoted history from trimming.
func codeBlocks(lines []string) []bool {
	code := make([]bool, len(lines))
	open := -1
	for i, l := range lines {
		if open < 0 {
			if strings.HasPrefix(l, "```") {
				open = i
			}
			continue
		}
		t := strings.TrimLeft(l, " ")
		if len(l)-len(t) <= 3 && strings.HasPrefix(t, "```") && strings.TrimSpace(t[3:]) == "" {
			for k := open; k <= i; k++ {
				code[k] = true
			}
			open = -1
		}
	}
	return code
}

// assemble builds the result from the lines to keep.
func assemble(lines []string, keep []bool) Result {
	var reply, elided []string
	for i, l := range lines {
		if keep[i] {
			reply = append(reply, l)
		} else {
			elided = append(elided, l)
		}
	}
	return Result{Reply: trimBlankLines(reply), Elided: trimBlankLines(elided)}
}

// trimBlankLines joins lines, dropping leading blank lines and trailing
// whitespace. Leading indentation of the first line is kept: it may be code.
func trimBlankLines(lines []string) string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	return strings.TrimRight(strings.Join(lines, "\n"), " \t\n\u00a0")
}

// classRE compiles a pattern over the string of line classes.
func classRE(expr string) *regexp.Regexp { return regexp.MustCompile(expr) }
