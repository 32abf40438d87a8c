package classify

import (
	"regexp"
	"strings"
)

// Challenge-response systems (Boxbe, Bluebottle, SpamArrest, TMDA, qconfirm…) answer mail from
// unknown senders with a request to prove a human sent it, or to be put on a whitelist. Such a
// mail is a robot's like an auto-reply, but it asks for something only the sender can do (click
// a link, answer by mail): it is kept, never a ticket, and never answered — answering it would
// confirm every acknowledgement we send, and an answer to an answer is how loops start.

// challengeDomains are the services' own sending domains.
var challengeDomains = []string{"boxbe.com", "bluebottle.com", "spamarrest.com", "mailblocks.com", "choicemailfree.com", "digiportal.com"}

// reChallengeSubject: the subjects of challenges that name the service, the "are you human"
// question or the address waiting for approval — wording a customer does not put in a subject.
// Anchored where it can be: a person's "Re: Please confirm…" is excluded by the reply-subject
// check too.
var reChallengeSubject = regexp.MustCompile(`(?i)^\s*(\[boxbe\]|boxbe|bluebottle|spamarrest)|` +
	`please (confirm|verify) (that )?(you are|you're) (a )?human|` +
	`(confirm|verify) (your )?(message|e-?mail) (to|for) \S+@|` +
	`^\s*(please )?(confirm|verify) your (message|e-?mail( message)?)\s*$|` +
	`(whitelist|white-list|approved senders?|guest list) (request|approval|verification) (from|for) \S+@`)

// reChallengeWeakSubject: challenge subjects a customer writes too ("Whitelist request for our
// mail server", "Verification required for my account", "Challenge 5 does not unlock"). They
// count only from a sender that is a robot by its header (see robotSender): a customer's mail
// taken for a challenge opens no ticket and is purged — lost.
var reChallengeWeakSubject = regexp.MustCompile(`(?i)(whitelist|white-list|approved senders?|guest list) (request|approval|verification)|` +
	`request to (join|be added to) (my|the) (whitelist|guest list|approved senders)|` +
	`^\s*(sender )?verification (request|required|needed)|` +
	`^\s*(auto(matic)?[- ]?)?(challenge|anti-?spam verification)\b`)

// reChallengeText: the body wording, searched only in mail whose header already says a robot
// sent it, so human mail is still decided from the header alone.
var reChallengeText = gated(`(?i)(confirm|verify|prove) (that )?(you are|you're) (a )?(human|real person|not a (robot|computer|spammer))|` +
	`i (am|use|'m) (protected by|using) (a )?(spam|challenge|sender)|` +
	`(add|put) (you|your (e-?mail|address)) (to|on) (my|the|his|her|their) (whitelist|white list|approved senders?|guest list|list of approved)|` +
	`your message (is|has been) (held|quarantined|pending) (until|awaiting) (you )?(verif|confirm)|` +
	`(click|follow) (on )?the (link|url) below to (verify|confirm|deliver|release)|` +
	`this is a (one-time|one time) (verification|request)|challenge[- ]response`)

// classifyChallenge decides challenge-response mail: by TMDA's field or the service's domain, by a
// challenge subject, or, from a robot sender, by the body's wording.
func classifyChallenge(m *message) (Result, bool) {
	// TMDA names itself; the services are known by their domains (below).
	if strings.HasPrefix(strings.ToLower(m.h.get("X-Delivery-Agent")), "tmda") {
		return m.challenge("header X-Delivery-Agent: TMDA"), true
	}
	for _, d := range challengeDomains {
		if strings.HasSuffix(m.from, "@"+d) || strings.HasSuffix(m.from, "."+d) {
			return m.challenge("sender domain " + d), true
		}
	}
	subj := !m.replySubj && challengeWords(m.subject)
	if subj && reChallengeSubject.MatchString(m.subject) {
		return m.challenge("challenge subject"), true
	}
	if !m.robotSender() {
		return Result{}, false
	}
	if subj && reChallengeWeakSubject.MatchString(m.subject) {
		return m.challenge("challenge subject from an automated sender"), true
	}
	text := m.parsed.Text
	if len(text) > maxProseBytes {
		text = text[:maxProseBytes]
	}
	if text != "" && reChallengeText.MatchString(text) {
		return m.challenge("challenge text from an automated sender"), true
	}
	return Result{}, false
}

// robotSender: the header says software sent the mail — the null reverse-path, a no-reply style
// sender, Auto-Submitted other than no (auto-forwarded is a person's mail, RFC 3834 §5), or
// Precedence bulk/junk.
func (m *message) robotSender() bool {
	if m.null || m.noreply {
		return true
	}
	if as := m.autoSubmitted(); as != "" && as != "no" && as != "auto-forwarded" {
		return true
	}
	p := m.precedence()
	return p == "bulk" || p == "junk"
}

// challengeWords is a cheap gate before reChallengeSubject: one of the words every alternative
// of it has.
func challengeWords(s string) bool {
	for _, w := range []string{"confirm", "verif", "whitelist", "white-list", "approved sender", "guest list", "challenge", "boxbe", "bluebottle", "spamarrest"} {
		if containsFold(s, w) {
			return true
		}
	}
	return false
}

func (m *message) challenge(reason string) Result {
	return Result{Kind: Challenge, Reason: reason, OriginalMessageID: m.inReplyTo()}
}
