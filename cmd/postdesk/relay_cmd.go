package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/postdesk/postdesk/mailer/relay"
)

// relayCmd checks the relay by hand.
func relayCmd(ctx context.Context, c *cli, args []string) error {
	return sub(ctx, c, "relay", args, map[string]func(context.Context, *cli, []string) error{
		"test":   relayTest,
		"signin": relaySignIn,
		"status": relayStatus,
	})
}

// relayTest sends one mail through the configured relay — directly, not through the outbox — and
// prints each step of the SMTP dialogue with the relay's reply.
func relayTest(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("relay test")
	to := fs.String("to", "", "the address to send the test mail to (required)")
	from := fs.String("from", "", "the envelope sender and From (default: postmaster@DOMAIN)")
	cfg, rest, err := c.loadKeys(fs, args, []string{"relay", "relay_tls", "relay_user", "relay_password_env", "relay_ca_file", "relay_tls_insecure", "domain", "relay_auth", "relay_oauth_provider", "db", "data_dir"})
	if err != nil {
		return err
	}
	if err := noArgs(rest); err != nil {
		return err
	}
	if *to == "" || strings.ContainsAny(*to, "\r\n<> ,") || !strings.Contains(*to, "@") {
		return fmt.Errorf("%w: --to ADDRESS is required (one address)", errUsage)
	}
	// The domain is the installation's (HELO, the sender, the Message-ID), as serve has it.
	d, _, err := c.open(ctx, cfg, nil)
	if err != nil {
		return err
	}
	d.Close()
	if *from == "" {
		*from = "postmaster@" + cfg.Domain
	}
	if strings.ContainsAny(*from, "\r\n<> ,") || !strings.Contains(*from, "@") {
		return fmt.Errorf("%w: --from %q is not an address", errUsage, *from)
	}
	if cfg.Relay == "" {
		return errors.New("no relay is configured (relay = host:port): serve writes outgoing mail to files under DATA_DIR/outbox")
	}
	tr, err := newTransport(c, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	smtpTr, ok := tr.(*relay.SMTPTransport)
	if !ok {
		return errors.New("the configured transport is not an SMTP relay")
	}
	if cfg.RelayAuth == "oauth2" {
		closeDB, err := c.relayOAuthFor(ctx, cfg, smtpTr)
		if err != nil {
			return err
		}
		defer closeDB()
	}
	fmt.Fprintf(c.stdout, "relay %s (TLS %s)\n", cfg.Relay, cfg.RelayTLS)
	err = smtpTr.Probe(ctx, *from, *to, testMail(*from, *to, cfg.Relay, cfg.Domain, time.Now()), func(s relay.Step) {
		outcome := "ok"
		if s.Err != nil {
			outcome = "FAILED"
		}
		line := fmt.Sprintf("  %-22s %s", s.Name, outcome)
		if s.Code != 0 {
			line += fmt.Sprintf("  %d %s", s.Code, s.Reply)
		} else if s.Reply != "" {
			line += "  " + s.Reply
		}
		if s.Err != nil && s.Code == 0 {
			line += ": " + s.Err.Error()
		}
		fmt.Fprintln(c.stdout, line)
	})
	if err != nil {
		return fmt.Errorf("the relay did not take the test mail: %w", err)
	}
	fmt.Fprintf(c.stdout, "the relay accepted the test mail to %s\n", *to)
	return nil
}

// testMail is the mail relay test sends.
func testMail(from, to, relayAddr, domain string, now time.Time) []byte {
	b := make([]byte, 8)
	rand.Read(b)
	return []byte(strings.Join([]string{
		"From: postdesk <" + from + ">",
		"To: <" + to + ">",
		"Subject: postdesk relay test",
		"Date: " + now.Format(time.RFC1123Z),
		"Message-ID: <relay-test-" + hex.EncodeToString(b) + "@" + domain + ">",
		"Auto-Submitted: auto-generated",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"This is a test mail from postdesk (postdesk relay test), sent through " + relayAddr + ".",
		"",
	}, "\r\n"))
}
