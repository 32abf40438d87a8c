package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/intake"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

// sub dispatches "NOUN VERB ..." commands. "NOUN -h" (or --help, help) lists the actions with
// their flags; no action or an unknown one lists them too, as a usage error.
func sub(ctx context.Context, c *cli, noun string, args []string, verbs map[string]func(context.Context, *cli, []string) error) error {
	if c.probe != nil {
		c.probe.verbs = slices.Sorted(maps.Keys(verbs))
		return flag.ErrHelp
	}
	if len(args) > 0 && helpArg(args[0]) {
		c.groupHelp(c.stderr, noun, verbs)
		return flag.ErrHelp
	}
	names := strings.Join(slices.Sorted(maps.Keys(verbs)), "|")
	if len(args) == 0 {
		c.groupHelp(c.stderr, noun, verbs)
		return fmt.Errorf("%w: postdesk %s %s", errUsage, noun, names)
	}
	f, ok := verbs[args[0]]
	if !ok {
		c.groupHelp(c.stderr, noun, verbs)
		return fmt.Errorf("%w: unknown action %q: postdesk %s %s", errUsage, args[0], noun, names)
	}
	return f(ctx, c, args[1:])
}

func noArgs(rest []string) error {
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	return nil
}

func property(ctx context.Context, c *cli, args []string) error {
	return sub(ctx, c, "property", args, map[string]func(context.Context, *cli, []string) error{
		"add":    propertyAdd,
		"list":   propertyList,
		"edit":   func(ctx context.Context, c *cli, args []string) error { return propertyEdit(ctx, c, args, "edit") },
		"set":    func(ctx context.Context, c *cli, args []string) error { return propertyEdit(ctx, c, args, "set") }, // edit's older name
		"remove": propertyRemove,                                                                                      // lifecycle.go
		"text":   propertyText,                                                                                        // property_text.go
		"dkim":   propertyDKIM,
	})
}

func propertyAdd(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("property add")
	slug := fs.String("slug", "", "short name, the local part of the forwarding address (required)")
	name := fs.String("name", "", "display name, used in the From of outgoing mail (required)")
	from := fs.String("from", "", "the property's own support address (support@brand.example)")
	window := fs.Duration("reopen-window", threading.DefaultReopenWindow, "a customer's answer within this time after closing reopens the ticket")
	locale := fs.String("locale", "en", localeUsage)
	ignoreList := fs.Bool("ignore-list-mail", false, ignoreListUsage)
	cfg, rest, err := c.load(fs, args, "domain", "templates")
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	if *slug == "" || *name == "" {
		return fmt.Errorf("%w: --slug and --name are required", errUsage)
	}
	if err := checkLocale(cfg, *locale); err != nil {
		return err
	}
	d, s, err := c.open(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: *slug, Name: *name, FromAddress: *from, ReopenWindow: *window, Locale: *locale, IgnoreListMail: *ignoreList})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, intake.ForwardingAddress(p.Slug, cfg.Domain))
	return nil
}

func propertyList(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("property list")
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, rest, err := c.load(fs, args, "domain")
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	d, s, err := c.open(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	ps, err := s.Properties(ctx)
	if err != nil {
		return err
	}
	type row struct {
		tickets.Property
		Forwarding string `json:"forwarding_address"`
	}
	rows := []row{}
	for _, p := range ps {
		rows = append(rows, row{p, intake.ForwardingAddress(p.Slug, cfg.Domain)})
	}
	if *asJSON {
		return writeJSON(c, rows)
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLUG\tNAME\tFORWARDING ADDRESS\tFROM\tREOPEN WINDOW\tLIST MAIL")
	for _, r := range rows {
		list := "tickets"
		if r.IgnoreListMail {
			list = "ignored"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Slug, r.Name, r.Forwarding, r.FromAddress, r.ReopenWindow, list)
	}
	return w.Flush()
}

const localeUsage = "language of the mails postdesk sends: en, es, fr, it (or a regional form, fr-CA; or a locale of the templates folder)"

// checkLocale refuses a locale postdesk has no mail in (exit status 2), naming the known ones:
// the built-in locales and those of the templates folder.
func checkLocale(cfg *config.Config, locale string) error {
	set, err := templates.New(cfg.Templates)
	if err != nil {
		return err
	}
	if err := set.CheckLocale(locale); err != nil {
		return fmt.Errorf("%w: --locale: %w", errUsage, err)
	}
	return nil
}

const acknowledgeUsage = "mail the customer an acknowledgement with their ticket number when their mail opens a ticket (default true)"

const attachLimitUsage = "the most bytes of a message's files attached to its agents' copies, in all (10MB, 512KB, 0 = always links; default 10MB); above it the files are download links"

const closeMailUsage = "mail the customer \"your ticket was closed\" when an agent closes their ticket (default false)"

const ignoreListUsage = "treat mail that came through a mailing list (List-Id, List-Post, Precedence: list) as a robot's: no ticket, kept as system mail only"

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func agent(ctx context.Context, c *cli, args []string) error {
	return sub(ctx, c, "agent", args, map[string]func(context.Context, *cli, []string) error{
		"token":     agentToken,
		"password":  agentPassword,
		"signature": agentSignature,
		"remove":    agentRemove, // lifecycle.go
		"role":      agentRole,
		"add": func(ctx context.Context, c *cli, args []string) error {
			var email, name, role *string
			return c.withProperty(ctx, "agent add", args, nil, false, func(fs *flag.FlagSet) {
				email = fs.String("email", "", "the agent's email address (required)")
				name = fs.String("name", "", "the agent's name (required)")
				role = fs.String("role", "support", "support, manager, admin or owner")
			}, func(sc scoped) error {
				if err := noArgs(sc.rest); err != nil {
					return err
				}
				if *email == "" || *name == "" {
					return fmt.Errorf("%w: --email and --name are required", errUsage)
				}
				a, err := sc.store.AddAgent(ctx, sc.prop.ID, *email, *name, *role)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "%s <%s> is %s of %s\n", a.Name, a.Email, a.Role, sc.prop.Slug)
				return nil
			})
		},
		"list": func(ctx context.Context, c *cli, args []string) error {
			var asJSON *bool
			return c.withProperty(ctx, "agent list", args, nil, false, func(fs *flag.FlagSet) {
				asJSON = fs.Bool("json", false, "print JSON")
			}, func(sc scoped) error {
				if err := noArgs(sc.rest); err != nil {
					return err
				}
				as, err := sc.store.Agents(ctx, sc.prop.ID)
				if err != nil {
					return err
				}
				if *asJSON {
					return writeJSON(c, as)
				}
				w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "EMAIL\tNAME\tROLE")
				for _, a := range as {
					fmt.Fprintf(w, "%s\t%s\t%s\n", a.Email, a.Name, a.Role)
				}
				return w.Flush()
			})
		},
	})
}

func department(ctx context.Context, c *cli, args []string) error {
	return sub(ctx, c, "department", args, map[string]func(context.Context, *cli, []string) error{
		"list":          departmentList, // lifecycle.go
		"rename":        departmentRename,
		"remove":        departmentRemove,
		"remove-member": departmentRemoveMember,
		"add": func(ctx context.Context, c *cli, args []string) error {
			var name *string
			var isDefault *bool
			var members multi
			return c.withProperty(ctx, "department add", args, nil, false, func(fs *flag.FlagSet) {
				name = fs.String("name", "", "department name (required)")
				fs.Var(&members, "member", "an agent's email; repeat for several")
				isDefault = fs.Bool("default", false, "notify this department about unassigned tickets")
			}, func(sc scoped) error {
				if err := noArgs(sc.rest); err != nil {
					return err
				}
				if *name == "" {
					return fmt.Errorf("%w: --name is required", errUsage)
				}
				dep, err := sc.store.AddDepartment(ctx, sc.prop.ID, *name, members)
				if err != nil {
					return err
				}
				if *isDefault {
					if err := sc.store.SetDefaultDepartment(ctx, sc.prop.ID, dep.ID); err != nil {
						return err
					}
				}
				fmt.Fprintf(c.stdout, "department %s of %s: %s\n", dep.Name, sc.prop.Slug, strings.Join(dep.Members, ", "))
				return nil
			})
		},
	})
}

func writeJSON(c *cli, v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
