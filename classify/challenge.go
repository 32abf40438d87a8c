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

// reChallengeSubject: the subjects of challenges. Anchored: a person's "Re: Please confirm…"
// is excluded by the reply-subject check too.
var reChallengeSubject = regexp.MustCompile(`(?i)^\s*(\[boxbe\]|boxbe|bluebottle|spamarrest)|` +
	`please (confirm|verify) (that )?(you are|you're) (a )?human|` +
	`(confirm|verify) (your )?(message|e-?mail) (to|for) \S+@|` +
	`^\s*(please )?(confirm|verify) your (message|e-?mail( message)?)\s*$|` +
	`(whitelist|white-list|approved senders?|guest list) (request|approval|verification)|` +
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
	if !m.replySubj && challengeWords(m.subject) && reChallengeSubject.MatchString(m.subject) {
		return m.challenge("challenge subject"), true
	}
	robot := m.null || m.noreply || (m.autoSubmitted() != "" && m.autoSubmitted() != "no" && m.autoSubmitted() != "auto-forwarded")
	if !robot {
		return Result{}, false
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
