package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// propertyText sets, resets or shows a property's own text for its acknowledgement or close mail
// in one locale: plain text with {placeholders} (docs/templates.md), never a Go template.
func propertyText(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("property text")
	slug := fs.String("slug", "", "the property (required)")
	kind := fs.String("kind", "", "the mail: "+strings.Join(templates.CustomKinds(), " or ")+" (required to set or reset)")
	locale := fs.String("locale", "", "the language of the text (default: the property's)")
	file := fs.String("file", "", "a file holding the body (- reads standard input): plain text, paragraphs between blank lines, {placeholders}")
	subject := fs.String("subject", "", "the subject, one line with {placeholders} (default: the built-in subject); the ticket's tag [#N] is added when it lacks it")
	reset := fs.Bool("default", false, "back to the built-in text of the kind in the locale")
	cfg, rest, err := c.load(fs, args, "domain", "templates")
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	setting := *file != "" || *reset
	if *slug == "" || (*file != "" && *reset) || (setting && *kind == "") || (given["subject"] && *file == "") {
		return fmt.Errorf("%w: postdesk property text --slug S --kind K [--locale L] (--file F [--subject S] | --default); without --file or --default it shows the texts", errUsage)
	}
	if *kind != "" && templates.Placeholders(*kind) == nil {
		return fmt.Errorf("%w: --kind %q: one of %s", errUsage, *kind, strings.Join(templates.CustomKinds(), ", "))
	}
	if given["locale"] {
		if err := checkLocale(cfg, *locale); err != nil {
			return err
		}
	}
	var text templates.CustomText
	if *file != "" {
		if text.Body, err = readBody(*file); err != nil {
			return err
		}
		text.Subject = *subject
		if err := templates.CheckCustomText(*kind, text); err != nil {
			return fmt.Errorf("%w: %s", errUsage, strings.TrimPrefix(err.Error(), "templates: "))
		}
	}
	d, s, err := c.open(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	p, err := propertyArg(ctx, s, *slug)
	if err != nil {
		return err
	}
	loc := *locale
	if loc == "" {
		loc = p.Locale
	}
	loc = templates.NormalizeLocale(loc)
	switch {
	case *reset:
		err := s.DeletePropertyText(ctx, p.ID, *kind, loc)
		if errors.Is(err, tickets.ErrNotFound) {
			fmt.Fprintf(c.stdout, "%s has no %s text in %s: it uses the built-in one\n", p.Slug, *kind, loc)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s uses the built-in %s text in %s again\n", p.Slug, *kind, loc)
		return nil
	case *file != "":
		if err := s.SetPropertyText(ctx, p.ID, tickets.PropertyText{Kind: *kind, Locale: loc, Subject: text.Subject, Body: text.Body}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s text of %s in %s set\n", *kind, p.Slug, loc)
		return nil
	}
	ts, err := s.PropertyTexts(ctx, p.ID)
	if err != nil {
		return err
	}
	shown := 0
	for _, t := range ts {
		if (*kind != "" && t.Kind != *kind) || (given["locale"] && t.Locale != loc) {
			continue
		}
		shown++
		fmt.Fprintf(c.stdout, "--- %s, %s (set %s)\nSubject: %s\n\n%s\n", t.Kind, t.Locale, t.UpdatedAt.Format("2006-01-02 15:04"), orBuiltIn(t.Subject), strings.TrimRight(t.Body, "\n"))
	}
	if shown == 0 {
		fmt.Fprintf(c.stdout, "%s uses the built-in texts\n", p.Slug)
	}
	return nil
}

func orBuiltIn(s string) string {
	if s == "" {
		return "(built-in)"
	}
	return s
}
