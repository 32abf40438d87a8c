package imapfetch

import (
	"context"
	"fmt"
	"time"

	"github.com/postdesk/postdesk/dialguard"
	"github.com/postdesk/postdesk/mailbox"
)

// AddOptions says how AddMailbox checks a mailbox before saving it.
type AddOptions struct {
	// Check logs in and selects the folder first (within a minute).
	Check bool
	// Token logs in to an OAuth2 mailbox.
	Token TokenSource
	// Guard, when set, limits the addresses the mailbox may be reached at (a mailbox a property's
	// admin names on the web): the connection of the check is refused at any other, after DNS
	// resolution; without a check, every address the host resolves to must pass.
	Guard *dialguard.Policy
}

// AddMailbox adds a mailbox as `postdesk mailbox add` and the web inbox's mailboxes page do:
// its settings checked (mailbox.New.Normalise), then CheckMailbox, then saved. A mailbox that
// does not work is not saved; the error says why.
func AddMailbox(ctx context.Context, boxes *mailbox.Store, n mailbox.New, o AddOptions) (mailbox.Mailbox, MailboxInfo, error) {
	if err := n.Normalise(); err != nil {
		return mailbox.Mailbox{}, MailboxInfo{}, err
	}
	info, err := CheckMailbox(ctx, n, o)
	if err != nil {
		return mailbox.Mailbox{}, info, err
	}
	m, err := boxes.Add(ctx, n)
	return m, info, err
}

// CheckMailbox tries the normalised mailbox n as o says (nothing when o neither checks nor
// guards); a failure is a *CheckError.
func CheckMailbox(ctx context.Context, n mailbox.New, o AddOptions) (MailboxInfo, error) {
	var info MailboxInfo
	if !o.Check {
		if o.Guard != nil {
			if err := o.Guard.CheckHost(ctx, nil, n.Host); err != nil {
				return info, &CheckError{Err: &StageError{Stage: StageConnect, Err: err}}
			}
		}
		return info, nil
	}
	a := Account{Host: n.Host, Port: n.Port, TLS: n.TLS, Username: n.Username, Password: n.Password}
	if n.OAuth {
		a.Password, a.Token = "", o.Token
	}
	if o.Guard != nil {
		a.Control = o.Guard.Control(n.Host)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	info, err := Check(cctx, a, n.Folder)
	if err != nil {
		return info, &CheckError{Err: err}
	}
	return info, nil
}

// CheckError is a mailbox AddMailbox tried and could not use: nothing was saved. Stage(err)
// says how far it got.
type CheckError struct{ Err error }

func (e *CheckError) Error() string {
	return fmt.Sprintf("imapfetch: cannot use the mailbox: %v", e.Err)
}
func (e *CheckError) Unwrap() error { return e.Err }

// Rescan reads the mailbox table again now, not at the next scan: a mailbox added, resumed or
// signed in again through this instance is polled at once.
func (p *Pollers) Rescan() { p.scans.Kick() }
