package threading

import (
	"regexp"
	"strconv"
	"strings"
)

// The subject rules, in one place: the ticket tag "[#N]" that postdesk writes and reads, and the
// reply and forward prefixes mail clients write in their users' languages. Everything that looks
// at a subject — threading, intake, the agent-mail policy, the contact form, the templates,
// classify — asks here.

// subjectTag is a ticket tag as postdesk writes it (Tag). Mail clients keep it as it is; a
// looser form ("[ # 12 ]") is not read, so nobody can be threaded by a tag postdesk never wrote.
var subjectTag = regexp.MustCompile(`\[#(\d{1,18})\]`)

// Tag renders the subject tag of ticket number n.
func Tag(n int64) string { return "[#" + strconv.FormatInt(n, 10) + "]" }

// SubjectTag returns the ticket number tagged in subject (the first tag), 0 when none.
func SubjectTag(subject string) int64 {
	sm := subjectTag.FindStringSubmatch(subject)
	if sm == nil {
		return 0
	}
	n, err := strconv.ParseInt(sm[1], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// StripTags removes every ticket tag from subject and folds its white space: what is left is the
// customer's own subject.
func StripTags(subject string) string {
	return strings.Join(strings.Fields(subjectTag.ReplaceAllString(subject, " ")), " ")
}

// WithTag is subject on one line (control characters become spaces) carrying the tag of ticket
// n, added in front when it is missing.
func WithTag(subject string, n int64) string {
	subject = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, subject)
	subject = strings.Join(strings.Fields(subject), " ")
	tag := Tag(n)
	if !strings.Contains(subject, tag) {
		subject = strings.TrimSpace(tag + " " + subject)
	}
	return subject
}

// forwardPrefixes are the forward prefixes mail clients write: English Fwd/Fw, French TR,
// German WG, Spanish/Portuguese RV/ENC, Italian I, Norwegian/Danish VS/VB, Dutch Doorst, Swedish FS.
const forwardPrefixes = `fwd?|tr|wg|rv|enc|i|vs|vb|doorst|fs`

// replyPrefixes are reply and forward prefixes together, with the counters some clients add
// ("Re[2]:", "AW(3):") and the full-width colon of CJK clients.
const replyPrefixes = `re|aw|sv|vs|antw|antwort|odp|ref|rif|r|réf|wg|fw|fwd|tr|enc|rv|res|ynt|απ|отв|回复|答复|转发`

var (
	forwardPrefix = regexp.MustCompile(`(?i)^\s*((` + forwardPrefixes + `)\s*:\s*)+`)
	replyPrefix   = regexp.MustCompile(`(?i)^\s*(` + replyPrefixes + `)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*`)
)

// IsForward reports whether subject starts with a forward prefix ("Fwd:", "TR:", "WG:" …).
func IsForward(subject string) bool { return forwardPrefix.MatchString(subject) }

// StripForward removes the leading forward prefixes of subject ("Fwd: TR: x" is "x").
func StripForward(subject string) string { return forwardPrefix.ReplaceAllString(subject, "") }

// IsReply reports whether subject starts with a reply or forward prefix, in any language known.
func IsReply(subject string) bool { return replyPrefix.MatchString(subject) }

// BaseSubject is subject without its reply and forward prefixes (all of them, however nested:
// "RE: AW: Fwd: x" is "x"), its ticket tags and folded white space — the subject two mails of
// one conversation share (after RFC 5256 §2.1).
func BaseSubject(subject string) string {
	s := StripTags(subject)
	for range 100 { // prefixes are few; the bound keeps a hostile subject linear
		loc := replyPrefix.FindStringIndex(s)
		if loc == nil {
			loc = forwardPrefix.FindStringIndex(s)
		}
		if loc == nil || loc[1] == 0 {
			break
		}
		s = StripTags(s[loc[1]:])
	}
	return s
}
