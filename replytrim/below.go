package replytrim

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A few lines of text after a ">"-quoted history, below a reply written
// above it, are most often the quoted mail's remnants or the person's own
// signature that their client put below the quote, and are cut with it (the
// discourse rule). They are the person's words, and kept, when they read as
// such: they start with a closing ("Regards, Roman") or are a name alone, or
// what is above the quote is only a salutation ("Hi Anna,"), so the answer
// can only be below.

// answeredBelow reports whether the text after the quoted history of a top
// post is the person's: top is the index in s of the last line of text above
// the quote header, below where the lines after the quote start.
func answeredBelow(s *seq, top, below int) bool {
	var first string
	n := 0
	for i := below; i < len(s.cls); i++ {
		if s.cls[i] == clsText {
			if n == 0 {
				first = s.lines[s.idx[i]]
			}
			n++
		}
	}
	if n == 0 {
		return false
	}
	if isClosing(first) || isPostscript(first) || n == 1 && isName(first) {
		return true
	}
	texts := 0
	var only string
	for i := 0; i <= top; i++ {
		if s.cls[i] == clsText {
			texts++
			only = s.lines[s.idx[i]]
		}
	}
	return texts == 1 && isSalutation(only)
}

// isPostscript reports whether line opens a postscript ("P.S.", "PS:", "P.P.S."): words
// added after the rest, never a quoted mail's remnant.
func isPostscript(line string) bool {
	l := strings.ToLower(strings.TrimSpace(line))
	for _, p := range []string{"p.p.s.", "p.s.", "pps:", "ps:", "ps.", "ps "} {
		if strings.HasPrefix(l, p) && len(l) > len(p) {
			return true
		}
	}
	return false
}

// closings are how people sign off, lower case, in the languages of the
// quote headers.
var closings = []string{
	"regards", "best regards", "kind regards", "warm regards", "best wishes", "best", "cheers", "thanks", "thank you", "many thanks", "sincerely", "yours", "br",
	"mit freundlichen grüßen", "freundliche grüße", "viele grüße", "beste grüße", "liebe grüße", "grüße", "gruß", "mfg", "lg",
	"cordialement", "bien cordialement", "bien à vous", "salutations", "merci",
	"saludos", "un saludo", "atentamente", "gracias", "cumprimentos", "atenciosamente", "obrigado", "obrigada", "abraços",
	"cordiali saluti", "saluti", "distinti saluti", "grazie",
	"met vriendelijke groet", "met vriendelijke groeten", "vriendelijke groeten", "groeten", "groet",
	"med vänliga hälsningar", "vänliga hälsningar", "hälsningar", "mvh", "med venlig hilsen", "venlig hilsen", "med vennlig hilsen", "vennlig hilsen", "hilsen", "tack", "tak",
	"pozdrawiam", "z poważaniem", "pozdrowienia", "dziękuję", "s pozdravem", "děkuji",
	"с уважением", "спасибо", "terveisin", "ystävällisin terveisin", "kiitos", "trân trọng", "cảm ơn", "saygılarımla",
}

// isClosing reports whether line opens a sign-off: a closing alone or
// followed by a comma and a name ("Regards, Roman").
func isClosing(line string) bool {
	l := strings.ToLower(strings.TrimSpace(line))
	if len(l) > 60 {
		return false
	}
	for _, c := range closings {
		rest, ok := strings.CutPrefix(l, c)
		if !ok {
			continue
		}
		if rest == "" || strings.IndexByte(",.!-", rest[0]) >= 0 {
			return true
		}
	}
	return false
}

// salutations open a mail, lower case.
var salutations = []string{
	"hi", "hello", "hey", "dear", "good morning", "good afternoon", "hallo", "liebe", "lieber", "sehr geehrte", "guten tag", "moin", "servus",
	"bonjour", "salut", "madame", "monsieur", "hola", "buenos días", "buenas", "estimado", "estimada", "olá", "bom dia", "ciao", "buongiorno", "gentile",
	"hoi", "beste", "goedemorgen", "goedendag", "hej", "hei", "moi", "dzień dobry", "cześć", "witam", "dobrý den", "здравствуйте", "привет", "добрый день", "xin chào", "chào", "merhaba",
}

// isSalutation reports whether line is only a salutation ("Hi Anna,", "Dear support team:").
func isSalutation(line string) bool {
	l := strings.ToLower(strings.TrimSpace(line))
	if len(l) > 60 || strings.ContainsAny(l, ".?") {
		return false
	}
	for _, g := range salutations {
		if rest, ok := strings.CutPrefix(l, g); ok && (rest == "" || rest[0] == ' ' || rest[0] == ',' || rest[0] == '!') {
			return true
		}
	}
	return false
}

// isName reports whether line reads as a name signing the mail: one to three
// capitalised words and nothing else ("Roman", "Anna-Lena Berg").
func isName(line string) bool {
	words := strings.Fields(line)
	if len(words) == 0 || len(words) > 3 || len(line) > 40 {
		return false
	}
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) || strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' && r != '.' && r != '\'' }) >= 0 {
			return false
		}
	}
	return true
}
