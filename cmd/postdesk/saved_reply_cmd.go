package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// savedReply manages a property's saved replies: named texts with {placeholders} an agent inserts
// in a reply (the web's reply box, saved_reply on the API, #reply NAME by mail).
func savedReply(ctx context.Context, c *cli, args []string) error {
	return sub(ctx, c, "saved-reply", args, map[string]func(context.Context, *cli, []string) error{
		"add":    func(ctx context.Context, c *cli, args []string) error { return savedReplySet(ctx, c, args, "add") },
		"edit":   func(ctx context.Context, c *cli, args []string) error { return savedReplySet(ctx, c, args, "edit") },
		"list":   savedReplyList,
		"remove": savedReplyRemove,
	})
}

// savedReplySet adds a saved reply's text in a locale, or (edit) replaces it.
func savedReplySet(ctx context.Context, c *cli, args []string, verb string) error {
	var name, text, file, locale *string
	return c.withProperty(ctx, "saved-reply "+verb, args, []string{"templates"}, false, func(fs *flag.FlagSet) {
		name = fs.String("name", "", "its name: one word of letters, digits, - or _, case-insensitive (required)")
		text = fs.String("text", "", "the text, with {placeholders} ("+placeholderList()+")")
		file = fs.String("file", "", "a file holding the text instead (- reads standard input)")
		locale = fs.String("locale", "", "the language of the text (default: the property's)")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		if *name == "" || (*text == "") == (*file == "") {
			return fmt.Errorf("%w: postdesk saved-reply %s --property S --name N (--text T | --file F) [--locale L]", errUsage, verb)
		}
		if *locale != "" {
			if err := checkLocale(sc.cfg, *locale); err != nil {
				return err
			}
		}
		body := *text
		if *file != "" {
			var err error
			if body, err = readBody(*file); err != nil {
				return err
			}
		}
		r := tickets.SavedReply{Name: *name, Locale: *locale, Body: body}
		var err error
		if verb == "add" {
			r, err = sc.store.AddSavedReply(ctx, sc.prop, tickets.Agent{}, r)
		} else {
			r, err = sc.store.UpdateSavedReply(ctx, sc.prop, tickets.Agent{}, r)
		}
		if err != nil {
			return err
		}
		done := "added"
		if verb == "edit" {
			done = "changed"
		}
		fmt.Fprintf(c.stdout, "saved reply %s of %s in %s %s\n", r.Name, sc.prop.Slug, r.Locale, done)
		return nil
	})
}

func placeholderList() string {
	var names []string
	for _, p := range templates.SavedReplyPlaceholders() {
		names = append(names, p[0])
	}
	return strings.Join(names, " ")
}

func savedReplyList(ctx context.Context, c *cli, args []string) error {
	var asJSON *bool
	return c.withProperty(ctx, "saved-reply list", args, nil, false, func(fs *flag.FlagSet) {
		asJSON = fs.Bool("json", false, "print JSON")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		rs, err := sc.store.SavedReplies(ctx, sc.prop.ID)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(c, rs)
		}
		if len(rs) == 0 {
			fmt.Fprintf(c.stdout, "%s has no saved replies\n", sc.prop.Slug)
			return nil
		}
		w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tLOCALE\tUPDATED\tTEXT")
		for _, r := range rs {
			first, _, _ := strings.Cut(r.Body, "\n")
			if len(first) > 60 {
				first = first[:57] + "..."
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Name, r.Locale, r.UpdatedAt.Format("2006-01-02 15:04"), first)
		}
		return w.Flush()
	})
}

func savedReplyRemove(ctx context.Context, c *cli, args []string) error {
	var name, locale *string
	return c.withProperty(ctx, "saved-reply remove", args, nil, false, func(fs *flag.FlagSet) {
		name = fs.String("name", "", "the saved reply (required)")
		locale = fs.String("locale", "", "only its text in this language (default: every language)")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		if *name == "" {
			return fmt.Errorf("%w: postdesk saved-reply remove --property S --name N [--locale L]", errUsage)
		}
		if err := sc.store.RemoveSavedReply(ctx, sc.prop, *name, *locale); err != nil {
			return err
		}
		what := "removed"
		if *locale != "" {
			what = "removed in " + templates.NormalizeLocale(*locale)
		}
		fmt.Fprintf(c.stdout, "saved reply %s of %s %s\n", strings.ToLower(strings.TrimSpace(*name)), sc.prop.Slug, what)
		return nil
	})
}
