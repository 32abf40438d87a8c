package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/tickets"
)

// The admin lifecycle from the command line: editing and removing a property, removing an agent or
// changing their role, departments, mailboxes paused and removed, tickets unassigned and purged.

// propertyEdit changes the settings given, and only those. "property set" is its older name,
// kept: it takes the same flags.
func propertyEdit(ctx context.Context, c *cli, args []string, verb string) error {
	fs := c.flags("property " + verb)
	slug := fs.String("slug", "", "the property (required; a slug cannot change: it is the forwarding address mail is sent to)")
	name := fs.String("name", "", "display name, used in the From of outgoing mail")
	from := fs.String("from", "", "the property's own support address (support@brand.example; \"\" for none)")
	window := fs.Duration("reopen-window", 0, "a customer's answer within this time after closing reopens the ticket")
	locale := fs.String("locale", "", localeUsage)
	ack := fs.Bool("acknowledge", true, acknowledgeUsage)
	ignoreList := fs.Bool("ignore-list-mail", false, ignoreListUsage)
	attach := fs.String("attach-limit", "", attachLimitUsage)
	closeMail := fs.Bool("close-mail", false, closeMailUsage)
	cfg, rest, err := c.load(fs, args, "domain", "templates")
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	given, changes := map[string]bool{}, 0
	fs.Visit(func(f *flag.Flag) {
		given[f.Name] = true
		if f.Name != "slug" && !commonFlags[f.Name] {
			changes++
		}
	})
	if *slug == "" || changes == 0 {
		return fmt.Errorf("%w: postdesk property %s --slug S [--name N] [--from ADDR] [--locale L] [--reopen-window D] [--acknowledge=true|false] [--ignore-list-mail=true|false] [--attach-limit SIZE] [--close-mail=true|false]", errUsage, verb)
	}
	// Everything is checked before anything changes.
	var limit int64
	if given["attach-limit"] {
		if limit, err = tickets.ParseSize(*attach); err != nil {
			return fmt.Errorf("%w: --attach-limit: %w", errUsage, err)
		}
	}
	if given["locale"] {
		if err := checkLocale(cfg, *locale); err != nil {
			return err
		}
	}
	var edit tickets.PropertyEdit
	if given["name"] {
		edit.Name = name
	}
	if given["from"] {
		edit.FromAddress = from
	}
	if given["reopen-window"] {
		edit.ReopenWindow = window
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
	if err := s.EditProperty(ctx, p.ID, edit); err != nil {
		if errors.Is(err, tickets.ErrInvalid) {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		return err
	}
	steps := []struct {
		flag string
		do   func() error
	}{
		{"locale", func() error { return s.SetLocale(ctx, p.ID, *locale) }},
		{"acknowledge", func() error { return s.SetAcknowledge(ctx, p.ID, *ack) }},
		{"attach-limit", func() error { return s.SetAttachLimit(ctx, p.ID, limit) }},
		{"close-mail", func() error { return s.SetCloseMail(ctx, p.ID, *closeMail) }},
		{"ignore-list-mail", func() error { return s.SetIgnoreListMail(ctx, p.ID, *ignoreList) }},
	}
	for _, st := range steps {
		if given[st.flag] {
			if err := st.do(); err != nil {
				return err
			}
		}
	}
	if verb == "set" {
		return nil // as it always was: silent
	}
	if p, err = s.PropertyByID(ctx, p.ID); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %s <%s>, locale %s, reopen window %s, acknowledge %t\n", p.Slug, p.Name, p.FromAddress, p.Locale, p.ReopenWindow, p.Acknowledge)
	return nil
}

// propertyRemove deletes a property and all it holds; without --yes it says what that would be
// and changes nothing (exit status 2).
func propertyRemove(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("property remove")
	slug := fs.String("slug", "", "the property (required)")
	yes := fs.Bool("yes", false, "remove it for good, with its tickets, contacts, departments, mailboxes and queued mail; without it, only say what would go")
	cfg, rest, err := c.load(fs, args, "domain")
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	if *slug == "" {
		return fmt.Errorf("%w: --slug is required", errUsage)
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
	if !*yes {
		n, err := s.PropertyContents(ctx, p.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "property %s holds %s\n", p.Slug, contents(n))
		return fmt.Errorf("%w: nothing removed: run again with --yes to remove %s and all it holds for good", errUsage, p.Slug)
	}
	n, err := s.RemoveProperty(ctx, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "removed property %s: %s\n", p.Slug, contents(n))
	return nil
}

func contents(n tickets.PropertyContents) string {
	return fmt.Sprintf("%d tickets, %d messages, %d contacts, %d agents, %d departments, %d mailboxes, %d unsent mails, %d system mails",
		n.Tickets, n.Messages, n.Contacts, n.Agents, n.Departments, n.Mailboxes, n.UnsentMail, n.SystemMail)
}

// usageIfInvalid makes the store's refusal of bad input a usage error (exit status 2).
func usageIfInvalid(err error) error {
	if errors.Is(err, tickets.ErrInvalid) || errors.Is(err, tickets.ErrExists) {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return err
}

func agentRemove(ctx context.Context, c *cli, args []string) error {
	var email *string
	return c.withProperty(ctx, "agent remove", args, nil, false, func(fs *flag.FlagSet) {
		email = fs.String("email", "", "the agent's email address (required)")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		if *email == "" {
			return fmt.Errorf("%w: --email is required", errUsage)
		}
		r, err := sc.store.RemoveAgent(ctx, sc.prop, *email, tickets.ActorCLI)
		if err != nil {
			return usageIfInvalid(err)
		}
		fmt.Fprintf(c.stdout, "removed %s from %s: %d tickets unassigned, %d API tokens revoked; their web sessions end\n",
			*email, sc.prop.Slug, r.Unassigned, r.Tokens)
		return nil
	})
}

func agentRole(ctx context.Context, c *cli, args []string) error {
	var email, role *string
	return c.withProperty(ctx, "agent role", args, nil, false, func(fs *flag.FlagSet) {
		email = fs.String("email", "", "the agent's email address (required)")
		role = fs.String("role", "", "support, manager, admin or owner (required)")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		if *email == "" || *role == "" {
			return fmt.Errorf("%w: --email and --role are required", errUsage)
		}
		a, err := sc.store.SetRole(ctx, sc.prop, *email, *role)
		if err != nil {
			return usageIfInvalid(err)
		}
		fmt.Fprintf(c.stdout, "%s <%s> is %s of %s\n", a.Name, a.Email, a.Role, sc.prop.Slug)
		return nil
	})
}

func departmentList(ctx context.Context, c *cli, args []string) error {
	var asJSON *bool
	return c.withProperty(ctx, "department list", args, nil, false, func(fs *flag.FlagSet) {
		asJSON = fs.Bool("json", false, "print JSON")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		ds, err := sc.store.Departments(ctx, sc.prop.ID)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(c, ds)
		}
		w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tDEFAULT\tMEMBERS")
		for _, d := range ds {
			def := ""
			if d.Default {
				def = "yes"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", d.Name, def, strings.Join(d.Members, ", "))
		}
		return w.Flush()
	})
}

func departmentRename(ctx context.Context, c *cli, args []string) error {
	var name, to *string
	return c.withProperty(ctx, "department rename", args, nil, false, func(fs *flag.FlagSet) {
		name = fs.String("name", "", "the department's name now (required)")
		to = fs.String("to", "", "its new name (required)")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		if *name == "" || *to == "" {
			return fmt.Errorf("%w: --name and --to are required", errUsage)
		}
		d, err := sc.store.RenameDepartment(ctx, sc.prop.ID, *name, *to)
		if err != nil {
			return usageIfInvalid(err)
		}
		fmt.Fprintf(c.stdout, "department %s of %s is now %s\n", *name, sc.prop.Slug, d.Name)
		return nil
	})
}

func departmentRemove(ctx context.Context, c *cli, args []string) error {
	var name *string
	return c.withProperty(ctx, "department remove", args, nil, false, func(fs *flag.FlagSet) {
		name = fs.String("name", "", "the department (required); its tickets become unassigned")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		if *name == "" {
			return fmt.Errorf("%w: --name is required", errUsage)
		}
		n, err := sc.store.RemoveDepartment(ctx, sc.prop, *name, tickets.ActorCLI)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "removed department %s of %s: %d tickets unassigned\n", *name, sc.prop.Slug, n)
		return nil
	})
}

func departmentRemoveMember(ctx context.Context, c *cli, args []string) error {
	var name *string
	var members multi
	return c.withProperty(ctx, "department remove-member", args, nil, false, func(fs *flag.FlagSet) {
		name = fs.String("name", "", "the department (required)")
		fs.Var(&members, "member", "an agent's email (required); repeat for several")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		if *name == "" || len(members) == 0 {
			return fmt.Errorf("%w: --name and --member are required", errUsage)
		}
		var d tickets.Department
		for _, m := range members {
			var err error
			if d, err = sc.store.RemoveDepartmentMember(ctx, sc.prop.ID, *name, m); err != nil {
				return err
			}
		}
		fmt.Fprintf(c.stdout, "department %s of %s: %s\n", d.Name, sc.prop.Slug, strings.Join(d.Members, ", "))
		return nil
	})
}

// mailboxChange removes, pauses or resumes one mailbox of a property.
func mailboxChange(ctx context.Context, c *cli, args []string, verb string) error {
	fs := c.flags("mailbox " + verb)
	prop := fs.String("property", "", "property slug (required)")
	id := fs.Int64("id", 0, "the mailbox, by the ID 'mailbox list' shows (required)")
	cfg, rest, err := c.load(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	if *id <= 0 {
		return fmt.Errorf("%w: --id is required", errUsage)
	}
	d, s, boxes, err := openMailboxes(ctx, c, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	p, err := propertyArg(ctx, s, *prop)
	if err != nil {
		return err
	}
	do, done := map[string]func(context.Context, int64, int64) error{"remove": boxes.Remove, "pause": boxes.Pause, "resume": boxes.Resume}[verb],
		map[string]string{"remove": "removed: it is polled no more (its mail stays in its tickets)", "pause": "paused: nobody polls it until 'mailbox resume'",
			"resume": "resumed: polled again from where it stopped"}[verb]
	if err := do(ctx, p.ID, *id); err != nil {
		if errors.Is(err, mailbox.ErrNotFound) {
			return fmt.Errorf("%s has no mailbox %d (see 'postdesk mailbox list --property %s')", p.Slug, *id, p.Slug)
		}
		return err
	}
	fmt.Fprintf(c.stdout, "mailbox %d of %s %s\n", *id, p.Slug, done)
	return nil
}

func ticketsUnassign(ctx context.Context, c *cli, args []string) error {
	return c.asAgent(ctx, "unassign", args, false, nil, func(sc scoped, a tickets.Agent, n int64, rest []string) error {
		if err := noArgs(rest); err != nil {
			return err
		}
		t, err := sc.store.Unassign(ctx, sc.prop, n, a)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "#%d is unassigned\n", t.Number)
		return nil
	})
}

// ticketsPurge deletes a ticket in the trash for good (the second step: 'tickets trash' first).
func ticketsPurge(ctx context.Context, c *cli, args []string) error {
	return c.withProperty(ctx, "tickets purge", args, nil, false, nil, func(sc scoped) error {
		n, err := ticketNumber(sc.rest)
		if err != nil {
			return err
		}
		if err := sc.store.Purge(ctx, sc.prop, n, tickets.ActorCLI); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "#%d is deleted for good\n", n)
		return nil
	})
}

func contactsCmd(ctx context.Context, c *cli, args []string) error {
	return sub(ctx, c, "contacts", args, map[string]func(context.Context, *cli, []string) error{
		"list": contactsList,
		"show": contactsShow,
	})
}

func contactsList(ctx context.Context, c *cli, args []string) error {
	var search *string
	var asJSON *bool
	return c.withProperty(ctx, "contacts list", args, nil, false, func(fs *flag.FlagSet) {
		search = fs.String("search", "", "only those whose address or name contains this")
		asJSON = fs.Bool("json", false, "print JSON")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		all := []tickets.ContactSummary{}
		for after := ""; ; {
			page, next, err := sc.store.Contacts(ctx, sc.prop, *search, tickets.MaxContactsLimit, after)
			if err != nil {
				return err
			}
			all = append(all, page...)
			if after = next; next == "" {
				break
			}
		}
		if *asJSON {
			return writeJSON(c, all)
		}
		w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "EMAIL\tNAME\tTICKETS\tLAST SEEN\tFLAGS")
		for _, ct := range all {
			seen := "never"
			if ct.LastSeen != nil {
				seen = ct.LastSeen.UTC().Format(time.DateTime)
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", ct.Email, ct.Name, ct.Tickets, seen, contactFlags(ct))
		}
		return w.Flush()
	})
}

func contactFlags(ct tickets.ContactSummary) string {
	var f []string
	for _, x := range []struct {
		on   bool
		name string
	}{{ct.Blocked, "blocked"}, {ct.Spam, "spam"}, {ct.Bouncing, "bouncing"}} {
		if x.on {
			f = append(f, x.name)
		}
	}
	return strings.Join(f, ",")
}

func contactsShow(ctx context.Context, c *cli, args []string) error {
	var asJSON *bool
	return c.withProperty(ctx, "contacts show", args, nil, false, func(fs *flag.FlagSet) {
		asJSON = fs.Bool("json", false, "print JSON")
	}, func(sc scoped) error {
		if len(sc.rest) != 1 {
			return fmt.Errorf("%w: postdesk contacts show --property S EMAIL", errUsage)
		}
		h, err := sc.store.ContactHistory(ctx, sc.prop, sc.rest[0])
		if errors.Is(err, tickets.ErrNotFound) {
			return fmt.Errorf("%s has no contact %s", sc.prop.Slug, sc.rest[0])
		}
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(c, h)
		}
		ct := h.Contact
		fmt.Fprintf(c.stdout, "%s <%s>", ct.Name, ct.Email)
		if f := contactFlags(ct); f != "" {
			fmt.Fprintf(c.stdout, " (%s)", f)
		}
		fmt.Fprintf(c.stdout, ": %d tickets\n", len(h.Tickets))
		for _, t := range h.Tickets {
			fmt.Fprintf(c.stdout, "#%s\t%s\t%d messages\t%s\t%s\n", strconv.FormatInt(t.Number, 10), t.Status, t.MessageCount, t.CreatedAt.UTC().Format(time.DateTime), t.Subject)
		}
		return nil
	})
}
