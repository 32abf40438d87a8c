package templates

import (
	"html"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func TestKindsAndLocales(t *testing.T) {
	kinds := Kinds()
	if len(kinds) < 14 || !slices.Contains(kinds, Export) || !slices.Contains(kinds, SignInLink) || !slices.Contains(kinds, SnoozeEnded) || !slices.Contains(kinds, ContactBouncing) {
		t.Fatalf("Kinds() = %v, want at least the 14 kinds up to contact-bouncing", kinds)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(kinds)))) != len(kinds) {
		t.Errorf("Kinds() has duplicates: %v", kinds)
	}
	if got := Locales(); !slices.Equal(got, []string{"en", "es", "fr", "it"}) {
		t.Errorf("Locales() = %v", got)
	}
	if got := mustDefault(t).Locales(); !slices.Equal(got, Locales()) {
		t.Errorf("Set.Locales() = %v, want the built-in ones", got)
	}
	// Callers may modify what they get.
	Kinds()[0] = "x"
	if Kinds()[0] != Acknowledgement {
		t.Error("Kinds() shares its slice")
	}
}

// Every subject is one line holding "[#N]" (when the mail is about a ticket; none else), whatever
// the ticket's subject.
func TestSubjectOneLineWithTag(t *testing.T) {
	s := mustDefault(t)
	evil := []string{
		"\r\nBcc: evil@x",
		"Printer on fire\r\nBcc: evil@x",
		"Hi\nBcc: evil@x\rX: y\u0085Z: z\u2028W",
		"",
		"\r\n",
		"[#99] Re: Re: old",
	}
	for _, loc := range append(Locales(), "de") {
		for _, kind := range Kinds() {
			for _, subj := range evil {
				for _, d := range []Data{Sample(kind), {}} {
					d.Ticket.Subject = subj
					d.Ticket.Number = 4242
					d.Actor.Name = "Eve\r\nBcc: x@y"
					r, err := s.Render(kind, loc, d)
					if err != nil {
						t.Fatalf("%s %s: %v", loc, kind, err)
					}
					if strings.ContainsAny(r.Subject, "\r\n\u0085\u2028") {
						t.Errorf("%s %s: subject %q holds a line break", loc, kind, r.Subject)
					}
					if !AboutTicket(kind) {
						if strings.Contains(r.Subject, "[#") {
							t.Errorf("%s %s: subject %q holds a ticket tag", loc, kind, r.Subject)
						}
						continue
					}
					if !strings.Contains(r.Subject, "[#4242]") {
						t.Errorf("%s %s: subject %q lacks [#4242]", loc, kind, r.Subject)
					}
					if strings.Contains(r.Subject, "[#99]") {
						t.Errorf("%s %s: subject %q keeps another ticket's tag", loc, kind, r.Subject)
					}
				}
			}
		}
	}
}

// An override subject without the tag still gets it.
func TestSubjectTagAdded(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "en", "acknowledgement.subject.tmpl"), "{{.Ticket.Subject}}\n")
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := Sample(Acknowledgement)
	d.Ticket.Subject = "Line\r\nBcc: evil@x"
	r, err := s.Render(Acknowledgement, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "[#12] Line Bcc: evil@x" {
		t.Errorf("subject = %q", r.Subject)
	}
}

func TestEscaping(t *testing.T) {
	s := mustDefault(t)
	const script = "<script>alert('x')</script>"
	for _, loc := range Locales() {
		for _, kind := range Kinds() {
			d := Sample(kind)
			d.Message.Text = "Look:\n" + script + "\n& more"
			d.Message.HTML = ""
			d.Ticket.Subject = "<b>bold</b> subject"
			d.Ticket.Customer.Name = `Ann "<img src=x>"`
			d.Errors = []string{script}
			d.Recipient.Name = script // a name is what the agent or the customer typed
			if kind == LoopSuspected {
				d.Loop.Sender = script // an address is the sender's text too
			}
			if kind == MailboxSignInNeeded {
				d.SignIn.Reason = script // the provider's words
			}
			r, err := s.Render(kind, loc, d)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(r.HTML, "<script") || strings.Contains(r.HTML, "<b>bold") || strings.Contains(r.HTML, "<img") {
				t.Errorf("%s %s: HTML holds unescaped user text:\n%s", loc, kind, r.HTML)
			}
			showsMessage := kind != Acknowledgement && kind != Assigned && kind != CommandError && kind != LoopSuspected && kind != SignInLink && kind != Export && kind != SnoozeEnded && kind != ContactBouncing && kind != Closed && kind != MailboxSignInNeeded
			if showsMessage || kind == CommandError || kind == LoopSuspected || kind == MailboxSignInNeeded {
				if !strings.Contains(r.HTML, "&lt;script&gt;") {
					t.Errorf("%s %s: HTML lacks the escaped script", loc, kind)
				}
				if !strings.Contains(r.Text, script) {
					t.Errorf("%s %s: text does not keep the script literally:\n%s", loc, kind, r.Text)
				}
			}
			if showsMessage && !strings.Contains(r.HTML, "Look:<br>") {
				t.Errorf("%s %s: HTML lost the message's line breaks:\n%s", loc, kind, r.HTML)
			}
			if AboutTicket(kind) && !strings.Contains(r.Text, "<b>bold</b> subject") {
				t.Errorf("%s %s: text lacks the literal subject", loc, kind)
			}
		}
	}
}

// Message.HTML is sanitised upstream and goes in as is.
func TestMessageHTMLTrusted(t *testing.T) {
	s := mustDefault(t)
	for _, kind := range []string{NewTicket, CustomerReply, AgentReply, AgentCopy} {
		d := Sample(kind)
		d.Message.HTML = `<p>Hello <b>there</b></p>`
		d.Message.Text = "Hello *there*"
		r, err := s.Render(kind, "en", d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.HTML, `<p>Hello <b>there</b></p>`) {
			t.Errorf("%s: HTML lacks the message's HTML:\n%s", kind, r.HTML)
		}
		if !strings.Contains(r.Text, "Hello *there*") {
			t.Errorf("%s: text lacks the message's text", kind)
		}
	}
}

func TestZeroData(t *testing.T) {
	s := mustDefault(t)
	for _, loc := range append(Locales(), "", "de", "fr-CA") {
		for _, kind := range Kinds() {
			r, err := s.Render(kind, loc, Data{})
			if err != nil {
				t.Fatalf("%q %s: %v", loc, kind, err)
			}
			if strings.Contains(r.Subject, "[#0]") != AboutTicket(kind) || r.Text == "" || !strings.HasSuffix(r.HTML, "</html>\n") {
				t.Errorf("%q %s: %+v", loc, kind, r)
			}
			for _, bad := range []string{"<no value>", "%!", "<nil>"} {
				if strings.Contains(r.Subject+r.Text+r.HTML, bad) {
					t.Errorf("%q %s: rendering holds %q:\n%s\n%s", loc, kind, bad, r.Text, r.HTML)
				}
			}
		}
	}
}

func TestLocaleFallback(t *testing.T) {
	s := mustDefault(t)
	same := func(a, b string) {
		t.Helper()
		for _, kind := range Kinds() {
			ra, err := s.Render(kind, a, Sample(kind))
			if err != nil {
				t.Fatal(err)
			}
			rb, err := s.Render(kind, b, Sample(kind))
			if err != nil {
				t.Fatal(err)
			}
			if ra.Subject != rb.Subject || ra.Text != rb.Text {
				t.Errorf("%s: %q and %q render differently", kind, a, b)
			}
		}
	}
	same("fr-CA", "fr")
	same("FR_ca.UTF-8", "fr")
	same("it-CH", "it")
	same("es-419", "es")
	same("de", "en")
	same("", "en")
	same("x", "en")
	r, err := s.Render(Acknowledgement, "fr-CA", Sample(Acknowledgement))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.HTML, `<html lang="fr">`) || !strings.Contains(r.Text, ReplyMarker("fr")) {
		t.Errorf("fr-CA does not render French:\n%s", r.HTML)
	}
	if ReplyMarker("fr-CA") != ReplyMarker("fr") || ReplyMarker("de") != ReplyMarker("en") {
		t.Error("ReplyMarker does not fall back like Render")
	}
}

func TestUnknownKind(t *testing.T) {
	s := mustDefault(t)
	for _, kind := range []string{"", "nope", "layout", "common", "Acknowledgement"} {
		if _, err := s.Render(kind, "en", Data{}); err == nil || !strings.Contains(err.Error(), "unknown kind") {
			t.Errorf("Render(%q) error = %v, want unknown kind", kind, err)
		}
	}
}

func TestReplyMarkers(t *testing.T) {
	ms := ReplyMarkers()
	if len(ms) != len(Locales()) || len(slices.Compact(slices.Sorted(slices.Values(ms)))) != len(ms) {
		t.Fatalf("ReplyMarkers() = %q", ms)
	}
	s := mustDefault(t)
	for _, loc := range Locales() {
		m := ReplyMarker(loc)
		if !slices.Contains(ms, m) || strings.ContainsAny(m, `<>&'"`) {
			t.Errorf("ReplyMarker(%q) = %q", loc, m)
		}
		for _, kind := range Kinds() {
			r, err := s.Render(kind, loc, Sample(kind))
			if err != nil {
				t.Fatal(err)
			}
			if !AboutTicket(kind) {
				// Nobody is to answer it: no marker.
				if strings.Contains(r.Text, m) || strings.Contains(r.HTML, m) {
					t.Errorf("%s %s: the mail holds the reply marker", loc, kind)
				}
				continue
			}
			if first, _, _ := strings.Cut(r.Text, "\n"); first != m {
				t.Errorf("%s %s: text starts with %q, not the marker", loc, kind, first)
			}
			if !strings.Contains(r.HTML, ">"+m+"</") {
				t.Errorf("%s %s: HTML lacks the marker", loc, kind)
			}
		}
	}
}

// The HTML is a complete document with inline styles and no external
// resources or scripts.
func TestHTMLMailSafe(t *testing.T) {
	s := mustDefault(t)
	for _, loc := range Locales() {
		for _, kind := range Kinds() {
			r, err := s.Render(kind, loc, Sample(kind))
			if err != nil {
				t.Fatal(err)
			}
			h := strings.ToLower(r.HTML)
			if kind == SignInLink {
				// The one address it must hold: the link (in an href, and as text to copy).
				if strings.Count(h, strings.ToLower(Sample(kind).Link)) != 2 {
					t.Errorf("%s %s: HTML does not hold the link twice", loc, kind)
				}
				h = strings.ReplaceAll(h, strings.ToLower(Sample(kind).Link), "")
			}
			for _, f := range Sample(kind).Message.Attachments {
				// A file too big to attach is a link (in an href).
				if f.URL != "" {
					if strings.Count(h, `href="`+strings.ToLower(f.URL)+`"`) != 1 {
						t.Errorf("%s %s: HTML does not link %s once", loc, kind, f.Name)
					}
					h = strings.ReplaceAll(h, strings.ToLower(f.URL), "")
				}
			}
			if rl := Sample(kind).Rating; rl.Good != "" {
				// A close mail's rating links (in an href, once each).
				for _, l := range []string{rl.Good, rl.Okay, rl.Bad} {
					if strings.Count(h, `href="`+strings.ToLower(l)+`"`) != 1 {
						t.Errorf("%s %s: HTML does not link %s once", loc, kind, l)
					}
					h = strings.ReplaceAll(h, strings.ToLower(l), "")
				}
			}
			if !strings.HasPrefix(h, "<!doctype html>\n<html lang=\""+loc+"\">") || !strings.HasSuffix(h, "</body>\n</html>\n") {
				t.Errorf("%s %s: not a complete HTML document", loc, kind)
			}
			for _, bad := range []string{"<script", "<style", "<link", "src=", "url(", "http:", "https:", "class="} {
				if strings.Contains(h, bad) {
					t.Errorf("%s %s: HTML holds %q", loc, kind, bad)
				}
			}
			if !strings.Contains(r.HTML, "Acme Support") {
				t.Errorf("%s %s: HTML does not name the property", loc, kind)
			}
		}
	}
}

// Text lines the templates write stay within 78 characters (the samples'
// user text is short, so every line must).
func TestTextLineLength(t *testing.T) {
	s := mustDefault(t)
	for _, loc := range Locales() {
		for _, kind := range Kinds() {
			r, err := s.Render(kind, loc, Sample(kind))
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range strings.Split(r.Text, "\n") {
				if n := utf8.RuneCountInString(l); n > 78 {
					t.Errorf("%s %s: line %d has %d characters: %q", loc, kind, i+1, n, l)
				}
				if l != "-- " && strings.TrimRight(l, " ") != l {
					t.Errorf("%s %s: line %d ends with spaces: %q", loc, kind, i+1, l)
				}
			}
			if strings.Contains(r.Text, "\n\n\n") || strings.Contains(r.Text, "\r") {
				t.Errorf("%s %s: text has runs of blank lines or CRs:\n%s", loc, kind, r.Text)
			}
		}
	}
}

// What each kind must say, in every locale.
func TestContent(t *testing.T) {
	s := mustDefault(t)
	for _, loc := range Locales() {
		for _, kind := range Kinds() {
			d := Sample(kind)
			r, err := s.Render(kind, loc, d)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"#" + strconv.FormatInt(d.Ticket.Number, 10), "Printer on fire", "Acme Support"}
			switch kind {
			case SignInLink:
				want = []string{"Acme Support", "Alice Martin", "alice@acme.example", d.Link, "15"}
			case Export:
				want = []string{"Acme Support", "Alice Martin", "Bob Dupont", "42", d.Export.Filename}
			case MailboxSignInNeeded:
				want = append([]string{"Acme Support", "Alice Martin", d.SignIn.Provider, d.SignIn.Account, d.SignIn.Reason, d.SignIn.Command}, d.SignIn.Mailboxes...)
			case NewTicket, CustomerReply, Reopened:
				want = append(want, d.Ticket.Customer.Email)
			case FollowUp:
				want = append(want, d.Ticket.Customer.Email, "#11")
			case AgentCopy, AgentReply:
				want = append(want, "Alice Martin")
			case Assigned:
				want = append(want, "Bob Dupont")
			case CommandError:
				want = append(want, "#clsoe", "hardwre", "#close", "#note (")
			case ReplyHeld:
				// What was sent since, each message, and how to send the held reply anyway.
				want = append(want, "#send", "Bob Dupont", "A technician will replace the printer tomorrow.", "Replacement booked; no refund.")
			}
			if kind != Acknowledgement && kind != SignInLink && kind != Export && kind != MailboxSignInNeeded {
				want = append(want, strings.Split(d.Message.Text, "\n")...)
			}
			for _, w := range want {
				if !strings.Contains(r.Text, w) {
					t.Errorf("%s %s: text lacks %q", loc, kind, w)
				}
				if !strings.Contains(r.HTML, html.EscapeString(w)) {
					t.Errorf("%s %s: HTML lacks %q", loc, kind, html.EscapeString(w))
				}
			}
			lower := strings.ReplaceAll(strings.ToLower(r.Subject+r.Text+r.HTML), "á", "a")
			if kind == AgentReply && strings.Contains(lower, "automat") {
				t.Errorf("%s %s: an agent's reply must not look automatic:\n%s", loc, kind, r.Text)
			}
			if (kind == Acknowledgement || kind == NewTicket || kind == SignInLink || kind == Export || kind == MailboxSignInNeeded) && !strings.Contains(lower, "automat") {
				t.Errorf("%s %s: automatic mail does not say so", loc, kind)
			}
		}
	}
}

func TestAgentCopyNote(t *testing.T) {
	s := mustDefault(t)
	want := map[string]string{"en": "internal note", "fr": "note interne", "it": "nota interna", "es": "nota interna"}
	for _, loc := range Locales() {
		d := Sample(AgentCopy)
		r, err := s.Render(AgentCopy, loc, d)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.Text, want[loc]) {
			t.Errorf("%s: a reply's copy speaks of a note", loc)
		}
		d.Note = true
		if r, err = s.Render(AgentCopy, loc, d); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, want[loc]) || !strings.Contains(r.HTML, want[loc]) {
			t.Errorf("%s: a note's copy does not say it is an internal note:\n%s", loc, r.Text)
		}
	}
}

func TestAssignedToDepartment(t *testing.T) {
	s := mustDefault(t)
	d := Sample(Assigned)
	d.Ticket.Assignee = ""
	d.Ticket.Department = "Billing"
	r, err := s.Render(Assigned, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "[#12] Printer on fire" || !strings.Contains(r.Text, "the Billing department by Bob Dupont") {
		t.Errorf("assigned to a department:\n%s\n%s", r.Subject, r.Text)
	}
	d.Ticket.Department = ""
	d.Ticket.Assignee = "carol@acme.example"
	if r, err = s.Render(Assigned, "en", d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "assigned to carol@acme.example by Bob Dupont") {
		t.Errorf("assigned to another agent:\n%s", r.Text)
	}
}

func TestDates(t *testing.T) {
	tests := []struct {
		loc  string
		t    time.Time
		want string
	}{
		{"en", time.Date(2026, 3, 2, 10, 4, 0, 0, time.UTC), "March 2, 2026 at 10:04 UTC"},
		{"fr", time.Date(2026, 3, 2, 10, 4, 0, 0, time.UTC), "2 mars 2026 à 10:04 UTC"},
		{"fr-ca", time.Date(2026, 3, 1, 10, 4, 0, 0, time.UTC), "1er mars 2026 à 10:04 UTC"},
		{"it", time.Date(2026, 8, 1, 9, 5, 0, 0, time.UTC), "1º agosto 2026 alle ore 09:05 UTC"},
		{"es", time.Date(2026, 12, 24, 1, 30, 0, 0, time.UTC), "24 de diciembre de 2026 a la 01:30 UTC"},
		{"es", time.Date(2026, 12, 24, 13, 30, 0, 0, time.FixedZone("CET", 3600)), "24 de diciembre de 2026 a las 12:30 UTC"},
		{"de", time.Date(2026, 3, 2, 10, 4, 0, 0, time.UTC), "March 2, 2026 at 10:04 UTC"},
		{"fr", time.Time{}, ""},
	}
	for _, tt := range tests {
		if got := formatDate(tt.loc, tt.t); got != tt.want {
			t.Errorf("formatDate(%q, %v) = %q, want %q", tt.loc, tt.t, got, tt.want)
		}
	}
}

func TestTopic(t *testing.T) {
	tests := map[string]string{
		"Printer on fire":                  "Printer on fire",
		"Re: [#11] Printer on fire":        "Printer on fire",
		"RE : TR: Fwd:  Printer   on fire": "Printer on fire",
		"AW: [#3][#4] x [#5]":              "x",
		"Order [#abc] and [#] ok":          "Order [#abc] and [#] ok",
		"Question: why?":                   "Question: why?",
		"Re:":                              "",
		"[#12":                             "[#12",
	}
	for in, want := range tests {
		if got := topic(in); got != want {
			t.Errorf("topic(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPerson(t *testing.T) {
	p := Person{Name: " Ann\r\n Smith ", Email: "ann@x"}
	if p.String() != "Ann Smith <ann@x>" || p.Display() != "Ann Smith" {
		t.Errorf("%q %q", p.String(), p.Display())
	}
	if (Person{Email: "a@x"}).String() != "a@x" || (Person{Name: "A"}).String() != "A" || (Person{}).String() != "" {
		t.Error("Person.String with missing parts")
	}
}

func TestOverrideDir(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "fr", "acknowledgement.subject.tmpl"), "Bien reçu [#{{.Ticket.Number}}] {{template \"subject\" .}}\n")
	write(t, filepath.Join(dir, "fr", "acknowledgement.text.tmpl"), "{{marker}}\n\nMerci {{.Recipient.Name}} !\n")
	write(t, filepath.Join(dir, "de", "acknowledgement.subject.tmpl"), "[#{{.Ticket.Number}}] Eingangsbestätigung\n")
	write(t, filepath.Join(dir, "README.md"), "not a template\n")
	write(t, filepath.Join(dir, "fr", "notes.txt"), "not a template either\n")
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Locales(); !slices.Equal(got, []string{"de", "en", "es", "fr", "it"}) {
		t.Errorf("Locales() = %v", got)
	}
	def := mustDefault(t)
	d := Sample(Acknowledgement)
	r, err := s.Render(Acknowledgement, "fr-BE", d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Bien reçu [#12] Printer on fire" || !strings.Contains(r.Text, "Merci Ann Smith !") {
		t.Errorf("override not used: %q\n%s", r.Subject, r.Text)
	}
	want, _ := def.Render(Acknowledgement, "fr", d)
	if strings.Replace(r.HTML, r.Subject, want.Subject, 1) != want.HTML {
		t.Errorf("a kind's HTML changed (beyond its title) though only its subject and text were overridden:\n%s", r.HTML)
	}
	// Other kinds are the built-in ones.
	for _, kind := range Kinds()[1:] {
		got, _ := s.Render(kind, "fr", Sample(kind))
		want, _ := def.Render(kind, "fr", Sample(kind))
		if got != want {
			t.Errorf("%s changed by an override of another kind", kind)
		}
	}
	// A new locale: its files, then English.
	r, err = s.Render(Acknowledgement, "de-AT", d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "[#12] Eingangsbestätigung" {
		t.Errorf("de subject = %q", r.Subject)
	}
	want, _ = def.Render(Acknowledgement, "en", d)
	if r.Text != want.Text || !strings.Contains(r.HTML, `<html lang="de">`) {
		t.Errorf("de does not fall back to en:\n%s", r.Text)
	}
	// The default set is untouched.
	if r, _ := def.Render(Acknowledgement, "fr", d); strings.Contains(r.Subject, "Bien reçu") {
		t.Error("an override leaked into the default set")
	}
}

func TestOverrideErrors(t *testing.T) {
	tests := []struct {
		name, file, text, want string
	}{
		{"parse error", "fr/new-ticket.text.tmpl", "{{.Ticket.Number", "new-ticket.text.tmpl"},
		{"html parse error", "en/assigned.html.tmpl", "{{if}}", "assigned.html.tmpl"},
		{"unknown field", "it/agent-reply.subject.tmpl", "{{.Nope}}", "agent-reply.subject.tmpl"},
		{"fixed subject", "fr/reopened.subject.tmpl", "Rouvert : {{.Ticket.Subject}}", "reopened.subject.tmpl"},
		{"unknown function", "es/layout.text.tmpl", "{{nope}}", "layout.text.tmpl"},
		{"broken common", "fr/common.tmpl", `{{define "subject"}}{{end}`, "common.tmpl"},
		{"html escaping", "en/agent-copy.html.tmpl", `<a href="{{.Ticket.Subject}}`, "agent-copy.html.tmpl"},
		{"unknown file", "fr/new_ticket.text.tmpl", "x", "new_ticket.text.tmpl"},
		{"not a locale", "français/acknowledgement.text.tmpl", "x", "français"},
		{"stray template", "acknowledgement.text.tmpl", "x", "acknowledgement.text.tmpl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, filepath.FromSlash(tt.file)), tt.text)
			s, err := New(dir)
			if err == nil {
				t.Fatalf("New succeeded: %v", s.Locales())
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name %s", err, filepath.Join(dir, tt.want))
			}
		})
	}
	if _, err := New(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("New with a missing directory succeeded")
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "fr_CA", "acknowledgement.text.tmpl"), "x")
	write(t, filepath.Join(dir, "fr-ca", "acknowledgement.text.tmpl"), "y")
	if _, err := New(dir); err == nil {
		t.Error("two folders of one locale were accepted")
	}
}

func TestConcurrentRender(t *testing.T) {
	s := mustDefault(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j, kind := range Kinds() {
				loc := Locales()[(i+j)%len(Locales())]
				if _, err := s.Render(kind, loc, Sample(kind)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

func TestSampleFresh(t *testing.T) {
	a := Sample(NewTicket)
	a.Ticket.Tags[0] = "changed"
	if Sample(NewTicket).Ticket.Tags[0] == "changed" {
		t.Error("Sample shares its slices between calls")
	}
	if u := Sample("nope"); u.Ticket.Number == 0 {
		t.Error("Sample of an unknown kind is empty")
	}
}

func write(t *testing.T, file, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
