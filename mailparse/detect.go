package mailparse

import (
	"bytes"
	"unicode/utf8"

	"github.com/gogs/chardet"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// Charset detection for text whose declared charset is doubtful: none,
// us-ascii or utf-8 while the bytes are not valid UTF-8, or a Western
// single-byte label (ISO-8859-1, windows-1252, ...) on bytes that do not read
// like Western text. Every byte sequence "fits" Latin-1, so fitting is a
// plausibility test: each candidate reading is scored, the declared
// (or windows-1252) reading wins ties, and a multi-byte reading must decode
// cleanly and consist mostly of common characters to be chosen.
//
// The scores are structural (which rows of each charset's table the
// characters fall in: kana, the first level of hanzi or kanji, punctuation),
// which works on a subject of a few characters. Where several CJK readings
// are clean, a long text is judged by github.com/gogs/chardet, a port of
// ICU's detector whose per-charset lists of the most common characters tell
// GB18030 from Big5 and EUC-KR statistically; it is the detector the Go
// module proxy serves (golang.org/x/net/html/charset only reads BOMs and
// <meta> labels, which sniffHTMLCharset already does). It is consulted only
// on this doubtful path, never for valid UTF-8 or ASCII.

// detectLimit bounds the bytes scored and handed to the detector, so a huge
// doubtful body costs no more than its decoding.
const detectLimit = 256 << 10

// chardetMin is the number of double-byte characters from which ICU's
// frequency statistics mean something (its recognisers give every clean
// input of ten characters or fewer the same confidence).
const chardetMin = 11

// chardetBytes is the prefix of a doubtful text the detector reads.
const chardetBytes = 4 << 10

type cjkCandidate struct {
	name  string // as reported in Problems
	icu   string // gogs/chardet's name for it
	enc   encoding.Encoding
	score func(b []byte, limit int) (score, chars, bad int) // stops past limit invalid sequences
}

// cjkCandidates in order of preference on equal scores, the more common in
// mail first.
var cjkCandidates = []cjkCandidate{
	{"GB18030", "GB18030", simplifiedchinese.GB18030, scoreGB},
	{"Shift_JIS", "Shift_JIS", japanese.ShiftJIS, scoreSJIS},
	// EUC-JP before Big5: on equal scores (kana rows A4 and A5 are common
	// hanzi in Big5) the text is Japanese, for Big5 text is rarely valid
	// EUC-JP at all (its trail bytes 0x40-0x7E are not).
	{"EUC-JP", "EUC-JP", japanese.EUCJP, scoreEUCJP},
	{"Big5", "Big5", traditionalchinese.Big5, scoreBig5},
	{"EUC-KR", "EUC-KR", korean.EUCKR, scoreEUCKR},
}

// isWesternLabel: labels whose text is mostly ASCII letters with isolated
// accented letters, the ones mailers put on CJK text by default. Cyrillic,
// Greek and other single-byte charsets are runs of high bytes by nature and
// are trusted as declared.
func isWesternLabel(cs string) bool {
	switch cs {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819",
		"iso-8859-15", "iso8859-15", "latin-9", "latin9",
		"windows-1252", "cp1252", "x-cp1252":
		return true
	}
	return false
}

// hasISO2022JP reports ISO-2022-JP escape sequences (RFC 1468) in 7-bit
// text: ESC $ B or ESC $ @ switch to JIS X 0208.
func hasISO2022JP(b []byte) bool {
	i := bytes.IndexByte(b, 0x1b)
	if i < 0 {
		return false
	}
	return bytes.Contains(b[i:], []byte("\x1b$B")) || bytes.Contains(b[i:], []byte("\x1b$@"))
}

func decodeWith(enc encoding.Encoding, b []byte) []byte {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return nil
	}
	if !utf8.Valid(out) {
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	return out
}

// decodeISO2022JP decodes 7-bit text with ISO-2022-JP escapes, or returns nil.
func decodeISO2022JP(b []byte) []byte {
	if hasNonASCII(b) {
		return nil
	}
	return decodeWith(japanese.ISO2022JP, b)
}

// latinScore scores b read as windows-1252: an accented letter next to an
// ASCII letter (inside a word) scores 3, more than any CJK character, other
// accented letters 2, other printable characters 1; bytes in runs of three
// or more high bytes score -1 (Western words rarely hold three in a row, CJK
// text is made of such runs), undefined positions -3, and the few that
// Western text hardly uses but that lead Shift_JIS kana (‚ ƒ) 0. plain
// reports that every high byte scored above 0: the text reads as Western
// text with no doubt and is not looked at further.
func latinScore(b []byte) (score int, plain bool) {
	plain = true
	for i := 0; i < len(b); {
		if b[i] < 0x80 {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] >= 0x80 {
			j++
		}
		if j-i >= 3 {
			score -= j - i
			plain = false
			i = j
			continue
		}
		for ; i < j; i++ {
			s := latinByte(b[i])
			if s == 2 && (i > 0 && isASCIILetter(b[i-1]) || i+1 < len(b) && isASCIILetter(b[i+1])) {
				s = 3
			}
			score += s
			if s <= 0 {
				plain = false
			}
		}
	}
	return score, plain
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func latinByte(c byte) int {
	switch {
	case c >= 0xC0 && c != 0xD7 && c != 0xF7, c == 0xB5, c == 0xAA, c == 0xBA:
		return 2
	case c >= 0xA0:
		return 1
	}
	switch c {
	case 0x81, 0x8D, 0x8F, 0x90, 0x9D:
		return -3
	case 0x82, 0x83, 0x88, 0x89:
		return 0
	}
	return 1
}

func in(c, lo, hi byte) bool { return c >= lo && c <= hi }

// scoreGB scores b as GBK/GB18030: GB2312 level-1 hanzi 2, level 2 and
// punctuation 1, kana and other GB2312 symbols 0, GBK extensions and
// four-byte sequences -1.
func scoreGB(b []byte, limit int) (score, chars, bad int) {
	for i := 0; i < len(b) && bad <= limit; {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		if c == 0x80 || c == 0xFF || i+1 >= len(b) {
			bad++
			i++
			continue
		}
		t := b[i+1]
		if in(t, 0x30, 0x39) {
			if i+3 < len(b) && in(b[i+2], 0x81, 0xFE) && in(b[i+3], 0x30, 0x39) {
				chars++
				score--
				i += 4
				continue
			}
			bad++
			i++
			continue
		}
		if !in(t, 0x40, 0x7E) && !in(t, 0x80, 0xFE) {
			bad++
			i++
			continue
		}
		chars++
		i += 2
		switch {
		case t < 0xA1:
			score-- // GBK extension
		case in(c, 0xB0, 0xD7):
			score += 2
		case in(c, 0xD8, 0xF7), c == 0xA1, c == 0xA3:
			score++
		case in(c, 0xA4, 0xA9):
		default:
			score--
		}
	}
	return score, chars, bad
}

// scoreBig5: level-1 hanzi 2, level 2 and symbols 1, the rest -1.
func scoreBig5(b []byte, limit int) (score, chars, bad int) {
	for i := 0; i < len(b) && bad <= limit; {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		if !in(c, 0x81, 0xFE) || i+1 >= len(b) || !in(b[i+1], 0x40, 0x7E) && !in(b[i+1], 0xA1, 0xFE) {
			bad++
			i++
			continue
		}
		code := uint16(c)<<8 | uint16(b[i+1])
		chars++
		i += 2
		switch {
		case code >= 0xA440 && code <= 0xC67E:
			score += 2
		case code >= 0xC940 && code <= 0xF9D5, code >= 0xA140 && code <= 0xA3BF:
			score++
		default:
			score--
		}
	}
	return score, chars, bad
}

// scoreSJIS: kana and level-1 kanji 2, level 2, punctuation and full-width
// letters 1, half-width katakana and vendor or user areas -1.
func scoreSJIS(b []byte, limit int) (score, chars, bad int) {
	for i := 0; i < len(b) && bad <= limit; {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		if in(c, 0xA1, 0xDF) {
			chars++
			score--
			i++
			continue
		}
		if !in(c, 0x81, 0x9F) && !in(c, 0xE0, 0xFC) || i+1 >= len(b) || !in(b[i+1], 0x40, 0x7E) && !in(b[i+1], 0x80, 0xFC) {
			bad++
			i++
			continue
		}
		t := b[i+1]
		code := uint16(c)<<8 | uint16(t)
		chars++
		i += 2
		switch {
		case c == 0x82 && in(t, 0x9F, 0xF1), c == 0x83 && in(t, 0x40, 0x96), code >= 0x889F && code <= 0x9872:
			score += 2
		case c == 0x81 && in(t, 0x40, 0xAC), c == 0x82 && in(t, 0x4F, 0x9A), code >= 0x989F && code <= 0xEAA4:
			score++
		default:
			score--
		}
	}
	return score, chars, bad
}

// scoreEUCJP: kana and level-1 kanji 2, level 2, punctuation and full-width
// letters 1, other JIS X 0208 symbols 0, half-width kana, JIS X 0212 and
// unassigned rows -1.
func scoreEUCJP(b []byte, limit int) (score, chars, bad int) {
	for i := 0; i < len(b) && bad <= limit; {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		switch {
		case c == 0x8E && i+1 < len(b) && in(b[i+1], 0xA1, 0xDF):
			chars++
			score--
			i += 2
		case c == 0x8F && i+2 < len(b) && in(b[i+1], 0xA1, 0xFE) && in(b[i+2], 0xA1, 0xFE):
			chars++
			score--
			i += 3
		case in(c, 0xA1, 0xFE) && i+1 < len(b) && in(b[i+1], 0xA1, 0xFE):
			chars++
			i += 2
			switch {
			case c == 0xA4, c == 0xA5, in(c, 0xB0, 0xCF):
				score += 2
			case in(c, 0xA1, 0xA3), in(c, 0xD0, 0xF4):
				score++
			case in(c, 0xA6, 0xA8):
			default:
				score--
			}
		default:
			bad++
			i++
		}
	}
	return score, chars, bad
}

// scoreEUCKR: Hangul syllables 2, hanja and symbols 1, the rest -1.
func scoreEUCKR(b []byte, limit int) (score, chars, bad int) {
	for i := 0; i < len(b) && bad <= limit; {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		if !in(c, 0xA1, 0xFE) || i+1 >= len(b) || !in(b[i+1], 0xA1, 0xFE) {
			bad++
			i++
			continue
		}
		chars++
		i += 2
		switch {
		case in(c, 0xB0, 0xC8):
			score += 2
		case in(c, 0xCA, 0xFD), in(c, 0xA1, 0xAC):
			score++
		default:
			score--
		}
	}
	return score, chars, bad
}

// maxBad is the most invalid sequences a clean reading of b can hold (it
// has at most len(b)/2 characters, see cleanReading): scoring a reading
// stops beyond it.
func maxBad(b []byte) int { return len(b) / 100 }

// cleanReading: characters and no invalid sequence, or (in a long text cut
// at an arbitrary place, or with a stray byte) one in fifty characters.
func cleanReading(chars, bad int) bool {
	return chars > 0 && (bad == 0 || chars >= 50 && bad*50 <= chars)
}

// guessCJK returns the CJK charset b most plausibly is, when that reading
// beats base (the score of the reading it would otherwise get), or "" when
// none does. Its decoded form is returned with it.
func guessCJK(b []byte, base int) (name string, out []byte) {
	sample := b
	if len(sample) > detectLimit {
		sample = sample[:detectLimit]
	}
	type scored struct {
		c            *cjkCandidate
		score, chars int
	}
	var clean []scored
	for i := range cjkCandidates {
		c := &cjkCandidates[i]
		score, chars, bad := c.score(sample, maxBad(sample))
		if !cleanReading(chars, bad) {
			continue
		}
		// Mostly common characters, at least two of them, and better than
		// the single-byte reading.
		if score < chars || score < 4 || score <= base {
			continue
		}
		clean = append(clean, scored{c, score, chars})
	}
	if len(clean) == 0 {
		return "", nil
	}
	best, second := clean[0], scored{}
	for _, s := range clean[1:] {
		if s.score > best.score {
			best, second = s, best
		} else if s.score > second.score {
			second = s
		}
	}
	// Close structural scores (within a tenth) are settled by frequency
	// statistics, on a prefix: they settle within a few hundred characters,
	// and the detector costs some 40 recognisers a call.
	if second.c != nil && second.score*10 >= best.score*9 && best.chars >= chardetMin {
		icu := sample
		if len(icu) > chardetBytes {
			icu = icu[:chardetBytes]
			for len(icu) > 0 && icu[len(icu)-1] >= 0x80 {
				icu = icu[:len(icu)-1] // not in the middle of a character
			}
		}
		if rs, err := chardet.NewTextDetector().DetectAll(icu); err == nil {
		pick:
			for _, r := range rs { // sorted by confidence
				for _, s := range clean {
					if s.c.icu == r.Charset && r.Confidence > 10 {
						best = s
						break pick
					}
				}
			}
		}
	}
	out = decodeWith(best.c.enc, b)
	if out == nil {
		return "", nil
	}
	return best.c.name, out
}

// utf8Stats counts the valid multi-byte UTF-8 sequences and the bytes that
// are not part of any valid sequence.
func utf8Stats(b []byte) (multi, invalid int) {
	for i := 0; i < len(b); {
		if b[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			invalid++
		} else {
			multi++
		}
		i += n
	}
	return multi, invalid
}

// decodeMixedUTF8 reads b as UTF-8 where it is valid and each stray byte as
// windows-1252: UTF-8 text with a few bytes from elsewhere (a Latin-1
// signature pasted in, a truncated sequence) keeps its accents instead of
// turning them all into mojibake.
func decodeMixedUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			out = append(out, decode1252Bytes(b[i:i+1])...)
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

// guessInvalidUTF8 decodes 8-bit text that was declared (or defaulted to)
// UTF-8 or US-ASCII but is not valid UTF-8: mostly UTF-8 with stray bytes,
// else a CJK charset that fits, else windows-1252. how names what was done.
func guessInvalidUTF8(b []byte) (out []byte, how string) {
	multi, invalid := utf8Stats(b)
	// CJK text in a legacy charset forms a valid UTF-8 sequence by chance for
	// one in three or fewer of its invalid bytes.
	if multi > 0 && multi >= invalid {
		return decodeMixedUTF8(b), "decoded as UTF-8, the invalid bytes as windows-1252"
	}
	latin, _ := latinScore(b)
	if name, dec := guessCJK(b, latin); name != "" {
		return dec, "guessed " + name + " from the content"
	}
	return decode1252Bytes(b), "decoded as windows-1252"
}

// cjkLabels maps labels of legacy CJK charsets to the candidate that scores
// them.
var cjkLabels = map[string]string{
	"gb2312": "GB18030", "gbk": "GB18030", "gb18030": "GB18030", "x-gbk": "GB18030", "cp936": "GB18030",
	"euc-cn": "GB18030", "csgb2312": "GB18030",
	"big5": "Big5", "big5-hkscs": "Big5", "x-big5": "Big5", "cp950": "Big5", "csbig5": "Big5",
	"shift_jis": "Shift_JIS", "shift-jis": "Shift_JIS", "sjis": "Shift_JIS", "x-sjis": "Shift_JIS",
	"windows-31j": "Shift_JIS", "cp932": "Shift_JIS", "ms_kanji": "Shift_JIS", "csshiftjis": "Shift_JIS",
	"euc-jp": "EUC-JP", "x-euc-jp": "EUC-JP",
	"euc-kr": "EUC-KR", "ks_c_5601-1987": "EUC-KR", "ks_c_5601": "EUC-KR", "cp949": "EUC-KR",
	"windows-949": "EUC-KR", "cseuckr": "EUC-KR",
}

// checkDeclaredCJK decides whether text labelled with a legacy CJK charset
// fits it. It does not (ok, with out decoded and a note) when the bytes are
// UTF-8 — multi-byte sequences a legacy CJK text forms only by chance, so
// at least three of them, or two of three bytes each — or when they hold
// invalid sequences of the declared charset and another reading is clean.
// A clean reading of the declared charset is trusted, however it scores:
// GBK accepts almost any byte pair, and half-width kana score low.
// owned is as for charsetBytes: false when out is b itself.
func checkDeclaredCJK(b []byte, cs string) (out []byte, owned bool, note string, ok bool) {
	name, isCJK := cjkLabels[cs]
	if !isCJK || !hasNonASCII(b) {
		return nil, false, "", false
	}
	if utf8.Valid(b) {
		multi, _ := utf8Stats(b)
		wide := 0
		for _, c := range b {
			if c >= 0xE0 {
				wide++
			}
		}
		if multi >= 3 || multi == 2 && wide == 2 {
			return b, false, doubtNote(cs, "is valid UTF-8, decoded as UTF-8"), true
		}
		return nil, false, "", false
	}
	sample := b
	if len(sample) > detectLimit {
		sample = sample[:detectLimit]
	}
	for i := range cjkCandidates {
		if c := &cjkCandidates[i]; c.name == name {
			if _, chars, bad := c.score(sample, maxBad(sample)); cleanReading(chars, bad) {
				return nil, false, "", false
			}
		}
	}
	if guess, dec := guessCJK(b, 0); guess != "" {
		return dec, true, doubtNote(cs, "does not fit it and reads as "+guess+", guessed from the content"), true
	}
	return nil, false, "", false
}
