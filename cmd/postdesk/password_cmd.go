package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/postdesk/postdesk/auth"
	"github.com/postdesk/postdesk/tickets"
)

// passwordInput is where 'agent password' reads the new password: standard input (a test's
// reader in tests).
var passwordInput io.Reader = os.Stdin

// maxPasswordLine bounds what is read of the first line: auth refuses more than 1024 bytes.
const maxPasswordLine = 4096

// agentPassword sets the web inbox password of an agent of a property, read from the first line
// of standard input, and ends the agent's web sessions.
func agentPassword(ctx context.Context, c *cli, args []string) error {
	var email *string
	return c.withProperty(ctx, "agent password", args, nil, false, func(fs *flag.FlagSet) {
		email = fs.String("email", "", "the agent's email address (required); the password is the first line of standard input")
	}, func(sc scoped) error {
		if err := noArgs(sc.rest); err != nil {
			return err
		}
		if *email == "" {
			return fmt.Errorf("%w: --email is required (the password is read from standard input)", errUsage)
		}
		a, err := sc.store.AgentByEmail(ctx, sc.prop.ID, *email)
		if errors.Is(err, tickets.ErrNotFound) {
			return fmt.Errorf("%s is not an agent of %s (see 'postdesk agent list')", *email, sc.prop.Slug)
		}
		if err != nil {
			return err
		}
		password, err := readPassword(passwordInput)
		if err != nil {
			return err
		}
		svc, err := auth.Open(ctx, sc.store.DB(), auth.Config{})
		if err != nil {
			return err
		}
		if err := svc.SetPassword(ctx, a.Email, password); err != nil {
			return err
		}
		// A new password signs the agent out everywhere: whoever knew the old one is out too.
		if err := svc.EndAgentSessions(ctx, a.ID); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "password of %s <%s> set; their web sessions are ended\n", a.Name, a.Email)
		return nil
	})
}

// readPassword reads the first line of r, without its line ending; an empty one is refused.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, maxPasswordLine), maxPasswordLine).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", fmt.Errorf("%w: no password on standard input (give it as the first line)", errUsage)
	}
	return line, nil
}
