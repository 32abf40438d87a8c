package imapfetch

import (
	"context"
	"fmt"
	"time"

	"github.com/postdesk/postdesk/mailbox"
)

// AddMailbox adds a mailbox as `postdesk mailbox add` and the web inbox's mailboxes page do:
// its settings checked (mailbox.New.Normalise), then, when check, a login and the folder
// selected (within a minute; tok logs in for an OAuth2 mailbox), then saved. A mailbox that
// does not work is not saved; the error says why.
func AddMailbox(ctx context.Context, boxes *mailbox.Store, n mailbox.New, tok TokenSource, check bool) (mailbox.Mailbox, MailboxInfo, error) {
	if err := n.Normalise(); err != nil {
		return mailbox.Mailbox{}, MailboxInfo{}, err
	}
	var info MailboxInfo
	if check {
		a := Account{Host: n.Host, Port: n.Port, TLS: n.TLS, Username: n.Username, Password: n.Password}
		if n.OAuth {
			a.Password, a.Token = "", tok
		}
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		var err error
		info, err = Check(cctx, a, n.Folder)
		cancel()
		if err != nil {
			return mailbox.Mailbox{}, info, &CheckError{Err: err}
		}
	}
	m, err := boxes.Add(ctx, n)
	return m, info, err
}

// CheckError is a mailbox AddMailbox tried and could not use: nothing was saved.
type CheckError struct{ Err error }

func (e *CheckError) Error() string {
	return fmt.Sprintf("imapfetch: cannot use the mailbox: %v", e.Err)
}
func (e *CheckError) Unwrap() error { return e.Err }

// Rescan reads the mailbox table again now, not at the next scan: a mailbox added, resumed or
// signed in again through this instance is polled at once.
func (p *Pollers) Rescan() { p.scans.Kick() }
