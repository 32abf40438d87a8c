// Package templates renders the mails postdesk sends: acknowledgements to
// customers, notifications and copies to agents, and agents' replies to
// customers. Each kind of mail has a subject, a plain-text body and an HTML
// body per locale.
//
// Mail to agents about a ticket (AgentConversation) has one subject for every
// event, fixed here and not by a template: "[#N] <the ticket's subject>", so
// that a mail client (Gmail and Outlook group by subject too) shows one ticket
// as one conversation. The event is said by the first line of the body (and
// by notify, in a header).
//
// The built-in templates are embedded from builtin/<locale>/ and may be
// overridden, file by file, from a directory with the same layout:
//
//	<locale>/<kind>.subject.tmpl   subject (text/template), one line; none for the kinds of AgentConversation
//	<locale>/<kind>.text.tmpl      plain-text body (text/template), rendered as "body" inside layout.text.tmpl
//	<locale>/<kind>.html.tmpl      HTML body (html/template), rendered as "body" inside layout.html.tmpl
//	<locale>/layout.text.tmpl      text layout: footer, and the partials "ticket" and "message"
//	<locale>/layout.html.tmpl      HTML document: footer, and the partials "marker", "discreet-marker", "ticket" and "message"
//	<locale>/common.tmpl           localized words shared by the three formats ("subject", "status", "greeting", ...)
//
// A file missing from a locale folder is taken from its base language
// ("fr-ca" → "fr"), then from "en"; so a new locale folder may hold only the
// files it translates.
//
// Templates are executed with the Data passed to Render, plus .Locale (the
// locale rendered) and .Subject (the rendered subject, for the HTML title).
// Functions: marker (the locale's reply marker), date (a time in the locale's
// format, UTC), join, topic (a subject without "Re:" prefixes and "[#N]" tags),
// nl2br, messageHTML, sameAddress, size (a file's size in bytes, written for the locale).
// docs/templates.md documents every one of them (docs_test.go keeps it true).
//
// A property's own text for its acknowledgement and close mail (Data.CustomText,
// plain text with {placeholders}, no template) replaces the kind's subject and
// body inside the same layouts: custom.go.
package templates

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"

	"github.com/postdesk/postdesk/threading"
)

// Kinds of mail.
const (
	Acknowledgement = "acknowledgement" // to the customer: we got your mail, ticket #N (automatic mail)
	NewTicket       = "new-ticket"      // to agents: a customer opened ticket #N (shows the customer's message)
	CustomerReply   = "customer-reply"  // to agents: the customer answered ticket #N (shows the message)
	Reopened        = "reopened"        // to agents: the customer answered closed ticket #N, which is open again
	FollowUp        = "follow-up"       // to agents: a new ticket #N follows up closed ticket #M (answered after the reopen window)
	AgentReply      = "agent-reply"     // to the customer (and Cc): an agent's answer, signed with the agent's and the property's names
	AgentCopy       = "agent-copy"      // to the other agents involved: copy of an agent's reply or internal note
	Assigned        = "assigned"        // to the new assignee or department members: ticket #N was assigned
	CommandError    = "command-error"   // to an agent: the commands at the top of their reply could not be run
	LoopSuspected   = "loop-suspected"  // to the agents concerned and the admins: one address's mail on ticket #N is held as a loop
	SignInLink      = "sign-in-link"    // to an agent: a one-time link that signs them in to the web inbox (automatic mail, about no ticket)
	Export          = "export"          // to an agent: the export of tickets they asked for, attached (automatic mail, about no ticket)
	ReplyHeld       = "reply-held"      // to an agent: their reply by mail answered an old copy; kept, not sent, until they answer #send
	Closed          = "closed"          // to the customer: ticket #N was closed, reply if you need more (automatic mail, when the property asks for it)
	// MailboxSignInNeeded: to a property's admins: a mailbox signed in with OAuth2 needs an admin
	// to sign in again, and is not polled until then (automatic mail, about no ticket).
	MailboxSignInNeeded = "mailbox-signin-needed"
)

// Kinds of mail about what happened while the agents were away.
const (
	SnoozeEnded     = "snooze-ended"     // to the assignee or audience: the snooze of ticket #N ended, it is open again
	ContactBouncing = "contact-bouncing" // to the assignee or audience: a mail to the customer of ticket #N bounced; the address is now bouncing
)

// DefaultLocale is the locale used when no other matches.
const DefaultLocale = "en"

//go:embed builtin
var builtin embed.FS

// Kinds lists every kind, in a stable order.
func Kinds() []string {
	return []string{Acknowledgement, NewTicket, CustomerReply, Reopened, FollowUp, AgentReply, AgentCopy, Assigned, CommandError, LoopSuspected, SignInLink, Export, SnoozeEnded, ContactBouncing, ReplyHeld, Closed, MailboxSignInNeeded}
}

// AboutTicket reports whether mail of kind is about a ticket: its subject carries the ticket's
// tag "[#N]". SignInLink (about the agent's account) and Export (about many tickets) are not.
func AboutTicket(kind string) bool {
	return kind != SignInLink && kind != Export && kind != MailboxSignInNeeded
}

// AgentConversation reports whether mail of kind goes to agents about a ticket: every such mail
// is one more mail of the ticket's conversation in the agent's mailbox, and its subject is the
// same for every event — "[#N] <the ticket's subject>" — in every locale, fixed by code.
func AgentConversation(kind string) bool {
	switch kind {
	case NewTicket, CustomerReply, Reopened, FollowUp, AgentCopy, Assigned, CommandError, LoopSuspected, SnoozeEnded, ContactBouncing, ReplyHeld:
		return true
	}
	return false
}

// agentSubject is the subject template of the AgentConversation kinds: the ticket's topic, the
// locale's "(no subject)" when it has none (see kindSet.render); the tag is added after.
const agentSubject = `{{template "subject" .}}`

// Locales lists the built-in locales ("en", "es", "fr", "it").
func Locales() []string { return []string{"en", "es", "fr", "it"} }

// Rendered is one rendered mail.
type Rendered struct {
	Subject string // one line, holding the ticket tag "[#N]" when the kind is AboutTicket
	Text    string // plain text, LF line endings, ending with one newline
	HTML    string // a complete HTML document with inline styles only
}

// Set is the loaded templates: the embedded ones, optionally overridden from
// a directory. It is immutable and safe for concurrent use.
type Set struct {
	locales map[string]*localeSet
}

type localeSet struct {
	name  string
	kinds map[string]*kindSet
}

type kindSet struct {
	ticket  bool // AboutTicket: the subject gets the ticket's tag
	agents  bool // AgentConversation: the subject is fixed, "[#N] <topic>"
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
	// files used by each format, for error messages
	subjectFiles, textFiles, htmlFiles []string
	// For the kinds whose text a property may set (CustomKinds): the custom bodies in the
	// layouts (custom.go).
	customText *texttemplate.Template
	customHTML *htmltemplate.Template
}

// view is what the templates are executed with.
type view struct {
	Data
	Locale  string // the locale rendered, e.g. "fr"
	Subject string // the rendered subject; empty while the subject itself renders
	// Custom is the property's own text (Data.CustomText) with its placeholders filled, for the
	// custom bodies; zero otherwise.
	Custom customView
}

// source is the text of one template file and where it came from.
type source struct {
	path string // for error messages: "builtin/fr/new-ticket.text.tmpl" or the override file's path
	text string
}

const (
	layoutText = "layout.text.tmpl"
	layoutHTML = "layout.html.tmpl"
	commonFile = "common.tmpl"
)

var defaultSet = sync.OnceValues(func() (*Set, error) { return New("") })

// Default returns the built-in templates, parsed once.
func Default() (*Set, error) { return defaultSet() }

// New loads the embedded templates, then, when dir != "", any override files
// found in dir/<locale>/ (same names as the embedded tree; a locale folder
// may add a new locale). Every template is parsed, and rendered once with
// sample and zero data, at load time: a broken override fails New with an
// error naming the file.
func New(dir string) (*Set, error) {
	files := map[string]map[string]source{}
	if err := readTree(builtin, "builtin", func(p string) string { return p }, files); err != nil {
		return nil, err
	}
	if dir != "" {
		info, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("templates: override directory: %w", err)
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("templates: override directory %s is not a directory", dir)
		}
		label := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
		if err := readTree(os.DirFS(dir), ".", label, files); err != nil {
			return nil, err
		}
	}
	s := &Set{locales: map[string]*localeSet{}}
	for loc := range files {
		ls, err := buildLocale(loc, files)
		if err != nil {
			return nil, err
		}
		s.locales[loc] = ls
	}
	if s.locales[DefaultLocale] == nil {
		return nil, errors.New("templates: no " + DefaultLocale + " templates")
	}
	return s, nil
}

// Locales lists the locales of s: the built-in ones and those added by the
// override directory, sorted.
func (s *Set) Locales() []string {
	var out []string
	for l := range s.locales {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// Render renders kind in locale. Locale matching: exact ("fr"), then base
// language ("fr-CA" → "fr"), then "en". An unknown kind is an error.
func (s *Set) Render(kind, locale string, d Data) (r Rendered, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = Rendered{}, fmt.Errorf("templates: rendering %s: panic: %v", kind, p)
		}
	}()
	ls := s.match(locale)
	k := ls.kinds[kind]
	if k == nil {
		return Rendered{}, fmt.Errorf("templates: unknown kind %q", kind)
	}
	// The lines of a command-error mail are written in English where they are found.
	d.Errors = translateAll(ls.name, d.Errors, TranslateNotice)
	d.Commands = translateAll(ls.name, d.Commands, TranslateUsage)
	return k.render(ls.name, d)
}

// match returns the locale set for locale: exact, base language, then "en".
func (s *Set) match(locale string) *localeSet {
	for _, l := range fallbacks(normalizeLocale(locale)) {
		if ls := s.locales[l]; ls != nil {
			return ls
		}
	}
	return s.locales[DefaultLocale]
}

func (k *kindSet) render(locale string, d Data) (Rendered, error) {
	v := view{Data: d, Locale: locale}
	custom := k.customText != nil && !d.CustomText.IsZero()
	var values map[string]string
	if custom {
		var err error
		if values, err = k.customValues(v); err != nil {
			return Rendered{}, err
		}
		text, after, _ := strings.Cut(expandCustom(d.CustomText.Body, values), ratingMark)
		v.Custom.Text = strings.TrimSpace(unixNewlines(text))
		v.Custom.HTML = paragraphs(v.Custom.Text)
		v.Custom.After = strings.TrimSpace(unixNewlines(strings.ReplaceAll(after, ratingMark, "")))
		v.Custom.AfterHTML = paragraphs(v.Custom.After)
	}
	var b strings.Builder
	if custom && strings.TrimSpace(d.CustomText.Subject) != "" {
		b.WriteString(strings.ReplaceAll(expandCustom(d.CustomText.Subject, values), ratingMark, ""))
	} else if err := k.subject.Execute(&b, v); err != nil {
		return Rendered{}, execError(k.subjectFiles, err)
	}
	switch {
	case k.agents:
		// One subject for every event: the ticket's topic alone, whatever the data says (the
		// "subject" word of common.tmpl, rendered with no data, only for a ticket without one).
		t := topic(d.Ticket.Subject)
		if t == "" {
			b.Reset()
			if err := k.subject.Execute(&b, view{Locale: locale}); err != nil {
				return Rendered{}, execError(k.subjectFiles, err)
			}
			t = b.String()
		}
		v.Subject = threading.WithTag(t, d.Ticket.Number)
	case k.ticket:
		v.Subject = threading.WithTag(b.String(), d.Ticket.Number)
	default:
		v.Subject = oneLine(strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				return ' '
			}
			return r
		}, b.String()))
	}
	r := Rendered{Subject: v.Subject}
	text, html := k.text, k.html
	if custom {
		text, html = k.customText, k.customHTML
	}
	b.Reset()
	if err := text.Execute(&b, v); err != nil {
		return Rendered{}, execError(k.textFiles, err)
	}
	r.Text = finish(unixNewlines(b.String()))
	b.Reset()
	if err := html.Execute(&b, v); err != nil {
		return Rendered{}, execError(k.htmlFiles, err)
	}
	r.HTML = finish(b.String())
	return r, nil
}

func execError(files []string, err error) error {
	return fmt.Errorf("templates: rendering %s: %w", strings.Join(files, " with "), err)
}

// finish trims leading blank lines and trailing white space, and ends s with
// one newline.
func finish(s string) string {
	s = strings.TrimRight(s, " \t\n")
	for strings.HasPrefix(s, "\n") {
		s = s[1:]
	}
	return s + "\n"
}

// knownFile reports whether name is a template file name New knows.
func knownFile(name string) bool {
	switch name {
	case layoutText, layoutHTML, commonFile:
		return true
	}
	for _, k := range Kinds() {
		for _, f := range []string{".subject.tmpl", ".text.tmpl", ".html.tmpl"} {
			if name == k+f && (f != ".subject.tmpl" || !AgentConversation(k)) {
				return true
			}
		}
	}
	return false
}

// fixedSubject reports whether name is the subject file of a kind whose subject is fixed.
func fixedSubject(name string) bool {
	k, ok := strings.CutSuffix(name, ".subject.tmpl")
	return ok && AgentConversation(k)
}

// readTree reads root/<locale>/*.tmpl from fsys into files, replacing what
// is there. label turns a path under root into the name errors show.
func readTree(fsys fs.FS, root string, label func(string) string, files map[string]map[string]source) error {
	entries, err := fs.ReadDir(fsys, root)
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	seen := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		rel := path.Join(root, name)
		info, err := fs.Stat(fsys, rel)
		if err != nil {
			return fmt.Errorf("templates: %s: %w", label(rel), err)
		}
		if !info.IsDir() {
			if strings.HasSuffix(name, ".tmpl") {
				return fmt.Errorf("templates: %s: template files belong in a locale folder (<locale>/%s)", label(rel), name)
			}
			continue
		}
		loc := normalizeLocale(name)
		if !validLocale(loc) {
			return fmt.Errorf("templates: %s: folder name is not a locale (like \"fr\" or \"pt-BR\")", label(rel))
		}
		if other, dup := seen[loc]; dup {
			return fmt.Errorf("templates: %s and %s are the same locale", label(path.Join(root, other)), label(rel))
		}
		seen[loc] = name
		tmpls, err := fs.ReadDir(fsys, rel)
		if err != nil {
			return fmt.Errorf("templates: %w", err)
		}
		for _, t := range tmpls {
			fname := t.Name()
			if strings.HasPrefix(fname, ".") || !strings.HasSuffix(fname, ".tmpl") {
				continue
			}
			frel := path.Join(rel, fname)
			if fixedSubject(fname) {
				return fmt.Errorf("templates: %s: the subject of mail to agents about a ticket is fixed (\"[#N] <the ticket's subject>\", one conversation per ticket in their mailbox); remove this file, the body says what happened",
					label(frel))
			}
			if !knownFile(fname) {
				return fmt.Errorf("templates: %s: unknown template file (expected <kind>.subject.tmpl, <kind>.text.tmpl, <kind>.html.tmpl, %s, %s or %s; kinds: %s)",
					label(frel), layoutText, layoutHTML, commonFile, strings.Join(Kinds(), ", "))
			}
			b, err := fs.ReadFile(fsys, frel)
			if err != nil {
				return fmt.Errorf("templates: %w", err)
			}
			if files[loc] == nil {
				files[loc] = map[string]source{}
			}
			files[loc][fname] = source{path: label(frel), text: string(b)}
		}
	}
	return nil
}

// buildLocale parses every kind of locale loc, taking each file from loc,
// then its base language, then "en".
func buildLocale(loc string, files map[string]map[string]source) (*localeSet, error) {
	get := func(name string) (source, error) {
		for _, l := range fallbacks(loc) {
			if src, ok := files[l][name]; ok {
				return src, nil
			}
		}
		return source{}, fmt.Errorf("templates: locale %s: no %s, even in %s", loc, name, DefaultLocale)
	}
	funcs := funcMap(loc)
	common, err := get(commonFile)
	if err != nil {
		return nil, err
	}
	ltext, err := get(layoutText)
	if err != nil {
		return nil, err
	}
	lhtml, err := get(layoutHTML)
	if err != nil {
		return nil, err
	}
	ls := &localeSet{name: loc, kinds: map[string]*kindSet{}}
	for _, kind := range Kinds() {
		subj := source{path: "the fixed subject of mail to agents", text: agentSubject}
		if !AgentConversation(kind) {
			if subj, err = get(kind + ".subject.tmpl"); err != nil {
				return nil, err
			}
		}
		text, err := get(kind + ".text.tmpl")
		if err != nil {
			return nil, err
		}
		html, err := get(kind + ".html.tmpl")
		if err != nil {
			return nil, err
		}
		k := &kindSet{
			ticket:       AboutTicket(kind),
			agents:       AgentConversation(kind),
			subjectFiles: []string{subj.path, common.path},
			textFiles:    []string{text.path, ltext.path, common.path},
			htmlFiles:    []string{html.path, lhtml.path, common.path},
		}
		// The subject is the main template; the text and HTML bodies are
		// "body" inside their layouts. Later files may redefine the
		// templates of earlier ones (a kind may define "footer").
		if k.subject, err = parseText("subject-line", funcs, source{}, common, subj); err != nil {
			return nil, err
		}
		if k.text, err = parseText("layout", funcs, ltext, common, text); err != nil {
			return nil, err
		}
		if k.html, err = parseHTML(funcs, lhtml, common, html); err != nil {
			return nil, err
		}
		samples := []Data{Sample(kind), {}}
		if slices.Contains(CustomKinds(), kind) {
			body := source{path: "the custom text's body (templates/custom.go)", text: customTextBody}
			if k.customText, err = parseText("layout", funcs, ltext, common, body); err != nil {
				return nil, err
			}
			body.text = customHTMLBody
			if k.customHTML, err = parseHTML(funcs, lhtml, common, body); err != nil {
				return nil, err
			}
			d := Sample(kind)
			d.CustomText = sampleCustom
			samples = append(samples, d)
		}
		// Render once now, so that errors only execution finds (html/template's
		// escaping, missing fields) fail New rather than a mail.
		for _, d := range samples {
			if _, err := k.render(loc, d); err != nil {
				return nil, fmt.Errorf("locale %s, kind %s: %w", loc, kind, err)
			}
		}
		ls.kinds[kind] = k
	}
	return ls, nil
}

// parseText parses a text template named name: main (the layout), then
// common, then the kind's file as "body". With no main (main.path == ""), the
// kind's file itself is the template named name (subjects).
func parseText(name string, funcs map[string]any, main, common, kind source) (*texttemplate.Template, error) {
	t := texttemplate.New(name).Funcs(funcs)
	if main.path != "" {
		if _, err := t.Parse(main.text); err != nil {
			return nil, parseError(main, err)
		}
	}
	if _, err := t.New("common").Parse(common.text); err != nil {
		return nil, parseError(common, err)
	}
	if main.path == "" {
		if _, err := t.Parse(kind.text); err != nil {
			return nil, parseError(kind, err)
		}
		return t, nil
	}
	if _, err := t.New("body").Parse(kind.text); err != nil {
		return nil, parseError(kind, err)
	}
	return t, nil
}

func parseHTML(funcs map[string]any, layout, common, kind source) (*htmltemplate.Template, error) {
	t := htmltemplate.New("layout").Funcs(funcs)
	if _, err := t.Parse(layout.text); err != nil {
		return nil, parseError(layout, err)
	}
	if _, err := t.New("common").Parse(common.text); err != nil {
		return nil, parseError(common, err)
	}
	if _, err := t.New("body").Parse(kind.text); err != nil {
		return nil, parseError(kind, err)
	}
	return t, nil
}

func parseError(src source, err error) error {
	return fmt.Errorf("templates: %s: %w", src.path, err)
}
