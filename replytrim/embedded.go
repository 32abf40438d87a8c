package replytrim

import (
	"strings"
)

// Forward is a mail embedded in a body: forwarded by the person, or copied
// below their reply by their client (Outlook's header block).
//
// Text treats such a mail as history and elides it, which is right when
// showing a reply; Embedded is for the other use, a person forwarding a
// customer's mail to the helpdesk, where the forwarded mail is the content.
type Forward struct {
	Before  string // what was written above it, "" when nothing
	Message string // the embedded mail: its header block and body, unquoted
}

var (
	// Three header fields (maybe with blanks, quotes or a delimiter between
	// them) followed by the body: "From: … Date: … Subject: … To: …".
	reEmbeddedFields = classRE(`(?:h[eqd]*?){3,}[tq]`)
	// Where "before" ends: the blanks, separator and delimiters that
	// introduce the embedded mail are neither before nor in it.
	reBeforeEnd = classRE(`e*(?:b[eqd]*|b*[ed]*)$`)
)

// Embedded finds a mail embedded in body, the way the corpus's embedded/
// and before/ folders expect: the forwarded mail starts at its header block
// (the "---------- Forwarded message ---------" line above it is dropped),
// and Apple Mail's "> Begin forwarded message:" form, where the whole
// forwarded mail is ">"-quoted, is unquoted by one level. It reports false
// when body embeds no mail.
func Embedded(body string) (Forward, bool) {
	lines, _ := prepare(splitLines(body))
	cls := classify(lines, nil)
	p := string(cls)

	start := -1
	var msg []string
	if loc := reEmbeddedFields.FindStringIndex(p); loc != nil {
		start = loc[0]
		msg = lines[start:]
	} else {
		// Apple Mail quotes a forwarded mail: "> Begin forwarded message:".
		for i, c := range cls {
			if c == clsHeader && isForwardSeparator(lines[i]) && i+1 < len(cls) &&
				strings.ContainsAny(p[i+1:], "tq") {
				start = i
				msg = make([]string, 0, len(lines)-i-1)
				for _, l := range lines[i+1:] {
					msg = append(msg, unquoteOnce(l))
				}
				break
			}
		}
	}
	if start < 0 {
		return Forward{}, false
	}
	end := reBeforeEnd.FindStringIndex(p[:start])[0]
	return Forward{Before: trimBlankLines(lines[:end]), Message: trimBlankLines(msg)}, true
}

// isForwardSeparator reports whether line opens a forwarded or original
// message ("Begin forwarded message:", "-----Original Message-----").
func isForwardSeparator(line string) bool {
	return matchForward(line)
}

// unquoteOnce removes one level of ">" quoting.
func unquoteOnce(line string) string {
	t := strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(t, ">") {
		return line
	}
	t = t[1:]
	return strings.TrimPrefix(t, " ")
}
