package templates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	"unicode/utf8"
)

// A property's own text for a mail to its customers (the acknowledgement, the close mail), set
// per locale by an admin who writes no Go template: plain text with a few named placeholders in
// braces, {ticket}, {subject}, {customer_name}... It replaces the kind's built-in subject (when it
// has one) and body; the layout stays — the reply marker above, the footer below, the HTML version
// (the text escaped, its paragraphs and line breaks kept) — and the subject keeps the ticket's tag
// "[#N]", which threading needs: it is added when the text lacks it. Placeholders are checked when
// the text is set (CheckCustomText); at send time one not known is left as written, never an error.

// CustomText is a property's own text for one kind of mail, as the admin wrote it.
type CustomText struct {
	Subject string // one line; "": the kind's built-in subject
	Body    string // plain text; paragraphs are separated by blank lines
}

// IsZero reports whether c holds no text: the built-in one is used.
func (c CustomText) IsZero() bool { return strings.TrimSpace(c.Body) == "" }

// Limits of a custom text.
const (
	MaxCustomSubject = 200      // characters
	MaxCustomBody    = 20 << 10 // bytes
)

// placeholder is one name a custom text may use, and what it becomes.
type placeholder struct {
	name, doc string
	kinds     []string // nil: every custom kind
}

var placeholders = []placeholder{
	{name: "ticket", doc: `the ticket's number with its "#": #12`},
	{name: "subject", doc: `the ticket's subject, without "Re:" and tags (the locale's "(no subject)" when it has none)`},
	{name: "greeting", doc: `the locale's greeting to the customer: "Hello Ann," (or "Hello," without a name)`},
	{name: "customer_name", doc: "the customer's name, or their address when the name is not known"},
	{name: "customer_email", doc: "the customer's address"},
	{name: "property", doc: `the property's name: "Acme Support"`},
	{name: "agent_name", doc: "the agent who closed the ticket (empty when it was closed from the command line)", kinds: []string{Closed}},
	{name: "rating_links", doc: "where the links that rate the ticket go (good, okay, bad: their own lines, in the text and the HTML version); without it they come after the text", kinds: []string{Closed}},
}

// CustomKinds lists the kinds whose text a property may set.
func CustomKinds() []string { return []string{Acknowledgement, Closed} }

// Placeholders lists the placeholders a custom text of kind may hold, each as "{name}", with what
// it becomes; nil for a kind whose text cannot be set.
func Placeholders(kind string) [][2]string {
	if !slices.Contains(CustomKinds(), kind) {
		return nil
	}
	var out [][2]string
	for _, p := range placeholders {
		if p.kinds == nil || slices.Contains(p.kinds, kind) {
			out = append(out, [2]string{"{" + p.name + "}", p.doc})
		}
	}
	return out
}

func placeholderNames(kind string) []string {
	var out []string
	for _, p := range Placeholders(kind) {
		out = append(out, p[0])
	}
	return out
}

// ErrCustomText is what CheckCustomText's errors wrap.
var ErrCustomText = errors.New("templates: custom text")

// CheckCustomText says what is wrong with a custom text for kind before it is set: a kind whose
// text cannot be set, an empty body, a subject of more than one line or too long, a body too long,
// invalid UTF-8, a placeholder not known (the error lists the known ones), or Go template braces.
func CheckCustomText(kind string, c CustomText) error {
	if !slices.Contains(CustomKinds(), kind) {
		return fmt.Errorf("%w: the text of %q mail cannot be set: only %s", ErrCustomText, kind, strings.Join(CustomKinds(), ", "))
	}
	if strings.TrimSpace(c.Body) == "" {
		return fmt.Errorf("%w: the body is empty", ErrCustomText)
	}
	if !utf8.ValidString(c.Subject) || !utf8.ValidString(c.Body) {
		return fmt.Errorf("%w: the text is not valid UTF-8", ErrCustomText)
	}
	if strings.ContainsAny(c.Subject, "\r\n") {
		return fmt.Errorf("%w: the subject must be one line", ErrCustomText)
	}
	if utf8.RuneCountInString(c.Subject) > MaxCustomSubject {
		return fmt.Errorf("%w: the subject is longer than %d characters", ErrCustomText, MaxCustomSubject)
	}
	if len(c.Body) > MaxCustomBody {
		return fmt.Errorf("%w: the body is larger than %d bytes", ErrCustomText, MaxCustomBody)
	}
	for _, part := range []struct{ what, text string }{{"subject", c.Subject}, {"body", c.Body}} {
		if strings.Contains(part.text, "{rating_links}") && (part.what == "subject" || strings.Count(c.Body, "{rating_links}") > 1) {
			return fmt.Errorf("%w: {rating_links} goes once in the body", ErrCustomText)
		}
		if err := checkPlaceholders(part.text, placeholderNames(kind), "the "+kind+" text"); err != "" {
			return fmt.Errorf("%w: %s: %s", ErrCustomText, part.what, err)
		}
	}
	return nil
}

// checkPlaceholders says what is wrong with the placeholders of text, whose known ones are known
// (each as "{name}"): Go template braces, or a placeholder not known (with the known ones, which
// whose, "the closed text", knows); "" when nothing is. The one check of every text with
// placeholders (custom texts, saved replies).
func checkPlaceholders(text string, known []string, whose string) string {
	for _, s := range parseCustom(text) {
		switch {
		case s.err != "":
			return s.err
		case s.name != "" && !slices.Contains(known, "{"+s.name+"}"):
			return fmt.Sprintf("unknown placeholder {%s}; %s knows %s", s.name, whose, strings.Join(known, ", "))
		}
	}
	return ""
}

// segment is a piece of a custom text: literal text, a placeholder's name, or what is wrong.
type segment struct {
	text, name, err string
}

// parseCustom splits s into literal text and placeholders: "{" then a name of letters, digits and
// "_" then "}". Any other brace is text, except "{{" and "}}", which are refused: the text is not
// a Go template. It never fails; what is wrong is a segment with err set.
func parseCustom(s string) []segment {
	var out []segment
	lit := func(t string) {
		if t == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].name == "" && out[n-1].err == "" {
			out[n-1].text += t
			return
		}
		out = append(out, segment{text: t})
	}
	for s != "" {
		i := strings.IndexAny(s, "{}")
		if i < 0 {
			lit(s)
			break
		}
		lit(s[:i])
		s = s[i:]
		if strings.HasPrefix(s, "{{") || strings.HasPrefix(s, "}}") {
			out = append(out, segment{err: "placeholders take single braces, as in {ticket}: this text is not a Go template"})
			s = s[2:]
			continue
		}
		if s[0] == '}' {
			lit("}")
			s = s[1:]
			continue
		}
		end := 1
		for end < len(s) && isNameByte(s[end]) {
			end++
		}
		if end > 1 && end < len(s) && s[end] == '}' {
			out = append(out, segment{name: s[1:end]})
			s = s[end+1:]
			continue
		}
		lit("{")
		s = s[1:]
	}
	return out
}

func isNameByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// expandCustom fills s's placeholders from values; one not there is left as written.
func expandCustom(s string, values map[string]string) string {
	var b strings.Builder
	for _, seg := range parseCustom(s) {
		switch {
		case seg.name != "":
			if v, ok := values[seg.name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString("{" + seg.name + "}")
			}
		case seg.err != "":
			// A text set before a check refused it: shown as written.
		default:
			b.WriteString(seg.text)
		}
	}
	return b.String()
}

// customView is a custom text as the layouts show it: .Custom.Text in the text body, .Custom.HTML
// (escaped, in paragraphs) in the HTML body.
type customView struct {
	Text string
	HTML htmltemplate.HTML
	// After is the text after {rating_links} (the links go between Text and After), "" when the
	// text has no such placeholder: the links then follow the text.
	After     string
	AfterHTML htmltemplate.HTML
}

// ratingMark stands for {rating_links} while a custom text is expanded; the text is cut there.
const ratingMark = "\x00rating_links\x00"

// Custom bodies: the marker and the text, inside the locale's layouts (one render path for every
// kind whose text may be set; a kind's own rest — rating links, say — would go after the text).
const (
	customTextBody = "{{marker}}\n\n{{.Custom.Text}}\n{{template \"rating-text\" .}}{{with .Custom.After}}\n{{.}}\n{{end}}"
	customHTMLBody = "{{template \"marker\" .}}\n{{.Custom.HTML}}\n{{template \"rating-html\" .}}{{.Custom.AfterHTML}}"
)

// paragraphs escapes text for HTML: a <p> for each run of lines between blank lines, <br> within.
func paragraphs(text string) htmltemplate.HTML {
	var b strings.Builder
	for _, p := range strings.Split(strings.TrimSpace(unixNewlines(text)), "\n\n") {
		if p = strings.Trim(p, "\n"); strings.TrimSpace(p) == "" {
			continue
		}
		b.WriteString(`<p style="margin:0 0 12px;">`)
		b.WriteString(string(nl2br(p)))
		b.WriteString("</p>\n")
	}
	return htmltemplate.HTML(b.String())
}

// sampleCustom is the custom text New renders every custom kind with, so an override layout that
// breaks custom texts fails New.
var sampleCustom = CustomText{Subject: "About {ticket}", Body: "{greeting}\n\nThank you.\n{property}"}

// customValues is what each placeholder becomes in v, in v's locale.
func (k *kindSet) customValues(v view) (map[string]string, error) {
	word := func(name string) (string, error) {
		var b strings.Builder
		if err := k.customText.ExecuteTemplate(&b, name, v); err != nil {
			return "", execError(k.textFiles, err)
		}
		return oneLine(b.String()), nil
	}
	values := map[string]string{
		"ticket":         fmt.Sprintf("#%d", v.Ticket.Number),
		"customer_name":  v.Ticket.Customer.Display(),
		"customer_email": oneLine(v.Ticket.Customer.Email),
		"agent_name":     v.Actor.Display(),
		"rating_links":   ratingMark,
	}
	for name, def := range map[string]string{"subject": "subject", "greeting": "greeting", "property": "property"} {
		w, err := word(def)
		if err != nil {
			return nil, err
		}
		values[name] = w
	}
	return values, nil
}

// NormalizeLocale is locale as custom texts are stored under it: "fr_CA.UTF-8" → "fr-ca".
func NormalizeLocale(locale string) string { return normalizeLocale(locale) }

// CustomLocales lists, in order, the locales whose custom text a property in locale uses: the
// locale itself ("fr-ca"), then its base language ("fr"). Never another language: with no text in
// the property's language the mail is the built-in one.
func CustomLocales(locale string) []string {
	l := normalizeLocale(locale)
	out := []string{l}
	if b := baseLanguage(l); b != l && b != "" {
		out = append(out, b)
	}
	return out
}
