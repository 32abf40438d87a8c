package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The installation's mail domain: every forwarding address (<slug>@DOMAIN), reply address and
// Message-ID postdesk writes names it, so it belongs to the database, not to each command line.
const settingMailDomain = "mail_domain"

// UnsetDomain is the built-in default domain. It is never stored: a database whose first command
// was given no domain keeps none, and the first real one given is stored.
const UnsetDomain = "localhost"

// ErrDomainMismatch is a domain given to a command that differs from the one the database holds.
var ErrDomainMismatch = errors.New("tickets: the domain differs from the database's")

// MailDomain returns the stored mail domain, "" when none is stored yet.
func (s *Store) MailDomain(ctx context.Context) (string, error) {
	var vs []string
	if err := s.db.Select(ctx, nil, &vs, s.qs.SettingGet, settingMailDomain); err != nil {
		return "", fmt.Errorf("tickets: mail domain: %w", err)
	}
	if len(vs) == 0 {
		return "", nil
	}
	return vs[0], nil
}

// ResolveDomain is the domain a command works with, given the one it was configured with
// (UnsetDomain when none was given):
//   - none stored, one given: it is stored (the first one wins when several instances start at
//     once) and used;
//   - one stored, none given: the stored one;
//   - both, different: ErrDomainMismatch — every address already handed out names the stored
//     one; SetMailDomain changes it on purpose.
//
// With neither, it is UnsetDomain, and nothing is stored.
func (s *Store) ResolveDomain(ctx context.Context, given string) (string, error) {
	given = strings.ToLower(strings.TrimSpace(given))
	if given == "" {
		given = UnsetDomain
	}
	if given != UnsetDomain {
		if err := s.db.Exec(ctx, nil, s.qs.SettingInsert, settingMailDomain, given); err != nil {
			return "", fmt.Errorf("tickets: store the mail domain: %w", err)
		}
	}
	stored, err := s.MailDomain(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case stored == "":
		return given, nil
	case given == UnsetDomain || given == stored:
		return stored, nil
	}
	return "", fmt.Errorf("%w: this database's mail domain is %s, and %s was given (every forwarding and reply address handed out names %s; to change it: postdesk init --domain %s --force)",
		ErrDomainMismatch, stored, given, stored, given)
}

// SetMailDomain stores d as the installation's mail domain, replacing any other.
func (s *Store) SetMailDomain(ctx context.Context, d string) error {
	d = strings.ToLower(strings.TrimSpace(d))
	if d == "" || d == UnsetDomain || strings.ContainsAny(d, "@ /") {
		return fmt.Errorf("tickets: %w: %q is not a mail domain to store", ErrInvalid, d)
	}
	if err := s.db.Exec(ctx, nil, s.qs.SettingPut, settingMailDomain, d); err != nil {
		return fmt.Errorf("tickets: set the mail domain: %w", err)
	}
	return nil
}
