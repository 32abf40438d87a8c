package classify

import (
	"regexp"
	"strings"

	"github.com/postdesk/postdesk/threading"
)

// Header-only rules: who sent it, RFC 3834 auto-reply markers, RFC 2369 /
// RFC 2919 list fields, and subjects of vacation notices.

// isDaemonLocal reports local parts used by mail systems for
// notifications (RFC 5321 §4.5.1 postmaster; the traditional MAILER-DAEMON).
func isDaemonLocal(lp string) bool {
	switch lp {
	case "postmaster", "post_master", "post-master", "mailer-daemon", "mailer_daemon", "mailerdaemon",
		"mail.delivery.system", "mail-delivery-system", "mdaemon", "double-bounce", "mail-daemon":
		return true
	}
	return strings.Contains(lp, "mailer-daemon")
}

// isStrictDaemonLocal is the subset no human ever writes from: a
// MAILER-DAEMON message is a bounce even when its text is unrecognisable.
// postmaster is left out; it is a role address people answer from.
func isStrictDaemonLocal(lp string) bool {
	return strings.Contains(lp, "mailer-daemon") || lp == "mailer_daemon" || lp == "mailerdaemon" ||
		lp == "mail.delivery.system" || lp == "mail-daemon" || lp == "double-bounce"
}

// daemonName reports a display name used by mail systems ("Mail Delivery
// Subsystem"). A plain substring test first keeps the regexp off ordinary
// human From fields.
func daemonName(from string) bool {
	return (containsFold(from, "delivery") || containsFold(from, "daemon") || containsFold(from, "administrator")) &&
		reDaemonName.MatchString(from)
}

// containsFold is an allocation-free ASCII case-insensitive Contains for a
// lower-case needle.
func containsFold(s, lower string) bool {
	n := len(lower)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

var reDaemonName = regexp.MustCompile(`(?i)\b(mail delivery (system|subsystem|service)|mailer[- ]daemon|mail ?administrator|ndr administrator)\b`)

// daemonSender reports whether From or the envelope belongs to a mail system.
func (m *message) daemonSender() bool {
	if isDaemonLocal(localPart(m.from)) || (m.envelope != "" && isDaemonLocal(localPart(m.envelope))) {
		return true
	}
	if rp := m.h.get("Return-Path"); rp != "" && isDaemonLocal(localPart(addrSpec(rp))) {
		return true
	}
	if m.fromRaw != "" && m.from == "" { // "From: <>" – only mail systems send that
		return true
	}
	return daemonName(m.fromRaw)
}

// strictDaemon reports a MAILER-DAEMON style From (not postmaster).
func (m *message) strictDaemon() bool {
	if isStrictDaemonLocal(localPart(m.from)) || (m.fromRaw != "" && m.from == "") {
		return true
	}
	return daemonName(m.fromRaw) && !containsFold(m.fromRaw, "administrator")
}

// nullSender reports the null reverse-path (RFC 5321 §4.5.5): used by
// bounces, DSNs, MDNs and, as RFC 3834 recommends, auto-responders. The header
// Return-Path is the envelope as recorded at final delivery (RFC 5321
// §4.4), consulted as well because the envelope is sometimes unavailable.
func (m *message) nullSender() bool {
	if m.envelope == "" {
		return true
	}
	if rp, ok := m.returnPath(); ok && (rp == "" || rp == "null") {
		return true
	}
	return false
}

func (m *message) returnPath() (string, bool) {
	v, ok := m.h.lookup("Return-Path")
	return addrSpec(v), ok
}

var reNoReply = regexp.MustCompile(`^(no-?reply|do-?not-?reply|donotreply|noreply-.*|bounces?|.*-bounces?)$`)

// noreplySender: automated senders that are not necessarily bounces.
func (m *message) noreplySender() bool {
	return reNoReply.MatchString(localPart(m.from))
}

// isReplySubject: a subject that answers or forwards (the prefixes of threading's subject
// rules, in the languages known).
func isReplySubject(s string) bool { return threading.IsReply(s) }

// reVacationPrefix: prefixes autoresponders put in front of the original
// subject (Exchange "Automatic reply:", Apple "Auto reply:", Lotus "Out of
// Office AutoReply:", and their translations). People do not start a new
// subject this way, so they count whenever no mail client is named.
var reVacationPrefix = regexp.MustCompile(`(?i)^\s*(automatic reply|auto[- ]?reply|auto[- ]?respon[sd]e?|automatic response|out of (the )?office (autoreply|auto reply|reply)|abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|risposta automatica|respuesta autom[áa]tica|resposta autom[áa]tica|autosvar|automatisch antwoord|automatisk svar|automaattinen vastaus|odpowied[źz] automatyczna|automatick[áa] odpov[ěe][ďd]|автоматический ответ|автоответ|自動応答|自動返信|自动回复|자동 회신|vacation reply)\s*[:：\-]`)

// reAutoSubject: a subject only responders write, whatever client sent them: the notice alone.
// (Exchange's "Out of Office: <subject>" is a phrase people type too; classifyLate takes it
// on a reply.)
var reAutoSubject = regexp.MustCompile(`(?i)^\s*out of (the )?office\s*$`)

// reOutOfOfficeReturn: the out-of-office phrase with the writer's return ("AUTO: Ann Smith is
// out of the office (returning 05/01/2024)", "… until Monday").
var reOutOfOfficeReturn = regexp.MustCompile(`(?i)\bout of (the )?office\b.{0,40}(\breturning\b|\buntil\b|\bback (on|in)\b|\b\d{1,4}[./-]\d{1,2}([./-]\d{1,4})?\b)`)

// reWeakAutoSubject: "AUTO:" and "X is out of the office", which people write too ("Auto:
// Ersatzteil bestellt" is about a car; "Our admin is out of the office - password reset" is a
// customer's question). They count only with a second signal (weakAutoSubjectBacked).
var reWeakAutoSubject = regexp.MustCompile(`(?i)^\s*auto\s*:|\b(is|are) (currently )?out of (the )?office\b`)

// reOutOfOfficeLine: the first line of a responder's text ("I am out of the office until…",
// "Thank you for your email. I'm currently out of the office"), in the languages known.
var reOutOfOfficeLine = regexp.MustCompile(`(?i)^\s*(thank(s| you) for your (e-?mail|message)[.!,]?\s*)?(i am|i'm|i will be|i'll be) (currently |now )?(out of (the )?office|away from (the |my )?office|on (annual )?(leave|vacation|holiday)|absent)\b|` +
	`^\s*(ich bin|je suis|sono|estoy|jag är|ik ben) .{0,40}(abwesend|absente?|assente|fuera de la oficina|ausente|frånvarande|afwezig|außer haus|en congé|in ferie|de vacaciones)`)

// maxOutOfOfficeText: a responder's text is a few lines and quotes nothing; a person's answer
// that starts "I'm out of the office" usually goes on, or quotes the mail it answers.
const maxOutOfOfficeText = 1500

// reVacationWords: phrases people also type ("Out of office next week?"),
// only trusted on a reply from a client that does not name itself.
var reVacationWords = regexp.MustCompile(`(?i)(out of (the )?office|\booo\b|away from (the |my )?office|away until|on (vacation|holiday|leave)|auto[- ]?reply|automatic reply|abwesenheit|abwesend|absence|absent|afwezig|fuera de la oficina|frånvaro|fravær|poza biurem|r[ée]ponse automatique|risposta automatica|respuesta autom[áa]tica|autosvar|vacation)`)

// namedClient: mail clients identify themselves (RFC 5322 has no field
// for it, but X-Mailer and User-Agent are universal); server-side
// responders usually send neither.
func (m *message) namedClient() bool {
	return m.h.has("X-Mailer") || m.h.has("User-Agent")
}

// autoSubmitted returns the RFC 3834 §5 Auto-Submitted keyword, "" if none.
func (m *message) autoSubmitted() string {
	v := m.h.get("Auto-Submitted")
	if i := strings.IndexAny(v, ";( \t"); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// truthy: header flags such as X-Autoreply: yes. Anything but an explicit
// negative counts, since vendors use "yes", "true", "1" or a description.
func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "no", "false", "0", "off":
		return false
	}
	return true
}

func (m *message) precedence() string {
	p := m.h.get("Precedence")
	if p == "" {
		p = m.h.get("X-Precedence")
	}
	return strings.ToLower(strings.TrimSpace(p))
}

func (m *message) isReply() bool {
	return m.h.has("In-Reply-To") || m.h.has("References")
}

// inReplyTo is the message an auto-reply answers.
func (m *message) inReplyTo() string {
	if id := msgID(m.h.get("In-Reply-To")); id != "" {
		return id
	}
	return lastMsgID(m.h.get("References"))
}

func (m *message) autoReply(reason string) Result {
	return Result{Kind: AutoReply, Reason: reason, OriginalMessageID: m.inReplyTo()}
}

// classifyFeedbackHeader: Apple Mail's unsubscribe button sends a mail
// marked X-Apple-Unsubscribe to the List-Unsubscribe mailto address. It is
// an opt-out complaint, like an ARF opt-out report, not a question.
func classifyFeedbackHeader(m *message) (Result, bool) {
	if v := m.h.get("X-Apple-Unsubscribe"); v != "" && truthy(v) {
		return Result{Kind: FeedbackReport, Reason: "header X-Apple-Unsubscribe"}, true
	}
	return Result{}, false
}

// classifyAutoReply applies the explicit auto-response markers.
// X-Auto-Response-Suppress is deliberately not among them: Outlook sets it
// on ordinary human mail to ask others not to auto-reply.
func classifyAutoReply(m *message) (Result, bool) {
	// RFC 3834 §5: anything but "no" means machine-generated — except "auto-forwarded": a
	// person's mail that a rule forwarded (§5: "not … the same as auto-generated"); it is
	// judged by the rest of its header like any mail.
	if as := m.autoSubmitted(); as != "" && as != "no" && as != "auto-forwarded" {
		return m.autoReply("header Auto-Submitted: " + as), true
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply", "X-Mail-Autoreply", "X-Autogenerated", "X-Vacation"} {
		if v, ok := headerValue(m.h, k); ok && truthy(v) {
			return m.autoReply("header " + canonical(k)), true
		}
	}
	// Exchange stamps messages its inbox rules or agents generate.
	for _, k := range []string{"X-Ms-Exchange-Generated-Message-Source", "X-Ms-Exchange-Inbox-Rules-Loop"} {
		if m.h.has(k) {
			return m.autoReply("header " + canonical(k)), true
		}
	}
	if strings.EqualFold(m.h.get("X-Apple-Action"), "vacation") {
		return m.autoReply("header X-Apple-Action: VACATION"), true
	}
	if p := m.precedence(); p == "auto_reply" || p == "auto-reply" {
		return m.autoReply("header Precedence: " + p), true
	}
	if !m.replySubj && reVacationPrefix.MatchString(m.subject) && !m.namedClient() {
		return m.autoReply("vacation subject"), true
	}
	// Lotus Notes (which names itself in X-Mailer) answers "AUTO: Jane Doe is out of the office
	// (returning 05.01.2025)"; other servers keep the "… is out of the office" line alone.
	if !m.replySubj && (containsFold(m.subject, "auto") || containsFold(m.subject, "out of")) {
		if reAutoSubject.MatchString(m.subject) {
			return m.autoReply("auto-reply subject"), true
		}
		if reWeakAutoSubject.MatchString(m.subject) && m.weakAutoSubjectBacked() {
			return m.autoReply("auto-reply subject with a responder signal"), true
		}
	}
	return Result{}, false
}

// weakAutoSubjectBacked: the second signal a weak auto-reply subject needs — a responder
// field, Precedence of a responder or bulk sender, the null reverse-path, "AUTO:" in front of
// the answered mail's own reply subject ("AUTO: Re: your ticket"), the out-of-office phrase
// with a return date, or Lotus Notes, whose responder writes the "AUTO:" and third-person
// subjects and names itself in X-Mailer.
func (m *message) weakAutoSubjectBacked() bool {
	if m.null {
		return true
	}
	switch m.precedence() {
	case "auto_reply", "auto-reply", "bulk", "junk":
		return true
	}
	if as := m.autoSubmitted(); as != "" && as != "no" && as != "auto-forwarded" {
		return true
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply", "X-Mail-Autoreply", "X-Vacation"} {
		if v, ok := headerValue(m.h, k); ok && truthy(v) {
			return true
		}
	}
	if reOutOfOfficeReturn.MatchString(m.subject) || containsFold(m.h.get("X-Mailer"), "lotus notes") {
		return true
	}
	if rest, ok := cutAutoPrefix(m.subject); ok && isReplySubject(rest) {
		return true
	}
	return false
}

// cutAutoPrefix returns the subject after a leading "AUTO:".
func cutAutoPrefix(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 4 || !strings.EqualFold(s[:4], "auto") {
		return "", false
	}
	rest := strings.TrimLeft(s[4:], " \t")
	if !strings.HasPrefix(rest, ":") {
		return "", false
	}
	return strings.TrimSpace(rest[1:]), true
}

// classifyList: RFC 2919 List-Id and RFC 2369 list fields are set only by
// list servers. List-Unsubscribe alone is not enough: transactional mail
// and the odd human client carry it, so it needs a bulk marker too (RFC
// 8058 one-click List-Unsubscribe-Post is only sent by bulk senders).
func classifyList(m *message) (Result, bool) {
	for _, k := range []string{"List-Id", "List-Post", "List-Owner", "List-Archive", "List-Subscribe", "List-Help", "Mailing-List", "X-Mailing-List"} {
		if m.h.has(k) {
			return Result{Kind: List, Reason: "header " + canonical(k)}, true
		}
	}
	p := m.precedence()
	if p == "list" {
		return Result{Kind: List, Reason: "header Precedence: list"}, true
	}
	if m.h.has("List-Unsubscribe") {
		if p == "bulk" || p == "junk" {
			return Result{Kind: List, Reason: "header List-Unsubscribe with Precedence: " + p}, true
		}
		if m.h.has("List-Unsubscribe-Post") {
			return Result{Kind: List, Reason: "header List-Unsubscribe-Post"}, true
		}
	}
	// Precedence bulk/junk without list fields: vacation(1) and many
	// autoresponders mark their answers this way (a non-standard but
	// long-standing convention), and newsletters mark their mailings
	// "bulk". "junk" is the responders' word, not the lists': alone it makes
	// an auto-reply, never list mail.
	if p == "junk" {
		return m.autoReply("header Precedence: junk"), true
	}
	if p == "bulk" {
		if m.isReply() || m.null {
			return m.autoReply("header Precedence: " + p + " on a reply"), true
		}
		return Result{Kind: List, Reason: "header Precedence: " + p}, true
	}
	return Result{}, false
}

// classifyLate holds the weakest signals, tried after list detection.
func classifyLate(m *message) (Result, bool) {
	// Loop-prevention fields of procmail, ticket systems and responders.
	for _, k := range []string{"X-Loop", "X-Otrs-Loop", "X-Ticket-Loop"} {
		if v, ok := headerValue(m.h, k); ok && truthy(v) {
			return m.autoReply("header " + canonical(k)), true
		}
	}
	// A vacation phrase on a reply from a client that does not name
	// itself (mail clients send X-Mailer or User-Agent; server-side
	// responders usually do not).
	if !m.replySubj && reVacationWords.MatchString(m.subject) &&
		!m.namedClient() && (m.isReply() || m.null) {
		return m.autoReply("vacation subject on a reply"), true
	}
	// An out-of-office line opening a short, unquoted reply from a client that does not name
	// itself: responders that keep the subject ("Re: your ticket") and set no marker. Gmail
	// names no client either, so from a sender that is not null the text must be the away
	// notice and nothing else: "I'm on vacation until Monday, so please just close the ticket.
	// The new part works fine." is a customer's answer.
	if (m.isReply() || m.null) && !m.namedClient() && outOfOfficeText(m.parsed.Text) &&
		(m.null || awayNoticeOnly(m.parsed.Text)) {
		return m.autoReply("out-of-office text on a reply"), true
	}
	// Only robots use the null reverse-path (RFC 5321 §4.5.5; RFC 3834
	// asks responders to use it); with no bounce evidence it is an
	// automatic response.
	if m.null {
		return m.autoReply("null reverse-path"), true
	}
	return Result{}, false
}

// outOfOfficeText reports a short text whose first line says its writer is away, with no
// quoted lines.
func outOfOfficeText(text string) bool {
	if len(text) > maxOutOfOfficeText {
		return false
	}
	text = strings.TrimSpace(text)
	first, rest, _ := strings.Cut(text, "\n")
	second, _, _ := strings.Cut(strings.TrimSpace(rest), "\n")
	if !reOutOfOfficeLine.MatchString(first) && !reOutOfOfficeLine.MatchString(second) {
		return false
	}
	for l := range strings.Lines(text) {
		if strings.HasPrefix(strings.TrimSpace(l), ">") {
			return false
		}
	}
	return true
}

// reAwaySentence: what the sentences of an away notice say besides the away line — thanks,
// the return, who to contact, that mail is not read or forwarded, the greeting and the name —
// in the languages reOutOfOfficeLine knows.
var reAwaySentence = regexp.MustCompile(`(?i)\b(thank|return|back|urgent|contact|reach|respond|reply|answer|access|e-?mail|messages?|mails?|office|leave|vacation|holiday|absent|away|until|delay|forward|colleague|regards|best|cheers|sincerely|kind|warm|greetings|gr(ü|ue)(ss|ß)e?|gru(ss|ß)|dank|cordialement|merci|saluti|grazie|saludos|gracias|hälsningar|tack|groet|mvh|abwesend|urlaub|zurück|vertretung|dringend)`)

// awayNoticeOnly reports a text that is only an away notice: the away line and sentences that
// say what notices say (reAwaySentence), or a short signature line. One other sentence makes
// it a person's answer.
func awayNoticeOnly(text string) bool {
	for l := range strings.Lines(strings.TrimSpace(text)) {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "--") {
			continue
		}
		for _, sent := range splitSentences(l) {
			if reOutOfOfficeLine.MatchString(sent) || reAwaySentence.MatchString(sent) {
				continue
			}
			// A name or a role under the notice ("Bob", "Jane Doe, Sales"): a few words, no
			// sentence end.
			if len(strings.Fields(sent)) <= 3 && !strings.ContainsAny(sent, ".!?") {
				continue
			}
			return false
		}
	}
	return true
}

// splitSentences cuts a line after ".", "!" or "?" followed by a space; a full stop after a
// digit is a date or an ordinal ("6. Januar"), not a sentence end.
func splitSentences(l string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(l); i++ {
		c := l[i]
		if (c == '.' || c == '!' || c == '?') && l[i+1] == ' ' && !(c == '.' && i > 0 && '0' <= l[i-1] && l[i-1] <= '9') {
			if s := strings.TrimSpace(l[start : i+1]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(l[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

func headerValue(h header, k string) (string, bool) {
	return h.lookup(k)
}

// canonical formats a field name for Reason strings.
func canonical(k string) string {
	parts := strings.Split(strings.ToLower(k), "-")
	for i, p := range parts {
		switch p {
		case "id":
			parts[i] = "Id"
		case "ms", "otrs":
			parts[i] = strings.ToUpper(p)
		default:
			if p != "" {
				parts[i] = strings.ToUpper(p[:1]) + p[1:]
			}
		}
	}
	return strings.Join(parts, "-")
}
