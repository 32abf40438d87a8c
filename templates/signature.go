package templates

import (
	"strings"
	"unicode"
)

// MaxSignature bounds an agent's signature: bytes, and lines.
const (
	MaxSignature      = 1000
	MaxSignatureLines = 8
)

// Signed tells whether an agent's message to a customer signs itself already — it ends with the
// agent's name (or first name, or the first line of their own signature), or it holds a "-- "
// signature block — so that the template adds no second signature under it.
func (d Data) Signed() bool {
	name := d.Actor.Name
	if name == "" {
		name = d.Message.From.Name
	}
	return signsItself(d.Message.Text, name, d.AgentSignature)
}

// signsItself tells whether an agent's text carries its own signature.
func signsItself(text, agentName, sig string) bool {
	lines := strings.Split(unixNewlines(text), "\n")
	for _, l := range lines {
		if strings.TrimRight(l, " \t") == "--" {
			return true // the RFC 3676 separator, "-- ", its space often lost
		}
	}
	last := ""
	for i := len(lines) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" {
			last = t
			break
		}
	}
	last = normName(last)
	if last == "" {
		return false
	}
	first, _, _ := strings.Cut(strings.TrimSpace(unixNewlines(sig)), "\n")
	name := normName(agentName)
	given, _, _ := strings.Cut(name, " ")
	for _, n := range []string{name, given, normName(first)} {
		if n != "" && (last == n || strings.HasSuffix(last, " "+n)) {
			return true
		}
	}
	return false
}

// normName lower-cases a line and drops the punctuation around it ("— Alice." is "alice").
func normName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r) })
	return strings.Join(strings.Fields(s), " ")
}
