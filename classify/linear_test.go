package classify

import (
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"regexp"
	"regexp/syntax"
	"runtime"
	"strings"
	"testing"
	"unicode"
)

// The hand-written scanners replaced regexps that were slow or quadratic;
// these tests hold them to the regexps' exact answers, and hold Classify to
// work that grows linearly with the input, measured without a clock.

// Reference regexps, as they were before being replaced.
var (
	refTags        = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<br\s*/?>|</(p|div|tr|li|h\d)>|<[^>]*>`)
	refHeaderStart = regexp.MustCompile(`(?m)^(Return-Path|Received|Message-I[dD]|DKIM-Signature|X-Original-To|Delivered-To):`)
)

func refStripTags(s string) string {
	s = refTags.ReplaceAllStringFunc(s, func(t string) string {
		lt := strings.ToLower(t)
		if strings.HasPrefix(lt, "<br") || strings.HasPrefix(lt, "</") {
			return "\n"
		}
		return ""
	})
	return reEntities.Replace(s)
}

// randomText joins n random pieces.
func randomText(r *rand.Rand, pieces []string, n int) string {
	var b strings.Builder
	for range r.IntN(n) + 1 {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func TestStripTagsMatchesRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"<", ">", "<script>", "<script a='1'>", "</script>", "<style>", "</style>", "<SCRIPT>", "<br>", "<BR/>",
		"<br />", "<bR", "</p>", "</div>", "<p>", "<b>", "x", " ", "\n", "&amp;", "&nbsp;", "é", "\xff", "</", "<scriptx>", "<stylesheet"}
	for i := 0; i < 10000; i++ {
		s := randomText(r, pieces, 30)
		if got, want := stripTags(s), refStripTags(s); got != want {
			t.Fatalf("stripTags(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestFindAddrsMatchesRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "B", "7", "@", ".", "-", "+", "_", " ", "<", ">", "\n", "é", "\xff", "x@y.z", "@@", ".."}
	for i := 0; i < 50000; i++ {
		s := randomText(r, pieces, 25)
		got, want := findAddrs(s), reAddr.FindAllStringIndex(s, -1)
		if len(got) != 0 || len(want) != 0 {
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("findAddrs(%q) = %v, want %v", s, got, want)
			}
		}
	}
}

func TestHeaderStartMatchesRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"Received:", "Received :", "received:", "Message-Id:", "Message-ID:", "Message-id:", "Return-Path:",
		"DKIM-Signature:", "X-Original-To:", "Delivered-To:", "Delivered", "\n", "\r\n", " ", "x", ">"}
	for i := 0; i < 20000; i++ {
		s := randomText(r, pieces, 12)
		want := -1
		if loc := refHeaderStart.FindStringIndex(s); loc != nil {
			want = loc[0]
		}
		if got := headerStart(s); got != want {
			t.Fatalf("headerStart(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestBodyMessageIDMatchesRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"Message-ID", "message-id", "MESSAGE-Id", "Meſſage-ID", ":", " ", "\t", ">", "<a@b>", "<x", "a@b", "@", "\n", "\r\n", "é", "\xff", "x"}
	for i := 0; i < 30000; i++ {
		s := randomText(r, pieces, 14)
		want, wantOK := "", false
		if sm := reBodyMessageID.FindStringSubmatch(s); sm != nil {
			want, wantOK = sm[1], true
		}
		if got, ok := bodyMessageID(s); got != want || ok != wantOK {
			t.Fatalf("bodyMessageID(%q) = %q, %v, want %q, %v", s, got, ok, want, wantOK)
		}
	}
}

// TestGatesAreNecessary: a gated regexp answers as the plain regexp does:
// its literal gate never rules out a text the regexp matches, and the
// windows it searches around the literals find every match. The texts
// join random matches generated from each pattern's syntax tree (in random
// case, with fold-equivalent runes such as ſ for s and K for k) and
// random noise, long and multi-byte enough to cut windows anywhere.
func TestGatesAreNecessary(t *testing.T) {
	gates := map[string]gatedRegexp{"transient": reTransient, "marker": reMarkerWords}
	for _, e := range proseEvidence {
		gates[e.name] = e.re
	}
	r := rand.New(rand.NewPCG(9, 10))
	noise := []string{"", " ", "x", "\n", "é", "日本", "\xff", "\xe6\x97", "550 5.1.1 ", "<a@b.c>", strings.Repeat("z", 40), strings.Repeat("ſ", 30)}
	for name, g := range gates {
		if g.lits == nil {
			t.Errorf("%s: no literal gate derived", name)
			continue
		}
		tree, err := syntax.Parse(g.String(), syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		matched := 0
		for i := 0; i < 1500; i++ {
			var b strings.Builder
			for range r.IntN(3) + 1 {
				b.WriteString(noise[r.IntN(len(noise))])
				var m strings.Builder
				genMatch(r, tree, &m)
				piece := m.String()
				if r.IntN(3) == 0 && len(piece) > 1 { // a near miss
					piece = piece[:r.IntN(len(piece))]
				}
				b.WriteString(piece)
				b.WriteString(noise[r.IntN(len(noise))])
			}
			s := b.String()
			want := g.Regexp.MatchString(s)
			if want {
				matched++
				if !g.mayMatch(fold(s)) {
					t.Fatalf("%s: the gate rules out %q, which the regexp matches", name, s)
				}
			}
			if got := g.MatchString(s); got != want {
				t.Fatalf("%s: gated match of %q = %v, the regexp says %v", name, s, got, want)
			}
		}
		if matched < 500 {
			t.Errorf("%s: only %d of 1500 generated texts match", name, matched)
		}
	}
	if fold("ſtatus \u212aey é") != fold("STATUS key É") {
		t.Errorf("fold does not follow simple case folding")
	}
}

// genMatch writes a random text that re matches, but for assertions.
func genMatch(r *rand.Rand, re *syntax.Regexp, b *strings.Builder) {
	reps := func(lo, hi int) int {
		if hi < 0 || hi > lo+2 {
			hi = lo + 2
		}
		return lo + r.IntN(hi-lo+1)
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				orbit := []rune{c}
				for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
					orbit = append(orbit, f)
				}
				c = orbit[r.IntN(len(orbit))]
			}
			b.WriteRune(c)
		}
	case syntax.OpCharClass:
		i := 2 * r.IntN(len(re.Rune)/2)
		lo, hi := re.Rune[i], min(re.Rune[i+1], re.Rune[i]+100)
		b.WriteRune(lo + rune(r.IntN(int(hi-lo)+1)))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('x')
	case syntax.OpCapture:
		genMatch(r, re.Sub[0], b)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, -1
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
		}
		for range reps(lo, hi) {
			genMatch(r, re.Sub[0], b)
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			genMatch(r, sub, b)
		}
	case syntax.OpAlternate:
		genMatch(r, re.Sub[r.IntN(len(re.Sub))], b)
	}
}

// countingReader counts the runes a regexp reads.
type countingReader struct {
	r *strings.Reader
	n int
}

func (c *countingReader) ReadRune() (rune, int, error) {
	r, size, err := c.r.ReadRune()
	if err == nil {
		c.n++
	}
	return r, size, err
}

// findAllReads finds every match of re in s, as FindAll does, and returns
// how many runes the regexp engine read in all. It is the engine's work,
// counted: a search reads ahead until it knows the leftmost match.
func findAllReads(re *regexp.Regexp, s string) int {
	total := 0
	for pos := 0; pos < len(s); {
		c := &countingReader{r: strings.NewReader(s[pos:])}
		loc := re.FindReaderIndex(c)
		total += c.n
		if loc == nil {
			break
		}
		pos += max(loc[1], loc[0]+1)
	}
	return total
}

var _ io.RuneReader = (*countingReader)(nil)

// TestRepeatedSearchesAreLinear: regexps the package runs repeatedly over
// one text (FindAll) must not read far past each match, or the work is
// quadratic. The old tag regexp is the control: it did.
func TestRepeatedSearchesAreLinear(t *testing.T) {
	const small, large = 2 << 10, 8 << 10
	superLinear := func(re *regexp.Regexp, unit string) (bool, string) {
		a, b := findAllReads(re, repeatTo(unit, small)), findAllReads(re, repeatTo(unit, large))
		return b > 6*a+large, fmt.Sprintf("%d runes read for %d bytes, %d for %d", a, small, b, large)
	}
	if bad, msg := superLinear(refTags, "<script>"); !bad {
		t.Fatalf("the quadratic control does not show as such: %s", msg)
	}
	for _, c := range []struct {
		re   *regexp.Regexp
		unit string
	}{
		{reAddr, "a@b "}, {reAddr, "a.b-c+d@e-f.g"}, {reAddr, "a@"}, {reAddr, "a@b.c."},
		{reStatus, "5.1.1 "}, {reStatus, "5.1.1"}, {reReplyWithStatus, "550 5.1.1 "}, {reReplyWithStatus, "550 - "},
		{reCodeLine, "550 "}, {reCodeLine, ":550"}, {reSESRecipient, `"emailAddress":"a@b.c","action":"x",`},
		{reSESRecipient, `"emailAddress":"a"`},
	} {
		if bad, msg := superLinear(c.re, c.unit); bad {
			t.Errorf("%s on %q repeated: %s", c.re, c.unit, msg)
		}
	}
}

// TestClassifyWorkIsLinear: for every pathological shape, the memory
// Classify allocates per input byte must not grow with the input: from
// 64 KB to 256 KB to 1 MB to 3 MB it stays level or falls, as caps leave
// most of a huge body unread (a cap reached can add a step, hence the
// slack; quadratic work would multiply it by four at each size). The
// verdicts at 1 MB and 3 MB must agree. Time is left to
// BenchmarkClassifyPathological: allocation is counted, not timed.
func TestClassifyWorkIsLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few hundred MB")
	}
	perByte := func(raw []byte) (float64, Result) {
		var before, after runtime.MemStats
		var r Result
		runtime.ReadMemStats(&before)
		const runs = 2
		for range runs {
			r = classifyRaw(raw, "")
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / runs / float64(len(raw)), r
	}
	sizes := []int{64 << 10, 256 << 10, 1 << 20, 3 << 20}
	for _, s := range pathologicalShapes {
		per := make([]float64, len(sizes))
		verdict := make([]Result, len(sizes))
		for i, n := range sizes {
			per[i], verdict[i] = perByte(s.gen(n))
		}
		t.Logf("%-22s B/byte at 64 KB..3 MB: %.2f", s.name, per)
		for i := 1; i < len(sizes); i++ {
			if per[i] > 2*per[i-1]+8 {
				t.Errorf("%s: allocation per byte grows with size: %.2f at %d KB, %.2f at %d KB",
					s.name, per[i-1], sizes[i-1]>>10, per[i], sizes[i]>>10)
			}
		}
		if !reflect.DeepEqual(verdict[2], verdict[3]) {
			t.Errorf("%s: the verdict depends on the size beyond 1 MB: %+v vs %+v", s.name, verdict[2], verdict[3])
		}
	}
}
