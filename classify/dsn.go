package classify

import (
	"regexp"
	"strings"
)

// Structured reports: multipart/report (RFC 6522) carrying a
// message/delivery-status (RFC 3464), message/feedback-report (RFC 5965)
// or message/disposition-notification (RFC 8098) part.

// dsnRecipient is one per-recipient block of a delivery-status part
// (RFC 3464 §2.3).
type dsnRecipient struct {
	final, original, actual string
	action, status, diag    string
}

var (
	reStatus    = regexp.MustCompile(`\b([245])\.([0-7])\.(\d{1,3})\b`)
	reReplyCode = regexp.MustCompile(`^\s*([245]\d\d)(?:[\s\-.;:,]|$)`)
	// A reply code followed by an enhanced status, anywhere in a text
	// ("550-5.1.1", "said: 550 5.7.1").
	reReplyWithStatus = regexp.MustCompile(`\b([245][0-5]\d)[\s\-:'"]+#?([245]\.[0-7]\.\d{1,3})\b`)
)

// suspicious reports whether the header gives any reason to look at the
// body at all. Plain human mail never does, which keeps it header-only.
func (m *message) suspicious() bool {
	return m.mt == "multipart/report" || m.daemon || m.null || m.noreply || m.bounceSubj ||
		m.h.has("X-Failed-Recipients") || m.h.has("X-Ms-Exchange-Message-Is-Ndr")
}

// classifyReport handles RFC 6522 reports, wherever the report part sits:
// some MTAs wrap the delivery-status part in multipart/mixed or omit the
// report-type parameter.
func classifyReport(m *message) (Result, bool) {
	if !m.suspicious() {
		return Result{}, false
	}
	isReport := m.mt == "multipart/report"
	if !isReport && !strings.HasPrefix(m.mt, "multipart/") {
		return Result{}, false
	}
	root := m.root()
	rt := strings.ToLower(m.params["report-type"])

	if fb := root.find("message/feedback-report"); fb != nil || (isReport && rt == "feedback-report") {
		return Result{Kind: FeedbackReport, Reason: "multipart/report feedback-report", OriginalMessageID: embeddedMessageID(root)}, true
	}
	if dss := root.findAll("message/delivery-status", "message/global-delivery-status"); len(dss) > 0 {
		var recips []dsnRecipient
		for _, ds := range dss {
			recips = append(recips, parseDSN(ds.body)...)
		}
		return dsnResult(m, root, recips, "multipart/report delivery-status"), true
	}
	if isReport && rt == "delivery-status" {
		// Declared a DSN but the status part is missing or mislabelled
		// (text/plain): parse whatever DSN fields the text holds.
		return dsnResult(m, root, parseDSN(reportText(root)), "multipart/report delivery-status"), true
	}
	if md := root.find("message/disposition-notification", "message/global-disposition-notification"); md != nil || (isReport && rt == "disposition-notification") {
		// An MDN (read receipt, RFC 8098) is an automatic response.
		id := ""
		if md != nil {
			// mailparse read the notification's fields (RFC 8098 §3.1).
			id = msgID(md.enclosed.get("Original-Message-Id"))
		}
		if id == "" {
			id = embeddedMessageID(root)
		}
		if id == "" {
			id = m.inReplyTo()
		}
		return Result{Kind: AutoReply, Reason: "multipart/report disposition-notification", OriginalMessageID: id}, true
	}
	if isReport && rt != "" {
		// Some other machine report (RFC 8460 TLS reports, vendor
		// types): not a person, and not a bounce of ours either.
		return Result{Kind: AutoReply, Reason: "multipart/report " + rt, OriginalMessageID: embeddedMessageID(root)}, true
	}
	return Result{}, false
}

// dsnResult turns parsed DSN recipients into a Result: a delivery-success
// DSN when every recipient was delivered, relayed or expanded (RFC 3464
// §2.3.3), otherwise a bounce listing the failed and delayed recipients.
func dsnResult(m *message, root *part, recips []dsnRecipient, reason string) Result {
	res := Result{Kind: Bounce, Reason: reason, OriginalMessageID: originalMessageID(root)}
	success := len(recips) > 0
	for _, r := range recips {
		// "deliverable" is the verify-mode (sendmail -bv) success.
		switch r.action {
		case "delivered", "relayed", "expanded", "deliverable":
			continue
		}
		if r.action == "" && strings.HasPrefix(strings.TrimSpace(r.status), "2.") {
			continue
		}
		success = false
		res.Recipients = append(res.Recipients, r.toRecipient())
	}
	if success {
		res.Kind = DeliverySuccess
		res.Reason = reason + ", all recipients delivered"
		return res
	}
	if len(res.Recipients) == 0 {
		// No usable per-recipient fields: fall back to the prose.
		text := reportText(root)
		res.Recipients = proseRecipients(text, m)
		markTransient(res.Recipients, m.subject+"\n"+text)
	} else {
		fillFromProse(res.Recipients, reportText(root), m)
	}
	res.Recipients = withReturnedRecipient(res.Recipients, root)
	return res
}

// withReturnedRecipient covers reports that never name the recipient in
// a usable form (no per-recipient block, or a pipe/file destination): when
// the returned message was addressed to a single recipient, that is the
// one that failed.
func withReturnedRecipient(rs []Recipient, root *part) []Recipient {
	if len(rs) > 1 || (len(rs) == 1 && strings.Contains(rs[0].Address, "@")) {
		return rs
	}
	var to string
	ok := false
	root.walk(func(p *part) {
		if ok || !p.embedded.present() {
			return
		}
		addrs := reAddr.FindAllString(p.embedded.get("To"), -1)
		if len(addrs) == 1 && !p.embedded.has("Cc") {
			to, ok = strings.ToLower(addrs[0]), true
		}
	})
	if !ok {
		return rs
	}
	if len(rs) == 0 {
		return []Recipient{{Address: to, Hard: true}}
	}
	rs[0].Address = to
	return rs
}

func (r dsnRecipient) toRecipient() Recipient {
	addr := r.final
	if addr == "" || !strings.Contains(addr, "@") {
		if r.original != "" {
			addr = r.original
		} else if r.actual != "" {
			addr = r.actual
		}
	}
	out := Recipient{Address: cleanAddr(addr)}
	diag := strings.TrimSpace(r.diag)
	if i := strings.IndexByte(diag, ';'); i >= 0 && i < 12 && !strings.ContainsAny(diag[:i], " <@") {
		diag = strings.TrimSpace(diag[i+1:]) // drop the diagnostic-type ("smtp;")
	}
	out.Diagnostic = shorten(diag)
	if sm := reStatus.FindString(r.status); sm != "" {
		out.Status = sm
	}
	if rm := reReplyCode.FindStringSubmatch(diag); rm != nil {
		out.ReplyCode = rm[1]
	}
	if out.ReplyCode == "" || out.ReplyCode[0] == '2' {
		// No leading code, or a greeting ("220-mx 421 4.2.1 …"): take
		// the first failure code in the text.
		if _, code, _ := codesIn(diag); code != "" {
			out.ReplyCode = code
		}
	}
	// The reporting MTA's generic Status is refined by the remote
	// server's own enhanced code quoted in the diagnostic.
	out.Status = refineStatus(out.Status, reStatus.FindAllString(diag, 10)...)
	out.Hard = isHard(out.Status, out.ReplyCode, r.action)
	return out
}

// refineStatus returns the most specific enhanced code among cur and the
// codes in cands (RFC 3463 §3.1: a subject or detail of 0 means "other or
// undefined"): a reporting MTA's generic 5.0.0 gives way to the remote
// server's 5.1.1. Only codes of cur's class are considered.
func refineStatus(cur string, cands ...string) string {
	best, bestLevel := cur, genericLevel(cur)
	for _, c := range cands {
		if c == "" || (best != "" && c[0] != best[0]) {
			continue
		}
		if l := genericLevel(c); best == "" || l < bestLevel {
			best, bestLevel = c, l
		}
	}
	return best
}

// genericLevel: 2 for x.0.0, 1 for x.y.0, 0 for a specific x.y.z.
func genericLevel(s string) int {
	switch {
	case s == "":
		return 3
	case strings.HasSuffix(s, ".0.0"):
		return 2
	case strings.HasSuffix(s, ".0"):
		return 1
	}
	return 0
}

// isHard: permanent failure per the enhanced status class (RFC 3463 §3.1),
// else the reply code class (RFC 5321 §4.2.1), else a "failed" action.
func isHard(status, code, action string) bool {
	switch {
	case status != "":
		return status[0] == '5'
	case code != "":
		return code[0] == '5'
	}
	return action == "failed"
}

// parseDSN reads the per-recipient blocks of a delivery-status body. The
// format is header-like blocks separated by blank lines (RFC 3464 §2.1),
// but real reports omit blank lines, double them, split one recipient's
// fields by them or start a block with Action. So fields accumulate into
// one recipient until a field it already has comes again (after a blank
// line for ordinary fields, anywhere for the recipient fields).
func parseDSN(body string) []dsnRecipient {
	var out []dsnRecipient
	var cur dsnRecipient
	flush := func() {
		if cur.final != "" || cur.original != "" || cur.actual != "" {
			out = append(out, cur)
		}
		cur = dsnRecipient{}
	}
	blank := false // a blank line since the last field
	var lastKey string
	rest := body
	for len(rest) > 0 && len(out) < 1000 {
		var s string
		s, rest = cutLine(rest)
		if strings.TrimSpace(s) == "" {
			blank = true
			lastKey = ""
			continue
		}
		if (s[0] == ' ' || s[0] == '\t') && lastKey != "" && !isDSNFieldLine(s) {
			// Continuation line (a folded Diagnostic-Code, usually).
			if lastKey == "diagnostic-code" && len(cur.diag) < 1000 {
				cur.diag += " " + strings.TrimSpace(s)
			}
			continue
		}
		i := strings.IndexByte(s, ':')
		if i <= 0 {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(s[:i]))
		val := strings.TrimSpace(s[i+1:])
		lastKey = key
		var f *string
		repeatSplits := false
		switch key {
		case "final-recipient":
			f, repeatSplits, val = &cur.final, true, dsnAddress(val)
		case "original-recipient":
			// RFC 3464 puts Original- before Final-Recipient; Postfix
			// writes them the other way round.
			f, repeatSplits, val = &cur.original, true, dsnAddress(val)
		case "x-actual-recipient":
			f, val = &cur.actual, dsnAddress(val)
		case "action":
			f, val = &cur.action, strings.ToLower(strings.Fields(val + " x")[0])
		case "status":
			f = &cur.status
		case "diagnostic-code":
			f = &cur.diag
		default:
			continue
		}
		if *f != "" && (repeatSplits || blank) {
			flush() // cur is reset, f still points into it
		}
		*f = val
		blank = false
	}
	flush()
	return out
}

// isDSNFieldLine: an indented line that still starts a recipient field
// (seen in hand-edited reports), rather than continuing the previous one.
func isDSNFieldLine(s string) bool {
	k, _, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return false
	}
	switch strings.ToLower(k) {
	case "final-recipient", "original-recipient", "action", "status", "diagnostic-code", "remote-mta":
		return true
	}
	return false
}

// dsnAddress strips the address-type of a recipient field ("rfc822;
// <User@Example.com>").
func dsnAddress(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[i+1:]
	}
	a := cleanAddr(v)
	if !strings.Contains(a, "@") {
		// A pipe or file destination ("|/usr/bin/procmail user@host")
		// may still name the address it was expanded from.
		if f := reAddr.FindString(v); f != "" {
			return strings.ToLower(f)
		}
	}
	return a
}

// cleanAddr lower-cases an address and strips brackets, quotes and
// trailing punctuation.
func cleanAddr(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			v = v[i+1 : i+j]
		}
	}
	v = strings.Trim(v, " \t'<>()[],;:.")
	if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	} else if strings.Count(v, `"`) == 1 {
		v = strings.ReplaceAll(v, `"`, "")
	}
	if f := strings.Fields(v); len(f) > 0 {
		v = f[0]
	}
	return strings.ToLower(v)
}

// shorten collapses whitespace and caps a diagnostic at a readable length.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		cut := 300
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut]
	}
	return s
}

// embeddedMessageID returns the Message-ID of the first returned message
// or returned header block in the tree.
func embeddedMessageID(root *part) string {
	id := ""
	root.walk(func(p *part) {
		if id == "" && p.embedded.present() {
			id = msgID(p.embedded.get("Message-Id"))
		}
	})
	return id
}

var reBodyMessageID = regexp.MustCompile(`(?im)^[ \t>]*Message-I[dD][ \t]*:[ \t]*(<[^>\s]+>|\S+@\S+)`)

// originalMessageID finds the Message-ID of the message a report is
// about: the returned message/rfc822 or text/rfc822-headers part, else a
// Message-ID header line quoted in the report's text (qmail, Exim and
// others inline the returned message).
func originalMessageID(root *part) string {
	if id := embeddedMessageID(root); id != "" {
		return id
	}
	var id string
	root.walk(func(p *part) {
		// Any leaf will do: the report's own Message-ID is in the top
		// header, so one in a body names the returned message (also
		// when a broken boundary merged it into another part).
		if id != "" || len(p.children) > 0 || p.mediaType == "text/html" ||
			!(strings.HasPrefix(p.mediaType, "text/") || strings.HasPrefix(p.mediaType, "message/")) {
			return
		}
		b := p.body
		if len(b) > 256<<10 {
			b = b[:256<<10]
		}
		if v, ok := bodyMessageID(b); ok {
			id = msgID(v)
		}
	})
	return id
}

// bodyMessageID returns the value of the first Message-ID line in s, as
// reBodyMessageID.FindStringSubmatch(s)[1] would. No part of the pattern
// crosses a line end, so it runs only on the lines that contain
// "Message-I" in any case, rather than over the whole text.
func bodyMessageID(s string) (string, bool) {
	f, aligned := foldAligned(s)
	if !aligned { // offsets in f are not offsets in s
		if sm := reBodyMessageID.FindStringSubmatch(s); sm != nil {
			return sm[1], true
		}
		return "", false
	}
	for from := 0; from < len(s); {
		i := strings.Index(f[from:], "MESSAGE-I")
		if i < 0 {
			break
		}
		i += from
		start, end := strings.LastIndexByte(s[:i], '\n')+1, len(s)
		if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
			end = i + j
		}
		if sm := reBodyMessageID.FindStringSubmatch(s[start:end]); sm != nil {
			return sm[1], true
		}
		from = end
	}
	return "", false
}

// reportText concatenates the human-readable text parts of a report
// (text/plain, and text/html with tags removed when there is no plain
// part), skipping returned messages.
func reportText(root *part) string {
	var b strings.Builder
	var html []string
	root.walk(func(p *part) {
		if b.Len() > maxTextBytes {
			return
		}
		switch {
		case p.mediaType == "text/plain" || p.mediaType == "text/enriched":
			b.WriteString(p.body)
			b.WriteByte('\n')
		case p.mediaType == "text/html":
			html = append(html, stripTags(p.body))
		}
	})
	if b.Len() == 0 {
		for _, h := range html {
			b.WriteString(h)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

var reEntities = strings.NewReplacer("&nbsp;", " ", "&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`, "&#39;", "'")

// stripTags turns HTML into rough text, keeping line breaks at block ends:
// a <br> or a closing tag becomes a newline, any other tag (and a
// <script> or <style> element with its content) disappears.
//
// It is a linear scan with the leftmost-first semantics of the regexp
//
//	(?s)<(script|style)[^>]*>.*?</(script|style)>|<br\s*/?>|</(p|div|tr|li|h\d)>|<[^>]*>
//
// which it replaced: run with ReplaceAllStringFunc, that regexp is
// quadratic, because every unclosed "<script>" makes the search for the
// next tag look for "</script>" up to the end of the text.
func stripTags(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	closer := scriptCloser{s: s}
	i := 0 // s[:i] is done
	for {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			break
		}
		lt += i
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			break // no '>' left: no tag starts at or after lt
		}
		end := lt + gt + 1 // the tag itself, up to the first '>'
		if t := s[lt+1:]; strings.HasPrefix(t, "script") || strings.HasPrefix(t, "style") {
			if c, n := closer.next(end); c >= 0 {
				end = c + n // the whole element
			}
		}
		b.WriteString(s[i:lt])
		if t := s[lt+1 : end]; t[0] == '/' || len(t) >= 2 && (t[0]|0x20) == 'b' && (t[1]|0x20) == 'r' {
			b.WriteByte('\n')
		}
		i = end
	}
	b.WriteString(s[i:])
	return reEntities.Replace(b.String())
}

// scriptCloser finds the first "</script>" or "</style>" at or after an
// offset. Offsets only grow, so a search is repeated only once the
// occurrence it found has been passed: the text is scanned once in all.
type scriptCloser struct {
	s     string
	pos   [2]int  // next occurrence of each tag, -1 for none left
	known [2]bool // pos[k] was searched for
}

var scriptClosers = [2]string{"</script>", "</style>"}

// next returns the offset and length of the first closing tag at or after
// from, or -1 and 0.
func (c *scriptCloser) next(from int) (int, int) {
	best, n := -1, 0
	for k, tag := range scriptClosers {
		if !c.known[k] || c.pos[k] >= 0 && c.pos[k] < from {
			c.known[k], c.pos[k] = true, strings.Index(c.s[from:], tag)
			if c.pos[k] >= 0 {
				c.pos[k] += from
			}
		}
		if c.pos[k] >= 0 && (best < 0 || c.pos[k] < best) {
			best, n = c.pos[k], len(tag)
		}
	}
	return best, n
}
