package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/notify"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// mailingStore opens the store with the notifier attached, for commands whose changes send mail:
// the rows land in the outbox and the running daemon's sender delivers them.
func (c *cli) mailingStore(ctx context.Context, cfg *config.Config) (*tickets.Store, func(), error) {
	d, s, err := c.open(ctx, cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	secret, err := s.Secret(ctx)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	tpl, err := templates.New(cfg.Templates)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	// The links to files too big for an agent's copy need web_url here: a command knows no
	// listen address.
	s.AddHook(notify.New(s, tpl, notify.Config{Domain: cfg.Domain, Secret: secret, AutoPerHour: int(cfg.AutoPerHour),
		WebURL: cfg.WebURL, MaxMailBytes: cfg.MaxMessageBytes}))
	return s, func() { d.Close() }, nil
}

var mailKeys = []string{"domain", "templates", "auto_per_hour", "web_url", "max_message_bytes"}

func readBody(path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%w: --body-file is required (- reads standard input)", errUsage)
	}
	var b []byte
	var err error
	if path == "-" {
		b, err = readAllStdin()
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("read the body: %w", err)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

var readAllStdin = func() ([]byte, error) { return io.ReadAll(os.Stdin) }

func readAttachments(paths []string) ([]tickets.NewAttachment, error) {
	var out []tickets.NewAttachment
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("attachment: %w", err)
		}
		ct := mime.TypeByExtension(filepath.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		out = append(out, tickets.NewAttachment{Filename: filepath.Base(p), ContentType: ct, Data: b})
	}
	return out, nil
}

func ticketsCreate(ctx context.Context, c *cli, args []string) error {
	var as, to, name, subject, bodyFile, assign, priority *string
	var tags, attach multi
	return c.withProperty(ctx, "tickets create", args, mailKeys, true, func(fs *flag.FlagSet) {
		as = fs.String("as", "", "the agent opening the ticket, by email (required)")
		to = fs.String("to", "", "the customer's email (required)")
		name = fs.String("name", "", "the customer's name")
		subject = fs.String("subject", "", "subject (required)")
		bodyFile = fs.String("body-file", "", "file with the message text (- for standard input)")
		assign = fs.String("assign", "", "agent email or department name (default: the creator)")
		priority = fs.String("priority", "normal", "low, normal, high or urgent")
		fs.Var(&tags, "tag", "a tag; repeat for several")
		fs.Var(&attach, "attach", "a file to attach; repeat for several")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		if *as == "" || *to == "" || *subject == "" {
			return fmt.Errorf("%w: --as, --to and --subject are required", errUsage)
		}
		out, err := outgoing(*bodyFile, attach)
		if err != nil {
			return err
		}
		t, err := sc.store.CreateTicket(ctx, sc.prop, tickets.Agent{Email: *as}, tickets.NewTicket{
			Customer: tickets.Address{Name: *name, Email: *to}, Subject: *subject, Priority: *priority, Tags: tags, Assign: *assign, Outgoing: out,
		}, tickets.NewMessageID(sc.cfg.Domain))
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "#%d opened for %s; the mail is queued\n", t.Number, t.Customer)
		return nil
	})
}

func ticketsReply(ctx context.Context, c *cli, args []string) error {
	var as, bodyFile, saved *string
	var attach multi
	return c.withProperty(ctx, "tickets reply", args, mailKeys, true, func(fs *flag.FlagSet) {
		as = fs.String("as", "", "the replying agent, by email (required)")
		bodyFile = fs.String("body-file", "", "file with the reply text (- for standard input)")
		saved = fs.String("saved-reply", "", "a saved reply's name: its text, filled in, comes first (then --body-file's, if given)")
		fs.Var(&attach, "attach", "a file to attach; repeat for several")
	}, func(sc scoped) error {
		n, err := ticketNumber(sc.rest)
		if err != nil {
			return err
		}
		if *as == "" {
			return fmt.Errorf("%w: --as is required", errUsage)
		}
		var out tickets.Outgoing
		if *saved == "" || *bodyFile != "" {
			if out, err = outgoing(*bodyFile, attach); err != nil {
				return err
			}
		} else if out.Attachments, err = readAttachments(attach); err != nil {
			return err
		}
		out.SavedReply = *saved
		t, err := sc.store.Reply(ctx, sc.prop, n, tickets.Agent{Email: *as}, out, tickets.NewMessageID(sc.cfg.Domain))
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "reply to #%d queued for %s\n", t.Number, t.Customer)
		return nil
	})
}

// outgoing reads an agent's message: its text and attachments.
func outgoing(bodyFile string, attach []string) (tickets.Outgoing, error) {
	body, err := readBody(bodyFile)
	if err != nil {
		return tickets.Outgoing{}, err
	}
	files, err := readAttachments(attach)
	if err != nil {
		return tickets.Outgoing{}, err
	}
	return tickets.Outgoing{Text: body, Attachments: files}, nil
}

func ticketsAssign(ctx context.Context, c *cli, args []string) error {
	var as *string
	return c.withProperty(ctx, "tickets assign", args, mailKeys, true, func(fs *flag.FlagSet) {
		as = fs.String("as", "", "the agent assigning, by email (required)")
	}, func(sc scoped) error {
		if len(sc.rest) != 2 {
			return fmt.Errorf("%w: postdesk tickets assign --property S --as AGENT N AGENT|DEPARTMENT", errUsage)
		}
		n, err := ticketNumber(sc.rest[:1])
		if err != nil {
			return err
		}
		if *as == "" {
			return fmt.Errorf("%w: --as is required", errUsage)
		}
		t, err := sc.store.Assign(ctx, sc.prop, n, tickets.Agent{Email: *as}, sc.rest[1])
		if err != nil {
			return err
		}
		who := ""
		if t.Assignee != nil {
			who = *t.Assignee
		} else if t.Department != nil {
			who = *t.Department
		}
		fmt.Fprintf(c.stdout, "#%d assigned to %s\n", t.Number, who)
		return nil
	})
}

func templatesCmd(ctx context.Context, c *cli, args []string) error {
	return sub(ctx, c, "templates", args, map[string]func(context.Context, *cli, []string) error{
		"render": func(ctx context.Context, c *cli, args []string) error {
			fs := c.flags("templates render")
			locale := fs.String("locale", "en", "locale: "+strings.Join(templates.Locales(), ", "))
			format := fs.String("format", "text", "text (with the subject), html (the HTML document alone) or both")
			cfg, rest, err := config.Load(fs, args, c.env, "templates")
			if err != nil {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
			if len(rest) != 1 {
				return fmt.Errorf("%w: postdesk templates render KIND (one of %s)", errUsage, strings.Join(templates.Kinds(), ", "))
			}
			if *format != "text" && *format != "html" && *format != "both" {
				return fmt.Errorf("%w: --format %q: text, html or both", errUsage, *format)
			}
			set, err := templates.New(cfg.Templates)
			if err != nil {
				return err
			}
			r, err := set.Render(rest[0], *locale, templates.Sample(rest[0]))
			if err != nil {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
			switch *format {
			case "html": // the document alone, to open in a browser
				fmt.Fprintln(c.stdout, r.HTML)
			case "text":
				fmt.Fprintf(c.stdout, "Subject: %s\n\n%s\n", r.Subject, r.Text)
			default:
				fmt.Fprintf(c.stdout, "Subject: %s\n\n%s\n%s\n", r.Subject, r.Text, r.HTML)
			}
			return nil
		},
	})
}
