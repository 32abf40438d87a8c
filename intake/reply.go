package intake

import (
	"bytes"
	"context"
	"errors"
	"net/mail"
	"regexp"
	"strings"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/postdesk/postdesk/mailparse"
	"github.com/postdesk/postdesk/replytrim"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

// markers are the "reply above this line" markers of postdesk's own mails, in every locale.
var markers = templates.ReplyMarkers()

// trim is the reply as written: the text without quoted history and signature. When the text
// kept everything but the HTML shows a quote (Gmail, Outlook, Apple Mail mark theirs), the
// HTML's reading wins. A body larger than maxTrim (a log or a listing pasted into the mail) is
// kept whole: trimming reads it line by line, and the HTML as a tree, at many times its size.
func trim(pm *mailparse.Message) string {
	if len(pm.Text) > maxTrim {
		return pm.Text // the same string: stored twice, but not held twice
	}
	r := replytrim.Text(pm.Text, markers...)
	if pm.HTML != "" && len(pm.HTML) <= maxTrim && r.Elided == "" {
		if _, hr := replytrim.HTML(pm.HTML, markers...); hr.Elided != "" && strings.TrimSpace(hr.Reply) != "" {
			return hr.Reply
		}
	}
	return r.Reply
}

// maxTrim is the largest body trim reads: 1 MiB, as much text as mailparse derives from HTML.
const maxTrim = 1 << 20

// forwarded finds the customer's mail a message forwards: an attached message/rfc822, or, with
// a forward subject, the header block embedded in the body. nil when there is none.
func forwarded(pm *mailparse.Message) *tickets.Forwarded {
	for _, a := range pm.Attachments {
		if a.ContentType != "message/rfc822" {
			continue
		}
		inner := mailparse.ParseText(a.Data) // sender, subject and text: its attachments are not decoded again
		if inner.From == nil || inner.From.Email == "" {
			continue
		}
		return &tickets.Forwarded{
			From:    tickets.Address{Name: inner.From.Name, Email: inner.From.Email},
			Subject: inner.Subject,
			Text:    replytrim.Text(inner.Text, markers...).Reply,
		}
	}
	if !threading.IsForward(pm.Subject) {
		return nil
	}
	fw, ok := replytrim.Embedded(pm.Text)
	if !ok {
		return nil
	}
	return embeddedMail(fw.Message)
}

// Header field names of a forwarded header block in the languages mail clients write them in.
var (
	fromFields    = map[string]bool{"from": true, "von": true, "de": true, "da": true, "van": true, "från": true, "fra": true, "od": true, "remitente": true}
	subjectFields = map[string]bool{"subject": true, "betreff": true, "objet": true, "oggetto": true, "asunto": true, "assunto": true, "onderwerp": true, "ämne": true, "emne": true, "temat": true}
	emailRE       = regexp.MustCompile(`[^\s<>\[\]"'(),;:]+@[^\s<>\[\]"'(),;:]+\.[^\s<>\[\]"'(),;:]+`)
)

// embeddedMail reads an embedded mail (its header block, a blank line, its body) as replytrim
// found it: the sender from the From line, the subject, and the body.
func embeddedMail(msg string) *tickets.Forwarded {
	lines := strings.Split(msg, "\n")
	fw := &tickets.Forwarded{}
	body := len(lines)
	for i, line := range lines {
		line = strings.TrimSpace(strings.TrimLeft(line, "*"))
		if line == "" {
			if fw.From.Email != "" {
				body = i + 1
				break
			}
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(strings.Trim(name, "*")))
		value = strings.TrimSpace(strings.Trim(strings.TrimSpace(value), "*"))
		switch {
		case fromFields[key] && fw.From.Email == "":
			fw.From = parseFrom(value)
		case subjectFields[key] && fw.Subject == "":
			fw.Subject = value
		}
	}
	if fw.From.Email == "" {
		return nil
	}
	if body < len(lines) {
		fw.Text = replytrim.Text(strings.Join(lines[body:], "\n"), markers...).Reply
	}
	return fw
}

// parseFrom reads "Name <a@b>", "a@b", or Outlook's "Name [mailto:a@b]".
func parseFrom(v string) tickets.Address {
	v = strings.ReplaceAll(v, "[mailto:", "<")
	v = strings.ReplaceAll(v, "]", ">")
	if a, err := mail.ParseAddress(v); err == nil {
		return tickets.Address{Name: a.Name, Email: strings.ToLower(a.Address)}
	}
	e := emailRE.FindString(v)
	if e == "" {
		return tickets.Address{}
	}
	name := strings.TrimSpace(strings.Trim(strings.TrimSpace(v[:strings.Index(v, e)]), `<"'`))
	return tickets.Address{Name: name, Email: strings.ToLower(strings.Trim(e, "<>."))}
}

// unverified says why a mail may not act for an agent (see tickets.Inbound.Unverified): "" when
// nothing speaks against it. A mail with more than one From is never trusted — a signature may
// cover one From while postdesk reads the other. With RequireDKIM, mail from an agent's address
// needs a passing DKIM signature whose domain is its From domain or a parent of it.
func (p *Pipeline) unverified(ctx context.Context, prop tickets.Property, m *Message, in tickets.Inbound) (string, error) {
	if len(m.Parsed.Header.Values("From")) > 1 || len(fromList(m.Parsed.Header.Get("From"))) > 1 {
		return "the mail has more than one From", nil
	}
	if !p.RequireDKIM || in.From.Email == "" {
		return "", nil
	}
	if _, err := p.store.AgentByEmail(ctx, prop.ID, in.From.Email); errors.Is(err, tickets.ErrNotFound) {
		return "", nil // not an agent: nothing to verify
	} else if err != nil {
		return "", err
	}
	_, domain, ok := strings.Cut(strings.ToLower(in.From.Email), "@")
	if !ok {
		return "DKIM required: no From domain", nil
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(m.Raw), &dkim.VerifyOptions{LookupTXT: p.LookupTXT, MaxVerifications: 5})
	if err != nil && len(vs) == 0 {
		return "DKIM required: " + err.Error(), nil
	}
	for _, v := range vs {
		d := strings.ToLower(v.Domain)
		if v.Err == nil && (domain == d || strings.HasSuffix(domain, "."+d)) {
			return "", nil
		}
	}
	if len(vs) == 0 {
		return "DKIM required: the mail is not signed", nil
	}
	return "DKIM required: no valid signature of " + domain, nil
}

// fromList is the addresses of a From field; nil when it cannot be read.
func fromList(v string) []*mail.Address {
	l, err := mail.ParseAddressList(v)
	if err != nil {
		return nil
	}
	return l
}
