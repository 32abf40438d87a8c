package replytrim

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the patterns that recognise where quoted history starts:
//
//   - quote headers ("attribution lines"): "On <date>, <name> wrote:" and the
//     way each mail client words it in each language;
//   - separators that open a forwarded or original message
//     ("-----Original Message-----", "Begin forwarded message:");
//   - header blocks that Outlook and friends copy above the quoted message
//     ("From: … Sent: … To: … Subject: …", localized).
//
// Patterns are matched against one line whose quote prefix (">", blanks,
// "*" from bold rendering, "-" from "---- On … wrote ----") has been removed
// by headerCore, so each pattern only describes the wording.

// quoteHeaderREs match a complete quote header (possibly after joining a
// header that the sender's client wrapped over several lines). Most require
// a digit somewhere (the date): see isQuoteHeader. Each comes with the
// words (lower case) a line must contain for the pattern to be tried: the
// check is a substring search, far cheaper than the pattern, and it is what
// keeps classification linear-ish on long bodies.
var quoteHeaderREs = []headerPattern{
	// English: "On Wed, Sep 25, 2013 at 3:57 PM, Bob <bob@example.com> wrote:",
	// Eudora's "At 6/16/2016 08:32 PM, you wrote:", Zoho's "---- On … wrote ----".
	{regexp.MustCompile(`(?i)^(?:on|at)\s.*\swrote:?$`), []string{"wrote"}},
	// French: "Le 4 janv. 2016 19:03, "Neil" <n@example.com> a écrit :".
	{regexp.MustCompile(`(?i)^le\s.*\sa\s+[ée]crit\s*:?$`), []string{"crit"}},
	// Italian: "Il 26 marzo 2016 alle 13.16 Sam <s@example.com> ha scritto:".
	{regexp.MustCompile(`(?i)^il\s.*\sha\s+scritto\s*:?$`), []string{"scritto"}},
	// Spanish: "El jueves, 21 de noviembre de 2013, Bob escribió:".
	{regexp.MustCompile(`(?i)^el\s.*\sescribi[óo]\s*:?$`), []string{"escrib"}},
	// Portuguese: "Em 2 de fevereiro de 2015 10:58, Bob <b@example.com> escreveu:".
	{regexp.MustCompile(`(?i)^em\s.*\sescreveu\s*:?$`), []string{"escreveu"}},
	// Dutch: "Op 2 feb. 2015 om 05:28 heeft Bob <b@…> het volgende geschreven:",
	// "Op 10 dec. 2015 18:35 schreef "Bob" <b@…>:", "Op … schreef Bob:".
	{regexp.MustCompile(`(?i)^op\s.*\s(?:het\s+volgende\s+geschreven\s*:?|schreef\s.+:)$`), []string{"geschreven", "schreef"}},
	// German: "Am 03.02.2016 3:35 nachm. schrieb Max <m@…>:", Thunderbird's
	// "Am 15.01.24 um 10:00 schrieb Max:", Outlook's "Am … hat Max geschrieben:".
	{regexp.MustCompile(`(?i)^am\s.*\s(?:schrieb\s.+|geschrieben)\s*:$`), []string{"schrieb", "geschrieben"}},
	// German Gmail: "Max <m@example.com> schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:".
	{regexp.MustCompile(`(?i)^.+\sschrieb\sam\s.+:$`), []string{"schrieb am"}},
	// Danish, Norwegian, Swedish: "Den 15. jun. 2016 kl. 20.42 skrev Jeff <j@…>:",
	// "Den mån 15 jan. 2024 kl 10:00 skrev Name <n@…>:".
	{regexp.MustCompile(`(?i)^den\s.*\sskrev\s.+:$`), []string{"skrev"}},
	// Polish: "Dnia 14 lip 2015 o godz. 00:25 Michael <m@…> napisał(a):",
	// Thunderbird's "W dniu 15.01.2024 o 10:00, Name pisze:".
	{regexp.MustCompile(`(?i)^(?:dnia|w\s+dniu)\s.*\s(?:napisał\(a\)|napisał|napisała|napisal\(a\)|pisze)\s*:?$`), []string{"napisa", "pisze"}},
	// Czech: "Dne 15. 1. 2024 v 10:00 Name <n@…> napsal(a):".
	{regexp.MustCompile(`(?i)^dne\s.*\snapsal(?:\(a\)|a)?\s*:?$`), []string{"napsal"}},
	// Chinese Apple Mail: "在 2016年12月12日，下午8:45，Erlend <e@…> 写道：".
	{regexp.MustCompile(`^在.+(?:写道|寫道)\s*[:：]?$`), []string{"写道", "寫道"}},
	// Chinese Gmail: "Name <n@example.com> 于2024年1月15日周一 10:00写道：".
	{regexp.MustCompile(`^.+[于於]\s?.+(?:写道|寫道)\s*[:：]?$`), []string{"写道", "寫道"}},
	// Japanese Apple Mail / Outlook: "2024/01/15 10:00、Taro <t@…>のメール:",
	// "… さんは書きました:".
	{regexp.MustCompile(`^.+(?:のメール|さんは書きました|が書きました)\s*[:：]$`), []string{"のメール", "書きました"}},
	// Korean Gmail: "2024년 1월 15일 (월) 오전 10:00, Name <n@…>님이 작성:".
	{regexp.MustCompile(`^.+님이\s?작성(?:했습니다)?\s*[:：]$`), []string{"작성"}},
	// Russian Gmail/Android: "понедельник, 6 октября 2014 г. пользователь lidel написал:".
	{regexp.MustCompile(`(?i)^.*пользователь.+написал(?:\(а\)|а)?\s*:$`), []string{"написал"}},
	// Turkish Gmail: "Name <n@…>, 15 Oca 2024 Pzt, 10:00 tarihinde şunu yazdı:".
	{regexp.MustCompile(`(?i)^.+tarihinde\sşunu\syazdı\s*:$`), []string{"yazdı"}},
	// Hungarian Gmail: "Name <n@…> ezt írta (időpont: 2024. jan. 15., H, 10:00):".
	{regexp.MustCompile(`(?i)^.+\sezt\sírta\s.*:$`), []string{"írta"}},
	// Date first, verb last (Android, Polish and Ukrainian Gmail, Norwegian):
	// "23 mar 2017 21:25 "Neil" <n@…> napisał(a):",
	// "30 серп. 2016 р. 20:45 "Arpit" <a@…> пише:",
	// "15. jan. 2024 kl. 10:00 skrev Name <n@…>:", Russian Thunderbird's
	// "15.01.2024 10:00, Иван Петров пишет:".
	{regexp.MustCompile(`(?i)^` + dateLead + `.*\s(?:wrote|schrieb|skrev|napisał\(a\)|napisal\(a\)|napsal\(a\)|пишет|пише|написал(?:\(а\)|а)?|написав(?:\(ла\)|ла)?|kirjoitti|escribió|escreveu|ha scritto|a écrit)(?:\s.+)?\s*:$`), []string{"wrote", "schrieb", "skrev", "napisa", "napsal", "пише", "написа", "kirjoitti", "escrib", "escreveu", "scritto", "crit"}},
	// Finnish Gmail: "ma 15. tammik. 2024 klo 10.00 Name <n@…> kirjoitti:".
	{regexp.MustCompile(`(?i)^.+\sklo\s.+\skirjoitti\s*:$`), []string{"kirjoitti"}},
	// Finnish Apple Mail and Thunderbird, the name first and the date after the verb:
	// "Matti <m@…> kirjoitti 15.1.2024 kello 10.00:", "Matti kirjoitti 15.1.2024 10.00:".
	{regexp.MustCompile(`(?i)^.+\skirjoitti\s+\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}.*:$`), []string{"kirjoitti"}},
	// Vietnamese Gmail, Apple Mail and Thunderbird: "Vào Th 2, 15 thg 1, 2024 vào lúc
	// 10:00 An <a@…> đã viết:", "Vào lúc 10:00, ngày 15 thg 1, 2024, An <a@…> đã viết:".
	{regexp.MustCompile(`(?i)^vào\s.*\sđã\s+viết\s*:?$`), []string{"viết"}},
	// Polish Apple Mail: "Wiadomość napisana przez Jan <j@…> w dniu 15.01.2024, o godz. 10:00:".
	{regexp.MustCompile(`(?i)^wiadomość\s+napisana\s+przez\s.+\sw\s+dniu\s.+:$`), []string{"napisana"}},
	// Turkish Apple Mail: "15 Oca 2024 tarihinde 10:00 saatinde, Ali <a@…> şunları yazdı:".
	{regexp.MustCompile(`(?i)^.+tarihinde\s.+\sşun(?:u|ları)\s+yazdı\s*:$`), []string{"yazdı"}},
	// Date first, address last (Gmail in many locales, Russian Gmail "вт, 5 янв.
	// 2016 г. в 23:39, Erlend <e@…>:", Japanese Gmail "2024年1月15日(月) 10:00
	// Taro <t@…>:", "2013/7/20 sam via Discourse Meta <info@…>").
	{regexp.MustCompile(`^` + dateLead + `.*<\s*[^<>\s@]+@[^<>\s]+\s*>\s*[:：]?$`), []string{"@"}},
	// Localized Gmail with ISO date and no address: "2016-03-03 17:21 GMT+01:00 Some One".
	// The offset may be short ("GMT+1", "GMT-05").
	{regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d?:\d\d GMT[+-]\d\d?(?::\d\d)?[\p{L}\p{N}_ .'-]+$`), []string{" gmt"}},
	// Discourse and other forums: "Posted by sam on 03/26/2016".
	{regexp.MustCompile(`(?i)^posted by .+ on \d{2}/\d{2}/\d{4}$`), []string{"posted by"}},
}

// headerPattern is a pattern and the words one of which a line needs for
// the pattern to be worth trying.
type headerPattern struct {
	re   *regexp.Regexp
	need []string
}

// dateLead is how a header that starts with its date starts: "2016-10-24",
// "2013/7/20", "20 окт. 2016", "23 mar 2017", "2024年1月", or a weekday
// abbreviation and its punctuation before a day number ("вт, 5 янв.",
// "pon., 15 sty"); the punctuation keeps prose like "We 2 need <a@b.c>" out.
const dateLead = `(?:\d{1,4}[-/.年]\s?\d|\d{1,2}\.?\s+\p{L}{2,12}\.?,?\s+\d|\p{L}{2,4}(?:\.,?|,)\s*\d{1,2}[.\s])`

// undatedHeaderREs match quote headers that carry no date, so they must carry
// something else that is rarely typed by a person: an address or "via".
var undatedHeaderREs = []*regexp.Regexp{
	// "Some One <info@example.com> wrote:", "Bob <b@…> schrieb:".
	regexp.MustCompile(`(?i)^.+<\s*[^<>\s@]+@[^<>\s]+\s*>\s*(?:wrote|schrieb|a écrit|escribió|escreveu|ha scritto|skrev|napisał\(a\)|kirjoitti|написал(?:\(а\)|а)?)\s*:?$`),
	// "codinghorror via Discourse Meta wrote:", "… via Discourse Meta <i@…> schrieb:".
	regexp.MustCompile(`(?i)^.+\svia\s.+\s(?:wrote|schrieb)\s*:?$`),
}

// undatedVerbs are the words one of which an undated header holds.
var undatedVerbs = []string{"wrote", "schrieb", "crit", "escrib", "escreveu", "scritto", "skrev", "napisa", "kirjoitti", "написал"}

// forwardREs match separators that open an embedded original or forwarded
// message, in the languages of the common clients.
var forwardREs = []*regexp.Regexp{
	// "-----Original Message-----", "---------- Forwarded message ---------",
	// "-----Ursprüngliche Nachricht-----", "-------- Message transféré --------".
	regexp.MustCompile(`(?i)^-{2,}\s*(?:` + forwardPhrases + `)\s*-{2,}$`),
	// Apple Mail and some webmails use a sentence instead of dashes.
	regexp.MustCompile(`(?i)^(?:begin forwarded message|forwarded message|original message|début du message réexpédié|anfang der weitergeleiteten nachricht|inicio del mensaje reenviado|inizio messaggio inoltrato|início da mensagem reencaminhada|begin doorgestuurd bericht)\s*:$`),
}

const forwardPhrases = `forwarded message|original message|reply message|message transféré|message d'origine|ursprüngliche nachricht|weitergeleitete nachricht|original-nachricht|mensaje original|mensaje reenviado|messaggio originale|messaggio inoltrato|mensagem original|mensagem encaminhada|oorspronkelijk bericht|doorgestuurd bericht|ursprungligt meddelande|originalmeddelande|vidarebefordrat meddelande|oprindelig meddelelse|oprindelig besked|videresendt meddelelse|videresendt besked|opprinnelig melding|videresendt melding|wiadomość oryginalna|oryginalna wiadomość|przekazana wiadomość|исходное сообщение|пересылаемое сообщение|пересланное сообщение|原始邮件|转发的邮件|原始郵件|轉寄的郵件|元のメッセージ|転送メッセージ|alkuperäinen viesti|původní zpráva`

// headerFieldRE matches one line of a header block copied above a quoted or
// forwarded message: "From: Bob <b@example.com>", "*Sent:* Monday…",
// "Von: …", "Gesendet: …", "De : …", "Envoyé : …", "Da: …", "Inviato: …",
// "Från: …", "От: …", "差出人: …". Outlook writes them bold, hence the "*".
// Lines that start with ">" are quotes, never header fields: a quoted
// "> From:" belongs to the quoted text the person answers inline.
// French puts a no-break space before the colon ("De\u00a0:", or the narrow
// U+202F of newer Outlook builds).
var headerFieldRE = regexp.MustCompile(`(?i)^[ \t*]*(?:` + headerFields + `)[ \t*\x{a0}\x{202f}]*[:：][ \t*\x{a0}\x{202f}]*\S`)

const headerFields = `from|sent|to|cc|bcc|reply-to|subject|date|` + // English
	`de|envoyé|envoyé par|à|a|objet|répondre à|` + // French
	`von|gesendet|an|betreff|datum|antwort an|` + // German
	`enviado|enviada em|enviado el|para|asunto|fecha|` + // Spanish, Portuguese
	`assunto|data|` + // Portuguese, Italian
	`da|inviato|oggetto|risposta|` + // Italian
	`van|verzonden|aan|onderwerp|` + // Dutch
	`från|skickat|till|ämne|kopia|` + // Swedish
	`fra|sendt|til|emne|` + // Danish, Norwegian
	`od|wysłano|do|temat|dw|` + // Polish
	`odesláno|komu|předmět|` + // Czech
	`от|отправлено|кому|тема|дата|копия|` + // Russian
	`lähettäjä|lähetetty|vastaanottaja|aihe|` + // Finnish
	`kimden|gönderildi|kime|konu|` + // Turkish
	`差出人|送信日時|宛先|件名|` + // Japanese
	`发件人|发送时间|收件人|主题|抄送|寄件者|傳送時間|收件者|主旨|日期` // Chinese

// headerLead is a cheap test of whether a line could be the first line of
// a wrapped quote header: it must contain a digit (the date) or an address.
// It keeps joinWrappedHeaders from gluing a signature name ("Some One") to
// the header below it.
func headerLead(core string) bool {
	return strings.ContainsAny(core, "0123456789<@")
}

// headerCore removes what may precede and follow the wording of a header:
// quote marks, blanks, bold stars and decorative dashes ("---- On … wrote
// ----"). A trailing ">" stays: it closes an address. No-break spaces
// become spaces, as French puts one before the colon ("a écrit :").
func headerCore(line string) string {
	s := strings.TrimLeftFunc(line, func(r rune) bool { return r == '>' || isHeaderTrim(r) })
	s = strings.TrimRightFunc(s, isHeaderTrim)
	if strings.Contains(s, "\u00a0") || strings.Contains(s, "\u202f") { // not ContainsAny: slow on non-ASCII sets
		s = noBreakSpaces.Replace(s)
	}
	return s
}

// noBreakSpaces are the spaces French typography puts before a colon: the
// no-break space and the narrow one (U+202F, Apple Mail and newer Outlook).
var noBreakSpaces = strings.NewReplacer("\u00a0", " ", "\u202f", " ")

func isHeaderTrim(r rune) bool {
	return r == '*' || r == '-' || r == '\u00a0' || r == '\u202f' || unicode.IsSpace(r)
}

// maxHeaderLen bounds the lines examined as headers: real headers are short,
// and the bound keeps the cost of the patterns independent of long lines.
const maxHeaderLen = 600

// isQuoteHeader reports whether line (a single line, maybe joined from a
// wrapped header) is a quote header or a forward/original separator.
func isQuoteHeader(line string) bool {
	if len(line) > maxHeaderLen {
		return false
	}
	if matchForward(line) {
		return true
	}
	core := headerCore(line)
	if core == "" {
		return false
	}
	if dashedHeader(line, core) {
		return true
	}
	if !headerEnding(core) {
		return false
	}
	if strings.ContainsAny(core, "0123456789") {
		lower := strings.ToLower(core)
		for _, p := range quoteHeaderREs {
			if containsAny(lower, p.need) && p.re.MatchString(core) {
				return true
			}
		}
	}
	if strings.ContainsAny(core, "<@") || strings.Contains(core, " via ") {
		if !containsAny(strings.ToLower(core), undatedVerbs) {
			return false
		}
		for _, re := range undatedHeaderREs {
			if re.MatchString(core) {
				return true
			}
		}
	}
	return false
}

// matchForward reports whether line is a forward/original separator.
func matchForward(line string) bool {
	if len(line) > maxHeaderLen {
		return false
	}
	// Separators keep their dashes: "-----Original Message-----".
	sep := strings.TrimFunc(line, func(r rune) bool {
		return r == '>' || r == '*' || r == '\u00a0' || r == '\u202f' || unicode.IsSpace(r)
	})
	if !strings.Contains(sep, "--") && !strings.HasSuffix(sep, ":") {
		return false
	}
	for _, re := range forwardREs {
		if re.MatchString(sep) {
			return true
		}
	}
	return false
}

// dashedHeader reports whether line is an attribution between dashes, which
// Android mail apps and Zoho write without a date or an address:
// "---- Bob Smith wrote ----". The dashes on both sides are what sets it
// apart from prose, so it needs no date.
func dashedHeader(line, core string) bool {
	s := strings.TrimLeft(line, "> \t")
	s = strings.TrimRight(s, " \t")
	if !strings.HasPrefix(s, "--") || !strings.HasSuffix(s, "--") || len(core) > 200 {
		return false
	}
	lower := strings.ToLower(core)
	for _, v := range dashedVerbs {
		if strings.HasSuffix(lower, v) {
			return true
		}
	}
	return false
}

// dashedVerbs end a dashed attribution ("---- Bob wrote ----").
var dashedVerbs = []string{" wrote", " a écrit", " ha scritto", " escribió", " escreveu", " schrieb", " schreef", " skrev", " napisał(a)", " pisze", " kirjoitti", " пишет", " написал", " đã viết"}

// headerVerbs are the words a quote header may end with when the client
// leaves out the colon ("---- On … wrote ----").
var headerVerbs = []string{"wrote", "écrit", "ecrit", "scritto", "escribió", "escribio", "escreveu", "geschreven", "napisał(a)", "pisze", "napsal(a)", "写道", "寫道"}

// headerEnding is a cheap filter run before the patterns: a quote header
// ends with a colon, an address, a verb, or is one of the two known
// colon-less forms ("… GMT+01:00 Some One", "Posted by … on 03/26/2016").
// Almost no line of prose passes it, which keeps classification fast.
func headerEnding(core string) bool {
	last, _ := utf8.DecodeLastRuneInString(core)
	switch last {
	case ':', '：', '>':
		return true
	}
	tail := core[max(0, len(core)-24):] // the verbs are short: lower-case the tail only
	lower := strings.ToLower(tail)
	for _, v := range headerVerbs {
		if strings.HasSuffix(lower, v) {
			return true
		}
	}
	return strings.Contains(core, " GMT") || len(core) > 10 && strings.EqualFold(core[:10], "posted by ")
}

// isHeaderField reports whether line is one field of a copied header block.
func isHeaderField(line string) bool {
	// The field name is short: its colon comes within the first bytes.
	// Testing that first spares the pattern on nearly every line of prose.
	i := strings.IndexAny(line, ":：")
	if i < 0 || i > 40 || len(line) > maxHeaderLen {
		return false
	}
	return headerFieldRE.MatchString(line)
}

// containsAny reports whether s contains one of words.
func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
