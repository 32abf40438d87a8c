package classify

import (
	"regexp"
	"strings"
)

// Bounces without a machine-readable delivery-status part: the MTA's own
// prose (qmail, Exim, Gmail, Yahoo, Exchange, Domino, Japanese carriers…).
// Patterns were learnt from the sisimai corpus; they are only consulted
// when the header already looks like a mail system wrote the message.

// reBounceSubject: subjects of non-delivery notices. Anchored at the
// start, so a human's "Re: Undeliverable: …" never matches (and
// isReplySubject is checked too).
var reBounceSubject = regexp.MustCompile(`(?i)^\s*(\*+\s*)?(` +
	`undeliver(able|ed)|undelivered mail|returned mail|return(ed)? to sender|` +
	`(mail )?delivery (status notification|status|notification|failure|failed|has failed|report|problem)|` +
	`mail delivery (failed|failure)|failure notice|failed delivery|failure delivery|delivery failed|` +
	`permanent delivery failure|delayed mail|warning: (could not send|message .* delayed)|` +
	`mail system error|message delivery has failed|mail could not be delivered|` +
	`postmaster notify|there was an error sending your mail|sorry, your message could not be delivered|` +
	`mail failure|message you sent blocked|nondeliverable|non[- ]?delivery|non remis|non recapitabile|` +
	`unzustellbar|nicht zustellbar|onbestelbaar|no se puede entregar|não entregue|olevererbart|` +
	`notice: mail delivery status|delivery failure|недоставленное сообщение|ваше сообщение не доставлено|` +
	`メッセージを配信できません|` + `[^:]*mail delivery failed|` +
	`(your )?(e-?mail |message |mail )(was |has been )?(rejected|blocked|refused)|rejected( message)?:|blocked message|spam (rejected|blocked|detected))`)

// reSpamRejection: a filter's prose refusal, sent as a bounce but without a DSN part and often
// from an ordinary-looking address ("Your message was rejected as spam").
var reSpamRejection = regexp.MustCompile(`(?i)(rejected|blocked|refused|quarantined|bounced|not delivered)( by our filter)? (as|because it (was|is)( considered| classified| identified)?( as)?|for being) (probable |likely |possible )?(spam|junk|bulk)|` +
	`(identified|classified|detected|flagged|considered|marked) as (probable |likely |possible )?(spam|junk)[^.\n]{0,60}(rejected|blocked|refused|not (been )?delivered)`)

// Evidence tiers, strongest first.
const (
	mtaEvidence     = iota // an MTA's own boilerplate: only a mail system writes it
	genericEvidence        // unambiguous bounce wording
	weakEvidence           // words ordinary notifications use too ("delayed")
)

// proseEvidence lists phrases that, in a message from a mail system, say
// that delivery failed or is delayed. The name is reported as the Reason.
var proseEvidence = []struct {
	name string
	tier int
	re   gatedRegexp
}{
	{"qmail", mtaEvidence, gated(`(?i)this is the qmail-send program|I'm afraid I wasn't able to deliver your message`)},
	{"postfix", mtaEvidence, gated(`(?i)this is the mail system at host|I'm sorry to have to inform you that your message could not`)},
	{"exim", mtaEvidence, gated(`(?i)this message was created automatically by mail delivery software|could not be delivered to one or more of its|message has not yet been delivered to`)},
	{"sendmail", mtaEvidence, gated(`(?i)the original message was received at|-----\s*the following addresses had (permanent )?fatal errors|-----\s*transcript of session follows`)},
	{"gmail", mtaEvidence, gated(`(?i)delivery to the following recipients? (failed|has been delayed)|technical details of (permanent|temporary) failure|address (wasn't|couldn't be) found or is unable to receive mail`)},
	{"exchange", mtaEvidence, gated(`(?i)did not reach (some or all of )?the (intended|following) recipient|delivery has failed to these recipients|your message to \S+ couldn't be delivered|diagnostic information for administrators`)},
	{"yahoo", mtaEvidence, gated(`(?i)sorry, we were unable to deliver your message|unable to deliver (your|the) message to the following address`)},
	{"generic", genericEvidence, gated(`(?i)(could ?n[o']t|can ?not|was ?n[o']t|unable to|failed to) (be )?(deliver|sent|send|transmit|transferred|reached)|undeliver|delivery (has )?(failed|failure|problem|attempts)|` +
		`not (been )?delivered|permanent(ly)? (fatal )?(error|failure|failed)|returned mail|mail delivery (failed|system|subsystem)|non[- ]?delivery|` +
		`(message|mail) (was |has been )?(rejected|bounced)|still being retried|could not send message|error (transferring|sending)`)},
	{"japanese", genericEvidence, gated(`送信できません|配信できません|配送できません|届きません|宛先不明|送信先不明`)},
	{"russian", genericEvidence, gated(`(?i)не доставлено|не удалось доставить|недоставлен|не может быть доставлено`)},
	{"weak", weakEvidence, gated(`(?i)temporary (error|failure)|user unknown|unknown user|no such user|` +
		`mailbox (is )?(full|unavailable|not found|disabled|quota)|over quota|quota exceeded|recipient address rejected|` +
		`(message|mail) (was |has been )?(blocked|refused)|will (continue|keep) trying|deferred|delayed|host unknown|` +
		`invalid (user|recipient|address)|not a member|bounce|recipient not found|does not exist|doesn't exist|access denied|` +
		`メールボックス|容量|存在しません|エラー`)},
}

// maxProseBytes is how much of the subject and report text is
// searched for bounce and delay wording. MTAs put it at the top (in the
// corpus every match ends within the first 2 KB); the cap bounds the
// regexp work on huge or hostile bodies.
const maxProseBytes = 64 << 10

// bounceProse returns the name and tier of the strongest evidence in text,
// or "" and -1.
func bounceProse(text string) (string, int) {
	if len(text) > maxProseBytes {
		text = text[:maxProseBytes]
	}
	folded, aligned := foldAligned(text)
	for _, e := range proseEvidence {
		if e.re.matchFolded(text, folded, aligned) {
			return e.name, e.tier
		}
	}
	return "", -1
}

// classifyProseBounce decides bounces that carry no DSN part.
func classifyProseBounce(m *message) (Result, bool) {
	daemon, strict, null, subj := m.daemon, m.strict, m.null, m.bounceSubj
	xfail := m.h.get("X-Failed-Recipients")
	fml := m.h.has("X-Mlserver") && reFMLError.MatchString(m.subject)
	if !daemon && !null && !subj && xfail == "" && !m.noreply && !fml &&
		!m.h.has("X-Ms-Exchange-Message-Is-Ndr") {
		return Result{}, false
	}
	root := m.root()
	text := reportText(root)
	ev, tier := bounceProse(m.subject + "\n" + text)
	var reason string
	switch {
	case xfail != "":
		reason = "header X-Failed-Recipients"
	case m.h.has("X-Ms-Exchange-Message-Is-Ndr"):
		reason = "header X-MS-Exchange-Message-Is-Ndr"
	case fml:
		reason = "mailing-list manager error notice"
	case strict && !m.isAutoReplyish():
		reason = "mailer-daemon sender"
	case (daemon || null) && subj:
		reason = "bounce subject from mail system"
	case daemon && ev != "":
		reason = "bounce text (" + ev + ") from mail system"
	case (null || m.noreply) && ev != "" && tier <= genericEvidence:
		// A null or no-reply sender is also used by autoresponders and
		// notifications, so only unambiguous bounce wording counts.
		reason = "bounce text (" + ev + ") from automated sender"
	case subj && reSpamRejection.MatchString(text) && (m.filterSender() || dsnLike(root)):
		// A spam filter's refusal: a rejection subject over its wording, from a filter's
		// account or with the refused message returned. Wording and an SMTP code are not
		// enough: a customer writes "my mail was rejected as spam by your filter" and pastes
		// the 550 line (daemon and null senders are decided above).
		reason = "spam rejection subject and text"
	case subj && tier == mtaEvidence:
		// Any sender: a bounce subject over an MTA's boilerplate. A
		// person's "Delivery problem: my parcel was not delivered"
		// stays human.
		reason = "bounce subject and text (" + ev + ")"
	default:
		return Result{}, false
	}
	res := Result{Kind: Bounce, Reason: reason, OriginalMessageID: originalMessageID(root)}
	res.Recipients = withReturnedRecipient(proseRecipients(text, m), root)
	markTransient(res.Recipients, m.subject+"\n"+text)
	if len(res.Recipients) == 0 && xfail != "" {
		for _, a := range strings.Split(xfail, ",") {
			if a = cleanAddr(a); strings.Contains(a, "@") {
				res.Recipients = append(res.Recipients, Recipient{Address: a, Hard: true})
			}
		}
	}
	return res, true
}

// reFilterLocal: the local parts content filters send their refusals from.
var reFilterLocal = regexp.MustCompile(`^(.*[-_.])?(filter|mailfilter|spamfilter|contentfilter|quarantine|antispam|anti-spam|spam|mailscanner|mailguard|mailsweeper)([-_.].*)?$|quarantine`)

// filterSender: From or envelope is a content filter's account ("filter@", "quarantine@").
func (m *message) filterSender() bool {
	return reFilterLocal.MatchString(localPart(m.from)) || (m.envelope != "" && reFilterLocal.MatchString(localPart(m.envelope)))
}

// dsnLike: the structure of a bounce without its DSN part — the refused message or its header
// returned as a part, or inlined with its Message-ID line.
func dsnLike(root *part) bool {
	return root.find("message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers", "message/delivery-status") != nil ||
		originalMessageID(root) != ""
}

// reTransient: wording of delay warnings ("THIS IS A WARNING MESSAGE
// ONLY", "will be retried") as opposed to final failures.
var reTransient = gated(`(?i)\b(delayed|delay\)|warning message only|this is a warning|will (be )?retr(y|ied)|still being retried|will continue (trying|to try)|will keep trying|has not yet been delivered|temporar(y|ily)|deferred)\b`)

// markTransient sets Hard for prose recipients without any code: a delay
// warning is temporary, anything else a permanent failure.
func markTransient(rs []Recipient, text string) {
	if len(text) > maxProseBytes {
		text = text[:maxProseBytes]
	}
	transient := reTransient.MatchString(text)
	for i := range rs {
		if rs[i].Status == "" && rs[i].ReplyCode == "" {
			rs[i].Hard = !transient
		}
	}
}

// isAutoReplyish: a vacation notice sent with a MAILER-DAEMON From is
// still a vacation notice; only explicit vacation markers overrule the
// sender here.
func (m *message) isAutoReplyish() bool {
	return reVacationPrefix.MatchString(m.subject) && !m.bounceSubj
}

var reFMLError = regexp.MustCompile(`(?i)are not member|loop alert|not a member|rejected|error`)

// --- recipient extraction from prose ---------------------------------------

const skipAfter = `(generated|expanded|forwarded|redirected) from:?|sent by:?|message from:?|to the address:?`

var (
	reAddr = regexp.MustCompile(`[A-Za-z0-9!#$%&'*+/=?^_{|}~.\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`)
	// Words that announce the returned message; see isReturnedMarker.
	reMarkerWords = gated(`(?i)(original message|copy of (the|your) message|returned message|message headers|undelivered message|below this line|headers? of the original|original mail|original headers|unsent message|orginal message|message text follows|message follows|forwarded message)`)
	reSkipLine    = regexp.MustCompile(`(?i)^\s*(message-id|in-reply-to|references|from|mail from|sender|reporting-mta|received|return-path|x-[a-z\-]+|envelope-from|reply-to|date|subject|to|cc|delivered-to|envelope-to)\s*:`)
	// Addresses that are mentioned, not reported: help contacts and the
	// alias an address was expanded from.
	reSkipContext = regexp.MustCompile(`(?i)((contact|administrator|helpdesk|help desk|support|postmaster)\b[^@\n]{0,40}|` + skipAfter + `)$`)
	// The same, for an address alone on the line after the words.
	reSkipPrev = regexp.MustCompile(`(?i)(` + skipAfter + `)$`)
)

// findAddrs is reAddr.FindAllStringIndex(s, -1), without the regexp
// engine: on a long line of near-addresses ("a@a@a@…") the engine costs
// over 100 ns a byte. A match is the whole run of local-part characters
// before an "@", then the longest run of dot-separated labels after it
// that has at least one dot (neither "@" nor "." is a label character).
func findAddrs(s string) [][]int {
	var out [][]int
	for from := 0; from < len(s); {
		at := strings.IndexByte(s[from:], '@')
		if at < 0 {
			break
		}
		at += from
		start := at
		for start > from && isAddrLocal(s[start-1]) {
			start--
		}
		end, i := -1, at+1
		for i < len(s) && isAddrLabel(s[i]) {
			i++
		}
		if i > at+1 { // a first label
			for i < len(s) && s[i] == '.' {
				j := i + 1
				for j < len(s) && isAddrLabel(s[j]) {
					j++
				}
				if j == i+1 {
					break
				}
				end, i = j, j
			}
		}
		if start == at || end < 0 {
			from = at + 1 // no match starts at or before this "@"
			continue
		}
		out = append(out, []int{start, end})
		from = end
	}
	return out
}

// isAddrLabel: [A-Za-z0-9\-], a domain label character of reAddr.
func isAddrLabel(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

// isAddrLocal: [A-Za-z0-9!#$%&'*+/=?^_{|}~.\-], a local-part character of reAddr.
func isAddrLocal(c byte) bool {
	return isAddrLabel(c) || strings.IndexByte("!#$%&'*+/=?^_{|}~.", c) >= 0
}

// isReturnedMarker reports a line that introduces the returned message:
// a keyword on a separator line ("------ This is a copy of the message"),
// or a short line ending in ":" or saying "follows"/"below"/"attached".
// Plain sentences that merely mention "the original message" do not cut.
func isReturnedMarker(line string) bool {
	t := strings.TrimSpace(line)
	if t == "" || !reMarkerWords.Regexp.MatchString(t) {
		return false
	}
	if strings.HasPrefix(t, "--") || strings.HasPrefix(t, "==") || strings.HasPrefix(t, "**") || strings.HasPrefix(t, "__") || strings.HasPrefix(t, "##") {
		return true
	}
	lt := strings.ToLower(t)
	if strings.Contains(lt, "follow") || strings.Contains(lt, "below") ||
		strings.HasSuffix(lt, "attached") || strings.HasSuffix(lt, "attached.") || strings.HasSuffix(lt, "attached:") {
		return true
	}
	return len(t) < 60 && (strings.HasSuffix(t, ":") || strings.HasSuffix(t, "-"))
}

// proseRecipients pulls failed recipients out of report text. DSN fields
// quoted in the text win; otherwise every address in the report section
// (above the returned message) that is not the bounce's own addressee or
// a mail-system account starts a recipient, and the codes on its line and
// the lines that follow, up to the next recipient, describe it.
func proseRecipients(text string, m *message) []Recipient {
	if len(text) > 256<<10 {
		text = text[:256<<10]
	}
	region := reportRegion(text)
	if strings.Contains(strings.ToLower(region), "final-recipient:") {
		var out []Recipient
		for _, r := range parseDSN(region) {
			if r.action == "delivered" || r.action == "relayed" || r.action == "expanded" {
				continue
			}
			out = append(out, r.toRecipient())
		}
		if len(out) > 0 {
			return out
		}
	}
	exclude := map[string]bool{m.from: true, m.envelope: true}
	// The bounce is addressed to the original sender, whose address the
	// prose often repeats ("Your message to X sent by Y"). Skip it, unless
	// that leaves nothing: people do mail themselves.
	for _, k := range []string{"To", "Cc"} {
		for _, a := range reAddr.FindAllString(m.h.get(k), -1) {
			exclude[strings.ToLower(a)] = true
		}
	}
	if rs := scanRecipients(region, exclude, true); len(rs) > 0 {
		return rs
	}
	if rs := scanRecipients(region, map[string]bool{m.from: true}, false); len(rs) > 0 {
		return rs
	}
	// The report names no address: if the message returned inline was
	// sent to a single recipient, that one failed.
	if to := inlineReturnedTo(text[len(region):]); to != "" {
		st, code, diag := codesIn(region)
		return []Recipient{{Address: to, Status: st, ReplyCode: code, Diagnostic: diag, Hard: isHard(st, code, "failed")}}
	}
	// Some relays wrap a whole bounce as text: look through all of it.
	return scanRecipients(text, exclude, true)
}

var reInlineTo = regexp.MustCompile(`(?im)^[ \t>]*To:[ \t]*(.*)$`)

// inlineReturnedTo returns the address of a single-recipient To: line in
// the returned message's inline header, "" otherwise.
func inlineReturnedTo(returned string) string {
	if len(returned) > 16<<10 {
		returned = returned[:16<<10]
	}
	m := reInlineTo.FindStringSubmatch(returned)
	if m == nil {
		return ""
	}
	addrs := reAddr.FindAllString(m[1], -1)
	if len(addrs) != 1 {
		return ""
	}
	return cleanAddr(addrs[0])
}

// scanRecipients walks the report text line by line; skipDaemons leaves
// out postmaster and MAILER-DAEMON addresses, usually named as contacts.
func scanRecipients(region string, exclude map[string]bool, skipDaemons bool) []Recipient {
	type span struct {
		r          Recipient
		start, end int // the text describing it
	}
	var spans []span
	seen := map[string]bool{}
	prev := "" // the last non-blank line, for context that wraps
	for lineStart := 0; lineStart < len(region) && len(spans) < 100; {
		lineEnd := len(region)
		if nl := strings.IndexByte(region[lineStart:], '\n'); nl >= 0 {
			lineEnd = lineStart + nl
		}
		line := region[lineStart:lineEnd]
		// No "@", no address (reAddr needs one): skip the regexps.
		if strings.IndexByte(line, '@') >= 0 && !reSkipLine.MatchString(line) {
			for _, loc := range findAddrs(line) {
				a := cleanAddr(line[loc[0]:loc[1]])
				if i := strings.LastIndexByte(a, '/'); i >= 0 {
					a = a[i+1:] // a file path ending in an address
				}
				lp := localPart(a)
				if lp == "" || exclude[a] || seen[a] || (skipDaemons && isDaemonLocal(lp)) || strings.HasPrefix(lp, "-") {
					continue
				}
				seen[a] = true
				// A short window is context enough, and keeps a long
				// line full of addresses linear.
				before := strings.TrimRight(line[max(0, loc[0]-80):loc[0]], " \t<(\"")
				if reSkipContext.MatchString(before) || isMessageIDContext(line, loc[0]) ||
					(strings.TrimSpace(before) == "" && reSkipPrev.MatchString(strings.TrimSpace(prev))) {
					continue
				}
				if len(spans) > 0 {
					spans[len(spans)-1].end = lineStart
				}
				spans = append(spans, span{r: Recipient{Address: a}, start: lineStart, end: len(region)})
				// Further addresses on the same line describe this one
				// ("a@x <b@y>: malformed address").
				break
			}
		}
		if strings.TrimSpace(line) != "" {
			prev = line
		}
		lineStart = lineEnd + 1
	}
	out := make([]Recipient, 0, len(spans))
	for _, s := range spans {
		seg := region[s.start:max(s.end, s.start)]
		if len(seg) > 4096 {
			seg = seg[:4096]
		}
		s.r.Status, s.r.ReplyCode, s.r.Diagnostic = codesIn(seg)
		if s.r.Status == "" && s.r.ReplyCode == "" {
			// "Could not be delivered because of 550 5.1.1 User
			// unknown. The following recipients were affected: …":
			// the codes came before the list.
			pre := region[:spans[0].start]
			if len(pre) > 4096 {
				pre = pre[len(pre)-4096:]
			}
			if st, code, diag := codesIn(pre); st != "" || code != "" {
				s.r.Status, s.r.ReplyCode, s.r.Diagnostic = st, code, diag
			}
		}
		s.r.Hard = isHard(s.r.Status, s.r.ReplyCode, "failed")
		out = append(out, s.r)
	}
	return out
}

// isMessageIDContext reports an "address" that is really a message or
// queue id ("id <…@host>", "Message-ID: <…>").
func isMessageIDContext(line string, at int) bool {
	before := " " + strings.ToLower(strings.TrimRight(line[max(0, at-24):at], " \t<"))
	return strings.HasSuffix(before, " id") || strings.HasSuffix(before, "message-id:") || strings.HasSuffix(before, " id:")
}

// returnedFields start the lines that begin a returned message's header.
var returnedFields = []string{"Return-Path:", "Received:", "Message-Id:", "Message-ID:", "DKIM-Signature:", "X-Original-To:", "Delivered-To:"}

// headerStart returns the offset of the first line that starts with one of
// returnedFields (as written, case matters), or -1. It is the regexp
// (?m)^(Return-Path|Received|Message-I[dD]|DKIM-Signature|X-Original-To|Delivered-To):
// without the regexp engine's cost per byte.
func headerStart(text string) int {
	for off := 0; off < len(text); {
		switch text[off] {
		case 'R', 'M', 'D', 'X':
			for _, f := range returnedFields {
				if strings.HasPrefix(text[off:], f) {
					return off
				}
			}
		}
		nl := strings.IndexByte(text[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	return -1
}

// reportRegion cuts text at the start of the returned message.
func reportRegion(text string) string {
	cut := len(text)
	if i := headerStart(text); i > 0 {
		cut = i
	}
	// A marker line contains one of reMarkerWords' literals: look for them
	// in the folded text, and run the regexp only on lines that have one.
	span := text
	if i := strings.IndexByte(text[cut:], '\n'); i >= 0 {
		span = text[:cut+i] // the lines that start before cut
	}
	folded, aligned := foldAligned(span)
	if !reMarkerWords.mayMatch(folded) {
		return text[:cut]
	}
	for off := 0; off < cut; {
		end := strings.IndexByte(text[off:], '\n')
		if end < 0 {
			end = len(text) - off
		}
		if off > 0 && (!aligned || reMarkerWords.mayMatch(folded[off:off+end])) && isReturnedMarker(text[off:off+end]) {
			cut = off
			break
		}
		off += end + 1
	}
	return text[:cut]
}

// reCodeLine: a bare SMTP failure reply code (RFC 5321 §4.2: 4 or 5, then
// 0-5, then a digit) standing alone between separators, as in "said:
// 550", "550 - Requested action", "ERROR_CODE :550,". Success codes are
// never a failure's reason and too easily confused with other numbers.
var reCodeLine = regexp.MustCompile(`(?m)(?:^|[\s:(\[#<>"'=])([45][0-5]\d)(?:[ \t\-:,;'"\])<]|$)`)

// codesIn finds the enhanced status, reply code and diagnostic line in the
// text that describes one recipient.
func codesIn(seg string) (status, code, diag string) {
	// Transcripts also show the successful steps ("250 2.1.5 Ok"): a
	// failure code wins over an earlier success code.
	if m := firstFailure(reReplyWithStatus.FindAllStringSubmatchIndex(seg, 50), seg, 2); m != nil {
		code, status = seg[m[2]:m[3]], seg[m[4]:m[5]]
		diag = lineAround(seg, m[0])
		return status, code, shorten(diag)
	}
	if m := firstFailure(reStatus.FindAllStringSubmatchIndex(seg, 50), seg, 0); m != nil {
		status = seg[m[0]:m[1]]
		diag = lineAround(seg, m[0])
	}
	if m := firstFailure(reCodeLine.FindAllStringSubmatchIndex(seg, 50), seg, 2); m != nil {
		code = seg[m[2]:m[3]]
		if diag == "" {
			diag = lineAround(seg, m[2])
		}
	}
	if diag == "" {
		for _, l := range strings.Split(seg, "\n") {
			if l = strings.TrimSpace(l); len(l) > 3 && !strings.HasPrefix(l, "--") {
				diag = l
				break
			}
		}
	}
	return status, code, shorten(diag)
}

// firstFailure picks the first match whose group g (0: whole match) is a
// 4xx/5xx code, else the first match.
func firstFailure(ms [][]int, s string, g int) []int {
	for _, m := range ms {
		if c := s[m[g]]; c == '4' || c == '5' {
			return m
		}
	}
	if len(ms) > 0 {
		return ms[0]
	}
	return nil
}

func lineAround(s string, at int) string {
	start := strings.LastIndexByte(s[:at], '\n') + 1
	end := strings.IndexByte(s[at:], '\n')
	if end < 0 {
		end = len(s)
	} else {
		end += at
	}
	return s[start:end]
}

// fillFromProse completes DSN recipients with what the human-readable part
// says about the same address: missing codes, a more specific status.
func fillFromProse(rs []Recipient, text string, m *message) {
	var prose []Recipient
	parsed := false
	for i := range rs {
		if rs[i].ReplyCode != "" && rs[i].Status != "" && !strings.HasSuffix(rs[i].Status, ".0") && rs[i].Diagnostic != "" {
			continue
		}
		if !parsed {
			prose, parsed = proseRecipients(text, m), true
		}
		for _, p := range prose {
			if p.Address != rs[i].Address {
				continue
			}
			if rs[i].ReplyCode == "" && (rs[i].Status == "" || p.ReplyCode == "" || p.ReplyCode[0] == rs[i].Status[0]) {
				rs[i].ReplyCode = p.ReplyCode
			}
			if st := refineStatus(rs[i].Status, p.Status); st != rs[i].Status {
				rs[i].Status = st
				rs[i].Hard = isHard(st, rs[i].ReplyCode, "failed")
			}
			if rs[i].Diagnostic == "" {
				rs[i].Diagnostic = p.Diagnostic
			}
			break
		}
	}
}
