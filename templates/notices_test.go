package templates

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/mailcmd"
	"github.com/postdesk/postdesk/tickets/rules"
)

// Every line mailcmd and the agent mail rules write for a command-error mail has a translation in
// every built-in locale but English, and keeps what the agent wrote.
func TestTranslateNotice(t *testing.T) {
	now := time.Date(2026, time.March, 2, 10, 0, 0, 0, time.UTC)
	var lines []string
	for _, cmd := range []string{"#frobnicate", "#close now", "#assign", "#priority whenever", "#tag a b", "#snooze", "#snooze 3y",
		"#snooze 2020-01-01", "#snooze 2030-01-01", "#note.", "#reopen x", "#merge", "#merge twelve", "#reply", "#reply two words"} {
		p := mailcmd.Parse(cmd+"\n\nHello", now)
		if len(p.Errors) != 1 {
			t.Fatalf("%q: errors %v", cmd, p.Errors)
		}
		lines = append(lines, p.Errors...)
	}
	lines = append(lines, mailcmd.Parse(strings.Repeat("#close\n", mailcmd.MaxCommands+1), now).Errors...)
	lines = append(lines, `"#assign bob@x.example": no agent or department "bob@x.example" on this property`)
	lines = append(lines, `"#send": no reply of yours is held on this ticket (sent already, or never held)`)
	// tickets.planMerge
	lines = append(lines, `"#merge 9": no ticket #9 on this property`, `"#merge 1": a ticket cannot be merged into itself`,
		`"#merge 2": #2 was merged into #1 already`, `"#merge 3": ticket #3 is in the trash; restore it first`)
	// tickets.UnknownSavedReply
	lines = append(lines, `"#reply refnd": no saved reply "refnd" on this property; its saved replies: refund, welcome`,
		`"#reply x": no saved reply "x" on this property; it has none`,
		`"#reply refund": saved reply "refund" has no text in fr, only in en, es; it has none`)
	for _, m := range []rules.AgentMail{
		{HasCommands: true, Unverified: "it came through a mailing list"},
		{HasCommands: true, Unverified: "the mail has more than one From"},
		{HasCommands: true, Unverified: "DKIM required: the mail is not signed"},
		{HasCommands: true, Unverified: "DKIM required: no valid signature of acme.example"},
		{HasCommands: true, Unverified: "DKIM required: no From domain"},
		{HasCommands: true},
		{Scoped: true, ByToken: true},
	} {
		lines = append(lines, rules.DecideAgentMail(m).Notices...)
	}
	lines = append(lines, rules.Verdict{Outcome: rules.Reply}.Brake(rules.MaxRepliesByMailPerHour).Notices...)
	for _, loc := range Locales() {
		for _, l := range lines {
			got := TranslateNotice(loc, l)
			if loc == DefaultLocale {
				if got != l {
					t.Errorf("en: %q became %q", l, got)
				}
				continue
			}
			if got == l {
				t.Errorf("%s: %q has no translation", loc, l)
			}
			if i := strings.IndexByte(l, '"'); i >= 0 {
				quotedLine := l[i : strings.IndexByte(l[i+1:], '"')+i+2]
				if !strings.Contains(got, quotedLine) {
					t.Errorf("%s: %q lost %s: %q", loc, l, quotedLine, got)
				}
			}
			if strings.Contains(got, "nothing was") || strings.Contains(got, "came through") || strings.Contains(got, "required") {
				t.Errorf("%s: %q is partly English: %q", loc, l, got)
			}
		}
		if got := TranslateNotice(loc+"-CA", lines[0]); got != TranslateNotice(loc, lines[0]) {
			t.Errorf("%s-CA: %q, want the %s line", loc, got, loc)
		}
		for _, u := range mailcmd.Usage {
			if got := TranslateUsage(loc, u); loc != DefaultLocale && strings.ContainsAny(u, "<") && !strings.HasPrefix(u, "#priority") && got == u {
				t.Errorf("%s: usage %q has no translation", loc, u)
			}
		}
	}
	if got := TranslateNotice("fr", "something new"); got != "something new" {
		t.Errorf("an unknown line became %q", got)
	}
}

func TestCheckLocale(t *testing.T) {
	for _, ok := range []string{"en", "fr", "FR", "fr-CA", "fr_CA.UTF-8", "es", "it", "en-GB", "it-CH"} {
		if err := CheckLocale(ok); err != nil {
			t.Errorf("CheckLocale(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"de", "de-CH", "", "f", "klingon!", "xx"} {
		err := CheckLocale(bad)
		if err == nil {
			t.Errorf("CheckLocale(%q) is nil", bad)
			continue
		}
		if !strings.Contains(err.Error(), "en, es, fr, it") {
			t.Errorf("CheckLocale(%q) = %v, does not list the locales", bad, err)
		}
	}
	// An override folder adds a locale.
	dir := t.TempDir()
	write(t, filepath.Join(dir, "de", "acknowledgement.subject.tmpl"), `Wir haben Ihre Nachricht erhalten`)
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckLocale("de-AT"); err != nil {
		t.Errorf("with a de folder: %v", err)
	}
	if err := s.CheckLocale("nl"); err == nil || !strings.Contains(err.Error(), "de, en, es, fr, it") {
		t.Errorf("nl with a de folder: %v", err)
	}
}

func TestFormSubject(t *testing.T) {
	for loc, want := range map[string]string{"en": "Message from the contact form", "fr-CA": "Message du formulaire de contact",
		"es": "Mensaje del formulario de contacto", "it": "Messaggio dal modulo di contatto", "de": "Message from the contact form"} {
		if got := FormSubject(loc); got != want {
			t.Errorf("FormSubject(%q) = %q, want %q", loc, got, want)
		}
	}
}

// FuzzTranslateNotice: any line (it holds what an agent wrote) is translated without a panic,
// and an English one is left alone.
func FuzzTranslateNotice(f *testing.F) {
	f.Add(`"#frobnicate": unknown command #frobnicate`)
	f.Add(`"\"#x": nothing was run or sent: nothing was run or sent`)
	f.Add(`DKIM required: DKIM required: x: nothing was run or sent`)
	f.Fuzz(func(t *testing.T, line string) {
		for _, loc := range Locales() {
			got := TranslateNotice(loc, line)
			if loc == DefaultLocale && got != line {
				t.Fatalf("en changed %q to %q", line, got)
			}
		}
	})
}
