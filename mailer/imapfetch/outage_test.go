package imapfetch_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailer/imapfetch"
	"github.com/postdesk/postdesk/mailer/inbound"
)

// A delivery that panics is an error for that message: the poller goes on, the message is
// neither flagged nor passed by the checkpoint, and the next poll imports it.
func TestIMAPDeliveryPanicIsRecoveredAndTheMailFetchedAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		since := time.Now().Add(-time.Hour)
		srv.appendMail(t, nil, "INBOX", mail("a", "Panics once"), time.Now())
		m := f.addMailbox(t, srv.account, "INBOX", "seen", &since)
		var calls atomic.Int32
		next := f.deliverer()
		f.run(t, inbound.ReceiverFunc(func(ctx context.Context, m inbound.Message) []inbound.Result {
			if calls.Add(1) == 1 {
				var c *struct{ n int }
				_ = c.n
			}
			return next.Receive(ctx, m)
		}))
		waitFor(t, 30*time.Second, "the import after the panic", func() bool { return f.mailbox(t, m.ID).LastUID == 1 })
		if n := f.messageCount(t); n != 1 || calls.Load() < 2 {
			t.Fatalf("%d messages after %d deliveries", n, calls.Load())
		}
	})
}

// A message the receiver can never store (a permanent failure) stays in the folder untouched —
// no flag, no move: the folder is the only place its bytes are kept — and the checkpoint passes
// it, so the mail after it is imported and the mailbox is not stuck.
func TestIMAPMessageThatCanNeverBeStoredIsLeftInTheFolderAndPassed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		since := time.Now().Add(-time.Hour)
		srv.appendMail(t, nil, "INBOX", mail("bad", "Can never be stored"), time.Now())
		srv.appendMail(t, nil, "INBOX", mail("good", "A normal question"), time.Now())
		m := f.addMailbox(t, srv.account, "INBOX", "seen", &since)
		next := f.deliverer()
		var refused atomic.Int32
		f.run(t, inbound.ReceiverFunc(func(ctx context.Context, msg inbound.Message) []inbound.Result {
			if strings.Contains(string(msg.Raw), "<bad@customer.example>") {
				refused.Add(1)
				return []inbound.Result{{Err: inbound.Permanent(errors.New("the store refuses it"))}}
			}
			return next.Receive(ctx, msg)
		}), imapfetch.WithFetch(1, 1))
		waitFor(t, 30*time.Second, "the checkpoint past both", func() bool { return f.mailbox(t, m.ID).LastUID == 2 })
		state := srv.folderState(t, "INBOX")
		if flags, ok := state["bad@customer.example"]; !ok || hasFlag(flags, imap.FlagSeen) {
			t.Fatalf("the refused message: present %v, flags %v; want it there, unflagged", ok, flags)
		}
		if !hasFlag(state["good@customer.example"], imap.FlagSeen) {
			t.Fatal("the stored message was not flagged")
		}
		if n := f.messageCount(t); n != 1 || refused.Load() != 1 {
			t.Fatalf("%d messages stored, %d refusals; want 1 and 1", n, refused.Load())
		}
	})
}
