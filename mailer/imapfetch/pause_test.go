package imapfetch_test

import (
	"context"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/mailbox"
)

func TestIMAPPausedMailboxIsNotPolledUntilResumed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		srv := startMemIMAP(t, memOptions{})
		m := f.addMailbox(t, srv.account, "INBOX", "seen", nil)
		p, _ := f.run(t, f.deliverer())
		f.waitPolled(t, m.ID)

		// Paused while an instance polls it: the instance lets it go at its next scan.
		if err := f.boxes.Pause(ctx, f.prop.ID, m.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "the poller to stop", func() bool { return len(p.Running()) == 0 })
		srv.appendMail(t, nil, "INBOX", mail("during", "Sent while paused"), time.Now())
		// A whole scan after the mail arrived claims nothing: the lease is the pause's.
		if err := p.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		got := f.mailbox(t, m.ID)
		if len(p.Running()) != 0 || !got.Paused || got.LeaseOwner != mailbox.PausedOwner {
			t.Fatalf("after a scan: running %v, paused %v, lease %q", p.Running(), got.Paused, got.LeaseOwner)
		}
		if n := len(f.tickets(t)); n != 0 {
			t.Fatalf("a paused mailbox's mail became %d tickets", n)
		}
		// Another property cannot resume it.
		if err := f.boxes.Resume(ctx, f.prop.ID+1, m.ID); err == nil {
			t.Fatal("resumed from another property")
		}

		if err := f.boxes.Resume(ctx, f.prop.ID, m.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "the mail sent while paused as a ticket", func() bool { return len(f.tickets(t)) == 1 })
		if got := f.mailbox(t, m.ID); got.Paused {
			t.Fatal("still paused after resume")
		}
	})
}
