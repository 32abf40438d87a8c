package replytrim

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Signatures come in two kinds:
//
//   - a delimiter line ("-- ", "--", "__", "====", Gmail's lone "ᐧ" tracking
//     mark) after which everything is signature, disclaimer or a copied
//     message: the reply ends there (see isDelimiter);
//   - one-line "sent from" footers that phones and mail apps append
//     ("Sent from my iPhone", "Get Outlook for iOS", "Envoyé depuis mon
//     iPhone"…): only those lines are removed (see isMobileSignature).

// delimiterRunes are the characters a delimiter line is drawn with.
const delimiterRunes = "-_=+~#*,ᐧ"

// isDelimiter reports whether line is a signature/separator delimiter:
// only delimiter characters and blanks, at least two of them ("-" or "*"
// alone are bullets, not delimiters), or Gmail's lone "ᐧ".
func isDelimiter(line string) bool {
	n := 0
	for _, r := range line {
		switch {
		case r == ' ' || r == '\t' || r == '\u00a0':
		case strings.ContainsRune(delimiterRunes, r):
			if r == 'ᐧ' {
				n++ // one is enough: Gmail adds it alone on its line
			}
			n++
		default:
			return false
		}
	}
	return n >= 2
}

// mobileSignatureREs match the one-line footers of phone and desktop mail
// apps. They are anchored at the start of the line and the line must be
// short (maxSignatureLen), so a sentence that merely begins with "Sent from"
// is not mistaken for one; see also the position rule in markSignatures.
var mobileSignatureREs = []*regexp.Regexp{
	// English: "Sent from my iPhone", "Sent via mobile", "Sent with Airmail",
	// "<<sent by galaxy>>", "(Sent from mobile device)", "Sent using …".
	regexp.MustCompile(`(?i)^[(<\[]*\s*sent (?:from|via|with|by|using|on) \S`),
	// "Nik from mobile", "From My Iphone 6".
	regexp.MustCompile(`(?i)^\p{L}+ from (?:my )?mobile\b`),
	regexp.MustCompile(`(?i)^from my \S.{0,24}$`),
	// Outlook mobile: "Get Outlook for iOS", "Get [Outlook for Android](…)".
	regexp.MustCompile(`(?i)^get \[?outlook for (?:ios|android)`),
	// French: "Envoyé depuis mon iPhone", "Envoyé de mon iPad", "Envoyé à partir de …".
	regexp.MustCompile(`(?i)^envoy[ée] (?:depuis|de|à partir de|avec|par) \S`),
	// German: "Von meinem Mobilgerät gesendet", "Gesendet von meinem iPhone",
	// "Diese Nachricht wurde von meinem Android-Mobiltelefon mit K-9 Mail gesendet."
	regexp.MustCompile(`(?i)^von meinem .{1,60}gesendet`),
	regexp.MustCompile(`(?i)^gesendet (?:von|mit|über) \S`),
	regexp.MustCompile(`(?i)^diese nachricht wurde von .{1,80}gesendet`),
	// Spanish / Portuguese: "Enviado desde mi iPhone", "Enviado do meu iPhone".
	regexp.MustCompile(`(?i)^enviado (?:desde|do|de|com|con|a partir) \S`),
	// Italian: "Inviato da iPhone", "Inviato dal mio smartphone".
	regexp.MustCompile(`(?i)^inviato (?:da|dal|con) \S`),
	// Dutch: "Verzonden met BlackBerry Work", "Verzonden vanaf mijn iPhone".
	regexp.MustCompile(`(?i)^verzonden (?:met|vanaf|van|via) \S`),
	// Scandinavian: "Skickat från min iPhone", "Sendt fra min iPad".
	regexp.MustCompile(`(?i)^(?:skickat|sendt) (?:från|fra) \S`),
	// Polish, Czech, Finnish, Russian, Turkish.
	regexp.MustCompile(`(?i)^(?:wysłane|wysłano) (?:z|ze|przez) \S`),
	regexp.MustCompile(`(?i)^odesláno z \S`),
	regexp.MustCompile(`(?i)^lähetetty \S+(?:sta|stä)\b`),
	regexp.MustCompile(`(?i)^отправлено (?:с|из|через) \S`),
	regexp.MustCompile(`(?i)^\S+ (?:'dan|'den|'tan|'ten) gönderildi`),
	// Chinese and Japanese: "從我的 iPhone 傳送", "发自我的iPhone", "iPhoneから送信".
	regexp.MustCompile(`^(?:從我的|发自我的|寄自我的).{1,30}`),
	regexp.MustCompile(`^.{1,30}から送信$`),
}

// signatureWords are the words one of which starts every footer that
// mobileSignatureREs match (lower case), except Japanese "…から送信" which
// ends the line.
var signatureWords = []string{"sent", "from", "get ", "envoy", "von ", "gesendet", "diese", "enviado", "inviato", "verzonden", "skickat", "sendt", "wysłan", "odesl", "lähetetty", "отправлено", "gönderildi", "從我的", "发自", "寄自"}

// maxSignatureLen bounds a "sent from" footer: they are short, a longer
// line is a sentence of the reply.
const maxSignatureLen = 100

// isMobileSignature reports whether line looks like a "sent from" footer.
// Quoted lines never are: they belong to the quoted text.
func isMobileSignature(line string) bool {
	s := strings.TrimSpace(line)
	if s == "" || utf8.RuneCountInString(s) > maxSignatureLen || s[0] == '>' {
		return false
	}
	// Every footer starts with one of a few words: test them before the patterns.
	head := strings.ToLower(s[:min(len(s), 48)])
	if !containsAny(head, signatureWords) && !strings.HasSuffix(s, "から送信") {
		return false
	}
	for _, re := range mobileSignatureREs {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// inSentence reports whether the "sent from" footer on line i is a piece of
// a sentence rather than a footer on its own: the line goes on with words a
// footer never holds ("Sent from my iPhone the upload fails"), or it
// continues a sentence wrapped from the line above ("The photos I\nsent from
// my iPhone never arrived").
func inSentence(lines []string, i int) bool {
	s := strings.TrimSpace(lines[i])
	if r, _ := utf8.DecodeRuneInString(s); unicode.IsLower(r) && i > 0 {
		above := strings.TrimSpace(lines[i-1])
		last, _ := utf8.DecodeLastRuneInString(above)
		if above != "" && above[0] != '>' && !strings.ContainsRune(".!?:;…)", last) {
			return true
		}
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
		if sentenceWords[w] {
			return true
		}
	}
	return false
}

// sentenceWords are words of a sentence about something (verbs, negations,
// conjunctions) that no "sent from" footer holds; footers only name a device
// or an app and excuse typos.
var sentenceWords = map[string]bool{
	"but": true, "because": true, "which": true, "when": true, "while": true, "not": true, "never": true,
	"is": true, "was": true, "are": true, "were": true, "does": true, "did": true, "doesn't": true, "didn't": true,
	"don't": true, "can't": true, "cannot": true, "won't": true, "isn't": true, "wasn't": true, "it": true, "they": true,
	"arrives": true, "arrived": true, "works": true, "worked": true, "crashes": true, "crashed": true, "fails": true,
	"failed": true, "shows": true, "showed": true, "version": true,
	"mais": true, "aber": true, "pero": true, "maar": true, "ale": true, "но": true, "nicht": true, "pas": true,
}
