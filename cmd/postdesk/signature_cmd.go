package main

import (
	"context"
	"flag"
	"fmt"
)

// agentSignature sets the signature under an agent's replies to a property's customers: the
// text of --file (- reads standard input), or --default for their name and the property's.
func agentSignature(ctx context.Context, c *cli, args []string) error {
	var email, file *string
	var reset *bool
	return c.withProperty(ctx, "agent signature", args, nil, false, func(fs *flag.FlagSet) {
		email = fs.String("email", "", "the agent's email address (required)")
		file = fs.String("file", "", "a file holding the signature (- reads standard input); at most 8 lines")
		reset = fs.Bool("default", false, "back to the default signature: the agent's name and the property's")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		if *email == "" || (*file == "") == !*reset {
			return fmt.Errorf("%w: postdesk agent signature --property S --email E (--file F | --default)", errUsage)
		}
		text := ""
		if !*reset {
			var err error
			if text, err = readBody(*file); err != nil {
				return err
			}
		}
		if err := sc.store.SetSignature(ctx, sc.prop.ID, *email, text); err != nil {
			return err
		}
		if text == "" {
			fmt.Fprintf(c.stdout, "%s signs replies on %s with the default signature\n", *email, sc.prop.Slug)
		} else {
			fmt.Fprintf(c.stdout, "signature of %s on %s set\n", *email, sc.prop.Slug)
		}
		return nil
	})
}
