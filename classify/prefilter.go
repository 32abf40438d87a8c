package classify

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Go's regexp engine runs in time linear in the text, but with a large
// constant for big case-insensitive alternations such as the bounce
// evidence patterns: tens of nanoseconds a byte for each pattern, while
// most texts contain none of their words. A gatedRegexp first checks a
// necessary condition: every match of the pattern contains one of a few
// literals (derived from the pattern's syntax tree), so a text containing
// none of them, compared case-insensitively, cannot match and the regexp is
// not run. When the pattern's matches have a bounded length and no
// assertions (\b, ^, $), a match also lies within that length of the
// literal it contains, so only windows around the literals' occurrences
// are searched. The answer is always the regexp's own on the whole text.

type gatedRegexp struct {
	*regexp.Regexp
	lits  []string // folded (see fold); nil when the pattern has no such set
	width int      // the longest match in bytes; -1 if unbounded or the pattern has assertions
}

// gated compiles expr like regexp.MustCompile and derives its literal gate.
func gated(expr string) gatedRegexp {
	g := gatedRegexp{Regexp: regexp.MustCompile(expr), width: -1}
	if re, err := syntax.Parse(expr, syntax.Perl); err == nil {
		if lits, ok := requiredLiterals(re); ok && !strings.ContainsRune(strings.Join(lits, ""), utf8.RuneError) {
			g.lits = lits
			g.width = maxWidth(re)
		}
	}
	return g
}

// mayMatch reports whether the folded text contains one of the literals;
// false means the pattern cannot match the text folded came from.
func (g gatedRegexp) mayMatch(folded string) bool {
	if g.lits == nil {
		return true
	}
	for _, l := range g.lits {
		if strings.Contains(folded, l) {
			return true
		}
	}
	return false
}

// matchFolded is MatchString(text), where folded, aligned = foldAligned(text).
func (g gatedRegexp) matchFolded(text, folded string, aligned bool) bool {
	if !aligned || g.width < 0 {
		return g.mayMatch(folded) && g.Regexp.MatchString(text)
	}
	// Search the window around each occurrence of each literal, merging
	// windows that overlap; once the windows add up to half the text,
	// search the whole text instead.
	budget := len(text) / 2
	search := func(lo, hi int) (found, ok bool) {
		if budget -= hi - lo + 64; budget < 0 { // 64: the cost of a call
			return false, false
		}
		return g.Regexp.MatchString(text[lo:hi]), true
	}
	for _, l := range g.lits {
		curLo, curHi := 0, -1 // the window being extended
		for from := 0; from < len(folded); {
			i := strings.Index(folded[from:], l)
			if i < 0 {
				break
			}
			i += from
			from = i + 1
			lo, hi := runeStart(text, max(0, i+len(l)-g.width)), runeEnd(text, min(len(text), i+g.width))
			if curHi >= lo {
				curHi = max(curHi, hi)
				continue
			}
			if curHi >= 0 {
				if found, ok := search(curLo, curHi); !ok {
					return g.Regexp.MatchString(text)
				} else if found {
					return true
				}
			}
			curLo, curHi = lo, hi
		}
		if curHi >= 0 {
			if found, ok := search(curLo, curHi); !ok {
				return g.Regexp.MatchString(text)
			} else if found {
				return true
			}
		}
	}
	return false
}

// runeStart moves i back to the start of the rune it falls in.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// runeEnd moves i forward to the start of the next rune.
func runeEnd(s string, i int) int {
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return i
}

// MatchString is regexp.MatchString, skipping the regexp when the gate
// rules a match out.
func (g gatedRegexp) MatchString(text string) bool {
	if g.lits == nil {
		return g.Regexp.MatchString(text)
	}
	folded, aligned := foldAligned(text)
	return g.matchFolded(text, folded, aligned)
}

// maxWidth returns the length in bytes of re's longest match, or -1 when
// it is unbounded or re has assertions (which a window would misjudge at
// its edges).
func maxWidth(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			w := utf8.RuneLen(r)
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					w = max(w, utf8.RuneLen(f))
				}
			}
			n += w
		}
		return n
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return 0
		}
		return utf8.RuneLen(re.Rune[len(re.Rune)-1]) // ranges are sorted
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return maxWidth(re.Sub[0])
	case syntax.OpRepeat:
		if w := maxWidth(re.Sub[0]); w >= 0 && re.Max >= 0 {
			return w * re.Max
		}
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, sub := range re.Sub {
			w := maxWidth(sub)
			if w < 0 {
				return -1
			}
			if re.Op == syntax.OpConcat {
				total += w
			} else {
				total = max(total, w)
			}
		}
		return total
	}
	return -1 // star, plus, assertions
}

// maxGateLits bounds the literal set: checking many literals would cost
// more than it saves.
const maxGateLits = 48

// requiredLiterals returns folded strings one of which every match of re
// contains, and whether there is such a set. Any choice is correct; the
// longest literals are preferred, since they are the rarest.
func requiredLiterals(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return nil, false
		}
		return []string{fold(string(re.Rune))}, true
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			lits, ok := requiredLiterals(sub)
			if !ok {
				return nil, false
			}
			all = append(all, lits...)
		}
		if len(all) > maxGateLits {
			return nil, false
		}
		return all, true
	case syntax.OpConcat:
		// A match contains a match of every element; runs of adjacent
		// literals are one longer literal.
		var best []string
		consider := func(lits []string) {
			if lits != nil && (best == nil || gateScore(lits) > gateScore(best)) {
				best = lits
			}
		}
		var run strings.Builder
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				run.WriteString(string(sub.Rune))
				continue
			}
			if run.Len() > 0 {
				consider([]string{fold(run.String())})
				run.Reset()
			}
			if lits, ok := requiredLiterals(sub); ok {
				consider(lits)
			}
		}
		if run.Len() > 0 {
			consider([]string{fold(run.String())})
		}
		return best, best != nil
	}
	return nil, false
}

// gateScore ranks literal sets: longer shortest literal first, then fewer
// literals.
func gateScore(lits []string) int {
	short := len(lits[0])
	for _, l := range lits {
		short = min(short, len(l))
	}
	return short*1000 - len(lits)
}

// fold maps every rune of s to the smallest rune of its case-folding orbit
// (unicode.SimpleFold), the equivalence (?i) matches by, and keeps bytes
// that are not UTF-8 as they are. So if a pattern literal matches a piece
// of s, fold(literal) occurs in fold(s): a literal is valid UTF-8 and,
// gated refuses U+FFFD (which the regexp engine reads invalid bytes as),
// so it cannot occur across a byte kept raw. For ASCII this is upper-casing.
func fold(s string) string {
	f, _ := foldAligned(s)
	return f
}

// foldAligned is fold, also reporting whether every rune kept its length,
// so that byte i of the result comes from byte i of s (true unless s has
// one of the rare length-changing folds, such as ſ to S).
func foldAligned(s string) (string, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return asciiUpper(s), true
	}
	var b strings.Builder
	b.Grow(len(s))
	aligned := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteByte(s[i])
		} else if f := foldRune(r); f == r {
			b.WriteString(s[i : i+n])
		} else if b.WriteRune(f); utf8.RuneLen(f) != n {
			aligned = false
		}
		i += n
	}
	return b.String(), aligned
}

func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'a' <= b[j] && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}
